// Inbox: imported messages triaged by the core, most urgent first, in a virtualised list.
import { api, type InboxItem } from '../api';
import { fmt, h, mount, pct } from '../dom';
import { attempt, showError } from '../errors';
import { displayIntent, distinct, filterItems, mergeItems, sortByPriority, type InboxView } from '../inbox-model';
import { VirtualList } from '../virtual-list';
import { ArticlePanel } from './article-panel';
import type { View } from './types';

export const INBOX_ROW_HEIGHT = 64;

function priorityClass(p: number): string {
  return p >= 70 ? 'p-high' : p >= 40 ? 'p-mid' : 'p-low';
}

export function inboxRow(item: InboxItem, _index: number, selected: boolean): HTMLElement {
  const intent = displayIntent(item);
  return h(
    'div',
    {
      class: `inbox-row${selected ? ' selected' : ''}${item.handled ? ' handled' : ''}`,
      testid: 'inbox-row',
      'data-id': String(item.id),
      'data-priority': item.priority.toFixed(1),
      'data-intent': intent,
      'data-sentiment': item.sentiment,
    },
    h('span', { class: `badge priority ${priorityClass(item.priority)}`, title: 'Priority (0–100)' }, item.priority.toFixed(0)),
    h(
      'span',
      { class: 'row-main' },
      h('span', { class: 'row-title' }, item.subject || item.text),
      h(
        'span',
        { class: 'row-tags' },
        h('span', { class: `badge intent${item.custom_intent ? ' custom' : ''}` }, intent),
        h('span', { class: `badge sentiment s-${item.sentiment}` }, item.sentiment),
        h('span', { class: 'badge conf', title: 'Intent confidence' }, pct(item.intent_score)),
        item.sender ? h('span', { class: 'muted small' }, item.sender) : null,
        item.handled ? h('span', { class: 'badge done' }, 'handled') : null,
      ),
    ),
  );
}

export function createInboxView(): View & { importText(content: string, source: string): Promise<void>; list: VirtualList<InboxItem> } {
  const panel = new ArticlePanel();
  let items: InboxItem[] = [];
  const view: InboxView = { intent: '', sentiment: '', showHandled: false };
  let current: InboxItem | null = null;

  const detail = h('div', { class: 'inbox-detail', testid: 'inbox-detail', 'aria-live': 'polite' });
  const count = h('span', { class: 'muted small', testid: 'inbox-count' });
  const list = new VirtualList<InboxItem>({
    rowHeight: INBOX_ROW_HEIGHT,
    renderRow: inboxRow,
    onSelect: (item) => showDetail(item),
    label: 'Messages, most urgent first',
    testid: 'inbox-list',
    key: (i) => i.id,
  });

  const fileInput = h('input', {
    type: 'file',
    testid: 'inbox-file-input',
    accept: '.csv,.json,.jsonl,.ndjson,.txt,text/*,application/json',
    'aria-label': 'Import messages from a file',
    on: {
      change: async () => {
        const f = fileInput.files?.[0];
        if (f) await importFile(f);
        fileInput.value = '';
      },
    },
  });
  const drop = h(
    'label',
    { class: 'dropzone', testid: 'inbox-dropzone' },
    h('span', null, 'Drop a CSV / JSON-lines / text file here, or choose one: '),
    fileInput,
  );
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) await importFile(f);
  });

  const paste = h('textarea', { rows: '2', testid: 'inbox-paste', placeholder: 'Or paste one message…', 'aria-label': 'Paste one message' });
  const pasteBtn = h('button', { testid: 'inbox-paste-add', on: { click: () => addPasted() } }, 'Add message');
  const importStatus = h('div', { class: 'muted small', testid: 'inbox-import-status', 'aria-live': 'polite' });

  const intentSel = h('select', { testid: 'inbox-filter-intent', 'aria-label': 'Filter by intent', on: { change: () => ((view.intent = intentSel.value), refilter()) } });
  const sentimentSel = h('select', {
    testid: 'inbox-filter-sentiment',
    'aria-label': 'Filter by sentiment',
    on: { change: () => ((view.sentiment = sentimentSel.value), refilter()) },
  });
  const handledBox = h('input', {
    type: 'checkbox',
    testid: 'inbox-show-handled',
    on: { change: () => ((view.showHandled = handledBox.checked), refilter()) },
  });

  const el = h(
    'section',
    { class: 'view inbox-view', 'aria-label': 'Inbox' },
    h(
      'header',
      { class: 'view-header wrap' },
      h('h2', null, 'Inbox'),
      drop,
      h('div', { class: 'paste' }, paste, pasteBtn),
      importStatus,
    ),
    h(
      'div',
      { class: 'filters' },
      h('label', null, 'Intent ', intentSel),
      h('label', null, 'Sentiment ', sentimentSel),
      h('label', null, handledBox, ' show handled'),
      count,
    ),
    h('div', { class: 'inbox-split' }, list.el, detail, panel.el),
  );

  function options(sel: HTMLSelectElement, values: string[], chosen: string, all: string): void {
    mount(sel, h('option', { value: '' }, all), values.map((v) => h('option', { value: v, selected: v === chosen }, v)));
    sel.value = values.includes(chosen) ? chosen : '';
  }

  function refilter(): void {
    options(intentSel, distinct(items, displayIntent), view.intent, 'All intents');
    options(sentimentSel, distinct(items, (i) => i.sentiment), view.sentiment, 'All sentiments');
    view.intent = intentSel.value;
    view.sentiment = sentimentSel.value;
    const shown = sortByPriority(filterItems(items, view));
    list.setItems(shown);
    count.textContent = `${shown.length} of ${items.length} messages`;
    if (current) {
      const fresh = items.find((i) => i.id === current!.id);
      if (fresh) showDetail(fresh);
    } else showDetail(null);
  }

  function showDetail(item: InboxItem | null): void {
    current = item;
    if (!item) {
      mount(detail, h('p', { class: 'muted' }, items.length ? 'Select a message.' : 'Import messages to triage them.'));
      return;
    }
    const r = item.reason;
    mount(
      detail,
      h('h3', { testid: 'inbox-detail-subject' }, item.subject || '(no subject)'),
      h('p', { class: 'muted small' }, [item.sender || 'unknown sender', item.received_at, item.source].filter(Boolean).join(' · ')),
      h('blockquote', { class: 'message-text', testid: 'inbox-detail-text' }, item.text),
      h(
        'div',
        { class: 'chips' },
        h('span', { class: 'chip intent' }, `intent: ${item.intent} ${pct(item.intent_score)}`),
        item.custom_intent ? h('span', { class: 'chip custom' }, `custom: ${item.custom_intent}`) : null,
        h('span', { class: `chip sentiment s-${item.sentiment}` }, `${item.sentiment} ${pct(item.sentiment_score)}`),
      ),
      h('h4', null, `Priority ${fmt(item.priority, 1)}`),
      h(
        'dl',
        { class: 'reason', testid: 'inbox-reason' },
        h('dt', null, 'Urgency'),
        h('dd', null, `${fmt(r.urgency)} from ${r.custom ? 'custom intent' : 'intent'} ${r.urgency_from}`),
        h('dt', null, 'Negativity'),
        h('dd', null, `P(negative) = ${fmt(r.negativity)}`),
        h('dt', null, 'Formula'),
        h('dd', null, h('code', { testid: 'inbox-formula' }, r.formula)),
      ),
      h('h4', null, 'Suggested articles'),
      item.suggestions.length
        ? h(
            'ol',
            { class: 'suggestions', testid: 'inbox-suggestions' },
            item.suggestions.slice(0, 3).map((s) =>
              h(
                'li',
                null,
                h('button', { class: 'link', on: { click: () => panel.open(s.document_id) } }, s.title),
                h('span', { class: 'muted small' }, ` ${s.document} · score ${fmt(s.score)} · cosine ${fmt(s.cosine)}`),
              ),
            ),
          )
        : h('p', { class: 'muted small' }, 'No matching article in the knowledge base.'),
      h(
        'button',
        { class: item.handled ? '' : 'primary', testid: 'inbox-handled', on: { click: () => setHandled(item, !item.handled) } },
        item.handled ? 'Mark as not handled' : 'Mark handled',
      ),
    );
  }

  async function setHandled(item: InboxItem, handled: boolean): Promise<void> {
    const updated = await attempt('Updating message', () => api.inboxSetHandled(item.id, handled));
    if (!updated) return;
    items = mergeItems(items, [updated]);
    current = updated;
    refilter();
  }

  async function importText(content: string, source: string): Promise<void> {
    importStatus.textContent = `Triaging ${source}…`;
    try {
      const res = await api.inboxImport(content, source);
      items = mergeItems(items, res.items);
      refilter();
      mount(
        importStatus,
        `Imported ${res.items.length} message${res.items.length === 1 ? '' : 's'} from ${source}.`,
        res.rejected.length
          ? h(
              'details',
              { class: 'rejected', testid: 'inbox-rejected' },
              h('summary', null, `${res.rejected.length} rejected`),
              h('ul', null, res.rejected.map((r) => h('li', null, `line ${r.line}: ${r.error}`))),
            )
          : null,
      );
    } catch (e) {
      importStatus.textContent = 'Import failed.';
      showError(e, `Importing ${source}`);
    }
  }

  async function importFile(f: File): Promise<void> {
    let text: string;
    try {
      text = await f.text();
    } catch (e) {
      showError(e, `Reading ${f.name}`);
      return;
    }
    await importText(text, f.name);
  }

  async function addPasted(): Promise<void> {
    const text = paste.value.trim();
    if (!text) return;
    // One JSON line keeps a pasted message whole, whatever it looks like.
    await importText(JSON.stringify({ text }), 'pasted');
    paste.value = '';
  }

  async function reload(): Promise<void> {
    const all = await attempt('Loading inbox', () => api.inboxList({ include_handled: true }));
    if (all) {
      // Items imported while the list was loading are newer: they win.
      items = mergeItems(all, items);
      refilter();
    }
  }

  showDetail(null);
  let loaded = false;
  return {
    el,
    list,
    importText,
    show() {
      if (!loaded) {
        loaded = true;
        void reload();
      }
      list.render();
    },
    hide() {},
  };
}
