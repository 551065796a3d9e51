import { Command, CommanderError, Option } from 'commander';
import { applyCommandOf } from './commands/apply.js';
import { approvalsCommandOf, approveCommandOf, denyCommandOf } from './commands/approve.js';
import { queueCommandOf } from './commands/queue.js';
import { auditCommandOf } from './commands/audit.js';
import { completionCommandOf } from './commands/completion.js';
import { deleteCommandOf } from './commands/delete.js';
import { describeCommandOf } from './commands/describe.js';
import { getCommandOf } from './commands/get.js';
import { loginCommandOf } from './commands/login.js';
import { runsCommandOf } from './commands/runs.js';
import type { Runtime } from './context.js';
import { ApiError, EXIT, EXIT_CODES_HELP, exitCodeOf, Interrupted, ReportedFailure } from './errors.js';
import { processIo, type Io } from './io.js';
import { formatProblem } from './problem.js';
import { safeText } from './output/text.js';

export const VERSION = '0.1.0';

/** The `jangar` program: global options, the commands, and help that ends with the exit codes. */
export function buildProgram(rt: Runtime): Command {
  const program: Command = new Command('jangar')
    .description('the command-line client of the Jangar API (agents, runs and their kin), in the habits of kubectl')
    .version(VERSION, '--version', 'print the version')
    .addOption(new Option('--server <url>', "the API server (default: $JANGAR_URL, the config file's, else http://127.0.0.1:8080)"))
    .addOption(new Option('--token <token>', "the bearer token (default: $JANGAR_TOKEN, else the config file's)"))
    .addOption(new Option('--request-timeout <seconds>', 'give up on a request after this long (default 60)'))
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Configuration: flags, then JANGAR_URL / JANGAR_TOKEN / JANGAR_NAMESPACE, then the file written by
"jangar login" ($JANGAR_CONFIG or ~/.config/jangar/config.json). NO_COLOR turns colours off.

${EXIT_CODES_HELP}`,
    )
    .configureOutput({
      writeOut: (s) => void process.stdout.write(s),
      writeErr: (s) => void process.stderr.write(s),
    })
    .exitOverride();
  for (const cmd of [
    getCommandOf(rt),
    describeCommandOf(rt),
    applyCommandOf(rt),
    deleteCommandOf(rt),
    runsCommandOf(rt),
    approvalsCommandOf(rt),
    queueCommandOf(rt),
    approveCommandOf(rt),
    denyCommandOf(rt),
    auditCommandOf(rt),
    loginCommandOf(rt),
    completionCommandOf(rt, () => program),
  ]) {
    program.addCommand(cmd);
  }
  // Every command reports usage errors through the program's exitOverride and output.
  const inherit = (cmd: Command) => {
    cmd.exitOverride().showHelpAfterError('(add --help for usage)');
    cmd.commands.forEach(inherit);
  };
  program.commands.forEach(inherit);
  return program;
}

/** Prints a failure the way scripts and people expect: `error: …` on stderr. */
function report(io: Io, err: unknown): void {
  if (err instanceof ReportedFailure || err instanceof Interrupted) return;
  if (err instanceof ApiError) {
    for (const line of formatProblem(err.problem)) io.err(line);
    if (err.status === 401) io.err('  (set JANGAR_TOKEN, pass --token, or run "jangar login")');
    return;
  }
  io.err(safeText(`error: ${(err as Error).message ?? String(err)}`));
}

/** `jangar get … | head` closes our stdout early: that is no error. */
function onStdoutError(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
}

/** Runs the CLI on `argv` (as `process.argv`) and answers the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const abort = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    // The first Ctrl-C ends watches cleanly; a second one does not wait for that.
    if (++interrupts > 1) process.exit(EXIT.interrupted);
    abort.abort();
  };
  process.on('SIGINT', onInterrupt);
  // Once per process, and left in place: a closed pipe may be noticed after main has answered.
  if (!process.stdout.listeners('error').includes(onStdoutError)) process.stdout.on('error', onStdoutError);
  try {
    await buildProgram({ io, signal: abort.signal }).parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; everything else commander refuses is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      return EXIT.usage;
    }
    if (abort.signal.aborted) return EXIT.interrupted;
    report(io, err);
    return exitCodeOf(err);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
