/**
 * Two revisions of a primitive as a line diff of their YAML (labels and spec, what a revision
 * records), for the revision timeline's compare view.
 */
import { diffLines } from 'diff';
import type { Revision } from '@jangar/contracts';
import { toYaml } from './yaml.js';

export type { Revision };

export interface DiffLine {
  kind: 'added' | 'removed' | 'same';
  text: string;
}

/** What a revision says, as YAML. */
export function revisionYaml(rev: Revision): string {
  return toYaml({ metadata: { labels: rev.labels }, spec: rev.spec });
}

/** The lines of `to` against `from`, each marked added, removed or unchanged. */
export function diffRevisions(from: Revision, to: Revision): DiffLine[] {
  return diffLines(revisionYaml(from), revisionYaml(to)).flatMap((part) => {
    const kind: DiffLine['kind'] = part.added ? 'added' : part.removed ? 'removed' : 'same';
    return part.value
      .replace(/\n$/, '')
      .split('\n')
      .map((text) => ({ kind, text }));
  });
}
