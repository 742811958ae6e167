import { afterEach, describe, expect, it } from 'vitest';
import { createIntentsView, parseExamples } from '../src/views/intents';
import { createSettingsView } from '../src/views/settings';
import { engineStatus } from './fixtures';
import { allByTestId, byTestId, fakeBackend, reset, until } from './helpers';

afterEach(reset);

describe('intents view', () => {
  it('parses one example per line, dropping blanks', () => {
    expect(parseExamples(' my parcel never came \n\n where is my order\r\n')).toEqual(['my parcel never came', 'where is my order']);
  });

  it('creates an intent from examples with the slider urgency and explains a test sentence', async () => {
    const saved: unknown[] = [];
    const calls = fakeBackend((cmd, args) => {
      switch (cmd) {
        case 'intents_list':
          return saved;
        case 'intents_builtin':
          return ['greeting', 'report_fraud'];
        case 'intents_add': {
          const i = { id: 1, name: args.name, description: args.description, urgency: args.urgency, examples: args.examples };
          saved.push(i);
          return i;
        }
        case 'intents_test':
          return [
            { label: 'missing_delivery', score: 0.71, urgency: 0.8, matched: true, nearest: [{ text: 'my package never arrived', score: 0.74 }] },
            { label: 'refund', score: 0.31, urgency: 0.3, matched: false, nearest: [] },
          ];
        default:
          return null;
      }
    });
    const view = createIntentsView();
    document.body.append(view.el);
    view.show();
    await until(() => !!byTestId('intent-builtin')?.textContent?.includes('report_fraud'));
    byTestId<HTMLInputElement>('intent-name')!.value = 'missing_delivery';
    const slider = byTestId<HTMLInputElement>('intent-urgency')!;
    slider.value = '0.8';
    slider.dispatchEvent(new Event('input'));
    expect(byTestId('intent-urgency-value')!.textContent).toBe('0.80');
    byTestId<HTMLTextAreaElement>('intent-examples')!.value = 'my package never arrived\nwhere is my order\n\nthe parcel has not come';
    byTestId<HTMLButtonElement>('intent-save')!.click();
    await until(() => allByTestId('intent-item').length === 1);
    expect(calls.find((c) => c.cmd === 'intents_add')!.args).toEqual({
      name: 'missing_delivery',
      description: '',
      urgency: 0.8,
      examples: ['my package never arrived', 'where is my order', 'the parcel has not come'],
    });
    byTestId<HTMLInputElement>('intent-test-input')!.value = "my order still hasn't shown up";
    byTestId<HTMLButtonElement>('intent-test-button')!.click();
    await until(() => allByTestId('intent-match').length === 2);
    const [best, other] = allByTestId('intent-match');
    expect(best.dataset.label).toBe('missing_delivery');
    expect(best.dataset.matched).toBe('true');
    expect(best.textContent).toContain('my package never arrived');
    expect(other.dataset.matched).toBe('false');
  });

  it('an empty example list is refused in the UI, without calling the core', async () => {
    const calls = fakeBackend(() => []);
    const view = createIntentsView();
    document.body.append(byTestId('error-banner') ?? document.createElement('div'), view.el);
    view.show();
    byTestId<HTMLInputElement>('intent-name')!.value = 'x';
    byTestId<HTMLButtonElement>('intent-save')!.click();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.some((c) => c.cmd === 'intents_add')).toBe(false);
  });
});

describe('settings view', () => {
  it('loads settings and models, applies, and shows the provider report with the fallback reason', async () => {
    const calls = fakeBackend((cmd) => {
      switch (cmd) {
        case 'settings_get':
          return { variant: 'fp32', provider: 'cpu', threads: 0, database: '/d.db', model_dir: '/m/a' };
        case 'models_list':
          return [
            { dir: '/m/a', manifest: engineStatus().manifest, error: null, active: true },
            { dir: '/m/broken', manifest: null, error: 'manifest.json missing', active: false },
          ];
        case 'settings_apply':
          return engineStatus(['cuda: libcudart.so.13: cannot open shared object file']);
        default:
          return null;
      }
    });
    const view = createSettingsView();
    document.body.append(view.el);
    view.show();
    await until(() => byTestId<HTMLInputElement>('settings-database')!.value === '/d.db');
    const dirs = byTestId<HTMLSelectElement>('settings-model-dir')!;
    expect([...dirs.options].map((o) => [o.value, o.disabled])).toEqual([
      ['/m/a', false],
      ['/m/broken', true],
    ]);
    byTestId<HTMLSelectElement>('settings-variant')!.value = 'int8';
    byTestId<HTMLSelectElement>('settings-provider')!.value = 'cuda';
    byTestId<HTMLInputElement>('settings-threads')!.value = '2';
    byTestId<HTMLButtonElement>('settings-apply')!.click();
    await until(() => !!byTestId('settings-provider-report'));
    expect(calls.find((c) => c.cmd === 'settings_apply')!.args).toEqual({
      settings: { variant: 'int8', provider: 'cuda', threads: 2, database: '/d.db', model_dir: '/m/a' },
    });
    expect(byTestId('settings-provider-report')!.textContent).toContain('Provider: cpu (requested cuda)');
    expect(byTestId('settings-report')!.textContent).toContain('libcudart.so.13');
  });
});
