// A fake backend for looking at the built UI in a plain browser or WebKit MiniBrowser
// (layout checks, dry runs of the e2e scenarios). NOT part of the app build: the real app talks
// to the Rust core. Figures here are made up; the real dev panel shows only the core's.
(() => {
  const callbacks = new Map();
  let nextCb = 1;
  const started = performance.now();
  const samples = [];
  const hist = {};
  const rec = (stage, ms) => {
    samples.push({ at_ms: performance.now() - started, stage, ms });
    if (samples.length > 4000) samples.shift();
    (hist[stage] ??= []).push(ms);
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const words = (t) => t.toLowerCase().match(/[a-z0-9']+/g) ?? [];
  const overlap = (a, b) => {
    const A = new Set(words(a)), B = new Set(words(b));
    let n = 0;
    for (const w of A) if (B.has(w) && w.length > 2) n++;
    return n / Math.sqrt(Math.max(1, A.size) * Math.max(1, B.size));
  };
  const FIXTURES = [
    ['reset-password.md', 'Reset your password', 'If you forgot your password, you can reset it from the sign-in page. Choose Forgot password and follow the link we email you.'],
    ['lost-card.md', 'Lost or stolen card', 'If your card is lost or stolen, freeze it immediately in the app under Cards, Freeze card. Frozen cards cannot be used for payments or cash withdrawals. Then order a replacement card.'],
    ['refunds.md', 'Refund policy', 'You can return any product within 30 days of delivery for a full refund. Refunds are paid to the original payment method within five business days.'],
    ['faq.csv#change-email', 'How do I change my email address?', 'Go to Settings, then Profile, and edit the email field.'],
    ['faq.csv#delete-account', 'How do I delete my account?', 'Open Settings, then Privacy, and choose Delete account.'],
    ['articles.json#1', 'International transfer fees', 'Sending money abroad costs a flat fee of 3 euros plus 0.5 percent of the amount.'],
    ['articles.json#2', 'Dispute a card payment', 'If a merchant charged you twice, open the payment in the app and tap Dispute.'],
    ['guides/shipping.txt', 'Shipping times', 'Orders ship within two business days. Delivery takes three to five days.'],
    ['guides/two-factor.txt', 'Two-factor authentication', 'Turn on two-factor authentication under Settings, Security.'],
  ];
  let docs = [];
  let nextDoc = 1;
  const convs = [];
  const msgs = [];
  let nextId = 1;
  let inbox = [];
  const intents = [];
  let settings = { variant: 'int8', provider: 'cpu', threads: 2, database: '/home/agent/.local/share/squeezedesk/squeezedesk.db', model_dir: '/opt/squeezedesk/models/squeezebert-mini' };
  const BUILTIN = ['report_fraud', 'report_lost_card', 'card_declined', 'greeting', 'goodbye', 'thank_you', 'transfer', 'pin_change', 'freeze_account', 'bill_due', 'oos'];

  function analysis(text) {
    const t = text.toLowerCase();
    const label = /stol|lost/.test(t) ? 'report_lost_card' : /fraud|never made|didn't make/.test(t) ? 'report_fraud' : /^(hi|hello|hey)\b/.test(t) ? 'greeting' : /thank/.test(t) ? 'thank_you' : 'oos';
    const neg = /furious|outrageous|angry|stolen|fraud|never|terrible|!{2,}/.test(t) ? 0.86 : /lovely|great|thanks|thank/.test(t) ? 0.03 : 0.2;
    const sentiment = neg > 0.5 ? 'negative' : neg < 0.1 ? 'positive' : 'neutral';
    const custom = classify(text);
    const tk = 0.05 + Math.random() * 0.05, inf = 3 + Math.random() * 2, pp = 0.02;
    rec('tokenize', tk); rec('queue_wait', 0.01); rec('inference', inf); rec('postprocess', pp); rec('total', tk + inf + pp + 0.01);
    return {
      text, tokens: words(text).length + 2, truncated: false,
      intent: { label, score: label === 'oos' ? 0.6 : 0.93, out_of_scope: label === 'oos', top: [{ label, score: 0.93 }] },
      sentiment: { label: sentiment, score: Math.max(neg, 1 - neg), probabilities: [{ label: 'negative', score: neg }, { label: 'neutral', score: (1 - neg) / 2 }, { label: 'positive', score: (1 - neg) / 2 }] },
      custom_intent: custom && custom.matched ? custom : null,
      timings: { tokenize_ms: tk, queue_wait_ms: 0.01, inference_ms: inf, postprocess_ms: pp, total_ms: tk + inf + pp, batch_size: 1 },
    };
  }
  function rank(text) {
    return intents
      .map((i) => {
        const nearest = i.examples.map((e) => ({ text: e, score: 0.3 + overlap(text, e) })).sort((a, b) => b.score - a.score).slice(0, 3);
        const score = nearest[0]?.score ?? 0;
        return { label: i.name, score, urgency: i.urgency, matched: score >= 0.5, nearest };
      })
      .sort((a, b) => b.score - a.score);
  }
  const classify = (text) => rank(text)[0] ?? null;
  function search(q, limit) {
    const t0 = performance.now();
    const hits = docs
      .map((d) => {
        const cos = 0.2 + overlap(q, d.title + ' ' + d.body) + (/stol|lost/.test(q) && d.title.startsWith('Lost') ? 0.4 : 0);
        const bm = overlap(q, d.body) > 0 ? 2 + 10 * overlap(q, d.body) : null;
        return { document: d.document, document_id: d.id, title: d.title, score: Math.min(1, cos), passage: d.body, heading: '', cosine: Math.min(0.95, cos), bm25: bm, fts_rank: null, dense_rank: null };
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, limit)
      .map((h, i) => ({ ...h, dense_rank: i + 1, fts_rank: h.bm25 === null ? null : i + 1 }));
    rec('fts', 0.2); rec('dense', 0.1 + (performance.now() - t0)); rec('fusion', 0.05);
    return { query: q, results: hits };
  }
  function send(ch, i, message) {
    callbacks.get(ch.id)?.({ index: i, message });
  }
  function end(ch, i) {
    callbacks.get(ch.id)?.({ index: i, end: true });
  }
  function priorityOf(a) {
    const urg = a.custom_intent ? a.custom_intent.urgency : { report_fraud: 1, report_lost_card: 1, greeting: 0, thank_you: 0 }[a.intent.label] ?? 0.2;
    const neg = a.sentiment.probabilities[0].score;
    const p = 100 * (0.6 * urg + 0.4 * neg);
    return { p, reason: { urgency: urg, urgency_from: a.custom_intent?.label ?? a.intent.label, custom: !!a.custom_intent, negativity: neg, formula: `100 × (0.6 × urgency ${urg.toFixed(2)} [${a.custom_intent?.label ?? a.intent.label}] + 0.4 × P(negative) ${neg.toFixed(2)}) = ${p.toFixed(1)}` } };
  }
  function stats(stage) {
    const v = [...hist[stage]].sort((a, b) => a - b);
    const q = (x) => v[Math.min(v.length - 1, Math.floor(x * v.length))];
    return { stage, count: v.length, mean_ms: v.reduce((a, b) => a + b, 0) / v.length, p50_ms: q(0.5), p95_ms: q(0.95), p99_ms: q(0.99), max_ms: v[v.length - 1] };
  }
  function status(recent) {
    return {
      backend: { model: 'squeezebert-mini', version: '0.1.0', variant: settings.variant, file: `model.${settings.variant}.onnx`, file_bytes: settings.variant === 'int8' ? 13_500_000 : 51_200_000, threads: settings.threads || 2, provider: { requested: settings.provider, active: 'cpu', fallback_reasons: settings.provider === 'cuda' ? ['cuda: libcublasLt.so.13: cannot open shared object file: No such file or directory'] : [] }, load_ms: 412.5, max_length: 128, embedding_dim: 384, heads: ['intent', 'sentiment'], ort_library: '/opt/squeezedesk/libonnxruntime.so.1.31.1' },
      batch_policy: { token_budget: 4096, max_batch: 64, max_wait: 0, queue_capacity: 4096 },
      database: settings.database, model_dir: settings.model_dir,
      manifest: { name: 'squeezebert-mini', version: '0.1.0', architecture: 'squeezebert', description: '', variants: { fp32: 'model.onnx', int8: 'model.int8.onnx' }, tokenizer: 'tokenizer.json', max_length: 128, embedding_dim: 384, pooling: 'mean', inputs: ['input_ids', 'attention_mask'], outputs: {}, heads: {}, files: {} },
      process_rss_bytes: 187_000_000, process_peak_rss_bytes: 203_000_000, cpu_threads: 2,
      metrics: { uptime_ms: performance.now() - started, stages: Object.keys(hist).map(stats), batches: { batches: hist.inference?.length ?? 0, messages: hist.inference?.length ?? 0, mean_size: 1, max_size: 1, mean_seq: 14.2, size_buckets: [hist.inference?.length ?? 0, 0, 0, 0, 0, 0, 0] }, queue_depth: 0, recent: samples.slice(-recent) },
    };
  }

  window.__mockCalls = [];
  async function invoke(cmd, a = {}) {
    window.__mockCalls.push(cmd);
    await sleep(20);
    switch (cmd) {
      case 'analyze': return analysis(a.text);
      case 'chat_send': {
        const ch = a.onEvent;
        let cid = a.conversationId;
        if (cid == null) { cid = nextId++; convs.unshift({ id: cid, title: a.text.slice(0, 60), created_at: new Date().toISOString(), updated_at: new Date().toISOString() }); }
        const an = analysis(a.text);
        msgs.push({ cid, id: nextId++, role: 'user', content: a.text, analysis: an, sources: null, created_at: '' });
        let i = 0;
        send(ch, i++, { type: 'started', conversation_id: cid, message_id: nextId });
        send(ch, i++, { type: 'analysis', analysis: an });
        const hits = search(a.text, 3).results.filter((h) => h.cosine > 0.35).slice(0, 2);
        const sources = hits.map((h, k) => ({ n: k + 1, document: h.document, document_id: h.document_id, title: h.title, passage: h.passage, score: h.score, cosine: h.cosine }));
        send(ch, i++, { type: 'sources', sources });
        let text = '';
        const pieces = sources.length ? sources.flatMap((s) => s.passage.split(/(?<=\.)\s+/).slice(0, 2).map((p) => `${p} [${s.n}]`)) : ["I couldn't find anything about that in the knowledge base, so I won't guess."];
        for (const p of pieces) { await sleep(120); const piece = text ? ' ' + p : p; text += piece; send(ch, i++, { type: 'delta', text: piece }); }
        rec('compose', 0.4);
        msgs.push({ cid, id: nextId++, role: 'assistant', content: text, analysis: null, sources, created_at: '' });
        send(ch, i++, { type: 'done', message_id: nextId, text, grounded: sources.length > 0, elapsed_ms: 250 + Math.random() * 50 });
        end(ch, i);
        return null;
      }
      case 'conversations_list': return convs;
      case 'conversation_get': { const c = convs.find((x) => x.id === a.id); if (!c) throw `not found: conversation ${a.id}`; return { conversation: c, messages: msgs.filter((m) => m.cid === a.id) }; }
      case 'conversation_export': return { content: a.format === 'md' ? '# export\n' : '{}', path: `/home/user/Downloads/conversation-${a.id}.${a.format}` };
      case 'conversation_delete': { const k = convs.findIndex((x) => x.id === a.id); if (k < 0) throw `not found: conversation ${a.id}`; convs.splice(k, 1); return null; }
      case 'kb_import': {
        const ch = a.onEvent;
        if (!a.dir.startsWith('/')) throw `cannot import ${a.dir}: No such file or directory (os error 2)`;
        const files = ['articles.json', 'faq.csv', 'guides/shipping.txt', 'guides/two-factor.txt', 'lost-card.md', 'refunds.md', 'reset-password.md'];
        let i = 0, passages = 0, imported = 0;
        send(ch, i++, { type: 'started', root: a.dir, files: files.length });
        for (const [k, f] of files.entries()) {
          await sleep(150);
          const arts = FIXTURES.filter(([p]) => p.split('#')[0] === f);
          for (const [p, title, body] of arts) if (!docs.some((d) => d.document === p)) docs.push({ id: nextDoc++, document: p, title, body, format: p.endsWith('.md') ? 'markdown' : 'text', updated_at: new Date().toISOString() });
          imported += arts.length; passages += arts.length * 2;
          send(ch, i++, { type: 'file', path: f, index: k + 1, total: files.length, status: { status: 'imported', articles: arts.length, unchanged: 0, passages: arts.length * 2 } });
        }
        const summary = { files: files.length, imported_articles: imported, unchanged_articles: 0, passages, failed: [], elapsed_ms: 1200 };
        send(ch, i++, { type: 'finished', summary });
        end(ch, i);
        return summary;
      }
      case 'kb_list': return docs.slice(a.offset, a.offset + a.limit).map((d) => ({ id: d.id, document: d.document, title: d.title, format: d.format, chunks: 2, updated_at: d.updated_at }));
      case 'kb_search': return search(a.query, a.limit);
      case 'kb_get': { const d = docs.find((x) => String(x.id) === a.key || x.document === a.key); if (!d) throw `not found: article "${a.key}"`; return { ...d, passages: d.body.split(/(?<=\.)\s+/) }; }
      case 'kb_save': { let d = docs.find((x) => x.document === a.path); if (!d) docs.push((d = { id: nextDoc++, document: a.path })); Object.assign(d, { title: a.title, body: a.body, format: a.format, updated_at: new Date().toISOString() }); return { ...d, passages: [d.body] }; }
      case 'kb_delete': docs = docs.filter((d) => d.id !== a.id); return null;
      case 'kb_reindex': { const ch = a.onEvent; let i = 0; for (const [k, d] of docs.entries()) { await sleep(80); send(ch, i++, { done: k + 1, total: docs.length, path: d.document }); } end(ch, i); return docs.length; }
      case 'kb_stats': return { documents: docs.length, chunks: docs.length * 2, stale_chunks: 0 };
      case 'inbox_import': {
        const lines = a.content.split('\n').filter((l) => l.trim());
        const items = [], rejected = [];
        for (const [k, l] of lines.entries()) {
          let m;
          try { m = l.trim().startsWith('{') ? JSON.parse(l) : { text: l }; } catch (e) { rejected.push({ line: k + 1, error: String(e) }); continue; }
          if (!m.text) { rejected.push({ line: k + 1, error: 'no text (expected a text, message, body or content field)' }); continue; }
          const an = analysis(m.text);
          const { p, reason } = priorityOf(an);
          const sug = search(m.text, 3).results.map((h) => ({ document: h.document, document_id: h.document_id, title: h.title, score: h.score, cosine: h.cosine }));
          items.push({ id: nextId++, external_id: m.id ?? null, sender: m.from ?? '', subject: m.subject ?? '', text: m.text, received_at: new Date().toISOString(), intent: an.intent.label, intent_score: an.intent.score, custom_intent: an.custom_intent?.label ?? null, sentiment: an.sentiment.label, sentiment_score: an.sentiment.score, priority: p, reason, suggestions: sug, handled: false, source: a.source });
        }
        inbox = inbox.concat(items);
        return { items, rejected };
      }
      case 'inbox_list': return inbox.filter((i) => a.filter.include_handled || !i.handled).sort((x, y) => y.priority - x.priority);
      case 'inbox_set_handled': { const it = inbox.find((i) => i.id === a.id); it.handled = a.handled; return it; }
      case 'intents_list': return intents;
      case 'intents_builtin': return BUILTIN;
      case 'intents_add': { if (!a.name) throw 'intent name must be 1 to 64 characters'; const i = { id: nextId++, name: a.name, description: a.description, urgency: a.urgency ?? 0.3, examples: a.examples }; intents.push(i); return i; }
      case 'intents_remove': { const k = intents.findIndex((i) => i.name === a.name); if (k < 0) throw `not found: intent ${a.name}`; intents.splice(k, 1); return null; }
      case 'intents_test': { analysis(a.text); return rank(a.text); }
      case 'status': return status(a.recent);
      case 'bench_run': { const ch = a.onEvent; send(ch, 0, { type: 'progress', done: 1, total: 2 }); await sleep(300); end(ch, 1); return { results: [{ model: 'squeezebert-mini', variant: 'int8', stage: 'inference', seq: 32, batch: 1, p50_ms: 2.1, p95_ms: 2.6, p99_ms: 3.0, per_s: 470 }, { model: 'squeezebert-mini', variant: 'fp32', stage: 'inference', seq: 32, batch: 1, p50_ms: 4.8, p95_ms: 5.5, p99_ms: 6.1, per_s: 205 }] }; }
      case 'settings_get': return settings;
      case 'settings_apply': settings = a.settings; return status(10);
      case 'models_list': return [{ dir: settings.model_dir, manifest: status(0).manifest, error: null, active: true }, { dir: '/opt/squeezedesk/models/broken', manifest: null, error: 'manifest.json: missing field `variants`', active: false }];
      default: throw `unknown command ${cmd}`;
    }
  }
  window.__TAURI_INTERNALS__ = {
    invoke,
    transformCallback(cb, once) { const id = nextCb++; callbacks.set(id, (d) => { if (once) callbacks.delete(id); cb?.(d); }); return id; },
    unregisterCallback(id) { callbacks.delete(id); },
    runCallback(id, d) { callbacks.get(id)?.(d); },
    callbacks,
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
  };
})();
