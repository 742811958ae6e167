//! A missing or corrupt model, a corrupt or locked database, an unusable execution provider:
//! each is a clear error naming the problem, and nothing stored is lost.

mod common;

use std::path::Path;

use squeezedesk::{Engine, Error, Provider};

/// A copy of the shipped model folder that a test may damage (hard links would share damage).
fn model_copy(dir: &Path) -> std::path::PathBuf {
    let target = dir.join("model");
    std::fs::create_dir_all(&target).unwrap();
    for entry in std::fs::read_dir(common::model_dir()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), target.join(entry.file_name())).unwrap();
        }
    }
    target
}

async fn open_with_model(model: &Path, db: &Path) -> squeezedesk::Result<std::sync::Arc<Engine>> {
    let mut config = common::config(db);
    config.model_dir = model.to_path_buf();
    Engine::open(config).await
}

#[tokio::test]
async fn missing_model_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_copy(dir.path());
    std::fs::remove_file(model.join("model.onnx")).unwrap();
    let err = open_with_model(&model, &dir.path().join("t.db")).await.err().expect("must fail");
    assert!(matches!(err, Error::ModelFileMissing { .. }), "{err}");
    assert!(err.to_string().contains("model.onnx"), "{err}");

    let err = open_with_model(&dir.path().join("no-such-model"), &dir.path().join("t.db")).await.err().unwrap();
    assert!(err.to_string().contains("manifest.json"), "{err}");
}

#[tokio::test]
async fn corrupt_model_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_copy(dir.path());
    // Same size, one byte changed: only the checksum can tell.
    let path = model.join("model.onnx");
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = open_with_model(&model, &dir.path().join("t.db")).await.err().expect("must fail");
    assert!(matches!(err, Error::ModelFileCorrupt { .. }), "{err}");
    assert!(err.to_string().contains("model.onnx") && err.to_string().contains("sha256"), "{err}");

    // Truncated tokenizer: the size already disagrees.
    let model = model_copy(&dir.path().join("second"));
    std::fs::write(model.join("tokenizer.json"), b"{\"trunc").unwrap();
    let err = open_with_model(&model, &dir.path().join("t.db")).await.err().unwrap();
    assert!(err.to_string().contains("tokenizer.json") && err.to_string().contains("size"), "{err}");
}

#[tokio::test]
async fn manifest_labels_must_match_the_graph() {
    let dir = tempfile::tempdir().unwrap();
    let model = model_copy(dir.path());
    let path = model.join("manifest.json");
    let mut manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    manifest["heads"]["sentiment"]["labels"] = serde_json::json!(["negative", "positive"]);
    std::fs::write(&path, serde_json::to_string(&manifest).unwrap()).unwrap();
    let err = open_with_model(&model, &dir.path().join("t.db")).await.err().expect("must fail");
    assert!(err.to_string().contains("sentiment_logits") && err.to_string().contains("manifest lists 2"), "{err}");
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.db");
    let content = b"These are my notes, not a database. Please do not overwrite them.".repeat(100);
    std::fs::write(&db, &content).unwrap();
    let err = Engine::open(common::config(&db)).await.err().expect("must fail");
    assert!(matches!(err, Error::Database { .. }), "{err}");
    assert!(err.to_string().contains("not a SQLite database"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), content, "the file is untouched");
}

#[tokio::test]
async fn a_damaged_database_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    {
        let engine = common::engine(&db).await;
        engine.import_folder(&common::fixtures().join("kb"), |_| {}).await.unwrap();
        engine.shutdown(squeezedesk::worker::Shutdown::Drain).await;
    }
    // Keep the header, scribble over the pages behind it.
    let mut bytes = std::fs::read(&db).unwrap();
    for b in bytes.iter_mut().skip(4096) {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let _ = std::fs::remove_file(dir.path().join("t.db-wal"));
    let result = async {
        let engine = Engine::open(common::config(&db)).await?;
        engine.search("password", 3).await
    }
    .await;
    let err = result.expect_err("a damaged database must not look healthy");
    let text = err.to_string();
    assert!(text.contains("t.db") && (text.contains("corrupt") || text.contains("malformed")), "{text}");
}

#[tokio::test]
async fn a_locked_database_is_a_clear_error_and_the_write_is_not_lost() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let engine = common::engine(&db).await;
    // Another process holds the write lock.
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut other).await.unwrap();
    let err = engine.add_intent("refund_request", "", None, &["I want my money back".into()]).await.unwrap_err();
    assert!(matches!(err, Error::DatabaseLocked { .. }), "{err}");
    assert!(err.to_string().contains("locked"), "{err}");
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    // Once the lock is gone the same call goes through.
    engine.add_intent("refund_request", "", None, &["I want my money back".into()]).await.unwrap();
    assert_eq!(engine.intent_store().list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_unavailable_gpu_provider_falls_back_to_cpu_and_says_why() {
    // CI has no GPU and the CPU build of ONNX Runtime: this is the fallback path users without
    // CUDA see. The CUDA path itself needs a GPU machine and is not exercised here.
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config(&dir.path().join("t.db"));
    config.provider = Provider::Cuda;
    let engine = Engine::open(config).await.unwrap();
    let report = &engine.backend_info().provider;
    assert_eq!(report.requested, Provider::Cuda);
    assert_eq!(report.active, Provider::Cpu);
    assert!(report.fell_back());
    assert_eq!(report.fallback_reasons.len(), 1);
    assert!(report.fallback_reasons[0].starts_with("cuda:"), "{:?}", report.fallback_reasons);
    assert!(engine.analyze("set a timer").await.is_ok());
}
