/**
 * The answers a gateway replica stored lately, by attempt (`<requestKey>#<attempt>`), so the second
 * copy of an outcome — the waiter's and the durable consumer's usually land within a millisecond of
 * each other — costs no statement. Bounded three ways: by count, by the bytes of the answers it
 * holds (a 201 echoes the whole object, and a spec may be most of a megabyte), and by age (past a
 * minute a second copy is rare, and reading the row back is then cheap enough).
 */
import type { StoredResponse } from './deliveries/store.js';

interface Entry {
  answer: Promise<StoredResponse | undefined>;
  bytes: number;
  at: number;
}

export class RecentAnswers {
  private readonly entries = new Map<string, Entry>();
  private heldBytes = 0;

  constructor(
    private readonly limits: { entries: number; bytes: number; ageMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** The answer stored (or being stored) for `key`, unless it was forgotten. */
  get(key: string): Promise<StoredResponse | undefined> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at <= this.limits.ageMs) return entry.answer;
    this.delete(key);
    return undefined;
  }

  /** Remembers the answer being stored for `key`, `bytes` long, forgetting the oldest past any limit. */
  set(key: string, answer: Promise<StoredResponse | undefined>, bytes: number): void {
    this.delete(key);
    const at = this.now();
    this.entries.set(key, { answer, bytes, at });
    this.heldBytes += bytes;
    for (const [oldest, entry] of this.entries) {
      const over = this.entries.size > this.limits.entries || this.heldBytes > this.limits.bytes || at - entry.at > this.limits.ageMs;
      if (!over || oldest === key) break;
      this.delete(oldest);
    }
  }

  /** Forgets `answer`'s entry for `key`; an entry set since for the same key stays. */
  forget(key: string, answer: Promise<StoredResponse | undefined>): void {
    if (this.entries.get(key)?.answer === answer) this.delete(key);
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
