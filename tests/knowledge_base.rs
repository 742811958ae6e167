//! Import, incremental re-import, bad files and hybrid search on a real SQLite file.

mod common;

use squeezedesk::engine::{FileStatus, ImportEvent};

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

async fn top_document(engine: &squeezedesk::Engine, query: &str) -> String {
    let results = engine.search(query, 3).await.unwrap();
    results.results.first().map(|h| h.document.clone()).unwrap_or_default()
}

#[tokio::test]
async fn imports_every_format_and_finds_articles_by_meaning_and_words() {
    let (engine, _dir) = common::fresh_engine().await;
    let mut events = Vec::new();
    let summary = engine.import_folder(&common::fixtures().join("kb"), |e| events.push(e.clone())).await.unwrap();
    assert_eq!(summary.files, 7);
    assert_eq!(summary.imported_articles, 10, "{summary:?}");
    assert!(summary.failed.is_empty());
    assert!(matches!(events.first(), Some(ImportEvent::Started { files: 7, .. })));
    assert_eq!(events.iter().filter(|e| matches!(e, ImportEvent::File { .. })).count(), 7);
    assert!(matches!(events.last(), Some(ImportEvent::Finished { .. })));

    let cases = [
        ("I forgot my password", "reset-password.md"),
        ("someone stole my card", "lost-card.md"),
        ("how long does delivery take", "guides/shipping.txt"),
        ("can I get my money back", "refunds.md"),
        ("I want to close my account", "faq.csv#delete-account"),
        ("fees for sending money to another country", "articles.json#1"),
        ("a shop charged me twice", "articles.json#2"),
        ("authenticator app codes", "guides/two-factor.txt"),
    ];
    for (query, expected) in cases {
        assert_eq!(top_document(&engine, query).await, expected, "query {query:?}");
    }

    let hits = engine.search("reset link expires", 5).await.unwrap().results;
    let best = &hits[0];
    assert_eq!(best.title, "Reset your password");
    assert!(best.bm25.is_some() && best.fts_rank == Some(1), "{best:?}");
    assert!(best.cosine > 0.3 && best.dense_rank.is_some(), "{best:?}");
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    let documents: std::collections::HashSet<_> = hits.iter().map(|h| &h.document).collect();
    assert_eq!(documents.len(), hits.len(), "one hit per document");
}

#[tokio::test]
async fn reimport_touches_only_what_changed() {
    let (engine, dir) = common::fresh_engine().await;
    let kb = dir.path().join("kb");
    copy_dir(&common::fixtures().join("kb"), &kb);
    engine.import_folder(&kb, |_| {}).await.unwrap();

    let again = engine.import_folder(&kb, |_| {}).await.unwrap();
    assert_eq!((again.imported_articles, again.unchanged_articles), (0, 10), "{again:?}");

    std::fs::write(
        kb.join("refunds.md"),
        "# Refund policy\n\nReturns are accepted within 60 days of delivery, no questions asked.\n",
    )
    .unwrap();
    let mut statuses = Vec::new();
    let changed = engine
        .import_folder(&kb, |e| {
            if let ImportEvent::File { path, status, .. } = e {
                statuses.push((path.clone(), status.clone()));
            }
        })
        .await
        .unwrap();
    assert_eq!((changed.imported_articles, changed.unchanged_articles), (1, 9), "{changed:?}");
    assert!(statuses.iter().any(|(p, s)| p == "refunds.md" && matches!(s, FileStatus::Imported { articles: 1, .. })));
    let doc = engine.knowledge_base().get("refunds.md").await.unwrap();
    assert!(doc.body.contains("60 days"));
    let hit = &engine.search("how many days do I have to return something", 1).await.unwrap().results[0];
    assert_eq!(hit.document, "refunds.md");
    assert!(hit.passage.contains("60 days"), "search sees the new text: {hit:?}");
    assert_eq!(engine.knowledge_base().stats().await.unwrap().documents, 10);
}

#[tokio::test]
async fn bad_files_are_reported_and_skipped_and_nothing_stored_is_lost() {
    let (engine, _dir) = common::fresh_engine().await;
    engine.import_folder(&common::fixtures().join("kb"), |_| {}).await.unwrap();
    let summary = engine.import_folder(&common::fixtures().join("bad"), |_| {}).await.unwrap();
    let reason = |name: &str| summary.failed.iter().find(|f| f.path == name).map(|f| f.error.clone()).unwrap_or_default();
    assert_eq!(summary.failed.len(), 4, "{summary:?}");
    assert!(reason("invalid-utf8.txt").contains("not valid UTF-8"));
    assert!(reason("malformed.csv").contains("malformed CSV"));
    assert!(reason("broken.json").contains("malformed JSON"));
    assert!(reason("empty.md").contains("empty"));
    assert_eq!(summary.imported_articles, 1, "the good file beside the bad ones imports");
    let stats = engine.knowledge_base().stats().await.unwrap();
    assert_eq!(stats.documents, 11);
    assert_eq!(top_document(&engine, "I forgot my password").await, "reset-password.md");
}

#[tokio::test]
async fn edit_delete_and_reindex_keep_search_in_step() {
    let (engine, _dir) = common::fresh_engine().await;
    engine.import_folder(&common::fixtures().join("kb"), |_| {}).await.unwrap();
    let kb = engine.knowledge_base();
    let doc = kb.get("guides/shipping.txt").await.unwrap();
    let edited = engine
        .save_article(squeezedesk::kb::Article {
            path: doc.document.clone(),
            title: "Delivery by drone".into(),
            body: "Orders are now delivered by drone within two hours in the city centre.".into(),
            format: squeezedesk::kb::Format::Text,
        })
        .await
        .unwrap();
    assert_eq!(edited.title, "Delivery by drone");
    assert_eq!(top_document(&engine, "drone delivery").await, "guides/shipping.txt");

    kb.delete(edited.id).await.unwrap();
    assert!(kb.get("guides/shipping.txt").await.is_err());
    assert_ne!(top_document(&engine, "drone delivery").await, "guides/shipping.txt");

    let mut seen = 0;
    let n = engine.reindex(|done, _, _| seen = done).await.unwrap();
    assert_eq!((n, seen), (9, 9));
    assert_eq!(top_document(&engine, "I forgot my password").await, "reset-password.md");
}

#[tokio::test]
async fn importing_a_missing_folder_is_a_clear_error() {
    let (engine, dir) = common::fresh_engine().await;
    let err = engine.import_folder(&dir.path().join("nope"), |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("is not a folder"), "{err}");
}
