import diagnostics from 'node:diagnostics_channel';

/** How many messages `channel` (a `node:diagnostics_channel` name, e.g. undici's) carries while `fn` runs. */
export async function countPublished(channel: string, fn: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const onMessage = () => void count++;
  diagnostics.subscribe(channel, onMessage);
  try {
    await fn();
  } finally {
    diagnostics.unsubscribe(channel, onMessage);
  }
  return count;
}
