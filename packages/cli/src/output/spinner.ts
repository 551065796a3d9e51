import type { Io } from '../io.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A one-line progress indicator on stderr, drawn only when stderr is a terminal. Lines printed
 * through `line` clear it first, so it never mixes with output.
 */
export class Spinner {
  private frame = 0;
  private text = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly enabled: boolean;

  constructor(private readonly io: Io) {
    this.enabled = io.stderrIsTTY;
  }

  /** Shows (or changes) the progress text. */
  update(text: string): void {
    if (!this.enabled) return;
    this.text = text;
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), 100);
      this.timer.unref();
    }
    this.draw();
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.io.errRaw(`\r\u001b[2K${this.io.errColor.cyan(FRAMES[this.frame]!)} ${this.text}`);
  }

  private clear(): void {
    if (this.enabled && this.timer) this.io.errRaw('\r\u001b[2K');
  }

  /** Prints a line of data without the spinner in the way. */
  line(text: string): void {
    this.clear();
    this.io.out(text);
    if (this.timer) this.draw();
  }

  stop(): void {
    this.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
