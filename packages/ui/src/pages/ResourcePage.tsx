/** One resource: overview (phase, labels, conditions), YAML inspector, revision timeline and audit trail as tabs in the URL. */
import { Link, Navigate, useParams, useSearchParams } from 'react-router';
import type { Condition, ResourceView } from '../api/types.js';
import { AuditTrail } from '../components/AuditTrail.js';
import { Breadcrumbs } from '../components/Breadcrumbs.js';
import { Conditions } from '../components/Conditions.js';
import { Inspector } from '../components/Inspector.js';
import { LabelChips } from '../components/LabelChips.js';
import { PhaseBadge } from '../components/PhaseBadge.js';
import { RevisionTimeline } from '../components/RevisionTimeline.js';
import { ErrorState, Loading } from '../components/States.js';
import { useApi } from '../hooks/useApi.js';
import { useNow } from '../hooks/useNow.js';
import { ageOf } from '../lib/age.js';
import { phaseOf, providerOf, uiKindByRoute, type UiKind } from '../lib/kinds.js';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'yaml', label: 'YAML' },
  { id: 'revisions', label: 'Revisions' },
  { id: 'audit', label: 'Audit trail' },
] as const;
type Tab = (typeof TABS)[number]['id'];

export function ResourcePage() {
  const { kind: route, namespace = '', name = '' } = useParams();
  const kind = uiKindByRoute(route);
  if (!kind) return <Navigate to="/agents" replace />;
  return <Resource key={`${kind.route}/${namespace}/${name}`} kind={kind} namespace={namespace} name={name} />;
}

function Resource({ kind, namespace, name }: { kind: UiKind; namespace: string; name: string }) {
  const [params, setParams] = useSearchParams();
  const tab: Tab = TABS.find((t) => t.id === params.get('tab'))?.id ?? 'overview';
  const base = `/v1/${kind.route}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  const view = useApi<ResourceView>(base);
  const now = useNow();

  return (
    <section aria-labelledby="resource-title">
      <Breadcrumbs trail={[{ label: 'Jangar', to: '/' }, { label: kind.title, to: `/${kind.route}` }, { label: namespace }, { label: name }]} />
      <h1 id="resource-title">
        {kind.kind} {namespace}/{name}{' '}
        {/* Kinds without phases (Agent, Memory) show none rather than "Unknown". */}
        {view.data && (kind.phases.length > 0 || phaseOf(view.data)) ? <PhaseBadge phase={phaseOf(view.data)} /> : null}
      </h1>
      <nav className="tabs" aria-label="views of this resource">
        {TABS.map((t) => (
          <button key={t.id} type="button" aria-current={tab === t.id ? 'page' : undefined} onClick={() => setParams({ tab: t.id })}>
            {t.label}
          </button>
        ))}
        {kind.isRun && view.data ? (
          <Link className="aside" to={`/runs/${encodeURIComponent(view.data.id)}`}>
            Live run view
          </Link>
        ) : null}
      </nav>
      {view.error ? (
        <ErrorState error={view.error} onRetry={view.reload} />
      ) : !view.data ? (
        <Loading what={`${kind.kind} ${name}`} />
      ) : tab === 'overview' ? (
        <Overview view={view.data} now={now} />
      ) : tab === 'yaml' ? (
        <Inspector view={view.data} />
      ) : tab === 'revisions' ? (
        <RevisionTimeline path={`${base}/revisions`} now={now} />
      ) : (
        <AuditTrail resource={`${kind.kind}/${namespace}/${name}`} now={now} />
      )}
    </section>
  );
}

function Overview({ view, now }: { view: ResourceView; now: number }) {
  const conditions = (view.status as { conditions?: Condition[] } | undefined)?.conditions;
  return (
    <>
      <dl className="facts">
        <dt>Id</dt>
        <dd className="mono">{view.id}</dd>
        <dt>Created</dt>
        <dd title={view.metadata.creationTimestamp}>{ageOf(view.metadata.creationTimestamp, now)} ago</dd>
        <dt>Provider</dt>
        <dd>{providerOf(view) ?? '-'}</dd>
        <dt>Generation</dt>
        <dd>{view.metadata.generation ?? '-'}</dd>
        <dt>Labels</dt>
        <dd>
          <LabelChips labels={view.metadata.labels} showSystem />
        </dd>
      </dl>
      <h2>Conditions</h2>
      <Conditions conditions={conditions} now={now} />
    </>
  );
}
