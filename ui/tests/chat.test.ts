import { afterEach, describe, expect, it } from 'vitest';
import type { ChatEvent, Citation } from '../src/api';
import { applyChatEvent, emptyAnswer, segments } from '../src/chat-stream';
import { createChatView } from '../src/views/chat';
import { analysis } from './fixtures';
import { allByTestId, byTestId, emit, fakeBackend, reset, until } from './helpers';

afterEach(reset);

const cite: Citation = {
  n: 1, document: 'lost-card.md', document_id: 3, title: 'Lost or stolen card', passage: 'Freeze it immediately in the app.', score: 0.9, cosine: 0.71,
};

const events: ChatEvent[] = [
  { type: 'started', conversation_id: 7, message_id: 21 },
  { type: 'analysis', analysis: analysis('my card was stolen', 'report_lost_card', 'negative') },
  { type: 'sources', sources: [cite] },
  { type: 'delta', text: 'Freeze it immediately in the app. [1]' },
  { type: 'delta', text: ' Frozen cards cannot be used. [1]' },
  { type: 'done', message_id: 22, text: 'Freeze it immediately in the app. [1] Frozen cards cannot be used. [1]', grounded: true, elapsed_ms: 12.5 },
];

describe('chat streaming assembly', () => {
  it('concatenates deltas in order and keeps the sources', () => {
    let s = emptyAnswer();
    const partial: string[] = [];
    for (const e of events.slice(0, 5)) {
      s = applyChatEvent(s, e);
      partial.push(s.text);
    }
    expect(partial[3]).toBe('Freeze it immediately in the app. [1]');
    expect(s.text).toBe('Freeze it immediately in the app. [1] Frozen cards cannot be used. [1]');
    expect(s.done).toBe(false);
    expect(s.conversationId).toBe(7);
    expect(s.sources).toEqual([cite]);
    s = applyChatEvent(s, events[5]);
    expect(s.done).toBe(true);
    expect(s.grounded).toBe(true);
    expect(s.elapsedMs).toBe(12.5);
  });

  it('an error event ends the answer with its message', () => {
    const s = applyChatEvent(applyChatEvent(emptyAnswer(), { type: 'delta', text: 'Par' }), { type: 'error', message: 'queue full' });
    expect(s.error).toBe('queue full');
    expect(s.done).toBe(true);
    expect(s.text).toBe('Par');
  });

  it('splits numbered citations out of the text', () => {
    const segs = segments('A [1] and B [2].', [cite]);
    expect(segs).toEqual([
      { kind: 'text', text: 'A ' },
      { kind: 'cite', n: 1, citation: cite },
      { kind: 'text', text: ' and B ' },
      { kind: 'cite', n: 2, citation: null },
      { kind: 'text', text: '.' },
    ]);
  });

  it('streams an answer into the view; citation [1] opens the cited article', async () => {
    let streamed: (() => void) | null = null;
    const calls = fakeBackend((cmd, args) => {
      switch (cmd) {
        case 'conversations_list':
          return [];
        case 'chat_send':
          expect(args).toMatchObject({ conversationId: null, text: 'my card was stolen, what do I do?' });
          // Deltas arrive over time; the promise resolves after the last one.
          return new Promise((resolve) => {
            streamed = () => {
              emit(args.onEvent, events.slice(4), { from: 4 });
              resolve(null);
            };
            emit(args.onEvent, events.slice(0, 4), { end: false });
          });
        case 'kb_get':
          return { id: 3, document: 'lost-card.md', title: 'Lost or stolen card', body: 'b', format: 'markdown', updated_at: 'now', passages: ['Freeze it immediately in the app.'] };
        default:
          return null;
      }
    });
    const view = createChatView();
    document.body.append(view.el);
    view.show();
    const input = byTestId<HTMLTextAreaElement>('chat-input')!;
    input.value = 'my card was stolen, what do I do?';
    byTestId<HTMLButtonElement>('chat-send')!.click();
    await until(() => !!byTestId('chat-answer')?.textContent?.includes('[1]'));
    // Part-way: only the first delta is there.
    expect(byTestId('chat-answer')!.textContent).toContain('Freeze it immediately in the app. [1]');
    expect(byTestId('chat-answer')!.textContent).not.toContain('Frozen cards');
    expect(byTestId<HTMLButtonElement>('chat-send')!.disabled).toBe(true);
    streamed!();
    await until(() => !!byTestId('chat-meta'));
    expect(byTestId('chat-answer')!.textContent).toContain('Frozen cards cannot be used. [1]');
    expect(allByTestId('chat-answer')).toHaveLength(1);
    // Intent chips from the analysis event on the user's message.
    expect(document.querySelector('.msg.user .chips')!.textContent).toContain('report_lost_card');
    const c1 = byTestId<HTMLButtonElement>('citation-1')!;
    expect(c1.textContent).toBe('[1]');
    c1.click();
    await until(() => byTestId('article-title')?.textContent === 'Lost or stolen card');
    expect(calls.find((c) => c.cmd === 'kb_get')!.args).toEqual({ key: '3' });
    expect(byTestId('article-panel')!.hidden).toBe(false);
    expect(document.querySelector('.article-text p.cited')).not.toBeNull();
  });
});

describe('conversation history', () => {
  it('lists conversations, opens one with its citations, exports it and deletes it', async () => {
    const conv = { id: 5, title: 'card stolen', created_at: '2026-11-28T10:00:00Z', updated_at: '2026-11-28T10:01:00Z' };
    let list = [conv];
    const calls = fakeBackend((cmd, args) => {
      switch (cmd) {
        case 'conversations_list':
          return list;
        case 'conversation_get':
          return {
            conversation: conv,
            messages: [
              { id: 1, role: 'user', content: 'my card was stolen', analysis: null, sources: null, created_at: '' },
              { id: 2, role: 'assistant', content: 'Freeze it. [1]', analysis: null, sources: [cite], created_at: '' },
            ],
          };
        case 'conversation_export':
          return { content: args.format === 'md' ? '# card stolen\n' : '{"id":5}', path: `/home/ann/Downloads/conversation-5.${args.format}` };
        case 'conversation_delete':
          list = [];
          return null;
        default:
          return null;
      }
    });
    const view = createChatView();
    document.body.append(view.el);
    view.show();
    await until(() => allByTestId('conversation-item').length === 1);
    allByTestId<HTMLButtonElement>('conversation-item')[0].click();
    await until(() => byTestId('chat-answer')?.textContent === 'Freeze it. [1][1] Lost or stolen card lost-card.md · score 0.90 · cosine 0.71');
    expect(calls.find((c) => c.cmd === 'conversation_get')!.args).toEqual({ id: 5 });
    expect(byTestId('conversation-title')!.textContent).toBe('card stolen');
    expect(byTestId('citation-1')).not.toBeNull();
    byTestId<HTMLButtonElement>('chat-export-md')!.click();
    await until(() => !byTestId('chat-export-preview')!.hidden);
    expect(calls.find((c) => c.cmd === 'conversation_export')!.args).toEqual({ id: 5, format: 'md' });
    expect(byTestId<HTMLTextAreaElement>('chat-export-content')!.value).toBe('# card stolen\n');
    expect(byTestId('chat-export-path')!.textContent).toBe('Saved to /home/ann/Downloads/conversation-5.md');
    const del = byTestId<HTMLButtonElement>('chat-delete')!;
    del.click(); // asks for confirmation first
    expect(calls.some((c) => c.cmd === 'conversation_delete')).toBe(false);
    del.click();
    await until(() => allByTestId('conversation-item').length === 0);
    expect(calls.find((c) => c.cmd === 'conversation_delete')!.args).toEqual({ id: 5 });
    expect(byTestId('conversation-title')!.textContent).toBe('New conversation');
  });
});
