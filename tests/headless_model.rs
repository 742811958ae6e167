//! A model without heads (the converter's output for `squeezebert-mnli-headless`, here its tiny
//! random-weight fixture converted with `--no-heads`) still serves retrieval, answers, custom
//! intents and triage; the engine says which features it lacks.
//!
//! The fixture is `models/convert/testdata/tiny-squeezebert-mnli` converted by
//! `python models/convert/convert_hf.py --no-heads --max-length 64` (hidden 32, 2 layers,
//! character-level vocabulary): its embeddings carry no meaning, so these tests check what the
//! engine does with a headless model, not the quality of its rankings.

mod common;

use futures::StreamExt;
use squeezedesk::chat::{self, ChatEvent};
use squeezedesk::config::Variant;
use squeezedesk::triage::{self, IncomingMessage};
use squeezedesk::{Engine, EngineConfig};

fn headless_dir() -> std::path::PathBuf {
    common::fixtures().join("models/tiny-headless")
}

async fn headless_engine(variant: Variant) -> (std::sync::Arc<Engine>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = EngineConfig::new(headless_dir(), dir.path().join("headless.db"));
    config.variant = variant;
    config.threads = 1;
    (Engine::open(config).await.expect("the headless model loads"), dir)
}

#[tokio::test]
async fn says_what_it_lacks_and_analyses_without_heads() {
    for variant in [Variant::Fp32, Variant::Int8] {
        let (engine, _dir) = headless_engine(variant).await;
        let status = engine.status(0);
        let lacking: Vec<&str> = status.missing_features.iter().map(|m| m.feature.as_str()).collect();
        assert_eq!(lacking, ["built-in intents", "sentiment"]);
        assert!(status.backend.heads.is_empty(), "{:?}", status.backend.heads);

        let analysis = engine.analyze("where is my refund?").await.unwrap();
        assert!(analysis.intent.is_none() && analysis.sentiment.is_none());
        assert_eq!(analysis.embedding.len(), 32);
        let norm: f32 = analysis.embedding.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "embedding norm {norm}");
    }
    // The shipped model lacks nothing.
    let (full, _dir) = common::fresh_engine().await;
    assert!(full.status(0).missing_features.is_empty());
}

#[tokio::test]
async fn serves_retrieval_answers_custom_intents_and_triage() {
    let (engine, _dir) = headless_engine(Variant::Fp32).await;
    let summary = engine.import_folder(&common::fixtures().join("kb"), |_| {}).await.unwrap();
    assert_eq!(summary.imported_articles, 10, "{summary:?}");

    // Ten results: every article can show, so the one whose words match must be there.
    let results = engine.search("reset password", 10).await.unwrap().results;
    assert!(results.iter().any(|h| h.dense_rank.is_some()), "the dense side ranks passages");
    let by_words = results.iter().find(|h| h.document == "reset-password.md").expect("the article matching the words");
    assert!(by_words.fts_rank.is_some(), "{by_words:?}");

    engine
        .add_intent("refund_status", "", Some(0.6), &["where is my refund".into(), "refund not received yet".into()])
        .await
        .unwrap();
    engine.add_intent("greeting", "", None, &["hello there".into(), "good morning to you".into()]).await.unwrap();
    let analysis = engine.analyze("where is my refund").await.unwrap();
    let custom = analysis.custom_intent.expect("a custom intent from the embedding alone");
    assert_eq!(custom.label, "refund_status");
    assert_eq!(custom.nearest[0].text, "where is my refund");

    let (items, rejected) =
        triage::triage(&engine, &[IncomingMessage { text: "where is my refund".into(), ..Default::default() }], "test")
            .await
            .unwrap();
    assert!(rejected.is_empty());
    assert_eq!(items[0].sentiment, "unknown");
    assert_eq!(items[0].custom_intent.as_deref(), Some("refund_status"));
    assert!(!items[0].suggestions.is_empty());
    assert!(items[0].priority > 0.0);

    let events: Vec<ChatEvent> = chat::chat(engine.clone(), None, "how do I reset my password?".into()).collect().await;
    assert!(matches!(events.last(), Some(ChatEvent::Done { .. })), "{events:?}");
    assert!(!events.iter().any(|e| matches!(e, ChatEvent::Error { .. })), "{events:?}");
}
