import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Options for {@link findOrInstallNatsServer}. */
export interface FindNatsOptions {
  log?: (line: string) => void;
  /** Try `apt-get install nats-server` when it is missing and we are root (default true). */
  allowInstall?: boolean;
  /** Directories to search; defaults to PATH plus the sbin/bin dirs the Debian package and manual installs use. */
  searchDirs?: readonly string[];
}

// Debian puts nats-server in /usr/sbin, which is not on a non-root user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin', '/sbin', '/bin'];

// Concurrent callers in one process share one install attempt.
let installing: Promise<void> | undefined;

/** Returns the absolute path of a nats-server binary (NATS_SERVER_BIN, PATH, sbin dirs), installing the Debian package as root if it is missing. */
export async function findOrInstallNatsServer(opts: FindNatsOptions = {}): Promise<string> {
  const log = opts.log ?? (() => undefined);
  const override = process.env.NATS_SERVER_BIN;
  if (override) {
    if (await isExecutable(override)) return path.resolve(override);
    throw new Error(`NATS_SERVER_BIN=${override} is not an executable file`);
  }
  const dirs = opts.searchDirs ?? defaultSearchDirs();
  const found = await findIn(dirs);
  if (found) return found;

  const advice =
    'Install it (Debian/Ubuntu: `sudo apt-get install nats-server`; or a release from https://github.com/nats-io/nats-server/releases), ' +
    'point NATS_SERVER_BIN at the binary, or set NATS_URL to use an existing server.';
  if (opts.allowInstall === false) throw new Error(`nats-server not found in ${dirs.join(':')}. ${advice}`);
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error(`nats-server not found and cannot be installed automatically (needs root on Linux). ${advice}`);
  }
  if (!(await findIn(['/usr/bin', '/bin'], 'apt-get'))) {
    throw new Error(`nats-server not found and apt-get is unavailable. ${advice}`);
  }

  installing ??= installWithApt(log).finally(() => {
    installing = undefined;
  });
  try {
    await installing;
  } catch (err) {
    throw new Error(`nats-server not found and \`apt-get install nats-server\` failed: ${(err as Error).message}\n${advice}`, {
      cause: err,
    });
  }
  const installed = await findIn(dirs);
  if (!installed) throw new Error(`apt-get installed nats-server but it is not in ${dirs.join(':')}. ${advice}`);
  log(`installed ${installed}`);
  return installed;
}

function defaultSearchDirs(): string[] {
  const fromPath = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  return [...new Set([...fromPath, ...EXTRA_DIRS])];
}

async function findIn(dirs: readonly string[], name = 'nats-server'): Promise<string | undefined> {
  for (const dir of dirs) {
    const candidate = path.resolve(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function installWithApt(log: (line: string) => void): Promise<void> {
  log('nats-server not found; installing it with apt-get (one-time)…');
  const install = () =>
    // The lock timeout lets parallel test workers queue behind each other instead of failing.
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'install', '-y', '--no-install-recommends', 'nats-server']);
  try {
    await install();
  } catch (first) {
    // A fresh image often has empty package lists; refresh them once and retry.
    log(`apt-get install failed (${firstLine(first)}); running apt-get update and retrying…`);
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'update']);
    await install();
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err) reject(new Error(`${command} ${args.join(' ')}: ${stderr.trim() || err.message}`, { cause: err }));
        else resolve();
      },
    );
  });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
