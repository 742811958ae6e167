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

/// The engine's dense index holds exactly the passages a fresh load from SQLite holds.
async fn assert_index_in_step(engine: &squeezedesk::Engine, after: &str) {
    let kb = engine.knowledge_base();
    let kept = kb.dense_index().await.unwrap();
    let fresh = squeezedesk::kb::KnowledgeBase::new(engine.database().clone(), kb.model_tag().to_string());
    let loaded = fresh.dense_index().await.unwrap();
    assert_eq!(kept.len(), loaded.len(), "after {after}: passages in the kept index vs in SQLite");
    for row in 0..loaded.len() {
        let chunk = loaded.chunk_id(row);
        let kept_row = kept.row_of(chunk).unwrap_or_else(|| panic!("after {after}: chunk {chunk} missing"));
        assert_eq!(kept.document_id(kept_row), loaded.document_id(row), "after {after}: chunk {chunk}");
    }
}

/// Documents, fused scores and cosines of a search, for comparing two engines.
async fn ranking(engine: &squeezedesk::Engine, query: &str) -> Vec<(String, f32, f32)> {
    engine.search(query, 5).await.unwrap().results.into_iter().map(|h| (h.document, h.score, h.cosine)).collect()
}

#[tokio::test]
async fn writes_after_the_first_search_reach_the_loaded_index() {
    let (engine, dir) = common::fresh_engine().await;
    engine.import_folder(&common::fixtures().join("kb"), |_| {}).await.unwrap();
    // The first search loads the dense index; every write below must then be applied to it.
    assert_eq!(top_document(&engine, "I forgot my password").await, "reset-password.md");
    let article = |path: &str, title: &str, body: &str| squeezedesk::kb::Article {
        path: path.into(),
        title: title.into(),
        body: body.into(),
        format: squeezedesk::kb::Format::Text,
    };
    engine
        .save_article(article("guides/shipping.txt", "Delivery by drone", "Orders now arrive by drone within two hours."))
        .await
        .unwrap();
    assert_index_in_step(&engine, "an edit").await;
    let added = engine
        .save_article(article(
            "gift-cards.txt",
            "Gift cards",
            "A gift card never expires. Its balance can be spent on any order.\n\nLost gift cards cannot be replaced.",
        ))
        .await
        .unwrap();
    assert_index_in_step(&engine, "a new article").await;
    // Saved twice in a row, it holds the largest chunk ids, which SQLite hands out again.
    engine
        .save_article(article(&added.document, "Gift cards", "Gift cards never expire and can pay for any order."))
        .await
        .unwrap();
    assert_index_in_step(&engine, "an edit that reuses chunk ids").await;
    let refunds = engine.knowledge_base().get("refunds.md").await.unwrap();
    engine.knowledge_base().delete(refunds.id).await.unwrap();
    assert_index_in_step(&engine, "a delete").await;

    assert_eq!(top_document(&engine, "does my gift card expire").await, "gift-cards.txt");
    assert_eq!(top_document(&engine, "drone delivery").await, "guides/shipping.txt");
    // An engine opened now loads its index from SQLite: the kept one must rank identically.
    let reopened = common::engine(&dir.path().join("test.db")).await;
    for query in ["how do I get my money back", "does my gift card expire", "my card was stolen", "when will my parcel arrive"] {
        let (kept, loaded) = (ranking(&engine, query).await, ranking(&reopened, query).await);
        assert!(kept.iter().all(|(d, _, _)| d != "refunds.md"), "{query}: deleted article found: {kept:?}");
        assert_eq!(kept.len(), loaded.len(), "{query}: {kept:?} vs {loaded:?}");
        for (a, b) in kept.iter().zip(&loaded) {
            assert!(a.0 == b.0 && (a.1 - b.1).abs() < 1e-5 && (a.2 - b.2).abs() < 1e-5, "{query}: {kept:?} vs {loaded:?}");
        }
    }
}

#[tokio::test]
async fn writes_by_another_process_reach_the_next_search() {
    let (app, dir) = common::fresh_engine().await;
    app.import_folder(&common::fixtures().join("kb"), |_| {}).await.unwrap();
    assert_eq!(top_document(&app, "I forgot my password").await, "reset-password.md");
    // The CLI importing while the app is open: another engine, its own connections to the file.
    let cli = common::engine(&dir.path().join("test.db")).await;
    let note = |title: &str, body: &str| squeezedesk::kb::Article {
        path: "holidays.txt".into(),
        title: title.into(),
        body: body.into(),
        format: squeezedesk::kb::Format::Text,
    };
    cli.save_article(note("Holiday opening hours", "Support is closed on public holidays and answers the next working day."))
        .await
        .unwrap();
    assert_eq!(top_document(&app, "are you open on public holidays").await, "holidays.txt");
    assert_index_in_step(&app, "another process's write").await;

    // The app writes after missing one of the other's writes: its index must not skip it.
    let shipping = cli.knowledge_base().get("guides/shipping.txt").await.unwrap();
    cli.knowledge_base().delete(shipping.id).await.unwrap();
    app.save_article(note("Holiday opening hours", "Support is closed on public holidays and on Sundays.")).await.unwrap();
    assert_index_in_step(&app, "a write on top of another process's").await;
    assert!(app
        .search("when will my parcel arrive", 5)
        .await
        .unwrap()
        .results
        .iter()
        .all(|h| h.document != "guides/shipping.txt"));
}

#[tokio::test]
async fn importing_a_missing_folder_is_a_clear_error() {
    let (engine, dir) = common::fresh_engine().await;
    let err = engine.import_folder(&dir.path().join("nope"), |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("is not a folder"), "{err}");
}
