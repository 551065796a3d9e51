/**
 * Named fault points for fault-injection tests. `JANGAR_FAULTS=provisioner.after-create` makes the
 * process kill itself with SIGKILL when it reaches that point: no cleanup, no ack, no answer —
 * exactly what a crashed pod leaves behind. `provisioner.before-apply=throw` throws a `TypeError`
 * there instead, every time, as a bug would. Unset in production, a point costs one Map lookup.
 */
const armed = new Map(
  (process.env.JANGAR_FAULTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const [name, action = 'kill', ...rest] = s.split('=');
      // A misspelt action must not arm a kill: the process would crash on every hit.
      if ((action !== 'kill' && action !== 'throw') || rest.length > 0)
        throw new Error(`JANGAR_FAULTS: "${s}" is not <point>, <point>=kill or <point>=throw`);
      return [name!, action] as const;
    }),
);

/** Kills the process here, or throws, if the fault `name` is armed. */
export function faultPoint(name: string): void {
  const action = armed.get(name);
  if (action === 'kill') process.kill(process.pid, 'SIGKILL');
  if (action === 'throw') throw new TypeError(`fault ${name} injected`);
}
