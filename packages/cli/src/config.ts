import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './errors.js';

/** What `jangar login` stores. */
export interface FileConfig {
  server?: string;
  token?: string;
  namespace?: string;
}

/** Where the CLI sends requests, as whom, and in which namespace by default. */
export interface Settings {
  server: string;
  token: string | undefined;
  /** The namespace commands use without `-n`; undefined lists every namespace the token may read. */
  namespace: string | undefined;
}

/** Where `npm start` serves the API. */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';

type Env = Record<string, string | undefined>;

/** `$JANGAR_CONFIG`, else `$XDG_CONFIG_HOME/jangar/config.json`, else `~/.config/jangar/config.json`. */
export function configPath(env: Env = process.env): string {
  if (env.JANGAR_CONFIG) return path.resolve(env.JANGAR_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'jangar', 'config.json');
}

/** The config file, or `{}` when there is none. A file that is not a JSON object is a usage error naming it. */
export async function readConfig(file: string): Promise<FileConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`config file ${file} is not valid JSON; fix it or run "jangar login" again`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`config file ${file} must hold a JSON object`);
  const out: FileConfig = {};
  for (const key of ['server', 'token', 'namespace'] as const) {
    const value = (parsed as Record<string, unknown>)[key];
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  return out;
}

/** True when a file that holds a token can be read by others than its owner. */
export async function isExposed(file: string): Promise<boolean> {
  try {
    return ((await stat(file)).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** Writes the config with mode 0600 (its directory 0700), replacing the old file atomically. */
export async function writeConfig(file: string, config: FileConfig): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // The mode given to writeFile is masked by the umask; the file holds a token, so set it outright.
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** A server URL, checked: http or https, no trailing slash. */
export function normalizeServer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`server "${raw}" is not a URL (expected e.g. ${DEFAULT_SERVER})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`server "${raw}" must be an http or https URL`);
  return raw.replace(/\/+$/, '');
}

/**
 * The settings in force: flags win over the environment (`JANGAR_URL`, `JANGAR_TOKEN`,
 * `JANGAR_NAMESPACE`), which wins over the config file; the server defaults to `npm start`'s.
 */
export function resolveSettings(flags: { server?: string; token?: string }, env: Env, file: FileConfig): Settings {
  const pick = (...values: Array<string | undefined>) => values.find((v) => v !== undefined && v !== '');
  return {
    server: normalizeServer(pick(flags.server, env.JANGAR_URL, file.server) ?? DEFAULT_SERVER),
    token: pick(flags.token, env.JANGAR_TOKEN, file.token),
    namespace: pick(env.JANGAR_NAMESPACE, file.namespace),
  };
}
