import type { RequestPayload, Violation } from '@jangar/contracts';

/** What a rule may consult besides the request itself. */
export interface PolicySettings {
  allowedRuntimes: readonly string[];
  allowedSecrets: readonly string[];
}

/** A guardrail: a stable id and a pure check that returns its violations. */
export interface Rule {
  id: string;
  applies(request: RequestPayload): boolean;
  check(request: RequestPayload, settings: PolicySettings): Violation[];
}

interface RunSpecView {
  runtime?: { type?: string };
  secrets?: string[];
}

const isAgentRunCreate = (r: RequestPayload) => r.kind === 'AgentRun' && r.verb === 'create';

export const RULES: readonly Rule[] = [
  {
    id: 'runtime-type-allowed',
    applies: isAgentRunCreate,
    check(request, settings) {
      const type = (request.spec as RunSpecView).runtime?.type;
      if (type === undefined || settings.allowedRuntimes.includes(type)) return [];
      return [
        {
          ruleId: this.id,
          path: 'spec.runtime.type',
          reason: `runtime type "${type}" is not allowed (allowed: ${settings.allowedRuntimes.join(', ') || 'none'})`,
        },
      ];
    },
  },
  {
    id: 'secrets-allowlist',
    applies: isAgentRunCreate,
    check(request, settings) {
      const secrets = (request.spec as RunSpecView).secrets ?? [];
      return secrets.flatMap((secret, i) =>
        settings.allowedSecrets.includes(secret)
          ? []
          : [{ ruleId: this.id, path: `spec.secrets[${i}]`, reason: `secret "${secret}" is not on the allowlist` }],
      );
    },
  },
];
