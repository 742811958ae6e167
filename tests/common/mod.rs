//! Shared set-up of the integration tests: the shipped model and a fresh SQLite file.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use squeezedesk::{Engine, EngineConfig};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn model_dir() -> PathBuf {
    repo().join("models/squeezebert-mini")
}

pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures")
}

pub fn config(db: &Path) -> EngineConfig {
    let mut config = EngineConfig::new(model_dir(), db);
    // Two threads keep the suite predictable on small CI machines.
    config.threads = 2;
    config
}

pub async fn engine(db: &Path) -> Arc<Engine> {
    Engine::open(config(db)).await.expect("engine opens with the shipped model")
}

/// An engine on a new database in a temporary folder (kept alive by the returned guard).
pub async fn fresh_engine() -> (Arc<Engine>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let engine = engine(&dir.path().join("test.db")).await;
    (engine, dir)
}
