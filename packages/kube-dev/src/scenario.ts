import { z } from 'zod';

/** The annotation that picks how a simulated run ends. */
export const SCENARIO_ANNOTATION = 'jangar.proompteng.ai/sim-scenario';

/**
 * How a simulated run ends: `stuck` stays Running forever; `retry` fails its first attempt and
 * succeeds on the second (or fails for good when only one attempt is allowed).
 */
export const SimScenario = z.enum(['success', 'failure', 'retry', 'stuck']);
export type SimScenario = z.infer<typeof SimScenario>;

/** The scenario named by an object's annotations; absent or unknown values mean `success`. */
export function scenarioOf(annotations: Readonly<Record<string, string>> | undefined): SimScenario {
  const parsed = SimScenario.safeParse(annotations?.[SCENARIO_ANNOTATION]);
  return parsed.success ? parsed.data : 'success';
}
