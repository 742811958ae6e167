//! How an [`crate::Engine`] is built: the same config serves the CLI, the app and the tests.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which weights of a model folder to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    #[default]
    Fp32,
    Int8,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Fp32 => "fp32",
            Variant::Int8 => "int8",
        }
    }
}

/// The execution provider the user asks for. `Auto` tries GPU providers and settles on CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Auto,
    #[default]
    Cpu,
    Cuda,
    Tensorrt,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Auto => "auto",
            Provider::Cpu => "cpu",
            Provider::Cuda => "cuda",
            Provider::Tensorrt => "tensorrt",
        }
    }
}

/// Micro-batching policy of the inference worker.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchPolicy {
    /// Most padded tokens (batch × longest sequence) in one forward pass.
    pub token_budget: usize,
    /// Most requests in one forward pass.
    pub max_batch: usize,
    /// How long the first request of a batch may wait for company. Zero (the default) takes
    /// only what queued up while the previous batch ran: no added latency when idle.
    #[serde(with = "duration_us")]
    pub max_wait: Duration,
    /// Requests that may wait in the queue before callers get [`crate::Error::Busy`].
    pub queue_capacity: usize,
}

impl Default for BatchPolicy {
    fn default() -> Self {
        Self { token_budget: 4096, max_batch: 64, max_wait: Duration::ZERO, queue_capacity: 4096 }
    }
}

mod duration_us {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_micros() as u64)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_micros(u64::deserialize(d)?))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EngineConfig {
    pub model_dir: PathBuf,
    pub variant: Variant,
    pub provider: Provider,
    /// Intra-op threads of ONNX Runtime; 0 lets it choose (one per core).
    pub threads: usize,
    /// ONNX Runtime's intra-op threads busy-wait between runs (see [`crate::model::runtime::SessionOptions`]).
    pub spinning: bool,
    pub database: PathBuf,
    pub batch: BatchPolicy,
    /// Path of `libonnxruntime.so`; `None` searches the usual places (see [`crate::model::runtime`]).
    pub ort_library: Option<PathBuf>,
}

impl EngineConfig {
    pub fn new(model_dir: impl Into<PathBuf>, database: impl Into<PathBuf>) -> Self {
        Self {
            model_dir: model_dir.into(),
            variant: Variant::default(),
            provider: Provider::default(),
            threads: 0,
            spinning: false,
            database: database.into(),
            batch: BatchPolicy::default(),
            ort_library: None,
        }
    }
}

/// The model folder used when none is given: `SQUEEZEDESK_MODEL`, then the source tree's
/// `models/squeezebert-mini` (a build run where it was compiled), then `models/squeezebert-mini`
/// beside the executable or its parents (an installed bundle).
pub fn default_model_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SQUEEZEDESK_MODEL") {
        return PathBuf::from(dir);
    }
    let relative = Path::new("models").join("squeezebert-mini");
    let source_tree = Path::new(env!("CARGO_MANIFEST_DIR")).join(&relative);
    if source_tree.join("manifest.json").is_file() {
        return source_tree;
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(4) {
            let candidate = dir.join(&relative);
            if candidate.join("manifest.json").is_file() {
                return candidate;
            }
        }
    }
    source_tree
}

/// The database used when none is given: the platform's data directory
/// (`~/.local/share/squeezedesk/squeezedesk.db` on Linux).
pub fn default_database() -> PathBuf {
    directories::ProjectDirs::from("dev", "squeezedesk", "squeezedesk")
        .map(|dirs| dirs.data_dir().join("squeezedesk.db"))
        .unwrap_or_else(|| PathBuf::from("squeezedesk.db"))
}

/// Where the app saves exported conversations: the user's download folder, else the home folder.
pub fn default_export_dir() -> PathBuf {
    directories::UserDirs::new()
        .map(|dirs| dirs.download_dir().unwrap_or(dirs.home_dir()).to_path_buf())
        .unwrap_or_else(|| PathBuf::from("."))
}
