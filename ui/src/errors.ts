// The error banner: every rejected invoke ends up here as a readable message.
import { errorMessage } from './api';
import { h, mount } from './dom';

let banner: HTMLElement | null = null;
let hideTimer: ReturnType<typeof setTimeout> | undefined;

export function errorBanner(): HTMLElement {
  if (!banner) {
    banner = h('div', { class: 'error-banner', testid: 'error-banner', role: 'alert', hidden: true });
  }
  return banner;
}

/** Shows an error (a rejected invoke's string, an Error, anything) with what was being done. */
export function showError(e: unknown, context?: string): string {
  const message = (context ? `${context}: ` : '') + errorMessage(e);
  const el = errorBanner();
  const dismiss = h('button', { class: 'ghost', 'aria-label': 'Dismiss error', testid: 'error-dismiss', on: { click: hideError } }, '×');
  mount(el, h('span', { class: 'error-text', testid: 'error-text' }, message), dismiss);
  el.hidden = false;
  clearTimeout(hideTimer);
  hideTimer = setTimeout(hideError, 15000);
  return message;
}

export function hideError(): void {
  if (banner) {
    banner.hidden = true;
    banner.replaceChildren();
  }
}

/** Runs an async action, showing its failure in the banner; resolves to undefined on failure. */
export async function attempt<T>(context: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    showError(e, context);
    return undefined;
  }
}
