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

// How long to wait for another process that is taking over the same stale lock before giving up.
const TAKEOVER_TIMEOUT_MS = 10_000;
const TAKEOVER_POLL_MS = 10;

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
    const deadline = Date.now() + TAKEOVER_TIMEOUT_MS;
    for (;;) {
      try {
        await fs.link(draft, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readLock(file);
      if (holder === 'missing') continue; // Released since our link failed: try again.
      if (holder !== 'unreadable' && (await isAlive(holder))) throw new LockHeldError(file, holder);
      const taker = await removeStale(file, holder);
      if (taker === undefined) continue;
      if (Date.now() >= deadline) throw new LockHeldError(file, taker);
      await new Promise((resolve) => setTimeout(resolve, TAKEOVER_POLL_MS));
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

type LockState = Owner | 'missing' | 'unreadable';

async function readLock(file: string): Promise<LockState> {
  const owner = await readOwner(file);
  if (owner) return owner;
  try {
    await fs.access(file);
    return 'unreadable';
  } catch {
    return 'missing';
  }
}

function tag(state: Owner | 'unreadable'): string {
  return state === 'unreadable' ? 'unreadable' : `${state.pid}.${state.startTime ?? ''}`;
}

/**
 * Removes `file` if it is still the stale lock `stale`; returns the process doing that instead when another
 * one is, so the caller waits for it. Reading a stale holder and removing the file cannot be one step: a
 * racer that read it, then lost the CPU while another took the lock over, would delete that one's live
 * lock and link its own, and both would hold it (three launchers on one stale lock did so a third of the
 * time). So removing a stale lock is itself locked: whoever holds `<file>.takeover.<stale holder>`,
 * taken by this same function (a marker whose taker died is then stale in turn), is the only one who may
 * remove a lock naming that holder, and checks it still does first.
 */
async function removeStale(file: string, stale: Owner | 'unreadable'): Promise<Owner | undefined> {
  let marker: FileLock;
  try {
    marker = await lockFile(`${file}.takeover.${tag(stale)}`);
  } catch (err) {
    if (err instanceof LockHeldError) return err.holder;
    throw err;
  }
  try {
    // Nobody else can change a lock naming `stale` now: its holder is dead and we hold its marker.
    const now = await readLock(file);
    if (now !== 'missing' && tag(now) === tag(stale)) await fs.rm(file, { force: true });
  } finally {
    await marker.release();
  }
  return undefined;
}
