import fs from 'node:fs/promises';
import path from 'node:path';
import { formatOwner, isAlive, readOwner, thisProcess, type Owner } from './owner.js';

/** An exclusive lock taken by {@link lockFile}. */
export interface FileLock {
  readonly file: string;
  /** Removes the lock file if it is still this process's; safe to call repeatedly. */
  release(): Promise<void>;
}

/** {@link lockFile} found the lock held by a process that still runs. */
export class LockHeldError extends Error {
  constructor(
    readonly file: string,
    readonly holder: Owner,
  ) {
    super(`${file} is held by process ${holder.pid}`);
    this.name = 'LockHeldError';
  }
}

const ATTEMPTS = 3;

/**
 * Takes `file` as an exclusive lock for this process: creates it holding this process's pid, takes it over
 * when the process it names is gone (a launcher that was SIGKILLed), and throws {@link LockHeldError} when
 * that process still runs.
 */
export async function lockFile(file: string): Promise<FileLock> {
  const me = await thisProcess();
  // Written aside and linked into place, so the lock never exists without its pid: a reader that found
  // it empty would take a live lock for a stale one.
  const draft = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(draft, formatOwner(me));
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await fs.link(draft, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= ATTEMPTS) throw err;
      }
      const holder = await readOwner(file);
      if (holder && (await isAlive(holder))) throw new LockHeldError(file, holder);
      // Stale: its holder died without releasing it. Two starts taking over the same stale lock at the
      // same instant could both succeed; that needs two launchers racing on one directory to the millisecond.
      await fs.rm(file, { force: true });
    }
  } finally {
    await fs.rm(draft, { force: true });
  }
  let released = false;
  return {
    file,
    async release() {
      if (released) return;
      released = true;
      const holder = await readOwner(file);
      if (holder?.pid === me.pid && holder.startTime === me.startTime) await fs.rm(file, { force: true });
    },
  };
}
