// Debounced live analysis while typing: never blocks input, and a reply that arrives after a
// newer request was sent is ignored (stale).
import type { Analysis } from './api';

export interface LiveAnalyzerOptions {
  delayMs?: number;
  analyze: (text: string) => Promise<Analysis>;
  onResult: (analysis: Analysis | null) => void;
  onError?: (e: unknown) => void;
  minLength?: number;
}

export class LiveAnalyzer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;
  readonly delayMs: number;

  constructor(private readonly opts: LiveAnalyzerOptions) {
    this.delayMs = opts.delayMs ?? 250;
  }

  /** Call on every input event. */
  update(text: string): void {
    clearTimeout(this.timer);
    const mine = ++this.seq;
    if (text.trim().length < (this.opts.minLength ?? 2)) {
      this.opts.onResult(null);
      return;
    }
    this.timer = setTimeout(() => void this.run(text, mine), this.delayMs);
  }

  private async run(text: string, mine: number): Promise<void> {
    try {
      const analysis = await this.opts.analyze(text);
      if (mine === this.seq) this.opts.onResult(analysis);
    } catch (e) {
      if (mine === this.seq) this.opts.onError?.(e);
    }
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.seq++;
  }
}
