//! The inference worker under load: every caller gets its own answer, a full queue is a typed
//! error, and shutdown drains or cancels cleanly.

mod common;

use std::sync::Arc;

use squeezedesk::worker::Shutdown;
use squeezedesk::{Engine, Error};

const TOPICS: [&str; 10] = [
    "set a timer for five minutes",
    "what is my bank balance",
    "my card was stolen yesterday",
    "book a flight to paris",
    "how do I reset my password",
    "tell me a joke",
    "what's the weather tomorrow",
    "I want to cancel my reservation",
    "play some jazz music",
    "translate hello into spanish",
];

fn text(i: usize) -> String {
    // Distinct texts of different lengths, so that rows of one batch differ and padding varies.
    format!("{} {}", TOPICS[i % TOPICS.len()], "please ".repeat(i % 7))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_requests_each_get_their_own_answer() {
    let (engine, _dir) = common::fresh_engine().await;
    // References, one at a time (batch of one).
    let distinct = 70;
    let mut reference = Vec::new();
    for i in 0..distinct {
        reference.push(engine.analyze(&text(i)).await.unwrap());
    }
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let engine = engine.clone();
            tokio::spawn(async move { (i, engine.analyze(&text(i % distinct)).await) })
        })
        .collect();
    let mut batched = 0;
    for task in tasks {
        let (i, result) = task.await.unwrap();
        let got = result.unwrap_or_else(|e| panic!("request {i}: {e}"));
        let want = &reference[i % distinct];
        assert_eq!(got.text, want.text);
        assert_eq!(got.intent.as_ref().unwrap().label, want.intent.as_ref().unwrap().label, "request {i}");
        let cosine: f32 = got.embedding.iter().zip(&want.embedding).map(|(a, b)| a * b).sum();
        assert!(cosine > 0.9999, "request {i} got another message's embedding (cosine {cosine})");
        if got.timings.batch_size > 1 {
            batched += 1;
        }
    }
    assert!(batched > 500, "the worker should batch concurrent requests ({batched} of 1000 shared a pass)");
    let batches = engine.metrics(0).batches;
    assert!(batches.max_size > 1 && batches.messages >= 1070, "{batches:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_queue_answers_busy_instead_of_growing() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::config(&dir.path().join("t.db"));
    config.batch.queue_capacity = 4;
    config.batch.max_batch = 1;
    let engine = Engine::open(config).await.unwrap();
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.analyze(&text(i)).await })
        })
        .collect();
    let (mut ok, mut busy) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::Busy { capacity }) => {
                assert_eq!(capacity, 4);
                busy += 1
            }
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert!(busy > 0, "some requests must be refused when 200 arrive at a queue of 4");
    assert!(ok > 0);
    assert_eq!(ok + busy, 200);
    // The engine still works once the burst has passed.
    assert!(engine.analyze("hello").await.is_ok());
}

async fn burst(engine: &Arc<Engine>, n: usize) -> Vec<tokio::task::JoinHandle<squeezedesk::Result<squeezedesk::Analysis>>> {
    let handles = (0..n)
        .map(|i| {
            let engine = engine.clone();
            tokio::spawn(async move { engine.analyze(&text(i)).await })
        })
        .collect();
    // Let the requests reach the queue before shutting down.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    handles
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_drains_queued_requests_then_refuses_new_ones() {
    let (engine, _dir) = common::fresh_engine().await;
    let handles = burst(&engine, 300).await;
    engine.shutdown(Shutdown::Drain).await;
    let mut ok = 0;
    for h in handles {
        // Drained requests succeed; only requests that arrived after the close see ShutDown.
        match h.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::ShutDown) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert!(ok >= 250, "requests queued before shutdown are answered ({ok} of 300)");
    assert!(matches!(engine.analyze("hello").await, Err(Error::ShutDown)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_can_cancel_what_is_queued() {
    let (engine, _dir) = common::fresh_engine().await;
    let handles = burst(&engine, 300).await;
    engine.shutdown(Shutdown::Cancel).await;
    let mut cancelled = 0;
    for h in handles {
        match h.await.unwrap() {
            Ok(_) => {}
            Err(Error::ShutDown) => cancelled += 1,
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert!(cancelled > 0, "queued requests are answered with ShutDown");
}
