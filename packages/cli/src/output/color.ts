/** ANSI colours, on only when the stream is a terminal and `NO_COLOR` is unset (https://no-color.org). */
export interface Colors {
  readonly enabled: boolean;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const wrap = (on: boolean, open: number, close: number) => (s: string) => (on && s !== '' ? `\u001b[${open}m${s}\u001b[${close}m` : s);

export function colors(enabled: boolean): Colors {
  return {
    enabled,
    green: wrap(enabled, 32, 39),
    red: wrap(enabled, 31, 39),
    yellow: wrap(enabled, 33, 39),
    cyan: wrap(enabled, 36, 39),
    bold: wrap(enabled, 1, 22),
    dim: wrap(enabled, 2, 22),
  };
}

/** True when output to this stream should be coloured. */
export function colorEnabled(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

/** The colour of a phase by what it means: done well green, failed red, going cyan, waiting yellow, over dim. */
export function phaseColor(c: Colors, phase: string): (s: string) => string {
  switch (phase) {
    case 'Succeeded':
    case 'Ready':
    case 'Active':
    case 'Delivered':
    case 'Approved':
      return c.green;
    case 'Failed':
    case 'Invalid':
    case 'Denied':
    case 'Blocked':
    case 'Exceeded':
      return c.red;
    case 'Running':
      return c.cyan;
    case 'Pending':
    case 'Suspended':
      return c.yellow;
    case 'Cancelled':
    case 'Expired':
      return c.dim;
    default:
      return (s) => s;
  }
}

/** A phase in its colour. */
export function colorPhase(c: Colors, phase: string): string {
  return phaseColor(c, phase)(phase);
}

/** The text without ANSI escapes: what a terminal shows. */
export function stripAnsi(s: string): string {
  return s.replace(/\u001b\[[0-9;]*m/g, '');
}
