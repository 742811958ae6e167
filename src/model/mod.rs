//! Everything about the model: its folder and manifest, tokenizer, ONNX Runtime session and heads.

pub mod backend;
pub mod heads;
pub mod manifest;
pub mod runtime;
pub mod tokenize;

pub use backend::{Backend, BackendInfo, ForwardOutput, OnnxBackend, TokenBatch};
pub use manifest::{Manifest, ModelFolder};
pub use tokenize::{Encoded, TextEncoder};
