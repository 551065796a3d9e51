import { NormalizedRun, statusView, TERMINAL_PHASES } from '@jangar/contracts';
import { canonicalJson, groupCommit, sha256 } from '@jangar/service-kit';
import type { Database } from '@jangar/service-kit/db';
import { WatchCursor } from './entities/index.js';

/** A digest of what a run's status says ({@link statusView}): equal digests, nothing to publish. */
export function statusDigest(run: NormalizedRun): string {
  return sha256(canonicalJson(statusView(run)));
}

/**
 * SQL that is true when resourceVersion `a` is provably older than `b` (both integers, `a`
 * smaller), as `isOlderResourceVersion` decides it in TypeScript. Integers are compared as numeric,
 * which holds any length.
 */
const OLDER_VERSION = (a: string, b: string) => `(${a} ~ '^[0-9]+$' and ${b} ~ '^[0-9]+$' and ${a}::numeric < ${b}::numeric)`;

/** True for the error of a row whose Jangar id another uid already has. */
function isReplacedRun(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | undefined;
  return e?.code === '23505' && e.constraint === 'runs_pkey';
}

/** What observing a new version compares against. */
export interface StoredVersion {
  digest: string;
  phase: string;
  resourceVersion: string;
}

/**
 * The aggregator's own store of normalized runs. It remembers what it last wrote of the most
 * recent runs, so observing a run's next version reads nothing: a run is observed eight times or
 * so in its life, and that read was a third of the aggregator's statements. What another replica
 * wrote meanwhile is never older than what this one remembers for a version it has seen, and a
 * stale memory only means a publish JetStream drops as a duplicate and an upsert of the same state.
 */
export class RunStore {
  private readonly recent = new Map<string, StoredVersion>();
  /**
   * Writes are group-committed: the versions observed while one upsert runs (runs are observed
   * side by side, `JANGAR_STATUS_CONCURRENCY`) go together in the next statement. The upsert is
   * the aggregator's most frequent statement, about six per run.
   */
  private readonly writes = groupCommit<{ run: NormalizedRun; digest: string }>((batch) => this.upsertBatch(batch));

  constructor(
    private readonly db: Database,
    /** How many runs' last versions are remembered; the oldest are forgotten first. */
    private readonly remember = 20_000,
  ) {}

  /** What is stored of a run — status digest, phase and resourceVersion — if the run is known. */
  async previous(uid: string): Promise<StoredVersion | undefined> {
    const known = this.recent.get(uid);
    if (known) return known;
    // Raw SQL: the ORM's findOne cost more CPU than the query itself.
    const rows = await this.db.query<{ status_digest: string; phase: string; resource_version: string }>(
      'select status_digest, phase, resource_version from status.runs where uid = ?',
      [uid],
    );
    const row = rows[0];
    return row ? { digest: row.status_digest, phase: row.phase, resourceVersion: row.resource_version } : undefined;
  }

  /** Writes the run's latest state. */
  async upsert(run: NormalizedRun, digest = statusDigest(run)): Promise<void> {
    await this.writes.add({ run, digest });
  }

  /** Writes and statements, for tests and metrics. */
  get writeStats(): { readonly writes: number; readonly items: number } {
    return this.writes.stats;
  }

  /**
   * Upserts a batch in one statement keyed on the uid, with updated_at on the database's clock. A
   * statement may change a row once, so of two versions of one run in a batch the later is written;
   * a version older than the stored one (another replica wrote a later one) changes nothing.
   */
  private async upsertBatch(batch: readonly { run: NormalizedRun; digest: string }[]): Promise<void> {
    const latest = new Map<string, { run: NormalizedRun; digest: string }>();
    for (const item of batch) latest.set(item.run.uid, item);
    const rows = [...latest.values()].map(({ run, digest }) => ({
      id: run.id,
      uid: run.uid,
      type: run.type,
      namespace: run.namespace,
      name: run.name,
      phase: run.phase,
      labels: run.labels,
      resource_version: run.resourceVersion,
      status_digest: digest,
      run,
      created_at: run.createdAt,
    }));
    const json = JSON.stringify(rows);
    try {
      await this.insertBatch(json);
    } catch (err) {
      if (!isReplacedRun(err)) throw err;
      // A run replaced under its Jangar id (`kubectl replace --force`, a restore from a backup) is a
      // new object with a new uid: the older object is gone, and so goes its row; a late version of
      // the older object (a replica behind) is not written over the newer. Retried for ever
      // instead, the batch would hold the watch's position back for good. Which object is older is
      // told by their creation times, not by `created_at`, which a run that waited keeps from then.
      await this.db.query(
        `delete from status.runs s using jsonb_to_recordset(?::jsonb) as r(id text, uid text, created_at timestamptz)
          where s.id = r.id and s.uid <> r.uid and (s.run->>'createdAt')::timestamptz <= r.created_at`,
        [json],
      );
      await this.insertBatch(json, { skipReplaced: true });
    }
    for (const { run, digest } of latest.values()) {
      // Re-inserted, so the Map's order is least recently written first.
      this.recent.delete(run.uid);
      this.recent.set(run.uid, { digest, phase: run.phase, resourceVersion: run.resourceVersion });
      if (this.recent.size > this.remember) this.recent.delete(this.recent.keys().next().value!);
    }
  }

  /**
   * The batch's upsert, keyed on the uid; `json` is the rows as one jsonb array. `skipReplaced`
   * leaves out rows whose Jangar id another uid holds.
   *
   * `created_at` is the lists' sort key, written once: the run's creationTimestamp, or, for a run
   * listed while it waited (`status.waiting_runs`), the time it was listed with then. Its
   * creationTimestamp is later than every run listed meanwhile, so sorted by it the run would jump
   * to the front between two pages of a list and be on neither; the run's own `createdAt` stays
   * the creationTimestamp.
   */
  private async insertBatch(json: string, opts: { skipReplaced?: boolean } = {}): Promise<void> {
    const replaced = opts.skipReplaced ? 'where not exists (select 1 from status.runs s where s.id = r.id and s.uid <> r.uid)' : '';
    // Raw SQL: the rows travel as one jsonb array, which the query builder would spread into parameters.
    await this.db.query(
      `insert into status.runs (id, uid, type, namespace, name, phase, labels, resource_version, status_digest, run, created_at, updated_at)
       select r.id, r.uid, r.type, r.namespace, r.name, r.phase, r.labels, r.resource_version, r.status_digest, r.run,
              coalesce(w.created_at, r.created_at), now()
       from jsonb_to_recordset(?::jsonb) as r(id text, uid text, type text, namespace text, name text, phase text, labels jsonb,
                                               resource_version text, status_digest text, run jsonb, created_at timestamptz)
       left join status.waiting_runs w on w.id = r.id and w.listed
       ${replaced}
       on conflict (uid) do update set phase = excluded.phase, labels = excluded.labels, resource_version = excluded.resource_version,
         status_digest = excluded.status_digest, run = excluded.run, updated_at = now()
       where not ${OLDER_VERSION('excluded.resource_version', 'status.runs.resource_version')}`,
      [json],
    );
  }

  /**
   * The stored runs of `type` not yet over, older than `resourceVersion` and not among `listed`
   * (uids): after a list taken at that version, gone from the cluster. A row that no longer parses
   * is left out, so one bad row cannot hold back every run's end.
   */
  async unfinishedBefore(type: string, resourceVersion: string, listed: ReadonlySet<string>): Promise<NormalizedRun[]> {
    // Raw SQL: the version comparison is OLDER_VERSION's, as the upsert makes it; the uids travel
    // as one jsonb array, which the query builder would spread into parameters.
    const rows = await this.db.query<{ run: unknown }>(
      `select run from status.runs, (select ?::text as rv) as list
        where type = ? and phase not in (${TERMINAL_PHASES.map(() => '?').join(', ')}) and ${OLDER_VERSION('resource_version', 'list.rv')}
          and uid not in (select jsonb_array_elements_text(?::jsonb))`,
      [resourceVersion, type, ...TERMINAL_PHASES, JSON.stringify([...listed])],
    );
    return rows.flatMap((r) => {
      const run = NormalizedRun.safeParse(r.run);
      return run.success ? [run.data] : [];
    });
  }

  /** A run by Jangar id (or Kubernetes uid). */
  async get(id: string): Promise<NormalizedRun | undefined> {
    // Two index scans, the uid one only when the id finds nothing: `id = ? or uid = ?` is planned as
    // a BitmapOr that always walks both indexes and rechecks the heap, which costs more the larger
    // the store (about 0.15 ms more per read at 100k runs, measured with `npm run bench -- --only reads`).
    const rows = await this.db.query<{ run: unknown }>(
      '(select run from status.runs where id = ?) union all (select run from status.runs where uid = ?) limit 1',
      [id, id],
    );
    return rows[0] ? NormalizedRun.parse(rows[0].run) : undefined;
  }
}

/** Where a watch resumes: the last resourceVersion whose events were all observed, per kind. */
export interface WatchState {
  get(kind: string): Promise<string | undefined>;
  set(kind: string, resourceVersion: string): Promise<void>;
}

/** {@link WatchState} in `status.watch_state`. */
export class WatchStateStore implements WatchState {
  constructor(private readonly db: Database) {}

  /** The stored resourceVersion of a kind, if its watch ever ran. */
  async get(kind: string): Promise<string | undefined> {
    return (await this.db.withEm((em) => em.findOne(WatchCursor, { kind })))?.resourceVersion;
  }

  /** Records that everything up to `resourceVersion` of `kind` has been observed. */
  async set(kind: string, resourceVersion: string): Promise<void> {
    // Raw SQL: an upsert stamped with the database's clock, like every other updated_at.
    await this.db.query(
      `insert into status.watch_state (kind, resource_version, updated_at) values (?, ?, now())
       on conflict (kind) do update set resource_version = excluded.resource_version, updated_at = now()`,
      [kind, resourceVersion],
    );
  }
}
