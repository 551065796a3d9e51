// Heavy clients have their own entries (`@jangar/service-kit/db`, `@jangar/service-kit/kube`), so a
// service loads only what it uses.
export * from './errors.js';
export * from './config.js';
export * from './logger.js';
export * from './tracing.js';
export * from './nats.js';
export * from './bus.js';
export * from './dead-letters.js';
export * from './cannot-process.js';
export * from './rpc.js';
export * from './health.js';
export * from './metrics.js';
export * from './lifecycle.js';
export * from './canonical.js';
export * from './naming.js';
export * from './faults.js';
export * from './continue-token.js';
export * from './group-commit.js';
export * from './limited.js';
export * from './deadline.js';
