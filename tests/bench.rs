//! `squeezedesk bench` end to end on the shipped model with tiny settings: every kind of row the
//! issue's JSON contract names is produced, with measured (non-zero, ordered) figures. Nothing is
//! timed against a target here; speed lives in the benchmark itself.

mod common;

use squeezedesk::bench::{self, BenchEvent, BenchOptions};
use squeezedesk::config::Variant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_run_produces_every_row_kind() {
    let mut options = BenchOptions::quick(common::model_dir());
    options.threads = vec![1];
    options.variants = vec![Variant::Fp32];
    options.runs = 4;
    options.warmup = 1;
    options.kb_sizes = vec![2_000];
    options.triage_runs = 6;
    options.throughput_messages = 128;
    options.max_batches = vec![8];
    let mut events = Vec::new();
    let report = bench::run(&options, |e: &BenchEvent| events.push(e.clone())).await.expect("bench runs");

    for seq in [16, 32, 64, 128] {
        let row = report
            .results
            .iter()
            .find(|r| r.stage == "inference" && r.seq == seq && r.model == "squeezebert-mini" && r.variant == "fp32")
            .unwrap_or_else(|| panic!("inference row for seq {seq}"));
        assert_eq!(row.runs, 4);
        assert!(row.p50_ms > 0.0 && row.p50_ms <= row.p95_ms && row.p95_ms <= row.p99_ms, "{row:?}");
        assert!((row.per_s - 1000.0 / row.p50_ms).abs() < 1e-6);
    }
    let triage = report.results.iter().find(|r| r.stage == "triage").expect("triage row");
    assert_eq!(triage.kb_chunks, Some(2_000));
    assert_eq!(triage.runs, 6);
    assert!((28..=32).contains(&triage.seq), "a ~32-token message: {}", triage.seq);
    for stage in ["tokenize", "fts", "dense", "fusion"] {
        let r = report.results.iter().find(|r| r.stage == stage).unwrap_or_else(|| panic!("{stage} row"));
        assert!(r.p50_ms > 0.0 && r.p50_ms < triage.p99_ms, "{r:?}");
    }
    let throughput = report.results.iter().find(|r| r.stage == "throughput").expect("throughput row");
    assert_eq!((throughput.max_batch, throughput.clients, throughput.runs), (Some(8), Some(64), 128));
    assert!(throughput.batch >= 1 && throughput.batch <= 8 && throughput.per_s > 0.0);

    let memory = report.engine_memory.as_ref().expect("engine memory measured");
    assert!(memory.process_rss_bytes > memory.process_rss_before_bytes);
    assert_eq!(report.loads.len(), 1);
    assert!(report.loads[0].load_ms > 0.0);
    assert!(events.iter().any(|BenchEvent::Progress { label, .. }| label.contains("triage")));

    // The JSON contract of the issue: {"results": [{"model", "variant", "stage", "seq", "batch", "p50_ms", ...}]}.
    let json = serde_json::to_value(&report).unwrap();
    let first = &json["results"][0];
    for key in ["model", "variant", "stage", "seq", "batch", "p50_ms", "p95_ms", "p99_ms", "per_s"] {
        assert!(!first[key].is_null(), "{key} missing from {first}");
    }
    let table = bench::format_table(&report);
    assert!(table.contains("squeezebert-mini") && table.contains("Throughput through the worker"), "{table}");
}
