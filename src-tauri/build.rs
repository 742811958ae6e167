/// The app's own commands. Declaring them makes Tauri generate one `allow-<command>` permission
/// each, so the capability file grants the window exactly these and nothing else.
const COMMANDS: &[&str] = &[
    "analyze",
    "chat_send",
    "conversations_list",
    "conversation_get",
    "conversation_export",
    "conversation_delete",
    "kb_import",
    "kb_list",
    "kb_search",
    "kb_get",
    "kb_save",
    "kb_delete",
    "kb_reindex",
    "kb_stats",
    "inbox_import",
    "inbox_list",
    "inbox_set_handled",
    "intents_list",
    "intents_builtin",
    "intents_add",
    "intents_remove",
    "intents_test",
    "status",
    "bench_run",
    "settings_get",
    "settings_apply",
    "models_list",
];

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)))
        .expect("tauri build script");
}
