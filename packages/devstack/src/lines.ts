/** Keeps the last `size` lines seen, so a failure can show what a process said just before it died. */
export class RecentLines {
  private readonly lines: string[] = [];

  constructor(private readonly size = 40) {}

  /** Remembers one line, dropping the oldest when full. */
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.size) this.lines.shift();
  }

  /** Whether any remembered line matches `pattern`. */
  some(pattern: RegExp): boolean {
    return this.lines.some((line) => pattern.test(line));
  }

  /** The remembered lines, indented for inclusion in an error message. */
  toString(): string {
    return this.lines.length === 0 ? '  (no output)' : this.lines.map((l) => `  ${l}`).join('\n');
  }
}

/** Turns arbitrary text chunks into whole lines; call `flush()` at end of stream for a trailing partial line. */
export class LineSplitter {
  private partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  /** Feeds one chunk of text. */
  write(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.onLine(line);
  }

  /** Emits whatever is left without a trailing newline. */
  flush(): void {
    if (this.partial !== '') this.onLine(this.partial);
    this.partial = '';
  }
}
