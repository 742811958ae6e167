//! Hybrid search: FTS5 BM25 and dense cosine each propose passages; relative-score fusion
//! merges them; documents are ranked by their best passage.
//!
//! Why not reciprocal-rank fusion: RRF looks only at ranks, so in a small knowledge base a
//! passage that matches one common query word (rank 1 in BM25) and is a weak semantic match
//! (rank 6 of 12) beats the clear semantic match that no word matched ("can I get my money
//! back" → transfer fees over the refund policy). Fusing the scores themselves, each scaled to
//! 0..1 over the candidates, keeps how strong each match is (the "relative score fusion" of
//! Weaviate). Both ranks are still reported with each hit.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::KnowledgeBase;
use crate::error::Result;
use crate::profile::{Recorder, Stage};

/// Candidates taken from each ranker before fusion.
pub const CANDIDATES: usize = 50;
/// Weight of the dense (meaning) score in the fused score; the rest goes to BM25 (words).
pub const DENSE_WEIGHT: f32 = 0.7;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchHit {
    /// Path relative to the imported folder.
    pub document: String,
    pub document_id: i64,
    pub title: String,
    /// Fused score, 0..1: [`DENSE_WEIGHT`] × scaled cosine + the rest × scaled BM25.
    pub score: f32,
    /// The best passage of the document.
    pub passage: String,
    pub heading: String,
    /// Cosine similarity of the best passage to the query.
    pub cosine: f32,
    /// BM25 of the best passage (higher is better), if it matched any query word.
    pub bm25: Option<f32>,
    pub fts_rank: Option<usize>,
    pub dense_rank: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchResults {
    pub query: String,
    pub results: Vec<SearchHit>,
}

const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "how", "i", "if", "in", "is",
    "it", "me", "my", "of", "on", "or", "so", "that", "the", "this", "to", "was", "what", "when", "where", "which", "who", "why",
    "will", "with", "you", "your", "we", "our", "im", "i'm", "am", "there", "have", "has", "get", "got",
];

/// An FTS5 query that ORs the query's words, each quoted so no user text is read as syntax.
pub fn fts_query(text: &str) -> Option<String> {
    let mut seen = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_lowercase();
        if STOPWORDS.contains(&word.as_str()) || seen.contains(&word) {
            continue;
        }
        seen.push(word);
    }
    if seen.is_empty() {
        return None;
    }
    Some(seen.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" OR "))
}

struct Candidate {
    fts_rank: Option<usize>,
    bm25: Option<f32>,
    dense_rank: Option<usize>,
    cosine: f32,
}

impl KnowledgeBase {
    pub async fn search(&self, query: &str, embedding: &[f32], limit: usize, recorder: &Recorder) -> Result<SearchResults> {
        let mut candidates: HashMap<i64, Candidate> = HashMap::new();

        let started = Instant::now();
        if let Some(fts) = fts_query(query) {
            let rows = sqlx::query(
                "SELECT rowid, bm25(chunks_fts, 4.0, 2.0, 1.0) AS s FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY s LIMIT ?",
            )
            .bind(fts)
            .bind(CANDIDATES as i64)
            .fetch_all(self.db().pool())
            .await
            .map_err(|e| self.db().error(e))?;
            for (rank, row) in rows.iter().enumerate() {
                let id: i64 = row.get(0);
                let score: f64 = row.get(1);
                candidates
                    .insert(id, Candidate { fts_rank: Some(rank), bm25: Some(-score as f32), dense_rank: None, cosine: 0.0 });
            }
        }
        recorder.record(Stage::Fts, started.elapsed());

        let started = Instant::now();
        let index = self.dense_index().await?;
        if !index.is_empty() && index.dim == embedding.len() {
            for (rank, (row, cosine)) in index.top_k(embedding, CANDIDATES).into_iter().enumerate() {
                let c = candidates.entry(index.chunk_ids[row]).or_insert(Candidate {
                    fts_rank: None,
                    bm25: None,
                    dense_rank: None,
                    cosine,
                });
                c.dense_rank = Some(rank);
                c.cosine = cosine;
            }
            for (id, c) in candidates.iter_mut() {
                if c.dense_rank.is_none() {
                    c.cosine = index.row_of(*id).map_or(0.0, |row| index.cosine(row, embedding));
                }
            }
        }
        recorder.record(Stage::Dense, started.elapsed());

        let started = Instant::now();
        let results = self.fuse(candidates, limit).await?;
        recorder.record(Stage::Fusion, started.elapsed());
        Ok(SearchResults { query: query.to_string(), results })
    }

    async fn fuse(&self, candidates: HashMap<i64, Candidate>, limit: usize) -> Result<Vec<SearchHit>> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        // Cosine scaled min–max over the candidates; BM25 scaled by its maximum (no match = 0).
        let (lo, hi) = candidates.values().fold((f32::MAX, f32::MIN), |(lo, hi), c| (lo.min(c.cosine), hi.max(c.cosine)));
        let top_bm25 = candidates.values().filter_map(|c| c.bm25).fold(0f32, f32::max);
        let fused = |c: &Candidate| {
            let dense = if hi > lo { (c.cosine - lo) / (hi - lo) } else { 1.0 };
            let lexical = match c.bm25 {
                Some(b) if top_bm25 > 0.0 => b / top_bm25,
                _ => 0.0,
            };
            DENSE_WEIGHT * dense + (1.0 - DENSE_WEIGHT) * lexical
        };
        let ids = candidates.keys().map(i64::to_string).collect::<Vec<_>>().join(",");
        // The ids are integers from our own tables, so formatting them into the query is safe.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT c.id, c.document_id, c.heading, c.text, d.path, d.title FROM chunks c
             JOIN documents d ON d.id = c.document_id WHERE c.id IN ({ids})"
        )))
        .fetch_all(self.db().pool())
        .await
        .map_err(|e| self.db().error(e))?;
        let mut best: HashMap<i64, SearchHit> = HashMap::new();
        for row in rows {
            let chunk_id: i64 = row.get(0);
            let c = &candidates[&chunk_id];
            let hit = SearchHit {
                document: row.get(4),
                document_id: row.get(1),
                title: row.get(5),
                score: fused(c),
                passage: row.get(3),
                heading: row.get(2),
                cosine: c.cosine,
                bm25: c.bm25,
                fts_rank: c.fts_rank.map(|r| r + 1),
                dense_rank: c.dense_rank.map(|r| r + 1),
            };
            match best.get(&hit.document_id) {
                Some(existing) if existing.score >= hit.score => {}
                _ => {
                    best.insert(hit.document_id, hit);
                }
            }
        }
        let mut hits: Vec<SearchHit> = best.into_values().collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.cosine.total_cmp(&a.cosine)));
        hits.truncate(limit);
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_words_and_drops_stopwords() {
        assert_eq!(fts_query("How do I reset my PASSWORD?").unwrap(), "\"reset\" OR \"password\"");
        assert_eq!(fts_query("\"); DROP TABLE x; --").unwrap(), "\"drop\" OR \"table\" OR \"x\"");
        assert!(fts_query("?? !!").is_none());
    }
}
