// Small hand-written SVG charts (no library). Colours come from CSS classes.
const NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: (SVGElement | string)[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

/** A line chart with a log-scaled y axis (ms), x in seconds. */
export function lineChart(series: Series[], opts: { width?: number; height?: number; title: string }): SVGSVGElement {
  const W = opts.width ?? 1000;
  const H = opts.height ?? 240;
  const L = 64, R = 12, T = 8, B = 22;
  const all = series.flatMap((s) => s.points);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': opts.title});
  root.append(svg('title', {}, opts.title));
  if (!all.length) {
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'no samples yet'));
    return root;
  }
  const xmin = Math.min(...all.map((p) => p.x));
  const xmax = Math.max(...all.map((p) => p.x), xmin + 1);
  const ymin = Math.max(1e-3, Math.min(...all.map((p) => p.y)));
  const lo = Math.floor(Math.log10(ymin));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all.map((p) => p.y), 1e-3))));
  const sx = (x: number) => L + ((x - xmin) / (xmax - xmin)) * (W - L - R);
  const sy = (y: number) => T + (1 - (Math.log10(Math.max(y, 1e-3)) - lo) / (hi - lo)) * (H - T - B);
  for (let e = lo; e <= hi; e++) {
    const y = sy(10 ** e);
    root.append(svg('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'grid' }));
    const label = e >= 0 ? `${10 ** e} ms` : `${(10 ** e).toFixed(-e)} ms`;
    root.append(svg('text', { x: L - 4, y: y + 4, 'text-anchor': 'end', class: 'axis' }, label));
  }
  root.append(svg('text', { x: L, y: H - 6, class: 'axis' }, `${xmin.toFixed(0)} s`));
  root.append(svg('text', { x: W - R, y: H - 6, 'text-anchor': 'end', class: 'axis' }, `${xmax.toFixed(0)} s`));
  for (const s of series) {
    if (!s.points.length) continue;
    const d = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    root.append(svg('polyline', { points: d, class: `line st-${s.name}`, 'data-stage': s.name }));
  }
  return root;
}

/** Horizontal bars, one per row, for benchmark results. */
export function barChart(rows: { label: string; value: number }[], opts: { title: string; unit: string }): SVGSVGElement {
  const rowH = 18;
  const W = 640, L = 260, R = 70;
  const H = Math.max(30, rows.length * rowH + 10);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart bars', role: 'img', 'aria-label': opts.title });
  root.append(svg('title', {}, opts.title));
  const max = Math.max(...rows.map((r) => r.value), 1e-9);
  rows.forEach((r, i) => {
    const y = 5 + i * rowH;
    const w = ((W - L - R) * r.value) / max;
    root.append(svg('text', { x: L - 6, y: y + 12, 'text-anchor': 'end', class: 'axis' }, r.label));
    root.append(svg('rect', { x: L, y: y + 2, width: Math.max(1, w), height: rowH - 5, class: 'bar' }));
    root.append(svg('text', { x: L + w + 4, y: y + 12, class: 'axis' }, `${r.value.toFixed(2)} ${opts.unit}`));
  });
  return root;
}
