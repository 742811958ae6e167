// A line under the error banner when the loaded model lacks heads: which features are off and
// what happens instead (a converted headless checkpoint still serves retrieval and custom intents).
import { api, type EngineStatus } from './api';
import { h, mount } from './dom';

let notice: HTMLElement | null = null;

export function modelNotice(): HTMLElement {
  if (!notice) {
    notice = h('div', { class: 'model-notice', testid: 'model-notice', role: 'status', hidden: true });
  }
  return notice;
}

/** Shows what the engine's model lacks, or hides the notice when it lacks nothing. */
export function renderModelNotice(status: EngineStatus): void {
  const el = modelNotice();
  const missing = status.missing_features ?? [];
  if (!missing.length) {
    el.hidden = true;
    el.replaceChildren();
    return;
  }
  mount(
    el,
    h('strong', null, `${status.manifest.name} ${status.manifest.version} lacks ${missing.map((m) => m.feature).join(' and ')}. `),
    h('ul', null, missing.map((m) => h('li', { testid: 'model-missing-feature' }, m.consequence))),
  );
  el.hidden = false;
}

/** Reads the engine's status and shows what its model lacks; silent if the engine is not up. */
export async function refreshModelNotice(): Promise<void> {
  try {
    renderModelNotice(await api.status(0));
  } catch {
    // The error banner reports a missing engine where it matters; this line stays as it was.
  }
}
