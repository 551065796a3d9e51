import type { Database } from '@jangar/service-kit/db';
import { RESOURCES, type Resource, type ResourceAmounts, type ResourceBudget } from '../budgets.js';

/** The limits that apply to one run; a missing one is no limit. */
export interface Limits {
  namespace?: number | undefined;
  agent?: number | undefined;
  cluster?: number | undefined;
}

/** A run asking for a slot: its request key (idempotency), identity, Agent and the resources it requests while active. */
export interface SlotRequest {
  requestKey: string;
  /** The request's attempt: 1, or more for a retry of a retryable refusal. */
  attempt: number;
  /** The run's Jangar id (its create's payload id), which its status messages carry. */
  runId: string;
  kind: string;
  namespace: string;
  name: string;
  agent: string | undefined;
  resources?: ResourceAmounts;
}

/** Everything one admission is held to: limits, budgets (of runs per period, of resources of active runs) and rate limits, and which of them only audit. */
export interface AdmissionPolicy {
  limits: Limits;
  budgets?: readonly RunBudget[];
  resourceBudgets?: readonly ResourceBudget[];
  rates?: RateLimits;
  audited?: Audited;
}

/** A budget a run would overdraw: runs started in its period, or a resource its active runs request. */
export interface SpentBudget {
  key: string;
  amount: 'runs' | Resource;
  used: number;
  limit: number;
  /** What this run asks for, for a resource. */
  asks?: number;
}

/** A budget's usage: runs started in its period, and the resources its active runs request. */
export type BudgetUsage = { runs?: number } & Partial<ResourceAmounts>;

/** What a Budget meters from the charges and slots: runs per period, resources of active runs, or both. */
export interface MeteredBudget {
  key: string;
  namespace: string;
  runs?: { periodMs: number } | undefined;
  resources?: ResourceBudget | undefined;
}

/** A budget that counts runs: its key (`Budget ns/name`), how many per period, and the period. */
export interface RunBudget {
  key: string;
  limit: number;
  periodMs: number;
}

/** Rate limits: at most `limit` runs started per `periodMs`, in the namespace and in the cluster; a missing one is no limit. */
export interface RateLimits {
  namespace?: { limit: number; periodMs: number } | undefined;
  cluster?: { limit: number; periodMs: number } | undefined;
}

/** Runs started within a rate limit's period when a run was refused by it. */
export interface RateRefusal {
  scope: 'namespace' | 'cluster';
  started: number;
  limit: number;
  periodMs: number;
}

/** The limits and budgets an audit-mode policy sets: exceeding them is reported, but admits the run all the same. */
export interface Audited {
  limits?: ReadonlySet<Refusal['scope']>;
  rates?: ReadonlySet<RateRefusal['scope']>;
  budgets?: boolean;
}

/**
 * What admission decided: refused limits and spent budgets, and — when the run was admitted,
 * perhaps past audited ones — the keys of the budgets whose usage it changed.
 */
export interface Admission {
  refusals: Refusal[];
  rateRefusals: RateRefusal[];
  spent: SpentBudget[];
  charged: string[];
}

/** A slot still held, as the reconciler checks it: its run, whether the run was created, and how long it has been held. */
export interface HeldSlot {
  requestKey: string;
  /** Null on a slot from before run ids were kept (migration 0105). */
  runId: string | null;
  kind: string;
  namespace: string;
  name: string;
  created: boolean;
  ageMs: number;
}

/** Active runs when a slot was refused, scope by scope, with the limit each was held to. */
export interface Refusal {
  scope: 'namespace' | 'agent' | 'cluster';
  active: number;
  limit: number;
}

// One lock for every admission: counts and inserts happen as one step across all replicas.
const SLOT_LOCK = 0x6a616e67; // "jang"
// With a Budget's key hashed beside it, one lock per Budget for writing its status (the two-key
// form of the advisory lock, a key space apart from SLOT_LOCK's).
const BUDGET_STATUS_LOCK = 0x6a627374; // "jbst"

/**
 * Concurrency slots in Postgres, shared by every policy replica. A transaction-scoped advisory lock
 * makes count-then-insert atomic, so no two replicas admit the same last slot.
 */
export class SlotStore {
  constructor(private readonly db: Database) {}

  /**
   * Admits a run: charges every budget that counts runs and takes a concurrency slot, or — when a
   * budget is spent or a limit reached that is not `audited` — does neither. A request that already holds its slot (a
   * redelivery) is admitted again without a second charge, and so is an attempt whose slot was
   * taken and released since (its run rejected or ended): a late copy of it, decided again by a
   * replica that read no kept decision, or a drainer or approval retried after a crash, must not
   * take a slot for a run that is over.
   */
  async admit(req: SlotRequest, policy: AdmissionPolicy): Promise<Admission> {
    const { limits, budgets = [], resourceBudgets = [], rates = {}, audited = {} } = policy;
    const asks = req.resources ?? { cpu: 0, memory: 0, gpu: 0 };
    // Raw SQL throughout: count-then-insert under an advisory lock, with filtered counts, is SQL's job.
    return this.db.transaction(async (q) => {
      await q('select pg_advisory_xact_lock(?)', [SLOT_LOCK]);
      // Everything the limits need in one round trip: every statement here is made holding the
      // cluster-wide lock, so each one saved shortens the line of decisions waiting for it.
      const rateCount = (scope: 'namespace' | 'cluster') => {
        const rate = rates[scope];
        if (!rate) return { sql: `null as started_${scope}`, params: [] };
        const where = scope === 'namespace' ? ' and namespace = ?' : '';
        return {
          sql: `(select count(*) from policy.run_slots where acquired_at > now() - make_interval(secs => ?)${where}) as started_${scope}`,
          params: scope === 'namespace' ? [rate.periodMs / 1000, req.namespace] : [rate.periodMs / 1000],
        };
      };
      const [startedNamespace, startedCluster] = [rateCount('namespace'), rateCount('cluster')];
      // Every admitted run keeps its row (released or not), so its start counts for the whole rate
      // window: one the provisioner refused too, or a client's loop of creates it refuses would
      // take the admission lock and the provisioner's reads unthrottled.
      const [counts] = await q<{
        held: boolean;
        cluster: string;
        namespace: string;
        agent: string;
        started_namespace: string | null;
        started_cluster: string | null;
      }>(
        `select exists (select 1 from policy.run_slots where request_key = ? and (released_at is null or attempt >= ?)) as held,
                count(*) as cluster,
                count(*) filter (where namespace = ?) as namespace,
                count(*) filter (where namespace = ? and agent = ?) as agent,
                ${startedNamespace.sql}, ${startedCluster.sql}
           from policy.run_slots where released_at is null`,
        [
          req.requestKey,
          req.attempt,
          req.namespace,
          req.namespace,
          req.agent ?? null,
          ...startedNamespace.params,
          ...startedCluster.params,
        ],
      );
      if (counts?.held) return { refusals: [], rateRefusals: [], spent: [], charged: [] };

      const spent: Admission['spent'] = [];
      for (const b of budgets) {
        const [row] = await q<{ n: string; mine: string }>(
          `select count(*) as n, count(*) filter (where request_key = ?) as mine
             from policy.budget_charges where budget = ? and charged_at > now() - make_interval(secs => ?)`,
          [req.requestKey, b.key, b.periodMs / 1000],
        );
        const used = Number(row?.n ?? 0);
        const mine = Number(row?.mine ?? 0) > 0;
        if (!mine && used >= b.limit) spent.push({ key: b.key, amount: 'runs', used, limit: b.limit });
      }
      for (const b of resourceBudgets) {
        const inUse = await this.requested(q, req.namespace, b.agents);
        for (const r of RESOURCES) {
          const limit = b.limits[r];
          if (limit === undefined) continue;
          // A run that asks for none of a resource is never refused on it, even by a spent budget.
          if (asks[r] > 0 && inUse[r] + asks[r] > limit) spent.push({ key: b.key, amount: r, used: inUse[r], limit, asks: asks[r] });
        }
      }
      const refusals: Refusal[] = [];
      const check = (scope: Refusal['scope'], active: number, limit: number | undefined) => {
        if (limit !== undefined && active >= limit) refusals.push({ scope, active, limit });
      };
      check('namespace', Number(counts?.namespace ?? 0), limits.namespace);
      if (req.agent !== undefined) check('agent', Number(counts?.agent ?? 0), limits.agent);
      check('cluster', Number(counts?.cluster ?? 0), limits.cluster);
      const rateRefusals: RateRefusal[] = [];
      for (const scope of ['namespace', 'cluster'] as const) {
        const rate = rates[scope];
        if (!rate) continue;
        const started = Number(counts?.[`started_${scope}`] ?? 0);
        if (started >= rate.limit) rateRefusals.push({ scope, started, limit: rate.limit, periodMs: rate.periodMs });
      }
      // An audited limit or budget is reported but lets the run through, and the run still counts.
      const blocking =
        (spent.length > 0 && !audited.budgets) ||
        refusals.some((r) => !audited.limits?.has(r.scope)) ||
        rateRefusals.some((r) => !audited.rates?.has(r.scope));
      if (blocking) return { refusals, rateRefusals, spent, charged: [] };

      for (const b of budgets) {
        await q('insert into policy.budget_charges (budget, request_key) values (?, ?) on conflict do nothing', [b.key, req.requestKey]);
      }
      await q(
        `insert into policy.run_slots (request_key, attempt, run_id, kind, namespace, name, agent, cpu, memory, gpu) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (request_key) do update set released_at = null, refused_at = null, acquired_at = now(), attempt = excluded.attempt
           where policy.run_slots.attempt < excluded.attempt`,
        [req.requestKey, req.attempt, req.runId, req.kind, req.namespace, req.name, req.agent ?? null, asks.cpu, asks.memory, asks.gpu],
      );
      return { refusals, rateRefusals, spent, charged: [...new Set([...budgets, ...resourceBudgets].map((b) => b.key))] };
    });
  }

  /**
   * Reads a Budget's usage from the charges and slots and hands it to `write`, holding that
   * Budget's lock until `write` is done: writes of one Budget's status never cross, on any
   * replica, so the last one reflects every charge and release committed before it.
   */
  async withUsage(budget: MeteredBudget, write: (used: BudgetUsage) => Promise<void>): Promise<void> {
    await this.db.transaction(async (q) => {
      await q('select pg_advisory_xact_lock(?, hashtext(?))', [BUDGET_STATUS_LOCK, budget.key]);
      const used: BudgetUsage = {};
      if (budget.runs) {
        const [row] = await q<{ n: string }>(
          'select count(*) as n from policy.budget_charges where budget = ? and charged_at > now() - make_interval(secs => ?)',
          [budget.key, budget.runs.periodMs / 1000],
        );
        used.runs = Number(row?.n ?? 0);
      }
      if (budget.resources) {
        const inUse = await this.requested(q, budget.namespace, budget.resources.agents);
        for (const r of RESOURCES) if (budget.resources.limits[r] !== undefined) used[r] = inUse[r];
      }
      await write(used);
    });
  }

  /** Runs charged to each Budget within its trailing period, in one statement. */
  async runsCharged(budgets: ReadonlyArray<{ key: string; periodMs: number }>): Promise<Map<string, number>> {
    if (budgets.length === 0) return new Map();
    // Raw SQL: one grouped count over a set of (budget, period) pairs passed as JSON.
    const rows = await this.db.query<{ key: string; n: string }>(
      `select b.key, count(c.request_key) as n
         from jsonb_to_recordset(?::jsonb) as b(key text, secs double precision)
         left join policy.budget_charges c on c.budget = b.key and c.charged_at > now() - make_interval(secs => b.secs)
        group by b.key`,
      [JSON.stringify(budgets.map((b) => ({ key: b.key, secs: b.periodMs / 1000 })))],
    );
    return new Map(rows.map((r) => [r.key, Number(r.n)]));
  }

  /** The resources the active runs of a namespace request — all of them, or those of some Agents. */
  private async requested(
    q: <T = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<T[]>,
    namespace: string,
    agents: readonly string[] | undefined,
  ): Promise<ResourceAmounts> {
    const [row] = await q<{ cpu: string | number; memory: string | number; gpu: string | number }>(
      `select coalesce(sum(cpu), 0) as cpu, coalesce(sum(memory), 0) as memory, coalesce(sum(gpu), 0) as gpu
         from policy.run_slots where released_at is null and namespace = ?${agents ? ' and agent in (select jsonb_array_elements_text(?::jsonb))' : ''}`,
      agents ? [namespace, JSON.stringify(agents)] : [namespace],
    );
    return { cpu: Number(row?.cpu ?? 0), memory: Number(row?.memory ?? 0), gpu: Number(row?.gpu ?? 0) };
  }

  /**
   * Releases the slot of a run that ended, found by the run's id; returns its namespace when one was
   * held. A slot from before run ids were kept (migration 0105) is found by kind, namespace and name.
   */
  async releaseRun(run: { id: string; kind: string; namespace: string; name: string }): Promise<string | undefined> {
    // Raw SQL here and below: one conditional update that says whether it released, stamped on the database's clock.
    const rows = await this.db.query<{ namespace: string }>(
      `update policy.run_slots set released_at = now()
        where released_at is null and (run_id = ? or (run_id is null and kind = ? and namespace = ? and name = ?)) returning namespace`,
      [run.id, run.kind, run.namespace, run.name],
    );
    return rows[0]?.namespace;
  }

  /** Notes that the run an attempt of a request admitted was created, so that its absence later means it is gone. */
  async markCreated(requestKey: string, attempt: number): Promise<void> {
    await this.db.query('update policy.run_slots set created_at = coalesce(created_at, now()) where request_key = ? and attempt <= ?', [
      requestKey,
      attempt,
    ]);
  }

  /**
   * Releases the slot a request took — rejected after all, or its run gone — and returns its
   * namespace when one was held. With `attempt`, only a slot that attempt or an earlier one took: a
   * later attempt's slot is not this outcome's to free (a slot from before attempts were kept
   * counts as attempt 1, and no attempt after an admitted one exists).
   */
  async releaseRequest(requestKey: string, attempt?: number): Promise<string | undefined> {
    const rows = await this.db.query<{ namespace: string }>(
      `update policy.run_slots set released_at = now() where request_key = ? and released_at is null${attempt === undefined ? '' : ' and attempt <= ?'}
       returning namespace`,
      attempt === undefined ? [requestKey] : [requestKey, attempt],
    );
    return rows[0]?.namespace;
  }

  /**
   * Settles the admission of a create the provisioner refused: its run never started, so its slot
   * is released (marked refused) and it counts against no Budget (whose `runs` are the runs
   * started; its charges go). It still counts in the rate window, as a request admitted. With
   * `attempt`, as {@link releaseRequest}. Returns the slot's namespace when one was held.
   */
  async giveBackRefused(requestKey: string, attempt: number): Promise<string | undefined> {
    // The row stays, released: it is what keeps a late copy of the attempt from taking a slot again.
    const rows = await this.db.query<{ namespace: string }>(
      `update policy.run_slots set released_at = now(), refused_at = now()
        where request_key = ? and released_at is null and attempt <= ? returning namespace`,
      [requestKey, attempt],
    );
    const namespace = rows[0]?.namespace;
    if (namespace !== undefined) await this.dropCharges(requestKey);
    return namespace;
  }

  /** Deletes the Budget charges of a request whose run never starts. */
  private async dropCharges(requestKey: string): Promise<void> {
    await this.db.query('delete from policy.budget_charges where request_key = ?', [requestKey]);
  }

  /**
   * Undoes an admission that lost to another replica's decision: deletes the slot the request took
   * and its Budget charges, as if the admission never happened, so the run that never starts counts
   * neither against the limits, nor in the rate window, nor against any Budget. Unless its run is
   * being started from the queue: its queue entry admitted, or leased by a drainer, which admits a
   * request that holds a slot without counting it again — the slot is that run's then. Under the
   * admission lock, so no admission reads the slot between the check and the delete. Returns its
   * namespace when one was given back.
   */
  async releaseUnlessDequeued(requestKey: string): Promise<string | undefined> {
    const namespace = await this.db.transaction(async (q) => {
      await q('select pg_advisory_xact_lock(?)', [SLOT_LOCK]);
      const rows = await q<{ namespace: string }>(
        `delete from policy.run_slots
          where request_key = ? and released_at is null
            and not exists (select 1 from policy.run_queue r where r.request_key = ?
                              and (r.state = 'Admitted' or (r.state = 'Queued' and r.leased_until > now())))
          returning namespace`,
        [requestKey, requestKey],
      );
      return rows[0]?.namespace;
    });
    // After the admission lock is let go: charges are keyed by Budget first, so this scans them,
    // and a give-back is rare. A charge counted meanwhile only refuses more, never less.
    if (namespace !== undefined) await this.dropCharges(requestKey);
    return namespace;
  }

  /**
   * Slots held longer than `olderThanMs`, for the reconciler to check against the cluster, with
   * their age in ms: `limit` of them in request-key order, after the key `after` when given.
   */
  async heldSince(olderThanMs: number, limit = 500, after?: string): Promise<HeldSlot[]> {
    // Raw SQL: the age is measured on the database's clock, the one that stamped acquired_at.
    const rows = await this.db.query<{
      request_key: string;
      run_id: string | null;
      kind: string;
      namespace: string;
      name: string;
      created: boolean;
      age_ms: number;
    }>(
      `select request_key, run_id, kind, namespace, name, created_at is not null as created,
              extract(epoch from now() - acquired_at) * 1000 as age_ms
         from policy.run_slots
        where released_at is null and acquired_at < now() - make_interval(secs => ?) and request_key > ?
        order by request_key limit ?`,
      [olderThanMs / 1000, after ?? '', limit],
    );
    return rows.map((r) => ({
      requestKey: r.request_key,
      runId: r.run_id,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      created: r.created,
      ageMs: Number(r.age_ms),
    }));
  }
}
