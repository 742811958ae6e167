//! Criterion benchmarks of the hot paths that do not need the model session: tokenization, the
//! dense scan, pooling, head post-processing and the FTS query builder. Model inference and the
//! whole triage path are measured by `squeezedesk bench`, which interleaves configurations.

use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use squeezedesk::kb::dense::{DenseIndex, DenseQuery};
use squeezedesk::kb::search::fts_query;
use squeezedesk::model::backend::mean_pool;
use squeezedesk::model::heads::decide_intent;
use squeezedesk::model::{Manifest, TextEncoder};

const MESSAGE: &str = "Hi, I was charged twice for my subscription this month and I would like a refund for the second payment.";

fn model_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models/squeezebert-mini"))
}

fn unit_vectors(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut rng = squeezedesk::vector::Xorshift::new(seed);
    (0..n).flat_map(|_| rng.unit_vector(dim)).collect()
}

fn tokenize(c: &mut Criterion) {
    let manifest = Manifest::read(model_dir()).expect("model manifest");
    let encoder = TextEncoder::from_file(&model_dir().join(&manifest.tokenizer), manifest.max_length).expect("tokenizer");
    c.bench_function("tokenize 32-token message", |b| b.iter(|| encoder.encode(MESSAGE).unwrap()));
}

/// The scan the index used before its rows became 8-bit codes: f32 rows, exact dot products.
fn f32_top_k(matrix: &[f32], dim: usize, query: &[f32], k: usize) -> Vec<(usize, f32)> {
    let mut scored: Vec<(usize, f32)> =
        matrix.chunks_exact(dim).enumerate().map(|(row, v)| (row, squeezedesk::vector::dot(v, query))).collect();
    scored.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
    scored.truncate(k);
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
}

/// sqlite-vec's `vec0` table (brute-force KNN inside SQLite) over the same vectors.
fn sqlite_vec_table(rt: &tokio::runtime::Runtime, vectors: &[f32], dim: usize) -> sqlx::SqlitePool {
    // SAFETY: registers sqlite-vec's entry point (the signature SQLite expects) for every new connection.
    unsafe {
        libsqlite3_sys::sqlite3_auto_extension(Some(std::mem::transmute::<
            *const (),
            unsafe extern "C" fn(
                *mut libsqlite3_sys::sqlite3,
                *mut *mut std::os::raw::c_char,
                *const libsqlite3_sys::sqlite3_api_routines,
            ) -> std::os::raw::c_int,
        >(sqlite_vec::sqlite3_vec_init as *const ())));
    }
    rt.block_on(async {
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await.expect("sqlite");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE VIRTUAL TABLE v USING vec0(embedding float[{dim}])")))
            .execute(&pool)
            .await
            .expect("vec0 table (is sqlite-vec registered?)");
        let mut tx = pool.begin().await.expect("tx");
        for (i, row) in vectors.chunks_exact(dim).enumerate() {
            sqlx::query("INSERT INTO v (rowid, embedding) VALUES (?, ?)")
                .bind(i as i64)
                .bind(squeezedesk::vector::to_bytes(row))
                .execute(&mut *tx)
                .await
                .expect("insert");
        }
        tx.commit().await.expect("commit");
        pool
    })
}

fn dense_scan(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let dim = 384;
    let query = unit_vectors(1, dim, 11);
    let mut group = c.benchmark_group("dense top-50");
    for n in [10_000usize, 100_000] {
        let vectors = unit_vectors(n, dim, 7);
        let mut index = DenseIndex::new(dim);
        for (i, row) in vectors.chunks_exact(dim).enumerate() {
            index.push(i as i64, i as i64 / 10, row);
        }
        group.bench_with_input(BenchmarkId::new("i8 matrix (shipped)", n), &n, |b, _| {
            b.iter(|| index.top_k(&DenseQuery::new(&query), 50))
        });
        group.bench_with_input(BenchmarkId::new("f32 matrix", n), &n, |b, _| b.iter(|| f32_top_k(&vectors, dim, &query, 50)));
        let pool = sqlite_vec_table(&rt, &vectors, dim);
        let q = squeezedesk::vector::to_bytes(&query);
        group.bench_with_input(BenchmarkId::new("sqlite-vec vec0", n), &n, |b, _| {
            b.iter(|| {
                rt.block_on(
                    sqlx::query("SELECT rowid, distance FROM v WHERE embedding MATCH ? AND k = 50 ORDER BY distance")
                        .bind(&q)
                        .fetch_all(&pool),
                )
                .expect("knn")
            })
        });
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
