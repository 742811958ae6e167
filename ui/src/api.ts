// Typed wrappers for every command of docs/ipc.md. Field names are the Rust serde names
// (snake_case) exactly; command argument names are camelCase (Tauri converts them).
import { Channel, invoke } from '@tauri-apps/api/core';

// ---- src/config.rs ----
export type Variant = 'fp32' | 'int8';
export type Provider = 'auto' | 'cpu' | 'cuda' | 'tensorrt';

export interface BatchPolicy {
  token_budget: number;
  max_batch: number;
  /** Microseconds (serialised with `duration_us`). */
  max_wait: number;
  queue_capacity: number;
}

export interface Settings {
  variant: Variant;
  provider: Provider;
  threads: number;
  database: string;
  model_dir: string;
}

// ---- src/model/heads.rs ----
export interface Scored {
  label: string;
  score: number;
}
export interface IntentPrediction {
  label: string;
  score: number;
  out_of_scope: boolean;
  top: Scored[];
}
export interface SentimentPrediction {
  label: string;
  score: number;
  probabilities: Scored[];
}

// ---- src/intents.rs ----
export interface CustomIntent {
  id: number;
  name: string;
  description: string;
  urgency: number;
  examples: string[];
}
export interface ExampleMatch {
  text: string;
  score: number;
}
export interface CustomIntentMatch {
  label: string;
  score: number;
  urgency: number;
  matched: boolean;
  nearest: ExampleMatch[];
}

// ---- src/analysis.rs ----
export interface AnalysisTimings {
  tokenize_ms: number;
  queue_wait_ms: number;
  inference_ms: number;
  postprocess_ms: number;
  total_ms: number;
  batch_size: number;
}
export interface Analysis {
  text: string;
  intent: IntentPrediction | null;
  sentiment: SentimentPrediction | null;
  custom_intent: CustomIntentMatch | null;
  tokens: number;
  truncated: boolean;
  timings: AnalysisTimings;
  /** Omitted by the IPC layer; present only if asked for. */
  embedding?: number[];
}

// ---- src/chat.rs ----
export interface Citation {
  n: number;
  document: string;
  document_id: number;
  title: string;
  passage: string;
  score: number;
  cosine: number;
}
export type ChatEvent =
  | { type: 'started'; conversation_id: number; message_id: number }
  | { type: 'analysis'; analysis: Analysis }
  | { type: 'sources'; sources: Citation[] }
  | { type: 'delta'; text: string }
  | { type: 'done'; message_id: number; text: string; grounded: boolean; elapsed_ms: number }
  | { type: 'error'; message: string };

export interface Conversation {
  id: number;
  title: string;
  created_at: string;
  updated_at: string;
}
export interface ChatMessage {
  id: number;
  role: string;
  content: string;
  analysis: unknown | null;
  sources: Citation[] | null;
  created_at: string;
}
export interface ConversationDetail {
  conversation: Conversation;
  messages: ChatMessage[];
}
/** An export, and the new file the app wrote it to (src-tauri/src/commands.rs). */
export interface SavedExport {
  content: string;
  path: string;
}

// ---- src/engine.rs ----
export type FileStatus =
  | { status: 'imported'; articles: number; unchanged: number; passages: number }
  | { status: 'unchanged'; articles: number }
  | { status: 'failed'; error: string };
export interface FailedFile {
  path: string;
  error: string;
}
export interface ImportSummary {
  files: number;
  imported_articles: number;
  unchanged_articles: number;
  passages: number;
  failed: FailedFile[];
  elapsed_ms: number;
}
export type ImportEvent =
  | { type: 'started'; root: string; files: number }
  | { type: 'file'; path: string; index: number; total: number; status: FileStatus }
  | { type: 'finished'; summary: ImportSummary };

export interface ReindexEvent {
  done: number;
  total: number;
  path: string;
}

// ---- src/kb/mod.rs, src/kb/search.rs ----
export type ArticleFormat = 'markdown' | 'text' | 'csv' | 'json';
export interface DocumentSummary {
  id: number;
  document: string;
  title: string;
  format: string;
  chunks: number;
  updated_at: string;
}
export interface Document {
  id: number;
  document: string;
  title: string;
  body: string;
  format: string;
  updated_at: string;
  passages: string[];
}
export interface KbStats {
  documents: number;
  chunks: number;
  stale_chunks: number;
}
export interface SearchHit {
  document: string;
  document_id: number;
  title: string;
  score: number;
  passage: string;
  heading: string;
  cosine: number;
  bm25: number | null;
  fts_rank: number | null;
  dense_rank: number | null;
}
export interface SearchResults {
  query: string;
  results: SearchHit[];
}

// ---- src/triage.rs ----
export interface PriorityReason {
  urgency: number;
  urgency_from: string;
  custom: boolean;
  negativity: number;
  formula: string;
}
export interface Suggestion {
  document: string;
  document_id: number;
  title: string;
  score: number;
  cosine: number;
}
export interface InboxItem {
  id: number;
  external_id: string | null;
  sender: string;
  subject: string;
  text: string;
  received_at: string;
  intent: string;
  intent_score: number;
  custom_intent: string | null;
  sentiment: string;
  sentiment_score: number;
  priority: number;
  reason: PriorityReason;
  suggestions: Suggestion[];
  handled: boolean;
  source: string;
}
export interface Rejected {
  line: number;
  error: string;
}
export interface InboxImportResult {
  items: InboxItem[];
  rejected: Rejected[];
}
export interface InboxFilter {
  intent: string | null;
  sentiment: string | null;
  include_handled: boolean;
  limit: number | null;
  offset: number | null;
}

// ---- src/profile.rs ----
export type Stage =
  | 'tokenize'
  | 'queue_wait'
  | 'inference'
  | 'postprocess'
  | 'fts'
  | 'dense'
  | 'fusion'
  | 'compose'
  | 'total';
export const STAGES: Stage[] = [
  'tokenize',
  'queue_wait',
  'inference',
  'postprocess',
  'fts',
  'dense',
  'fusion',
  'compose',
  'total',
];
export interface StageStats {
  stage: Stage;
  count: number;
  mean_ms: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}
export interface Sample {
  at_ms: number;
  stage: Stage;
  ms: number;
}
export interface BatchStats {
  batches: number;
  messages: number;
  mean_size: number;
  max_size: number;
  mean_seq: number;
  /** Batches of size 1, 2, 3–4, 5–8, 9–16, 17–32, 33+. */
  size_buckets: number[];
}
export interface Snapshot {
  uptime_ms: number;
  stages: StageStats[];
  batches: BatchStats;
  queue_depth: number;
  recent: Sample[];
}

// ---- src/model/runtime.rs, backend.rs, manifest.rs ----
export interface ProviderReport {
  requested: Provider;
  active: Provider;
  fallback_reasons: string[];
}
export interface BackendInfo {
  model: string;
  version: string;
  variant: Variant;
  file: string;
  file_bytes: number;
  threads: number;
  provider: ProviderReport;
  load_ms: number;
  max_length: number;
  embedding_dim: number;
  heads: string[];
  ort_library: string;
}
export interface FileEntry {
  sha256: string;
  bytes: number;
}
export interface Manifest {
  name: string;
  version: string;
  architecture: string;
  description: string;
  variants: Record<string, string>;
  tokenizer: string;
  max_length: number;
  embedding_dim: number;
  pooling: string;
  inputs: string[];
  outputs: { embedding?: string; last_hidden_state?: string; sentiment?: string; intent?: string };
  heads: {
    sentiment?: { labels: string[] };
    intent?: { labels: string[]; oos_label: string; temperature: number; oos_threshold: number };
  };
  files: Record<string, FileEntry>;
}
export interface MissingFeature {
  feature: string;
  consequence: string;
}
export interface EngineStatus {
  backend: BackendInfo;
  batch_policy: BatchPolicy;
  database: string;
  model_dir: string;
  manifest: Manifest;
  missing_features: MissingFeature[];
  process_rss_bytes: number | null;
  process_peak_rss_bytes: number | null;
  cpu_threads: number;
  metrics: Snapshot;
}
export interface ModelEntry {
  dir: string;
  manifest: Manifest | null;
  missing_features: MissingFeature[];
  error: string | null;
  active: boolean;
}

// ---- bench (src/bench.rs; the UI reads rows generically, so new fields still show) ----
export interface BenchRow {
  model: string;
  variant: string;
  /** `inference`, `triage`, a triage stage, or `throughput`. */
  stage: string;
  seq: number;
  batch: number;
  threads?: number;
  kb_chunks?: number | null;
  runs?: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  min_ms?: number;
  max_ms?: number;
  per_s: number;
  [key: string]: unknown;
}
export interface LoadRow {
  model: string;
  variant: string;
  threads: number;
  load_ms: number;
  file_bytes: number;
  [key: string]: unknown;
}
export interface BenchReport {
  results: BenchRow[];
  loads?: LoadRow[];
  peak_rss_bytes?: number | null;
  cpu?: string;
  cores?: number;
  notes?: string[];
  elapsed_s?: number;
  [key: string]: unknown;
}
export type BenchEvent = { type: 'progress'; done: number; total: number; label: string } | { type: string; [key: string]: unknown };

// ---- errors ----
/** A rejected invoke carries the core error's message as a string; anything else is made readable. */
export function errorMessage(e: unknown): string {
  if (typeof e === 'string') return e || 'unknown error';
  if (e instanceof Error) return e.message || e.name;
  if (e && typeof e === 'object') {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string') return m;
    try {
      return JSON.stringify(e);
    } catch {
      /* fall through */
    }
  }
  return String(e);
}

function channel<T>(onEvent?: (event: T) => void): Channel<T> {
  const ch = new Channel<T>();
  ch.onmessage = (event: T) => onEvent?.(event);
  return ch;
}

// ---- commands ----
export const api = {
  analyze: (text: string) => invoke<Analysis>('analyze', { text }),

  chatSend: (conversationId: number | null, text: string, onEvent: (e: ChatEvent) => void) =>
    invoke<null>('chat_send', { conversationId, text, onEvent: channel(onEvent) }),
  conversationsList: () => invoke<Conversation[]>('conversations_list'),
  conversationGet: (id: number) => invoke<ConversationDetail>('conversation_get', { id }),
  conversationExport: (id: number, format: 'md' | 'json') =>
    invoke<SavedExport>('conversation_export', { id, format }),
  conversationDelete: (id: number) => invoke<null>('conversation_delete', { id }),

  kbImport: (dir: string, onEvent: (e: ImportEvent) => void) =>
    invoke<ImportSummary>('kb_import', { dir, onEvent: channel(onEvent) }),
  kbList: (limit: number, offset: number) => invoke<DocumentSummary[]>('kb_list', { limit, offset }),
  kbSearch: (query: string, limit: number) => invoke<SearchResults>('kb_search', { query, limit }),
  kbGet: (key: string | number) => invoke<Document>('kb_get', { key: String(key) }),
  kbSave: (path: string, title: string, body: string, format: ArticleFormat) =>
    invoke<Document>('kb_save', { path, title, body, format }),
  kbDelete: (id: number) => invoke<null>('kb_delete', { id }),
  kbReindex: (onEvent: (e: ReindexEvent) => void) => invoke<number>('kb_reindex', { onEvent: channel(onEvent) }),
  kbStats: () => invoke<KbStats>('kb_stats'),

  inboxImport: (content: string, source: string) =>
    invoke<InboxImportResult>('inbox_import', { content, source }),
  inboxList: (filter: Partial<InboxFilter> = {}) =>
    invoke<InboxItem[]>('inbox_list', {
      filter: {
        intent: filter.intent ?? null,
        sentiment: filter.sentiment ?? null,
        include_handled: filter.include_handled ?? false,
        limit: filter.limit ?? null,
        offset: filter.offset ?? null,
      } satisfies InboxFilter,
    }),
  inboxSetHandled: (id: number, handled: boolean) => invoke<InboxItem>('inbox_set_handled', { id, handled }),

  intentsList: () => invoke<CustomIntent[]>('intents_list'),
  intentsBuiltin: () => invoke<string[]>('intents_builtin'),
  intentsAdd: (name: string, description: string, urgency: number | null, examples: string[]) =>
    invoke<CustomIntent>('intents_add', { name, description, urgency, examples }),
  intentsRemove: (name: string) => invoke<null>('intents_remove', { name }),
  intentsTest: (text: string) => invoke<CustomIntentMatch[]>('intents_test', { text }),

  status: (recent: number) => invoke<EngineStatus>('status', { recent }),
  benchRun: (onEvent: (e: BenchEvent) => void) => invoke<BenchReport>('bench_run', { onEvent: channel(onEvent) }),
  settingsGet: () => invoke<Settings>('settings_get'),
  settingsApply: (settings: Settings) => invoke<EngineStatus>('settings_apply', { settings }),
  modelsList: () => invoke<ModelEntry[]>('models_list'),
};

export type Api = typeof api;
