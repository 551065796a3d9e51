import type { NormalizedRun, RequestMessage } from '@jangar/contracts';
import type { Logger } from '@jangar/service-kit';
import type { Authenticator } from './auth.js';
import type { GatewayConfig } from './config.js';
import type { DeliveryStore, StoredResponse } from './deliveries/store.js';

/** Everything the HTTP layer needs, so tests can build the app around real or fake parts. */
export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  auth: Authenticator;
  deliveries: DeliveryStore;
  /** Publishes a request (idempotently) and waits up to the wait budget for its stored answer. */
  publishAndWait(message: RequestMessage): Promise<StoredResponse | undefined>;
  /** Reads a normalized run from the status-aggregator. */
  getRun(id: string): Promise<NormalizedRun>;
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }>;
}
