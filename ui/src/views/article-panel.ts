// A side panel that shows one knowledge-base article (kb_get), used by Chat and Inbox.
import { api } from '../api';
import { h, mount } from '../dom';
import { showError } from '../errors';

export class ArticlePanel {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private opener: HTMLElement | null = null;
  private request = 0;

  constructor() {
    this.body = h('div', { class: 'article-body' });
    this.el = h(
      'aside',
      { class: 'article-panel', testid: 'article-panel', 'aria-label': 'Article', hidden: true, tabindex: '-1' },
      h('button', { class: 'ghost close', 'aria-label': 'Close article', testid: 'article-close', on: { click: () => this.close() } }, '×'),
      this.body,
    );
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.close();
    });
  }

  /** Opens an article by id or path; `highlight` (a cited passage) is marked. */
  async open(key: string | number, highlight?: string): Promise<void> {
    this.opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const mine = ++this.request;
    this.el.hidden = false;
    mount(this.body, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const doc = await api.kbGet(key);
      if (mine !== this.request) return;
      const passages = doc.passages.length ? doc.passages : [doc.body];
      mount(
        this.body,
        h('h2', { testid: 'article-title' }, doc.title),
        h('p', { class: 'muted small' }, `${doc.document} · ${doc.format} · updated ${doc.updated_at}`),
        h(
          'div',
          { class: 'article-text', testid: 'article-text' },
          passages.map((p) =>
            h('p', { class: highlight && (p.includes(highlight) || highlight.includes(p)) ? 'cited' : '' }, p),
          ),
        ),
      );
      this.el.focus();
    } catch (e) {
      if (mine !== this.request) return;
      mount(this.body, h('p', { class: 'error-inline' }, 'Could not open the article.'));
      showError(e, 'Opening article');
    }
  }

  close(): void {
    this.el.hidden = true;
    this.request++;
    this.opener?.focus();
  }
}
