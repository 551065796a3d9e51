/**
 * One kind's list: filters (namespace, label selector, phases) in the URL, keyset paging, and the
 * loading, empty and error states. Run kinds link to their live run page.
 */
import { Link, Navigate, useParams } from 'react-router';
import { queryString } from '../api/client.js';
import type { Page, ResourceView } from '../api/types.js';
import { DataTable } from '../components/DataTable.js';
import { Breadcrumbs } from '../components/Breadcrumbs.js';
import { LabelChips } from '../components/LabelChips.js';
import { NamespaceFilter } from '../components/NamespaceFilter.js';
import { Pager } from '../components/Pager.js';
import { PhaseBadge } from '../components/PhaseBadge.js';
import { PhaseFilter } from '../components/PhaseFilter.js';
import { SelectorInput } from '../components/SelectorInput.js';
import { Empty, ErrorState, Loading } from '../components/States.js';
import { useApi } from '../hooks/useApi.js';
import { PAGE_SIZES, useListFilters, type ListFilters } from '../hooks/useListFilters.js';
import { useNow } from '../hooks/useNow.js';
import { ageOf } from '../lib/age.js';
import { phaseOf, providerOf, uiKindByRoute, type UiKind } from '../lib/kinds.js';

function listPath(kind: UiKind, f: ListFilters): string {
  return `/v1/${kind.route}${queryString({
    namespace: f.namespace,
    labelSelector: f.selector,
    phase: f.phases.join(','),
    limit: f.limit,
    continue: f.continueToken,
  })}`;
}

export function ListPage() {
  const kind = uiKindByRoute(useParams().kind);
  if (!kind) return <Navigate to="/agents" replace />;
  // Keyed by kind: another kind's rows must never show under this title while its list loads.
  return <KindList key={kind.route} kind={kind} />;
}

function KindList({ kind }: { kind: UiKind }) {
  const { filters, update, goToPage } = useListFilters();
  const page = useApi<Page<ResourceView>>(listPath(kind, filters));
  const now = useNow();
  const filtered = filters.namespace !== '' || filters.selector !== '' || filters.phases.length > 0;

  return (
    <section aria-labelledby="list-title">
      <Breadcrumbs trail={[{ label: 'Jangar', to: '/' }, { label: kind.title }]} />
      <h1 id="list-title">{kind.title}</h1>
      <div className="filters">
        <NamespaceFilter namespace={filters.namespace} onChange={(namespace) => update({ namespace })} />
        <SelectorInput selector={filters.selector} onChange={(selector) => update({ selector })} />
        <PhaseFilter phases={kind.phases} selected={filters.phases} onChange={(phases) => update({ phases })} />
        {filtered ? (
          <button type="button" className="link" onClick={() => update({ namespace: '', selector: '', phases: [] })}>
            Clear filters
          </button>
        ) : null}
      </div>
      {page.error ? (
        <ErrorState error={page.error} onRetry={page.reload} />
      ) : page.data === undefined ? (
        <Loading what={kind.title.toLowerCase()} />
      ) : page.data.items.length === 0 ? (
        <Empty>
          {filtered ? (
            <p>No {kind.title.toLowerCase()} match these filters. Remove a label requirement or a phase, or clear the filters.</p>
          ) : (
            <p>
              No {kind.title.toLowerCase()} yet. Create one with <code>POST /v1/{kind.route}</code> or <code>jangar apply</code>.
            </p>
          )}
        </Empty>
      ) : (
        <>
          <DataTable
            label={kind.title}
            className="cards"
            busy={page.loading}
            columns={['Name', 'Namespace', 'Phase', 'Labels', 'Provider', 'Age']}
          >
            {page.data.items.map((item) => (
              <Row key={item.metadata.uid} kind={kind} item={item} now={now} />
            ))}
          </DataTable>
          <p className="muted" role="status">
            {page.loading ? 'Refreshing… ' : ''}
            {page.data.items.length} shown{page.data.continue ? '; more on the next page' : ''}{' '}
            <button type="button" className="link" onClick={page.reload}>
              Refresh
            </button>
          </p>
          <label className="page-size">
            Per page{' '}
            <select value={filters.limit} onChange={(e) => update({ limit: Number(e.target.value) })}>
              {[...new Set([...PAGE_SIZES, filters.limit])]
                .sort((a, b) => a - b)
                .map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
            </select>
          </label>
          <Pager current={filters.continueToken} next={page.data.continue} trail={filters.trail} onGo={goToPage} />
        </>
      )}
    </section>
  );
}

function Row({ kind, item, now }: { kind: UiKind; item: ResourceView; now: number }) {
  const { namespace, name } = item.metadata;
  const detail = `/${kind.route}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  return (
    <tr>
      <th scope="row">
        <Link to={kind.isRun ? `/runs/${encodeURIComponent(item.id)}` : detail}>{name}</Link>
        {kind.isRun ? (
          <Link className="aside" to={detail} aria-label={`Inspect ${name}`}>
            inspect
          </Link>
        ) : null}
      </th>
      <td data-label="Namespace">{namespace}</td>
      <td data-label="Phase">
        {kind.phases.length > 0 || phaseOf(item) ? <PhaseBadge phase={phaseOf(item)} /> : <span className="muted">-</span>}
      </td>
      <td data-label="Labels">
        <LabelChips labels={item.metadata.labels} />
      </td>
      <td data-label="Provider">{providerOf(item) ?? <span className="muted">-</span>}</td>
      <td data-label="Age" title={item.metadata.creationTimestamp}>
        {ageOf(item.metadata.creationTimestamp, now)}
      </td>
    </tr>
  );
}
