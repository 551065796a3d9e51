/**
 * The client side of the idempotency contract: a create is sent with a deliveryId, and an answer
 * that says "try again" (a connection error while a process is down, 503, 409 request_in_progress)
 * is retried with the same deliveryId and the same body, with capped backoff, until the gateway
 * gives another answer or the client's patience runs out. Every answer goes into the ledger.
 */
import { isRetryable, type Answer, type Ledger } from './ledger.js';

export interface ChaosClientOptions {
  gatewayUrl: string;
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

export class ChaosClient {
  constructor(private readonly o: ChaosClientOptions) {}

  /** One POST, recorded; a refused connection or a timeout is status 0. */
  async attempt(deliveryId: string): Promise<Answer> {
    const answer = await fetch(`${this.o.gatewayUrl}/v1/agent-runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.o.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(chaosRun(this.o.namespace, deliveryId)),
      signal: AbortSignal.timeout(this.o.requestTimeoutMs ?? 30_000),
    }).then(
      async (res) => ({ status: res.status, body: await res.text() }),
      () => ({ status: 0, body: '' }),
    );
    this.o.ledger.record(deliveryId, answer);
    return answer;
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
