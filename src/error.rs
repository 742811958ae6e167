//! The one error type of the core. Every variant carries enough context (file, limit, reason)
//! for the CLI and the app to show it as-is.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("model file missing: {path}")]
    ModelFileMissing { path: PathBuf },
    #[error("model file corrupt: {path}: {reason}")]
    ModelFileCorrupt { path: PathBuf, reason: String },
    #[error("invalid model manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("ONNX Runtime library could not be loaded: {0}")]
    RuntimeLibrary(String),
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("the inference queue is full ({capacity} requests waiting); try again shortly")]
    Busy { capacity: usize },
    #[error("the inference worker has shut down")]
    ShutDown,
    #[error("database {path}: {reason}")]
    Database { path: PathBuf, reason: String },
    #[error("database is locked by another process (waited {waited_ms} ms): {path}")]
    DatabaseLocked { path: PathBuf, waited_ms: u64 },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("this model has no {head} head; {feature} is unavailable with it")]
    MissingHead { head: &'static str, feature: &'static str },
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }
}

impl From<ort::Error> for Error {
    fn from(e: ort::Error) -> Self {
        Error::Inference(e.to_string())
    }
}
