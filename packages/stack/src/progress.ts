/** Reports how far start-up got, one line per step, with its duration. */
export class Progress {
  private readonly started = Date.now();
  constructor(private readonly write: (line: string) => void) {}

  /** Runs one step, printing when it starts (if slow) and when it is done or failed. */
  async step<T>(name: string, fn: () => Promise<T>, detail: (value: T) => string): Promise<T> {
    const t0 = Date.now();
    const slow = setTimeout(() => this.write(`  … ${name.padEnd(18)} starting`), 1_000);
    try {
      const value = await fn();
      clearTimeout(slow);
      this.write(`  ✓ ${name.padEnd(18)} ${detail(value)} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
      return value;
    } catch (err) {
      clearTimeout(slow);
      this.write(`  ✗ ${name.padEnd(18)} ${(err as Error).message}`);
      throw err;
    }
  }

  elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)}s`;
  }
}
