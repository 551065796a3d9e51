import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** A program that a Debian package provides. */
export interface DebianTool {
  /** The executable's file name, e.g. `nats-server`. */
  binary: string;
  /** The Debian package that installs it. */
  debianPackage: string;
  /** An environment variable that may point at the executable instead. */
  envOverride?: string;
  /** What a person can do when it is missing and cannot be installed. */
  advice: string;
}

/** Options for {@link findOrInstallTool}. */
export interface FindToolOptions {
  log?: (line: string) => void;
  /** Try `apt-get install` when it is missing and we are root (default true). */
  allowInstall?: boolean;
  /** Directories to search; defaults to PATH plus the sbin/bin dirs Debian packages and manual installs use. */
  searchDirs?: readonly string[];
}

// Debian puts some daemons (nats-server) in /usr/sbin, which is not on a non-root user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin', '/sbin', '/bin'];

// Concurrent callers in one process share one install attempt per package.
const installing = new Map<string, Promise<void>>();

/** Returns the absolute path of a tool (its env override, PATH, sbin dirs), installing its Debian package as root if it is missing. */
export async function findOrInstallTool(tool: DebianTool, opts: FindToolOptions = {}): Promise<string> {
  const log = opts.log ?? (() => undefined);
  const override = tool.envOverride ? process.env[tool.envOverride] : undefined;
  if (override) {
    if (await isExecutable(override)) return path.resolve(override);
    throw new Error(`${tool.envOverride}=${override} is not an executable file`);
  }
  const dirs = opts.searchDirs ?? defaultSearchDirs();
  const found = await findIn(dirs, tool.binary);
  if (found) return found;

  const { binary, advice } = tool;
  if (opts.allowInstall === false) throw new Error(`${binary} not found in ${dirs.join(':')}. ${advice}`);
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error(`${binary} not found and cannot be installed automatically (needs root on Linux). ${advice}`);
  }
  if (!(await findIn(['/usr/bin', '/bin'], 'apt-get'))) {
    throw new Error(`${binary} not found and apt-get is unavailable. ${advice}`);
  }

  let pending = installing.get(tool.debianPackage);
  if (!pending) {
    pending = installWithApt(tool, log).finally(() => installing.delete(tool.debianPackage));
    installing.set(tool.debianPackage, pending);
  }
  try {
    await pending;
  } catch (err) {
    throw new Error(`${binary} not found and \`apt-get install ${tool.debianPackage}\` failed: ${(err as Error).message}\n${advice}`, {
      cause: err,
    });
  }
  const installed = await findIn(dirs, binary);
  if (!installed) throw new Error(`apt-get installed ${tool.debianPackage} but ${binary} is not in ${dirs.join(':')}. ${advice}`);
  log(`installed ${installed}`);
  return installed;
}

function defaultSearchDirs(): string[] {
  const fromPath = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  return [...new Set([...fromPath, ...EXTRA_DIRS])];
}

async function findIn(dirs: readonly string[], name: string): Promise<string | undefined> {
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

async function installWithApt(tool: DebianTool, log: (line: string) => void): Promise<void> {
  log(`${tool.binary} not found; installing ${tool.debianPackage} with apt-get (one-time)…`);
  const install = () =>
    // The lock timeout lets parallel test workers queue behind each other instead of failing.
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=120', 'install', '-y', '--no-install-recommends', tool.debianPackage]);
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
