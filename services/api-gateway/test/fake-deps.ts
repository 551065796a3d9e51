import type { RequestMessage } from '@jangar/contracts';
import { createLogger, DomainError } from '@jangar/service-kit';
import { buildApp } from '../src/app.js';
import { Authenticator } from '../src/auth.js';
import type { GatewayDeps } from '../src/deps.js';
import type { DeliveryRow, DeliveryStore, NewDelivery, StoredResponse } from '../src/deliveries/store.js';

/** Tokens the HTTP tests authenticate with. */
export const TEST_TOKENS = JSON.stringify([{ token: 'alice-token', subject: 'alice', namespaces: ['team-a'] }]);

/** The HTTP layer around stand-ins for its dependencies: tests of HTTP behaviour only, no servers. */
export function testApp(overrides: Partial<GatewayDeps> = {}) {
  const deps: GatewayDeps = {
    config: { JANGAR_BODY_LIMIT_BYTES: 4096, JANGAR_WAIT_MS: 2_000 } as GatewayDeps['config'],
    logger: createLogger('test', 'silent'),
    auth: new Authenticator(TEST_TOKENS, 'dev-token'),
    deliveries: { claim: async () => ({ claimed: true }), findByResource: async () => undefined } as unknown as DeliveryStore,
    publishAndWait: async () => ({ status: 201, contentType: 'application/json', body: '{"ok":true}' }),
    call: async () => {
      throw new DomainError('not_found', 'nothing here');
    },
    subscribe: async () => () => undefined,
    readiness: async () => ({ ready: true, checks: {} }),
    maxMessageBytes: () => undefined,
    ...overrides,
  };
  return buildApp(deps);
}

/**
 * An in-memory idempotency store and bus, for `testApp({ deliveries, publishAndWait })`: a claim
 * inserts a row unless its request key exists (then it returns that row), and each publication
 * stores the answer `answer` gives as the row's, as the gateway's outcome path does (a 429 as the
 * attempt's retryable answer, which a retry reopens). `undefined` from `answer` is an outcome slower
 * than the wait budget: the row stays pending. `waits` holds the wait budget of each publication.
 */
export function memoryBus(answer: (message: RequestMessage) => StoredResponse | undefined) {
  const rows = new Map<string, DeliveryRow>();
  const published: RequestMessage[] = [];
  const waits: number[] = [];
  const deliveries = {
    findByResource: async (resourceId: string) => [...rows.values()].find((r) => r.resourceId === resourceId),
    get: async (requestKey: string) => rows.get(requestKey),
    reopen: async (row: DeliveryRow) => {
      const now = rows.get(row.requestKey);
      if (now?.state !== 'retryable' || now.attempt !== row.attempt) return undefined;
      const attempt = now.attempt + 1;
      Object.assign(now, {
        state: 'pending',
        attempt,
        message: { ...now.message, attempt },
        statusCode: null,
        contentType: null,
        responseBody: null,
      });
      return { ...now };
    },
    claim: async (d: NewDelivery): Promise<{ claimed: true } | { claimed: false; existing: DeliveryRow }> => {
      const existing = rows.get(d.requestKey);
      if (existing) return { claimed: false, existing };
      rows.set(d.requestKey, {
        requestKey: d.requestKey,
        attempt: 1,
        principal: d.principal,
        deliveryId: d.deliveryId,
        fingerprint: d.fingerprint,
        resourceId: d.resourceId,
        kind: d.kind,
        verb: d.verb,
        namespace: d.namespace,
        name: d.name ?? null,
        message: d.message,
        state: 'pending',
        publishedAt: null,
        statusCode: null,
        contentType: null,
        responseBody: null,
        resource: null,
        createdAt: new Date(),
        completedAt: null,
        expiresAt: new Date(Date.now() + 3_600_000),
      });
      return { claimed: true };
    },
  } as unknown as DeliveryStore;
  const publishAndWait = async (message: RequestMessage, waitMs: number): Promise<StoredResponse | undefined> => {
    published.push(message);
    waits.push(waitMs);
    const row = rows.get(message.requestKey);
    const stored = answer(message);
    if (row && stored && row.state === 'pending' && row.attempt === message.attempt) {
      // A 429 is kept as the attempt's answer only: the next retry reopens the row and is decided again.
      const state = stored.status === 429 ? 'retryable' : 'completed';
      Object.assign(row, { state, statusCode: stored.status, contentType: stored.contentType, responseBody: stored.body });
    }
    return stored;
  };
  return { deliveries, publishAndWait, published, rows, waits };
}
