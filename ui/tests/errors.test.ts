import { afterEach, describe, expect, it } from 'vitest';
import { startApp } from '../src/app';
import { api } from '../src/api';
import { attempt } from '../src/errors';
import { byTestId, fakeBackend, reset, until } from './helpers';

afterEach(() => {
  reset();
  history.replaceState(null, '', '#');
});

describe('error banner', () => {
  it('shows a rejected invoke as a readable message', async () => {
    fakeBackend((cmd) => {
      if (cmd === 'conversations_list') throw 'database is locked: /tmp/x.db';
      return [];
    });
    const root = document.createElement('div');
    document.body.append(root);
    startApp(root);
    const banner = byTestId('error-banner')!;
    await until(() => !banner.hidden);
    expect(banner.textContent).toContain('Loading conversations: database is locked: /tmp/x.db');
    // The view is still there (not blank).
    expect(byTestId('chat-input')).not.toBeNull();
    byTestId<HTMLButtonElement>('error-dismiss')!.click();
    expect(banner.hidden).toBe(true);
  });

  it('attempt() resolves to undefined and fills the banner on failure', async () => {
    fakeBackend(() => {
      throw 'intent name must be 1 to 64 characters';
    });
    const root = document.createElement('div');
    document.body.append(root);
    startApp(root);
    const r = await attempt('Saving intent', () => api.intentsAdd('', '', null, ['x']));
    expect(r).toBeUndefined();
    expect(byTestId('error-text')!.textContent).toBe('Saving intent: intent name must be 1 to 64 characters');
  });

  it('navigates between every view with the nav buttons; only one is visible', () => {
    fakeBackend((cmd) => (cmd === 'status' ? new Promise(() => {}) : cmd === 'settings_get' ? { variant: 'fp32', provider: 'cpu', threads: 0, database: '/d', model_dir: '/m' } : []));
    const root = document.createElement('div');
    document.body.append(root);
    const app = startApp(root);
    for (const id of ['inbox', 'knowledge', 'intents', 'dev', 'settings', 'chat'] as const) {
      byTestId<HTMLButtonElement>(`nav-${id}`)!.click();
      expect(app.current()).toBe(id);
      expect(byTestId(`view-${id}`)!.hidden).toBe(false);
      expect(byTestId(`nav-${id}`)!.getAttribute('aria-current')).toBe('page');
      expect(document.querySelectorAll('.view:not([hidden])')).toHaveLength(1);
    }
    app.show('dev');
    app.show('chat'); // stops dev polling
  });
});
