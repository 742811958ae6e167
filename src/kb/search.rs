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

use super::dense::DenseQuery;
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

/// Most passages the BM25 side of one search may score, summed over its words. FTS5 scores every
/// passage an OR query matches (about 2.3 µs each here: `bm25()` reads each passage's size and
/// positions), so in a large base one common word makes a search cost tens of milliseconds
/// (measured: 29 ms p50 over 100k generated passages with every word kept). Words are taken
/// rarest first while their passages fit the budget: the common words left out have a low IDF
/// and barely move the ranking, which the dense score leads anyway. Bases smaller than the budget
/// keep every word.
pub const POSTING_BUDGET: usize = 1_500;

/// The query's words: lowercased, deduplicated, stopwords left out.
pub fn query_words(text: &str) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let word = word.to_lowercase();
        if STOPWORDS.contains(&word.as_str()) || seen.contains(&word) {
            continue;
        }
        seen.push(word);
    }
    seen
}

/// An FTS5 query that ORs the words, each quoted so no user text is read as syntax.
pub fn fts_query_of(words: &[String]) -> Option<String> {
    if words.is_empty() {
        return None;
    }
    Some(words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" OR "))
}

/// An FTS5 query of all the text's words.
pub fn fts_query(text: &str) -> Option<String> {
    fts_query_of(&query_words(text))
}

/// The words worth a BM25 lookup, given how many passages hold each (`None`: not in the index,
/// e.g. a word with diacritics, which FTS5 folds; treated as rare): rarest first while their
/// passages fit [`POSTING_BUDGET`], and always the rarest one. Keeps the query's order.
pub fn prune_common_words(words: Vec<(String, Option<usize>)>, passages: usize) -> Vec<String> {
    if passages <= POSTING_BUDGET {
        return words.into_iter().map(|(w, _)| w).collect();
    }
    let mut by_rarity: Vec<usize> = (0..words.len()).collect();
    by_rarity.sort_by_key(|&i| words[i].1.unwrap_or(0));
    let mut keep = vec![false; words.len()];
    let mut postings = 0;
    for (n, i) in by_rarity.into_iter().enumerate() {
        let df = words[i].1.unwrap_or(0);
        if n == 0 || postings + df <= POSTING_BUDGET {
            keep[i] = true;
            postings += df;
        }
    }
    words.into_iter().zip(keep).filter(|(_, k)| *k).map(|((w, _), _)| w).collect()
}

struct Candidate {
    /// `None` for a passage the dense index does not hold (embedded by another model).
    document_id: Option<i64>,
    fts_rank: Option<usize>,
    bm25: Option<f32>,
    dense_rank: Option<usize>,
    cosine: f32,
}

impl KnowledgeBase {
    pub async fn search(&self, query: &str, embedding: &[f32], limit: usize, recorder: &Recorder) -> Result<SearchResults> {
        let mut candidates: HashMap<i64, Candidate> = HashMap::new();

        // Fetched once per search (a clone of an Arc, after one query of the knowledge-base
        // version); its time counts toward the dense stage.
        let loading = Instant::now();
        let version = self.version().await?;
        let index = self.dense_index_at(version).await?;
        let load_time = loading.elapsed();

        let started = Instant::now();
        if let Some(fts) = self.bm25_query(query, index.len(), version).await? {
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
                candidates.insert(
                    id,
                    Candidate {
                        document_id: None,
                        fts_rank: Some(rank),
                        bm25: Some(-score as f32),
                        dense_rank: None,
                        cosine: 0.0,
                    },
                );
            }
        }
        recorder.record(Stage::Fts, started.elapsed());

        let started = Instant::now();
        if !index.is_empty() && index.dim == embedding.len() {
            let dense_query = DenseQuery::new(embedding);
            for (rank, (row, cosine)) in index.top_k(&dense_query, CANDIDATES).into_iter().enumerate() {
                let c = candidates.entry(index.chunk_id(row)).or_insert(Candidate {
                    document_id: None,
                    fts_rank: None,
                    bm25: None,
                    dense_rank: None,
                    cosine,
                });
                c.dense_rank = Some(rank);
                c.cosine = cosine;
            }
            for (id, c) in candidates.iter_mut() {
                if let Some(row) = index.row_of(*id) {
                    c.document_id = Some(index.document_id(row));
                    if c.dense_rank.is_none() {
                        c.cosine = index.cosine(row, &dense_query);
                    }
                }
            }
        }
        recorder.record(Stage::Dense, started.elapsed() + load_time);

        let started = Instant::now();
        let results = self.fuse(candidates, limit).await?;
        recorder.record(Stage::Fusion, started.elapsed());
        Ok(SearchResults { query: query.to_string(), results })
    }

    /// The FTS5 query for `query`, without the words too common in this base to be worth
    /// scoring (see [`POSTING_BUDGET`]).
    async fn bm25_query(&self, query: &str, passages: usize, version: i64) -> Result<Option<String>> {
        let words = query_words(query);
        if passages <= POSTING_BUDGET || words.len() <= 1 {
            return Ok(fts_query_of(&words));
        }
        let counts = self.passage_counts(&words, version).await?;
        let with_counts = words
            .into_iter()
            .map(|w| {
                let df = counts.get(&w).copied();
                (w, df)
            })
            .collect();
        Ok(fts_query_of(&prune_common_words(with_counts, passages)))
    }

    /// Scores every candidate, keeps each document's best passage, and reads the text of the
    /// `limit` best only.
    async fn fuse(&self, mut candidates: HashMap<i64, Candidate>, limit: usize) -> Result<Vec<SearchHit>> {
        if candidates.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        // Passages outside the dense index (another model's, until re-indexed) need their
        // document from SQLite; usually there are none.
        let unknown: Vec<String> =
            candidates.iter().filter(|(_, c)| c.document_id.is_none()).map(|(id, _)| id.to_string()).collect();
        if !unknown.is_empty() {
            // The ids are integers from our own tables, so formatting them into the query is safe.
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT id, document_id FROM chunks WHERE id IN ({})",
                unknown.join(",")
            )))
            .fetch_all(self.db().pool())
            .await
            .map_err(|e| self.db().error(e))?;
            for row in rows {
                if let Some(c) = candidates.get_mut(&row.get::<i64, _>(0)) {
                    c.document_id = Some(row.get(1));
                }
            }
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
        let mut scored: Vec<(i64, f32, &Candidate)> = candidates
            .iter()
            .filter(|(_, c)| c.document_id.is_some()) // a passage deleted since the FTS query
            .map(|(&id, c)| (id, fused(c), c))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cosine.total_cmp(&a.2.cosine)).then(a.0.cmp(&b.0)));
        let mut chosen: Vec<(i64, f32, &Candidate)> = Vec::with_capacity(limit);
        for entry in scored {
            if chosen.len() == limit {
                break;
            }
            if !chosen.iter().any(|c| c.2.document_id == entry.2.document_id) {
                chosen.push(entry);
            }
        }
        let ids = chosen.iter().map(|c| c.0.to_string()).collect::<Vec<_>>().join(",");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT c.id, c.document_id, c.heading, c.text, d.path, d.title FROM chunks c
             JOIN documents d ON d.id = c.document_id WHERE c.id IN ({ids})"
        )))
        .fetch_all(self.db().pool())
        .await
        .map_err(|e| self.db().error(e))?;
        let mut by_id: HashMap<i64, sqlx::sqlite::SqliteRow> = rows.into_iter().map(|r| (r.get(0), r)).collect();
        Ok(chosen
            .into_iter()
            .filter_map(|(id, score, c)| {
                let row = by_id.remove(&id)?;
                Some(SearchHit {
                    document: row.get(4),
                    document_id: row.get(1),
                    title: row.get(5),
                    score,
                    passage: row.get(3),
                    heading: row.get(2),
                    cosine: c.cosine,
                    bm25: c.bm25,
                    fts_rank: c.fts_rank.map(|r| r + 1),
                    dense_rank: c.dense_rank.map(|r| r + 1),
                })
            })
            .collect())
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

    #[test]
    fn common_words_leave_the_bm25_query_of_a_large_base_only() {
        let words = |dfs: &[(&str, Option<usize>)]| dfs.iter().map(|(w, d)| (w.to_string(), *d)).collect::<Vec<_>>();
        let query =
            words(&[("card", Some(9_000)), ("blocked", Some(300)), ("abroad", Some(40)), ("café", None), ("pin", Some(1_400))]);
        // 100k passages: "card" and then "pin" would pass the budget and go; the rest stay, in order.
        assert_eq!(prune_common_words(query.clone(), 100_000), vec!["blocked", "abroad", "café"]);
        // A small base keeps every word.
        assert_eq!(prune_common_words(query, 1_000).len(), 5);
        // All common: the rarest stays.
        let common = words(&[("account", Some(30_000)), ("card", Some(9_000)), ("payment", Some(12_000))]);
        assert_eq!(prune_common_words(common, 100_000), vec!["card"]);
    }
}
