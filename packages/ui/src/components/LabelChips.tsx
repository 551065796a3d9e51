/** Labels as `key=value` chips; none shows a dash. */
export function LabelChips({ labels }: { labels: Record<string, string> | undefined }) {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return <span className="muted">-</span>;
  return (
    <ul className="chips" aria-label="labels">
      {entries.map(([k, v]) => (
        <li key={k} className="chip">
          {k}={v}
        </li>
      ))}
    </ul>
  );
}
