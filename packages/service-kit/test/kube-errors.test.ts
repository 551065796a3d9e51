import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DomainError, TransientError } from '../src/errors.js';
import { translateKubeError } from '../src/kube.js';

/** A failure as client-node reports it: the HTTP code and the API server's Status body. */
const failure = (code: number, message: string) =>
  new ApiException(code, `HTTP-Code: ${code}`, JSON.stringify({ kind: 'Status', status: 'Failure', message, code }), {});

describe('a Kubernetes failure, as the control plane reports it', () => {
  it("is transient when RBAC refuses the control plane's own account, and does not name the account", () => {
    const rbac = failure(
      403,
      'agentruns.agents.proompteng.ai is forbidden: User "system:serviceaccount:jangar:provisioner" cannot create resource "agentruns" in API group "agents.proompteng.ai" in the namespace "team-a"',
    );
    const err = translateKubeError(rbac, 'create AgentRun team-a/r1');
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toBe("create AgentRun team-a/r1: the control plane's service account is not permitted to; check its RBAC");
  });

  it('is transient when the cluster refuses the credentials themselves', () => {
    expect(translateKubeError(failure(401, 'Unauthorized'), 'get Agent team-a/a')).toBeInstanceOf(TransientError);
  });

  it("refuses the request as forbidden, with the server's reason, when a quota or an admission webhook does", () => {
    for (const message of [
      'jobs.batch "r1" is forbidden: exceeded quota: compute, requested: count/jobs.batch=1, used: count/jobs.batch=10, limited: count/jobs.batch=10',
      'admission webhook "validate.gatekeeper.sh" denied the request: runs must name a cost centre',
    ]) {
      const err = translateKubeError(failure(403, message), 'create AgentRun team-a/r1');
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('forbidden');
      expect(err.message).toBe(`create AgentRun team-a/r1: the cluster refused it (${message})`);
    }
  });
});
