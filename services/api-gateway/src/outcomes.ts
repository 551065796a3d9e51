/**
 * How a gateway learns a request's outcome.
 *
 * Every replica holds a plain (core NATS) subscription on the outcome subjects: JetStream delivers
 * each published outcome to it too, so a waiting HTTP request wakes within a round trip. This path
 * is best-effort; the durable `gateway-outcomes` consumer (shared by all replicas) stores every
 * outcome's answer in the deliveries table, so an outcome that arrives when nobody waits — after a
 * 202, or after a gateway crash — is still the answer every retry gets.
 *
 * Each replica also keeps the outcomes that passed by lately. A client whose replica died before
 * answering retries on another, which waits for an outcome already published: without them it
 * waited until the durable consumer stored the answer, one ack wait later, since the dead replica
 * held that copy too.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { SUBJECTS, type OutcomeMessage } from '@jangar/contracts';
import type { Logger } from '@jangar/service-kit';
import { Recent } from './recent.js';

/**
 * How often a waiting request also reads its row. The subscription delivers nearly every outcome;
 * the read covers one published while this replica was reconnecting, and each read is a query per
 * waiting request, so under load a short interval costs more than the rare miss it shortens.
 */
const POLL_MS = 1_000;

/** The outcomes a replica keeps: longer than the consumers' ack wait, and no more than a few MiB. */
const PASSED_BY_LIMITS = { entries: 20_000, bytes: 16 * 1024 * 1024, ageMs: 30_000 };

const decoder = new TextDecoder();

/** A message's JSON, or undefined when it is not JSON (the schema check then reports it). */
function jsonOf(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

/** A request waiting for the outcome of one attempt. */
interface Waiting {
  attempt: number;
  resolve: (m: OutcomeMessage) => void;
}

export class OutcomeWaiter {
  private readonly waiters = new Map<string, Set<Waiting>>();
  /** Outcomes that passed by lately, by `<requestKey>#<attempt>`, as their JSON: checked against the schema when a wait finds one. */
  private readonly passedBy = new Recent<unknown>(PASSED_BY_LIMITS);
  private readonly sub: Subscription;

  constructor(
    nc: NatsConnection,
    private readonly logger: Logger,
  ) {
    const sub = nc.subscribe(SUBJECTS.outcome.filter());
    this.sub = sub;
    void (async () => {
      for await (const m of sub) {
        const data = jsonOf(m.data) as { requestKey?: unknown; attempt?: unknown } | undefined;
        const key = data?.requestKey;
        if (typeof key === 'string') this.passedBy.set(`${key}#${String(data?.attempt)}`, data, m.data.length);
        // Every replica sees every outcome; most have nobody waiting here (a 202 was answered,
        // another replica took the request): those skip the schema check.
        if (this.waiters.size === 0) continue;
        if (typeof key === 'string' && !this.waiters.has(key)) continue;
        const parsed = SUBJECTS.outcome.schema.safeParse(data);
        if (!parsed.success) {
          logger.warn({ subject: m.subject }, 'ignoring an outcome that does not match its schema');
          continue;
        }
        // An earlier attempt's outcome, published again by a redelivered handler, is no answer to this one.
        for (const w of this.waiters.get(parsed.data.requestKey) ?? []) if (w.attempt === parsed.data.attempt) w.resolve(parsed.data);
      }
    })();
  }

  /**
   * Registers interest in the outcome of `attempt` of a request before it is published (so the
   * outcome cannot slip by), and returns a function that waits up to `ms` for it, checking `poll`
   * now and then in case the outcome passed while this replica was reconnecting.
   */
  expect<T>(
    requestKey: string,
    attempt: number,
    poll: () => Promise<T | undefined>,
  ): (ms: number) => Promise<OutcomeMessage | T | undefined> {
    let resolveOutcome!: (m: OutcomeMessage) => void;
    const arrived = new Promise<OutcomeMessage>((r) => (resolveOutcome = r));
    const waiting: Waiting = { attempt, resolve: resolveOutcome };
    // Published before this wait began: a retry after the replica that took the request died.
    const seen = this.passedBy.get(`${requestKey}#${attempt}`);
    if (seen !== undefined) {
      const parsed = SUBJECTS.outcome.schema.safeParse(seen);
      if (parsed.success) resolveOutcome(parsed.data);
      else this.logger.warn({ requestKey }, 'ignoring an outcome that does not match its schema');
    }
    const set = this.waiters.get(requestKey) ?? new Set();
    set.add(waiting);
    this.waiters.set(requestKey, set);
    const release = () => {
      set.delete(waiting);
      if (set.size === 0) this.waiters.delete(requestKey);
    };
    return async (ms) => {
      const deadline = Date.now() + ms;
      let expiry: NodeJS.Timeout | undefined;
      // A poll must not hold the answer past the wait: a Postgres that hangs would hold it until the
      // statement's own deadline. The answer is then 202, as for any outcome slower than the wait.
      const over = new Promise<undefined>((r) => (expiry = setTimeout(() => r(undefined), ms)));
      try {
        for (;;) {
          const left = deadline - Date.now();
          if (left <= 0) return undefined;
          let timer: NodeJS.Timeout | undefined;
          const tick = new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), Math.min(left, POLL_MS))));
          const got = await Promise.race([arrived, tick]);
          clearTimeout(timer);
          if (got !== 'tick') return got;
          const polled = await Promise.race([poll(), arrived, over]);
          if (polled !== undefined) return polled;
        }
      } finally {
        clearTimeout(expiry);
        release();
      }
    };
  }

  close(): void {
    this.sub.unsubscribe();
  }
}
