import type { Command } from 'commander';
import { DEFAULT_NAMESPACE } from '@jangar/contracts';
import { ApiClient } from './client.js';
import { configPath, isExposed, readConfig, resolveSettings, type Settings } from './config.js';
import { UsageError } from './errors.js';
import type { Io } from './io.js';

/** The options every command accepts (defined on the program). */
export interface GlobalOptions {
  server?: string;
  token?: string;
  requestTimeout?: string;
}

/** What every command is built with: the terminal, and the signal Ctrl-C aborts. */
export interface Runtime {
  io: Io;
  signal: AbortSignal;
}

/** What a command runs with: where to write, where to send, as whom. */
export interface Context {
  io: Io;
  settings: Settings;
  client: ApiClient;
  /** Aborted on Ctrl-C: watches and streams end with it. */
  signal: AbortSignal;
}

/** `--request-timeout` in milliseconds (it takes seconds, `30` or `30s`); undefined when not given. */
export function requestTimeoutMs(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seconds = Number(raw.replace(/s$/, ''));
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--request-timeout must be a positive number of seconds, not "${raw}"`);
  return seconds * 1000;
}

/** The settings of a command: its flags, the environment and the config file, in that order. */
export async function contextOf(cmd: Command, { io, signal }: Runtime): Promise<Context> {
  const opts = cmd.optsWithGlobals<GlobalOptions>();
  const file = configPath(io.env);
  const config = await readConfig(file);
  if (config.token && (await isExposed(file))) io.err(`warning: ${file} holds a token and is readable by others; run: chmod 600 ${file}`);
  const settings = resolveSettings({ server: opts.server, token: opts.token }, io.env, config);
  const ms = requestTimeoutMs(opts.requestTimeout);
  const client = new ApiClient({ server: settings.server, token: settings.token, signal, ...(ms ? { timeoutMs: ms } : {}) });
  return { io, settings, client, signal };
}

/** Namespace flags of the commands that take them. */
export interface NamespaceOptions {
  namespace?: string;
  allNamespaces?: boolean;
}

/**
 * The namespace a list is scoped to: `-A` none, else `-n`, else `$JANGAR_NAMESPACE` or the config's;
 * with none of them a list covers every namespace the token may read (and shows a NAMESPACE column).
 */
export function listScope(opts: NamespaceOptions, settings: Settings): { namespace: string | undefined; showNamespace: boolean } {
  if (opts.allNamespaces) return { namespace: undefined, showNamespace: true };
  const namespace = opts.namespace ?? settings.namespace;
  return { namespace, showNamespace: namespace === undefined };
}

/** The namespace one named object is looked up in: `-n`, else the configured one, else the API's default (`jangar`). */
export function objectNamespace(opts: NamespaceOptions, settings: Settings): string {
  return opts.namespace ?? settings.namespace ?? DEFAULT_NAMESPACE;
}
