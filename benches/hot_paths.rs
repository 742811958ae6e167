//! Criterion benchmarks of the hot paths that do not need the model session: tokenization, the
//! dense scan, pooling, head post-processing and the FTS query builder. Model inference and the
//! whole triage path are measured by `squeezedesk bench`, which interleaves configurations.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use squeezedesk::kb::dense::DenseIndex;
use squeezedesk::kb::search::fts_query;
use squeezedesk::model::backend::mean_pool;
use squeezedesk::model::heads::decide_intent;
use squeezedesk::model::{Manifest, TextEncoder};

const MESSAGE: &str = "Hi, I was charged twice for my subscription this month and I would like a refund for the second payment.";

fn model_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models/squeezebert-mini"))
}

fn unit_vectors(n: usize, dim: usize, mut seed: u64) -> Vec<f32> {
    let mut out = Vec::with_capacity(n * dim);
    for _ in 0..n {
        let mut v: Vec<f32> = (0..dim)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed % 20_000) as f32 / 10_000.0 - 1.0
            })
            .collect();
        squeezedesk::vector::normalize(&mut v);
        out.extend(v);
    }
    out
}

fn tokenize(c: &mut Criterion) {
    let manifest = Manifest::read(model_dir()).expect("model manifest");
    let encoder = TextEncoder::from_file(&model_dir().join(&manifest.tokenizer), manifest.max_length).expect("tokenizer");
    c.bench_function("tokenize 32-token message", |b| b.iter(|| encoder.encode(MESSAGE).unwrap()));
}

fn dense_scan(c: &mut Criterion) {
    let mut group = c.benchmark_group("dense top-50");
    for n in [10_000usize, 100_000] {
        let index = DenseIndex { chunk_ids: (0..n as i64).collect(), dim: 384, matrix: unit_vectors(n, 384, 7), other_model: 0 };
        let query = unit_vectors(1, 384, 11);
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| b.iter(|| index.top_k(&query, 50)));
    }
    group.finish();
}

fn pooling_and_heads(c: &mut Criterion) {
    let (batch, seq, dim) = (8, 32, 384);
    let hidden = unit_vectors(batch * seq, dim, 3);
    let mask = vec![1i64; batch * seq];
    c.bench_function("mean pool 8×32×384", |b| b.iter(|| mean_pool(&hidden, &mask, batch, seq, dim)));
    let manifest = Manifest::read(model_dir()).expect("model manifest");
    let head = manifest.heads.intent.expect("intent head");
    let logits: Vec<f32> = (0..head.labels.len()).map(|i| (i as f32 * 0.37).sin() * 4.0).collect();
    c.bench_function("intent decision (151 classes)", |b| b.iter(|| decide_intent(&head, &logits)));
    c.bench_function("fts query from a message", |b| b.iter(|| fts_query(MESSAGE)));
}

criterion_group!(benches, tokenize, dense_scan, pooling_and_heads);
criterion_main!(benches);
