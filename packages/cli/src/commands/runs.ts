import { Command } from 'commander';
import type { NormalizedRun } from '@jangar/contracts';
import { contextOf, type Context, type Runtime } from '../context.js';
import { EXIT, ReportedFailure } from '../errors.js';
import { followRun } from '../follow.js';
import { humanDuration } from '../output/age.js';
import { colorPhase, type Colors } from '../output/color.js';
import { Spinner } from '../output/spinner.js';
import { safeText } from '../output/text.js';
import { runIdOf } from '../resources.js';

/** What a transition line says besides the phase: steps, provider state, error; one line, safe for a terminal. */
export function transitionDetail(run: NormalizedRun): string {
  const parts: string[] = [];
  if (run.steps) parts.push(`steps ${run.steps.done}/${run.steps.total}${run.steps.current ? ` (${run.steps.current})` : ''}`);
  if (run.provider?.phase)
    parts.push(`${run.provider.type} ${run.provider.phase}${run.provider.message ? `: ${run.provider.message}` : ''}`);
  if (run.retry && run.retry.attempt > 1)
    parts.push(`attempt ${run.retry.attempt}${run.retry.maxAttempts ? `/${run.retry.maxAttempts}` : ''}`);
  if (run.error)
    parts.push(`${run.error.code}${run.error.reason ? ` ${run.error.reason}` : ''}${run.error.message ? `: ${run.error.message}` : ''}`);
  return safeText(parts.join('; '));
}

/** One transition: `10:00:01  Running    job Running`. */
export function transitionLine(c: Colors, run: NormalizedRun): string {
  const t = new Date(run.updatedAt);
  const time = Number.isNaN(t.getTime()) ? safeText(run.updatedAt) : t.toISOString().slice(11, 19);
  const detail = transitionDetail(run);
  const phaseText = safeText(run.phase);
  const phase = colorPhase(c, phaseText) + ' '.repeat(Math.max(0, 10 - phaseText.length));
  return `${time}  ${phase}${detail ? ` ${detail}` : ''}`.trimEnd();
}

/**
 * Follows one run to its end, printing each transition (a changed phase, step, provider state or
 * error); exit 0 when it succeeded, 1 when it failed or was cancelled.
 */
async function watchRun(ctx: Context, idArg: string): Promise<void> {
  const id = runIdOf(idArg);
  const spinner = new Spinner(ctx.io);
  let lastLine = '';
  let since = Date.now();
  let phase = '';
  spinner.update('connecting…');
  const tick = setInterval(() => phase && spinner.update(`${phase} for ${humanDuration(Date.now() - since)}`), 1000);
  tick.unref();
  try {
    const final = await followRun(ctx, id, (run) => {
      if (lastLine === '') ctx.io.err(safeText(`${run.type} ${run.namespace}/${run.name} (${run.id})`));
      const line = transitionLine(ctx.io.color, run);
      // The stream also carries changes a reader does not see here (conditions, versions): one line per visible change.
      const visible = `${run.phase}|${transitionDetail(run)}`;
      if (visible !== lastLine) spinner.line(line);
      if (safeText(run.phase) !== phase) {
        // How long it has been in this phase: from the transition, as the server recorded it.
        const at = Date.parse(run.updatedAt);
        since = Number.isNaN(at) ? Date.now() : Math.min(at, Date.now());
      }
      lastLine = visible;
      phase = safeText(run.phase);
      spinner.update(`${phase} for ${humanDuration(Date.now() - since)}`);
    });
    spinner.stop();
    if (final.phase !== 'Succeeded') {
      const why = final.error ? `: ${final.error.code}${final.error.message ? ` ${final.error.message}` : ''}` : '';
      ctx.io.err(safeText(`error: run ${final.namespace}/${final.name} ${final.phase === 'Cancelled' ? 'was cancelled' : 'failed'}${why}`));
      throw new ReportedFailure(EXIT.rejected);
    }
  } finally {
    clearInterval(tick);
    spinner.stop();
  }
}

export function runsCommandOf(rt: Runtime): Command {
  const runs = new Command('runs').description('work with runs (AgentRuns and OrchestrationRuns) by id');
  runs
    .command('watch')
    .description('follow a run until it ends, printing each transition; exit 0 when it succeeds, 1 when it fails or is cancelled')
    .argument('<id>', 'the run id (as `jangar get runs` shows it, or run/<id>)')
    .action(async (id: string, _opts: unknown, cmd: Command) => watchRun(await contextOf(cmd, rt), id));
  return runs;
}
