// Dev-panel figures, all read from the core's Snapshot (nothing estimated here).
import { STAGES, type Sample, type Snapshot, type Stage, type StageStats } from './api';

export interface StageRow {
  stage: Stage;
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** One row per stage that has samples, in pipeline order. */
export function stageTable(s: Snapshot): StageRow[] {
  const byStage = new Map<string, StageStats>(s.stages.map((x) => [x.stage, x]));
  const rows: StageRow[] = [];
  for (const stage of STAGES) {
    const x = byStage.get(stage);
    if (!x) continue;
    rows.push({ stage, count: x.count, mean: x.mean_ms, p50: x.p50_ms, p95: x.p95_ms, p99: x.p99_ms, max: x.max_ms });
  }
  // Stages unknown to this UI version are still shown, after the known ones.
  for (const x of s.stages) {
    if (!STAGES.includes(x.stage)) {
      rows.push({ stage: x.stage, count: x.count, mean: x.mean_ms, p50: x.p50_ms, p95: x.p95_ms, p99: x.p99_ms, max: x.max_ms });
    }
  }
  return rows;
}

/** Samples grouped per stage, in time order, for the chart. */
export function seriesByStage(samples: Sample[]): Map<Stage, Sample[]> {
  const out = new Map<Stage, Sample[]>();
  for (const s of samples) {
    let list = out.get(s.stage);
    if (!list) out.set(s.stage, (list = []));
    list.push(s);
  }
  for (const list of out.values()) list.sort((a, b) => a.at_ms - b.at_ms);
  return out;
}

export const BATCH_BUCKETS = ['1', '2', '3–4', '5–8', '9–16', '17–32', '33+'];
