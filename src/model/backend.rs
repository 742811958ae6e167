//! The model behind a tiny interface, as text-embeddings-inference keeps its `Backend`: one
//! forward pass over a padded batch gives embeddings and, where the model has them, head logits.
//! The worker owns one backend; benchmark baselines and future GPU paths plug in here.

use std::path::Path;
use std::time::Instant;

use ort::session::Session;
use ort::value::TensorRef;
use serde::{Deserialize, Serialize};

use super::manifest::ModelFolder;
use super::runtime::{self, ProviderReport, SessionOptions};
use crate::config::Variant;
use crate::error::{Error, Result};

/// Token ids of several messages, right-padded with 0 to the longest.
#[derive(Debug, Default)]
pub struct TokenBatch {
    pub ids: Vec<i64>,
    pub mask: Vec<i64>,
    pub batch: usize,
    pub seq: usize,
}

impl TokenBatch {
    pub fn from_sequences<'a>(sequences: impl IntoIterator<Item = &'a [i64]> + Clone) -> Self {
        let seq = sequences.clone().into_iter().map(<[i64]>::len).max().unwrap_or(0);
        let batch = sequences.clone().into_iter().count();
        let mut ids = vec![0i64; batch * seq];
        let mut mask = vec![0i64; batch * seq];
        for (row, s) in sequences.into_iter().enumerate() {
            ids[row * seq..row * seq + s.len()].copy_from_slice(s);
            mask[row * seq..row * seq + s.len()].fill(1);
        }
        Self { ids, mask, batch, seq }
    }
}

/// Row-major outputs of one forward pass; `None` where the model lacks the head.
#[derive(Debug, Default)]
pub struct ForwardOutput {
    pub embeddings: Vec<f32>,
    pub dim: usize,
    pub sentiment: Option<Vec<f32>>,
    pub intent: Option<Vec<f32>>,
}

/// Static facts about the running model, for the dev panel and `bench`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackendInfo {
    pub model: String,
    pub version: String,
    pub variant: Variant,
    pub file: String,
    pub file_bytes: u64,
    pub threads: usize,
    pub provider: ProviderReport,
    pub load_ms: f64,
    pub max_length: usize,
    pub embedding_dim: usize,
    pub heads: Vec<String>,
    pub ort_library: String,
}

pub trait Backend: Send + 'static {
    fn forward(&mut self, batch: &TokenBatch) -> Result<ForwardOutput>;
    fn info(&self) -> &BackendInfo;
}

/// A model folder run by ONNX Runtime.
pub struct OnnxBackend {
    session: Session,
    folder: ModelFolder,
    info: BackendInfo,
    feeds_token_types: bool,
    zeros: Vec<i64>,
}

impl OnnxBackend {
    pub fn load(folder: ModelFolder, variant: Variant, options: &SessionOptions, library: Option<&Path>) -> Result<Self> {
        let started = Instant::now();
        let model_path = folder.model_path(variant);
        let (session, provider) = runtime::build_session(&model_path, options, library)?;
        let manifest = &folder.manifest;
        check_graph(&session, &folder)?;
        let feeds_token_types = manifest.inputs.iter().any(|i| i == "token_type_ids");
        let mut heads = Vec::new();
        if manifest.heads.intent.is_some() {
            heads.push("intent".to_string());
        }
        if manifest.heads.sentiment.is_some() {
            heads.push("sentiment".to_string());
        }
        let (_, library_path) = runtime::environment(library)?;
        let info = BackendInfo {
            model: manifest.name.clone(),
            version: manifest.version.clone(),
            variant,
            file: model_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            file_bytes: std::fs::metadata(&model_path).map(|m| m.len()).unwrap_or(0),
            threads: if options.threads == 0 { available_threads() } else { options.threads },
            provider,
            load_ms: started.elapsed().as_secs_f64() * 1e3,
            max_length: manifest.max_length,
            embedding_dim: manifest.embedding_dim,
            heads,
            ort_library: library_path.display().to_string(),
        };
        Ok(Self { session, folder, info, feeds_token_types, zeros: Vec::new() })
    }

    pub fn folder(&self) -> &ModelFolder {
        &self.folder
    }
}

pub fn available_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// The labels of the manifest must match the graph: a head with 151 labels needs a 151-wide output.
fn check_graph(session: &Session, folder: &ModelFolder) -> Result<()> {
    let manifest = &folder.manifest;
    let path = folder.dir.join("manifest.json");
    let graph_outputs: Vec<&str> = session.outputs().iter().map(|o| o.name()).collect();
    let graph_inputs: Vec<&str> = session.inputs().iter().map(|o| o.name()).collect();
    for input in &manifest.inputs {
        if !graph_inputs.contains(&input.as_str()) {
            return Err(Error::Manifest { path, reason: format!("the graph has no input {input:?} (has {graph_inputs:?})") });
        }
    }
    let widths = [
        (manifest.outputs.sentiment.as_deref(), manifest.heads.sentiment.as_ref().map(|h| h.labels.len())),
        (manifest.outputs.intent.as_deref(), manifest.heads.intent.as_ref().map(|h| h.labels.len())),
        (manifest.outputs.embedding.as_deref(), Some(manifest.embedding_dim)),
    ];
    for (name, width) in widths {
        let Some(name) = name else { continue };
        let Some(outlet) = session.outputs().iter().find(|o| o.name() == name) else {
            return Err(Error::Manifest { path, reason: format!("the graph has no output {name:?} (has {graph_outputs:?})") });
        };
        if let (Some(shape), Some(width)) = (outlet.dtype().tensor_shape(), width) {
            let last = shape.last().copied().unwrap_or(-1);
            if last > 0 && last as usize != width {
                return Err(Error::Manifest {
                    path,
                    reason: format!("output {name:?} has {last} values per message but the manifest lists {width}"),
                });
            }
        }
    }
    Ok(())
}

impl Backend for OnnxBackend {
    fn forward(&mut self, batch: &TokenBatch) -> Result<ForwardOutput> {
        let shape = [batch.batch, batch.seq];
        let manifest = &self.folder.manifest;
        self.zeros.clear();
        self.zeros.resize(batch.ids.len(), 0);
        let mut inputs = ort::inputs![
            "input_ids" => TensorRef::from_array_view((shape, batch.ids.as_slice()))?,
            "attention_mask" => TensorRef::from_array_view((shape, batch.mask.as_slice()))?,
        ];
        if self.feeds_token_types {
            inputs.push(("token_type_ids".into(), TensorRef::from_array_view((shape, self.zeros.as_slice()))?.into()));
        }
        let outputs = self.session.run(inputs)?;
        let read = |name: &str| -> Result<Vec<f32>> {
            let value = outputs.get(name).ok_or_else(|| Error::Inference(format!("no output {name:?}")))?;
            let (_, data) = value.try_extract_tensor::<f32>()?;
            Ok(data.to_vec())
        };
        let dim = manifest.embedding_dim;
        let embeddings = match (&manifest.outputs.embedding, &manifest.outputs.last_hidden_state) {
            (Some(name), _) => read(name)?,
            (None, Some(name)) => mean_pool(&read(name)?, &batch.mask, batch.batch, batch.seq, dim),
            (None, None) => unreachable!("manifest validation requires one embedding output"),
        };
        let sentiment = manifest.outputs.sentiment.as_deref().map(read).transpose()?;
        let intent = manifest.outputs.intent.as_deref().map(read).transpose()?;
        Ok(ForwardOutput { embeddings, dim, sentiment, intent })
    }

    fn info(&self) -> &BackendInfo {
        &self.info
    }
}

/// Mean over real tokens, then L2 normalisation (sentence-transformers' pooling).
pub fn mean_pool(hidden: &[f32], mask: &[i64], batch: usize, seq: usize, dim: usize) -> Vec<f32> {
    let mut out = vec![0f32; batch * dim];
    for b in 0..batch {
        let row = &mut out[b * dim..(b + 1) * dim];
        let mut count = 0f32;
        for t in 0..seq {
            if mask[b * seq + t] == 0 {
                continue;
            }
            count += 1.0;
            let h = &hidden[(b * seq + t) * dim..(b * seq + t + 1) * dim];
            row.iter_mut().zip(h).for_each(|(o, x)| *o += x);
        }
        let count = count.max(1.0);
        row.iter_mut().for_each(|o| *o /= count);
        crate::vector::normalize(row);
    }
    out
}
