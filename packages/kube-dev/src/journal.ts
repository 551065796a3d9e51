import { closeSync, createReadStream, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { StoreEvent } from './event-log.js';
import type { ResourceDefinition, ResourceRegistry } from './resources.js';
import type { ObjectStore } from './store.js';
import type { KubeObject } from './types.js';

const StoredObject = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({ name: z.string(), namespace: z.string(), resourceVersion: z.string() }),
});

/** One line of the journal. `rv` lines carry the counter across compactions that leave no objects. */
const JournalRecord = z.discriminatedUnion('op', [
  z.object({ op: z.literal('rv'), rv: z.number().int().nonnegative() }),
  z.object({ op: z.literal('put'), key: z.string(), rv: z.number().int().nonnegative(), object: StoredObject }),
  z.object({ op: z.literal('delete'), key: z.string(), rv: z.number().int().nonnegative(), object: StoredObject.optional() }),
]);
type JournalRecord = z.infer<typeof JournalRecord>;

function journalKey(res: ResourceDefinition, obj: KubeObject): string {
  return `${res.group}/${res.plural}/${obj.metadata.namespace}/${obj.metadata.name}`;
}

function parseKey(key: string): { group: string; plural: string; namespace: string; name: string } | undefined {
  const [group, plural, namespace, name, ...extra] = key.split('/');
  if (group === undefined || !plural || !namespace || !name || extra.length > 0) return undefined;
  return { group, plural, namespace, name };
}

async function replay(path: string, store: ObjectStore, registry: ResourceRegistry, logger: Logger | undefined): Promise<number> {
  let rv = 0;
  let lineNo = 0;
  const unknown = new Set<string>();
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    let record: JournalRecord;
    try {
      record = JournalRecord.parse(JSON.parse(line));
    } catch (err) {
      // A crash mid-append leaves a torn last line; anything else unreadable is skipped, loudly.
      logger?.warn({ path, line: lineNo, err }, 'skipping unreadable journal line');
      continue;
    }
    rv = Math.max(rv, record.rv);
    if (record.op === 'rv') continue;
    const key = parseKey(record.key);
    const res = key && registry.findByGroupPlural(key.group, key.plural);
    if (!key || !res) {
      unknown.add(key ? `${key.plural}.${key.group}` : record.key);
      continue;
    }
    if (record.op === 'put') store.restore(res, record.object as KubeObject);
    else store.restoreDeletion(res, key.namespace, key.name);
  }
  if (unknown.size > 0) logger?.warn({ resources: [...unknown] }, 'dropping journaled objects of resources that are no longer served');
  return rv;
}

function writeLine(fd: number, record: JournalRecord): void {
  writeSync(fd, `${JSON.stringify(record)}\n`);
}

function compact(path: string, store: ObjectStore): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeLine(fd, { op: 'rv', rv: store.resourceVersion });
    for (const { resource, object } of store.entries()) {
      writeLine(fd, { op: 'put', key: journalKey(resource, object), rv: Number(object.metadata.resourceVersion), object });
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // Rename is atomic: a crash leaves either the old journal or the compacted one, never half of one.
  renameSync(tmp, path);
}

/**
 * An append-only JSONL file of every write. Opening replays it into the store and rewrites it
 * as one line per live object, so it grows only with the writes since the last start.
 */
export class Journal {
  private constructor(
    private fd: number | undefined,
    private readonly unsubscribe: () => void,
  ) {}

  /** Replays `path` into `store`, compacts it, and journals every later write. */
  static async open(path: string, store: ObjectStore, registry: ResourceRegistry, logger?: Logger): Promise<Journal> {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      const rv = await replay(path, store, registry, logger);
      store.restoreResourceVersion(rv);
    }
    compact(path, store);
    const fd = openSync(path, 'a');
    let journal: Journal | undefined = undefined;
    const unsubscribe = store.subscribe((event) => journal?.append(event));
    journal = new Journal(fd, unsubscribe);
    logger?.debug({ path, resourceVersion: store.resourceVersion }, 'journal opened');
    return journal;
  }

  private append(event: StoreEvent): void {
    if (this.fd === undefined) return;
    const key = journalKey(event.resource, event.object);
    const op = event.type === 'DELETED' ? 'delete' : 'put';
    writeLine(this.fd, { op, key, rv: event.rv, object: event.object });
  }

  /** Stops journaling and flushes the file to disk. */
  close(): void {
    if (this.fd === undefined) return;
    this.unsubscribe();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}
