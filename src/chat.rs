//! Grounded answers as a stream of events: the analysis of the message, the sources found,
//! the answer text piece by piece, then done. Answers are extractive: the sentences of the best
//! passages closest to the question, each with its numbered citation. When nothing relevant is
//! found, the answer says so instead of inventing one.

use std::sync::Arc;
use std::time::Instant;

use futures::Stream;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use crate::analysis::Analysis;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::kb::chunk::sentences;
use crate::kb::SearchHit;
use crate::profile::Stage;
use crate::vector::dot;

/// Cosine between question and passage under which a passage is not cited.
pub const MIN_PASSAGE_COSINE: f32 = 0.35;
/// A passage matched by words (BM25) may be a little less close in meaning.
pub const MIN_PASSAGE_COSINE_WITH_WORDS: f32 = 0.25;
/// Cosine between question and sentence under which a sentence is not quoted.
pub const MIN_SENTENCE_COSINE: f32 = 0.2;
pub const MAX_SOURCES: usize = 3;
/// A source is cited only if it is about as close to the question as the best one.
pub const SOURCE_COSINE_SPREAD: f32 = 0.15;
pub const MAX_SENTENCES: usize = 4;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Citation {
    /// The number used in the answer text: `[1]`.
    pub n: usize,
    pub document: String,
    pub document_id: i64,
    pub title: String,
    pub passage: String,
    pub score: f32,
    pub cosine: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatEvent {
    Started { conversation_id: i64, message_id: i64 },
    Analysis { analysis: Box<Analysis> },
    Sources { sources: Vec<Citation> },
    Delta { text: String },
    Done { message_id: i64, text: String, grounded: bool, elapsed_ms: f64 },
    Error { message: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conversation {
    pub id: i64,
    pub title: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: i64,
    pub role: String,
    pub content: String,
    pub analysis: Option<serde_json::Value>,
    pub sources: Option<Vec<Citation>>,
    pub created_at: String,
}

/// Built-in intents answered with a short reply when the knowledge base has nothing.
const SMALL_TALK: &[(&str, &str)] = &[
    ("greeting", "Hello! Ask me anything the knowledge base covers."),
    ("goodbye", "Goodbye! Come back any time."),
    ("thank_you", "You're welcome!"),
    ("are_you_a_bot", "I'm SqueezeDesk, an offline assistant that answers from your knowledge base."),
    ("what_is_your_name", "I'm SqueezeDesk, an offline assistant that answers from your knowledge base."),
];

pub fn chat(engine: Arc<Engine>, conversation_id: Option<i64>, text: String) -> impl Stream<Item = ChatEvent> {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(async move {
        if let Err(e) = answer(&engine, conversation_id, &text, &tx).await {
            let _ = tx.send(ChatEvent::Error { message: e.to_string() }).await;
        }
    });
    ReceiverStream::new(rx)
}

async fn answer(engine: &Engine, conversation_id: Option<i64>, text: &str, tx: &mpsc::Sender<ChatEvent>) -> Result<()> {
    let started = Instant::now();
    // Validate before anything is stored, so a refused message leaves no trace.
    crate::model::tokenize::check_text(text)?;
    let analysis = engine.analyze(text).await?;
    let db = engine.database();
    let conversation_id = match conversation_id {
        Some(id) => {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM conversations WHERE id = ?")
                .bind(id)
                .fetch_optional(db.pool())
                .await
                .map_err(|e| db.error(e))?;
            exists.ok_or_else(|| Error::NotFound(format!("conversation {id}")))?
        }
        None => {
            let title: String = text.trim().chars().take(60).collect();
            sqlx::query_scalar("INSERT INTO conversations (title) VALUES (?) RETURNING id")
                .bind(title)
                .fetch_one(db.pool())
                .await
                .map_err(|e| db.error(e))?
        }
    };
    let analysis_json = serde_json::to_string(&analysis).ok();
    let message_id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, role, content, analysis) VALUES (?, 'user', ?, ?) RETURNING id",
    )
    .bind(conversation_id)
    .bind(text)
    .bind(analysis_json)
    .fetch_one(db.pool())
    .await
    .map_err(|e| db.error(e))?;
    send(tx, ChatEvent::Started { conversation_id, message_id }).await;
    send(tx, ChatEvent::Analysis { analysis: Box::new(analysis.clone()) }).await;

    let hits = engine.knowledge_base().search(text, &analysis.embedding, 8, engine.recorder()).await?.results;
    let best_cosine = hits.iter().map(|h| h.cosine).fold(0f32, f32::max);
    let relevant: Vec<&SearchHit> = hits
        .iter()
        .filter(|h| h.cosine >= MIN_PASSAGE_COSINE || (h.bm25.is_some() && h.cosine >= MIN_PASSAGE_COSINE_WITH_WORDS))
        .filter(|h| h.cosine >= best_cosine - SOURCE_COSINE_SPREAD)
        .take(MAX_SOURCES)
        .collect();
    let sources: Vec<Citation> = relevant
        .iter()
        .enumerate()
        .map(|(i, h)| Citation {
            n: i + 1,
            document: h.document.clone(),
            document_id: h.document_id,
            title: h.title.clone(),
            passage: h.passage.clone(),
            score: h.score,
            cosine: h.cosine,
        })
        .collect();
    send(tx, ChatEvent::Sources { sources: sources.clone() }).await;

    let compose_started = Instant::now();
    let mut answer_text = String::new();
    let grounded = !sources.is_empty();
    if grounded {
        let picked = pick_sentences(engine, &analysis.embedding, &sources).await?;
        for (i, (n, sentence)) in picked.iter().enumerate() {
            let piece = if i == 0 { format!("{sentence} [{n}]") } else { format!(" {sentence} [{n}]") };
            answer_text.push_str(&piece);
            send(tx, ChatEvent::Delta { text: piece }).await;
        }
    } else {
        let small_talk = analysis
            .intent
            .as_ref()
            .and_then(|i| SMALL_TALK.iter().find(|(label, _)| *label == i.label))
            .map(|(_, reply)| reply.to_string());
        answer_text = small_talk.unwrap_or_else(|| {
            "I couldn't find anything about that in the knowledge base, so I won't guess. \
             Try rephrasing, or import articles that cover it."
                .to_string()
        });
        for word in answer_text.split_inclusive(' ') {
            send(tx, ChatEvent::Delta { text: word.to_string() }).await;
        }
    }
    engine.recorder().record(Stage::Compose, compose_started.elapsed());

    let sources_json = serde_json::to_string(&sources).ok();
    let answer_id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (conversation_id, role, content, sources) VALUES (?, 'assistant', ?, ?) RETURNING id",
    )
    .bind(conversation_id)
    .bind(&answer_text)
    .bind(sources_json)
    .fetch_one(db.pool())
    .await
    .map_err(|e| db.error(e))?;
    sqlx::query("UPDATE conversations SET updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?")
        .bind(conversation_id)
        .execute(db.pool())
        .await
        .map_err(|e| db.error(e))?;
    send(
        tx,
        ChatEvent::Done { message_id: answer_id, text: answer_text, grounded, elapsed_ms: started.elapsed().as_secs_f64() * 1e3 },
    )
    .await;
    Ok(())
}

async fn send(tx: &mpsc::Sender<ChatEvent>, event: ChatEvent) {
    // A closed receiver means the listener went away; the answer is still stored.
    let _ = tx.send(event).await;
}

/// Passages of one cited article considered for the answer: enough for a long FAQ entry, few
/// enough that embedding their sentences stays a single small batch.
const MAX_PASSAGES_PER_SOURCE: usize = 6;

/// The sentences of the cited articles closest in meaning to the question, in the order they
/// appear in their sources, each with its citation number. The whole article is considered, not
/// only the passage that ranked best: the step that answers the question is often beside it.
async fn pick_sentences(engine: &Engine, question: &[f32], sources: &[Citation]) -> Result<Vec<(usize, String)>> {
    let mut candidates: Vec<(usize, usize, String)> = Vec::new();
    for source in sources {
        let passages = engine.knowledge_base().get(&source.document_id.to_string()).await?.passages;
        let text = passages.into_iter().take(MAX_PASSAGES_PER_SOURCE).collect::<Vec<_>>().join("\n");
        for (pos, s) in sentences(&text).into_iter().enumerate() {
            if s.split_whitespace().count() >= 3 {
                candidates.push((source.n, pos, s.to_string()));
            }
        }
    }
    let embeddings = futures::future::try_join_all(candidates.iter().map(|(_, _, s)| engine.embed(s))).await?;
    let mut scored: Vec<(f32, usize, usize, String)> =
        candidates.into_iter().zip(embeddings).map(|((n, pos, s), e)| (dot(&e, question), n, pos, s)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let best = scored.first().map_or(0.0, |s| s.0);
    let mut picked: Vec<(f32, usize, usize, String)> = scored
        .into_iter()
        .enumerate()
        .filter(|(rank, s)| *rank == 0 || (s.0 >= MIN_SENTENCE_COSINE && s.0 >= best - 0.25))
        .map(|(_, s)| s)
        .take(MAX_SENTENCES)
        .collect();
    if picked.is_empty() {
        // Sentences too short to score: quote the best passage itself.
        return Ok(vec![(sources[0].n, sources[0].passage.clone())]);
    }
    picked.sort_by_key(|s| (s.1, s.2));
    Ok(picked.into_iter().map(|(_, n, _, s)| (n, s)).collect())
}

pub async fn list_conversations(engine: &Engine) -> Result<Vec<Conversation>> {
    let db = engine.database();
    let rows = sqlx::query("SELECT id, title, created_at, updated_at FROM conversations ORDER BY updated_at DESC, id DESC")
        .fetch_all(db.pool())
        .await
        .map_err(|e| db.error(e))?;
    Ok(rows
        .into_iter()
        .map(|r| Conversation { id: r.get(0), title: r.get(1), created_at: r.get(2), updated_at: r.get(3) })
        .collect())
}

pub async fn messages(engine: &Engine, conversation_id: i64) -> Result<(Conversation, Vec<ChatMessage>)> {
    let db = engine.database();
    let conversation = sqlx::query("SELECT id, title, created_at, updated_at FROM conversations WHERE id = ?")
        .bind(conversation_id)
        .fetch_optional(db.pool())
        .await
        .map_err(|e| db.error(e))?
        .map(|r| Conversation { id: r.get(0), title: r.get(1), created_at: r.get(2), updated_at: r.get(3) })
        .ok_or_else(|| Error::NotFound(format!("conversation {conversation_id}")))?;
    let rows = sqlx::query(
        "SELECT id, role, content, analysis, sources, created_at FROM messages WHERE conversation_id = ? ORDER BY id",
    )
    .bind(conversation_id)
    .fetch_all(db.pool())
    .await
    .map_err(|e| db.error(e))?;
    let messages = rows
        .into_iter()
        .map(|r| ChatMessage {
            id: r.get(0),
            role: r.get(1),
            content: r.get(2),
            analysis: r.get::<Option<String>, _>(3).and_then(|s| serde_json::from_str(&s).ok()),
            sources: r.get::<Option<String>, _>(4).and_then(|s| serde_json::from_str(&s).ok()),
            created_at: r.get(5),
        })
        .collect();
    Ok((conversation, messages))
}

pub async fn delete_conversation(engine: &Engine, conversation_id: i64) -> Result<()> {
    let db = engine.database();
    let done = sqlx::query("DELETE FROM conversations WHERE id = ?")
        .bind(conversation_id)
        .execute(db.pool())
        .await
        .map_err(|e| db.error(e))?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("conversation {conversation_id}")));
    }
    Ok(())
}

/// How a conversation is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Readable, with each answer's sources under it.
    Md,
    /// The conversation and its messages as stored, analyses and citations included.
    Json,
}

impl ExportFormat {
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "md" => Ok(Self::Md),
            "json" => Ok(Self::Json),
            other => Err(Error::invalid(format!("unknown export format {other:?} (md or json)"))),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Md => "md",
            Self::Json => "json",
        }
    }
}

/// A conversation in `format`.
pub async fn export(engine: &Engine, conversation_id: i64, format: ExportFormat) -> Result<String> {
    let (conversation, messages) = messages(engine, conversation_id).await?;
    Ok(match format {
        ExportFormat::Md => to_markdown(&conversation, &messages),
        ExportFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({ "conversation": conversation, "messages": messages }))
                .map_err(|e| Error::invalid(format!("conversation {conversation_id} as JSON: {e}")))?
                + "\n"
        }
    })
}

/// Writes an export into `dir` (created if missing) as `conversation-<id>.<ext>`, or
/// `conversation-<id> (2).<ext>` and so on: an earlier export is never overwritten.
pub fn save_export(
    dir: &std::path::Path,
    conversation_id: i64,
    format: ExportFormat,
    content: &str,
) -> Result<std::path::PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let mut n = 1;
    loop {
        let name = match n {
            1 => format!("conversation-{conversation_id}.{}", format.extension()),
            n => format!("conversation-{conversation_id} ({n}).{}", format.extension()),
        };
        let path = dir.join(name);
        // `create_new` rather than a check then a write: two exports at once get two files.
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut file) => {
                file.write_all(content.as_bytes()).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(Error::io(format!("creating {}", path.display()), e)),
        }
    }
}

/// A conversation as Markdown, with each answer's sources listed under it.
pub fn to_markdown(conversation: &Conversation, messages: &[ChatMessage]) -> String {
    let mut out = format!("# {}\n\n_{}_\n\n", conversation.title, conversation.created_at);
    for m in messages {
        let who = if m.role == "user" { "You" } else { "SqueezeDesk" };
        out.push_str(&format!("**{who}:** {}\n\n", m.content));
        if let Some(sources) = m.sources.as_ref().filter(|s| !s.is_empty()) {
            for s in sources {
                out.push_str(&format!("- [{}] {} (`{}`)\n", s.n, s.title, s.document));
            }
            out.push('\n');
        }
    }
    out
}
