//! Reading a folder into articles: Markdown and text files are one article each; CSV files and
//! JSON arrays / JSON lines are one article per row. A file that cannot be read is reported
//! with the reason and skipped; the rest of the folder still imports.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Files larger than this are refused (they are not articles).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

const TITLE_KEYS: &[&str] = &["title", "question", "name", "subject", "heading", "topic"];
const BODY_KEYS: &[&str] = &["body", "content", "text", "answer", "description", "article", "markdown"];
const ID_KEYS: &[&str] = &["id", "slug", "key"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Markdown,
    Text,
    Csv,
    Json,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "md" | "markdown" => Some(Format::Markdown),
            "txt" | "text" => Some(Format::Text),
            "csv" => Some(Format::Csv),
            "json" | "jsonl" | "ndjson" => Some(Format::Json),
            _ => None,
        }
    }

    /// The inverse of [`Format::as_str`]; unknown names read as plain text.
    pub fn from_name(name: &str) -> Self {
        match name {
            "markdown" => Format::Markdown,
            "csv" => Format::Csv,
            "json" => Format::Json,
            _ => Format::Text,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "markdown",
            Format::Text => "text",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// One article as read from disk, before chunking.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Relative to the imported folder, `/`-separated; `file.csv#3` for rows.
    pub path: String,
    pub title: String,
    pub body: String,
    pub format: Format,
}

/// The files of a folder that have a known format, sorted for a stable import order.
pub fn list_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    if !root.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{} is not a folder", root.display())));
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.into_path())
        .filter(|p| Format::from_path(p).is_some())
        .collect();
    files.sort();
    Ok(files)
}

pub fn relative_path(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Reads one file into its articles, or says why it cannot.
pub fn read_file(root: &Path, file: &Path) -> Result<Vec<Article>, String> {
    let format = Format::from_path(file).ok_or("unsupported file type")?;
    let size = std::fs::metadata(file).map_err(|e| e.to_string())?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("file is too large ({size} bytes; the limit is {MAX_FILE_BYTES})"));
    }
    let bytes = std::fs::read(file).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes)
        .map_err(|e| format!("not valid UTF-8 (first bad byte at offset {})", e.utf8_error().valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.trim().is_empty() {
        return Err("file is empty".into());
    }
    let path = relative_path(root, file);
    let stem = title_from_stem(file);
    match format {
        Format::Markdown => Ok(vec![markdown_article(path, &stem, text)]),
        Format::Text => Ok(vec![text_article(path, &stem, text)]),
        Format::Csv => csv_articles(&path, text),
        Format::Json => json_articles(&path, &stem, text),
    }
}

fn title_from_stem(file: &Path) -> String {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let words = stem.replace(['_', '-'], " ");
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => stem,
    }
}

fn markdown_article(path: String, stem: &str, text: &str) -> Article {
    let title = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("# "))
        .map(|l| l.trim_start_matches('#').trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| stem.to_string());
    Article { path, title, body: text.trim().to_string(), format: Format::Markdown }
}

fn text_article(path: String, stem: &str, text: &str) -> Article {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or_default();
    let has_more = lines.next().is_some();
    let title = if has_more && first.chars().count() <= 120 { first.to_string() } else { stem.to_string() };
    Article { path, title, body: text.trim().to_string(), format: Format::Text }
}

fn pick<'a>(fields: &'a [(String, String)], keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| {
        fields.iter().find(|(name, value)| name.trim().eq_ignore_ascii_case(k) && !value.trim().is_empty()).map(|(_, v)| v.trim())
    })
}

/// Builds a row's article from its named fields; `row` is 1-based.
fn row_article(file_path: &str, row: usize, fields: &[(String, String)], format: Format) -> Result<Article, String> {
    let body = pick(fields, BODY_KEYS)
        .ok_or_else(|| format!("row {row}: no text column (expected one of: {})", BODY_KEYS.join(", ")))?;
    let title = pick(fields, TITLE_KEYS).map(str::to_string).unwrap_or_else(|| {
        let first: String = body.chars().take(80).collect();
        first.lines().next().unwrap_or_default().to_string()
    });
    let key = pick(fields, ID_KEYS).map(str::to_string).unwrap_or_else(|| row.to_string());
    Ok(Article { path: format!("{file_path}#{key}"), title, body: body.to_string(), format })
}

fn csv_articles(path: &str, text: &str) -> Result<Vec<Article>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = reader.headers().map_err(|e| format!("malformed CSV: {e}"))?.iter().map(str::to_string).collect();
    if !headers.iter().any(|h| BODY_KEYS.iter().any(|k| h.trim().eq_ignore_ascii_case(k))) {
        return Err(format!(
            "CSV has no text column (columns: {}; expected one of: {})",
            headers.join(", "),
            BODY_KEYS.join(", ")
        ));
    }
    let mut articles = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("malformed CSV: {e}"))?;
        let fields: Vec<(String, String)> = headers.iter().cloned().zip(record.iter().map(str::to_string)).collect();
        if fields.iter().all(|(_, v)| v.trim().is_empty()) {
            continue;
        }
        articles.push(row_article(path, i + 1, &fields, Format::Csv)?);
    }
    if articles.is_empty() {
        return Err("CSV has a header but no rows".into());
    }
    Ok(articles)
}

fn json_fields(value: &serde_json::Value) -> Option<Vec<(String, String)>> {
    let object = value.as_object()?;
    Some(
        object
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect(),
    )
}

fn json_articles(path: &str, stem: &str, text: &str) -> Result<Vec<Article>, String> {
    let rows: Vec<serde_json::Value> = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => items,
        Ok(value @ serde_json::Value::Object(_)) => {
            // A single article object, or an object holding a list under "articles"/"items".
            if let Some(items) = ["articles", "items", "documents", "data"].iter().find_map(|k| value.get(k)?.as_array()) {
                items.clone()
            } else {
                let fields = json_fields(&value).unwrap_or_default();
                let mut article = row_article(path, 1, &fields, Format::Json)?;
                article.path = path.to_string();
                if pick(&fields, TITLE_KEYS).is_none() {
                    article.title = stem.to_string();
                }
                return Ok(vec![article]);
            }
        }
        Ok(_) => return Err("JSON must be an object, an array of objects, or JSON lines".into()),
        Err(whole) => {
            // JSON lines: one object per line.
            let mut items = Vec::new();
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let value = serde_json::from_str(line).map_err(|e| {
                    if items.is_empty() {
                        format!("malformed JSON: {whole}")
                    } else {
                        format!("malformed JSON on line {}: {e}", n + 1)
                    }
                })?;
                items.push(value);
            }
            items
        }
    };
    let mut articles = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let fields = json_fields(row).ok_or_else(|| format!("item {} is not an object", i + 1))?;
        articles.push(row_article(path, i + 1, &fields, Format::Json)?);
    }
    if articles.is_empty() {
        return Err("JSON holds no articles".into());
    }
    Ok(articles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_become_articles_keyed_by_id() {
        let rows =
            csv_articles("faq.csv", "id,question,answer\nreset,How do I reset?,Click reset.\n,,\n7,Refunds,Within 30 days.\n")
                .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].path, "faq.csv#reset");
        assert_eq!(rows[0].title, "How do I reset?");
        assert_eq!(rows[1].body, "Within 30 days.");
    }

    #[test]
    fn csv_without_text_column_is_refused() {
        let err = csv_articles("a.csv", "x,y\n1,2\n").unwrap_err();
        assert!(err.contains("no text column"), "{err}");
    }

    #[test]
    fn json_accepts_array_object_and_lines() {
        assert_eq!(json_articles("a.json", "A", r#"[{"title":"T","body":"B"}]"#).unwrap()[0].path, "a.json#1");
        let single = json_articles("b.json", "B doc", r#"{"content":"Hello there"}"#).unwrap();
        assert_eq!((single[0].path.as_str(), single[0].title.as_str()), ("b.json", "B doc"));
        let lines = json_articles("c.jsonl", "C", "{\"text\":\"one\"}\n{\"text\":\"two\"}\n").unwrap();
        assert_eq!(lines.len(), 2);
        assert!(json_articles("d.json", "D", "{\"text\": ").unwrap_err().contains("malformed JSON"));
    }

    #[test]
    fn markdown_title_comes_from_first_heading() {
        let a = markdown_article("x.md".into(), "X", "intro\n# Reset your password\nsteps");
        assert_eq!(a.title, "Reset your password");
    }
}
