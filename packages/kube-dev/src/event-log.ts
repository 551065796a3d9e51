import type { ResourceDefinition } from './resources.js';
import type { KubeObject } from './types.js';

/** The watch event types a write produces. */
export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One write, as watchers see it; `previous` lets filtered watchers detect objects leaving their selection. */
export interface StoreEvent {
  type: StoreEventType;
  rv: number;
  resource: ResourceDefinition;
  object: KubeObject;
  previous?: KubeObject;
}

/**
 * A bounded, rv-ordered history of writes, like etcd's window before compaction: a watch may
 * resume from any rv whose successors are all still here.
 */
export class EventLog {
  private readonly ring: (StoreEvent | undefined)[];
  private head = 0;
  private size = 0;
  /** Events with rv at or below this are gone; resuming from below it would miss writes. */
  private compactedThrough: number;

  constructor(
    readonly capacity: number,
    startRv: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`eventLogSize must be a positive integer, got ${capacity}`);
    this.ring = new Array<StoreEvent | undefined>(capacity);
    this.compactedThrough = startRv;
  }

  /** The oldest rv a watch can resume from. */
  get oldestResumable(): number {
    return this.compactedThrough;
  }

  /** Records an event, evicting the oldest when full. */
  append(event: StoreEvent): void {
    if (this.size === this.capacity) {
      const evicted = this.ring[this.head] as StoreEvent;
      this.compactedThrough = evicted.rv;
      this.ring[this.head] = event;
      this.head = (this.head + 1) % this.capacity;
      return;
    }
    this.ring[(this.head + this.size) % this.capacity] = event;
    this.size++;
  }

  /** Forgets everything at or below `rv`, as after a restart. */
  reset(rv: number): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.compactedThrough = rv;
  }

  private at(i: number): StoreEvent {
    return this.ring[(this.head + i) % this.capacity] as StoreEvent;
  }

  /** Every retained event after `rv`, oldest first; undefined when some of them were evicted. */
  since(rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedThrough) return undefined;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    const events: StoreEvent[] = [];
    for (let i = lo; i < this.size; i++) events.push(this.at(i));
    return events;
  }
}
