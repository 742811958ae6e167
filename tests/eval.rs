//! `squeezedesk::eval` end to end on the real model, with the small CLINC150 and Banking77 slices
//! of `tests/fixtures/eval/` (layout of `shared/data`; sources and licenses in its NOTICE.md).

mod common;

use std::collections::HashMap;

use squeezedesk::eval::{self, EvalOptions};

fn fixture_data() -> std::path::PathBuf {
    common::fixtures().join("eval")
}

#[tokio::test]
async fn fixture_sets_are_evaluated_and_missing_sets_are_skipped_with_a_note() {
    let (engine, _dir) = common::fresh_engine().await;
    let options = EvalOptions { data_dir: fixture_data(), limit: None };
    let mut last: HashMap<String, (usize, usize)> = HashMap::new();
    let report = eval::run(&engine, &options, |set, done, total| {
        assert!(done <= total, "{set}: {done} > {total}");
        last.insert(set.to_string(), (done, total));
    })
    .await
    .expect("eval runs on the fixtures");

    assert_eq!(report.model, "squeezebert-mini");
    assert_eq!(report.variant, "fp32");
    let value = |key: &str| report.metric(key).unwrap_or_else(|| panic!("metric {key} missing: {report:#?}"));

    let inscope = value("clinc_inscope_acc");
    assert_eq!(inscope.n, 150);
    assert!(inscope.value > 80.0, "CLINC150 in-scope accuracy {}", inscope.value);
    assert_eq!(inscope.card, Some(94.47), "the model card's fp32 figure from eval-onnx.json");
    let oos = value("clinc_oos_recall");
    assert_eq!(oos.n, 30);
    assert!((0.0..=100.0).contains(&oos.value));
    // The calibrated decision trades a little in-scope accuracy for out-of-scope recall.
    let oos_cal = value("clinc_oos_recall_calibrated");
    assert!(oos_cal.value >= oos.value, "calibrated {} < argmax {}", oos_cal.value, oos.value);
    assert!(value("clinc_inscope_acc_calibrated").value <= inscope.value);
    assert_eq!(oos_cal.card, Some(79.9), "from oos-calibration.json");

    let banking = value("banking77_centroid_acc");
    assert_eq!(banking.n, 40);
    assert!(banking.value > 60.0, "Banking77 centroid accuracy {}", banking.value);

    // The hand-written probe ships beside the model (models/train/support_probe.tsv).
    assert_eq!(value("support_probe_acc").n, 45);

    for (set, key) in [
        ("SST-2 dev", "sst2_dev_acc"),
        ("TweetEval", "tweet_macro_f1"),
        ("STS-B", "stsb_spearman"),
        ("StackFAQ", "stackfaq_mrr_question"),
    ] {
        assert!(report.metric(key).is_none(), "{key} computed without its data");
        assert!(
            report.notes.iter().any(|n| n.starts_with(set) && n.contains("skipped")),
            "no note for {set}: {:?}",
            report.notes
        );
    }
    assert!(report.notes.iter().any(|n| n.contains("support sentiment held-out skipped")), "{:?}", report.notes);

    assert_eq!(last.get("clinc150_test"), Some(&(180, 180)));
    assert_eq!(last.get("banking77_train"), Some(&(100, 100)));
    assert!(report.timings.iter().any(|t| t.set == "clinc150_test" && t.texts == 180));

    let table = eval::format_table(&report);
    assert!(table.contains("CLINC150 in-scope accuracy (argmax)") && table.contains("94.47"), "{table}");
    assert!(table.contains("note: SST-2 dev skipped"), "{table}");
}

#[tokio::test]
async fn limit_cuts_each_set_and_malformed_files_are_errors_naming_the_file() {
    let (engine, _dir) = common::fresh_engine().await;
    let options = EvalOptions { data_dir: fixture_data(), limit: Some(20) };
    let report = eval::run(&engine, &options, |_, _, _| {}).await.unwrap();
    let clinc = report.metric("clinc_inscope_acc").unwrap().n + report.metric("clinc_oos_recall").unwrap().n;
    assert_eq!(clinc, 20);
    assert_eq!(report.metric("banking77_centroid_acc").unwrap().n, 20);
    assert!(report.notes.iter().any(|n| n.contains("at most 20 items")), "{:?}", report.notes);

    let data = tempfile::tempdir().unwrap();
    let banking = data.path().join("banking77");
    std::fs::create_dir_all(&banking).unwrap();
    std::fs::write(banking.join("train.csv"), "utterance,label\nhello,greeting\n").unwrap();
    std::fs::write(banking.join("test.csv"), "text,category\nhi,greeting\n").unwrap();
    let options = EvalOptions { data_dir: data.path().to_path_buf(), limit: None };
    let err = eval::run(&engine, &options, |_, _, _| {}).await.unwrap_err().to_string();
    assert!(err.contains("train.csv") && err.contains("text"), "{err}");

    let clinc = data.path().join("clinc150");
    std::fs::create_dir_all(&clinc).unwrap();
    std::fs::remove_dir_all(&banking).unwrap();
    std::fs::write(clinc.join("data_oos_plus.json.gz"), b"not gzip").unwrap();
    let err = eval::run(&engine, &options, |_, _, _| {}).await.unwrap_err().to_string();
    assert!(err.contains("data_oos_plus.json.gz"), "{err}");

    let options = EvalOptions { data_dir: data.path().join("nowhere"), limit: None };
    let err = eval::run(&engine, &options, |_, _, _| {}).await.unwrap_err().to_string();
    assert!(err.contains("nowhere"), "{err}");
}
