import type { RequestMessage } from '@jangar/contracts';
import type { AnyRpc, Logger, RpcValue } from '@jangar/service-kit';
import type { z } from 'zod';
import type { Authenticator } from './auth.js';
import type { GatewayConfig } from './config.js';
import type { DeliveryStore, StoredResponse } from './deliveries/store.js';

/** Everything the HTTP layer needs, so tests can build the app around real or fake parts. */
export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  auth: Authenticator;
  deliveries: DeliveryStore;
  /** Publishes a request (idempotently) and waits up to `waitMs` for its stored answer. */
  publishAndWait(message: RequestMessage, waitMs: number): Promise<StoredResponse | undefined>;
  /** Calls another service's read endpoint over NATS. */
  call<D extends AnyRpc>(def: D, request: z.input<D['request']>): Promise<RpcValue<D>>;
  /**
   * A core NATS subscription (no replay) delivering each message's JSON. It resolves once the server
   * has registered it, so every later publication reaches it; the returned function unsubscribes.
   */
  subscribe(subject: string, onMessage: (data: unknown) => void): Promise<() => void>;
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  /** The largest request message the bus takes, in bytes (its `max_payload`, less room for headers); undefined while unknown. */
  maxMessageBytes(): number | undefined;
}
