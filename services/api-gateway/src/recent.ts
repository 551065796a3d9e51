/**
 * What a gateway replica saw or did lately, by key, bounded three ways: by count, by the bytes of
 * what it holds (a 201 echoes the whole object, and a spec may be most of a megabyte), and by age.
 * The publisher keeps the answers it stored, so the second copy of an outcome costs no statement;
 * the waiter keeps the outcomes that passed by, so a retry that starts waiting after its outcome
 * was published still finds it.
 */
interface Entry<T> {
  value: T;
  bytes: number;
  at: number;
}

export class Recent<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private heldBytes = 0;

  constructor(
    private readonly limits: { entries: number; bytes: number; ageMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** What was kept for `key`, unless it was forgotten. */
  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at <= this.limits.ageMs) return entry.value;
    this.delete(key);
    return undefined;
  }

  /** Keeps `value` for `key`, `bytes` long, forgetting the oldest past any limit. */
  set(key: string, value: T, bytes: number): void {
    this.delete(key);
    const at = this.now();
    this.entries.set(key, { value, bytes, at });
    this.heldBytes += bytes;
    for (const [oldest, entry] of this.entries) {
      const over = this.entries.size > this.limits.entries || this.heldBytes > this.limits.bytes || at - entry.at > this.limits.ageMs;
      if (!over || oldest === key) break;
      this.delete(oldest);
    }
  }

  /** Forgets `value`'s entry for `key`; an entry set since for the same key stays. */
  forget(key: string, value: T): void {
    if (this.entries.get(key)?.value === value) this.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.heldBytes -= entry.bytes;
  }
}
