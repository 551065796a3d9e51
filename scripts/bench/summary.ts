/**
 * The summary table: one row per measure, its figure beside its baseline, the ratio of the two and
 * the goal it is judged against. Pure, so what "met" means is tested, not eyeballed.
 */
import { formatTable } from './format.js';

/** A goal on the ratio (figure ÷ baseline) or on the figure itself. */
export interface Goal {
  on: 'ratio' | 'figure';
  op: '>=' | '<=' | '<';
  value: number;
}

/** What a phase measured, before judging. */
export interface Measure {
  measure: string;
  /** The phase that measured it. */
  phase: string;
  figure: number;
  /** The unit the figure and baseline are in ("req/s", "ms", "MB"). */
  unit: string;
  /** What the figure is compared with, and what that is. */
  baseline?: { value: number; what: string };
  goal?: Goal;
}

/** A judged measure: a row of the summary table, and of the JSON. */
export interface SummaryRow extends Measure {
  /** figure ÷ baseline, when there is a baseline and both are numbers. */
  ratio?: number;
  /** Whether the goal is met; absent for a measure without a goal. A missing figure never meets one. */
  met?: boolean;
}

const OPS: Record<Goal['op'], string> = { '>=': '≥', '<=': '≤', '<': '<' };

/** True when `value` satisfies the goal; NaN (nothing measured) never does. */
export function meets(value: number | undefined, goal: Goal): boolean {
  if (value === undefined || !Number.isFinite(value)) return false;
  switch (goal.op) {
    case '>=':
      return value >= goal.value;
    case '<=':
      return value <= goal.value;
    case '<':
      return value < goal.value;
  }
}

/** Computes the ratio and judges the goal. */
export function judge(m: Measure): SummaryRow {
  const ratio =
    m.baseline && Number.isFinite(m.figure) && Number.isFinite(m.baseline.value) && m.baseline.value !== 0
      ? Math.round((m.figure / m.baseline.value) * 1000) / 1000
      : undefined;
  const row: SummaryRow = { ...m, ...(ratio !== undefined ? { ratio } : {}) };
  if (m.goal) row.met = meets(m.goal.on === 'ratio' ? ratio : m.figure, m.goal);
  return row;
}

/** A figure to three significant digits (whole numbers from 100 up), with its unit. */
export function figureText(n: number, unit: string): string {
  if (!Number.isFinite(n)) return '-';
  const digits = Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
  return `${digits} ${unit}`;
}

/** The goal as printed: "ratio ≥ 0.6", "< 50 ms". */
export function goalText(goal: Goal | undefined, unit: string): string {
  if (!goal) return '-';
  return goal.on === 'ratio' ? `ratio ${OPS[goal.op]} ${goal.value}` : `${OPS[goal.op]} ${goal.value} ${unit}`;
}

/** The table printed at the end of a run: measure, figure, baseline, ratio, goal, met? */
export function renderSummary(rows: readonly SummaryRow[]): string {
  return formatTable(
    ['measure', 'figure', 'baseline', 'ratio', 'goal', 'met?'],
    rows.map((r) => [
      r.measure,
      figureText(r.figure, r.unit),
      r.baseline ? `${figureText(r.baseline.value, r.unit)} (${r.baseline.what})` : '-',
      r.ratio !== undefined ? r.ratio.toFixed(2) : '-',
      goalText(r.goal, r.unit),
      r.met === undefined ? '-' : r.met ? 'yes' : 'NO',
    ]),
  );
}
