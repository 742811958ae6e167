//! The knowledge base: articles, their passages with embeddings and an FTS5 index in SQLite,
//! and hybrid search over them.

pub mod chunk;
pub mod dense;
pub mod search;
pub mod source;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::db::Database;
use crate::error::{Error, Result};
use crate::vector;
pub use chunk::Passage;
pub use search::{SearchHit, SearchResults};
pub use source::{Article, Format};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentSummary {
    pub id: i64,
    pub document: String,
    pub title: String,
    pub format: String,
    pub chunks: i64,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    pub id: i64,
    pub document: String,
    pub title: String,
    pub body: String,
    pub format: String,
    pub updated_at: String,
    pub passages: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct KbStats {
    pub documents: i64,
    pub chunks: i64,
    /// Chunks embedded by another model than the one loaded: `kb reindex` fixes them.
    pub stale_chunks: i64,
}

/// A passage ready to store: its text and the model's embedding of it.
pub struct EmbeddedPassage {
    pub passage: Passage,
    pub embedding: Vec<f32>,
}

pub struct KnowledgeBase {
    db: Database,
    /// `name@version` of the model whose embeddings are searched.
    model_tag: String,
    /// Loaded by the first search, then kept in step with every write made through this value;
    /// reloaded when another process has written (see `migrations/0003_kb_version.sql`).
    dense: RwLock<Option<LoadedIndex>>,
    /// How many passages hold each word looked up so far (FTS5's vocabulary table counts them by
    /// walking the word's posting list, ~0.15 ms for a common word in 100k passages), and the
    /// knowledge-base version they were counted at.
    passage_counts: std::sync::Mutex<(i64, HashMap<String, usize>)>,
    /// Writes go one at a time, so that they reach the dense index in the order SQLite
    /// committed them.
    writing: tokio::sync::Mutex<()>,
}

struct LoadedIndex {
    /// The knowledge-base version the index reflects.
    version: i64,
    index: Arc<dense::DenseIndex>,
}

pub fn content_hash(article: &Article) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(article.title.as_bytes());
    h.update([0]);
    h.update(article.body.as_bytes());
    hex::encode(h.finalize())
}

impl KnowledgeBase {
    pub fn new(db: Database, model_tag: String) -> Self {
        Self { db, model_tag, dense: RwLock::new(None), passage_counts: Default::default(), writing: tokio::sync::Mutex::new(()) }
    }

    pub fn model_tag(&self) -> &str {
        &self.model_tag
    }

    /// The stored content hash of an article, if it is in the base.
    pub async fn stored_hash(&self, path: &str) -> Result<Option<(String, String)>> {
        let row = sqlx::query("SELECT content_hash, (SELECT model FROM chunks WHERE document_id = documents.id LIMIT 1) FROM documents WHERE path = ?")
            .bind(path)
            .fetch_optional(self.db.pool())
            .await
            .map_err(|e| self.db.error(e))?;
        Ok(row.map(|r| (r.get::<String, _>(0), r.get::<Option<String>, _>(1).unwrap_or_default())))
    }

    /// Inserts or replaces an article with its passages in one transaction: a failure leaves
    /// the previous version in place.
    pub async fn upsert(&self, article: &Article, root: &str, passages: &[EmbeddedPassage]) -> Result<i64> {
        let hash = content_hash(article);
        let _writing = self.writing.lock().await;
        let mut tx = self.db.pool().begin().await.map_err(|e| self.db.error(e))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO documents (path, title, body, format, content_hash, source_root) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT(path) DO UPDATE SET title = excluded.title, body = excluded.body, format = excluded.format,
               content_hash = excluded.content_hash, source_root = excluded.source_root,
               updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
             RETURNING id",
        )
        .bind(&article.path)
        .bind(&article.title)
        .bind(&article.body)
        .bind(article.format.as_str())
        .bind(&hash)
        .bind(root)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| self.db.error(e))?;
        let version = self.version_in(&mut *tx).await?;
        sqlx::query("DELETE FROM chunks WHERE document_id = ?").bind(id).execute(&mut *tx).await.map_err(|e| self.db.error(e))?;
        let mut chunk_ids = Vec::with_capacity(passages.len());
        for (ord, p) in passages.iter().enumerate() {
            let chunk_id: i64 = sqlx::query_scalar(
                "INSERT INTO chunks (document_id, ord, heading, text, embedding, model) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(id)
            .bind(ord as i64)
            .bind(&p.passage.heading)
            .bind(&p.passage.text)
            .bind(vector::to_bytes(&p.embedding))
            .bind(&self.model_tag)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| self.db.error(e))?;
            chunk_ids.push(chunk_id);
        }
        tx.commit().await.map_err(|e| self.db.error(e))?;
        self.written(version, |index| {
            index.remove_document(id);
            chunk_ids.iter().zip(passages).all(|(&chunk_id, p)| index.push(chunk_id, id, &p.embedding))
        });
        Ok(id)
    }

    pub async fn delete(&self, id: i64) -> Result<()> {
        let _writing = self.writing.lock().await;
        let mut tx = self.db.pool().begin().await.map_err(|e| self.db.error(e))?;
        let done =
            sqlx::query("DELETE FROM documents WHERE id = ?").bind(id).execute(&mut *tx).await.map_err(|e| self.db.error(e))?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound(format!("article {id}")));
        }
        let version = self.version_in(&mut *tx).await?;
        tx.commit().await.map_err(|e| self.db.error(e))?;
        self.written(version, |index| {
            index.remove_document(id);
            true
        });
        Ok(())
    }

    pub async fn list(&self, limit: i64, offset: i64) -> Result<Vec<DocumentSummary>> {
        let rows = sqlx::query(
            "SELECT d.id, d.path, d.title, d.format, (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id), d.updated_at
             FROM documents d ORDER BY d.path LIMIT ? OFFSET ?",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(self.db.pool())
        .await
        .map_err(|e| self.db.error(e))?;
        Ok(rows
            .into_iter()
            .map(|r| DocumentSummary {
                id: r.get(0),
                document: r.get(1),
                title: r.get(2),
                format: r.get(3),
                chunks: r.get(4),
                updated_at: r.get(5),
            })
            .collect())
    }

    /// An article by id or by its path.
    pub async fn get(&self, key: &str) -> Result<Document> {
        let id: Option<i64> = key.parse().ok();
        let row = sqlx::query("SELECT id, path, title, body, format, updated_at FROM documents WHERE id = ? OR path = ?")
            .bind(id.unwrap_or(-1))
            .bind(key)
            .fetch_optional(self.db.pool())
            .await
            .map_err(|e| self.db.error(e))?
            .ok_or_else(|| Error::NotFound(format!("article {key:?}")))?;
        let id: i64 = row.get(0);
        let passages = sqlx::query_scalar("SELECT text FROM chunks WHERE document_id = ? ORDER BY ord")
            .bind(id)
            .fetch_all(self.db.pool())
            .await
            .map_err(|e| self.db.error(e))?;
        Ok(Document {
            id,
            document: row.get(1),
            title: row.get(2),
            body: row.get(3),
            format: row.get(4),
            updated_at: row.get(5),
            passages,
        })
    }

    /// Every article, for re-indexing.
    pub async fn all_articles(&self) -> Result<Vec<(Article, String)>> {
        let rows = sqlx::query("SELECT path, title, body, format, source_root FROM documents ORDER BY id")
            .fetch_all(self.db.pool())
            .await
            .map_err(|e| self.db.error(e))?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let format = Format::from_name(&r.get::<String, _>(3));
                (Article { path: r.get(0), title: r.get(1), body: r.get(2), format }, r.get(4))
            })
            .collect())
    }

    pub async fn stats(&self) -> Result<KbStats> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM chunks), (SELECT COUNT(*) FROM chunks WHERE model != ?)",
        )
        .bind(&self.model_tag)
        .fetch_one(self.db.pool())
        .await
        .map_err(|e| self.db.error(e))?;
        Ok(KbStats { documents: row.get(0), chunks: row.get(1), stale_chunks: row.get(2) })
    }

    /// The knowledge base's version: it goes up by one with every article written or deleted,
    /// by any process.
    pub async fn version(&self) -> Result<i64> {
        self.version_in(self.db.pool()).await
    }

    /// The version as seen by `executor`: inside a transaction, that transaction's.
    async fn version_in(&self, executor: impl sqlx::SqliteExecutor<'_>) -> Result<i64> {
        sqlx::query_scalar("SELECT value FROM kb_version").fetch_one(executor).await.map_err(|e| self.db.error(e))
    }

    /// After a committed write of one article that brought the version to `version`: `apply`
    /// brings a loaded dense index in step with it. The index is dropped instead, to be reloaded
    /// by the next search, when it missed another write (another process's) or `apply` fails.
    fn written(&self, version: i64, apply: impl FnOnce(&mut dense::DenseIndex) -> bool) {
        let mut slot = self.dense.write().expect("dense index lock");
        let Some(loaded) = slot.as_mut() else { return };
        if loaded.version >= version {
            // Loaded after this write committed: it holds it already.
            return;
        }
        // Copies the rows only while a search still holds the previous index.
        if loaded.version == version - 1 && apply(Arc::make_mut(&mut loaded.index)) {
            loaded.version = version;
        } else {
            *slot = None;
        }
    }

    /// How many passages hold each of `words` (absent: none) at knowledge-base `version`, from
    /// the cache or FTS5's vocabulary.
    pub async fn passage_counts(&self, words: &[String], version: i64) -> Result<HashMap<String, usize>> {
        let mut out = HashMap::new();
        let mut missing = Vec::new();
        {
            // A search at an older version than the cache's (one racing a write) may use newer
            // counts: they only choose which words BM25 scores.
            let (counted_at, cache) = &mut *self.passage_counts.lock().expect("passage count lock");
            if *counted_at < version {
                cache.clear();
                *counted_at = version;
            }
            for w in words {
                match cache.get(w) {
                    Some(&n) => {
                        out.insert(w.clone(), n);
                    }
                    None => missing.push(w.clone()),
                }
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let placeholders = vec!["?"; missing.len()].join(",");
        let mut lookup = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(format!(
            "SELECT term, doc FROM chunks_fts_vocabulary WHERE term IN ({placeholders})"
        )));
        for w in &missing {
            lookup = lookup.bind(w);
        }
        let found = lookup.fetch_all(self.db.pool()).await.map_err(|e| self.db.error(e))?;
        for (term, n) in found {
            out.insert(term, n.max(0) as usize);
        }
        // Counts read after a later write are filed under `version` too; the first search at the
        // later version clears them.
        let (counted_at, cache) = &mut *self.passage_counts.lock().expect("passage count lock");
        if *counted_at == version {
            for w in missing {
                let n = out.get(&w).copied().unwrap_or(0);
                cache.insert(w, n);
            }
        }
        Ok(out)
    }

    /// The in-memory matrix of this model's chunk embeddings as of now.
    pub async fn dense_index(&self) -> Result<Arc<dense::DenseIndex>> {
        self.dense_index_at(self.version().await?).await
    }

    /// The in-memory matrix at knowledge-base `version` or later: the loaded one, or one loaded
    /// from SQLite if that one is older.
    pub async fn dense_index_at(&self, version: i64) -> Result<Arc<dense::DenseIndex>> {
        if let Some(loaded) = self.dense.read().expect("dense index lock").as_ref().filter(|l| l.version >= version) {
            return Ok(loaded.index.clone());
        }
        // The version and the rows from one snapshot.
        let mut tx = self.db.pool().begin().await.map_err(|e| self.db.error(e))?;
        let version = self.version_in(&mut *tx).await?;
        let rows = sqlx::query("SELECT id, document_id, embedding, model = ? FROM chunks ORDER BY id")
            .bind(&self.model_tag)
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| self.db.error(e))?;
        tx.rollback().await.map_err(|e| self.db.error(e))?;
        let mut index: Option<dense::DenseIndex> = None;
        for r in rows {
            // Chunks embedded by another model stay out until re-indexed.
            if !r.get::<bool, _>(3) {
                continue;
            }
            let bytes: Vec<u8> = r.get(2);
            let v = vector::from_bytes(&bytes);
            // The first vector sets the width; one of another width (a corrupt row) is left out.
            index.get_or_insert_with(|| dense::DenseIndex::new(v.len())).push(r.get(0), r.get(1), &v);
        }
        let index = Arc::new(index.unwrap_or_else(|| dense::DenseIndex::new(0)));
        let mut slot = self.dense.write().expect("dense index lock");
        if slot.as_ref().is_none_or(|l| l.version < version) {
            *slot = Some(LoadedIndex { version, index: index.clone() });
        }
        Ok(index)
    }

    pub fn db(&self) -> &Database {
        &self.db
    }
}
