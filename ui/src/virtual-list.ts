// A virtualised list: only the rows in (and just around) the viewport exist in the DOM, so
// thousands of items scroll smoothly. Rows have a fixed height. Keyboard: arrows, Page Up/Down,
// Home/End move the selection (the list is one tab stop, with aria-activedescendant).
import { h } from './dom';

export interface VirtualListOptions<T> {
  rowHeight: number;
  renderRow: (item: T, index: number, selected: boolean) => HTMLElement;
  onSelect?: (item: T, index: number) => void;
  overscan?: number;
  /** Used when the element has no layout (tests, hidden tab). */
  fallbackHeight?: number;
  label?: string;
  testid?: string;
  key?: (item: T) => string | number;
}

let nextListId = 0;

export class VirtualList<T> {
  readonly el: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private items: T[] = [];
  private selected = -1;
  private readonly id = `vl${nextListId++}`;
  private frame = 0;

  constructor(private readonly opts: VirtualListOptions<T>) {
    this.spacer = h('div', { class: 'vlist-spacer' });
    this.el = h(
      'div',
      {
        class: 'vlist',
        role: 'listbox',
        tabindex: '0',
        'aria-label': opts.label ?? 'List',
        testid: opts.testid,
        on: { scroll: () => this.schedule(), keydown: (e: KeyboardEvent) => this.onKey(e) },
      },
      this.spacer,
    );
    if (typeof ResizeObserver !== 'undefined') new ResizeObserver(() => this.schedule()).observe(this.el);
  }

  setItems(items: T[], keepSelection = true): void {
    const key = this.opts.key;
    const prev = this.selected >= 0 ? this.items[this.selected] : undefined;
    this.items = items;
    if (keepSelection && prev !== undefined && key) {
      const k = key(prev);
      this.selected = items.findIndex((i) => key(i) === k);
    } else if (this.selected >= items.length) this.selected = -1;
    this.render();
  }

  get length(): number {
    return this.items.length;
  }

  get selectedIndex(): number {
    return this.selected;
  }

  select(index: number, scroll = true): void {
    if (index < 0 || index >= this.items.length) return;
    this.selected = index;
    if (scroll) this.scrollToIndex(index);
    this.render();
    this.opts.onSelect?.(this.items[index], index);
  }

  scrollToIndex(index: number): void {
    const rh = this.opts.rowHeight;
    const top = index * rh;
    const vh = this.viewportHeight();
    if (top < this.el.scrollTop) this.el.scrollTop = top;
    else if (top + rh > this.el.scrollTop + vh) this.el.scrollTop = top + rh - vh;
  }

  private viewportHeight(): number {
    return this.el.clientHeight || this.opts.fallbackHeight || 600;
  }

  /** The index range [start, end) that is rendered. */
  visibleRange(): [number, number] {
    const rh = this.opts.rowHeight;
    const overscan = this.opts.overscan ?? 6;
    const first = Math.floor(this.el.scrollTop / rh);
    const count = Math.ceil(this.viewportHeight() / rh);
    const start = Math.max(0, first - overscan);
    const end = Math.min(this.items.length, first + count + overscan);
    return [start, Math.max(start, end)];
  }

  private schedule(): void {
    if (this.frame) return;
    const raf = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (f: () => void) => setTimeout(f, 0);
    this.frame = raf(() => {
      this.frame = 0;
      this.render();
    }) as unknown as number;
  }

  render(): void {
    const rh = this.opts.rowHeight;
    this.spacer.style.height = `${this.items.length * rh}px`;
    const [start, end] = this.visibleRange();
    const rows: HTMLElement[] = [];
    for (let i = start; i < end; i++) {
      const row = this.opts.renderRow(this.items[i], i, i === this.selected);
      row.id = `${this.id}-${i}`;
      row.setAttribute('role', 'option');
      row.setAttribute('aria-selected', String(i === this.selected));
      row.setAttribute('aria-posinset', String(i + 1));
      row.setAttribute('aria-setsize', String(this.items.length));
      row.classList.add('vlist-row');
      row.style.top = `${i * rh}px`;
      row.style.height = `${rh}px`;
      row.addEventListener('click', () => {
        this.el.focus();
        this.select(i, false);
      });
      rows.push(row);
    }
    this.spacer.replaceChildren(...rows);
    if (this.selected >= start && this.selected < end) this.el.setAttribute('aria-activedescendant', `${this.id}-${this.selected}`);
    else this.el.removeAttribute('aria-activedescendant');
  }

  private onKey(e: KeyboardEvent): void {
    if (!this.items.length) return;
    const page = Math.max(1, Math.floor(this.viewportHeight() / this.opts.rowHeight) - 1);
    const cur = this.selected;
    let next = cur;
    switch (e.key) {
      case 'ArrowDown':
        next = cur + 1;
        break;
      case 'ArrowUp':
        next = cur - 1;
        break;
      case 'PageDown':
        next = cur + page;
        break;
      case 'PageUp':
        next = cur - page;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = this.items.length - 1;
        break;
      default:
        return;
    }
    e.preventDefault();
    this.select(Math.max(0, Math.min(this.items.length - 1, next)));
  }
}
