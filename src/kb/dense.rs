//! The dense side of retrieval: every chunk embedding in one contiguous row-major matrix in
//! memory, scanned with a dot product. SQLite stays the store; this is loaded from it on demand.
//!
//! Rows are kept as 8-bit codes with one scale per row (symmetric, `scale = max|x| / 127`), not
//! as f32: the scan reads a quarter of the bytes and runs on integer multiply-adds, which is what
//! makes 100k passages fit in a few milliseconds on a 2-core machine (measured in
//! `docs/performance.md`; an f32 scan took 21 ms there). The query is quantised the same way, so a
//! reported cosine is within about 2e-3 of the exact one (checked in the tests below), well
//! under any difference the ranking or the citation thresholds act on.

use crate::vector;

/// Writes keep the index in step instead of dropping it (a reload from SQLite takes ~1 s at
/// 100k passages): a deleted row is only marked, and the rows are compacted once a quarter of
/// them are marked.
#[derive(Clone)]
pub struct DenseIndex {
    /// Chunk id of each row, ascending.
    chunk_ids: Vec<i64>,
    /// Document of each row.
    document_ids: Vec<i64>,
    pub dim: usize,
    codes: Vec<i8>,
    scales: Vec<f32>,
    removed: Vec<bool>,
    removed_rows: usize,
}

impl DenseIndex {
    pub fn new(dim: usize) -> Self {
        Self {
            chunk_ids: Vec::new(),
            document_ids: Vec::new(),
            dim,
            codes: Vec::new(),
            scales: Vec::new(),
            removed: Vec::new(),
            removed_rows: 0,
        }
    }

    /// Appends a row. Chunk ids must ascend: SQLite gives a new row the largest id in the table
    /// plus one, which can be the id of a row removed here, so those are compacted away first.
    /// A vector of another width, or an id out of order, is refused (`false`).
    pub fn push(&mut self, chunk_id: i64, document_id: i64, embedding: &[f32]) -> bool {
        if embedding.len() != self.dim {
            return false;
        }
        if self.chunk_ids.last().is_some_and(|&last| last >= chunk_id) {
            self.compact();
            if self.chunk_ids.last().is_some_and(|&last| last >= chunk_id) {
                return false;
            }
        }
        let scale = vector::quantize_i8_into(embedding, &mut self.codes);
        self.scales.push(scale);
        self.chunk_ids.push(chunk_id);
        self.document_ids.push(document_id);
        self.removed.push(false);
        true
    }

    /// Marks every row of `document_id` removed; returns how many.
    pub fn remove_document(&mut self, document_id: i64) -> usize {
        let mut n = 0;
        for (row, _) in self.document_ids.iter().enumerate().filter(|(_, &d)| d == document_id) {
            if !self.removed[row] {
                self.removed[row] = true;
                n += 1;
            }
        }
        self.removed_rows += n;
        if self.removed_rows * 4 > self.chunk_ids.len() {
            self.compact();
        }
        n
    }

    /// Drops the rows marked removed.
    fn compact(&mut self) {
        if self.removed_rows == 0 {
            return;
        }
        let mut kept = 0;
        for row in 0..self.chunk_ids.len() {
            if self.removed[row] {
                continue;
            }
            self.chunk_ids[kept] = self.chunk_ids[row];
            self.document_ids[kept] = self.document_ids[row];
            self.scales[kept] = self.scales[row];
            self.codes.copy_within(row * self.dim..(row + 1) * self.dim, kept * self.dim);
            kept += 1;
        }
        self.chunk_ids.truncate(kept);
        self.document_ids.truncate(kept);
        self.scales.truncate(kept);
        self.codes.truncate(kept * self.dim);
        self.removed = vec![false; kept];
        self.removed_rows = 0;
    }

    /// Rows in use.
    pub fn len(&self) -> usize {
        self.chunk_ids.len() - self.removed_rows
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn chunk_id(&self, row: usize) -> i64 {
        self.chunk_ids[row]
    }

    pub fn document_id(&self, row: usize) -> i64 {
        self.document_ids[row]
    }

    /// The `k` rows most similar to `query`, best first, as (row, cosine).
    pub fn top_k(&self, query: &DenseQuery, k: usize) -> Vec<(usize, f32)> {
        if self.is_empty() || query.codes.len() != self.dim {
            return Vec::new();
        }
        let mut raw = vec![0i32; self.chunk_ids.len()];
        vector::dot_i8_rows(&self.codes, &query.codes, &mut raw);
        // The best k so far, best first; most rows fall below the k-th and cost one comparison.
        let k = k.min(self.len());
        let mut best: Vec<(usize, f32)> = Vec::with_capacity(k + 1);
        for (row, (&d, &s)) in raw.iter().zip(&self.scales).enumerate() {
            let score = d as f32 * s * query.scale;
            if best.len() == k && best.last().is_some_and(|last| score <= last.1) {
                continue;
            }
            if self.removed[row] {
                continue;
            }
            let at = best.partition_point(|b| b.1 >= score);
            best.insert(at, (row, score));
            best.truncate(k);
        }
        best
    }

    pub fn row_of(&self, chunk_id: i64) -> Option<usize> {
        self.chunk_ids.binary_search(&chunk_id).ok().filter(|&row| !self.removed[row])
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
        assert_eq!(index.document_id(2), 30);
    }

    #[test]
    fn removed_rows_leave_the_ranking_and_reused_ids_append_after_compaction() {
        let mut index = DenseIndex::new(2);
        for id in 1..=8 {
            // Documents of two rows each: 1-2 in document 10, 3-4 in 20, …
            assert!(index.push(id, (id + 1) / 2 * 10, &[1.0, id as f32 / 10.0]));
        }
        assert_eq!(index.remove_document(40), 2, "rows 7 and 8");
        assert_eq!(index.len(), 6);
        assert_eq!(index.row_of(8), None);
        let everything = index.top_k(&DenseQuery::new(&[0.0, 1.0]), 100);
        assert_eq!(everything.len(), 6);
        assert_eq!(index.chunk_id(everything[0].0), 6, "the best of what is left");
        // SQLite hands out id 7 again once 7 and 8 are gone: compaction makes room for it.
        assert!(index.push(7, 50, &[0.0, 1.0]));
        assert_eq!(index.len(), 7);
        assert_eq!(index.chunk_id(index.top_k(&DenseQuery::new(&[0.0, 1.0]), 1)[0].0), 7);
        assert!(!index.push(5, 50, &[0.0, 1.0]), "an id still in use is refused");
        // Removing a quarter or more compacts on the spot, and the rows keep their documents.
        assert_eq!(index.remove_document(10) + index.remove_document(20), 4);
        assert_eq!(index.len(), 3);
        let ids: Vec<(i64, i64)> = (0..3).map(|row| (index.chunk_id(row), index.document_id(row))).collect();
        assert_eq!(ids, vec![(5, 30), (6, 30), (7, 50)]);
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
