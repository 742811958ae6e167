import { afterEach, describe, expect, it } from 'vitest';
import type { InboxItem } from '../src/api';
import { filterItems, sortByPriority } from '../src/inbox-model';
import { VirtualList } from '../src/virtual-list';
import { createInboxView, INBOX_ROW_HEIGHT, inboxRow } from '../src/views/inbox';
import { inboxItem } from './fixtures';
import { allByTestId, byTestId, fakeBackend, reset, until } from './helpers';

afterEach(reset);

function many(n: number): InboxItem[] {
  return Array.from({ length: n }, (_, i) => inboxItem(i + 1, (i * 37) % 101, i % 3 ? 'greeting' : 'report_fraud', i % 2 ? 'negative' : 'neutral'));
}

describe('inbox model', () => {
  it('sorts most urgent first (ties: newest first)', () => {
    const sorted = sortByPriority([inboxItem(1, 10), inboxItem(2, 90), inboxItem(3, 50), inboxItem(4, 90)]);
    expect(sorted.map((i) => i.id)).toEqual([4, 2, 3, 1]);
  });

  it('filters by intent, sentiment and handled', () => {
    const items = [
      inboxItem(1, 10, 'greeting', 'positive'),
      inboxItem(2, 90, 'report_fraud', 'negative'),
      inboxItem(3, 50, 'report_fraud', 'neutral', { handled: true }),
      inboxItem(4, 60, 'card_declined', 'negative', { custom_intent: 'missing_delivery' }),
    ];
    expect(filterItems(items, { intent: 'report_fraud', sentiment: '', showHandled: false }).map((i) => i.id)).toEqual([2]);
    expect(filterItems(items, { intent: 'report_fraud', sentiment: '', showHandled: true }).map((i) => i.id)).toEqual([2, 3]);
    expect(filterItems(items, { intent: '', sentiment: 'negative', showHandled: false }).map((i) => i.id)).toEqual([2, 4]);
    expect(filterItems(items, { intent: 'missing_delivery', sentiment: '', showHandled: false }).map((i) => i.id)).toEqual([4]);
  });
});

describe('virtualised list', () => {
  it('renders only the rows in view for 5000 items, and follows scrolling', () => {
    const list = new VirtualList<InboxItem>({ rowHeight: INBOX_ROW_HEIGHT, renderRow: inboxRow, fallbackHeight: 640, overscan: 4 });
    document.body.append(list.el);
    list.setItems(sortByPriority(many(5000)));
    const rows = () => allByTestId('inbox-row', list.el);
    // 640 / 64 = 10 visible rows + 4 overscan below.
    expect(rows().length).toBe(14);
    expect(rows().length).toBeLessThan(30);
    expect(list.el.querySelector<HTMLElement>('.vlist-spacer')!.style.height).toBe(`${5000 * INBOX_ROW_HEIGHT}px`);
    const prios = rows().map((r) => Number(r.dataset.priority));
    expect([...prios].sort((a, b) => b - a)).toEqual(prios);
    list.el.scrollTop = 2500 * INBOX_ROW_HEIGHT;
    list.render();
    const positions = rows().map((r) => Number(r.getAttribute('aria-posinset')));
    expect(Math.min(...positions)).toBe(2497);
    expect(Math.max(...positions)).toBe(2514);
    expect(rows().length).toBe(18);
    expect(rows()[0].style.top).toBe(`${2496 * INBOX_ROW_HEIGHT}px`);
  });

  it('moves the selection with the keyboard', () => {
    const picked: number[] = [];
    const list = new VirtualList<InboxItem>({ rowHeight: 50, renderRow: inboxRow, fallbackHeight: 500, onSelect: (i) => picked.push(i.id) });
    document.body.append(list.el);
    list.setItems(many(100));
    list.el.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown' }));
    list.el.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown' }));
    list.el.dispatchEvent(new KeyboardEvent('keydown', { key: 'End' }));
    expect(picked).toEqual([1, 2, 100]);
    expect(list.selectedIndex).toBe(99);
    expect(list.el.scrollTop).toBeGreaterThan(0);
  });
});

describe('inbox view', () => {
  it('imports a file text, shows the fraud report above the greeting, and explains the priority', async () => {
    const greeting = inboxItem(1, 3.2, 'greeting', 'positive', { text: 'Hi there!' });
    const fraud = inboxItem(2, 95.1, 'report_fraud', 'negative', { text: 'Someone used my card, this is outrageous!' });
    const calls = fakeBackend((cmd) => {
      if (cmd === 'inbox_list') return [];
      if (cmd === 'inbox_import') return { items: [greeting, fraud], rejected: [{ line: 3, error: 'no text' }] };
      if (cmd === 'inbox_set_handled') return { ...fraud, handled: true };
      return null;
    });
    const view = createInboxView();
    document.body.append(view.el);
    view.show();
    const content = '{"text":"Hi there!"}\n{"text":"Someone used my card, this is outrageous!"}\n{"nope":1}\n';
    await view.importText(content, 'mail.jsonl');
    const imp = calls.find((c) => c.cmd === 'inbox_import')!;
    expect(imp.args).toEqual({ content, source: 'mail.jsonl' });
    const rows = allByTestId('inbox-row');
    expect(rows.map((r) => r.dataset.intent)).toEqual(['report_fraud', 'greeting']);
    expect(Number(rows[0].dataset.priority)).toBeGreaterThan(Number(rows[1].dataset.priority));
    expect(byTestId('inbox-rejected')!.textContent).toContain('line 3: no text');
    rows[0].click();
    expect(byTestId('inbox-formula')!.textContent).toContain('= 95.1');
    expect(byTestId('inbox-suggestions')!.textContent).toContain('Lost or stolen card');
    byTestId<HTMLButtonElement>('inbox-handled')!.click();
    await until(() => allByTestId('inbox-row').length === 1);
    expect(calls.find((c) => c.cmd === 'inbox_set_handled')!.args).toEqual({ id: 2, handled: true });
  });

  it('filters the queue by sentiment from the select', async () => {
    fakeBackend((cmd) => (cmd === 'inbox_list' ? [inboxItem(1, 10, 'greeting', 'positive'), inboxItem(2, 80, 'report_fraud', 'negative')] : null));
    const view = createInboxView();
    document.body.append(view.el);
    view.show();
    await until(() => allByTestId('inbox-row').length === 2);
    const sel = byTestId<HTMLSelectElement>('inbox-filter-sentiment')!;
    sel.value = 'positive';
    sel.dispatchEvent(new Event('change'));
    expect(allByTestId('inbox-row').map((r) => r.dataset.intent)).toEqual(['greeting']);
    expect(byTestId('inbox-count')!.textContent).toBe('1 of 2 messages');
  });
});
