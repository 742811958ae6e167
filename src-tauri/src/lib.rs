//! SqueezeDesk's desktop shell: builds the engine from the same config as the CLI and exposes
//! the core library to the web UI as Tauri commands (see `docs/ipc.md`).

pub mod commands;
pub mod state;

use std::path::PathBuf;

use squeezedesk::config::{default_database, default_export_dir, default_model_dir};
use squeezedesk::EngineConfig;
use tauri::Manager;
use tracing_subscriber::EnvFilter;

/// The config the app starts with: environment overrides, then the bundled model and runtime
/// (in a .deb they are resources), then the source tree's.
pub fn initial_config(resource_dir: Option<PathBuf>) -> EngineConfig {
    let bundled_model =
        resource_dir.as_ref().map(|r| r.join("models/squeezebert-mini")).filter(|d| d.join("manifest.json").is_file());
    let model_dir = match std::env::var_os("SQUEEZEDESK_MODEL") {
        Some(dir) => PathBuf::from(dir),
        None => bundled_model.unwrap_or_else(default_model_dir),
    };
    let database = std::env::var_os("SQUEEZEDESK_DB").map(PathBuf::from).unwrap_or_else(default_database);
    let mut config = EngineConfig::new(model_dir, database);
    config.ort_library = resource_dir
        .map(|r| r.join("lib").join(format!("libonnxruntime.so.{}", squeezedesk::model::runtime::ORT_VERSION)))
        .filter(|p| p.is_file());
    config
}

/// The app's commands on a builder (a real one, or `tauri::test::mock_builder()` in tests).
pub fn with_commands<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::analyze,
        commands::chat_send,
        commands::conversations_list,
        commands::conversation_get,
        commands::conversation_export,
        commands::conversation_delete,
        commands::kb_import,
        commands::kb_list,
        commands::kb_search,
        commands::kb_get,
        commands::kb_save,
        commands::kb_delete,
        commands::kb_reindex,
        commands::kb_stats,
        commands::inbox_import,
        commands::inbox_list,
        commands::inbox_set_handled,
        commands::intents_list,
        commands::intents_builtin,
        commands::intents_add,
        commands::intents_remove,
        commands::intents_test,
        commands::status,
        commands::bench_run,
        commands::settings_get,
        commands::settings_apply,
        commands::models_list,
    ])
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .init();
    with_commands(tauri::Builder::default())
        .setup(|app| {
            let config = initial_config(app.path().resource_dir().ok());
            // Opening the engine (model load, migrations) before the window shows keeps every
            // command simple; a failure is kept and shown by the UI, not a crash.
            let export_dir = std::env::var_os("SQUEEZEDESK_EXPORT_DIR").map(PathBuf::from).unwrap_or_else(default_export_dir);
            let state = tauri::async_runtime::block_on(state::AppState::start(config, export_dir));
            app.manage(state);
            Ok(())
        })
        .run(context())
        .expect("error while running SqueezeDesk");
}

/// The app's configuration, capabilities and UI assets, compiled in.
pub fn context<R: tauri::Runtime>() -> tauri::Context<R> {
    tauri::generate_context!()
}
