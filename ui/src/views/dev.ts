// Dev panel: every figure is read from the core (status, bench_run); nothing is estimated here.
import { api, type BenchReport, type BenchRow, type EngineStatus } from '../api';
import { barChart, lineChart } from '../chart';
import { fmt, fmtBytes, h, mount } from '../dom';
import { errorMessage } from '../api';
import { showError } from '../errors';
import { BATCH_BUCKETS, seriesByStage, stageTable } from '../metrics';
import type { View } from './types';

const RECENT = 2000;
const BENCH_COLUMNS = ['model', 'variant', 'stage', 'seq', 'batch', 'p50_ms', 'p95_ms', 'p99_ms', 'per_s'];

export function renderStageTable(table: HTMLTableElement, status: EngineStatus): void {
  const rows = stageTable(status.metrics);
  mount(
    table,
    h('caption', null, 'Per-stage latency (ms), measured by the core'),
    h('thead', null, h('tr', null, ['stage', 'count', 'mean', 'p50', 'p95', 'p99', 'max'].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      null,
      rows.length
        ? rows.map((r) =>
            h(
              'tr',
              { 'data-stage': r.stage },
              h('th', { scope: 'row' }, h('span', { class: `swatch st-${r.stage}` }), r.stage),
              h('td', { 'data-col': 'count', 'data-value': String(r.count) }, String(r.count)),
              h('td', { 'data-col': 'mean', 'data-value': String(r.mean) }, fmt(r.mean, 3)),
              h('td', { 'data-col': 'p50', 'data-value': String(r.p50) }, fmt(r.p50, 3)),
              h('td', { 'data-col': 'p95', 'data-value': String(r.p95) }, fmt(r.p95, 3)),
              h('td', { 'data-col': 'p99', 'data-value': String(r.p99) }, fmt(r.p99, 3)),
              h('td', { 'data-col': 'max', 'data-value': String(r.max) }, fmt(r.max, 3)),
            ),
          )
        : h('tr', null, h('td', { colspan: '7', class: 'muted' }, 'No measurements yet: analyse, search or chat to record some.')),
    ),
  );
}

export function benchColumns(rows: Record<string, unknown>[]): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const [k, v] of Object.entries(r)) if (v === null || typeof v !== 'object') keys.add(k);
  const known = BENCH_COLUMNS.filter((k) => keys.has(k));
  return known.concat([...keys].filter((k) => !BENCH_COLUMNS.includes(k)));
}

function cell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  if (v === null || v === undefined) return '—';
  return String(v);
}

function genericTable(rows: Record<string, unknown>[], testid: string): HTMLElement {
  const cols = benchColumns(rows);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data', testid },
      h('thead', null, h('tr', null, cols.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows.map((r) => h('tr', null, cols.map((c) => h('td', null, cell(r[c])))))),
    ),
  );
}

export function renderBench(target: HTMLElement, report: BenchReport): void {
  const rows = Array.isArray(report.results) ? report.results : [];
  if (!rows.length) {
    mount(target, h('pre', { class: 'json', testid: 'dev-bench-json' }, JSON.stringify(report, null, 2)));
    return;
  }
  const label = (r: BenchRow) => [r.model, r.variant, r.stage, r.seq !== undefined ? `seq ${r.seq}` : '', r.batch !== undefined ? `b${r.batch}` : '', r.threads !== undefined ? `${r.threads}t` : ''].filter(Boolean).join(' ');
  const plotted = rows.filter((r) => typeof r.p50_ms === 'number');
  mount(
    target,
    h(
      'p',
      { class: 'muted small' },
      [report.cpu, report.cores !== undefined ? `${report.cores} cores` : '', report.elapsed_s !== undefined ? `${fmt(report.elapsed_s, 1)} s` : '',
        report.peak_rss_bytes ? `peak RSS ${fmtBytes(report.peak_rss_bytes)}` : '']
        .filter(Boolean)
        .join(' · '),
    ),
    plotted.length ? barChart(plotted.map((r) => ({ label: label(r), value: r.p50_ms as number })), { title: 'Benchmark p50 latency', unit: 'ms' }) : null,
    genericTable(rows, 'dev-bench-table'),
    Array.isArray(report.loads) && report.loads.length ? [h('h4', null, 'Model loads'), genericTable(report.loads, 'dev-bench-loads')] : null,
    Array.isArray(report.notes) && report.notes.length ? h('ul', { class: 'small' }, report.notes.map((n) => h('li', null, n))) : null,
  );
}

export function createDevView(): View & { poll(): Promise<void> } {
  const table = h('table', { class: 'data', testid: 'dev-stage-table' });
  const chartBox = h('div', { class: 'chart-box', testid: 'dev-chart' });
  const legend = h('div', { class: 'legend' });
  const provider = h('div', { class: 'provider', testid: 'dev-provider' });
  const facts = h('dl', { class: 'facts', testid: 'dev-facts' });
  const batches = h('div', { class: 'batches', testid: 'dev-batches' });
  const pollState = h('span', { class: 'muted small', testid: 'dev-poll-state' });
  const benchBtn = h('button', { class: 'primary', testid: 'dev-bench', on: { click: () => runBench() } }, 'Run benchmark');
  const benchProgress = h('pre', { class: 'small bench-progress', testid: 'dev-bench-progress', hidden: true });
  const benchOut = h('div', { class: 'bench-out', testid: 'dev-bench-result' });
  const hidden = new Set<string>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let inFlight = false;
  let last: EngineStatus | null = null;
  let failures = 0;

  const el = h(
    'section',
    { class: 'view dev-view', 'aria-label': 'Dev panel' },
    h('header', { class: 'view-header' }, h('h2', null, 'Dev panel'), pollState),
    h('div', { class: 'dev-grid' }, h('div', { class: 'card span2' }, h('h3', null, 'Latency over time'), chartBox, legend), h('div', { class: 'card span2 table-wrap' }, table), h('div', { class: 'card' }, h('h3', null, 'Execution provider'), provider), h('div', { class: 'card' }, h('h3', null, 'Engine'), facts), h('div', { class: 'card' }, h('h3', null, 'Batching'), batches), h('div', { class: 'card span2' }, h('h3', null, 'Benchmark'), benchBtn, benchProgress, benchOut)),
  );

  function renderChart(s: EngineStatus): void {
    const series = seriesByStage(s.metrics.recent);
    const names = [...series.keys()];
    mount(
      chartBox,
      lineChart(
        names.filter((n) => !hidden.has(n)).map((n) => ({ name: n, points: series.get(n)!.map((p) => ({ x: p.at_ms / 1000, y: p.ms })) })),
        { title: 'Per-stage latency samples (ms, log scale) over uptime (s)' },
      ),
    );
    mount(
      legend,
      names.map((n) =>
        h(
          'label',
          { class: 'legend-item' },
          h('input', { type: 'checkbox', checked: !hidden.has(n), on: { change: (e: Event) => ((e.target as HTMLInputElement).checked ? hidden.delete(n) : hidden.add(n), last && renderChart(last)) } }),
          h('span', { class: `swatch st-${n}` }),
          n,
        ),
      ),
    );
  }

  function render(s: EngineStatus): void {
    const b = s.backend;
    const p = b.provider;
    renderStageTable(table, s);
    renderChart(s);
    mount(
      provider,
      h('p', null, 'Active: ', h('strong', { testid: 'dev-provider-active' }, p.active), ` (requested ${p.requested})`),
      p.fallback_reasons.length
        ? h('div', { class: 'warn-box', testid: 'dev-fallback' }, h('p', null, 'GPU provider refused; running on ' + p.active + ':'), h('ul', null, p.fallback_reasons.map((r) => h('li', null, r))))
        : null,
    );
    const rows: [string, string][] = [
      ['Model', `${b.model} ${b.version}`],
      ['Variant', `${b.variant} (${b.file})`],
      ['File size', fmtBytes(b.file_bytes)],
      ['Load time', `${fmt(b.load_ms, 0)} ms`],
      ['Threads', `${b.threads} intra-op (of ${s.cpu_threads} CPUs)`],
      ['Heads', b.heads.join(', ') || 'none'],
      ['Max length', `${b.max_length} tokens, ${b.embedding_dim}-d embeddings`],
      ['Process memory', `${fmtBytes(s.process_rss_bytes)} RSS (peak ${fmtBytes(s.process_peak_rss_bytes)})`],
      ['Queue depth', String(s.metrics.queue_depth)],
      ['Uptime', `${fmt(s.metrics.uptime_ms / 1000, 0)} s`],
      ['Model folder', s.model_dir],
      ['Database', s.database],
      ['ONNX Runtime', b.ort_library],
    ];
    mount(facts, rows.map(([k, v]) => [h('dt', null, k), h('dd', { 'data-fact': k }, v)]));
    const bs = s.metrics.batches;
    const bp = s.batch_policy;
    mount(
      batches,
      h('p', null, `${bs.batches} batches, ${bs.messages} messages, mean size ${fmt(bs.mean_size)}, max ${bs.max_size}, mean padded length ${fmt(bs.mean_seq, 1)} tokens`),
      h('table', { class: 'data small' }, h('thead', null, h('tr', null, h('th', null, 'size'), BATCH_BUCKETS.map((l) => h('th', null, l)))), h('tbody', null, h('tr', null, h('th', null, 'batches'), bs.size_buckets.map((n) => h('td', null, String(n)))))),
      h('p', { class: 'muted small' }, `policy: max ${bp.max_batch} per batch, ${bp.token_budget} tokens, wait ${bp.max_wait} µs, queue ${bp.queue_capacity}`),
    );
  }

  async function poll(): Promise<void> {
    if (inFlight) return;
    inFlight = true;
    try {
      const s = await api.status(RECENT);
      last = s;
      failures = 0;
      render(s);
      pollState.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      failures++;
      pollState.textContent = `status failed: ${errorMessage(e)}`;
      if (failures === 1) showError(e, 'Reading engine status');
    } finally {
      inFlight = false;
    }
  }

  async function runBench(): Promise<void> {
    benchBtn.disabled = true;
    benchProgress.hidden = false;
    benchProgress.textContent = 'Starting…';
    mount(benchOut);
    try {
      const report = await api.benchRun((e) => {
        benchProgress.textContent =
          e.type === 'progress' && typeof e.done === 'number' && typeof e.total === 'number'
            ? `${e.done} / ${e.total} ${String(e.label ?? '')}`
            : JSON.stringify(e);
      });
      benchProgress.textContent = 'Finished.';
      renderBench(benchOut, report);
    } catch (e) {
      benchProgress.textContent = 'Benchmark failed.';
      showError(e, 'Benchmark');
    } finally {
      benchBtn.disabled = false;
    }
  }

  mount(table, h('caption', null, 'Loading…'));
  return {
    el,
    poll,
    show() {
      void poll();
      clearInterval(timer);
      timer = setInterval(() => {
        if (document.visibilityState !== 'hidden') void poll();
      }, 1000);
    },
    hide() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
