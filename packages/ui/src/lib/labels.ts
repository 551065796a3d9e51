import { JANGAR_LABELS } from '@jangar/contracts';

const SYSTEM_KEYS = new Set<string>(Object.values(JANGAR_LABELS));

/** True for the labels Jangar writes on every resource (not chosen by whoever created it). */
export function isSystemLabel(key: string): boolean {
  return SYSTEM_KEYS.has(key) || key.startsWith('jangar.proompteng.ai/');
}
