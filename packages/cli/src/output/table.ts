import { safeText } from './text.js';

/** Spaces between columns, as kubectl's tabwriter puts them. */
export const GAP = 3;

/** Narrowest a column is cut to when a table does not fit (its header is never cut). */
const MIN_WIDTH = 5;

const widthOf = (s: string) => [...s].length;

/** One line of a cell: control characters and newlines become spaces. */
export const cellText = safeText;

/** `text` cut to `width` characters, the last one an ellipsis when anything was cut. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 0) return '';
  return `${chars.slice(0, width - 1).join('')}…`;
}

/**
 * Column widths that fit `maxWidth` (with `GAP` between columns): while the table is too wide, the
 * widest column gives up one character, never below its header or `MIN_WIDTH`. Without `maxWidth`
 * every column keeps its natural width.
 */
export function fitWidths(natural: readonly number[], minimum: readonly number[], maxWidth?: number): number[] {
  const widths = [...natural];
  if (maxWidth === undefined) return widths;
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * Math.max(0, widths.length - 1);
  while (total() > maxWidth) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (widths[i]! > (minimum[i] ?? 0) && (widest === -1 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest === -1) break; // cannot shrink further: let it overflow
    widths[widest]!--;
  }
  return widths;
}

/** The widths of a table's columns: natural (widest cell) or fitted to `maxWidth`. */
export function columnWidths(header: readonly string[], rows: readonly (readonly string[])[], maxWidth?: number): number[] {
  const natural = header.map((h, i) => Math.max(widthOf(h), ...rows.map((r) => widthOf(cellText(r[i] ?? '')))));
  const minimum = header.map((h, i) => Math.min(natural[i]!, Math.max(widthOf(h), MIN_WIDTH)));
  return fitWidths(natural, minimum, maxWidth);
}

/** Styles a cell's text after it was cut (so escapes never count as width); `value` is the whole cell. */
export type CellStyle = (text: string, column: number, value: string) => string;

/** One row at these widths: cells cut with `…` when too long, padded, the last one unpadded. */
export function renderRow(cells: readonly string[], widths: readonly number[], style?: CellStyle): string {
  const out = cells.map((cell, i) => {
    const w = widths[i] ?? widthOf(cell);
    const cut = truncate(cellText(cell), w);
    const styled = style && cut !== '' ? style(cut, i, cell) : cut;
    return i === cells.length - 1 ? styled : styled + ' '.repeat(Math.max(0, w - widthOf(cut)));
  });
  return out.join(' '.repeat(GAP)).trimEnd();
}

/** A kubectl-style table: upper-case header, aligned columns, fitted to `maxWidth` when given. */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  opts: { maxWidth?: number; style?: CellStyle } = {},
): { lines: string[]; widths: number[] } {
  const widths = columnWidths(header, rows, opts.maxWidth);
  const lines = [renderRow(header, widths), ...rows.map((r) => renderRow(r, widths, opts.style))];
  return { lines, widths };
}
