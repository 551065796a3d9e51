// Who started a server or holds a lock, written down so a later run can tell a leftover whose starter
// died (safe to stop or take over) from one whose starter still runs (to be left alone).
import fs from 'node:fs/promises';
import { procInfo } from './proc.js';

/** A process, by pid and, where /proc tells it, its start time, so a reused pid is not mistaken for it. */
export interface Owner {
  pid: number;
  startTime?: string | undefined;
}

/** This process as an {@link Owner}. */
export async function thisProcess(): Promise<Owner> {
  return { pid: process.pid, startTime: (await procInfo(process.pid))?.startTime };
}

/** The text of an owner record: the pid on the first line (as pid files have it), the start time on the second. */
export function formatOwner(owner: Owner): string {
  return `${owner.pid}\n${owner.startTime ?? ''}\n`;
}

/** Reads an owner record; undefined when the file is missing or names no pid. */
export async function readOwner(file: string): Promise<Owner | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const [first = '', second = ''] = text.split('\n');
  const pid = Number.parseInt(first, 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, startTime: second.trim() === '' ? undefined : second.trim() };
}

/** Writes `owner` to `file`, replacing what was there. */
export async function writeOwner(file: string, owner: Owner): Promise<void> {
  await fs.writeFile(file, formatOwner(owner));
}

/** Whether the process `owner` names still runs (and is the same process, where its start time was recorded). */
export async function isAlive(owner: Owner): Promise<boolean> {
  const info = await procInfo(owner.pid);
  if (info) return !info.zombie && (owner.startTime === undefined || info.startTime === owner.startTime);
  // No /proc entry: on Linux the pid is gone; elsewhere ask the kernel (EPERM means it exists).
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
