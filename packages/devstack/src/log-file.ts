import fs from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';

/** Opens `file` for appending, creating parent directories. */
export async function openLogFile(file: string): Promise<Writable> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const handle = await fs.open(file, 'a');
  const stream = handle.createWriteStream();
  // A full disk should not crash the parent; recent output is still kept in memory for error messages.
  stream.on('error', () => undefined);
  return stream;
}

/** Ends a write stream and resolves once it is flushed and closed (or failed). */
export function closeLogFile(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableFinished || stream.destroyed) {
      resolve();
      return;
    }
    stream.once('error', () => resolve());
    stream.end(() => resolve());
  });
}
