import type { DecisionPayload, RequestPayload } from '@jangar/contracts';
import { canonicalJson, sha256 } from '@jangar/service-kit';
import type { DecisionContext } from './context.js';
import { RULES, type Rule, type Subject } from './rules.js';

/** Identifies the policy a decision was made under: the rules and every policy resource consulted, at its version. */
export function policyVersion(ctx: DecisionContext, rules: readonly Rule[] = RULES): string {
  const consulted = [
    ...ctx.guardrails,
    ...(ctx.agent ? [ctx.agent] : []),
    ...ctx.secretBindings,
    ...ctx.budgets,
    ...ctx.approvalPolicies,
  ].map((u) => `${u.id}@${u.version}`);
  return sha256(
    canonicalJson({ rules: rules.map((r) => r.id), consulted, baseline: ctx.baselineMode, builtIn: ctx.guardrails[0]?.spec }),
  ).slice(0, 12);
}

/**
 * Decides one request against its context. Pure: the same request under the same policy always
 * gets the same verdict. A violation denies when the policy that owns it is in `enforce` mode;
 * an `audit` policy's violations are recorded and let through.
 */
export function evaluate(
  request: RequestPayload,
  subject: Subject | undefined,
  ctx: DecisionContext,
  now: Date,
  rules: readonly Rule[] = RULES,
): DecisionPayload {
  const violations = subject ? rules.filter((r) => r.kinds.includes(subject.kind)).flatMap((r) => r.check(subject, ctx)) : [];
  const enforced = violations.some((v) => (v.mode ?? ctx.baselineMode) === 'enforce');
  return {
    request,
    verdict: enforced ? 'deny' : 'allow',
    mode: ctx.baselineMode,
    violations,
    policyVersion: policyVersion(ctx, rules),
    evaluatedAt: now.toISOString(),
  };
}
