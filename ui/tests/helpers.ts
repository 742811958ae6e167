import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { Channel } from '@tauri-apps/api/core';

export type Handler = (cmd: string, args: Record<string, unknown>) => unknown;

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

/** Installs a fake backend; returns the list of calls it received. */
export function fakeBackend(handler: Handler): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    return handler(cmd, args);
  });
  return calls;
}

export function reset(): void {
  clearMocks();
  document.body.replaceChildren();
}

/** Delivers messages to a Channel the way the Rust side does (indexed, then an end marker). */
export function emit<T>(channel: unknown, messages: T[], opts: { order?: number[]; from?: number; end?: boolean } = {}): void {
  const ch = channel as Channel<T>;
  const internals = (window as any).__TAURI_INTERNALS__;
  const from = opts.from ?? 0;
  const idx = opts.order ?? messages.map((_, i) => i);
  for (const i of idx) internals.runCallback(ch.id, { index: from + i, message: messages[i] });
  if (opts.end ?? true) internals.runCallback(ch.id, { index: from + messages.length, end: true });
}

export const flush = () => new Promise((r) => setTimeout(r, 0));

export async function until(cond: () => boolean, ms = 1000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const byTestId = <T extends Element = HTMLElement>(id: string, root: ParentNode = document) =>
  root.querySelector<T & Element>(`[data-testid="${id}"]`) as T | null;
export const allByTestId = <T extends Element = HTMLElement>(id: string, root: ParentNode = document) =>
  [...root.querySelectorAll(`[data-testid="${id}"]`)] as T[];
