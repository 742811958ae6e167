//! The Rust engine reproduces the Python reference (onnxruntime + tokenizers) on fixed inputs:
//! the same token ids, and the same embedding and head logits within 1e-4, for fp32 and int8.
//! Regenerate `tests/golden/squeezebert-mini.json` with `models/scripts/make_golden.py` when the
//! model changes; a stale golden file fails with that instruction.

mod common;

use serde_json::Value;
use squeezedesk::model::manifest::sha256_file;
use squeezedesk::model::runtime::SessionOptions;
use squeezedesk::model::{Backend, ModelFolder, OnnxBackend, TextEncoder, TokenBatch};
use squeezedesk::{Provider, Variant};

const TOLERANCE: f32 = 1e-4;

fn golden() -> Value {
    let path = common::repo().join("tests/golden/squeezebert-mini.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn check_variant(variant: Variant) {
    let golden = golden();
    let folder = ModelFolder::open(&common::model_dir(), variant).unwrap();
    let key = variant.as_str();
    let file = folder.model_path(variant);
    assert_eq!(
        sha256_file(&file).unwrap(),
        golden["model_sha256"][key].as_str().unwrap(),
        "{} changed since the golden file was made: regenerate it with models/scripts/make_golden.py",
        file.display()
    );
    let encoder = TextEncoder::from_file(&folder.tokenizer_path(), folder.manifest.max_length).unwrap();
    let mut backend =
        OnnxBackend::load(folder, variant, &SessionOptions { provider: Provider::Cpu, threads: 1, spinning: false }, None)
            .unwrap();
    let texts = golden["texts"].as_array().unwrap();
    assert!(texts.len() >= 10);
    for case in texts {
        let text = case["text"].as_str().unwrap();
        let encoded = encoder.encode(text).unwrap();
        let want_ids: Vec<i64> = case["input_ids"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect();
        assert_eq!(encoded.ids, want_ids, "token ids of {text:?}");
        assert_eq!(encoded.truncated, case["truncated"].as_bool().unwrap(), "truncation of {text:?}");
        let out = backend.forward(&TokenBatch::from_sequences([encoded.ids.as_slice()])).unwrap();
        let want = &case[key];
        let diffs = [
            ("embedding", max_diff(&out.embeddings, &floats(&want["embedding"]))),
            ("sentiment_logits", max_diff(out.sentiment.as_deref().unwrap(), &floats(&want["sentiment_logits"]))),
            ("intent_logits", max_diff(out.intent.as_deref().unwrap(), &floats(&want["intent_logits"]))),
        ];
        for (name, diff) in diffs {
            assert!(diff <= TOLERANCE, "{key} {name} of {text:?} differs by {diff:e}");
        }
    }
}

#[test]
fn fp32_matches_the_python_reference() {
    check_variant(Variant::Fp32);
}

#[test]
fn int8_matches_the_python_reference() {
    check_variant(Variant::Int8);
}

#[test]
fn batching_does_not_change_a_message_result() {
    // Padding to a longer neighbour must not leak into a message's outputs.
    let golden = golden();
    let folder = ModelFolder::open(&common::model_dir(), Variant::Fp32).unwrap();
    let encoder = TextEncoder::from_file(&folder.tokenizer_path(), folder.manifest.max_length).unwrap();
    let mut backend =
        OnnxBackend::load(folder, Variant::Fp32, &SessionOptions { provider: Provider::Cpu, threads: 1, spinning: false }, None)
            .unwrap();
    let texts: Vec<&str> = golden["texts"].as_array().unwrap().iter().map(|c| c["text"].as_str().unwrap()).collect();
    let encoded: Vec<Vec<i64>> = texts.iter().map(|t| encoder.encode(t).unwrap().ids).collect();
    let out = backend.forward(&TokenBatch::from_sequences(encoded.iter().map(Vec::as_slice))).unwrap();
    for (i, case) in golden["texts"].as_array().unwrap().iter().enumerate() {
        let row = &out.embeddings[i * out.dim..(i + 1) * out.dim];
        let diff = max_diff(row, &floats(&case["fp32"]["embedding"]));
        assert!(diff <= 1e-3, "row {i} ({:?}) differs by {diff:e} in a padded batch", texts[i]);
    }
}
