// Public entry of @jangar/devstack: real nats-server and Postgres for `npm start` and integration tests.
export { freePort } from './ports.js';
export { waitFor } from './wait.js';
export type { WaitForOptions } from './wait.js';
export { findOrInstallNatsServer } from './nats-binary.js';
export { findOrInstallTool } from './debian-tool.js';
export type { DebianTool, FindToolOptions } from './debian-tool.js';
export type { FindNatsOptions } from './nats-binary.js';
export { startNatsServer } from './nats-server.js';
export type { NatsServerHandle, StartNatsOptions } from './nats-server.js';
export { startPostgres } from './postgres.js';
export { scratchNats, scratchPostgres } from './scratch.js';
export type { PostgresHandle, StartPostgresOptions } from './postgres.js';
export { spawnService } from './process.js';
export type { ExitInfo, ServiceProcess, SpawnServiceOptions } from './process.js';
export { connectPg, queryOnce } from './pg-client.js';
export type { PgClient } from './pg-client.js';
export { lockFile, LockHeldError } from './dir-lock.js';
export type { FileLock } from './dir-lock.js';
