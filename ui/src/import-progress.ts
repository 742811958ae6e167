// Progress of a knowledge-base import, from kb_import's Channel events.
import type { FailedFile, ImportEvent, ImportSummary } from './api';

export interface ImportProgress {
  root: string;
  total: number;
  done: number;
  current: string;
  imported: number;
  unchanged: number;
  passages: number;
  failed: FailedFile[];
  finished: boolean;
  summary: ImportSummary | null;
}

export function emptyProgress(): ImportProgress {
  return {
    root: '',
    total: 0,
    done: 0,
    current: '',
    imported: 0,
    unchanged: 0,
    passages: 0,
    failed: [],
    finished: false,
    summary: null,
  };
}

export function applyImportEvent(p: ImportProgress, e: ImportEvent): ImportProgress {
  switch (e.type) {
    case 'started':
      return { ...emptyProgress(), root: e.root, total: e.files };
    case 'file': {
      const next = { ...p, done: Math.max(p.done, e.index), total: e.total, current: e.path };
      const s = e.status;
      if (s.status === 'imported') {
        next.imported += s.articles;
        next.unchanged += s.unchanged;
        next.passages += s.passages;
      } else if (s.status === 'unchanged') {
        next.unchanged += s.articles;
      } else if (s.status === 'failed') {
        next.failed = [...p.failed, { path: e.path, error: s.error }];
      }
      return next;
    }
    case 'finished':
      return {
        ...p,
        finished: true,
        summary: e.summary,
        done: e.summary.files,
        total: e.summary.files,
        imported: e.summary.imported_articles,
        unchanged: e.summary.unchanged_articles,
        passages: e.summary.passages,
        failed: e.summary.failed,
      };
    default:
      return p;
  }
}

/** 0..1 */
export function fraction(p: ImportProgress): number {
  if (p.finished) return 1;
  return p.total > 0 ? Math.min(1, p.done / p.total) : 0;
}
