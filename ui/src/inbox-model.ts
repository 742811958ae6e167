// Sorting and filtering of the inbox queue (pure functions).
import type { InboxItem } from './api';

export interface InboxView {
  intent: string; // '' = all
  sentiment: string; // '' = all
  showHandled: boolean;
}

/** The intent shown for an item: the custom one when it claimed the message. */
export function displayIntent(item: InboxItem): string {
  return item.custom_intent ?? item.intent;
}

/** Most urgent first; ties: newest id first. */
export function sortByPriority(items: InboxItem[]): InboxItem[] {
  return [...items].sort((a, b) => b.priority - a.priority || b.id - a.id);
}

export function filterItems(items: InboxItem[], view: InboxView): InboxItem[] {
  return items.filter(
    (i) =>
      (view.showHandled || !i.handled) &&
      (!view.intent || displayIntent(i) === view.intent || i.intent === view.intent) &&
      (!view.sentiment || i.sentiment === view.sentiment),
  );
}

/** Replaces items with the same id, adds new ones. */
export function mergeItems(items: InboxItem[], incoming: InboxItem[]): InboxItem[] {
  const byId = new Map(items.map((i) => [i.id, i]));
  for (const i of incoming) byId.set(i.id, i);
  return [...byId.values()];
}

export function distinct(items: InboxItem[], key: (i: InboxItem) => string): string[] {
  return [...new Set(items.map(key))].sort();
}
