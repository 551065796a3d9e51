/**
 * A run as the status-aggregator normalizes it, kept live over Server-Sent Events: phase,
 * conditions, provider resource, retry state and error, orchestration step progress, the
 * recorded lifecycle history and the audit trail.
 */
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { JANGAR_LABELS } from '@jangar/contracts';
import { apiGetAll } from '../api/client.js';
import type { NormalizedRun, RunHistoryEntry } from '../api/types.js';
import { AuditTrail } from '../components/AuditTrail.js';
import { Breadcrumbs } from '../components/Breadcrumbs.js';
import { Conditions } from '../components/Conditions.js';
import { LabelChips } from '../components/LabelChips.js';
import { PhaseBadge } from '../components/PhaseBadge.js';
import { ErrorState, Loading } from '../components/States.js';
import { useApi } from '../hooks/useApi.js';
import { useNow } from '../hooks/useNow.js';
import { useRunEvents, type LiveState } from '../hooks/useRunEvents.js';
import { ageOf } from '../lib/age.js';

const ROUTE_OF: Record<NormalizedRun['type'], string> = { AgentRun: 'agent-runs', OrchestrationRun: 'orchestration-runs' };
const LIVE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  ended: 'Final state',
  refused: 'Live updates refused by the gateway; reload to retry',
};

export function RunPage() {
  const id = useParams().id ?? '';
  // Keyed by id: another run's state must never show while this one loads.
  return <Run key={id} id={id} />;
}

function Run({ id }: { id: string }) {
  // The plain GET answers errors (404, 401) with a problem document the event stream cannot carry.
  const first = useApi<NormalizedRun>(`/v1/runs/${encodeURIComponent(id)}`);
  const { run: streamed, live, updates } = useRunEvents(id);
  const run = streamed ?? first.data;
  const now = useNow(1_000);

  if (!run) return first.error ? <ErrorState error={first.error} onRetry={first.reload} /> : <Loading what="the run" />;
  const route = ROUTE_OF[run.type];
  return (
    <section aria-labelledby="run-title">
      <Breadcrumbs
        trail={[
          { label: 'Jangar', to: '/' },
          { label: route === 'agent-runs' ? 'Agent runs' : 'Orchestration runs', to: `/${route}` },
          { label: run.namespace },
          { label: run.name },
        ]}
      />
      <h1 id="run-title">
        {run.type} {run.namespace}/{run.name} <PhaseBadge phase={run.phase} />
      </h1>
      <p className={`live live-${live}`} role="status" aria-live="polite" data-updates={updates}>
        <span aria-hidden="true">●</span> {LIVE_TEXT[live]} · {updates} update{updates === 1 ? '' : 's'} received
      </p>
      <p>
        <Link to={`/${route}/${encodeURIComponent(run.namespace)}/${encodeURIComponent(run.name)}?tab=yaml`}>YAML</Link>
        {' · '}
        <Link to={`/${route}/${encodeURIComponent(run.namespace)}/${encodeURIComponent(run.name)}?tab=revisions`}>Revisions</Link>
        {run.parent ? (
          <>
            {' · started by '}
            <Link to={`/${ROUTE_OF[run.parent.type]}/${encodeURIComponent(run.namespace)}/${encodeURIComponent(run.parent.name)}`}>
              {run.parent.type} {run.parent.name}
            </Link>
          </>
        ) : null}
      </p>
      <RunFacts run={run} now={now} />
      {run.steps ? <Steps run={run} steps={run.steps} /> : null}
      <h2>Conditions</h2>
      <Conditions conditions={run.conditions} now={now} />
      <h2>Lifecycle history</h2>
      <History id={run.id} version={run.resourceVersion} phase={run.phase} now={now} />
      <h2>Audit trail</h2>
      <AuditTrail resource={run.id} now={now} refreshKey={run.phase} />
    </section>
  );
}

function RunFacts({ run, now }: { run: NormalizedRun; now: number }) {
  const p = run.provider;
  return (
    <dl className="facts">
      <dt>Id</dt>
      <dd className="mono">{run.id}</dd>
      <dt>Provider</dt>
      <dd>
        {p ? `${p.type}${p.phase ? ` (${p.phase})` : ''}` : '-'}
        {p?.message ? <span className="muted"> — {p.message}</span> : null}
      </dd>
      <dt>Provider resource</dt>
      <dd className="mono">
        {p?.resource ? `${p.resource.kind} ${p.resource.namespace}/${p.resource.name} (${p.resource.apiVersion})` : '-'}
      </dd>
      <dt>Created</dt>
      <dd title={run.createdAt}>{ageOf(run.createdAt, now)} ago</dd>
      <dt>Started</dt>
      <dd title={run.startedAt}>{run.startedAt ? `${ageOf(run.startedAt, now)} ago` : 'not yet'}</dd>
      <dt>Finished</dt>
      <dd title={run.finishedAt}>{run.finishedAt ? `${ageOf(run.finishedAt, now)} ago` : 'not yet'}</dd>
      <dt>Retry</dt>
      <dd>
        {run.retry
          ? `attempt ${run.retry.attempt}${run.retry.maxAttempts ? ` of ${run.retry.maxAttempts}` : ''}${run.retry.nextRetryAt ? `, next at ${run.retry.nextRetryAt}` : ''}${run.retry.lastError ? ` — last error: ${run.retry.lastError}` : ''}`
          : 'first attempt'}
      </dd>
      {run.error ? (
        <>
          <dt>Error</dt>
          <dd className="error-text" role="alert">
            {run.error.code}
            {run.error.reason ? ` (${run.error.reason})` : ''}
            {run.error.message ? `: ${run.error.message}` : ''}
          </dd>
        </>
      ) : null}
      <dt>Correlation</dt>
      <dd className="mono">{run.correlationId ?? '-'}</dd>
      <dt>Labels</dt>
      <dd>
        <LabelChips labels={run.labels} showSystem />
      </dd>
    </dl>
  );
}

function Steps({ run, steps }: { run: NormalizedRun; steps: NonNullable<NormalizedRun['steps']> }) {
  // Runs a step started carry the orchestration-run label, so the agent-run list can select them.
  const children = `/agent-runs?namespace=${encodeURIComponent(run.namespace)}&selector=${encodeURIComponent(`${JANGAR_LABELS.orchestrationRun}=${run.name}`)}`;
  return (
    <div className="steps">
      <h2>Steps</h2>
      <label>
        {steps.done} of {steps.total} done{steps.current ? `, now ${steps.current}` : ''}
        <progress max={steps.total} value={steps.done} />
      </label>
      <p>
        <Link to={children}>Runs its steps started</Link>
      </p>
    </div>
  );
}

// The history is recorded by the audit service from the same status events, a moment after the
// stream delivers them; until its latest entry has the phase the page shows, ask again (bounded).
const HISTORY_RETRY_MS = 1_000;
const HISTORY_RETRIES = 30;

function History({ id, version, phase, now }: { id: string; version: string; phase: string; now: number }) {
  const [attempt, setAttempt] = useState(0);
  // Every page: the history is paged, oldest first.
  const history = useApi<RunHistoryEntry[]>(`/v1/runs/${encodeURIComponent(id)}/history`, `${version}#${attempt}`, apiGetAll);
  const behind = history.data !== undefined && !history.loading && history.data.at(-1)?.phase !== phase;
  useEffect(() => setAttempt(0), [version]);
  useEffect(() => {
    if (!behind || attempt >= HISTORY_RETRIES) return;
    const timer = setTimeout(() => setAttempt((n) => n + 1), HISTORY_RETRY_MS);
    return () => clearTimeout(timer);
  }, [behind, attempt]);
  if (history.error) return <ErrorState error={history.error} onRetry={history.reload} />;
  if (!history.data) return <Loading what="the history" />;
  if (history.data.length === 0) return <p className="muted">No transitions recorded yet.</p>;
  return (
    <ol className="timeline" aria-label="lifecycle history">
      {history.data.map((h) => (
        <li key={h.resourceVersion}>
          {h.previousPhase ? <PhaseBadge phase={h.previousPhase} /> : null}
          {h.previousPhase ? <span aria-label="to"> → </span> : null}
          <PhaseBadge phase={h.phase} />
          <time dateTime={h.observedAt} title={h.observedAt}>
            {ageOf(h.observedAt, now)} ago
          </time>
          {h.reason ? <span>{h.reason}</span> : null}
          {h.message ? <span className="muted">{h.message}</span> : null}
        </li>
      ))}
    </ol>
  );
}
