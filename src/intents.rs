//! Custom intents defined by a few example phrases. Examples are embedded and stored in SQLite;
//! a message gets the intent whose centroid (mean example embedding) is closest, if that
//! similarity clears the threshold, and the nearest examples are reported as the reason.

use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::db::Database;
use crate::error::{Error, Result};
use crate::vector::{self, dot};

/// Cosine to an intent's centroid needed to claim a message. Centroids of 3–10 examples sit
/// closer to paraphrases than single examples do; 0.5 keeps unrelated messages out.
pub const DEFAULT_THRESHOLD: f32 = 0.5;
pub const MAX_EXAMPLES: usize = 200;
pub const MAX_NAME_CHARS: usize = 64;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomIntent {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub urgency: f32,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExampleMatch {
    pub text: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomIntentMatch {
    pub label: String,
    /// Cosine similarity to the intent's centroid.
    pub score: f32,
    pub urgency: f32,
    /// Whether the score clears the threshold (the intent is claimed).
    pub matched: bool,
    /// The examples of this intent closest to the message: why this intent.
    pub nearest: Vec<ExampleMatch>,
}

struct Prototype {
    name: String,
    urgency: f32,
    centroid: Vec<f32>,
    examples: Vec<(String, Vec<f32>)>,
}

/// The stored intents with their embeddings, cached until the next change.
pub struct IntentStore {
    db: Database,
    model_tag: String,
    cache: RwLock<Option<Arc<Vec<Prototype>>>>,
    pub threshold: f32,
}

pub fn validate_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(format!("intent name must be 1 to {MAX_NAME_CHARS} characters")));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid("intent name must not contain control characters"));
    }
    Ok(name.to_string())
}

impl IntentStore {
    pub fn new(db: Database, model_tag: String) -> Self {
        Self { db, model_tag, cache: RwLock::new(None), threshold: DEFAULT_THRESHOLD }
    }

    pub async fn list(&self) -> Result<Vec<CustomIntent>> {
        let rows = sqlx::query("SELECT id, name, description, urgency FROM intents ORDER BY name")
            .fetch_all(self.db.pool())
            .await
            .map_err(|e| self.db.error(e))?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.get(0);
            let examples = sqlx::query_scalar("SELECT text FROM intent_examples WHERE intent_id = ? ORDER BY id")
                .bind(id)
                .fetch_all(self.db.pool())
                .await
                .map_err(|e| self.db.error(e))?;
            out.push(CustomIntent { id, name: r.get(1), description: r.get(2), urgency: r.get::<f64, _>(3) as f32, examples });
        }
        Ok(out)
    }

    /// Adds examples to an intent, creating it if new. `examples` come with their embeddings.
    pub async fn add(
        &self,
        name: &str,
        description: &str,
        urgency: Option<f32>,
        examples: &[(String, Vec<f32>)],
    ) -> Result<CustomIntent> {
        let name = validate_name(name)?;
        if let Some(u) = urgency {
            if !(0.0..=1.0).contains(&u) {
                return Err(Error::invalid("urgency must be between 0 and 1"));
            }
        }
        let mut tx = self.db.pool().begin().await.map_err(|e| self.db.error(e))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO intents (name, description, urgency) VALUES (?, ?, COALESCE(?, 0.3))
             ON CONFLICT(name) DO UPDATE SET
               description = CASE WHEN excluded.description = '' THEN intents.description ELSE excluded.description END,
               urgency = COALESCE(?, intents.urgency)
             RETURNING id",
        )
        .bind(&name)
        .bind(description)
        .bind(urgency.map(f64::from))
        .bind(urgency.map(f64::from))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| self.db.error(e))?;
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM intent_examples WHERE intent_id = ?")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| self.db.error(e))?;
        if existing as usize + examples.len() > MAX_EXAMPLES {
            return Err(Error::invalid(format!("an intent holds at most {MAX_EXAMPLES} examples")));
        }
        for (text, embedding) in examples {
            sqlx::query("INSERT INTO intent_examples (intent_id, text, embedding, model) VALUES (?, ?, ?, ?)")
                .bind(id)
                .bind(text)
                .bind(vector::to_bytes(embedding))
                .bind(&self.model_tag)
                .execute(&mut *tx)
                .await
                .map_err(|e| self.db.error(e))?;
        }
        tx.commit().await.map_err(|e| self.db.error(e))?;
        self.invalidate();
        self.list().await?.into_iter().find(|i| i.id == id).ok_or_else(|| Error::NotFound(name))
    }

    pub async fn remove(&self, name: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM intents WHERE name = ?")
            .bind(name.trim())
            .execute(self.db.pool())
            .await
            .map_err(|e| self.db.error(e))?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound(format!("custom intent {name:?}")));
        }
        self.invalidate();
        Ok(())
    }

    /// Examples whose stored embedding came from another model (they need re-embedding).
    pub async fn stale_examples(&self) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT id, text FROM intent_examples WHERE model != ?")
            .bind(&self.model_tag)
            .fetch_all(self.db.pool())
            .await
            .map_err(|e| self.db.error(e))?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn update_embedding(&self, example_id: i64, embedding: &[f32]) -> Result<()> {
        sqlx::query("UPDATE intent_examples SET embedding = ?, model = ? WHERE id = ?")
            .bind(vector::to_bytes(embedding))
            .bind(&self.model_tag)
            .bind(example_id)
            .execute(self.db.pool())
            .await
            .map_err(|e| self.db.error(e))?;
        self.invalidate();
        Ok(())
    }

    fn invalidate(&self) {
        *self.cache.write().expect("intent cache lock") = None;
    }

    async fn prototypes(&self) -> Result<Arc<Vec<Prototype>>> {
        if let Some(p) = self.cache.read().expect("intent cache lock").clone() {
            return Ok(p);
        }
        let rows = sqlx::query(
            "SELECT i.name, i.urgency, e.text, e.embedding FROM intent_examples e JOIN intents i ON i.id = e.intent_id
             WHERE e.model = ? ORDER BY i.name, e.id",
        )
        .bind(&self.model_tag)
        .fetch_all(self.db.pool())
        .await
        .map_err(|e| self.db.error(e))?;
        let mut prototypes: Vec<Prototype> = Vec::new();
        for r in rows {
            let name: String = r.get(0);
            let embedding = vector::from_bytes(&r.get::<Vec<u8>, _>(3));
            if prototypes.last().is_none_or(|p| p.name != name) {
                prototypes.push(Prototype {
                    name,
                    urgency: r.get::<f64, _>(1) as f32,
                    centroid: Vec::new(),
                    examples: Vec::new(),
                });
            }
            prototypes.last_mut().expect("just pushed").examples.push((r.get(2), embedding));
        }
        for p in &mut prototypes {
            let dim = p.examples[0].1.len();
            let mut centroid = vec![0f32; dim];
            for (_, e) in &p.examples {
                centroid.iter_mut().zip(e).for_each(|(c, x)| *c += x);
            }
            vector::normalize(&mut centroid);
            p.centroid = centroid;
        }
        let prototypes = Arc::new(prototypes);
        *self.cache.write().expect("intent cache lock") = Some(prototypes.clone());
        Ok(prototypes)
    }

    /// Every intent ranked for this embedding, best first.
    pub async fn rank(&self, embedding: &[f32]) -> Result<Vec<CustomIntentMatch>> {
        let prototypes = self.prototypes().await?;
        let mut out: Vec<CustomIntentMatch> = prototypes
            .iter()
            .filter(|p| p.centroid.len() == embedding.len())
            .map(|p| {
                let score = dot(&p.centroid, embedding);
                let mut nearest: Vec<ExampleMatch> =
                    p.examples.iter().map(|(text, e)| ExampleMatch { text: text.clone(), score: dot(e, embedding) }).collect();
                nearest.sort_by(|a, b| b.score.total_cmp(&a.score));
                nearest.truncate(3);
                CustomIntentMatch { label: p.name.clone(), score, urgency: p.urgency, matched: score >= self.threshold, nearest }
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(out)
    }

    /// The claimed intent, if any clears the threshold.
    pub async fn classify(&self, embedding: &[f32]) -> Result<Option<CustomIntentMatch>> {
        Ok(self.rank(embedding).await?.into_iter().next().filter(|m| m.matched))
    }
}
