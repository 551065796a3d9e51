/**
 * Named crash points for fault-injection tests. `JANGAR_FAULTS=provisioner.after-create` makes the
 * process kill itself with SIGKILL when it reaches that point: no cleanup, no ack, no answer —
 * exactly what a crashed pod leaves behind. Unset in production, a point costs one Set lookup.
 */
const armed = new Set(
  (process.env.JANGAR_FAULTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

/** Kills the process here if the fault `name` is armed. */
export function faultPoint(name: string): void {
  if (armed.has(name)) process.kill(process.pid, 'SIGKILL');
}
