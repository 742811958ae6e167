import { afterEach, describe, expect, it } from 'vitest';
import type { ImportEvent } from '../src/api';
import { applyImportEvent, emptyProgress, fraction } from '../src/import-progress';
import { createKnowledgeView } from '../src/views/knowledge';
import { byTestId, emit, fakeBackend, reset, until } from './helpers';

afterEach(reset);

const events: ImportEvent[] = [
  { type: 'started', root: '/kb', files: 3 },
  { type: 'file', path: 'a.md', index: 1, total: 3, status: { status: 'imported', articles: 1, unchanged: 0, passages: 4 } },
  { type: 'file', path: 'b.json', index: 2, total: 3, status: { status: 'failed', error: 'malformed JSON at line 2' } },
  { type: 'file', path: 'c.csv', index: 3, total: 3, status: { status: 'unchanged', articles: 2 } },
];
const summary = { files: 3, imported_articles: 1, unchanged_articles: 2, passages: 4, failed: [{ path: 'b.json', error: 'malformed JSON at line 2' }], elapsed_ms: 42 };

describe('import progress', () => {
  it('counts files, articles and failures per event', () => {
    let p = emptyProgress();
    const fractions: number[] = [];
    for (const e of events) {
      p = applyImportEvent(p, e);
      fractions.push(fraction(p));
    }
    expect(fractions.map((f) => Math.round(f * 100))).toEqual([0, 33, 67, 100]);
    expect(p).toMatchObject({ total: 3, done: 3, imported: 1, unchanged: 2, passages: 4, current: 'c.csv', finished: false });
    expect(p.failed).toEqual([{ path: 'b.json', error: 'malformed JSON at line 2' }]);
    p = applyImportEvent(p, { type: 'finished', summary });
    expect(p.finished).toBe(true);
    expect(fraction(p)).toBe(1);
  });

  it('the Knowledge view streams progress into the bar and lists failed files', async () => {
    let finish!: () => void;
    const calls = fakeBackend((cmd, args) => {
      if (cmd === 'kb_list') return [];
      if (cmd === 'kb_stats') return { documents: 0, chunks: 0, stale_chunks: 0 };
      if (cmd === 'kb_import') {
        return new Promise((resolve) => {
          emit(args.onEvent, events.slice(0, 2), { end: false });
          finish = () => resolve(summary);
        });
      }
      return null;
    });
    const view = createKnowledgeView();
    document.body.append(view.el);
    view.show();
    byTestId<HTMLInputElement>('kb-import-path')!.value = '/kb';
    byTestId<HTMLButtonElement>('kb-import-button')!.click();
    const bar = byTestId<HTMLProgressElement>('kb-progress')!;
    await until(() => bar.getAttribute('data-done') === '1');
    expect(bar.max).toBe(3);
    expect(bar.value).toBe(1);
    expect(byTestId('kb-progress-label')!.textContent).toContain('1 / 3 files');
    expect(byTestId<HTMLButtonElement>('kb-import-button')!.disabled).toBe(true);
    finish();
    await until(() => bar.getAttribute('data-finished') === 'true');
    expect(bar.value).toBe(3);
    expect(byTestId('kb-failed')!.textContent).toContain('b.json');
    expect(byTestId('kb-failed')!.textContent).toContain('malformed JSON at line 2');
    expect(calls.find((c) => c.cmd === 'kb_import')!.args.dir).toBe('/kb');
    // The list is refreshed after the import.
    expect(calls.filter((c) => c.cmd === 'kb_list').length).toBeGreaterThanOrEqual(2);
  });

  it('search shows title, path, score, cosine and bm25', async () => {
    fakeBackend((cmd) => {
      if (cmd === 'kb_search')
        return {
          query: 'forgot password',
          results: [
            { document: 'reset-password.md', document_id: 1, title: 'Reset your password', score: 0.93, passage: 'If you forgot…', heading: '', cosine: 0.61, bm25: 7.25, fts_rank: 1, dense_rank: 1 },
            { document: 'faq.csv#x', document_id: 2, title: 'Two-factor', score: 0.2, passage: '…', heading: 'FAQ', cosine: 0.3, bm25: null, fts_rank: null, dense_rank: 2 },
          ],
        };
      if (cmd === 'kb_list') return [];
      if (cmd === 'kb_stats') return { documents: 2, chunks: 5, stale_chunks: 0 };
      return null;
    });
    const view = createKnowledgeView();
    document.body.append(view.el);
    view.show();
    byTestId<HTMLInputElement>('kb-search-input')!.value = 'forgot password';
    byTestId<HTMLButtonElement>('kb-search-button')!.click();
    await until(() => !!byTestId('kb-hit-1'));
    const text = byTestId('kb-results')!.textContent!;
    expect(byTestId('kb-hit-1')!.textContent).toBe('Reset your password');
    expect(text).toContain('reset-password.md');
    expect(text).toContain('score 0.930');
    expect(text).toContain('cosine 0.610');
    expect(text).toContain('bm25 7.250');
    expect(text).toContain('bm25 —');
  });
});
