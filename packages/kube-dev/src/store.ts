import type { Logger } from 'pino';
import { alreadyExists, conflict, notFound } from './api-error.js';
import { EventLog } from './event-log.js';
import type { StoreEvent, StoreEventType } from './event-log.js';
import { jsonEqual } from './json.js';
import type { ResourceDefinition } from './resources.js';
import type { DeleteOptions, InputObject, KubeObject } from './types.js';
import { checkResourceVersion, createdObject, markedForDeletion, nameForCreate, updatedObject } from './write-rules.js';

/** Called synchronously, in rv order, for every write. */
export type StoreListener = (event: StoreEvent) => void;

/** Options for {@link ObjectStore}. */
export interface StoreOptions {
  eventLogSize?: number;
  now?: () => Date;
  logger?: Logger;
}

interface Bucket {
  res: ResourceDefinition;
  objects: Map<string, KubeObject>;
  /** Keys in namespace/name order; rebuilt lazily after a create or delete. */
  sorted: string[] | undefined;
}

// NUL sorts before every character allowed in names, so key order is namespace order, then name order.
const SEP = '\u0000';

/** The store key of an object: namespace and name. */
export function objectKey(namespace: string, name: string): string {
  return `${namespace}${SEP}${name}`;
}

function bucketId(res: ResourceDefinition): string {
  return `${res.group}/${res.plural}`;
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * All objects, the global resourceVersion counter and the event log. Stored objects are never
 * mutated after they are stored, so readers may hold on to them; they must not modify them.
 */
export class ObjectStore {
  private rv = 0;
  private readonly buckets = new Map<string, Bucket>();
  private readonly namespaceCounts = new Map<string, number>();
  private readonly log: EventLog;
  private readonly listeners = new Set<StoreListener>();
  private readonly queue: StoreEvent[] = [];
  private dispatching = false;
  private readonly now: () => Date;
  private readonly logger: Logger | undefined;

  constructor(options: StoreOptions = {}) {
    this.log = new EventLog(options.eventLogSize ?? 10_000, 0);
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger;
  }

  /** The rv of the latest write. */
  get resourceVersion(): number {
    return this.rv;
  }

  private bucket(res: ResourceDefinition): Bucket {
    const id = bucketId(res);
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = { res, objects: new Map(), sorted: undefined };
      this.buckets.set(id, bucket);
    }
    return bucket;
  }

  /** The stored object, or undefined. */
  get(res: ResourceDefinition, namespace: string, name: string): KubeObject | undefined {
    return this.buckets.get(bucketId(res))?.objects.get(objectKey(namespace, name));
  }

  /** Objects of one resource in namespace/name order, optionally in one namespace and after a key. */
  *scan(res: ResourceDefinition, options: { namespace?: string; afterKey?: string } = {}): Generator<[string, KubeObject]> {
    const bucket = this.buckets.get(bucketId(res));
    if (!bucket) return;
    bucket.sorted ??= [...bucket.objects.keys()].sort();
    const keys = bucket.sorted;
    const nsPrefix = options.namespace === undefined ? undefined : `${options.namespace}${SEP}`;
    let start = nsPrefix === undefined ? 0 : lowerBound(keys, nsPrefix);
    if (options.afterKey !== undefined) start = Math.max(start, lowerBound(keys, `${options.afterKey}${SEP}`));
    for (let i = start; i < keys.length; i++) {
      const key = keys[i] as string;
      if (nsPrefix !== undefined && !key.startsWith(nsPrefix)) return;
      const object = bucket.objects.get(key);
      // A key can outlive its object when a delete happens mid-iteration (e.g. deletecollection).
      if (object) yield [key, object];
    }
  }

  /** Every stored object of every resource; used to compact the journal. */
  *entries(): Generator<{ resource: ResourceDefinition; object: KubeObject }> {
    for (const bucket of this.buckets.values()) {
      for (const object of bucket.objects.values()) yield { resource: bucket.res, object };
    }
  }

  /** Namespaces that hold at least one object. */
  namespaces(): string[] {
    return [...this.namespaceCounts.keys()];
  }

  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The oldest rv a watch can still resume from. */
  get oldestResumableVersion(): number {
    return this.log.oldestResumable;
  }

  /** Retained events after `rv`, oldest first; undefined when some were already evicted. */
  eventsSince(rv: number): StoreEvent[] | undefined {
    return this.log.since(rv);
  }

  /**
   * Creates an object, pruned, defaulted and validated against the resource's schema; the server
   * assigns uid, resourceVersion, generation and creationTimestamp.
   */
  create(res: ResourceDefinition, namespace: string, input: InputObject): KubeObject {
    const bucket = this.bucket(res);
    const name = nameForCreate(input, (candidate) => bucket.objects.has(objectKey(namespace, candidate)));
    const object = createdObject(res, namespace, name, input, this.rv + 1, this.now());
    const key = objectKey(namespace, name);
    if (bucket.objects.has(key)) throw alreadyExists(res, name);
    this.put(bucket, key, object);
    this.commit('ADDED', res, object, undefined);
    return object;
  }

  /**
   * Replaces an object (or, with `subresource`, its status), pruned, defaulted and validated
   * against the resource's schema. A write that changes nothing keeps the old resourceVersion and
   * emits no event; emptying the finalizers of an object being deleted completes the deletion.
   */
  update(res: ResourceDefinition, namespace: string, name: string, input: InputObject, subresource?: 'status'): KubeObject {
    const bucket = this.bucket(res);
    const key = objectKey(namespace, name);
    const current = bucket.objects.get(key);
    if (!current) throw notFound(res, name);
    checkResourceVersion(res, current, input.metadata.resourceVersion);
    const candidate = updatedObject(res, current, input, subresource);
    if (jsonEqual(candidate, current)) return current;
    const next = { ...candidate, metadata: { ...candidate.metadata, resourceVersion: String(this.rv + 1) } };
    if (next.metadata.deletionTimestamp !== undefined && !next.metadata.finalizers?.length) {
      this.remove(bucket, key);
      this.commit('DELETED', res, next, current);
      return next;
    }
    this.put(bucket, key, next);
    this.commit('MODIFIED', res, next, current);
    return next;
  }

  /** Deletes an object, or marks it for deletion while finalizers remain. */
  delete(res: ResourceDefinition, namespace: string, name: string, options: DeleteOptions = {}): { object: KubeObject; removed: boolean } {
    const bucket = this.bucket(res);
    const key = objectKey(namespace, name);
    const current = bucket.objects.get(key);
    if (!current) throw notFound(res, name);
    const { uid, resourceVersion } = options.preconditions ?? {};
    if (uid !== undefined && uid !== current.metadata.uid) {
      throw conflict(res, name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${current.metadata.uid}`);
    }
    if (resourceVersion !== undefined && resourceVersion !== current.metadata.resourceVersion) {
      const actual = current.metadata.resourceVersion;
      throw conflict(
        res,
        name,
        `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${actual}`,
      );
    }
    if (current.metadata.finalizers?.length) {
      if (current.metadata.deletionTimestamp !== undefined) return { object: current, removed: false };
      const marked = markedForDeletion(current, this.rv + 1, this.now());
      this.put(bucket, key, marked);
      this.commit('MODIFIED', res, marked, current);
      return { object: marked, removed: false };
    }
    const gone: KubeObject = { ...current, metadata: { ...current.metadata, resourceVersion: String(this.rv + 1) } };
    this.remove(bucket, key);
    this.commit('DELETED', res, gone, current);
    return { object: gone, removed: true };
  }

  /** Loads an object as recovered from the journal: no event, no rv bump. */
  restore(res: ResourceDefinition, object: KubeObject): void {
    this.put(this.bucket(res), objectKey(object.metadata.namespace, object.metadata.name), object);
  }

  /** Drops an object recovered from the journal. */
  restoreDeletion(res: ResourceDefinition, namespace: string, name: string): void {
    const bucket = this.bucket(res);
    const key = objectKey(namespace, name);
    if (bucket.objects.has(key)) this.remove(bucket, key);
  }

  /** Continues the rv counter after a restart; watches from before it get 410 Expired. */
  restoreResourceVersion(rv: number): void {
    this.rv = Math.max(this.rv, rv);
    this.log.reset(this.rv);
  }

  private put(bucket: Bucket, key: string, object: KubeObject): void {
    if (!bucket.objects.has(key)) {
      bucket.sorted = undefined;
      const ns = object.metadata.namespace;
      this.namespaceCounts.set(ns, (this.namespaceCounts.get(ns) ?? 0) + 1);
    }
    bucket.objects.set(key, object);
  }

  private remove(bucket: Bucket, key: string): void {
    const object = bucket.objects.get(key);
    if (!object) return;
    bucket.objects.delete(key);
    bucket.sorted = undefined;
    const ns = object.metadata.namespace;
    const left = (this.namespaceCounts.get(ns) ?? 1) - 1;
    if (left === 0) this.namespaceCounts.delete(ns);
    else this.namespaceCounts.set(ns, left);
  }

  private commit(type: StoreEventType, resource: ResourceDefinition, object: KubeObject, previous: KubeObject | undefined): void {
    this.rv = Number(object.metadata.resourceVersion);
    const event: StoreEvent = previous ? { type, rv: this.rv, resource, object, previous } : { type, rv: this.rv, resource, object };
    this.log.append(event);
    this.queue.push(event);
    // A listener that writes (re-entrantly) must not let its event overtake the one being delivered.
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        for (const listener of [...this.listeners]) {
          try {
            listener(next);
          } catch (err) {
            this.logger?.error({ err, rv: next.rv }, 'store listener failed');
          }
        }
      }
    } finally {
      this.dispatching = false;
    }
  }
}
