import { z } from 'zod';
import { Condition, ResourceName } from '../meta.js';
import { KubeKindName } from './common.js';

/** Phases of a Schedule: firing, suspended, or rejected by validation. */
export const SchedulePhase = z.enum(['Active', 'Suspended', 'Invalid']);
export type SchedulePhase = z.infer<typeof SchedulePhase>;

/** A cron expression of 5 or 6 space-separated fields, or one of the CronJob macros such as `@hourly`. */
export const CronExpression = z
  .string()
  .min(1)
  .regex(/^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|\S+(\s+\S+){4,5})$/, {
    message: 'must be a cron expression of 5 or 6 fields (e.g. "0 * * * *") or a macro such as @hourly',
  });

/** An IANA time zone name (`Europe/Berlin`) that this runtime knows. */
export const TimeZone = z
  .string()
  .min(1)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be an IANA time zone such as Europe/Berlin' },
  );

/** Spec of a Schedule: a cron expression (run through a CronJob) and the object it creates runs of. */
export const ScheduleSpec = z.strictObject({
  cron: CronExpression,
  timezone: TimeZone.optional(),
  suspend: z.boolean().optional(),
  targetRef: z.strictObject({ kind: KubeKindName, name: ResourceName }).optional(),
});
export type ScheduleSpec = z.infer<typeof ScheduleSpec>;

/** Status of a Schedule: when it last fired. */
export const ScheduleStatus = z.object({
  phase: SchedulePhase.optional(),
  conditions: z.array(Condition).optional(),
  observedGeneration: z.number().int().optional(),
  updatedAt: z.string().optional(),
  lastRunTime: z.string().optional(),
});
export type ScheduleStatus = z.infer<typeof ScheduleStatus>;
