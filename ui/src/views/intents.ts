// Intents: custom intents from example phrases, a test box that explains the decision, and the
// model's built-in intents (read-only).
import { api, type CustomIntent, type CustomIntentMatch } from '../api';
import { fmt, h, mount } from '../dom';
import { attempt, showError } from '../errors';
import type { View } from './types';

export function parseExamples(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

export function renderMatches(target: HTMLElement, matches: CustomIntentMatch[]): void {
  if (!matches.length) {
    mount(target, h('p', { class: 'muted' }, 'No custom intents yet.'));
    return;
  }
  mount(
    target,
    h(
      'ol',
      { class: 'matches' },
      matches.map((m, i) =>
        h(
          'li',
          { class: `match${m.matched ? ' matched' : ''}`, testid: 'intent-match', 'data-label': m.label, 'data-matched': String(m.matched) },
          h('strong', null, m.label),
          ` cosine ${fmt(m.score, 3)} · urgency ${fmt(m.urgency)} · `,
          h('span', { class: m.matched ? 'badge ok' : 'badge' }, m.matched ? (i === 0 ? 'wins' : 'above threshold') : 'below threshold'),
          m.nearest.length
            ? h(
                'ul',
                { class: 'nearest small' },
                m.nearest.map((n) => h('li', null, `“${n.text}” `, h('span', { class: 'muted' }, fmt(n.score, 3)))),
              )
            : null,
        ),
      ),
    ),
  );
}

export function createIntentsView(): View {
  const name = h('input', { type: 'text', testid: 'intent-name', 'aria-label': 'Intent name', placeholder: 'e.g. missing_delivery' });
  const description = h('input', { type: 'text', testid: 'intent-description', 'aria-label': 'Description', placeholder: 'optional' });
  const urgency = h('input', { type: 'range', min: '0', max: '1', step: '0.05', value: '0.5', testid: 'intent-urgency', 'aria-label': 'Urgency' });
  const urgencyOut = h('output', { testid: 'intent-urgency-value' }, '0.50');
  urgency.addEventListener('input', () => (urgencyOut.textContent = Number(urgency.value).toFixed(2)));
  const examples = h('textarea', {
    rows: '5',
    testid: 'intent-examples',
    'aria-label': 'Example phrases, one per line',
    placeholder: 'One example phrase per line (3–10 work well)',
  });
  const saveBtn = h('button', { class: 'primary', testid: 'intent-save', type: 'submit' }, 'Save intent');
  const listEl = h('ul', { class: 'intent-list', testid: 'intent-list' });
  const builtinFilter = h('input', { type: 'search', placeholder: 'Filter', 'aria-label': 'Filter built-in intents', testid: 'intent-builtin-filter' });
  const builtinEl = h('div', { class: 'builtin', testid: 'intent-builtin' });
  const testInput = h('input', { type: 'text', testid: 'intent-test-input', 'aria-label': 'Test sentence', placeholder: 'Type a sentence to test', class: 'grow' });
  const testResult = h('div', { class: 'intent-test-result', testid: 'intent-test-result', 'aria-live': 'polite' });
  let builtin: string[] = [];

  const el = h(
    'section',
    { class: 'view intents-view', 'aria-label': 'Intents' },
    h('header', { class: 'view-header' }, h('h2', null, 'Intents')),
    h(
      'div',
      { class: 'intents-grid' },
      h(
        'form',
        { class: 'card', on: { submit: (e: Event) => (e.preventDefault(), void save()) } },
        h('h3', null, 'New custom intent'),
        h('label', null, 'Name ', name),
        h('label', null, 'Description ', description),
        h('label', null, 'Urgency ', urgency, ' ', urgencyOut),
        h('label', { class: 'block' }, 'Examples', examples),
        saveBtn,
      ),
      h(
        'div',
        { class: 'card' },
        h('h3', null, 'Test a sentence'),
        h(
          'form',
          { class: 'row', on: { submit: (e: Event) => (e.preventDefault(), void runTest()) } },
          testInput,
          h('button', { type: 'submit', testid: 'intent-test-button' }, 'Test'),
        ),
        testResult,
      ),
      h('div', { class: 'card' }, h('h3', null, 'Custom intents'), listEl),
      h('div', { class: 'card' }, h('h3', null, 'Built-in intents (model)'), builtinFilter, builtinEl),
    ),
  );

  function renderList(list: CustomIntent[]): void {
    mount(
      listEl,
      list.length
        ? list.map((i) =>
            h(
              'li',
              { testid: 'intent-item', 'data-name': i.name },
              h('strong', null, i.name),
              ` urgency ${fmt(i.urgency)} · ${i.examples.length} examples `,
              h('button', { class: 'danger small', 'aria-label': `Delete intent ${i.name}`, testid: 'intent-delete', on: { click: () => remove(i.name) } }, 'Delete'),
              i.description ? h('div', { class: 'muted small' }, i.description) : null,
              h('div', { class: 'muted small' }, i.examples.join(' · ')),
            ),
          )
        : h('li', { class: 'muted' }, 'None yet.'),
    );
  }

  function renderBuiltin(): void {
    const f = builtinFilter.value.trim().toLowerCase();
    const shown = builtin.filter((b) => !f || b.toLowerCase().includes(f));
    mount(builtinEl, h('p', { class: 'muted small' }, `${shown.length} of ${builtin.length}`), h('ul', { class: 'tags' }, shown.map((b) => h('li', { class: 'chip' }, b))));
  }
  builtinFilter.addEventListener('input', renderBuiltin);

  async function refresh(): Promise<void> {
    const list = await attempt('Listing intents', () => api.intentsList());
    if (list) renderList(list);
  }

  async function save(): Promise<void> {
    const ex = parseExamples(examples.value);
    if (!name.value.trim()) return void showError('give the intent a name');
    if (!ex.length) return void showError('give at least one example phrase');
    saveBtn.disabled = true;
    const added = await attempt('Saving intent', () => api.intentsAdd(name.value.trim(), description.value.trim(), Number(urgency.value), ex));
    saveBtn.disabled = false;
    if (!added) return;
    name.value = '';
    description.value = '';
    examples.value = '';
    await refresh();
    if (testInput.value.trim()) await runTest();
  }

  async function remove(n: string): Promise<void> {
    const ok = await attempt('Deleting intent', () => api.intentsRemove(n));
    if (ok !== undefined) await refresh();
  }

  async function runTest(): Promise<void> {
    const text = testInput.value.trim();
    if (!text) return;
    mount(testResult, h('p', { class: 'muted small' }, 'Testing…'));
    try {
      renderMatches(testResult, await api.intentsTest(text));
    } catch (e) {
      mount(testResult, h('p', { class: 'error-inline' }, 'Test failed.'));
      showError(e, 'Testing intents');
    }
  }

  let loaded = false;
  return {
    el,
    show() {
      if (loaded) return;
      loaded = true;
      void refresh();
      void attempt('Listing built-in intents', () => api.intentsBuiltin()).then((b) => {
        builtin = b ?? [];
        renderBuiltin();
      });
    },
    hide() {},
  };
}
