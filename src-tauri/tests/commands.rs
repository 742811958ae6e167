//! The app's commands through Tauri's IPC layer with the real capability file (no display):
//! what the web UI sends, the shell checks and hands to the core.

use serde_json::{json, Value};
use squeezedesk_app::state::AppState;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::Manager;

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

struct TestApp {
    _app: tauri::App<tauri::test::MockRuntime>,
    webview: tauri::WebviewWindow<tauri::test::MockRuntime>,
    _dir: tempfile::TempDir,
}

fn app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = squeezedesk::EngineConfig::new(repo().join("models/squeezebert-mini"), dir.path().join("app.db"));
    config.threads = 2;
    let app = squeezedesk_app::with_commands(mock_builder()).build(squeezedesk_app::context()).expect("app builds");
    app.manage(tauri::async_runtime::block_on(AppState::start(config, dir.path().join("exports"))));
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default()).build().unwrap();
    TestApp { _app: app, webview, _dir: dir }
}

fn invoke(app: &TestApp, cmd: &str, args: Value) -> Result<Value, Value> {
    let request = InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(&app.webview, request).map(|body| body.deserialize::<Value>().unwrap())
}

fn import_fixture(app: &TestApp) {
    let fixture = repo().join("tests/fixtures/kb");
    let summary = invoke(app, "kb_import", json!({ "dir": fixture.to_str().unwrap(), "onEvent": "__CHANNEL__:1" })).unwrap();
    assert_eq!(summary["imported_articles"], 10, "{summary}");
}

#[test]
fn analyze_returns_the_core_analysis_without_the_embedding() {
    let app = app();
    let out = invoke(&app, "analyze", json!({ "text": "set a timer for 10 minutes" })).unwrap();
    assert_eq!(out["intent"]["label"], "timer");
    assert!(out.get("embedding").is_none());
    let err = invoke(&app, "analyze", json!({ "text": "" })).unwrap_err();
    assert!(err.as_str().unwrap().contains("empty"), "{err}");
}

#[test]
fn import_search_and_chat_through_ipc() {
    let app = app();
    import_fixture(&app);
    let results = invoke(&app, "kb_search", json!({ "query": "I forgot my password", "limit": 3 })).unwrap();
    assert_eq!(results["results"][0]["document"], "reset-password.md");
    let stats = invoke(&app, "kb_stats", json!({})).unwrap();
    assert_eq!(stats["documents"], 10);

    invoke(&app, "chat_send", json!({ "conversationId": null, "text": "my card was stolen", "onEvent": "__CHANNEL__:2" }))
        .unwrap();
    let conversations = invoke(&app, "conversations_list", json!({})).unwrap();
    let id = conversations[0]["id"].as_i64().unwrap();
    let export = invoke(&app, "conversation_export", json!({ "id": id, "format": "md" })).unwrap();
    let markdown = export["content"].as_str().unwrap();
    assert!(markdown.contains("lost-card.md"), "{export}");
    let saved = std::path::PathBuf::from(export["path"].as_str().unwrap());
    assert_eq!(saved, app._dir.path().join("exports").join(format!("conversation-{id}.md")));
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), markdown);
    let err = invoke(&app, "conversation_export", json!({ "id": id, "format": "exe" })).unwrap_err();
    assert!(err.as_str().unwrap().contains("unknown export format"));
}

#[test]
fn inbox_import_sorts_by_priority() {
    let app = app();
    import_fixture(&app);
    let content = "{\"text\": \"good morning!\"}\n{\"text\": \"someone used my card for purchases I never made, this is fraud and I am furious\"}\n";
    let report = invoke(&app, "inbox_import", json!({ "content": content, "source": "drop.jsonl" })).unwrap();
    assert_eq!(report["items"].as_array().unwrap().len(), 2);
    let queue = invoke(&app, "inbox_list", json!({ "filter": { "include_handled": false } })).unwrap();
    assert!(queue[0]["text"].as_str().unwrap().contains("fraud"), "{queue}");
    let handled = invoke(&app, "inbox_set_handled", json!({ "id": queue[0]["id"], "handled": true })).unwrap();
    assert_eq!(handled["handled"], true);
}

#[test]
fn inputs_are_checked_before_the_core_sees_them() {
    let app = app();
    let err = invoke(&app, "kb_import", json!({ "dir": "relative/path", "onEvent": "__CHANNEL__:1" })).unwrap_err();
    assert!(err.as_str().unwrap().contains("absolute path"), "{err}");
    let err = invoke(&app, "kb_import", json!({ "dir": "/definitely/not/here", "onEvent": "__CHANNEL__:1" })).unwrap_err();
    assert!(err.as_str().unwrap().contains("is not a folder"), "{err}");
    let err = invoke(&app, "kb_search", json!({ "query": "x", "limit": 100000 })).unwrap_err();
    assert!(err.as_str().unwrap().contains("limit"), "{err}");
    let big = "x".repeat(21 * 1024 * 1024);
    let err = invoke(&app, "inbox_import", json!({ "content": big, "source": "big" })).unwrap_err();
    assert!(err.as_str().unwrap().contains("too large"), "{err}");
    let err = invoke(
        &app,
        "settings_apply",
        json!({ "settings": { "variant": "int8", "provider": "cpu", "threads": 1, "database": "rel.db", "model_dir": "/x" } }),
    )
    .unwrap_err();
    assert!(err.as_str().unwrap().contains("absolute path"), "{err}");
}

#[test]
fn intents_status_and_settings() {
    let app = app();
    let examples = ["my parcel never arrived", "the package was not delivered", "where is my order, it is late"];
    invoke(&app, "intents_add", json!({ "name": "missing_delivery", "description": "", "urgency": 0.8, "examples": examples }))
        .unwrap();
    let ranked = invoke(&app, "intents_test", json!({ "text": "my order still hasn't shown up" })).unwrap();
    assert_eq!(ranked[0]["label"], "missing_delivery");
    assert_eq!(ranked[0]["matched"], true);
    let builtin = invoke(&app, "intents_builtin", json!({})).unwrap();
    assert_eq!(builtin.as_array().unwrap().len(), 151);

    invoke(&app, "analyze", json!({ "text": "hello" })).unwrap();
    let status = invoke(&app, "status", json!({ "recent": 10 })).unwrap();
    assert_eq!(status["backend"]["provider"]["active"], "cpu");
    assert!(status["metrics"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["stage"] == "inference" && s["p50_ms"].as_f64() > Some(0.0)));

    let mut settings = invoke(&app, "settings_get", json!({})).unwrap();
    assert_eq!(settings["variant"], "fp32");
    settings["variant"] = json!("int8");
    let status = invoke(&app, "settings_apply", json!({ "settings": settings })).unwrap();
    assert_eq!(status["backend"]["variant"], "int8");
    // The custom intent survives the engine swap (same database).
    let intents = invoke(&app, "intents_list", json!({})).unwrap();
    assert_eq!(intents[0]["name"], "missing_delivery");
    let models = invoke(&app, "models_list", json!({})).unwrap();
    assert!(models.as_array().unwrap().iter().any(|m| m["active"] == true && m["manifest"]["name"] == "squeezebert-mini"));
}
