// Knowledge: import a folder with streamed progress, list, search, edit, delete, re-index.
import { api, type ArticleFormat, type DocumentSummary, type SearchHit } from '../api';
import { fmt, h, mount } from '../dom';
import { attempt, showError } from '../errors';
import { applyImportEvent, emptyProgress, fraction, type ImportProgress } from '../import-progress';
import type { View } from './types';

const PAGE = 200;
const FORMATS: ArticleFormat[] = ['markdown', 'text', 'csv', 'json'];

export function renderProgress(bar: HTMLProgressElement, label: HTMLElement, failed: HTMLElement, p: ImportProgress): void {
  bar.max = Math.max(1, p.total);
  bar.value = p.finished ? bar.max : p.done;
  bar.setAttribute('data-done', String(p.done));
  bar.setAttribute('data-total', String(p.total));
  bar.setAttribute('data-finished', String(p.finished));
  const pctText = `${Math.round(fraction(p) * 100)}%`;
  label.textContent = p.finished
    ? `Done: ${p.total} files, ${p.imported} articles imported, ${p.unchanged} unchanged, ${p.passages} passages, ${p.failed.length} failed` +
      (p.summary ? ` (${fmt(p.summary.elapsed_ms / 1000, 1)} s)` : '')
    : `${p.done} / ${p.total} files (${pctText})${p.current ? ` — ${p.current}` : ''}`;
  mount(
    failed,
    p.failed.length
      ? [
          h('h4', null, `Failed files (${p.failed.length})`),
          h('ul', null, p.failed.map((f) => h('li', null, h('code', null, f.path), ': ', f.error))),
        ]
      : null,
  );
}

export function createKnowledgeView(): View {
  let articles: DocumentSummary[] = [];
  let editing: { path: string; isNew: boolean; id: number | null } | null = null;

  const pathInput = h('input', {
    type: 'text',
    testid: 'kb-import-path',
    placeholder: '/path/to/articles',
    'aria-label': 'Folder to import',
    class: 'grow',
  });
  const importBtn = h('button', { class: 'primary', testid: 'kb-import-button', on: { click: () => runImport() } }, 'Import folder');
  const bar = h('progress', { testid: 'kb-progress', max: '1', value: '0', 'aria-label': 'Import progress' });
  const barLabel = h('div', { class: 'small', testid: 'kb-progress-label', 'aria-live': 'polite' });
  const failedEl = h('div', { class: 'failed', testid: 'kb-failed' });
  const progressBox = h('div', { class: 'progress-box', hidden: true }, bar, barLabel, failedEl);

  const stats = h('span', { class: 'muted small', testid: 'kb-stats' });
  const reindexBtn = h('button', { testid: 'kb-reindex', on: { click: () => runReindex() } }, 'Re-index');
  const newBtn = h('button', { testid: 'kb-new', on: { click: () => openEditor(null) } }, 'New article');

  const searchInput = h('input', {
    type: 'search',
    testid: 'kb-search-input',
    placeholder: 'Search the knowledge base',
    'aria-label': 'Search the knowledge base',
    class: 'grow',
  });
  const searchForm = h(
    'form',
    { class: 'row', on: { submit: (e: Event) => (e.preventDefault(), void runSearch()) } },
    searchInput,
    h('button', { type: 'submit', testid: 'kb-search-button' }, 'Search'),
  );
  const results = h('div', { class: 'kb-results', testid: 'kb-results', 'aria-live': 'polite' });
  const listEl = h('ul', { class: 'kb-list', testid: 'kb-list', 'aria-label': 'Articles' });
  const moreBtn = h('button', { hidden: true, on: { click: () => loadMore() } }, 'Load more');

  // Editor
  const edPath = h('input', { type: 'text', testid: 'kb-edit-path', 'aria-label': 'Path', class: 'grow' });
  const edTitle = h('input', { type: 'text', testid: 'kb-edit-title', 'aria-label': 'Title', class: 'grow' });
  const edFormat = h('select', { testid: 'kb-edit-format', 'aria-label': 'Format' }, FORMATS.map((f) => h('option', { value: f }, f)));
  const edBody = h('textarea', { testid: 'kb-edit-body', rows: '14', 'aria-label': 'Body' });
  const edInfo = h('p', { class: 'muted small', testid: 'kb-edit-info' });
  const saveBtn = h('button', { class: 'primary', testid: 'kb-save', on: { click: () => save() } }, 'Save & re-embed');
  const delBtn = h('button', { class: 'danger', testid: 'kb-delete', on: { click: () => del() } }, 'Delete');
  const editor = h(
    'div',
    { class: 'kb-editor', testid: 'kb-editor', hidden: true },
    h('label', null, 'Path ', edPath),
    h('label', null, 'Title ', edTitle),
    h('label', null, 'Format ', edFormat),
    edBody,
    edInfo,
    h('div', { class: 'actions' }, saveBtn, delBtn, h('button', { on: { click: () => closeEditor() } }, 'Close')),
  );

  const el = h(
    'section',
    { class: 'view kb-view', 'aria-label': 'Knowledge' },
    h('header', { class: 'view-header' }, h('h2', null, 'Knowledge base'), stats, h('div', { class: 'actions' }, newBtn, reindexBtn)),
    h(
      'form',
      { class: 'row', on: { submit: (e: Event) => (e.preventDefault(), void runImport()) } },
      h('label', { class: 'grow row' }, 'Folder ', pathInput),
      importBtn,
    ),
    progressBox,
    h(
      'div',
      { class: 'kb-split' },
      h('div', { class: 'kb-left' }, searchForm, results, h('h3', null, 'Articles'), listEl, moreBtn),
      editor,
    ),
  );

  async function refreshStats(): Promise<void> {
    const s = await attempt('Reading knowledge-base stats', () => api.kbStats());
    if (s) {
      stats.textContent = `${s.documents} articles · ${s.chunks} passages${s.stale_chunks ? ` · ${s.stale_chunks} stale (re-index)` : ''}`;
    }
  }

  function articleItem(a: DocumentSummary): HTMLElement {
    return h(
      'li',
      null,
      h(
        'button',
        { class: 'link', testid: 'kb-article', 'data-id': String(a.id), on: { click: () => openEditor(a.id) } },
        a.title,
      ),
      h('span', { class: 'muted small' }, ` ${a.document} · ${a.format} · ${a.chunks} passages`),
    );
  }

  async function refreshList(): Promise<void> {
    const page = await attempt('Listing articles', () => api.kbList(PAGE, 0));
    if (!page) return;
    articles = page;
    mount(listEl, articles.length ? articles.map(articleItem) : h('li', { class: 'muted' }, 'No articles yet: import a folder.'));
    moreBtn.hidden = page.length < PAGE;
    void refreshStats();
  }

  async function loadMore(): Promise<void> {
    const page = await attempt('Listing articles', () => api.kbList(PAGE, articles.length));
    if (!page) return;
    articles = articles.concat(page);
    listEl.append(...page.map(articleItem));
    moreBtn.hidden = page.length < PAGE;
  }

  async function runImport(): Promise<void> {
    const dir = pathInput.value.trim();
    if (!dir) {
      showError('enter the path of a folder to import');
      return;
    }
    importBtn.disabled = true;
    progressBox.hidden = false;
    let p = emptyProgress();
    renderProgress(bar, barLabel, failedEl, p);
    try {
      const summary = await api.kbImport(dir, (event) => {
        p = applyImportEvent(p, event);
        renderProgress(bar, barLabel, failedEl, p);
      });
      // The returned summary is final even if the finished event was missed.
      p = applyImportEvent(p, { type: 'finished', summary });
      renderProgress(bar, barLabel, failedEl, p);
    } catch (e) {
      barLabel.textContent = 'Import failed.';
      showError(e, 'Importing folder');
    } finally {
      importBtn.disabled = false;
    }
    await refreshList();
  }

  async function runReindex(): Promise<void> {
    reindexBtn.disabled = true;
    progressBox.hidden = false;
    mount(failedEl);
    bar.value = 0;
    barLabel.textContent = 'Re-indexing…';
    try {
      const n = await api.kbReindex((e) => {
        bar.max = Math.max(1, e.total);
        bar.value = e.done;
        barLabel.textContent = `Re-indexing ${e.done} / ${e.total} — ${e.path}`;
      });
      bar.value = bar.max;
      barLabel.textContent = `Re-indexed ${n} articles.`;
    } catch (e) {
      barLabel.textContent = 'Re-index failed.';
      showError(e, 'Re-indexing');
    } finally {
      reindexBtn.disabled = false;
    }
    void refreshStats();
  }

  function hitRow(r: SearchHit, i: number): HTMLElement {
    return h(
      'li',
      { class: 'hit', testid: 'kb-hit' },
      h(
        'button',
        { class: 'link hit-title', testid: `kb-hit-${i + 1}`, on: { click: () => openEditor(r.document_id) } },
        r.title,
      ),
      h('span', { class: 'muted small' }, ` ${r.document}`),
      h(
        'div',
        { class: 'small scores' },
        `score ${fmt(r.score, 3)} · cosine ${fmt(r.cosine, 3)} · bm25 ${r.bm25 === null ? '—' : fmt(r.bm25, 3)}` +
          ` · ranks: dense ${r.dense_rank ?? '—'}, fts ${r.fts_rank ?? '—'}`,
      ),
      h('div', { class: 'small passage' }, r.heading ? `${r.heading}: ` : '', r.passage),
    );
  }

  let searchSeq = 0;
  async function runSearch(): Promise<void> {
    const q = searchInput.value.trim();
    const mine = ++searchSeq;
    if (!q) {
      mount(results);
      return;
    }
    mount(results, h('p', { class: 'muted small' }, 'Searching…'));
    try {
      const res = await api.kbSearch(q, 10);
      if (mine !== searchSeq) return; // a newer search is under way
      mount(
        results,
        res.results.length ? h('ol', { class: 'hits' }, res.results.map(hitRow)) : h('p', { class: 'muted' }, `Nothing found for “${res.query}”.`),
      );
    } catch (e) {
      if (mine !== searchSeq) return;
      mount(results, h('p', { class: 'error-inline' }, 'Search failed.'));
      showError(e, 'Searching');
    }
  }

  async function openEditor(id: number | null): Promise<void> {
    if (id === null) {
      editing = { path: '', isNew: true, id: null };
      edPath.value = '';
      edPath.readOnly = false;
      edTitle.value = '';
      edBody.value = '';
      edFormat.value = 'markdown';
      edInfo.textContent = 'A new article: give it a unique path.';
      delBtn.hidden = true;
      editor.hidden = false;
      edPath.focus();
      return;
    }
    const doc = await attempt('Opening article', () => api.kbGet(id));
    if (!doc) return;
    editing = { path: doc.document, isNew: false, id: doc.id };
    edPath.value = doc.document;
    edPath.readOnly = true;
    edTitle.value = doc.title;
    edBody.value = doc.body;
    edFormat.value = FORMATS.includes(doc.format as ArticleFormat) ? doc.format : 'text';
    edInfo.textContent = `${doc.passages.length} passages · updated ${doc.updated_at}`;
    delBtn.hidden = false;
    editor.hidden = false;
    edTitle.focus();
  }

  function closeEditor(): void {
    editing = null;
    editor.hidden = true;
  }

  async function save(): Promise<void> {
    if (!editing) return;
    const path = edPath.value.trim();
    if (!path) {
      showError('an article needs a path');
      return;
    }
    saveBtn.disabled = true;
    const doc = await attempt('Saving article', () => api.kbSave(path, edTitle.value, edBody.value, edFormat.value as ArticleFormat));
    saveBtn.disabled = false;
    if (!doc) return;
    editing = { path: doc.document, isNew: false, id: doc.id };
    edPath.readOnly = true;
    delBtn.hidden = false;
    edInfo.textContent = `Saved and re-embedded: ${doc.passages.length} passages · updated ${doc.updated_at}`;
    await refreshList();
  }

  async function del(): Promise<void> {
    if (!editing || editing.id === null) return;
    if (delBtn.dataset.confirm !== 'yes') {
      delBtn.dataset.confirm = 'yes';
      delBtn.textContent = 'Confirm delete';
      setTimeout(() => {
        delBtn.dataset.confirm = '';
        delBtn.textContent = 'Delete';
      }, 4000);
      return;
    }
    delBtn.dataset.confirm = '';
    delBtn.textContent = 'Delete';
    const id = editing.id;
    const ok = await attempt('Deleting article', () => api.kbDelete(id));
    if (ok === undefined) return;
    closeEditor();
    await refreshList();
  }

  let loaded = false;
  return {
    el,
    show() {
      if (!loaded) {
        loaded = true;
        void refreshList();
      }
    },
    hide() {},
  };
}
