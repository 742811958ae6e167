// Assembles a streamed answer from chat_send's Channel events.
import type { Analysis, ChatEvent, Citation } from './api';

export interface AnswerState {
  conversationId: number | null;
  userMessageId: number | null;
  analysis: Analysis | null;
  sources: Citation[];
  text: string;
  done: boolean;
  grounded: boolean | null;
  elapsedMs: number | null;
  error: string | null;
}

export function emptyAnswer(): AnswerState {
  return {
    conversationId: null,
    userMessageId: null,
    analysis: null,
    sources: [],
    text: '',
    done: false,
    grounded: null,
    elapsedMs: null,
    error: null,
  };
}

/** Applies one event; returns the new state (the input is not changed). */
export function applyChatEvent(state: AnswerState, event: ChatEvent): AnswerState {
  switch (event.type) {
    case 'started':
      return { ...state, conversationId: event.conversation_id, userMessageId: event.message_id };
    case 'analysis':
      return { ...state, analysis: event.analysis };
    case 'sources':
      return { ...state, sources: event.sources };
    case 'delta':
      return { ...state, text: state.text + event.text };
    case 'done':
      // The final text is authoritative (deltas may have been dropped by a closed listener).
      return { ...state, text: event.text, done: true, grounded: event.grounded, elapsedMs: event.elapsed_ms };
    case 'error':
      return { ...state, error: event.message, done: true };
    default:
      return state;
  }
}

export type Segment = { kind: 'text'; text: string } | { kind: 'cite'; n: number; citation: Citation | null };

/** Splits answer text into plain runs and numbered citations `[n]`. */
export function segments(text: string, sources: Citation[]): Segment[] {
  const out: Segment[] = [];
  const re = /\[(\d+)\]/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push({ kind: 'text', text: text.slice(last, m.index) });
    const n = Number(m[1]);
    out.push({ kind: 'cite', n, citation: sources.find((s) => s.n === n) ?? null });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}
