//! The command-line contract, driven through the real binary.

mod common;

use std::process::{Command, Output};

fn squeezedesk(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_squeezedesk"))
        .arg("--db")
        .arg(db)
        .arg("--model")
        .arg(common::model_dir())
        .args(args)
        .output()
        .expect("binary runs")
}

fn stdout_json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

#[test]
fn analyze_json_prints_one_object_per_text() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        squeezedesk(&dir.path().join("t.db"), &["analyze", "--json", "set a timer for 5 minutes", "I hate this, it is awful"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines = stdout_json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["text"], "set a timer for 5 minutes");
    assert_eq!(lines[0]["intent"]["label"], "timer");
    assert!(lines[0]["intent"]["score"].as_f64().unwrap() > 0.5);
    assert_eq!(lines[1]["sentiment"]["label"], "negative");
    assert!(lines[1]["sentiment"]["score"].is_number());
    assert!(lines[0].get("embedding").is_none(), "embedding only with --embedding");
}

#[test]
fn analyze_reports_bad_input_per_text_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = squeezedesk(&dir.path().join("t.db"), &["analyze", "--json", "hello", ""]);
    assert!(!out.status.success());
    let lines = stdout_json_lines(&out);
    assert_eq!(lines[0]["intent"]["label"], "greeting");
    assert!(lines[1]["error"].as_str().unwrap().contains("empty"));
}

#[test]
fn kb_import_and_search_json() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let kb = common::fixtures().join("kb");
    let out = squeezedesk(&db, &["kb", "import", kb.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("10 articles imported"));

    let out = squeezedesk(&db, &["kb", "search", "--json", "I", "forgot", "my", "password"]);
    assert!(out.status.success());
    let json = &stdout_json_lines(&out)[0];
    let results = json["results"].as_array().unwrap();
    assert!(!results.is_empty());
    assert_eq!(results[0]["document"], "reset-password.md");
    assert_eq!(results[0]["title"], "Reset your password");
    let scores: Vec<f64> = results.iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
}

#[test]
fn triage_intents_and_chat_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let kb = common::fixtures().join("kb");
    assert!(squeezedesk(&db, &["kb", "import", kb.to_str().unwrap()]).status.success());

    let out = squeezedesk(
        &db,
        &[
            "intents",
            "add",
            "missing_delivery",
            "-e",
            "my parcel never arrived",
            "-e",
            "the package was not delivered",
            "--urgency",
            "0.8",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = squeezedesk(&db, &["intents", "list", "--json"]);
    let intents = &stdout_json_lines(&out)[0];
    assert_eq!(intents[0]["name"], "missing_delivery");

    let inbox = dir.path().join("inbox.jsonl");
    std::fs::write(
        &inbox,
        "{\"text\": \"hello!\"}\n{\"text\": \"someone used my card for purchases I did not make, this is fraud, I am angry\"}\n",
    )
    .unwrap();
    let out = squeezedesk(&db, &["triage", "--json", inbox.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout_json_lines(&out).len(), 2);
    let out = squeezedesk(&db, &["inbox", "list", "--json"]);
    let queue = stdout_json_lines(&out);
    assert!(queue[0]["text"].as_str().unwrap().contains("fraud"));
    assert!(queue[0]["priority"].as_f64() > queue[1]["priority"].as_f64());

    let out = squeezedesk(&db, &["chat", "--json", "how", "do", "I", "reset", "my", "password"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = stdout_json_lines(&out);
    assert_eq!(events.first().unwrap()["type"], "started");
    let done = events.last().unwrap();
    assert_eq!(done["type"], "done");
    assert_eq!(done["grounded"], true);
    let out = squeezedesk(&db, &["conversations", "export", "1", "--format", "md"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("reset-password.md"));
}

#[test]
fn timings_print_every_stage() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let kb = common::fixtures().join("kb");
    assert!(squeezedesk(&db, &["kb", "import", kb.to_str().unwrap()]).status.success());
    let out = squeezedesk(&db, &["--timings", "chat", "my card was stolen"]);
    let table = String::from_utf8_lossy(&out.stderr);
    for stage in ["tokenize", "queue_wait", "inference", "postprocess", "fts", "dense", "fusion", "compose"] {
        assert!(table.contains(stage), "{stage} missing from:\n{table}");
    }
}

#[test]
fn a_missing_model_is_a_clear_cli_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_squeezedesk"))
        .args(["--db", dir.path().join("t.db").to_str().unwrap(), "--model", dir.path().to_str().unwrap(), "analyze", "hi"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: model file missing") && err.contains("manifest.json"), "{err}");
}
