import type { KindDefinition, NormalizedRun, ResourceView } from '@jangar/contracts';
import { hasPhase } from '../kinds.js';
import { age } from './age.js';

/** A table ready to render: header, rows, and which columns mean what. */
export interface TableData {
  header: string[];
  rows: Array<{ key: string; cells: string[] }>;
  /** Index of the PHASE column, coloured by phase. */
  phaseColumn: number | undefined;
  /** Index of the AGE column, which changes by itself (ignored when a watch compares rows). */
  ageColumn: number;
}

export interface TableOptions {
  showNamespace: boolean;
  wide: boolean;
  now?: number;
}

/** The value at a printer column's JSONPath (`.spec.agentRef.name`, `.status.items[0].name`), as text. */
export function jsonPathValue(obj: unknown, path: string): string {
  const parts = path
    .replace(/^\./, '')
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '');
  let cur: unknown = obj;
  for (const part of parts) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** A resource's labels as `k=v,k2=v2`, without Jangar's own. */
export function labelText(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .filter(([k]) => !k.startsWith('jangar.proompteng.ai/') && k !== 'app.kubernetes.io/managed-by')
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

const phaseOfStatus = (status: unknown): string => jsonPathValue(status, '.phase');

/** The kubectl table of a kind: [NAMESPACE] NAME, the kind's printer columns, [PHASE], AGE; wide adds ID and LABELS. */
export function resourceTable(kind: KindDefinition, items: readonly ResourceView[], opts: TableOptions): TableData {
  const phase = hasPhase(kind);
  const header = [
    ...(opts.showNamespace ? ['NAMESPACE'] : []),
    'NAME',
    ...kind.columns.map((c) => c.name.toUpperCase()),
    ...(phase ? ['PHASE'] : []),
    'AGE',
    ...(opts.wide ? ['ID', 'LABELS'] : []),
  ];
  const rows = items.map((r) => ({
    key: `${r.metadata.namespace}/${r.metadata.name}`,
    cells: [
      ...(opts.showNamespace ? [r.metadata.namespace] : []),
      r.metadata.name,
      ...kind.columns.map((c) => jsonPathValue(r, c.jsonPath)),
      ...(phase ? [phaseOfStatus(r.status)] : []),
      age(r.metadata.creationTimestamp, opts.now),
      ...(opts.wide ? [r.id, labelText(r.metadata.labels)] : []),
    ],
  }));
  const base = opts.showNamespace ? 2 : 1;
  const phaseColumn = phase ? base + kind.columns.length : undefined;
  return { header, rows, phaseColumn, ageColumn: base + kind.columns.length + (phase ? 1 : 0) };
}

/** How far a run's steps are: `2/5`. */
const stepsText = (run: NormalizedRun) => (run.steps ? `${run.steps.done}/${run.steps.total}` : '');

/** The table of normalized runs: [NAMESPACE] NAME ID TYPE PROVIDER PHASE AGE; wide adds STEPS, PARENT and LABELS. */
export function runTable(items: readonly NormalizedRun[], opts: TableOptions): TableData {
  const header = [
    ...(opts.showNamespace ? ['NAMESPACE'] : []),
    'NAME',
    'ID',
    'TYPE',
    'PROVIDER',
    'PHASE',
    'AGE',
    ...(opts.wide ? ['STEPS', 'PARENT', 'LABELS'] : []),
  ];
  const rows = items.map((run) => ({
    key: run.id,
    cells: [
      ...(opts.showNamespace ? [run.namespace] : []),
      run.name,
      run.id,
      run.type,
      run.provider?.type ?? '',
      run.phase,
      age(run.createdAt, opts.now),
      ...(opts.wide ? [stepsText(run), run.parent ? `${run.parent.type}/${run.parent.name}` : '', labelText(run.labels)] : []),
    ],
  }));
  const base = opts.showNamespace ? 1 : 0;
  return { header, rows, phaseColumn: base + 4, ageColumn: base + 5 };
}
