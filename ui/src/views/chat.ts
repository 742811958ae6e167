// Chat: streamed grounded answers with numbered citations, live intent/sentiment chips while
// typing, and the conversation history.
import { api, type Analysis, type ChatMessage, type Citation, type Conversation } from '../api';
import { applyChatEvent, emptyAnswer, segments, type AnswerState } from '../chat-stream';
import { fmt, h, mount, pct } from '../dom';
import { attempt, showError } from '../errors';
import { LiveAnalyzer } from '../live-analysis';
import { ArticlePanel } from './article-panel';
import type { View } from './types';

export function analysisChips(a: Analysis | null, testPrefix?: string): HTMLElement[] {
  if (!a) return [];
  const chips: HTMLElement[] = [];
  if (a.intent) {
    chips.push(
      h(
        'span',
        { class: `chip intent${a.intent.out_of_scope ? ' oos' : ''}`, testid: testPrefix && `${testPrefix}-intent`, title: 'Built-in intent' },
        `intent: ${a.intent.label} ${pct(a.intent.score)}`,
      ),
    );
  }
  if (a.custom_intent) {
    chips.push(
      h(
        'span',
        { class: 'chip custom', testid: testPrefix && `${testPrefix}-custom`, title: 'Custom intent (cosine to its examples)' },
        `custom: ${a.custom_intent.label} ${fmt(a.custom_intent.score)}`,
      ),
    );
  }
  if (a.sentiment) {
    chips.push(
      h(
        'span',
        { class: `chip sentiment s-${a.sentiment.label}`, testid: testPrefix && `${testPrefix}-sentiment`, title: 'Sentiment' },
        `${a.sentiment.label} ${pct(a.sentiment.score)}`,
      ),
    );
  }
  if (a.truncated) chips.push(h('span', { class: 'chip warn' }, `truncated at ${a.tokens} tokens`));
  return chips;
}

export function createChatView(): View & { send(text: string): Promise<void> } {
  const panel = new ArticlePanel();
  let conversationId: number | null = null;
  let conversations: Conversation[] = [];
  let busy = false;

  const historyList = h('ul', { class: 'conv-list', testid: 'conversation-list', 'aria-label': 'Conversations' });
  const messagesEl = h('div', { class: 'messages', testid: 'chat-messages', 'aria-live': 'polite' });
  const chipsEl = h('div', { class: 'chips live', testid: 'live-chips', 'aria-live': 'polite' });
  const input = h('textarea', {
    class: 'chat-input',
    testid: 'chat-input',
    rows: '2',
    placeholder: 'Ask a question… (Enter sends, Shift+Enter for a new line)',
    'aria-label': 'Message',
  });
  const sendBtn = h('button', { class: 'primary', testid: 'chat-send', type: 'submit' }, 'Send');
  const title = h('h2', { class: 'conv-title', testid: 'conversation-title' }, 'New conversation');
  const exportMd = h('button', { testid: 'chat-export-md', disabled: true, on: { click: () => exportAs('md') } }, 'Export .md');
  const exportJson = h('button', { testid: 'chat-export-json', disabled: true, on: { click: () => exportAs('json') } }, 'Export .json');
  const deleteBtn = h('button', { class: 'danger', testid: 'chat-delete', disabled: true, on: { click: () => deleteCurrent() } }, 'Delete');
  // The app writes the file itself (a webview drops Blob downloads); the export is also shown
  // here, to copy.
  const exportBox = h('div', { class: 'export-box', testid: 'chat-export-preview', hidden: true });

  const live = new LiveAnalyzer({
    analyze: (t) => api.analyze(t),
    onResult: (a) => mount(chipsEl, analysisChips(a, 'chip')),
    // Live chips are a hint: a failure is shown quietly, input is never blocked.
    onError: (e) => mount(chipsEl, h('span', { class: 'chip warn', testid: 'chip-error' }, `analysis unavailable: ${String(e)}`)),
  });
  input.addEventListener('input', () => live.update(input.value));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void submit();
    }
  });

  const form = h(
    'form',
    { class: 'composer', on: { submit: (e: Event) => (e.preventDefault(), void submit()) } },
    input,
    sendBtn,
  );

  const el = h(
    'section',
    { class: 'view chat-view', 'aria-label': 'Chat' },
    h(
      'nav',
      { class: 'history', 'aria-label': 'Conversation history' },
      h('button', { class: 'primary wide', testid: 'chat-new', on: { click: () => newConversation() } }, '+ New conversation'),
      historyList,
    ),
    h(
      'div',
      { class: 'chat-main' },
      h('header', { class: 'view-header' }, title, h('div', { class: 'actions' }, exportMd, exportJson, deleteBtn)),
      exportBox,
      messagesEl,
      chipsEl,
      form,
    ),
    panel.el,
  );

  function setActions(): void {
    const has = conversationId !== null;
    exportMd.disabled = exportJson.disabled = deleteBtn.disabled = !has;
  }

  function renderHistory(): void {
    mount(
      historyList,
      conversations.length
        ? conversations.map((c) =>
            h(
              'li',
              null,
              h(
                'button',
                {
                  class: `conv${c.id === conversationId ? ' active' : ''}`,
                  testid: 'conversation-item',
                  'aria-current': c.id === conversationId ? 'true' : undefined,
                  title: c.title,
                  on: { click: () => openConversation(c.id) },
                },
                h('span', { class: 'conv-name' }, c.title || '(untitled)'),
                h('span', { class: 'muted small' }, c.updated_at),
              ),
            ),
          )
        : h('li', { class: 'muted small' }, 'No conversations yet.'),
    );
  }

  async function refreshHistory(): Promise<void> {
    const list = await attempt('Loading conversations', () => api.conversationsList());
    if (list) {
      conversations = list;
      renderHistory();
    }
  }

  function answerText(text: string, sources: Citation[]): HTMLElement {
    const p = h('div', { class: 'answer-text' });
    for (const seg of segments(text, sources)) {
      if (seg.kind === 'text') p.append(seg.text);
      else {
        const c = seg.citation;
        p.append(
          h(
            'button',
            {
              class: 'cite',
              'data-n': String(seg.n),
              title: c ? `${c.title} (${c.document})` : `Source ${seg.n}`,
              'aria-label': c ? `Source ${seg.n}: ${c.title}` : `Source ${seg.n}`,
              disabled: !c,
              on: { click: () => c && panel.open(c.document_id, c.passage) },
            },
            `[${seg.n}]`,
          ),
        );
      }
    }
    return p;
  }

  function sourcesList(sources: Citation[]): HTMLElement | null {
    if (!sources.length) return null;
    return h(
      'ol',
      { class: 'sources', 'aria-label': 'Sources' },
      sources.map((s) =>
        h(
          'li',
          null,
          h(
            'button',
            { class: 'link', 'data-source': String(s.n), on: { click: () => panel.open(s.document_id, s.passage) } },
            `[${s.n}] ${s.title}`,
          ),
          h('span', { class: 'muted small' }, ` ${s.document} · score ${fmt(s.score)} · cosine ${fmt(s.cosine)}`),
        ),
      ),
    );
  }

  function userBubble(text: string, analysis: Analysis | null): HTMLElement {
    return h('div', { class: 'msg user' }, h('div', { class: 'who' }, 'You'), h('div', { class: 'msg-text' }, text), h('div', { class: 'chips' }, analysisChips(analysis)));
  }

  function assistantBubble(): { el: HTMLElement; update(s: AnswerState): void } {
    const body = h('div', { class: 'answer' }, h('span', { class: 'muted typing' }, 'Thinking…'));
    const el = h('div', { class: 'msg assistant' }, h('div', { class: 'who' }, 'SqueezeDesk'), body);
    return {
      el,
      update(s: AnswerState) {
        const meta = s.done
          ? h(
              'div',
              { class: 'muted small', testid: 'chat-meta' },
              s.error ? '' : `${s.grounded ? 'grounded in your knowledge base' : 'no matching article'} · ${fmt(s.elapsedMs, 0)} ms`,
            )
          : null;
        mount(
          body,
          s.text ? answerText(s.text, s.sources) : s.error ? null : h('span', { class: 'muted typing' }, 'Thinking…'),
          s.error ? h('div', { class: 'error-inline' }, `Error: ${s.error}`) : null,
          sourcesList(s.sources),
          meta,
        );
        markLast();
        messagesEl.scrollTop = messagesEl.scrollHeight;
      },
    };
  }

  /** Test hooks point at the latest answer only. */
  function markLast(): void {
    messagesEl.querySelectorAll('[data-testid="chat-answer"]').forEach((e) => e.removeAttribute('data-testid'));
    messagesEl.querySelectorAll('.cite[data-testid]').forEach((e) => e.removeAttribute('data-testid'));
    const answers = messagesEl.querySelectorAll('.msg.assistant .answer');
    const last = answers[answers.length - 1];
    if (!last) return;
    last.setAttribute('data-testid', 'chat-answer');
    last.querySelectorAll<HTMLElement>('.cite').forEach((b) => b.setAttribute('data-testid', `citation-${b.dataset.n}`));
  }

  function renderMessages(messages: ChatMessage[]): void {
    mount(
      messagesEl,
      messages.length
        ? messages.map((m) =>
            m.role === 'user'
              ? userBubble(m.content, (m.analysis as Analysis | null) ?? null)
              : h(
                  'div',
                  { class: 'msg assistant' },
                  h('div', { class: 'who' }, 'SqueezeDesk'),
                  h('div', { class: 'answer' }, answerText(m.content, m.sources ?? []), sourcesList(m.sources ?? [])),
                ),
          )
        : h('p', { class: 'muted empty' }, 'Ask a question; answers quote your knowledge base with numbered sources.'),
    );
    markLast();
    messagesEl.scrollTop = messagesEl.scrollHeight;
  }

  async function openConversation(id: number): Promise<void> {
    const detail = await attempt('Opening conversation', () => api.conversationGet(id));
    if (!detail) return;
    conversationId = id;
    title.textContent = detail.conversation.title || '(untitled)';
    renderMessages(detail.messages);
    renderHistory();
    setActions();
  }

  function newConversation(): void {
    conversationId = null;
    title.textContent = 'New conversation';
    renderMessages([]);
    renderHistory();
    setActions();
    input.focus();
  }

  async function exportAs(format: 'md' | 'json'): Promise<void> {
    if (conversationId === null) return;
    const id = conversationId;
    const saved = await attempt('Exporting conversation', () => api.conversationExport(id, format));
    if (saved === undefined) return;
    const { content, path } = saved;
    const area = h('textarea', { readonly: true, rows: '8', 'aria-label': `Exported to ${path}`, testid: 'chat-export-content' });
    area.value = content;
    const copy = h(
      'button',
      {
        on: {
          click: async () => {
            try {
              await navigator.clipboard.writeText(content);
              copy.textContent = 'Copied';
            } catch {
              area.select();
              copy.textContent = 'Selected: press Ctrl+C';
            }
          },
        },
      },
      'Copy',
    );
    mount(
      exportBox,
      h(
        'div',
        { class: 'row' },
        h('strong', { class: 'grow', testid: 'chat-export-path' }, `Saved to ${path}`),
        copy,
        h('button', { on: { click: () => (exportBox.hidden = true) } }, 'Close'),
      ),
      area,
    );
    exportBox.hidden = false;
  }

  async function deleteCurrent(): Promise<void> {
    if (conversationId === null) return;
    if (deleteBtn.dataset.confirm !== 'yes') {
      deleteBtn.dataset.confirm = 'yes';
      deleteBtn.textContent = 'Confirm delete';
      setTimeout(() => {
        deleteBtn.dataset.confirm = '';
        deleteBtn.textContent = 'Delete';
      }, 4000);
      return;
    }
    const id = conversationId;
    deleteBtn.dataset.confirm = '';
    deleteBtn.textContent = 'Delete';
    const ok = await attempt('Deleting conversation', () => api.conversationDelete(id));
    if (ok === undefined) return;
    newConversation();
    await refreshHistory();
  }

  async function send(text: string): Promise<void> {
    text = text.trim();
    if (!text || busy) return;
    busy = true;
    sendBtn.disabled = true;
    live.cancel();
    mount(chipsEl);
    if (messagesEl.querySelector('.empty')) messagesEl.replaceChildren();
    const user = userBubble(text, null);
    const bubble = assistantBubble();
    messagesEl.append(user, bubble.el);
    let state = emptyAnswer();
    const wasNew = conversationId === null;
    try {
      await api.chatSend(conversationId, text, (event) => {
        state = applyChatEvent(state, event);
        if (event.type === 'started') {
          conversationId = event.conversation_id;
          setActions();
        } else if (event.type === 'analysis') {
          user.querySelector('.chips')?.replaceChildren(...analysisChips(event.analysis));
        } else if (event.type === 'error') {
          showError(event.message, 'Answering');
        }
        bubble.update(state);
      });
    } catch (e) {
      state = { ...state, error: String(e), done: true };
      bubble.update(state);
      showError(e, 'Sending message');
    } finally {
      busy = false;
      sendBtn.disabled = false;
    }
    if (wasNew && conversationId !== null) title.textContent = text.slice(0, 60);
    await refreshHistory();
  }

  async function submit(): Promise<void> {
    const text = input.value;
    if (!text.trim() || busy) return;
    input.value = '';
    await send(text);
    input.focus();
  }

  renderMessages([]);
  let loaded = false;
  return {
    el,
    send,
    show() {
      if (!loaded) {
        loaded = true;
        void refreshHistory();
      }
      input.focus();
    },
    hide() {
      live.cancel();
    },
  };
}
