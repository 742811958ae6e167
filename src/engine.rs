//! The engine: one value that owns the model worker, the database and the recorder. The CLI,
//! the desktop app, the benchmark and the tests all build it the same way from a config.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use futures::future::try_join_all;
use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, AnalysisTimings};
use crate::config::EngineConfig;
use crate::db::Database;
use crate::error::{Error, Result};
use crate::intents::{CustomIntent, CustomIntentMatch, IntentStore};
use crate::kb::{self, chunk, source, Article, EmbeddedPassage, KnowledgeBase, SearchResults};
use crate::model::backend::available_threads;
use crate::model::heads::{decide_intent, decide_sentiment};
use crate::model::runtime::SessionOptions;
use crate::model::{BackendInfo, Encoded, Manifest, ModelFolder, OnnxBackend, TextEncoder};
use crate::profile::{Recorder, Snapshot, Stage};
use crate::worker::{RowOutput, Shutdown, Worker};

pub struct Engine {
    config: EngineConfig,
    manifest: Manifest,
    encoder: Arc<TextEncoder>,
    worker: Worker,
    recorder: Arc<Recorder>,
    db: Database,
    kb: KnowledgeBase,
    intents: IntentStore,
}

/// How a folder import is going, one event per file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ImportEvent {
    Started { root: String, files: usize },
    File { path: String, index: usize, total: usize, status: FileStatus },
    Finished { summary: ImportSummary },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FileStatus {
    Imported { articles: usize, unchanged: usize, passages: usize },
    Unchanged { articles: usize },
    Failed { error: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct ImportSummary {
    pub files: usize,
    pub imported_articles: usize,
    pub unchanged_articles: usize,
    pub passages: usize,
    pub failed: Vec<FailedFile>,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailedFile {
    pub path: String,
    pub error: String,
}

/// What the dev panel shows about the engine.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineStatus {
    pub backend: BackendInfo,
    pub batch_policy: crate::config::BatchPolicy,
    pub database: String,
    pub model_dir: String,
    pub manifest: Manifest,
    /// What the loaded model cannot do (heads it lacks).
    pub missing_features: Vec<crate::model::manifest::MissingFeature>,
    pub process_rss_bytes: Option<u64>,
    pub process_peak_rss_bytes: Option<u64>,
    pub cpu_threads: usize,
    pub metrics: Snapshot,
}

impl Engine {
    /// Loads and checks the model, starts the worker, opens (and migrates) the database.
    pub async fn open(config: EngineConfig) -> Result<Arc<Self>> {
        let recorder = Arc::new(Recorder::new());
        let folder = ModelFolder::open(&config.model_dir, config.variant)?;
        let manifest = folder.manifest.clone();
        let encoder = Arc::new(TextEncoder::from_file(&folder.tokenizer_path(), manifest.max_length)?);
        let options = SessionOptions { provider: config.provider, threads: config.threads, spinning: config.spinning };
        let library = config.ort_library.clone();
        let variant = config.variant;
        let backend = tokio::task::spawn_blocking(move || OnnxBackend::load(folder, variant, &options, library.as_deref()))
            .await
            .map_err(|e| Error::Inference(format!("model loading panicked: {e}")))??;
        let worker = Worker::spawn(Box::new(backend), config.batch.clone(), recorder.clone());
        let db = Database::open(&config.database).await?;
        let tag = format!("{}@{}", manifest.name, manifest.version);
        let kb = KnowledgeBase::new(db.clone(), tag.clone());
        let intents = IntentStore::new(db.clone(), tag);
        let engine = Arc::new(Self { config, manifest, encoder, worker, recorder, db, kb, intents });
        engine.refresh_stale_intent_examples().await?;
        Ok(engine)
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn recorder(&self) -> &Arc<Recorder> {
        &self.recorder
    }

    pub fn backend_info(&self) -> &BackendInfo {
        self.worker.info()
    }

    pub fn knowledge_base(&self) -> &KnowledgeBase {
        &self.kb
    }

    pub fn intent_store(&self) -> &IntentStore {
        &self.intents
    }

    pub fn encoder(&self) -> &TextEncoder {
        &self.encoder
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn tokenize(&self, text: &str) -> Result<Encoded> {
        self.recorder.time(Stage::Tokenize, || self.encoder.encode(text))
    }

    /// One forward pass for one message (interactive: a full queue is [`Error::Busy`]).
    pub async fn forward(&self, encoded: &Encoded) -> Result<RowOutput> {
        self.worker.infer(encoded).await
    }

    /// The sentence embedding of a text; waits for room in the queue (bulk work).
    pub async fn embed(&self, text: &str) -> Result<Vec<f32>> {
        let encoded = self.tokenize(text)?;
        Ok(self.worker.infer_waiting(&encoded).await?.embedding)
    }

    /// Intent, sentiment, custom intent and embedding of a message, from one forward pass.
    #[tracing::instrument(skip_all, fields(bytes = text.len()))]
    pub async fn analyze(&self, text: &str) -> Result<Analysis> {
        let started = Instant::now();
        let encoded = self.tokenize(text)?;
        let tokenize = started.elapsed();
        let row = self.forward(&encoded).await?;
        self.finish_analysis(text, &encoded, row, started, tokenize).await
    }

    async fn finish_analysis(
        &self,
        text: &str,
        encoded: &Encoded,
        row: RowOutput,
        started: Instant,
        tokenize: std::time::Duration,
    ) -> Result<Analysis> {
        let post = Instant::now();
        let heads = &self.manifest.heads;
        let intent = heads.intent.as_ref().zip(row.intent_logits.as_deref()).map(|(h, l)| decide_intent(h, l));
        let sentiment = heads.sentiment.as_ref().zip(row.sentiment_logits.as_deref()).map(|(h, l)| decide_sentiment(h, l));
        let custom_intent = self.intents.classify(&row.embedding).await?;
        let postprocess = post.elapsed();
        self.recorder.record(Stage::Postprocess, postprocess);
        let total = started.elapsed();
        self.recorder.record(Stage::Total, total);
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
        Ok(Analysis {
            text: text.to_string(),
            intent,
            sentiment,
            custom_intent,
            tokens: encoded.len(),
            truncated: encoded.truncated,
            timings: AnalysisTimings {
                tokenize_ms: ms(tokenize),
                queue_wait_ms: ms(row.queue_wait),
                inference_ms: ms(row.inference),
                postprocess_ms: ms(postprocess),
                total_ms: ms(total),
                batch_size: row.batch_size,
            },
            embedding: row.embedding,
        })
    }

    /// Analyses many messages concurrently; the worker batches them. Waits for queue room.
    pub async fn analyze_many(&self, texts: &[String]) -> Vec<Result<Analysis>> {
        let jobs = texts.iter().map(|text| async move {
            let started = Instant::now();
            let encoded = self.tokenize(text)?;
            let tokenize = started.elapsed();
            let row = self.worker.infer_waiting(&encoded).await?;
            self.finish_analysis(text, &encoded, row, started, tokenize).await
        });
        futures::future::join_all(jobs).await
    }

    /// Hybrid search of the knowledge base.
    pub async fn search(&self, query: &str, limit: usize) -> Result<SearchResults> {
        let encoded = self.tokenize(query)?;
        let row = self.forward(&encoded).await?;
        self.kb.search(query, &row.embedding, limit, &self.recorder).await
    }

    async fn embed_passages(&self, article: &Article) -> Result<Vec<EmbeddedPassage>> {
        let passages = chunk::chunk(&article.body, article.format);
        let texts: Vec<String> = passages.iter().map(|p| passage_text(&article.title, p)).collect();
        let embeddings = try_join_all(texts.iter().map(|t| self.embed(t))).await?;
        Ok(passages.into_iter().zip(embeddings).map(|(passage, embedding)| EmbeddedPassage { passage, embedding }).collect())
    }

    /// Imports a folder of Markdown, text, CSV and JSON files. Unchanged articles (same content
    /// hash, same model) are skipped; a file that cannot be read is reported and the rest imports.
    pub async fn import_folder(&self, root: &Path, mut progress: impl FnMut(&ImportEvent)) -> Result<ImportSummary> {
        let started = Instant::now();
        let files = source::list_files(root).map_err(|e| Error::invalid(format!("cannot import {}: {e}", root.display())))?;
        let root_text = root.display().to_string();
        progress(&ImportEvent::Started { root: root_text.clone(), files: files.len() });
        let mut summary = ImportSummary { files: files.len(), ..Default::default() };
        for (index, file) in files.iter().enumerate() {
            let path = source::relative_path(root, file);
            let status = match self.import_file(root, file, &root_text).await {
                Ok(status) => status,
                Err(error) => FileStatus::Failed { error },
            };
            match &status {
                FileStatus::Imported { articles, unchanged, passages } => {
                    summary.imported_articles += articles;
                    summary.unchanged_articles += unchanged;
                    summary.passages += passages;
                }
                FileStatus::Unchanged { articles } => summary.unchanged_articles += articles,
                FileStatus::Failed { error } => {
                    tracing::info!(%path, %error, "skipped a file");
                    summary.failed.push(FailedFile { path: path.clone(), error: error.clone() })
                }
            }
            progress(&ImportEvent::File { path, index: index + 1, total: files.len(), status });
        }
        summary.elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
        progress(&ImportEvent::Finished { summary: summary.clone() });
        Ok(summary)
    }

    async fn import_file(&self, root: &Path, file: &Path, root_text: &str) -> std::result::Result<FileStatus, String> {
        let articles = source::read_file(root, file)?;
        let mut changed = Vec::new();
        for article in &articles {
            let stored = self.kb.stored_hash(&article.path).await.map_err(|e| e.to_string())?;
            let current = stored.is_some_and(|(hash, model)| hash == kb::content_hash(article) && model == self.kb.model_tag());
            if !current {
                changed.push(article);
            }
        }
        if changed.is_empty() {
            return Ok(FileStatus::Unchanged { articles: articles.len() });
        }
        // Embed every changed article of the file at once so the worker can batch them.
        let embedded = try_join_all(changed.iter().map(|a| self.embed_passages(a))).await.map_err(|e| e.to_string())?;
        let mut passages = 0;
        for (article, embedded) in changed.iter().zip(&embedded) {
            self.kb.upsert(article, root_text, embedded).await.map_err(|e| e.to_string())?;
            passages += embedded.len();
        }
        Ok(FileStatus::Imported { articles: changed.len(), unchanged: articles.len() - changed.len(), passages })
    }

    /// Saves an edited article and re-embeds it.
    pub async fn save_article(&self, article: Article) -> Result<kb::Document> {
        if article.title.trim().is_empty() {
            return Err(Error::invalid("an article needs a title"));
        }
        crate::model::tokenize::check_text(&article.body)?;
        let root = sqlx::query_scalar::<_, String>("SELECT source_root FROM documents WHERE path = ?")
            .bind(&article.path)
            .fetch_optional(self.db.pool())
            .await
            .map_err(|e| self.db.error(e))?
            .unwrap_or_default();
        let embedded = self.embed_passages(&article).await?;
        let id = self.kb.upsert(&article, &root, &embedded).await?;
        self.kb.get(&id.to_string()).await
    }

    /// Re-embeds every article with the loaded model.
    pub async fn reindex(&self, mut progress: impl FnMut(usize, usize, &str)) -> Result<usize> {
        let articles = self.kb.all_articles().await?;
        let total = articles.len();
        for (i, (article, root)) in articles.iter().enumerate() {
            let embedded = self.embed_passages(article).await?;
            self.kb.upsert(article, root, &embedded).await?;
            progress(i + 1, total, &article.path);
        }
        Ok(total)
    }

    pub async fn add_intent(
        &self,
        name: &str,
        description: &str,
        urgency: Option<f32>,
        examples: &[String],
    ) -> Result<CustomIntent> {
        let examples: Vec<String> = examples.iter().map(|e| e.trim().to_string()).filter(|e| !e.is_empty()).collect();
        if examples.is_empty() {
            return Err(Error::invalid("give at least one example phrase"));
        }
        let embeddings = try_join_all(examples.iter().map(|e| self.embed(e))).await?;
        let pairs: Vec<(String, Vec<f32>)> = examples.into_iter().zip(embeddings).collect();
        self.intents.add(name, description, urgency, &pairs).await
    }

    /// Every custom intent ranked for a test sentence, with the examples that decide it.
    pub async fn explain_intents(&self, text: &str) -> Result<Vec<CustomIntentMatch>> {
        let embedding = self.embed(text).await?;
        self.intents.rank(&embedding).await
    }

    async fn refresh_stale_intent_examples(&self) -> Result<()> {
        for (id, text) in self.intents.stale_examples().await? {
            let embedding = self.embed(&text).await?;
            self.intents.update_embedding(id, &embedding).await?;
        }
        Ok(())
    }

    pub fn metrics(&self, recent: usize) -> Snapshot {
        self.recorder.set_queue_depth(self.worker.queue_depth());
        self.recorder.snapshot(recent)
    }

    pub fn status(&self, recent: usize) -> EngineStatus {
        let (rss, peak) = crate::memory::process_rss();
        EngineStatus {
            backend: self.worker.info().clone(),
            batch_policy: self.worker.policy().clone(),
            database: self.db.path().display().to_string(),
            model_dir: self.config.model_dir.display().to_string(),
            manifest: self.manifest.clone(),
            missing_features: self.manifest.missing_features(),
            process_rss_bytes: rss,
            process_peak_rss_bytes: peak,
            cpu_threads: available_threads(),
            metrics: self.metrics(recent),
        }
    }

    /// Stops the worker (answering what is queued) and closes the database.
    pub async fn shutdown(&self, mode: Shutdown) {
        self.worker.shutdown(mode).await;
        self.db.close().await;
    }
}

/// What is embedded for a passage: the article title gives short passages their context.
fn passage_text(title: &str, passage: &chunk::Passage) -> String {
    let mut text = title.trim().to_string();
    if !passage.heading.is_empty() && passage.heading != title {
        text.push_str(" — ");
        text.push_str(&passage.heading);
    }
    text.push_str(". ");
    text.push_str(&passage.text);
    text
}
