/**
 * The client side of the idempotency contract: a create (a delete, a patch) is sent with a deliveryId, and an answer
 * that says "try again" (a connection error while a process is down, 503, 409 request_in_progress)
 * is retried with the same deliveryId and the same body, with capped backoff, until the gateway
 * gives another answer or the client's patience runs out. Every answer goes into the ledger.
 * With several gateway replicas, a deliveryId's attempts go to one replica after another, so a
 * retry, or a copy racing the first attempt, lands on a replica that did not take the first.
 */
import { isRetryable, type Answer, type ChangeVerb, type Ledger } from './ledger.js';

export interface ChaosClientOptions {
  /** One base URL per gateway replica. */
  gatewayUrls: readonly string[];
  token: string;
  namespace: string;
  ledger: Ledger;
  /** How long one request may take before the client gives up on it and retries (default 30 s). */
  requestTimeoutMs?: number;
  /** How long a client keeps retrying one deliveryId (default 180 s). */
  patienceMs?: number;
}

/** The AgentRun a chaos client creates for a deliveryId; the same body on every attempt. */
export function chaosRun(namespace: string, deliveryId: string) {
  return {
    deliveryId,
    metadata: { namespace },
    spec: { agentRef: { name: 'coder' }, runtime: { type: 'job' }, implementation: { inline: { text: `chaos ${deliveryId}` } } },
  };
}

/** The label a chaos patch sets on a run: its own deliveryId, so the verification can tell it applied. */
export const PATCH_LABEL = 'chaos-patched';

export class ChaosClient {
  /** The runs the client deletes or patches, by the change's deliveryId: every attempt of it is the same request. */
  private readonly changes = new Map<string, { verb: ChangeVerb; name: string }>();
  /** Per deliveryId, the replica its next attempt goes to (an index that only grows, taken modulo their count). */
  private readonly nextReplica = new Map<string, number>();
  private firstReplica = 0;

  constructor(private readonly o: ChaosClientOptions) {}

  /** One attempt, recorded; a refused connection or a timeout is status 0. */
  async attempt(deliveryId: string): Promise<Answer> {
    const sentAt = Date.now();
    const answer = await fetch(...this.request(deliveryId)).then(
      async (res) => ({ status: res.status, body: await res.text() }),
      () => ({ status: 0, body: '' }),
    );
    this.o.ledger.record(deliveryId, { ...answer, sentAt, ms: Date.now() - sentAt });
    return answer;
  }

  /** Deletes or patches the run `createdBy` created, as the request `deliveryId`; sent like {@link send}. */
  async change(deliveryId: string, verb: ChangeVerb, createdBy: string, name: string): Promise<Answer> {
    this.changes.set(deliveryId, { verb, name });
    this.o.ledger.noteChange(deliveryId, verb, createdBy);
    return this.send(deliveryId);
  }

  /** The gateway replica for the next attempt of `deliveryId`: the deliveryIds' first attempts take turns, later ones move on. */
  replicaFor(deliveryId: string): string {
    const n = this.nextReplica.get(deliveryId) ?? this.firstReplica++;
    this.nextReplica.set(deliveryId, n + 1);
    return this.o.gatewayUrls[n % this.o.gatewayUrls.length]!;
  }

  private request(deliveryId: string): [string, RequestInit] {
    const gatewayUrl = this.replicaFor(deliveryId);
    const headers = { authorization: `Bearer ${this.o.token}` };
    const signal = AbortSignal.timeout(this.o.requestTimeoutMs ?? 30_000);
    const change = this.changes.get(deliveryId);
    if (!change) {
      const body = JSON.stringify(chaosRun(this.o.namespace, deliveryId));
      return [`${gatewayUrl}/v1/agent-runs`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, signal }];
    }
    const url = `${gatewayUrl}/v1/agent-runs/${this.o.namespace}/${change.name}`;
    const keyed = { ...headers, 'idempotency-key': deliveryId };
    if (change.verb === 'delete') return [url, { method: 'DELETE', headers: keyed, signal }];
    const body = JSON.stringify({ metadata: { labels: { [PATCH_LABEL]: deliveryId } } });
    return [url, { method: 'PATCH', headers: { ...keyed, 'content-type': 'application/merge-patch+json' }, body, signal }];
  }

  /** Sends until the answer is not a "try again"; returns the last answer (a retryable one if patience ran out). */
  async send(deliveryId: string): Promise<Answer> {
    const deadline = Date.now() + (this.o.patienceMs ?? 180_000);
    let backoff = 100;
    for (;;) {
      const answer = await this.attempt(deliveryId);
      if (!isRetryable(answer) || Date.now() > deadline) return answer;
      await new Promise((r) => setTimeout(r, backoff * (0.5 + Math.random())));
      backoff = Math.min(backoff * 2, 2_000);
    }
  }
}
