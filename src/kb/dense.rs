//! The dense side of retrieval: every chunk embedding in one contiguous row-major matrix in
//! memory, scanned with a dot product. SQLite stays the store; this is rebuilt from it on demand.

use crate::vector::dot;

pub struct DenseIndex {
    pub chunk_ids: Vec<i64>,
    pub dim: usize,
    pub matrix: Vec<f32>,
    /// Chunks embedded by another model, left out until re-indexed.
    pub other_model: usize,
}

impl DenseIndex {
    pub fn len(&self) -> usize {
        self.chunk_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunk_ids.is_empty()
    }

    /// The `k` rows most similar to `query`, best first, as (row, cosine).
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        let mut scored: Vec<(usize, f32)> =
            self.matrix.chunks_exact(self.dim).enumerate().map(|(row, v)| (row, dot(v, query))).collect();
        let k = k.min(scored.len());
        if k == 0 {
            return Vec::new();
        }
        scored.select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
        scored.truncate(k);
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored
    }

    pub fn row_of(&self, chunk_id: i64) -> Option<usize> {
        // Rows are loaded in chunk-id order.
        self.chunk_ids.binary_search(&chunk_id).ok()
    }

    pub fn cosine(&self, row: usize, query: &[f32]) -> f32 {
        dot(&self.matrix[row * self.dim..(row + 1) * self.dim], query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_orders_by_similarity() {
        let index = DenseIndex { chunk_ids: vec![1, 2, 3], dim: 2, matrix: vec![1.0, 0.0, 0.0, 1.0, 0.7, 0.7], other_model: 0 };
        let top = index.top_k(&[0.0, 1.0], 2);
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(index.row_of(3), Some(2));
    }
}
