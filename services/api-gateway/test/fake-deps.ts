import { createLogger, DomainError } from '@jangar/service-kit';
import { buildApp } from '../src/app.js';
import { Authenticator } from '../src/auth.js';
import type { GatewayDeps } from '../src/deps.js';
import type { DeliveryStore } from '../src/deliveries/store.js';

/** Tokens the HTTP tests authenticate with. */
export const TEST_TOKENS = JSON.stringify([{ token: 'alice-token', subject: 'alice', namespaces: ['team-a'] }]);

/** The HTTP layer around stand-ins for its dependencies: tests of HTTP behaviour only, no servers. */
export function testApp(overrides: Partial<GatewayDeps> = {}) {
  const deps: GatewayDeps = {
    config: { JANGAR_BODY_LIMIT_BYTES: 4096 } as GatewayDeps['config'],
    logger: createLogger('test', 'silent'),
    auth: new Authenticator(TEST_TOKENS, 'dev-token'),
    deliveries: { claim: async () => ({ claimed: true }) } as unknown as DeliveryStore,
    publishAndWait: async () => ({ status: 201, contentType: 'application/json', body: '{"ok":true}' }),
    call: async () => {
      throw new DomainError('not_found', 'nothing here');
    },
    subscribe: async () => () => undefined,
    readiness: async () => ({ ready: true, checks: {} }),
    ...overrides,
  };
  return buildApp(deps);
}
