//! The app's state: the engine (rebuilt when settings change) and the settings it was built from.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use squeezedesk::{Engine, EngineConfig, Provider, Variant};
use tokio::sync::RwLock;

/// What the Settings view edits.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    pub variant: Variant,
    pub provider: Provider,
    pub threads: usize,
    pub database: String,
    pub model_dir: String,
}

impl Settings {
    pub fn from_config(config: &EngineConfig) -> Self {
        Self {
            variant: config.variant,
            provider: config.provider,
            threads: config.threads,
            database: config.database.display().to_string(),
            model_dir: config.model_dir.display().to_string(),
        }
    }

    pub fn apply_to(&self, base: &EngineConfig) -> EngineConfig {
        let mut config = base.clone();
        config.variant = self.variant;
        config.provider = self.provider;
        config.threads = self.threads;
        config.database = PathBuf::from(&self.database);
        config.model_dir = PathBuf::from(&self.model_dir);
        config
    }
}

pub struct AppState {
    engine: RwLock<Result<Arc<Engine>, String>>,
    config: RwLock<EngineConfig>,
    /// Where exported conversations are written (the webview's own downloads go nowhere).
    pub export_dir: PathBuf,
}

impl AppState {
    pub async fn start(config: EngineConfig, export_dir: PathBuf) -> Self {
        let engine = Engine::open(config.clone()).await.map_err(|e| e.to_string());
        if let Err(e) = &engine {
            tracing::error!(error = %e, "the engine could not start");
        }
        Self { engine: RwLock::new(engine), config: RwLock::new(config), export_dir }
    }

    /// The running engine, or why there is none (shown by the UI as an error).
    pub async fn engine(&self) -> Result<Arc<Engine>, String> {
        self.engine.read().await.clone().map_err(|e| format!("the engine is not running: {e}"))
    }

    pub async fn config(&self) -> EngineConfig {
        self.config.read().await.clone()
    }

    /// Builds an engine from new settings; the old one keeps serving until the new one is up,
    /// and stays if the new one fails.
    pub async fn reconfigure(&self, config: EngineConfig) -> Result<Arc<Engine>, String> {
        let engine = Engine::open(config.clone()).await.map_err(|e| e.to_string())?;
        let old = std::mem::replace(&mut *self.engine.write().await, Ok(engine.clone()));
        *self.config.write().await = config;
        if let Ok(old) = old {
            old.shutdown(squeezedesk::worker::Shutdown::Drain).await;
        }
        Ok(engine)
    }
}
