import { z } from 'zod';
import { RuntimeType } from '@jangar/contracts';

/** A comma-separated environment variable, each item checked by `item`. */
const list = <T extends z.ZodType<string>>(item: T) =>
  z.preprocess(
    (s) =>
      typeof s === 'string'
        ? s
            .split(',')
            .map((x) => x.trim())
            .filter((x) => x !== '')
        : s,
    z.array(item),
  );

export const PolicyConfig = z.object({
  /** Runtime types a run may ask for. */
  JANGAR_POLICY_ALLOWED_RUNTIMES: list(RuntimeType).default(['workflow', 'job', 'temporal', 'custom']),
  /** Secrets a run may reference; the safe default is none. */
  JANGAR_POLICY_ALLOWED_SECRETS: list(z.string()).default([]),
  /** `enforce` blocks a violating request; `audit` records the would-be denial and lets it through. */
  JANGAR_POLICY_MODE: z.enum(['enforce', 'audit']).default('enforce'),
});
export type PolicyConfig = z.infer<typeof PolicyConfig>;
