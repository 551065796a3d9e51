import type { Io } from '../io.js';
import { phaseColor } from './color.js';
import type { TableData } from './columns.js';
import { columnWidths, fitWidths, renderRow, renderTable, type CellStyle } from './table.js';
import { toYaml } from './yaml.js';

export const OUTPUT_FORMATS = ['table', 'wide', 'yaml', 'json', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Colours the PHASE column by the whole phase, even when its text was cut. */
const phaseStyle =
  (io: Io, data: TableData): CellStyle =>
  (text, column, value) =>
    column === data.phaseColumn ? phaseColor(io.color, value)(text) : text;

/** Prints a table fitted to the terminal, its PHASE column coloured; answers the widths, for rows printed later. */
export function printTable(io: Io, data: TableData): number[] {
  const { lines, widths } = renderTable(
    data.header,
    data.rows.map((r) => r.cells),
    {
      ...(io.columns !== undefined ? { maxWidth: io.columns } : {}),
      style: phaseStyle(io, data),
    },
  );
  for (const line of lines) io.out(line);
  return widths;
}

/** Prints more rows of a table already on screen, widening columns that need it (watch output). */
export function printMoreRows(io: Io, data: TableData, widths: number[]): number[] {
  const natural = columnWidths(
    data.header,
    data.rows.map((r) => r.cells),
  );
  const next = fitWidths(
    widths.map((w, i) => Math.max(w, natural[i] ?? 0)),
    data.header.map((h) => h.length),
    io.columns,
  );
  for (const row of data.rows) io.out(renderRow(row.cells, next, phaseStyle(io, data)));
  return next;
}

const FIRST_KEYS = ['apiVersion', 'kind', 'id', 'metadata', 'spec', 'status'];

/** An object with the keys of a Kubernetes object first, in kubectl's order; lists item by item. */
export function kubeOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(kubeOrder);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  if (Array.isArray(obj.items)) return { ...obj, items: obj.items.map(kubeOrder) };
  if (!('metadata' in obj)) return value;
  const first = FIRST_KEYS.filter((k) => k in obj);
  return Object.fromEntries([...first, ...Object.keys(obj).filter((k) => !FIRST_KEYS.includes(k))].map((k) => [k, obj[k]]));
}

/** One value as JSON (2-space indent) or YAML. */
export function printValue(io: Io, format: 'json' | 'yaml', value: unknown): void {
  const ordered = kubeOrder(value);
  io.out(format === 'json' ? JSON.stringify(ordered, null, 2) : toYaml(ordered).replace(/\n$/, ''));
}
