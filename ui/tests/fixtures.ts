import type { Analysis, EngineStatus, InboxItem, Snapshot } from '../src/api';

export function analysis(text: string, intent: string, sentiment: string, custom?: string): Analysis {
  return {
    text,
    intent: { label: intent, score: 0.91, out_of_scope: false, top: [{ label: intent, score: 0.91 }] },
    sentiment: { label: sentiment, score: 0.8, probabilities: [{ label: sentiment, score: 0.8 }] },
    custom_intent: custom ? { label: custom, score: 0.7, urgency: 0.5, matched: true, nearest: [] } : null,
    tokens: 7,
    truncated: false,
    timings: { tokenize_ms: 0.1, queue_wait_ms: 0.01, inference_ms: 3, postprocess_ms: 0.05, total_ms: 3.2, batch_size: 1 },
  };
}

export function inboxItem(id: number, priority: number, intent = 'greeting', sentiment = 'neutral', extra: Partial<InboxItem> = {}): InboxItem {
  return {
    id,
    external_id: null,
    sender: `user${id}@example.com`,
    subject: `Message ${id}`,
    text: `text ${id}`,
    received_at: '2026-11-28T10:00:00Z',
    intent,
    intent_score: 0.9,
    custom_intent: null,
    sentiment,
    sentiment_score: 0.8,
    priority,
    reason: { urgency: 0.5, urgency_from: intent, custom: false, negativity: 0.1, formula: `100 × (0.6 × urgency 0.50 [${intent}] + 0.4 × P(negative) 0.10) = ${priority}` },
    suggestions: [{ document: 'lost-card.md', document_id: 3, title: 'Lost or stolen card', score: 0.9, cosine: 0.7 }],
    handled: false,
    source: 'test',
    ...extra,
  };
}

export function snapshot(): Snapshot {
  return {
    uptime_ms: 12000,
    // Deliberately out of pipeline order: the table must put them in order.
    stages: [
      { stage: 'total', count: 10, mean_ms: 5.2, p50_ms: 5.0, p95_ms: 7.5, p99_ms: 9.9, max_ms: 10.1 },
      { stage: 'tokenize', count: 10, mean_ms: 0.12, p50_ms: 0.11, p95_ms: 0.2, p99_ms: 0.25, max_ms: 0.3 },
      { stage: 'inference', count: 10, mean_ms: 4.4, p50_ms: 4.2, p95_ms: 6.1, p99_ms: 8.8, max_ms: 9.0 },
    ],
    batches: { batches: 8, messages: 10, mean_size: 1.25, max_size: 2, mean_seq: 12.5, size_buckets: [6, 2, 0, 0, 0, 0, 0] },
    queue_depth: 0,
    recent: [
      { at_ms: 1000, stage: 'inference', ms: 4.1 },
      { at_ms: 2000, stage: 'inference', ms: 4.3 },
      { at_ms: 1000, stage: 'tokenize', ms: 0.1 },
    ],
  };
}

export function engineStatus(fallback: string[] = []): EngineStatus {
  return {
    backend: {
      model: 'squeezebert-mini',
      version: '1.0',
      variant: 'int8',
      file: 'model.int8.onnx',
      file_bytes: 24 * 1024 * 1024,
      threads: 2,
      provider: { requested: fallback.length ? 'cuda' : 'cpu', active: 'cpu', fallback_reasons: fallback },
      load_ms: 321,
      max_length: 128,
      embedding_dim: 384,
      heads: ['intent', 'sentiment'],
      ort_library: '/opt/ort/libonnxruntime.so.1.31.1',
    },
    batch_policy: { token_budget: 4096, max_batch: 64, max_wait: 0, queue_capacity: 4096 },
    database: '/tmp/test.db',
    model_dir: '/models/squeezebert-mini',
    manifest: {
      name: 'squeezebert-mini', version: '1.0', architecture: 'squeezebert', description: '', variants: { fp32: 'model.onnx', int8: 'model.int8.onnx' },
      tokenizer: 'tokenizer.json', max_length: 128, embedding_dim: 384, pooling: 'mean', inputs: ['input_ids', 'attention_mask'], outputs: {}, heads: {}, files: {},
    },
    missing_features: [],
    process_rss_bytes: 200 * 1024 * 1024,
    process_peak_rss_bytes: 250 * 1024 * 1024,
    cpu_threads: 2,
    metrics: snapshot(),
  };
}
