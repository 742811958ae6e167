import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Analysis } from '../src/api';
import { LiveAnalyzer } from '../src/live-analysis';
import { analysis } from './fixtures';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('debounced live analysis', () => {
  it('calls analyze once, ~250 ms after the last keystroke', async () => {
    const analyze = vi.fn(async (t: string) => analysis(t, 'greeting', 'neutral'));
    const results: (Analysis | null)[] = [];
    const live = new LiveAnalyzer({ analyze, onResult: (a) => results.push(a) });
    for (const t of ['he', 'hel', 'hell', 'hello']) {
      live.update(t);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(analyze).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(150);
    expect(analyze).toHaveBeenCalledTimes(1);
    expect(analyze).toHaveBeenCalledWith('hello');
    await vi.runAllTimersAsync();
    expect(results.map((r) => r?.text)).toEqual(['hello']);
  });

  it('ignores a stale reply that arrives after a newer one', async () => {
    const slow = deferred<Analysis>();
    const fast = deferred<Analysis>();
    const analyze = vi.fn((t: string) => (t === 'my card' ? slow.promise : fast.promise));
    const results: string[] = [];
    const live = new LiveAnalyzer({ analyze, onResult: (a) => results.push(a ? a.intent!.label : 'none') });
    live.update('my card');
    await vi.advanceTimersByTimeAsync(260);
    live.update('my card was stolen');
    await vi.advanceTimersByTimeAsync(260);
    expect(analyze).toHaveBeenCalledTimes(2);
    fast.resolve(analysis('my card was stolen', 'report_lost_card', 'negative'));
    await vi.advanceTimersByTimeAsync(0);
    slow.resolve(analysis('my card', 'card_declined', 'neutral'));
    await vi.advanceTimersByTimeAsync(0);
    expect(results).toEqual(['report_lost_card']);
  });

  it('clears the chips for (almost) empty input without calling the core', async () => {
    const analyze = vi.fn(async (t: string) => analysis(t, 'greeting', 'neutral'));
    const results: (Analysis | null)[] = [];
    const live = new LiveAnalyzer({ analyze, onResult: (a) => results.push(a) });
    live.update('hello');
    live.update('');
    await vi.runAllTimersAsync();
    expect(analyze).not.toHaveBeenCalled();
    expect(results).toEqual([null]);
  });

  it('reports a failure only for the latest request', async () => {
    const onError = vi.fn();
    const live = new LiveAnalyzer({ analyze: () => Promise.reject('busy'), onResult: () => {}, onError });
    live.update('hello there');
    await vi.runAllTimersAsync();
    expect(onError).toHaveBeenCalledWith('busy');
  });
});
