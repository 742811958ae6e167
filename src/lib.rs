//! SqueezeDesk's core: SqueezeBERT analysis through ONNX Runtime on a tokio worker, a SQLite
//! knowledge base with hybrid search, streamed grounded answers, support triage and per-stage
//! latency recording. The CLI, the desktop app and the tests are thin layers over this crate.

pub mod analysis;
pub mod bench;
pub mod chat;
pub mod config;
pub mod db;
pub mod engine;
pub mod error;
pub mod eval;
pub mod intents;
pub mod kb;
pub mod killpoint;
pub mod limits;
pub mod memory;
pub mod model;
pub mod profile;
pub mod triage;
pub mod vector;
pub mod worker;

pub use analysis::Analysis;
pub use config::{BatchPolicy, EngineConfig, Provider, Variant};
pub use engine::{Engine, ImportEvent, ImportSummary};
pub use error::{Error, Result};
