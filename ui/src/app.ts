// The shell: navigation between views, the error banner, keyboard shortcuts (Alt+1…6).
import { h, mount } from './dom';
import { errorBanner, showError } from './errors';
import { modelNotice, refreshModelNotice } from './model-notice';
import { createChatView } from './views/chat';
import { createDevView } from './views/dev';
import { createInboxView } from './views/inbox';
import { createIntentsView } from './views/intents';
import { createKnowledgeView } from './views/knowledge';
import { createSettingsView } from './views/settings';
import type { View } from './views/types';

export const VIEWS = [
  { id: 'chat', label: 'Chat', create: createChatView },
  { id: 'inbox', label: 'Inbox', create: createInboxView },
  { id: 'knowledge', label: 'Knowledge', create: createKnowledgeView },
  { id: 'intents', label: 'Intents', create: createIntentsView },
  { id: 'dev', label: 'Dev panel', create: createDevView },
  { id: 'settings', label: 'Settings', create: createSettingsView },
] as const;
export type ViewId = (typeof VIEWS)[number]['id'];

export interface App {
  show(id: ViewId): void;
  current(): ViewId;
  view(id: ViewId): View;
}

export function startApp(root: HTMLElement): App {
  const views = new Map<ViewId, View>();
  const buttons = new Map<ViewId, HTMLButtonElement>();
  const main = h('main', { class: 'content', id: 'content', tabindex: '-1' });
  let active: ViewId | null = null;

  const nav = h(
    'nav',
    { class: 'sidebar', 'aria-label': 'Sections' },
    h('div', { class: 'brand' }, 'SqueezeDesk'),
    h(
      'ul',
      { role: 'list' },
      VIEWS.map((v, i) => {
        const b = h(
          'button',
          { class: 'nav', testid: `nav-${v.id}`, title: `${v.label} (Alt+${i + 1})`, on: { click: () => show(v.id) } },
          v.label,
        );
        buttons.set(v.id, b);
        return h('li', null, b);
      }),
    ),
  );

  function view(id: ViewId): View {
    let v = views.get(id);
    if (!v) {
      const def = VIEWS.find((x) => x.id === id)!;
      v = def.create();
      v.el.hidden = true;
      v.el.id = `view-${id}`;
      v.el.setAttribute('data-testid', `view-${id}`);
      main.append(v.el);
      views.set(id, v);
    }
    return v;
  }

  function show(id: ViewId): void {
    if (active === id) return;
    if (active) {
      const prev = views.get(active)!;
      prev.el.hidden = true;
      prev.hide();
      buttons.get(active)?.removeAttribute('aria-current');
    }
    active = id;
    const v = view(id);
    v.el.hidden = false;
    buttons.get(id)?.setAttribute('aria-current', 'page');
    try {
      v.show();
    } catch (e) {
      showError(e, `Opening ${id}`);
    }
    if (location.hash !== `#${id}`) history.replaceState(null, '', `#${id}`);
  }

  mount(
    root,
    h('a', { class: 'skip', href: '#content' }, 'Skip to content'),
    h('div', { class: 'shell' }, nav, h('div', { class: 'main-col' }, errorBanner(), modelNotice(), main)),
  );

  document.addEventListener('keydown', (e) => {
    if (e.altKey && !e.ctrlKey && !e.metaKey && /^[1-6]$/.test(e.key)) {
      e.preventDefault();
      const target = VIEWS[Number(e.key) - 1].id;
      show(target);
      buttons.get(target)?.focus();
    }
  });
  window.addEventListener('unhandledrejection', (e) => showError(e.reason));
  void refreshModelNotice();

  const fromHash = location.hash.slice(1) as ViewId;
  show(VIEWS.some((v) => v.id === fromHash) ? fromHash : 'chat');
  return { show, current: () => active!, view };
}
