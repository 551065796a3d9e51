import type { DecisionPayload, RequestPayload } from '@jangar/contracts';
import { canonicalJson, sha256 } from '@jangar/service-kit';
import { RULES, type PolicySettings, type Rule } from './rules.js';

/** Identifies the policy a decision was made under: a digest of the settings and rule ids. */
export function policyVersion(settings: PolicySettings, mode: string, rules: readonly Rule[] = RULES): string {
  return sha256(canonicalJson({ settings, mode, rules: rules.map((r) => r.id) })).slice(0, 12);
}

/** Decides one request. Pure: the same request under the same policy always gets the same verdict. */
export function evaluate(
  request: RequestPayload,
  settings: PolicySettings,
  mode: 'enforce' | 'audit',
  now: Date,
  rules: readonly Rule[] = RULES,
): DecisionPayload {
  const violations = rules.filter((r) => r.applies(request)).flatMap((r) => r.check(request, settings));
  return {
    request,
    verdict: violations.length > 0 && mode === 'enforce' ? 'deny' : 'allow',
    mode,
    violations,
    policyVersion: policyVersion(settings, mode, rules),
    evaluatedAt: now.toISOString(),
  };
}
