import { colorEnabled, colors, type Colors } from './output/color.js';

/** Where a command writes: data to stdout, messages to stderr; and what the terminal is like. */
export interface Io {
  /** One line of data on stdout. */
  out(line: string): void;
  /** One line of messages (errors, notes) on stderr. */
  err(line: string): void;
  /** Raw text on stderr (spinners redraw a line). */
  errRaw(text: string): void;
  /** Colours for stdout (off unless stdout is a terminal and NO_COLOR is unset). */
  readonly color: Colors;
  /** Colours for stderr. */
  readonly errColor: Colors;
  /** Width of the terminal stdout goes to, or undefined when it is no terminal (tables are not cut then). */
  readonly columns: number | undefined;
  readonly stderrIsTTY: boolean;
  readonly env: Record<string, string | undefined>;
}

/** The process's streams. `COLUMNS` overrides the width the terminal reports. */
export function processIo(): Io {
  const env = process.env;
  const fromEnv = Number(env.COLUMNS);
  // A terminal that reports no size (0, as some ptys do) is treated as none: better wide than cut to nothing.
  const tty = process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : undefined;
  const columns = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : tty;
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    errRaw: (text) => void process.stderr.write(text),
    color: colors(colorEnabled(process.stdout, env)),
    errColor: colors(colorEnabled(process.stderr, env)),
    columns,
    stderrIsTTY: process.stderr.isTTY === true,
    env,
  };
}
