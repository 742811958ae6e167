//! Held-out evaluation of a model folder with the engine's own tokenizer and ONNX Runtime path:
//! `squeezedesk eval --data DIR`.
//!
//! The sets and metrics are those of the model card (`models/train/squeezebert_mini/evaluation.py`,
//! `models/train/prepare_bundle.py`), read from a data folder in the layout of `shared/data`
//! (see its `SOURCES.md`):
//!
//! | set | files | metrics |
//! |---|---|---|
//! | SST-2 | `sst2/dev.tsv`, `sst2/test.tsv` | accuracy (positive iff logit[positive] > logit[negative]) |
//! | TweetEval sentiment | `tweeteval-sentiment/test_{text,labels}.txt` | the held-out half of test (the same half as the Python side: `numpy.random.default_rng(20240917).permutation(n)`, second half): macro-F1, accuracy |
//! | CLINC150 | `clinc150/data_oos_plus.json.gz` (`test` + `oos_test`) | in-scope accuracy and out-of-scope recall, argmax of the 151 logits (the card) and the manifest's calibrated decision (temperature + threshold, what the app does) |
//! | Banking77 | `banking77/{train,test}.csv` | nearest-centroid accuracy (cosine to the normalised sum of the train embeddings) |
//! | STS-B | `stsb/sts-test.csv` | Spearman × 100 of the embeddings' cosine |
//! | StackFAQ | `stackfaq/stackExchange-FAQ.json` | MRR × 100, paraphrased query → the 125 titles, and → the 719 answers (best answer of the right thread) |
//! | support sentiment | `support-sentiment/heldout.jsonl` (written by `build_support_sentiment.py --out`) | macro-F1, accuracy, negative recall |
//! | support probe | `support_probe.tsv` (data folder, or `models/train/` beside the model folder) | accuracy |
//!
//! A set whose files are missing is skipped with a note; a file that is there but cannot be read
//! is an error naming it. With `limit`, each set is cut to the same random subset as the Python
//! evaluation's `limit` (`default_rng(0)`, one permutation per set in the Python order).

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::model::heads::decide_intent;
use crate::model::Encoded;
use crate::worker::RowOutput;

#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The data folder (the layout of `shared/data`).
    pub data_dir: PathBuf,
    /// Evaluate at most this many items per set (a quick look; full sets by default).
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalMetric {
    pub key: String,
    pub name: String,
    pub value: f64,
    /// The model card's figure for this metric and variant, if it has one.
    pub card: Option<f64>,
    pub n: usize,
}

/// Time spent on one set (tokenize + forward passes + metric).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetTiming {
    pub set: String,
    pub texts: usize,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalReport {
    pub model: String,
    pub version: String,
    pub variant: String,
    pub metrics: Vec<EvalMetric>,
    pub elapsed_s: f64,
    /// Sets skipped (files missing, head missing) and other remarks.
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(default)]
    pub timings: Vec<SetTiming>,
}

impl EvalReport {
    pub fn metric(&self, key: &str) -> Option<&EvalMetric> {
        self.metrics.iter().find(|m| m.key == key)
    }
}

/// Texts per round of concurrent requests to the worker (it batches what is queued).
const CHUNK: usize = 256;

pub async fn run(
    engine: &Engine,
    options: &EvalOptions,
    mut progress: impl FnMut(&str, usize, usize) + Send,
) -> Result<EvalReport> {
    let started = Instant::now();
    let data = options.data_dir.as_path();
    if !data.is_dir() {
        return Err(Error::invalid(format!("evaluation data folder not found: {}", data.display())));
    }
    let manifest = engine.manifest();
    let model_dir = engine.config().model_dir.clone();
    let variant = engine.config().variant.as_str().to_string();
    let card = Card::read(&model_dir, &variant)?;
    let mut notes = Vec::new();
    if card.figures.is_empty() {
        notes.push(format!("no model card figures for {variant}: {} not found", model_dir.join("eval-onnx.json").display()));
    }
    let has_sentiment = manifest.heads.sentiment.is_some();
    let intent_head = manifest.heads.intent.clone();

    // ---- read every set first (cheap), so that `limit` cuts them in the Python order
    let stsb = load("STS-B", read_stsb(&data.join("stsb/sts-test.csv")), &mut notes)?;
    let sst2_dev = load("SST-2 dev", read_sst2(&data.join("sst2/dev.tsv")), &mut notes)?;
    let sst2_test = load("SST-2 test", read_sst2(&data.join("sst2/test.tsv")), &mut notes)?;
    let tweet = load("TweetEval sentiment", read_tweet_heldout(&data.join("tweeteval-sentiment")), &mut notes)?;
    let clinc = match load("CLINC150", read_clinc(&data.join("clinc150")), &mut notes)? {
        Some((path, texts, intents)) => match &intent_head {
            Some(head) => Some(Clinc::resolve(texts, intents, &head.labels, &path)?),
            None => {
                notes.push("CLINC150 skipped: the model has no intent head".into());
                None
            }
        },
        None => None,
    };
    let banking = load("Banking77", read_banking77(&data.join("banking77")), &mut notes)?;
    let faq = load("StackFAQ", read_stackfaq(&data.join("stackfaq/stackExchange-FAQ.json")), &mut notes)?;
    let support_paths = [
        data.join("support-sentiment/heldout.jsonl"),
        data.join("support_sentiment/heldout.jsonl"),
        model_dir.join("../train/support_sentiment/heldout.jsonl"),
    ];
    let support = load("support sentiment held-out", read_support_heldout(&support_paths), &mut notes)?;
    let probe_paths = [data.join("support_probe.tsv"), model_dir.join("../train/support_probe.tsv")];
    let probe = load("support probe", read_support_probe(&probe_paths), &mut notes)?;

    let mut rng = options.limit.map(|_| NumpyRng::new(0));
    let limit = options.limit.unwrap_or(usize::MAX);
    let mut cut = |n: usize| -> Option<Vec<usize>> {
        let rng = rng.as_mut()?;
        let mut keep = rng.permutation(n);
        keep.truncate(limit);
        keep.sort_unstable();
        Some(keep)
    };
    let stsb = stsb.map(|s| match cut(s.scores.len()) {
        Some(k) => s.subset(&k),
        None => s,
    });
    let [sst2_dev, sst2_test, tweet] = [sst2_dev, sst2_test, tweet].map(|s| s.map(|s| s.cut(&mut cut)));
    let clinc = clinc.map(|c| match cut(c.texts.len()) {
        Some(k) => Clinc { texts: pick(&c.texts, &k), gold: pick(&c.gold, &k) },
        None => c,
    });
    let banking = banking.map(|b| {
        let train = b.train.cut(&mut cut);
        let test = b.test.cut(&mut cut);
        Banking { train, test, classes: b.classes }
    });
    let faq = faq.map(|f| match cut(f.queries.len()) {
        Some(k) => Faq { queries: pick(&f.queries, &k), q_thread: pick(&f.q_thread, &k), ..f },
        None => f,
    });
    let support = support.map(|s| s.cut(&mut cut));

    let mut ev = Evaluator { engine, progress: &mut progress, metrics: Vec::new(), timings: Vec::new(), card, empty_texts: 0 };

    if let Some(s) = &sst2_dev {
        if has_sentiment {
            ev.sst2("sst2_dev", "SST-2 dev accuracy", s).await?;
        }
    }
    if let Some(s) = &sst2_test {
        if has_sentiment {
            ev.sst2("sst2_test", "SST-2 test accuracy", s).await?;
        }
    }
    if let Some(s) = &tweet {
        if has_sentiment {
            ev.three_class("tweet", "TweetEval sentiment held-out half", "tweeteval", s, false).await?;
        }
    }
    if let Some(s) = &support {
        if has_sentiment {
            ev.three_class("support", "support sentiment held-out", "support_heldout", s, true).await?;
        }
    }
    if let Some(s) = &probe {
        if has_sentiment {
            let t = Instant::now();
            let rows = ev.encode("support_probe", &s.texts).await?;
            let pred: Vec<usize> = rows.iter().map(|r| argmax(r.sentiment_logits.as_deref().unwrap_or(&[]))).collect();
            let acc = accuracy(&s.labels, &pred);
            ev.push("support_probe_acc", "support probe (hand-written) accuracy", acc, s.labels.len());
            ev.time("support_probe", s.texts.len(), t);
        }
    }
    if (sst2_dev.is_some() || sst2_test.is_some() || tweet.is_some() || support.is_some() || probe.is_some()) && !has_sentiment {
        notes.push("sentiment sets skipped: the model has no sentiment head".into());
    }
    if let (Some(c), Some(head)) = (&clinc, &intent_head) {
        ev.clinc(c, head).await?;
    }
    if let Some(b) = &banking {
        ev.banking(b).await?;
    }
    if let Some(s) = &stsb {
        ev.stsb(s).await?;
    }
    if let Some(f) = &faq {
        ev.stackfaq(f).await?;
    }
    if ev.empty_texts > 0 {
        notes.push(format!(
            "{} texts with nothing to tokenize were run as [CLS] [SEP] (as the Python evaluation does)",
            ev.empty_texts
        ));
    }
    if let Some(limit) = options.limit {
        notes.push(format!("at most {limit} items per set (random subset): the model card's figures are on full sets"));
    }
    let (metrics, timings) = (ev.metrics, ev.timings);
    Ok(EvalReport {
        model: manifest.name.clone(),
        version: manifest.version.clone(),
        variant,
        metrics,
        elapsed_s: started.elapsed().as_secs_f64(),
        notes,
        timings,
    })
}

pub fn format_table(report: &EvalReport) -> String {
    let mut out = format!("{}@{} ({}), {:.1} s\n", report.model, report.version, report.variant, report.elapsed_s);
    let width = report.metrics.iter().map(|m| m.name.chars().count()).max().unwrap_or(6).max(6);
    out.push_str(&format!("{:<width$}  {:>7}  {:>7}  {:>7}  {:>6}\n", "metric", "value", "card", "diff", "n"));
    out.push_str(&format!("{}\n", "-".repeat(width + 2 + 7 + 2 + 7 + 2 + 7 + 2 + 6)));
    for m in &report.metrics {
        let (card, diff) = match m.card {
            Some(c) => {
                // The card rounds to 2 decimals: a smaller gap is no difference (not "-0.00").
                let diff = if (m.value - c).abs() < 0.005 { 0.0 } else { m.value - c };
                (format!("{c:.2}"), format!("{diff:+.2}"))
            }
            None => ("-".into(), "-".into()),
        };
        out.push_str(&format!("{:<width$}  {:>7.2}  {:>7}  {:>7}  {:>6}\n", m.name, m.value, card, diff, m.n));
    }
    for note in &report.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Running the sets
// ---------------------------------------------------------------------------------------------

struct Evaluator<'a, P> {
    engine: &'a Engine,
    progress: &'a mut P,
    metrics: Vec<EvalMetric>,
    timings: Vec<SetTiming>,
    card: Card,
    empty_texts: usize,
}

impl<P: FnMut(&str, usize, usize) + Send> Evaluator<'_, P> {
    /// A metric over no items (a `limit` cut that left none) is left out.
    fn push(&mut self, key: &str, name: &str, value: f64, n: usize) {
        if n == 0 {
            return;
        }
        let card = self.card.get(key);
        self.metrics.push(EvalMetric { key: key.into(), name: name.into(), value, card, n });
    }

    fn time(&mut self, set: &str, texts: usize, started: Instant) {
        self.timings.push(SetTiming { set: set.into(), texts, seconds: started.elapsed().as_secs_f64() });
    }

    /// One forward pass per text, through the engine's tokenizer and worker, in order.
    async fn encode(&mut self, set: &str, texts: &[String]) -> Result<Vec<RowOutput>> {
        let total = texts.len();
        (self.progress)(set, 0, total);
        let engine = self.engine;
        let mut rows = Vec::with_capacity(total);
        for chunk in texts.chunks(CHUNK) {
            let mut encoded = Vec::with_capacity(chunk.len());
            for text in chunk {
                match engine.tokenize(text) {
                    Ok(e) => encoded.push(e),
                    Err(Error::InvalidInput(_)) if text.trim().is_empty() || !text.chars().any(|c| c.is_alphanumeric()) => {
                        self.empty_texts += 1;
                        encoded.push(self.special_only()?);
                    }
                    Err(e) => return Err(e),
                }
            }
            let out = futures::future::try_join_all(encoded.iter().map(|e| forward_waiting(engine, e))).await?;
            rows.extend(out);
            (self.progress)(set, rows.len(), total);
        }
        Ok(rows)
    }

    /// `[CLS] [SEP]`: what the Python side feeds for a text with no tokens.
    fn special_only(&self) -> Result<Encoded> {
        let probe = self.engine.tokenize("a")?;
        let (first, last) = (probe.ids[0], probe.ids[probe.ids.len() - 1]);
        Ok(Encoded { ids: vec![first, last], truncated: false })
    }

    async fn embeddings(&mut self, set: &str, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        Ok(self.encode(set, texts).await?.into_iter().map(|r| r.embedding).collect())
    }

    async fn sst2(&mut self, set: &str, name: &str, s: &Labeled) -> Result<()> {
        let t = Instant::now();
        let rows = self.encode(set, &s.texts).await?;
        let correct = rows
            .iter()
            .zip(&s.labels)
            .filter(|(r, &y)| {
                let l = r.sentiment_logits.as_deref().unwrap_or(&[]);
                let positive = l.len() >= 3 && l[2] > l[0];
                positive == (y == 1)
            })
            .count();
        self.push(&format!("{set}_acc"), name, percent(correct, s.labels.len()), s.labels.len());
        self.time(set, s.texts.len(), t);
        Ok(())
    }

    async fn three_class(&mut self, key: &str, name: &str, set: &str, s: &Labeled, neg_recall: bool) -> Result<()> {
        let t = Instant::now();
        let rows = self.encode(set, &s.texts).await?;
        let pred: Vec<usize> = rows.iter().map(|r| argmax(r.sentiment_logits.as_deref().unwrap_or(&[]))).collect();
        let n = s.labels.len();
        self.push(&format!("{key}_macro_f1"), &format!("{name}, macro-F1"), 100.0 * macro_f1(&s.labels, &pred, 3), n);
        self.push(&format!("{key}_acc"), &format!("{name}, accuracy"), accuracy(&s.labels, &pred), n);
        if neg_recall {
            let negatives: Vec<usize> = (0..n).filter(|&i| s.labels[i] == 0).collect();
            let hit = negatives.iter().filter(|&&i| pred[i] == 0).count();
            self.push(
                &format!("{key}_neg_recall"),
                &format!("{name}, negative recall"),
                percent(hit, negatives.len()),
                negatives.len(),
            );
        }
        self.time(set, n, t);
        Ok(())
    }

    async fn clinc(&mut self, c: &Clinc, head: &crate::model::manifest::IntentHead) -> Result<()> {
        let t = Instant::now();
        let index: HashMap<&str, usize> = head.labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
        let oos = *index
            .get(head.oos_label.as_str())
            .ok_or_else(|| Error::invalid(format!("the intent head has no out-of-scope label `{}`", head.oos_label)))?;
        let rows = self.encode("clinc150_test", &c.texts).await?;
        let (mut ins, mut ins_ok, mut ins_ok_cal, mut out, mut out_ok, mut out_ok_cal) = (0, 0, 0, 0, 0, 0);
        for (row, gold) in rows.iter().zip(&c.gold) {
            let logits = row.intent_logits.as_deref().unwrap_or(&[]);
            let pred = argmax(logits);
            let decision = decide_intent(head, logits);
            if *gold == oos {
                out += 1;
                out_ok += usize::from(pred == oos);
                out_ok_cal += usize::from(decision.out_of_scope);
            } else {
                ins += 1;
                ins_ok += usize::from(pred == *gold);
                ins_ok_cal += usize::from(!decision.out_of_scope && decision.label == head.labels[*gold]);
            }
        }
        self.push("clinc_inscope_acc", "CLINC150 in-scope accuracy (argmax)", percent(ins_ok, ins), ins);
        self.push("clinc_oos_recall", "CLINC150 out-of-scope recall (argmax)", percent(out_ok, out), out);
        let (temp, thr) = (head.temperature, head.oos_threshold);
        self.push(
            "clinc_inscope_acc_calibrated",
            &format!("CLINC150 in-scope accuracy (T={temp}, threshold {thr})"),
            percent(ins_ok_cal, ins),
            ins,
        );
        self.push(
            "clinc_oos_recall_calibrated",
            &format!("CLINC150 out-of-scope recall (T={temp}, threshold {thr})"),
            percent(out_ok_cal, out),
            out,
        );
        self.time("clinc150_test", c.texts.len(), t);
        Ok(())
    }

    async fn banking(&mut self, b: &Banking) -> Result<()> {
        let t = Instant::now();
        let train = self.embeddings("banking77_train", &b.train.texts).await?;
        let test = self.embeddings("banking77_test", &b.test.texts).await?;
        let dim = train.first().or(test.first()).map_or(0, Vec::len);
        let mut centroids = vec![vec![0f64; dim]; b.classes];
        for (e, &y) in train.iter().zip(&b.train.labels) {
            for (c, &v) in centroids[y].iter_mut().zip(e) {
                *c += f64::from(v);
            }
        }
        for c in &mut centroids {
            let norm = c.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
            c.iter_mut().for_each(|v| *v /= norm);
        }
        let correct = test
            .iter()
            .zip(&b.test.labels)
            .filter(|(e, &y)| {
                let scores: Vec<f64> =
                    centroids.iter().map(|c| c.iter().zip(e.iter()).map(|(a, &b)| a * f64::from(b)).sum()).collect();
                argmax(&scores) == y
            })
            .count();
        self.push("banking77_centroid_acc", "Banking77 nearest-centroid accuracy", percent(correct, test.len()), test.len());
        self.time("banking77", train.len() + test.len(), t);
        Ok(())
    }

    async fn stsb(&mut self, s: &Pairs) -> Result<()> {
        let t = Instant::now();
        let a = self.embeddings("stsb_test_a", &s.a).await?;
        let b = self.embeddings("stsb_test_b", &s.b).await?;
        let cosine: Vec<f64> = a.iter().zip(&b).map(|(x, y)| f64::from(dot(x, y))).collect();
        self.push("stsb_spearman", "STS-B test Spearman x 100", 100.0 * spearman(&cosine, &s.scores), s.scores.len());
        self.time("stsb_test", 2 * s.scores.len(), t);
        Ok(())
    }

    async fn stackfaq(&mut self, f: &Faq) -> Result<()> {
        let t = Instant::now();
        let queries = self.embeddings("stackfaq_queries", &f.queries).await?;
        let questions = self.embeddings("stackfaq_questions", &f.questions).await?;
        let answers = self.embeddings("stackfaq_answers", &f.answers).await?;
        let q_index: Vec<usize> = (0..f.questions.len()).collect();
        let mrr_q = mrr(&queries, &f.q_thread, &questions, &q_index);
        let mrr_a = mrr(&queries, &f.q_thread, &answers, &f.a_thread);
        let n = f.queries.len();
        self.push("stackfaq_mrr_question", "StackFAQ MRR x 100, query -> question title", 100.0 * mrr_q, n);
        self.push("stackfaq_mrr_answer", "StackFAQ MRR x 100, query -> answer", 100.0 * mrr_a, n);
        self.time("stackfaq", n + f.questions.len() + f.answers.len(), t);
        Ok(())
    }
}

/// The worker's interactive path, retried while the queue is full (the eval is bulk work and
/// may share the worker with the app).
async fn forward_waiting(engine: &Engine, encoded: &Encoded) -> Result<RowOutput> {
    loop {
        match engine.forward(encoded).await {
            Err(Error::Busy { .. }) => tokio::time::sleep(Duration::from_millis(5)).await,
            other => return other,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The model card's figures
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Card {
    figures: HashMap<String, f64>,
}

impl Card {
    /// `eval-onnx.json` (`onnx_fp32` / `onnx_int8`) and, for the calibrated CLINC150 decision,
    /// `oos-calibration.json` (`chosen.test_*`). Absent files give no card figures.
    fn read(model_dir: &Path, variant: &str) -> Result<Self> {
        let mut figures = HashMap::new();
        if let Some(v) = read_json_if_exists(&model_dir.join("eval-onnx.json"))? {
            if let Some(obj) = v.get(format!("onnx_{variant}")).and_then(Value::as_object) {
                figures.extend(obj.iter().filter_map(|(k, v)| Some((k.clone(), v.as_f64()?))));
            }
        }
        if let Some(v) = read_json_if_exists(&model_dir.join("oos-calibration.json"))? {
            let prefix = if variant == "fp32" { "test_" } else { "test_int8_" };
            if let Some(chosen) = v.get("chosen") {
                for (key, field) in
                    [("clinc_inscope_acc_calibrated", "inscope_acc"), ("clinc_oos_recall_calibrated", "oos_recall")]
                {
                    if let Some(x) = chosen.get(format!("{prefix}{field}")).and_then(Value::as_f64) {
                        figures.insert(key.into(), x);
                    }
                }
            }
        }
        Ok(Self { figures })
    }

    fn get(&self, key: &str) -> Option<f64> {
        self.figures.get(key).copied()
    }
}

fn read_json_if_exists(path: &Path) -> Result<Option<Value>> {
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    serde_json::from_str(&text).map(Some).map_err(|e| malformed(path, e))
}

// ---------------------------------------------------------------------------------------------
// Data readers (formats: shared/data/SOURCES.md; parsing as in prepare_bundle.py)
// ---------------------------------------------------------------------------------------------

/// A set's files are absent: skip it with this note.
struct Missing(String);

type Loaded<T> = Result<std::result::Result<T, Missing>>;

fn load<T>(name: &str, loaded: Loaded<T>, notes: &mut Vec<String>) -> Result<Option<T>> {
    match loaded? {
        Ok(set) => Ok(Some(set)),
        Err(Missing(what)) => {
            notes.push(format!("{name} skipped: {what} not found"));
            Ok(None)
        }
    }
}

fn malformed(path: &Path, reason: impl std::fmt::Display) -> Error {
    Error::invalid(format!("malformed evaluation file {}: {reason}", path.display()))
}

fn require(path: &Path) -> std::result::Result<(), Missing> {
    if path.is_file() {
        Ok(())
    } else {
        Err(Missing(path.display().to_string()))
    }
}

fn first_existing(paths: &[PathBuf]) -> std::result::Result<&PathBuf, Missing> {
    paths
        .iter()
        .find(|p| p.is_file())
        .ok_or_else(|| Missing(paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" or ")))
}

/// The file's text; `.gz` files are decompressed.
fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes.as_slice()).read_to_string(&mut text).map_err(|e| malformed(path, e))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|e| malformed(path, e))
    }
}

fn pick<T: Clone>(values: &[T], index: &[usize]) -> Vec<T> {
    index.iter().map(|&i| values[i].clone()).collect()
}

/// Texts with class labels.
struct Labeled {
    texts: Vec<String>,
    labels: Vec<usize>,
}

impl Labeled {
    fn cut(self, cut: &mut impl FnMut(usize) -> Option<Vec<usize>>) -> Self {
        match cut(self.texts.len()) {
            Some(k) => Labeled { texts: pick(&self.texts, &k), labels: pick(&self.labels, &k) },
            None => self,
        }
    }
}

struct Pairs {
    a: Vec<String>,
    b: Vec<String>,
    scores: Vec<f64>,
}

impl Pairs {
    fn subset(&self, k: &[usize]) -> Self {
        Pairs { a: pick(&self.a, k), b: pick(&self.b, k), scores: pick(&self.scores, k) }
    }
}

struct Clinc {
    texts: Vec<String>,
    /// Index into the intent head's labels.
    gold: Vec<usize>,
}

struct Banking {
    train: Labeled,
    test: Labeled,
    classes: usize,
}

struct Faq {
    queries: Vec<String>,
    q_thread: Vec<usize>,
    questions: Vec<String>,
    answers: Vec<String>,
    a_thread: Vec<usize>,
}

/// GLUE-style TSV with a header naming `label` and the text column.
fn read_sst2(path: &Path) -> Loaded<Labeled> {
    if let Err(m) = require(path) {
        return Ok(Err(m));
    }
    let text = read_text(path)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let li = header.iter().position(|h| h.trim() == "label").ok_or_else(|| malformed(path, "no `label` column in the header"))?;
    if header.len() != 2 {
        return Err(malformed(path, "expected two tab-separated columns (label and text)"));
    }
    let mut set = Labeled { texts: Vec::new(), labels: Vec::new() };
    for (i, row) in lines.enumerate() {
        if row.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = row.split('\t').collect();
        let (Some(label), Some(text)) = (cols.get(li), cols.get(1 - li)) else {
            return Err(malformed(path, format!("line {}: expected two tab-separated columns", i + 2)));
        };
        let label: usize = label.trim().parse().map_err(|_| malformed(path, format!("line {}: label `{label}`", i + 2)))?;
        if label > 1 {
            return Err(malformed(path, format!("line {}: label {label} is not 0 or 1", i + 2)));
        }
        set.labels.push(label);
        set.texts.push(text.trim().to_string());
    }
    Ok(Ok(set))
}

/// The held-out half of the TweetEval sentiment test split, chosen as prepare_bundle.py does.
const TWEET_SPLIT_SEED: u64 = 20240917;

fn read_tweet_heldout(dir: &Path) -> Loaded<Labeled> {
    let (text_path, label_path) = (dir.join("test_text.txt"), dir.join("test_labels.txt"));
    if let Err(m) = require(&text_path).and_then(|_| require(&label_path)) {
        return Ok(Err(m));
    }
    let mut texts: Vec<String> = read_text(&text_path)?.lines().map(|t| t.trim().to_string()).collect();
    let mut labels = Vec::new();
    for (i, line) in read_text(&label_path)?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let y: usize = line.trim().parse().map_err(|_| malformed(&label_path, format!("line {}: label `{line}`", i + 1)))?;
        if y > 2 {
            return Err(malformed(&label_path, format!("line {}: label {y} is not 0, 1 or 2", i + 1)));
        }
        labels.push(y);
    }
    if texts.len() < labels.len() {
        return Err(malformed(
            &text_path,
            format!("{} texts for {} labels in {}", texts.len(), labels.len(), label_path.display()),
        ));
    }
    texts.truncate(labels.len());
    let perm = NumpyRng::new(TWEET_SPLIT_SEED).permutation(texts.len());
    let mut heldout = perm[perm.len() / 2..].to_vec();
    heldout.sort_unstable();
    Ok(Ok(Labeled { texts: pick(&texts, &heldout), labels: pick(&labels, &heldout) }))
}

/// CLINC150 `test` + `oos_test` of `data_oos_plus` (the split the intent head was trained on;
/// its test sets are those of `data_full`).
fn read_clinc_file(dir: &Path) -> std::result::Result<PathBuf, Missing> {
    let candidates = [
        dir.join("data_oos_plus.json.gz"),
        dir.join("data_oos_plus.json"),
        dir.join("data_full.json.gz"),
        dir.join("data_full.json"),
    ];
    first_existing(&candidates).cloned().map_err(|_| Missing(candidates[0].display().to_string()))
}

fn read_clinc(dir: &Path) -> Loaded<(PathBuf, Vec<String>, Vec<String>)> {
    let path = match read_clinc_file(dir) {
        Ok(p) => p,
        Err(m) => return Ok(Err(m)),
    };
    let value: Value = serde_json::from_str(&read_text(&path)?).map_err(|e| malformed(&path, e))?;
    let mut texts = Vec::new();
    let mut intents = Vec::new();
    for split in ["test", "oos_test"] {
        let items = value.get(split).and_then(Value::as_array).ok_or_else(|| malformed(&path, format!("no `{split}` list")))?;
        for (i, item) in items.iter().enumerate() {
            let pair = item.as_array().filter(|p| p.len() == 2);
            let (Some(text), Some(intent)) = (pair.and_then(|p| p[0].as_str()), pair.and_then(|p| p[1].as_str())) else {
                return Err(malformed(&path, format!("`{split}`[{i}] is not [text, intent]")));
            };
            texts.push(text.to_string());
            intents.push(intent.to_string());
        }
    }
    Ok(Ok((path, texts, intents)))
}

impl Clinc {
    fn resolve(texts: Vec<String>, intents: Vec<String>, labels: &[String], path_hint: &Path) -> Result<Self> {
        let index: HashMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
        let gold = intents
            .iter()
            .map(|y| {
                index
                    .get(y.as_str())
                    .copied()
                    .ok_or_else(|| malformed(path_hint, format!("intent `{y}` is not a label of the model's intent head")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Clinc { texts, gold })
    }
}

fn read_banking77(dir: &Path) -> Loaded<Banking> {
    let (train_path, test_path) = (dir.join("train.csv"), dir.join("test.csv"));
    if let Err(m) = require(&train_path).and_then(|_| require(&test_path)) {
        return Ok(Err(m));
    }
    let categories_path = dir.join("categories.json");
    let mut categories: Vec<String> = match read_json_if_exists(&categories_path)? {
        Some(v) => serde_json::from_value(v).map_err(|e| malformed(&categories_path, e))?,
        None => Vec::new(),
    };
    let mut read = |path: &Path, grow: bool| -> Result<Labeled> {
        let mut reader = csv::Reader::from_path(path).map_err(|e| malformed(path, e))?;
        let headers = reader.headers().map_err(|e| malformed(path, e))?.clone();
        let col =
            |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| malformed(path, format!("no `{name}` column")));
        let (ti, ci) = (col("text")?, col("category")?);
        let mut set = Labeled { texts: Vec::new(), labels: Vec::new() };
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| malformed(path, e))?;
            let (Some(text), Some(category)) = (record.get(ti), record.get(ci)) else {
                return Err(malformed(path, format!("row {}: missing fields", i + 2)));
            };
            let label = match categories.iter().position(|c| c == category) {
                Some(l) => l,
                None if grow => {
                    categories.push(category.to_string());
                    categories.len() - 1
                }
                None => return Err(malformed(path, format!("row {}: category `{category}` is not in categories.json", i + 2))),
            };
            set.texts.push(text.trim().to_string());
            set.labels.push(label);
        }
        Ok(set)
    };
    let grow = !categories_path.exists();
    let train = read(&train_path, grow)?;
    let test = read(&test_path, grow)?;
    Ok(Ok(Banking { train, test, classes: categories.len() }))
}

fn read_stsb(path: &Path) -> Loaded<Pairs> {
    if let Err(m) = require(path) {
        return Ok(Err(m));
    }
    let mut pairs = Pairs { a: Vec::new(), b: Vec::new(), scores: Vec::new() };
    for (i, row) in read_text(path)?.lines().enumerate() {
        let cols: Vec<&str> = row.split('\t').collect();
        if cols.len() >= 7 {
            let score: f64 =
                cols[4].trim().parse().map_err(|_| malformed(path, format!("line {}: score `{}`", i + 1, cols[4])))?;
            pairs.scores.push(score);
            pairs.a.push(cols[5].trim().to_string());
            pairs.b.push(cols[6].trim().to_string());
        }
    }
    if pairs.scores.is_empty() {
        return Err(malformed(path, "no line with 7 tab-separated fields"));
    }
    Ok(Ok(pairs))
}

fn read_stackfaq(path: &Path) -> Loaded<Faq> {
    if let Err(m) = require(path) {
        return Ok(Err(m));
    }
    let value: Value = serde_json::from_str(&read_text(path)?).map_err(|e| malformed(path, e))?;
    let threads =
        value.pointer("/root/qapair").and_then(Value::as_array).ok_or_else(|| malformed(path, "no `root.qapair` list"))?;
    // `[x]` for a string, the non-empty strings of a list, nothing for null (prepare_bundle.py).
    fn as_list(v: Option<&Value>) -> Vec<&str> {
        match v {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).filter(|s| !s.is_empty()).collect(),
            _ => Vec::new(),
        }
    }
    let mut faq =
        Faq { queries: Vec::new(), q_thread: Vec::new(), questions: Vec::new(), answers: Vec::new(), a_thread: Vec::new() };
    for (i, t) in threads.iter().enumerate() {
        let question =
            t.get("question").and_then(Value::as_str).ok_or_else(|| malformed(path, format!("qapair[{i}] has no question")))?;
        faq.questions.push(question.trim().to_string());
        for r in as_list(t.get("rephr")) {
            if r.chars().any(|c| c.is_ascii_alphanumeric()) {
                faq.queries.push(r.trim().to_string());
                faq.q_thread.push(i);
            }
        }
        for a in as_list(t.get("answer")) {
            faq.answers.push(a.trim().to_string());
            faq.a_thread.push(i);
        }
    }
    Ok(Ok(faq))
}

const SENTIMENT_LABELS: [&str; 3] = ["negative", "neutral", "positive"];

fn sentiment_label(v: &Value) -> Option<usize> {
    match v {
        Value::Number(n) => n.as_u64().filter(|&y| y < 3).map(|y| y as usize),
        Value::String(s) => SENTIMENT_LABELS.iter().position(|l| l == s),
        _ => None,
    }
}

/// `heldout.jsonl` of build_support_sentiment.py: `{"text", "label" (0/1/2), ...}` per line.
fn read_support_heldout(paths: &[PathBuf]) -> Loaded<Labeled> {
    let path = match first_existing(paths) {
        Ok(p) => p,
        Err(m) => return Ok(Err(m)),
    };
    let mut set = Labeled { texts: Vec::new(), labels: Vec::new() };
    for (i, line) in read_text(path)?.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| malformed(path, format!("line {}: {e}", i + 1)))?;
        let (Some(text), Some(label)) = (v.get("text").and_then(Value::as_str), v.get("label").and_then(sentiment_label)) else {
            return Err(malformed(path, format!("line {}: expected {{\"text\", \"label\"}}", i + 1)));
        };
        set.texts.push(text.to_string());
        set.labels.push(label);
    }
    Ok(Ok(set))
}

/// `support_probe.tsv`: `#` comments, a header, then `label<TAB>text`.
fn read_support_probe(paths: &[PathBuf]) -> Loaded<Labeled> {
    let path = match first_existing(paths) {
        Ok(p) => p,
        Err(m) => return Ok(Err(m)),
    };
    let mut set = Labeled { texts: Vec::new(), labels: Vec::new() };
    let rows = read_text(path)?;
    for (i, line) in rows.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).enumerate().skip(1) {
        let Some((label, text)) = line.split_once('\t') else {
            return Err(malformed(path, format!("row {}: expected label<TAB>text", i + 1)));
        };
        let y = SENTIMENT_LABELS
            .iter()
            .position(|l| *l == label)
            .ok_or_else(|| malformed(path, format!("row {}: label `{label}`", i + 1)))?;
        set.texts.push(text.to_string());
        set.labels.push(y);
    }
    Ok(Ok(set))
}

// ---------------------------------------------------------------------------------------------
// Metrics (as evaluation.py)
// ---------------------------------------------------------------------------------------------

fn percent(hit: usize, n: usize) -> f64 {
    if n == 0 {
        f64::NAN
    } else {
        100.0 * hit as f64 / n as f64
    }
}

fn accuracy(gold: &[usize], pred: &[usize]) -> f64 {
    percent(gold.iter().zip(pred).filter(|(g, p)| g == p).count(), gold.len())
}

/// The first index of the largest value (numpy's argmax).
fn argmax<T: PartialOrd + Copy>(values: &[T]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn macro_f1(gold: &[usize], pred: &[usize], classes: usize) -> f64 {
    let mut sum = 0.0;
    for c in 0..classes {
        let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
        for (&g, &p) in gold.iter().zip(pred) {
            tp += usize::from(p == c && g == c);
            fp += usize::from(p == c && g != c);
            fn_ += usize::from(p != c && g == c);
        }
        let denominator = 2 * tp + fp + fn_;
        sum += if denominator == 0 { 0.0 } else { 2.0 * tp as f64 / denominator as f64 };
    }
    sum / classes as f64
}

/// Ranks 1..n, ties get the average of their ranks (scipy.stats.rankdata).
fn rankdata(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let average = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = average;
        }
        i = j + 1;
    }
    ranks
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    cov / (va * vb).sqrt()
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    pearson(&rankdata(a), &rankdata(b))
}

/// Mean over queries of 1 / rank of the best-scoring relevant candidate (rank = 1 + the number of
/// candidates scoring strictly higher), as evaluation.py's `mean_reciprocal_rank`.
fn mrr(queries: &[Vec<f32>], q_label: &[usize], candidates: &[Vec<f32>], c_label: &[usize]) -> f64 {
    let mut sum = 0.0;
    for (q, &label) in queries.iter().zip(q_label) {
        let scores: Vec<f32> = candidates.iter().map(|c| dot(q, c)).collect();
        let best = scores.iter().zip(c_label).filter(|(_, &l)| l == label).map(|(&s, _)| s).fold(f32::NEG_INFINITY, f32::max);
        let rank = 1 + scores.iter().filter(|&&s| s > best).count();
        sum += 1.0 / rank as f64;
    }
    sum / queries.len() as f64
}

// ---------------------------------------------------------------------------------------------
// numpy's default_rng(seed).permutation(n), bit for bit: SeedSequence → PCG64 (XSL-RR 128/64),
// Fisher–Yates with numpy's masked rejection sampling (`random_interval`). Needed to pick the
// same TweetEval held-out half (and `limit` subsets) as the Python evaluation.
// ---------------------------------------------------------------------------------------------

struct NumpyRng {
    state: u128,
    inc: u128,
    buffered: Option<u32>,
}

const PCG_MULT: u128 = (2549297995355413924u128 << 64) | 4865540595714422341u128;

impl NumpyRng {
    fn new(seed: u64) -> Self {
        let words = seed_sequence_state(seed);
        let s = (u128::from(words[0]) << 64) | u128::from(words[1]);
        let i = (u128::from(words[2]) << 64) | u128::from(words[3]);
        let mut rng = NumpyRng { state: 0, inc: (i << 1) | 1, buffered: None };
        rng.step();
        rng.state = rng.state.wrapping_add(s);
        rng.step();
        rng
    }

    fn step(&mut self) {
        self.state = self.state.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
    }

    fn next_u64(&mut self) -> u64 {
        self.step();
        let s = self.state;
        let xored = ((s >> 64) as u64) ^ (s as u64);
        xored.rotate_right((s >> 122) as u32)
    }

    fn next_u32(&mut self) -> u32 {
        if let Some(v) = self.buffered.take() {
            return v;
        }
        let next = self.next_u64();
        self.buffered = Some((next >> 32) as u32);
        next as u32
    }

    /// A uniform integer in 0..=max (numpy's `random_interval`).
    fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for shift in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> shift;
        }
        loop {
            let value = if max <= u64::from(u32::MAX) { u64::from(self.next_u32()) & mask } else { self.next_u64() & mask };
            if value <= max {
                return value;
            }
        }
    }

    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut values: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = self.interval(i as u64) as usize;
            values.swap(i, j);
        }
        values
    }
}

/// `SeedSequence(seed).generate_state(4, uint64)` for a seed below 2^64.
fn seed_sequence_state(seed: u64) -> [u64; 4] {
    const INIT_A: u32 = 0x43b0_d7e5;
    const MULT_A: u32 = 0x931e_8875;
    const INIT_B: u32 = 0x8b51_f9dd;
    const MULT_B: u32 = 0x58f3_8ded;
    const MIX_MULT_L: u32 = 0xca01_f9dd;
    const MIX_MULT_R: u32 = 0x4973_f715;
    let entropy: Vec<u32> = if seed >> 32 == 0 { vec![seed as u32] } else { vec![seed as u32, (seed >> 32) as u32] };
    let mut hash_const = INIT_A;
    let mut hashmix = |value: u32| {
        let mut value = value ^ hash_const;
        hash_const = hash_const.wrapping_mul(MULT_A);
        value = value.wrapping_mul(hash_const);
        value ^ (value >> 16)
    };
    let mix = |x: u32, y: u32| {
        let r = MIX_MULT_L.wrapping_mul(x).wrapping_sub(MIX_MULT_R.wrapping_mul(y));
        r ^ (r >> 16)
    };
    let mut pool = [0u32; 4];
    for (i, slot) in pool.iter_mut().enumerate() {
        *slot = hashmix(entropy.get(i).copied().unwrap_or(0));
    }
    for src in 0..4 {
        for dst in 0..4 {
            if src != dst {
                let h = hashmix(pool[src]);
                pool[dst] = mix(pool[dst], h);
            }
        }
    }
    let mut hash_const = INIT_B;
    let mut words = [0u32; 8];
    for (i, word) in words.iter_mut().enumerate() {
        let mut v = pool[i % 4] ^ hash_const;
        hash_const = hash_const.wrapping_mul(MULT_B);
        v = v.wrapping_mul(hash_const);
        *word = v ^ (v >> 16);
    }
    std::array::from_fn(|k| u64::from(words[2 * k]) | (u64::from(words[2 * k + 1]) << 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_matches_numpy() {
        // numpy 2.4: default_rng(20240917).permutation(12284)[:6], [-3:]
        let p = NumpyRng::new(20240917).permutation(12284);
        assert_eq!(&p[..6], &[4928, 11097, 7376, 262, 10357, 6783]);
        assert_eq!(&p[p.len() - 3..], &[3542, 2783, 4021]);
        // r = default_rng(0); r.permutation(10); r.permutation(5000)[:4]
        let mut r = NumpyRng::new(0);
        assert_eq!(r.permutation(10), vec![4, 6, 2, 7, 3, 5, 9, 0, 8, 1]);
        assert_eq!(&r.permutation(5000)[..4], &[2224, 1056, 227, 3084]);
    }

    #[test]
    fn the_run_future_is_send() {
        fn assert_send<T: Send>(_: T) {}
        let _ = |engine: &Engine, options: &EvalOptions| assert_send(run(engine, options, |_, _, _| {}));
    }

    #[test]
    fn metrics_match_their_definitions() {
        assert_eq!(rankdata(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!((macro_f1(&[0, 1, 2, 2], &[0, 1, 2, 1], 3) - (1.0 + 2.0 / 3.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        let q = vec![vec![1.0, 0.0]];
        let c = vec![vec![0.9, 0.1], vec![0.5, 0.5], vec![0.1, 0.9]];
        assert_eq!(mrr(&q, &[7], &c, &[1, 7, 7]), 0.5);
    }
}
