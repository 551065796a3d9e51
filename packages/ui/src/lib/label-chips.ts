/**
 * The label-selector filter as chips: one chip per requirement, the Kubernetes selector text the
 * API receives is the chips joined with commas. Parsing uses the contracts' grammar, the same one
 * the gateway checks with, so a chip the UI accepts is a selector the API accepts.
 */
import { formatLabelSelector, LabelSelectorError, parseLabelSelector } from '@jangar/contracts';

/** The chips of a selector (one per requirement), or the parse error for a malformed one. */
export function chipsOf(selector: string): { chips: string[]; error?: string } {
  if (selector.trim() === '') return { chips: [] };
  try {
    return { chips: parseLabelSelector(selector).map((r) => formatLabelSelector([r])) };
  } catch (err) {
    return { chips: [], error: messageOf(err) };
  }
}

/** The chips after adding `text` (which may hold several requirements); duplicates are kept once. */
export function addChips(chips: readonly string[], text: string): { chips: string[]; error?: string } {
  const added = chipsOf(text);
  if (added.error !== undefined) return { chips: [...chips], error: added.error };
  return { chips: [...new Set([...chips, ...added.chips])] };
}

/** The chips without the one at `index`. */
export function removeChip(chips: readonly string[], index: number): string[] {
  return chips.filter((_, i) => i !== index);
}

/** The selector text the API receives for these chips. */
export function selectorOf(chips: readonly string[]): string {
  return chips.join(',');
}

function messageOf(err: unknown): string {
  if (err instanceof LabelSelectorError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
