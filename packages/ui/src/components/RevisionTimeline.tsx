/**
 * Every revision of a primitive — who, when, with which deliveryId — newest first. Two checked
 * revisions (the latest two to begin with) are compared as a YAML diff, older on the left.
 */
import { useEffect, useId, useState } from 'react';
import { apiGetAll } from '../api/client.js';
import { useApi } from '../hooks/useApi.js';
import { ageOf } from '../lib/age.js';
import { diffRevisions, type Revision } from '../lib/revision-diff.js';
import { Empty, ErrorState, Loading } from './States.js';

export function RevisionTimeline({ path, now }: { path: string; now: number }) {
  // Every page: the endpoint lists them oldest first, and the newest are the ones to show.
  const revisions = useApi<Revision[]>(path, 0, apiGetAll);
  // Picked by resourceVersion: an object deleted and made again under the name numbers its
  // generations from 1 again, so a generation may name two revisions.
  const [picked, setPicked] = useState<string[]>([]);
  const items = revisions.data ? [...revisions.data].reverse() : [];
  const newestTwo = items
    .slice(0, 2)
    .map((r) => r.resourceVersion)
    .join(',');
  useEffect(() => setPicked(newestTwo ? newestTwo.split(',') : []), [newestTwo]);

  if (revisions.error) return <ErrorState error={revisions.error} onRetry={revisions.reload} />;
  if (!revisions.data) return <Loading what="revisions" />;
  if (items.length === 0) return <Empty>No revisions recorded.</Empty>;

  const toggle = (version: string, on: boolean) =>
    // At most two: checking a third replaces the one checked longest ago.
    setPicked((prev) => (on ? [...prev.filter((v) => v !== version), version].slice(-2) : prev.filter((v) => v !== version)));
  // Older on the left: the list is newest first.
  const chosen = items.filter((r) => picked.includes(r.resourceVersion)).reverse();

  return (
    <div className="revisions">
      <fieldset>
        <legend>Revisions (check two to compare)</legend>
        <ol className="timeline">
          {items.map((r) => (
            <li key={r.resourceVersion}>
              <label className="check">
                <input
                  type="checkbox"
                  checked={picked.includes(r.resourceVersion)}
                  onChange={(e) => toggle(r.resourceVersion, e.target.checked)}
                />
                <strong>Revision {r.generation}</strong>
              </label>
              <span>
                by {r.actor},{' '}
                <time dateTime={r.occurredAt} title={r.occurredAt}>
                  {ageOf(r.occurredAt, now)} ago
                </time>
              </span>
              <span className="mono">deliveryId {r.deliveryId}</span>
            </li>
          ))}
        </ol>
      </fieldset>
      {chosen.length === 2 ? (
        <Diff from={chosen[0]!} to={chosen[1]!} />
      ) : (
        <p className="muted">Check a second revision to see what changed.</p>
      )}
    </div>
  );
}

function Diff({ from, to }: { from: Revision; to: Revision }) {
  const id = useId();
  const lines = diffRevisions(from, to);
  const changed = lines.filter((l) => l.kind !== 'same').length;
  return (
    <figure className="diff" aria-labelledby={id}>
      <figcaption id={id}>
        Revision {from.generation} → {to.generation}: {changed === 0 ? 'no changes' : `${changed} changed lines`}
      </figcaption>
      <pre tabIndex={0} aria-label={`diff of revision ${from.generation} and ${to.generation}`}>
        {lines.map((l, i) => (
          <div key={i} className={`diff-${l.kind}`}>
            <span aria-hidden="true">{l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '- ' : '  '}</span>
            {l.kind === 'added' ? <ins>{l.text}</ins> : l.kind === 'removed' ? <del>{l.text}</del> : l.text}
          </div>
        ))}
      </pre>
    </figure>
  );
}
