import { afterEach, describe, expect, it } from 'vitest';
import { h } from '../src/dom';
import { stageTable } from '../src/metrics';
import { benchColumns, createDevView, renderBench, renderStageTable } from '../src/views/dev';
import { engineStatus, snapshot } from './fixtures';
import { byTestId, fakeBackend, reset, until } from './helpers';

afterEach(reset);

describe('dev panel', () => {
  it('builds the percentile table from a Snapshot in pipeline order', () => {
    const rows = stageTable(snapshot());
    expect(rows.map((r) => r.stage)).toEqual(['tokenize', 'inference', 'total']);
    expect(rows[1]).toEqual({ stage: 'inference', count: 10, mean: 4.4, p50: 4.2, p95: 6.1, p99: 8.8, max: 9.0 });
  });

  it('renders p50/p95/p99 cells exactly as measured', () => {
    const table = h('table');
    renderStageTable(table, engineStatus());
    const inference = table.querySelector('tr[data-stage="inference"]')!;
    expect(inference.querySelector('[data-col="p50"]')!.textContent).toBe('4.200');
    expect(inference.querySelector('[data-col="p95"]')!.textContent).toBe('6.100');
    expect(inference.querySelector('[data-col="p99"]')!.textContent).toBe('8.800');
    expect(inference.querySelector('[data-col="p50"]')!.getAttribute('data-value')).toBe('4.2');
    expect(table.querySelectorAll('tbody tr')).toHaveLength(3);
  });

  it('polls status and shows provider, fallback reason, model facts and a chart', async () => {
    const calls = fakeBackend((cmd) => (cmd === 'status' ? engineStatus(['cuda: libcublasLt.so.13: cannot open shared object file']) : null));
    const view = createDevView();
    document.body.append(view.el);
    await view.poll();
    expect(calls[0]).toEqual({ cmd: 'status', args: { recent: 2000 } });
    expect(byTestId('dev-provider-active')!.textContent).toBe('cpu');
    expect(byTestId('dev-fallback')!.textContent).toContain('libcublasLt.so.13');
    const facts = byTestId('dev-facts')!.textContent!;
    expect(facts).toContain('squeezebert-mini');
    expect(facts).toContain('24.0 MiB');
    expect(facts).toContain('200.0 MiB RSS');
    expect(facts).toContain('321 ms');
    expect(byTestId('dev-batches')!.textContent).toContain('8 batches');
    const lines = byTestId('dev-chart')!.querySelectorAll('polyline');
    expect([...lines].map((l) => l.getAttribute('data-stage')).sort()).toEqual(['inference', 'tokenize']);
    expect(byTestId('dev-stage-table')!.querySelectorAll('tbody tr')).toHaveLength(3);
  });

  it('polls every second while visible and stops when hidden', async () => {
    const calls = fakeBackend(() => engineStatus());
    const view = createDevView();
    document.body.append(view.el);
    view.show();
    await until(() => calls.length >= 2, 2500);
    view.hide();
    const n = calls.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(calls.length).toBe(n);
  });

  it('shows bench results generically as a table', () => {
    const target = h('div');
    const report = {
      cpu: 'AMD EPYC',
      cores: 2,
      elapsed_s: 12.5,
      peak_rss_bytes: 300 * 1024 * 1024,
      notes: ['2-thread figures vary with core placement'],
      loads: [{ model: 'squeezebert', variant: 'int8', threads: 2, load_ms: 250, file_bytes: 1000 }],
      results: [
        { model: 'squeezebert', variant: 'int8', stage: 'inference', seq: 32, batch: 1, p50_ms: 2.5, p95_ms: 3, p99_ms: 3.5, per_s: 400, extra: 'x' },
        { model: 'squeezebert', variant: 'fp32', stage: 'inference', seq: 32, batch: 1, p50_ms: 5, p95_ms: 6, p99_ms: 7, per_s: 200 },
      ],
    };
    expect(benchColumns(report.results)).toEqual(['model', 'variant', 'stage', 'seq', 'batch', 'p50_ms', 'p95_ms', 'p99_ms', 'per_s', 'extra']);
    renderBench(target, report);
    const rows = target.querySelectorAll('[data-testid="dev-bench-table"] tbody tr');
    expect(rows).toHaveLength(2);
    expect(rows[1].textContent).toContain('fp32');
    expect(target.querySelectorAll('rect.bar')).toHaveLength(2);
    expect(target.querySelector('[data-testid="dev-bench-loads"] tbody tr')!.textContent).toContain('250');
    expect(target.textContent).toContain('AMD EPYC · 2 cores · 12.5 s · peak RSS 300.0 MiB');
    expect(target.textContent).toContain('2-thread figures vary');
  });
});
