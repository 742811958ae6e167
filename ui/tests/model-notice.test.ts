import { afterEach, describe, expect, it } from 'vitest';
import { startApp } from '../src/app';
import { engineStatus } from './fixtures';
import { allByTestId, byTestId, fakeBackend, reset, until } from './helpers';

afterEach(() => {
  reset();
  history.replaceState(null, '', '#');
});

function start(): void {
  const root = document.createElement('div');
  document.body.append(root);
  startApp(root);
}

describe('model notice', () => {
  it('says which features a model without heads lacks', async () => {
    fakeBackend((cmd) => {
      if (cmd === 'status') {
        return {
          ...engineStatus(),
          missing_features: [
            { feature: 'built-in intents', consequence: 'no intent head: only the intents you define classify messages' },
            { feature: 'sentiment', consequence: 'no sentiment head: messages show no sentiment' },
          ],
        };
      }
      return [];
    });
    start();
    const notice = byTestId('model-notice')!;
    await until(() => !notice.hidden);
    expect(notice.textContent).toContain('squeezebert-mini 1.0 lacks built-in intents and sentiment');
    expect(allByTestId('model-missing-feature').map((li) => li.textContent)).toEqual([
      'no intent head: only the intents you define classify messages',
      'no sentiment head: messages show no sentiment',
    ]);
  });

  it('stays hidden for a model with every head', async () => {
    const calls = fakeBackend((cmd) => (cmd === 'status' ? { ...engineStatus(), missing_features: [] } : []));
    start();
    await until(() => calls.some((c) => c.cmd === 'status'));
    await new Promise((r) => setTimeout(r, 10));
    expect(byTestId('model-notice')!.hidden).toBe(true);
  });
});
