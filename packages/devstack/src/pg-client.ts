// node-postgres ships no type declarations and @types/pg is not installed; a global `declare module 'pg'`
// would leak into every package of the monorepo, so we load it with require and type just what we use.
import { createRequire } from 'node:module';

/** The part of a node-postgres Client that devstack uses. */
export interface PgClient {
  connect(): Promise<void>;
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): void;
  escapeIdentifier(name: string): string;
}

interface PgModule {
  Client: new (config: { connectionString: string; connectionTimeoutMillis?: number }) => PgClient;
}

const require = createRequire(import.meta.url);

/** Connects a node-postgres client to `url`; the caller must end() it. */
export async function connectPg(url: string, connectionTimeoutMillis = 5_000): Promise<PgClient> {
  const { Client } = require('pg') as PgModule;
  const client = new Client({ connectionString: url, connectionTimeoutMillis });
  // A server going away must surface as a failed query, not as an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Runs one query on a fresh connection and closes it. */
export async function queryOnce<R = Record<string, unknown>>(url: string, sql: string, params?: unknown[]): Promise<R[]> {
  const client = await connectPg(url);
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}
