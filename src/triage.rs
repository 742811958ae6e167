//! Support triage: each incoming message is analysed, given a priority and the top suggested
//! articles, and stored in the inbox.
//!
//! Priority (0–100) = 100 × (0.6 × urgency + 0.4 × P(negative)), where urgency (0–1) comes from
//! the matched custom intent (set when the agent defines it) or else from the built-in intent
//! ([`builtin_urgency`]: fraud and a lost card 1.0, a blocked account 0.9, … small talk 0).
//! Angry messages about urgent matters rise to the top; greetings sink.

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::analysis::Analysis;
use crate::engine::Engine;
use crate::error::{Error, Result};

pub const URGENCY_WEIGHT: f32 = 0.6;
pub const NEGATIVITY_WEIGHT: f32 = 0.4;
/// Urgency of an in-scope intent that the table does not list, and of out-of-scope messages.
pub const DEFAULT_URGENCY: f32 = 0.2;
pub const SUGGESTIONS: usize = 3;

const URGENCY: &[(&str, f32)] = &[
    ("report_fraud", 1.0),
    ("report_lost_card", 1.0),
    ("account_blocked", 0.9),
    ("freeze_account", 0.85),
    ("damaged_card", 0.7),
    ("card_declined", 0.7),
    ("lost_luggage", 0.7),
    ("pin_change", 0.5),
    ("bill_due", 0.5),
    ("transactions", 0.45),
    ("replacement_card_duration", 0.4),
    ("new_card", 0.4),
    ("expiration_date", 0.35),
    ("direct_deposit", 0.35),
    ("transfer", 0.35),
    ("pay_bill", 0.35),
    ("min_payment", 0.3),
    ("credit_limit_change", 0.3),
    ("flight_status", 0.3),
    ("cancel_reservation", 0.3),
    ("greeting", 0.0),
    ("goodbye", 0.0),
    ("thank_you", 0.0),
    ("fun_fact", 0.0),
    ("tell_joke", 0.0),
    ("meaning_of_life", 0.0),
    ("are_you_a_bot", 0.0),
    ("what_is_your_name", 0.0),
    ("how_old_are_you", 0.0),
    ("who_made_you", 0.0),
    ("do_you_have_pets", 0.0),
    ("what_are_your_hobbies", 0.0),
    ("where_are_you_from", 0.0),
    ("yes", 0.0),
    ("no", 0.0),
    ("maybe", 0.0),
];

pub fn builtin_urgency(intent: &str) -> f32 {
    URGENCY.iter().find(|(name, _)| *name == intent).map_or(DEFAULT_URGENCY, |(_, u)| *u)
}

/// A message to triage, as read from a CSV row, a JSON line or a line of text.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IncomingMessage {
    pub text: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub received_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PriorityReason {
    pub urgency: f32,
    /// Which intent the urgency came from, and whether it is a custom one.
    pub urgency_from: String,
    pub custom: bool,
    pub negativity: f32,
    pub formula: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Suggestion {
    pub document: String,
    pub document_id: i64,
    pub title: String,
    pub score: f32,
    pub cosine: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboxItem {
    pub id: i64,
    pub external_id: Option<String>,
    pub sender: String,
    pub subject: String,
    pub text: String,
    pub received_at: String,
    pub intent: String,
    pub intent_score: f32,
    pub custom_intent: Option<String>,
    pub sentiment: String,
    pub sentiment_score: f32,
    pub priority: f32,
    pub reason: PriorityReason,
    pub suggestions: Vec<Suggestion>,
    pub handled: bool,
    pub source: String,
}

/// A message that could not be triaged, with why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rejected {
    pub line: usize,
    pub error: String,
}

pub fn priority(analysis: &Analysis) -> (f32, PriorityReason) {
    let negativity = analysis.sentiment.as_ref().map_or(0.0, |s| s.probability("negative"));
    let (urgency, urgency_from, custom) = match (&analysis.custom_intent, &analysis.intent) {
        (Some(c), _) => (c.urgency, c.label.clone(), true),
        (None, Some(i)) if i.out_of_scope => (DEFAULT_URGENCY, i.label.clone(), false),
        (None, Some(i)) => (builtin_urgency(&i.label), i.label.clone(), false),
        (None, None) => (DEFAULT_URGENCY, "unknown".into(), false),
    };
    let score = 100.0 * (URGENCY_WEIGHT * urgency + NEGATIVITY_WEIGHT * negativity);
    let formula = format!(
        "100 × ({URGENCY_WEIGHT} × urgency {urgency:.2} [{urgency_from}] + {NEGATIVITY_WEIGHT} × P(negative) {negativity:.2}) = {score:.1}"
    );
    (score, PriorityReason { urgency, urgency_from, custom, negativity, formula })
}

/// Reads messages from CSV (a `text`/`message`/`body` column), JSON lines, a JSON array, or
/// plain text (one message per non-empty line). Bad rows are returned beside the good ones.
pub fn parse_messages(content: &str) -> Result<(Vec<IncomingMessage>, Vec<Rejected>)> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let trimmed = content.trim_start();
    if trimmed.is_empty() {
        return Err(Error::invalid("no messages: the input is empty"));
    }
    if trimmed.starts_with('[') {
        let items: Vec<serde_json::Value> =
            serde_json::from_str(trimmed).map_err(|e| Error::invalid(format!("malformed JSON array: {e}")))?;
        return Ok(from_json_values(items.into_iter().enumerate().map(|(i, v)| (i + 1, Ok(v)))));
    }
    if trimmed.starts_with('{') {
        let lines = content.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        return Ok(from_json_values(lines.map(|(i, l)| (i + 1, serde_json::from_str(l).map_err(|e| e.to_string())))));
    }
    let first_line = trimmed.lines().next().unwrap_or_default().to_ascii_lowercase();
    let header: Vec<String> = first_line.split(',').map(|h| h.trim().trim_matches('"').to_string()).collect();
    if header.iter().any(|h| TEXT_KEYS.contains(&h.as_str())) {
        return parse_csv(trimmed);
    }
    let messages = content
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| IncomingMessage { text: l.to_string(), ..Default::default() })
        .collect();
    Ok((messages, Vec::new()))
}

const TEXT_KEYS: &[&str] = &["text", "message", "body", "content"];

fn field(fields: &[(String, String)], keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        fields.iter().find(|(n, v)| n.trim().eq_ignore_ascii_case(k) && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string())
    })
}

fn from_fields(fields: &[(String, String)]) -> std::result::Result<IncomingMessage, String> {
    let text = field(fields, TEXT_KEYS).ok_or("no text (expected a text, message, body or content field)")?;
    Ok(IncomingMessage {
        text,
        external_id: field(fields, &["id", "external_id", "ticket"]),
        sender: field(fields, &["from", "sender", "email", "author", "customer"]),
        subject: field(fields, &["subject", "title"]),
        received_at: field(fields, &["received_at", "date", "timestamp", "created_at"]),
    })
}

fn from_json_values(
    values: impl Iterator<Item = (usize, std::result::Result<serde_json::Value, String>)>,
) -> (Vec<IncomingMessage>, Vec<Rejected>) {
    let mut messages = Vec::new();
    let mut rejected = Vec::new();
    for (line, value) in values {
        let parsed = value.and_then(|v| {
            let object = v.as_object().ok_or("not a JSON object")?;
            let fields: Vec<(String, String)> = object
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map(str::to_string).unwrap_or_else(|| if v.is_null() { String::new() } else { v.to_string() }),
                    )
                })
                .collect();
            from_fields(&fields)
        });
        match parsed {
            Ok(m) => messages.push(m),
            Err(error) => rejected.push(Rejected { line, error }),
        }
    }
    (messages, rejected)
}

fn parse_csv(content: &str) -> Result<(Vec<IncomingMessage>, Vec<Rejected>)> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(content.as_bytes());
    let headers: Vec<String> =
        reader.headers().map_err(|e| Error::invalid(format!("malformed CSV: {e}")))?.iter().map(str::to_string).collect();
    let mut messages = Vec::new();
    let mut rejected = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        match record {
            Ok(r) => {
                let fields: Vec<(String, String)> = headers.iter().cloned().zip(r.iter().map(str::to_string)).collect();
                match from_fields(&fields) {
                    Ok(m) => messages.push(m),
                    Err(error) => rejected.push(Rejected { line, error: error.to_string() }),
                }
            }
            Err(e) => rejected.push(Rejected { line, error: format!("malformed CSV: {e}") }),
        }
    }
    Ok((messages, rejected))
}

/// Analyses, scores and stores messages; returns the stored items in input order, and the
/// messages refused (empty, too long) with their reasons.
pub async fn triage(engine: &Engine, messages: &[IncomingMessage], source: &str) -> Result<(Vec<InboxItem>, Vec<Rejected>)> {
    let texts: Vec<String> = messages.iter().map(|m| m.text.clone()).collect();
    let analyses = engine.analyze_many(&texts).await;
    let mut items = Vec::new();
    let mut rejected = Vec::new();
    for (i, (message, analysis)) in messages.iter().zip(analyses).enumerate() {
        let analysis = match analysis {
            Ok(a) => a,
            Err(e @ (Error::InvalidInput(_) | Error::Tokenizer(_))) => {
                rejected.push(Rejected { line: i + 1, error: e.to_string() });
                continue;
            }
            Err(e) => return Err(e),
        };
        let hits = engine.knowledge_base().search(&message.text, &analysis.embedding, SUGGESTIONS, engine.recorder()).await?;
        let suggestions: Vec<Suggestion> = hits
            .results
            .into_iter()
            .map(|h| Suggestion {
                document: h.document,
                document_id: h.document_id,
                title: h.title,
                score: h.score,
                cosine: h.cosine,
            })
            .collect();
        items.push(store(engine, message, &analysis, suggestions, source).await?);
    }
    Ok((items, rejected))
}

async fn store(
    engine: &Engine,
    message: &IncomingMessage,
    analysis: &Analysis,
    suggestions: Vec<Suggestion>,
    source: &str,
) -> Result<InboxItem> {
    let (priority, reason) = priority(analysis);
    let (intent, intent_score) = analysis.intent.as_ref().map_or(("unknown".to_string(), 0.0), |i| (i.label.clone(), i.score));
    let (sentiment, sentiment_score) =
        analysis.sentiment.as_ref().map_or(("unknown".to_string(), 0.0), |s| (s.label.clone(), s.score));
    let custom = analysis.custom_intent.as_ref().map(|c| c.label.clone());
    let db = engine.database();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO inbox (external_id, sender, subject, text, received_at, intent, intent_score, custom_intent, sentiment,
           sentiment_score, priority, priority_reason, suggestions, source)
         VALUES (?, ?, ?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&message.external_id)
    .bind(message.sender.as_deref().unwrap_or_default())
    .bind(message.subject.as_deref().unwrap_or_default())
    .bind(&message.text)
    .bind(&message.received_at)
    .bind(&intent)
    .bind(intent_score as f64)
    .bind(&custom)
    .bind(&sentiment)
    .bind(sentiment_score as f64)
    .bind(priority as f64)
    .bind(serde_json::to_string(&reason).unwrap_or_default())
    .bind(serde_json::to_string(&suggestions).unwrap_or_default())
    .bind(source)
    .fetch_one(db.pool())
    .await
    .map_err(|e| db.error(e))?;
    get(engine, id).await
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct InboxFilter {
    pub intent: Option<String>,
    pub sentiment: Option<String>,
    pub include_handled: bool,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

const COLUMNS: &str = "id, external_id, sender, subject, text, received_at, intent, intent_score, custom_intent, sentiment,
    sentiment_score, priority, priority_reason, suggestions, handled, source";

fn item(r: sqlx::sqlite::SqliteRow) -> InboxItem {
    InboxItem {
        id: r.get(0),
        external_id: r.get(1),
        sender: r.get(2),
        subject: r.get(3),
        text: r.get(4),
        received_at: r.get(5),
        intent: r.get(6),
        intent_score: r.get::<f64, _>(7) as f32,
        custom_intent: r.get(8),
        sentiment: r.get(9),
        sentiment_score: r.get::<f64, _>(10) as f32,
        priority: r.get::<f64, _>(11) as f32,
        reason: serde_json::from_str(&r.get::<String, _>(12)).unwrap_or(PriorityReason {
            urgency: 0.0,
            urgency_from: String::new(),
            custom: false,
            negativity: 0.0,
            formula: String::new(),
        }),
        suggestions: serde_json::from_str(&r.get::<String, _>(13)).unwrap_or_default(),
        handled: r.get::<i64, _>(14) != 0,
        source: r.get(15),
    }
}

/// The queue, most urgent first.
pub async fn list(engine: &Engine, filter: &InboxFilter) -> Result<Vec<InboxItem>> {
    let db = engine.database();
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM inbox
         WHERE (? IS NULL OR intent = ? OR custom_intent = ?) AND (? IS NULL OR sentiment = ?) AND (? OR handled = 0)
         ORDER BY handled, priority DESC, id LIMIT ? OFFSET ?"
    )))
    .bind(&filter.intent)
    .bind(&filter.intent)
    .bind(&filter.intent)
    .bind(&filter.sentiment)
    .bind(&filter.sentiment)
    .bind(filter.include_handled)
    .bind(filter.limit.unwrap_or(-1))
    .bind(filter.offset.unwrap_or(0))
    .fetch_all(db.pool())
    .await
    .map_err(|e| db.error(e))?;
    Ok(rows.into_iter().map(item).collect())
}

pub async fn get(engine: &Engine, id: i64) -> Result<InboxItem> {
    let db = engine.database();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM inbox WHERE id = ?")))
        .bind(id)
        .fetch_optional(db.pool())
        .await
        .map_err(|e| db.error(e))?
        .ok_or_else(|| Error::NotFound(format!("inbox message {id}")))?;
    Ok(item(row))
}

pub async fn set_handled(engine: &Engine, id: i64, handled: bool) -> Result<InboxItem> {
    let db = engine.database();
    let done = sqlx::query("UPDATE inbox SET handled = ? WHERE id = ?")
        .bind(handled)
        .bind(id)
        .execute(db.pool())
        .await
        .map_err(|e| db.error(e))?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("inbox message {id}")));
    }
    get(engine, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_csv_json_lines_and_plain_text() {
        let (m, r) = parse_messages("id,from,message\n1,a@x,Card stolen!\n2,b@x,\n").unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].external_id.as_deref(), Some("1"));
        assert_eq!(r.len(), 1);
        let (m, r) = parse_messages("{\"text\":\"hi\"}\n{\"oops\n{\"body\":\"help\"}\n").unwrap();
        assert_eq!((m.len(), r.len()), (2, 1));
        assert_eq!(r[0].line, 2);
        let (m, _) = parse_messages("hello there\n\nmy card is gone\n").unwrap();
        assert_eq!(m.len(), 2);
        assert!(parse_messages("  \n").is_err());
    }

    #[test]
    fn urgent_intents_outrank_small_talk() {
        assert!(builtin_urgency("report_fraud") > builtin_urgency("balance"));
        assert_eq!(builtin_urgency("greeting"), 0.0);
        assert_eq!(builtin_urgency("something_else"), DEFAULT_URGENCY);
    }
}
