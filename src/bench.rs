//! The built-in benchmark behind `squeezedesk bench` and the dev panel's button.
//!
//! It measures, in one process: batch-1 inference latency of each model configuration at
//! several sequence lengths (configurations interleaved A B A B …, because this kind of machine
//! moves its vCPUs between cache domains every few seconds), the full triage path over a
//! generated knowledge base, each stage of that path alone, batched throughput through the tokio
//! worker, model load time and peak RSS. Every number is a measured duration.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::config::{EngineConfig, Variant};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::runtime::SessionOptions;
use crate::model::{Backend, ModelFolder, OnnxBackend, TextEncoder, TokenBatch};
use crate::profile::Stage;
use crate::{triage, vector};

/// Real support-style English; messages of an exact token length are cut from their run.
const CORPUS: &[&str] = &[
    "Hi, I was charged twice for my subscription this month and I would like a refund for the second payment.",
    "My card was declined at the supermarket even though there is enough money in my account.",
    "I can't log in since the last update, the app keeps saying my password is wrong although I reset it yesterday.",
    "Could you tell me how long international shipping to Canada usually takes and whether I have to pay customs?",
    "Someone used my card for purchases I never made, please block it and send me a new one as soon as possible.",
    "Thanks for the quick help earlier, the transfer arrived and everything works fine now.",
    "Where can I change the email address on my account? The old one is no longer in use.",
    "The package was marked as delivered but there is nothing at my door and the neighbours have not seen it.",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchRow {
    pub model: String,
    pub variant: String,
    /// `inference`, `triage`, or one stage of triage (`tokenize`, `fts`, `dense`, `fusion`,
    /// `postprocess`), or `throughput`.
    pub stage: String,
    pub seq: usize,
    pub batch: usize,
    pub threads: usize,
    /// Chunks in the knowledge base searched (triage rows).
    pub kb_chunks: Option<usize>,
    pub runs: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// Messages per second (1000 / p50 for latency rows; measured rate for throughput rows).
    pub per_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadRow {
    pub model: String,
    pub variant: String,
    pub threads: usize,
    pub load_ms: f64,
    pub file_bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchReport {
    pub results: Vec<BenchRow>,
    pub loads: Vec<LoadRow>,
    pub peak_rss_bytes: Option<u64>,
    pub cpu: String,
    pub cores: usize,
    pub notes: Vec<String>,
    pub elapsed_s: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BenchEvent {
    Progress { done: usize, total: usize, label: String },
}

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub model_dir: PathBuf,
    /// Folder with baseline models (minilm-l6, bert-base, squeezebert-base), if generated.
    pub baselines_dir: Option<PathBuf>,
    pub ort_library: Option<PathBuf>,
    pub threads: Vec<usize>,
    pub seqs: Vec<usize>,
    pub runs: usize,
    pub warmup: usize,
    pub kb_sizes: Vec<usize>,
    pub triage_runs: usize,
    pub throughput_messages: usize,
    pub variants: Vec<Variant>,
}

impl BenchOptions {
    pub fn full(model_dir: PathBuf) -> Self {
        Self {
            baselines_dir: model_dir.parent().map(|p| p.join("baselines")),
            model_dir,
            ort_library: None,
            threads: vec![1, 2],
            seqs: vec![16, 32, 64, 128],
            runs: 200,
            warmup: 20,
            kb_sizes: vec![10_000, 100_000],
            triage_runs: 300,
            throughput_messages: 3000,
            variants: vec![Variant::Fp32, Variant::Int8],
        }
    }

    /// What the dev panel's button runs: the loaded model only, a few seconds.
    pub fn quick(model_dir: PathBuf) -> Self {
        Self {
            baselines_dir: None,
            threads: vec![1, 2],
            seqs: vec![16, 32, 64, 128],
            runs: 40,
            warmup: 5,
            kb_sizes: vec![10_000],
            triage_runs: 100,
            throughput_messages: 1000,
            ..Self::full(model_dir)
        }
    }
}

/// Token ids of exactly `seq` tokens ([CLS] … [SEP]) cut from the corpus, starting at sentence `start`.
pub fn message_of_length(encoder: &TextEncoder, seq: usize, start: usize) -> Result<Vec<i64>> {
    let mut text = String::new();
    let mut i = start;
    loop {
        text.push_str(CORPUS[i % CORPUS.len()]);
        text.push(' ');
        i += 1;
        let encoded = encoder.encode(&text)?;
        if encoded.len() >= seq || encoded.truncated {
            let mut ids = encoded.ids;
            let sep = *ids.last().expect("non-empty");
            ids.truncate(seq);
            *ids.last_mut().expect("non-empty") = sep;
            return Ok(ids);
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[allow(clippy::too_many_arguments)]
fn row(
    model: &str,
    variant: &str,
    stage: &str,
    seq: usize,
    batch: usize,
    threads: usize,
    kb: Option<usize>,
    mut ms: Vec<f64>,
) -> BenchRow {
    ms.sort_by(f64::total_cmp);
    let p50 = percentile(&ms, 0.5);
    BenchRow {
        model: model.into(),
        variant: variant.into(),
        stage: stage.into(),
        seq,
        batch,
        threads,
        kb_chunks: kb,
        runs: ms.len(),
        p50_ms: p50,
        p95_ms: percentile(&ms, 0.95),
        p99_ms: percentile(&ms, 0.99),
        min_ms: ms.first().copied().unwrap_or(0.0),
        max_ms: ms.last().copied().unwrap_or(0.0),
        per_s: if p50 > 0.0 { batch as f64 * 1000.0 / p50 } else { 0.0 },
    }
}

struct Config {
    model: String,
    variant: Variant,
    threads: usize,
    backend: OnnxBackend,
    encoder: TextEncoder,
}

/// The model folders to compare: the shipped one, then whichever baselines exist.
fn model_folders(options: &BenchOptions) -> Vec<(String, PathBuf)> {
    let mut out = vec![("squeezebert-mini".to_string(), options.model_dir.clone())];
    if let Some(dir) = &options.baselines_dir {
        for name in ["minilm-l6", "bert-base", "squeezebert-base"] {
            let folder = dir.join(name);
            if folder.join("manifest.json").is_file() {
                out.push((name.to_string(), folder));
            }
        }
    }
    out
}

fn load_configs(options: &BenchOptions, notes: &mut Vec<String>, loads: &mut Vec<LoadRow>) -> Result<Vec<Config>> {
    let mut configs = Vec::new();
    for (name, dir) in model_folders(options) {
        for &variant in &options.variants {
            for &threads in &options.threads {
                let folder = match ModelFolder::open(&dir, variant) {
                    Ok(f) => f,
                    Err(e) => {
                        if threads == options.threads[0] {
                            notes.push(format!("{name} {}: skipped ({e})", variant.as_str()));
                        }
                        continue;
                    }
                };
                let encoder = TextEncoder::from_file(&folder.tokenizer_path(), folder.manifest.max_length)?;
                let session = SessionOptions { provider: crate::Provider::Cpu, threads };
                let backend = OnnxBackend::load(folder, variant, &session, options.ort_library.as_deref())?;
                let info = backend.info();
                loads.push(LoadRow {
                    model: name.clone(),
                    variant: variant.as_str().into(),
                    threads,
                    load_ms: info.load_ms,
                    file_bytes: info.file_bytes,
                });
                configs.push(Config { model: name.clone(), variant, threads, backend, encoder });
            }
        }
    }
    Ok(configs)
}

/// Batch-1 latency of every configuration at every length, interleaved in rounds.
fn measure_inference(
    options: &BenchOptions,
    configs: &mut [Config],
    progress: &mut (dyn FnMut(BenchEvent) + Send),
) -> Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    let rounds = 10.min(options.runs.max(1));
    let per_round = options.runs.div_ceil(rounds);
    let total = options.seqs.len() * rounds;
    let mut done = 0;
    for &seq in &options.seqs {
        let batches: Vec<TokenBatch> = configs
            .iter()
            .map(|c| message_of_length(&c.encoder, seq, seq).map(|ids| TokenBatch::from_sequences([ids.as_slice()])))
            .collect::<Result<_>>()?;
        for (c, batch) in configs.iter_mut().zip(&batches) {
            for _ in 0..options.warmup {
                c.backend.forward(batch)?;
            }
        }
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); configs.len()];
        for _ in 0..rounds {
            for (i, (c, batch)) in configs.iter_mut().zip(&batches).enumerate() {
                for _ in 0..per_round {
                    let t = Instant::now();
                    c.backend.forward(batch)?;
                    samples[i].push(t.elapsed().as_secs_f64() * 1e3);
                }
            }
            done += 1;
            progress(BenchEvent::Progress { done, total, label: format!("inference, {seq} tokens") });
        }
        for (c, ms) in configs.iter().zip(samples) {
            rows.push(row(&c.model, c.variant.as_str(), "inference", seq, 1, c.threads, None, ms));
        }
    }
    Ok(rows)
}

/// Fills the knowledge base with `n` generated passages: template text for BM25 and random unit
/// vectors for the dense scan (its cost does not depend on the vectors' meaning; embedding 100k
/// passages with the model would take minutes).
async fn generate_kb(engine: &Engine, n: usize) -> Result<()> {
    let db = engine.database();
    let existing: i64 = sqlx::query("SELECT COUNT(*) FROM chunks").fetch_one(db.pool()).await.map_err(|e| db.error(e))?.get(0);
    if existing as usize >= n {
        return Ok(());
    }
    let words = [
        "account",
        "card",
        "payment",
        "refund",
        "password",
        "delivery",
        "order",
        "transfer",
        "fee",
        "login",
        "email",
        "fraud",
        "shipping",
        "invoice",
        "subscription",
        "limit",
        "balance",
        "statement",
        "app",
        "security",
    ];
    let dim = engine.manifest().embedding_dim;
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let tag = engine.knowledge_base().model_tag().to_string();
    let per_doc = 10;
    let mut tx = db.pool().begin().await.map_err(|e| db.error(e))?;
    for d in (existing as usize / per_doc)..n.div_ceil(per_doc) {
        let title = format!("Generated article {d} about {}", words[d % words.len()]);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO documents (path, title, body, format, content_hash) VALUES (?, ?, '', 'text', '') RETURNING id",
        )
        .bind(format!("generated/{d}.txt"))
        .bind(&title)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| db.error(e))?;
        for c in 0..per_doc {
            let text: Vec<&str> = (0..40).map(|_| words[(next() % words.len() as u64) as usize]).collect();
            let mut v: Vec<f32> = (0..dim).map(|_| (next() % 20_000) as f32 / 10_000.0 - 1.0).collect();
            vector::normalize(&mut v);
            sqlx::query("INSERT INTO chunks (document_id, ord, heading, text, embedding, model) VALUES (?, ?, '', ?, ?, ?)")
                .bind(id)
                .bind(c as i64)
                .bind(text.join(" "))
                .bind(vector::to_bytes(&v))
                .bind(&tag)
                .execute(&mut *tx)
                .await
                .map_err(|e| db.error(e))?;
        }
    }
    tx.commit().await.map_err(|e| db.error(e))?;
    Ok(())
}

/// The full triage path of one message: analysis (tokenize, queue, inference, heads, custom
/// intents), hybrid retrieval of three suggestions, priority.
async fn triage_once(engine: &Engine, text: &str) -> Result<()> {
    let analysis = engine.analyze(text).await?;
    let hits = engine.knowledge_base().search(text, &analysis.embedding, triage::SUGGESTIONS, engine.recorder()).await?;
    std::hint::black_box((triage::priority(&analysis), hits));
    Ok(())
}

/// The longest prefix of the corpus (in words) that tokenizes to at most `seq` tokens.
fn text_of_length(encoder: &TextEncoder, seq: usize) -> Result<String> {
    let words: Vec<&str> = CORPUS.iter().flat_map(|s| s.split_whitespace()).collect();
    let (mut lo, mut hi) = (1, words.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if encoder.encode(&words[..mid].join(" "))?.len() <= seq {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Ok(words[..lo].join(" "))
}

async fn measure_triage(
    options: &BenchOptions,
    variant: Variant,
    threads: usize,
    db: &Path,
    progress: &mut (dyn FnMut(BenchEvent) + Send),
) -> Result<Vec<BenchRow>> {
    let mut config = EngineConfig::new(options.model_dir.clone(), db);
    config.variant = variant;
    config.threads = threads;
    config.ort_library = options.ort_library.clone();
    let engine = Engine::open(config).await?;
    let encoder =
        TextEncoder::from_file(&ModelFolder::open(&options.model_dir, variant)?.tokenizer_path(), engine.manifest().max_length)?;
    let mut rows = Vec::new();
    // A 32-token message as text: the tokenizer runs inside the measured path.
    let text = text_of_length(&encoder, 32)?;
    let seq = encoder.encode(&text)?.len();
    for &size in &options.kb_sizes {
        progress(BenchEvent::Progress {
            done: 0,
            total: options.triage_runs,
            label: format!("generating a {size}-passage knowledge base"),
        });
        generate_kb(&engine, size).await?;
        engine.knowledge_base().dense_index().await?;
        for _ in 0..options.warmup.max(5) {
            triage_once(&engine, &text).await?;
        }
        engine.recorder().reset();
        let mut ms = Vec::with_capacity(options.triage_runs);
        for i in 0..options.triage_runs {
            let t = Instant::now();
            triage_once(&engine, &text).await?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            if i % 50 == 49 {
                progress(BenchEvent::Progress {
                    done: i + 1,
                    total: options.triage_runs,
                    label: format!("triage over {size} passages"),
                });
            }
        }
        let v = variant.as_str();
        rows.push(row("squeezebert-mini", v, "triage", seq, 1, threads, Some(size), ms));
        let snapshot = engine.recorder().snapshot(0);
        for s in snapshot.stages.iter().filter(|s| !matches!(s.stage, Stage::Total | Stage::Inference | Stage::Compose)) {
            rows.push(BenchRow {
                p50_ms: s.p50_ms,
                p95_ms: s.p95_ms,
                p99_ms: s.p99_ms,
                max_ms: s.max_ms,
                min_ms: 0.0,
                runs: s.count as usize,
                per_s: if s.p50_ms > 0.0 { 1000.0 / s.p50_ms } else { 0.0 },
                ..row("squeezebert-mini", v, s.stage.as_str(), seq, 1, threads, Some(size), vec![])
            });
        }
    }

    // Throughput: many concurrent callers, the worker batches what queues up.
    if options.throughput_messages > 0 {
        let texts: Vec<String> = (0..options.throughput_messages).map(|i| CORPUS[i % CORPUS.len()].to_string()).collect();
        engine.recorder().reset();
        let t = Instant::now();
        let results = engine.analyze_many(&texts).await;
        let elapsed = t.elapsed().as_secs_f64();
        let failed = results.iter().filter(|r| r.is_err()).count();
        if failed > 0 {
            return Err(Error::Inference(format!("{failed} messages failed during the throughput run")));
        }
        let batches = engine.recorder().snapshot(0).batches;
        let mut r =
            row("squeezebert-mini", variant.as_str(), "throughput", batches.mean_seq.round() as usize, 0, threads, None, vec![]);
        r.batch = batches.mean_size.round() as usize;
        r.runs = texts.len();
        r.per_s = texts.len() as f64 / elapsed;
        rows.push(r);
    }
    engine.shutdown(crate::worker::Shutdown::Drain).await;
    Ok(rows)
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Runs the benchmark described by `options`, reporting progress as it goes.
pub async fn run(options: &BenchOptions, mut progress: impl FnMut(&BenchEvent) + Send) -> Result<BenchReport> {
    let started = Instant::now();
    let mut notes = Vec::new();
    let mut loads = Vec::new();
    let mut sink = |e: BenchEvent| progress(&e);
    let mut configs = load_configs(options, &mut notes, &mut loads)?;
    if options.baselines_dir.as_ref().is_some_and(|d| !d.join("bert-base/manifest.json").is_file()) {
        notes.push("baseline models not found: generate them with `python3 models/scripts/make_baselines.py`".into());
    }
    // The inference loop is synchronous on purpose: nothing else shares the threads it times.
    let mut results = tokio::task::block_in_place(|| measure_inference(options, &mut configs, &mut sink))?;
    drop(configs);
    let dir = tempfile_dir()?;
    for &variant in &options.variants {
        for &threads in &options.threads {
            let db = dir.join(format!("bench-{}-{threads}.db", variant.as_str()));
            results.extend(measure_triage(options, variant, threads, &db, &mut sink).await?);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (_, peak) = crate::memory::process_rss();
    Ok(BenchReport {
        results,
        loads,
        peak_rss_bytes: peak,
        cpu: cpu_name(),
        cores: crate::model::backend::available_threads(),
        notes,
        elapsed_s: started.elapsed().as_secs_f64(),
    })
}

fn tempfile_dir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("squeezedesk-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    Ok(dir)
}

/// The dev panel's benchmark: the loaded model's folder, quick settings.
pub async fn run_in_app(engine: &Arc<Engine>, progress: impl FnMut(&BenchEvent) + Send) -> Result<BenchReport> {
    let mut options = BenchOptions::quick(engine.config().model_dir.clone());
    options.ort_library = engine.config().ort_library.clone();
    options.variants = vec![engine.config().variant];
    run(&options, progress).await
}

/// The report as a plain-text table, with ratios against BERT-base and MiniLM where measured.
pub fn format_table(report: &BenchReport) -> String {
    let mut out = format!("CPU: {} ({} threads available)\n\n", report.cpu, report.cores);
    out.push_str(&format!(
        "{:<17} {:<5} {:<11} {:>4} {:>5} {:>3} {:>8} {:>9} {:>9} {:>9} {:>10}\n",
        "model", "var", "stage", "seq", "batch", "thr", "kb", "p50 ms", "p95 ms", "p99 ms", "msg/s"
    ));
    for r in &report.results {
        out.push_str(&format!(
            "{:<17} {:<5} {:<11} {:>4} {:>5} {:>3} {:>8} {:>9.3} {:>9.3} {:>9.3} {:>10.0}\n",
            r.model,
            r.variant,
            r.stage,
            r.seq,
            r.batch,
            r.threads,
            r.kb_chunks.map(|k| k.to_string()).unwrap_or_default(),
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.per_s
        ));
    }
    let ratios = ratio_lines(report);
    if !ratios.is_empty() {
        out.push_str("\nRatios (same run, batch 1, inference p50):\n");
        out.push_str(&ratios.join("\n"));
        out.push('\n');
    }
    out.push_str("\nModel load:\n");
    for l in &report.loads {
        out.push_str(&format!(
            "  {:<17} {:<5} {} threads  {:>7.1} ms  {:>7.1} MiB\n",
            l.model,
            l.variant,
            l.threads,
            l.load_ms,
            l.file_bytes as f64 / 1048576.0
        ));
    }
    if let Some(rss) = report.peak_rss_bytes {
        out.push_str(&format!("Peak RSS of the benchmark process: {:.1} MiB\n", rss as f64 / 1048576.0));
    }
    for n in &report.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push_str(&format!("({:.1} s)\n", report.elapsed_s));
    out
}

fn ratio_lines(report: &BenchReport) -> Vec<String> {
    let p50 = |model: &str, variant: &str, seq: usize, threads: usize| {
        report
            .results
            .iter()
            .find(|r| r.stage == "inference" && r.model == model && r.variant == variant && r.seq == seq && r.threads == threads)
            .map(|r| r.p50_ms)
    };
    let mut lines = Vec::new();
    for r in report.results.iter().filter(|r| r.stage == "inference" && r.model == "squeezebert-mini") {
        for (other, label) in [("bert-base", "BERT-base"), ("minilm-l6", "MiniLM-L6")] {
            for ov in ["fp32", "int8"] {
                if let Some(o) = p50(other, ov, r.seq, r.threads) {
                    lines.push(format!(
                        "  squeezebert-mini {} vs {label} {ov}, seq {}, {} thr: {:.2}×",
                        r.variant,
                        r.seq,
                        r.threads,
                        o / r.p50_ms
                    ));
                }
            }
        }
    }
    for r in report.results.iter().filter(|r| r.stage == "inference" && r.model == "squeezebert-base") {
        if let Some(o) = p50("bert-base", &r.variant, r.seq, r.threads) {
            lines.push(format!(
                "  squeezebert-base vs bert-base ({}), seq {}, {} thr: {:.2}× (paper: 4.3× on a Pixel 3)",
                r.variant,
                r.seq,
                r.threads,
                o / r.p50_ms
            ));
        }
    }
    lines
}
