/**
 * Labels as `key=value` chips. The labels Jangar sets itself (its id, delivery digest,
 * managed-by) are summarized as "+N system" unless `showSystem`, so the labels people chose stand
 * out in a list; the summary's tooltip still names them.
 */
import { isSystemLabel } from '../lib/labels.js';

export function LabelChips({ labels, showSystem = false }: { labels: Record<string, string> | undefined; showSystem?: boolean }) {
  const entries = Object.entries(labels ?? {});
  const own = entries.filter(([k]) => !isSystemLabel(k));
  const system = entries.filter(([k]) => isSystemLabel(k));
  if (entries.length === 0) return <span className="muted">-</span>;
  return (
    <ul className="chips" aria-label="labels">
      {own.map(([k, v]) => (
        <li key={k} className="chip">
          {k}={v}
        </li>
      ))}
      {showSystem
        ? system.map(([k, v]) => (
            <li key={k} className="chip chip-system">
              {k}={v}
            </li>
          ))
        : null}
      {!showSystem && system.length > 0 ? (
        <li className="chip chip-system" title={system.map(([k, v]) => `${k}=${v}`).join('\n')}>
          +{system.length} system
        </li>
      ) : null}
    </ul>
  );
}
