//! The dense side of retrieval: every chunk embedding in one contiguous row-major matrix in
//! memory, scanned with a dot product. SQLite stays the store; this is rebuilt from it on demand.
//!
//! Rows are kept as 8-bit codes with one scale per row (symmetric, `scale = max|x| / 127`), not
//! as f32: the scan reads a quarter of the bytes and runs on integer multiply-adds, which is what
//! makes 100k passages fit in a few milliseconds on a 2-core machine (measured in
//! `docs/performance.md`; an f32 scan took 21 ms there). The query is quantised the same way, so a
//! reported cosine is within about 2e-3 of the exact one (checked in the tests below), well
//! under any difference the ranking or the citation thresholds act on.

use crate::vector;

pub struct DenseIndex {
    /// Chunk id of each row, ascending.
    pub chunk_ids: Vec<i64>,
    /// Document of each row.
    pub document_ids: Vec<i64>,
    pub dim: usize,
    codes: Vec<i8>,
    scales: Vec<f32>,
    /// Chunks embedded by another model, left out until re-indexed.
    pub other_model: usize,
}

impl DenseIndex {
    pub fn new(dim: usize) -> Self {
        Self { chunk_ids: Vec::new(), document_ids: Vec::new(), dim, codes: Vec::new(), scales: Vec::new(), other_model: 0 }
    }

    /// Appends a row; rows must come in ascending chunk-id order. A vector of another width is
    /// refused (`false`).
    pub fn push(&mut self, chunk_id: i64, document_id: i64, embedding: &[f32]) -> bool {
        if embedding.len() != self.dim {
            return false;
        }
        debug_assert!(self.chunk_ids.last().is_none_or(|&last| last < chunk_id), "rows in chunk-id order");
        let scale = vector::quantize_i8_into(embedding, &mut self.codes);
        self.scales.push(scale);
        self.chunk_ids.push(chunk_id);
        self.document_ids.push(document_id);
        true
    }

    pub fn len(&self) -> usize {
        self.chunk_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunk_ids.is_empty()
    }

    /// Bytes held by the rows (codes, scales and ids).
    pub fn memory_bytes(&self) -> usize {
        self.codes.len() + self.scales.len() * 4 + self.chunk_ids.len() * 16
    }

    /// The `k` rows most similar to `query`, best first, as (row, cosine).
    pub fn top_k(&self, query: &DenseQuery, k: usize) -> Vec<(usize, f32)> {
        if self.is_empty() || query.codes.len() != self.dim {
            return Vec::new();
        }
        let mut raw = vec![0i32; self.len()];
        vector::dot_i8_rows(&self.codes, &query.codes, &mut raw);
        // The best k so far, best first; most rows fall below the k-th and cost one comparison.
        let k = k.min(self.len());
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
        for (row, (&d, &s)) in raw.iter().zip(&self.scales).enumerate() {
            let score = d as f32 * s * query.scale;
            if best.len() == k && best.last().is_some_and(|last| score <= last.1) {
                continue;
            }
            let at = best.partition_point(|b| b.1 >= score);
            best.insert(at, (row, score));
            best.truncate(k);
        }
        best
    }

    pub fn row_of(&self, chunk_id: i64) -> Option<usize> {
        self.chunk_ids.binary_search(&chunk_id).ok()
    }

    /// Cosine of one row to `query`.
    pub fn cosine(&self, row: usize, query: &DenseQuery) -> f32 {
        let codes = &self.codes[row * self.dim..(row + 1) * self.dim];
        vector::dot_i8(codes, &query.codes) as f32 * self.scales[row] * query.scale
    }
}

/// A query embedding quantised like the rows, once per search.
pub struct DenseQuery {
    codes: Vec<i8>,
    scale: f32,
}

impl DenseQuery {
    pub fn new(embedding: &[f32]) -> Self {
        let mut codes = Vec::with_capacity(embedding.len());
        let scale = vector::quantize_i8_into(embedding, &mut codes);
        Self { codes, scale }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_by_similarity() {
        let mut index = DenseIndex::new(2);
        for (id, v) in [(1, [1.0, 0.0]), (2, [0.0, 1.0]), (3, [std::f32::consts::FRAC_1_SQRT_2; 2])] {
            assert!(index.push(id, id * 10, &v));
        }
        assert!(!index.push(4, 40, &[1.0, 0.0, 0.0]), "a vector of another width is refused");
        let top = index.top_k(&DenseQuery::new(&[0.0, 1.0]), 2);
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(index.row_of(3), Some(2));
        assert_eq!(index.document_ids[2], 30);
    }

    #[test]
    fn quantised_cosines_stay_within_2e_3_of_exact_and_keep_the_order() {
        let dim = 384;
        let mut rng = vector::Xorshift::new(7);
        let rows: Vec<Vec<f32>> = (0..2_000).map(|_| rng.unit_vector(dim)).collect();
        let mut index = DenseIndex::new(dim);
        for (i, r) in rows.iter().enumerate() {
            index.push(i as i64, 0, r);
        }
        // A query close to row 7, so that the top of the ranking is well separated.
        let mut query: Vec<f32> = rows[7].iter().zip(rng.unit_vector(dim)).map(|(a, b)| a + 0.5 * b).collect();
        vector::normalize(&mut query);
        let quantised = DenseQuery::new(&query);
        let mut worst = 0f32;
        for (row, r) in rows.iter().enumerate() {
            worst = worst.max((index.cosine(row, &quantised) - vector::dot(r, &query)).abs());
        }
        assert!(worst < 2e-3, "largest cosine error {worst}");
        let top = index.top_k(&quantised, 5);
        assert_eq!(top[0].0, 7);
        let mut exact: Vec<(usize, f32)> = rows.iter().enumerate().map(|(i, r)| (i, vector::dot(r, &query))).collect();
        exact.sort_by(|a, b| b.1.total_cmp(&a.1));
        // Every row returned is among the exact top 10, and the best is the same.
        let exact_top: Vec<usize> = exact[..10].iter().map(|e| e.0).collect();
        assert!(top.iter().all(|t| exact_top.contains(&t.0)), "{top:?} vs {exact_top:?}");
    }
}
