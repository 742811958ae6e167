// Settings: model variant, execution provider, threads, database, model folder.
import { api, type ModelEntry, type Provider, type Settings, type Variant } from '../api';
import { fmt, h, mount } from '../dom';
import { attempt } from '../errors';
import { renderModelNotice } from '../model-notice';
import type { View } from './types';

export function createSettingsView(): View {
  const variant = h('select', { testid: 'settings-variant', 'aria-label': 'Model variant' }, h('option', { value: 'fp32' }, 'fp32'), h('option', { value: 'int8' }, 'int8 (quantised)'));
  const provider = h(
    'select',
    { testid: 'settings-provider', 'aria-label': 'Execution provider' },
    (['auto', 'cpu', 'cuda', 'tensorrt'] as Provider[]).map((p) => h('option', { value: p }, p)),
  );
  const threads = h('input', { type: 'number', min: '0', max: '256', step: '1', testid: 'settings-threads', 'aria-label': 'Threads (0 = automatic)' });
  const database = h('input', { type: 'text', testid: 'settings-database', 'aria-label': 'Database file', class: 'grow' });
  const modelDir = h('select', { testid: 'settings-model-dir', 'aria-label': 'Model folder' });
  const modelInfo = h('div', { class: 'muted small', testid: 'settings-model-info' });
  const applyBtn = h('button', { class: 'primary', testid: 'settings-apply', type: 'submit' }, 'Apply');
  const report = h('div', { class: 'report', testid: 'settings-report', 'aria-live': 'polite' });
  let models: ModelEntry[] = [];

  const el = h(
    'section',
    { class: 'view settings-view', 'aria-label': 'Settings' },
    h('header', { class: 'view-header' }, h('h2', null, 'Settings')),
    h(
      'form',
      { class: 'card settings-form', on: { submit: (e: Event) => (e.preventDefault(), void apply()) } },
      h('label', null, 'Model folder ', modelDir),
      modelInfo,
      h('label', null, 'Variant ', variant),
      h('label', null, 'Execution provider ', provider),
      h('label', null, 'Threads (0 = one per core) ', threads),
      h('label', null, 'Database ', database),
      applyBtn,
    ),
    report,
  );

  function describeModel(): void {
    const m = models.find((x) => x.dir === modelDir.value);
    if (!m) return mount(modelInfo);
    if (m.error) return mount(modelInfo, h('span', { class: 'error-inline' }, m.error));
    const man = m.manifest;
    mount(
      modelInfo,
      man ? `${man.name} ${man.version} · ${man.architecture || 'model'} · variants: ${Object.keys(man.variants).join(', ')} · max ${man.max_length} tokens` : '',
      m.missing_features?.length
        ? h('span', { class: 'warn-inline', testid: 'settings-model-lacks' }, ` · lacks ${m.missing_features.map((f) => f.feature).join(', ')}`)
        : null,
    );
  }
  modelDir.addEventListener('change', describeModel);

  function fill(s: Settings): void {
    variant.value = s.variant;
    provider.value = s.provider;
    threads.value = String(s.threads);
    database.value = s.database;
    const dirs = models.map((m) => m.dir);
    if (!dirs.includes(s.model_dir)) dirs.unshift(s.model_dir);
    mount(
      modelDir,
      dirs.map((d) => {
        const m = models.find((x) => x.dir === d);
        const label = m?.manifest ? `${m.manifest.name} ${m.manifest.version} — ${d}` : m?.error ? `${d} (unusable)` : d;
        return h('option', { value: d, selected: d === s.model_dir, disabled: !!m?.error }, label + (m?.active ? ' (active)' : ''));
      }),
    );
    modelDir.value = s.model_dir;
    describeModel();
  }

  async function load(): Promise<void> {
    models = (await attempt('Listing models', () => api.modelsList())) ?? [];
    const s = await attempt('Reading settings', () => api.settingsGet());
    if (s) fill(s);
  }

  async function apply(): Promise<void> {
    const s: Settings = {
      variant: variant.value as Variant,
      provider: provider.value as Provider,
      threads: Math.max(0, Math.floor(Number(threads.value) || 0)),
      database: database.value.trim(),
      model_dir: modelDir.value,
    };
    applyBtn.disabled = true;
    mount(report, h('p', { class: 'muted' }, 'Rebuilding the engine…'));
    const status = await attempt('Applying settings', () => api.settingsApply(s));
    applyBtn.disabled = false;
    if (!status) {
      mount(report, h('p', { class: 'error-inline' }, 'Settings were not applied.'));
      return;
    }
    const p = status.backend.provider;
    mount(
      report,
      h('h3', null, 'Engine rebuilt'),
      h('p', { testid: 'settings-provider-report' }, `Provider: ${p.active} (requested ${p.requested}) · ${status.backend.model} ${status.backend.variant} · ${status.backend.threads} threads · loaded in ${fmt(status.backend.load_ms, 0)} ms`),
      p.fallback_reasons.length ? h('div', { class: 'warn-box' }, h('p', null, 'Fell back to CPU:'), h('ul', null, p.fallback_reasons.map((r) => h('li', null, r)))) : null,
    );
    renderModelNotice(status);
    models = (await attempt('Listing models', () => api.modelsList())) ?? models;
    fill(s);
  }

  let loaded = false;
  return {
    el,
    show() {
      if (!loaded) {
        loaded = true;
        void load();
      }
    },
    hide() {},
  };
}
