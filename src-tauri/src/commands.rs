//! Tauri commands: each checks its input and calls the core library; no product logic lives
//! here. Errors reach the UI as the core's readable message.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use serde::Serialize;
use squeezedesk::analysis::Analysis;
use squeezedesk::chat::{self, ChatEvent, ChatMessage, Conversation};
use squeezedesk::engine::{EngineStatus, ImportEvent, ImportSummary};
use squeezedesk::intents::{CustomIntent, CustomIntentMatch};
use squeezedesk::kb::{Article, Document, DocumentSummary, Format, KbStats, SearchResults};
use squeezedesk::model::manifest::{self, Manifest, MissingFeature};
use squeezedesk::triage::{self, InboxFilter, InboxItem, Rejected};
use tauri::ipc::Channel;
use tauri::State;

use crate::state::{AppState, Settings};

type CommandResult<T> = Result<T, String>;

const MAX_LIMIT: i64 = 1000;
const MAX_PATH_CHARS: usize = 4096;
const MAX_INBOX_BYTES: usize = 20 * 1024 * 1024;
const MAX_EXAMPLE_CHARS: usize = 1000;

fn text_error(e: impl ToString) -> String {
    e.to_string()
}

fn check_limit(limit: i64, offset: i64) -> CommandResult<()> {
    if !(1..=MAX_LIMIT).contains(&limit) || offset < 0 {
        return Err(format!("limit must be 1..={MAX_LIMIT} and offset at least 0"));
    }
    Ok(())
}

/// A folder path from the UI: absolute, not absurdly long, an existing directory.
fn check_folder(dir: &str) -> CommandResult<PathBuf> {
    if dir.len() > MAX_PATH_CHARS || dir.contains('\0') {
        return Err("the folder path is not valid".into());
    }
    let path = PathBuf::from(dir.trim());
    if !path.is_absolute() {
        return Err(format!("give the folder as an absolute path (got {dir:?})"));
    }
    if !path.is_dir() {
        return Err(format!("{} is not a folder", path.display()));
    }
    Ok(path)
}

#[tauri::command]
pub async fn analyze(state: State<'_, AppState>, text: String) -> CommandResult<Analysis> {
    let engine = state.engine().await?;
    let mut analysis = engine.analyze(&text).await.map_err(text_error)?;
    analysis.embedding.clear();
    Ok(analysis)
}

#[tauri::command]
pub async fn chat_send(
    state: State<'_, AppState>,
    conversation_id: Option<i64>,
    text: String,
    on_event: Channel<ChatEvent>,
) -> CommandResult<()> {
    let engine = state.engine().await?;
    let mut stream = Box::pin(chat::chat(engine, conversation_id, text));
    while let Some(mut event) = stream.next().await {
        if let ChatEvent::Analysis { analysis } = &mut event {
            analysis.embedding.clear();
        }
        on_event.send(event).map_err(text_error)?;
    }
    Ok(())
}

#[tauri::command]
pub async fn conversations_list(state: State<'_, AppState>) -> CommandResult<Vec<Conversation>> {
    chat::list_conversations(&*state.engine().await?).await.map_err(text_error)
}

#[derive(Serialize)]
pub struct ConversationWithMessages {
    conversation: Conversation,
    messages: Vec<ChatMessage>,
}

#[tauri::command]
pub async fn conversation_get(state: State<'_, AppState>, id: i64) -> CommandResult<ConversationWithMessages> {
    let (conversation, messages) = chat::messages(&*state.engine().await?, id).await.map_err(text_error)?;
    Ok(ConversationWithMessages { conversation, messages })
}

#[derive(Serialize)]
pub struct SavedExport {
    content: String,
    /// The file it was written to.
    path: String,
}

/// Exports a conversation to a new file in the export folder (the user's downloads by default).
#[tauri::command]
pub async fn conversation_export(state: State<'_, AppState>, id: i64, format: String) -> CommandResult<SavedExport> {
    let format = chat::ExportFormat::from_name(&format).map_err(text_error)?;
    let content = chat::export(&*state.engine().await?, id, format).await.map_err(text_error)?;
    let path = chat::save_export(&state.export_dir, id, format, &content).map_err(text_error)?;
    Ok(SavedExport { content, path: path.display().to_string() })
}

#[tauri::command]
pub async fn conversation_delete(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    chat::delete_conversation(&*state.engine().await?, id).await.map_err(text_error)
}

#[tauri::command]
pub async fn kb_import(state: State<'_, AppState>, dir: String, on_event: Channel<ImportEvent>) -> CommandResult<ImportSummary> {
    let dir = check_folder(&dir)?;
    let engine = state.engine().await?;
    engine
        .import_folder(&dir, |event| {
            // A closed channel means the window went away; the import still finishes.
            let _ = on_event.send(event.clone());
        })
        .await
        .map_err(text_error)
}

#[tauri::command]
pub async fn kb_list(state: State<'_, AppState>, limit: i64, offset: i64) -> CommandResult<Vec<DocumentSummary>> {
    check_limit(limit, offset)?;
    state.engine().await?.knowledge_base().list(limit, offset).await.map_err(text_error)
}

#[tauri::command]
pub async fn kb_search(state: State<'_, AppState>, query: String, limit: i64) -> CommandResult<SearchResults> {
    check_limit(limit, 0)?;
    state.engine().await?.search(&query, limit as usize).await.map_err(text_error)
}

#[tauri::command]
pub async fn kb_get(state: State<'_, AppState>, key: String) -> CommandResult<Document> {
    if key.len() > MAX_PATH_CHARS {
        return Err("article key too long".into());
    }
    state.engine().await?.knowledge_base().get(&key).await.map_err(text_error)
}

#[tauri::command]
pub async fn kb_save(
    state: State<'_, AppState>,
    path: String,
    title: String,
    body: String,
    format: Format,
) -> CommandResult<Document> {
    if path.trim().is_empty() || path.len() > MAX_PATH_CHARS {
        return Err("an article needs a path of at most 4096 characters".into());
    }
    if title.chars().count() > 500 {
        return Err("the title is longer than 500 characters".into());
    }
    let article = Article { path, title, body, format };
    state.engine().await?.save_article(article).await.map_err(text_error)
}

#[tauri::command]
pub async fn kb_delete(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    state.engine().await?.knowledge_base().delete(id).await.map_err(text_error)
}

#[derive(Clone, Serialize)]
pub struct ReindexProgress {
    done: usize,
    total: usize,
    path: String,
}

#[tauri::command]
pub async fn kb_reindex(state: State<'_, AppState>, on_event: Channel<ReindexProgress>) -> CommandResult<usize> {
    let engine = state.engine().await?;
    engine
        .reindex(|done, total, path| {
            let _ = on_event.send(ReindexProgress { done, total, path: path.to_string() });
        })
        .await
        .map_err(text_error)
}

#[tauri::command]
pub async fn kb_stats(state: State<'_, AppState>) -> CommandResult<KbStats> {
    state.engine().await?.knowledge_base().stats().await.map_err(text_error)
}

#[derive(Serialize)]
pub struct TriageReport {
    items: Vec<InboxItem>,
    rejected: Vec<Rejected>,
}

#[tauri::command]
pub async fn inbox_import(state: State<'_, AppState>, content: String, source: String) -> CommandResult<TriageReport> {
    if content.len() > MAX_INBOX_BYTES {
        return Err(format!("the file is too large ({} bytes; the limit is {MAX_INBOX_BYTES})", content.len()));
    }
    let source: String = source.chars().take(256).collect();
    let engine = state.engine().await?;
    let (messages, mut rejected) = triage::parse_messages(&content).map_err(text_error)?;
    let (items, refused) = triage::triage(&engine, &messages, &source).await.map_err(text_error)?;
    rejected.extend(refused);
    Ok(TriageReport { items, rejected })
}

#[tauri::command]
pub async fn inbox_list(state: State<'_, AppState>, filter: InboxFilter) -> CommandResult<Vec<InboxItem>> {
    if let Some(limit) = filter.limit {
        check_limit(limit.min(MAX_LIMIT), filter.offset.unwrap_or(0))?;
    }
    triage::list(&*state.engine().await?, &filter).await.map_err(text_error)
}

#[tauri::command]
pub async fn inbox_set_handled(state: State<'_, AppState>, id: i64, handled: bool) -> CommandResult<InboxItem> {
    triage::set_handled(&*state.engine().await?, id, handled).await.map_err(text_error)
}

#[tauri::command]
pub async fn intents_list(state: State<'_, AppState>) -> CommandResult<Vec<CustomIntent>> {
    state.engine().await?.intent_store().list().await.map_err(text_error)
}

#[tauri::command]
pub async fn intents_builtin(state: State<'_, AppState>) -> CommandResult<Vec<String>> {
    let engine = state.engine().await?;
    Ok(engine.manifest().heads.intent.as_ref().map(|h| h.labels.clone()).unwrap_or_default())
}

#[tauri::command]
pub async fn intents_add(
    state: State<'_, AppState>,
    name: String,
    description: String,
    urgency: Option<f32>,
    examples: Vec<String>,
) -> CommandResult<CustomIntent> {
    if examples.len() > squeezedesk::intents::MAX_EXAMPLES || examples.iter().any(|e| e.chars().count() > MAX_EXAMPLE_CHARS) {
        return Err(format!(
            "at most {} examples of at most {MAX_EXAMPLE_CHARS} characters each",
            squeezedesk::intents::MAX_EXAMPLES
        ));
    }
    state.engine().await?.add_intent(&name, &description, urgency, &examples).await.map_err(text_error)
}

#[tauri::command]
pub async fn intents_remove(state: State<'_, AppState>, name: String) -> CommandResult<()> {
    state.engine().await?.intent_store().remove(&name).await.map_err(text_error)
}

#[tauri::command]
pub async fn intents_test(state: State<'_, AppState>, text: String) -> CommandResult<Vec<CustomIntentMatch>> {
    state.engine().await?.explain_intents(&text).await.map_err(text_error)
}

#[tauri::command]
pub async fn status(state: State<'_, AppState>, recent: usize) -> CommandResult<EngineStatus> {
    Ok(state.engine().await?.status(recent.min(4096)))
}

#[tauri::command]
pub async fn bench_run(
    state: State<'_, AppState>,
    on_event: Channel<squeezedesk::bench::BenchEvent>,
) -> CommandResult<squeezedesk::bench::BenchReport> {
    let engine = state.engine().await?;
    squeezedesk::bench::run_in_app(&engine, |event| {
        let _ = on_event.send(event.clone());
    })
    .await
    .map_err(text_error)
}

#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> CommandResult<Settings> {
    Ok(Settings::from_config(&state.config().await))
}

#[tauri::command]
pub async fn settings_apply(state: State<'_, AppState>, settings: Settings) -> CommandResult<EngineStatus> {
    if settings.threads > 256 {
        return Err("threads must be at most 256".into());
    }
    for path in [&settings.database, &settings.model_dir] {
        if path.len() > MAX_PATH_CHARS || !Path::new(path).is_absolute() {
            return Err(format!("{path:?} must be an absolute path"));
        }
    }
    let config = settings.apply_to(&state.config().await);
    let engine = state.reconfigure(config).await?;
    Ok(engine.status(0))
}

#[derive(Serialize)]
pub struct ModelEntry {
    dir: String,
    manifest: Option<Manifest>,
    /// What the model cannot do (heads it lacks); empty when unusable.
    missing_features: Vec<MissingFeature>,
    error: Option<String>,
    active: bool,
}

#[tauri::command]
pub async fn models_list(state: State<'_, AppState>) -> CommandResult<Vec<ModelEntry>> {
    let active = state.config().await.model_dir;
    let root = active.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(manifest::discover(&root)
        .into_iter()
        .map(|(dir, manifest)| {
            let is_active = dir == active;
            let (manifest, error) = match manifest {
                Ok(m) => (Some(m), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let missing_features = manifest.as_ref().map(Manifest::missing_features).unwrap_or_default();
            ModelEntry { dir: dir.display().to_string(), manifest, missing_features, error, active: is_active }
        })
        .collect())
}
