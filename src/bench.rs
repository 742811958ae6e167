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

use crate::config::{BatchPolicy, EngineConfig, Variant};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::runtime::SessionOptions;
use crate::model::{Backend, ModelFolder, OnnxBackend, TextEncoder, TokenBatch};
use crate::profile::Stage;
use crate::triage;
use crate::vector::{self, Xorshift};

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
    /// Throughput rows: the worker's batch limit and the number of concurrent callers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_batch: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clients: Option<usize>,
    /// Triage rows: whether ONNX Runtime's threads were spinning between runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spinning: Option<bool>,
}

/// Resident memory of the process holding one engine and its knowledge base.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemoryRow {
    pub variant: String,
    pub kb_chunks: usize,
    /// Before the engine was opened (the binary and its libraries).
    pub process_rss_before_bytes: Option<u64>,
    /// With the engine open, after 50 triaged messages.
    pub process_rss_bytes: Option<u64>,
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
    pub engine_memory: Option<MemoryRow>,
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
    /// Batch limits of the worker measured for throughput.
    pub max_batches: Vec<usize>,
    /// Measure the engine's memory first (meaningless inside the app, whose own engine shares
    /// the process).
    pub engine_memory: bool,
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
            max_batches: vec![1, 8, 32, 64],
            engine_memory: true,
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
            max_batches: vec![BatchPolicy::default().max_batch],
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
        max_batch: None,
        clients: None,
        spinning: None,
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
                let session = SessionOptions { provider: crate::Provider::Cpu, threads, spinning: false };
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

/// Words of generated passages follow Zipf's law (exponent 1.07, as in English text) over a
/// vocabulary of this size, so that FTS5 posting lists have the lengths of a real knowledge base:
/// a few words in most passages, most words in few.
const GENERATED_VOCABULARY: usize = 20_000;

/// The generated vocabulary, most frequent first: synthetic words, with the corpus's own words
/// spread over ranks 30…3,000 so that benchmark queries match some passages and not all.
fn generated_vocabulary() -> Vec<String> {
    let mut corpus_words: Vec<String> = Vec::new();
    for word in CORPUS.iter().flat_map(|s| s.split(|c: char| !c.is_alphanumeric())).filter(|w| w.len() > 2) {
        let word = word.to_lowercase();
        if !corpus_words.contains(&word) {
            corpus_words.push(word);
        }
    }
    let mut vocabulary: Vec<String> = (0..GENERATED_VOCABULARY).map(|rank| format!("w{rank}")).collect();
    let step = 2_970 / corpus_words.len().max(1);
    for (i, word) in corpus_words.into_iter().enumerate() {
        vocabulary[30 + i * step] = word;
    }
    vocabulary
}

/// Words drawn from [`generated_vocabulary`] with Zipf's law (exponent 1.07).
struct ZipfWords {
    vocabulary: Vec<String>,
    cumulative: Vec<f64>,
}

impl ZipfWords {
    fn new() -> Self {
        let vocabulary = generated_vocabulary();
        let mut total = 0.0;
        let cumulative = (1..=vocabulary.len())
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.07);
                total
            })
            .collect();
        Self { vocabulary, cumulative }
    }

    fn sample(&self, rng: &mut Xorshift) -> &str {
        let u = rng.unit() * self.cumulative.last().copied().unwrap_or(0.0);
        &self.vocabulary[self.cumulative.partition_point(|&c| c < u).min(self.vocabulary.len() - 1)]
    }
}

/// Fills the knowledge base of `engine` with `n` generated passages (10 per article, 40 words
/// each): Zipf-distributed words for BM25 and random unit vectors for the dense scan (its cost
/// does not depend on what the vectors mean; embedding 100k passages with the model would take
/// minutes). Does nothing if the base already holds `n` passages.
async fn generate_kb(engine: &Engine, n: usize, progress: &mut (dyn FnMut(BenchEvent) + Send)) -> Result<()> {
    let db = engine.database();
    let existing: i64 = sqlx::query("SELECT COUNT(*) FROM chunks").fetch_one(db.pool()).await.map_err(|e| db.error(e))?.get(0);
    if existing as usize >= n {
        return Ok(());
    }
    let words = ZipfWords::new();
    let mut rng = Xorshift::new(1);
    let dim = engine.manifest().embedding_dim;
    let tag = engine.knowledge_base().model_tag().to_string();
    let per_doc = 10;
    let docs = n.div_ceil(per_doc);
    let mut tx = db.pool().begin().await.map_err(|e| db.error(e))?;
    for d in (existing as usize / per_doc)..docs {
        let title = format!("Generated article {d}: {} {}", words.sample(&mut rng), words.sample(&mut rng));
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO documents (path, title, body, format, content_hash) VALUES (?, ?, '', 'text', '') RETURNING id",
        )
        .bind(format!("generated/{d}.txt"))
        .bind(&title)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| db.error(e))?;
        for c in 0..per_doc {
            let text: Vec<&str> = (0..40).map(|_| words.sample(&mut rng)).collect();
            let v = rng.unit_vector(dim);
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
        if d % 500 == 499 {
            progress(BenchEvent::Progress {
                done: d + 1,
                total: docs,
                label: format!("generating a {n}-passage knowledge base"),
            });
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

async fn open_engine(
    options: &BenchOptions,
    variant: Variant,
    threads: usize,
    spinning: bool,
    db: &Path,
    batch: BatchPolicy,
) -> Result<Arc<Engine>> {
    let mut config = EngineConfig::new(options.model_dir.clone(), db);
    config.variant = variant;
    config.threads = threads;
    config.spinning = spinning;
    config.ort_library = options.ort_library.clone();
    config.batch = batch;
    Engine::open(config).await
}

/// Resident memory of an engine with the int8 model (the first variant if int8 is not
/// measured) over a 10k-passage knowledge base, after 50 triaged messages: measured first, while
/// the process holds nothing else.
async fn measure_engine_memory(
    options: &BenchOptions,
    dir: &Path,
    progress: &mut (dyn FnMut(BenchEvent) + Send),
) -> Result<MemoryRow> {
    let variant = if options.variants.contains(&Variant::Int8) { Variant::Int8 } else { options.variants[0] };
    let (before, _) = crate::memory::process_rss();
    let size = 10_000;
    let engine = open_engine(options, variant, options.threads[0], false, &kb_path(dir, size), BatchPolicy::default()).await?;
    generate_kb(&engine, size, progress).await?;
    let text = text_of_length(engine.encoder(), 32)?;
    for _ in 0..50 {
        triage_once(&engine, &text).await?;
    }
    let (after, _) = crate::memory::process_rss();
    engine.shutdown(crate::worker::Shutdown::Drain).await;
    Ok(MemoryRow {
        variant: variant.as_str().into(),
        kb_chunks: size,
        process_rss_before_bytes: before,
        process_rss_bytes: after,
    })
}

fn kb_path(dir: &Path, size: usize) -> PathBuf {
    dir.join(format!("kb-{size}.db"))
}

/// The triage path over each knowledge-base size, every (variant, threads) configuration open at
/// once on the same generated base and timed in interleaved rounds; each stage's percentiles
/// come from the engines' own recorders over the same runs.
async fn measure_triage(
    options: &BenchOptions,
    dir: &Path,
    progress: &mut (dyn FnMut(BenchEvent) + Send),
) -> Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    for &size in &options.kb_sizes {
        let db = kb_path(dir, size);
        // With more than one thread, the same configuration also with ONNX Runtime's threads
        // spinning between runs: they compete with retrieval for the cores.
        let mut engines = Vec::new();
        for &variant in &options.variants {
            for &threads in &options.threads {
                for spinning in if threads > 1 { vec![false, true] } else { vec![false] } {
                    let engine = open_engine(options, variant, threads, spinning, &db, BatchPolicy::default()).await?;
                    engines.push((variant, threads, spinning, engine));
                }
            }
        }
        generate_kb(&engines[0].3, size, progress).await?;
        // A 32-token message as text: the tokenizer runs inside the measured path.
        let text = text_of_length(engines[0].3.encoder(), 32)?;
        let seq = engines[0].3.encoder().encode(&text)?.len();
        for (_, _, _, engine) in &engines {
            engine.knowledge_base().dense_index().await?;
            for _ in 0..options.warmup.max(5) {
                triage_once(engine, &text).await?;
            }
            engine.recorder().reset();
        }
        let rounds = 10.min(options.triage_runs.max(1));
        let per_round = options.triage_runs.div_ceil(rounds);
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); engines.len()];
        for round in 0..rounds {
            for (i, (_, _, _, engine)) in engines.iter().enumerate() {
                for _ in 0..per_round {
                    let t = Instant::now();
                    triage_once(engine, &text).await?;
                    samples[i].push(t.elapsed().as_secs_f64() * 1e3);
                }
            }
            progress(BenchEvent::Progress { done: round + 1, total: rounds, label: format!("triage over {size} passages") });
        }
        for ((variant, threads, spinning, engine), ms) in engines.iter().zip(samples) {
            let v = variant.as_str();
            let spin = |mut r: BenchRow| {
                r.spinning = Some(*spinning);
                r
            };
            rows.push(spin(row("squeezebert-mini", v, "triage", seq, 1, *threads, Some(size), ms)));
            let snapshot = engine.recorder().snapshot(0);
            for s in snapshot.stages.iter().filter(|s| !matches!(s.stage, Stage::Total | Stage::Inference | Stage::Compose)) {
                rows.push(spin(BenchRow {
                    p50_ms: s.p50_ms,
                    p95_ms: s.p95_ms,
                    p99_ms: s.p99_ms,
                    max_ms: s.max_ms,
                    min_ms: 0.0,
                    runs: s.count as usize,
                    per_s: if s.p50_ms > 0.0 { 1000.0 / s.p50_ms } else { 0.0 },
                    ..row("squeezebert-mini", v, s.stage.as_str(), seq, 1, *threads, Some(size), vec![])
                }));
            }
        }
        for (_, _, _, engine) in engines {
            engine.shutdown(crate::worker::Shutdown::Drain).await;
        }
    }
    Ok(rows)
}

/// Throughput through the tokio worker: `clients` concurrent callers each send messages back to
/// back; the worker batches what queues up. One row per (variant, threads, max batch), with the
/// callers' own latency percentiles, so the rows trace the throughput/latency curve of the
/// batching policy.
async fn measure_throughput(
    options: &BenchOptions,
    dir: &Path,
    progress: &mut (dyn FnMut(BenchEvent) + Send),
) -> Result<Vec<BenchRow>> {
    let mut rows = Vec::new();
    if options.throughput_messages == 0 {
        return Ok(rows);
    }
    let clients = 64;
    let per_client = options.throughput_messages.div_ceil(clients);
    let total = options.variants.len() * options.threads.len() * options.max_batches.len();
    let mut done = 0;
    for &variant in &options.variants {
        for &threads in &options.threads {
            for &max_batch in &options.max_batches {
                let policy = BatchPolicy { max_batch, ..BatchPolicy::default() };
                let engine = open_engine(options, variant, threads, false, &dir.join("throughput.db"), policy).await?;
                let started = Instant::now();
                let tasks: Vec<_> = (0..clients)
                    .map(|c| {
                        let engine = engine.clone();
                        tokio::spawn(async move {
                            let mut ms = Vec::with_capacity(per_client);
                            for i in 0..per_client {
                                let t = Instant::now();
                                engine.analyze(CORPUS[(c + i) % CORPUS.len()]).await?;
                                ms.push(t.elapsed().as_secs_f64() * 1e3);
                            }
                            Ok::<_, Error>(ms)
                        })
                    })
                    .collect();
                let mut ms = Vec::new();
                for task in tasks {
                    ms.extend(task.await.map_err(|e| Error::Inference(format!("benchmark client panicked: {e}")))??);
                }
                let elapsed = started.elapsed().as_secs_f64();
                let batches = engine.recorder().snapshot(0).batches;
                let messages = ms.len();
                let mut r = row(
                    "squeezebert-mini",
                    variant.as_str(),
                    "throughput",
                    batches.mean_seq.round() as usize,
                    0,
                    threads,
                    None,
                    ms,
                );
                r.batch = batches.mean_size.round() as usize;
                r.max_batch = Some(max_batch);
                r.clients = Some(clients);
                r.per_s = messages as f64 / elapsed;
                rows.push(r);
                engine.shutdown(crate::worker::Shutdown::Drain).await;
                done += 1;
                progress(BenchEvent::Progress { done, total, label: "throughput through the worker".into() });
            }
        }
    }
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

    if options.baselines_dir.as_ref().is_some_and(|d| !d.join("bert-base/manifest.json").is_file()) {
        notes.push("baseline models not found: generate them with `python3 models/scripts/make_baselines.py`".into());
    }
    let dir = tempfile_dir()?;
    // Before any other model is loaded, so that the figure is the engine's alone.
    let engine_memory = if options.engine_memory && !options.kb_sizes.is_empty() {
        Some(measure_engine_memory(options, &dir, &mut sink).await?)
    } else {
        None
    };
    let mut configs = load_configs(options, &mut notes, &mut loads)?;
    // The inference loop is synchronous on purpose: nothing else shares the threads it times.
    let mut results = tokio::task::block_in_place(|| measure_inference(options, &mut configs, &mut sink))?;
    drop(configs);
    results.extend(measure_triage(options, &dir, &mut sink).await?);
    results.extend(measure_throughput(options, &dir, &mut sink).await?);
    let _ = std::fs::remove_dir_all(&dir);
    let (_, peak) = crate::memory::process_rss();
    Ok(BenchReport {
        results,
        loads,
        engine_memory,
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
    options.engine_memory = false;
    run(&options, progress).await
}

/// The report as a plain-text table, with ratios against BERT-base and MiniLM where measured.
pub fn format_table(report: &BenchReport) -> String {
    let mut out = format!("CPU: {} ({} threads available)\n\n", report.cpu, report.cores);
    out.push_str(&format!(
        "{:<17} {:<5} {:<11} {:>4} {:>5} {:>4} {:>8} {:>9} {:>9} {:>9} {:>10}\n",
        "model", "var", "stage", "seq", "batch", "thr", "kb", "p50 ms", "p95 ms", "p99 ms", "msg/s"
    ));
    for r in report.results.iter().filter(|r| r.max_batch.is_none()) {
        out.push_str(&format!(
            "{:<17} {:<5} {:<11} {:>4} {:>5} {:>4} {:>8} {:>9.3} {:>9.3} {:>9.3} {:>10.0}\n",
            r.model,
            r.variant,
            r.stage,
            r.seq,
            r.batch,
            format!("{}{}", r.threads, if r.spinning == Some(true) { "s" } else { "" }),
            r.kb_chunks.map(|k| k.to_string()).unwrap_or_default(),
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.per_s
        ));
    }
    let curve: Vec<&BenchRow> = report.results.iter().filter(|r| r.max_batch.is_some()).collect();
    if !curve.is_empty() {
        out.push_str("\nThroughput through the worker (concurrent callers; latency as each caller saw it):\n");
        out.push_str(&format!(
            "  {:<5} {:>3} {:>9} {:>10} {:>8} {:>10} {:>9} {:>9}\n",
            "var", "thr", "max batch", "mean batch", "clients", "msg/s", "p50 ms", "p99 ms"
        ));
        for r in curve {
            out.push_str(&format!(
                "  {:<5} {:>3} {:>9} {:>10} {:>8} {:>10.0} {:>9.2} {:>9.2}\n",
                r.variant,
                r.threads,
                r.max_batch.unwrap_or(0),
                r.batch,
                r.clients.unwrap_or(0),
                r.per_s,
                r.p50_ms,
                r.p99_ms
            ));
        }
    }
    if report.results.iter().any(|r| r.spinning == Some(true)) {
        out.push_str("(thr \"2s\": ONNX Runtime's threads spinning between runs)\n");
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
    if let Some(m) = &report.engine_memory {
        let mib = |b: Option<u64>| b.map_or("?".to_string(), |b| format!("{:.1} MiB", b as f64 / 1048576.0));
        out.push_str(&format!(
            "Engine memory ({} model, {} passages, after 50 triaged messages): process RSS {} (before the engine: {})\n",
            m.variant,
            m.kb_chunks,
            mib(m.process_rss_bytes),
            mib(m.process_rss_before_bytes)
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
