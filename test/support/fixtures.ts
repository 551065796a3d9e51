import type { KubeObject } from '@jangar/contracts';

/** The binding the provisioner records for a `job` run named r1 in namespace ns. */
export const JOB_BINDING = {
  provider: 'job',
  resource: { apiVersion: 'batch/v1', kind: 'Job', name: 'r1', namespace: 'ns' },
  config: { backoffLimit: 0 },
};

/** AgentRun ns/r1 (uid u1, resourceVersion 7, Jangar id id-1) with this status; `binding: null` leaves the annotation out. */
export function agentRunObject(status: unknown, opts: { binding?: unknown } = {}): KubeObject {
  const binding = opts.binding === undefined ? JOB_BINDING : opts.binding;
  return {
    apiVersion: 'agents.proompteng.ai/v1alpha1',
    kind: 'AgentRun',
    metadata: {
      name: 'r1',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '7',
      creationTimestamp: '2026-11-25T10:00:00Z',
      labels: { 'jangar.proompteng.ai/id': 'id-1' },
      annotations: binding === null ? {} : { 'jangar.proompteng.ai/binding': JSON.stringify(binding) },
    },
    spec: { runtime: { type: 'job' } },
    status,
  };
}

/** The value of the one sample of `name` whose labels include `labels`, read from Prometheus exposition text. */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = text
    .split('\n')
    .map((line) => /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === name)
    .filter((m) => {
      const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
      return Object.entries(labels).every(([k, v]) => have[k] === v);
    });
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0] ? Number(found[0][3]) : undefined;
}

/** Two teams, one namespace each. */
export const TEAM_TOKENS = [
  { token: 'alice-token-123', subject: 'alice', namespaces: ['team-a'] },
  { token: 'bob-token-12345', subject: 'bob', namespaces: ['team-b'] },
];

/** The body of a create of AgentRun `deliveryId` (Agent coder) in `namespace` that stays Running until it is deleted, so it holds its slot. */
export const stuckRunBody = (namespace: string, deliveryId: string) => ({
  deliveryId,
  metadata: { namespace, name: deliveryId, annotations: { 'jangar.proompteng.ai/sim-scenario': 'stuck' } },
  spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: 'hold a slot' } } },
});
