//! Every size and count limit of the product, in one place. The core enforces them, so the CLI,
//! the app and the library refuse the same input with the same message; the shells only add
//! limits on what they load into memory at once (the app's window, say).
//!
//! Limits apply per record (a message, an article, an example), never per file, so that one
//! oversized record of a streamed file is rejected with its line and the rest goes on.

use crate::error::{Error, Result};

/// The limits in force. One value, [`LIMITS`]; a struct rather than loose constants so that the
/// whole set can be shown (`status`, docs) and reasoned about together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Limits {
    /// Largest message (chat, analysis, triage record), in bytes. The model reads at most 128
    /// tokens; the rest of a longer text is kept in the inbox but never read by the model.
    pub message_bytes: usize,
    /// Largest article body, in bytes (imported or edited: the same limit both ways).
    pub article_bytes: usize,
    /// Largest article title, in characters.
    pub article_title_chars: usize,
    /// Largest file read whole by a knowledge-base import (Markdown, text); CSV and JSON files
    /// are checked per row against `article_bytes` as well.
    pub import_file_bytes: u64,
    /// Longest custom-intent name, in characters.
    pub intent_name_chars: usize,
    /// Most examples one custom intent holds.
    pub intent_examples: usize,
    /// Longest example phrase, in characters.
    pub example_chars: usize,
    /// Longest path or key given by a user (article key, folder, database path), in bytes.
    pub path_bytes: usize,
    /// Most rows one list or search call returns.
    pub page_rows: usize,
}

pub const LIMITS: Limits = Limits {
    message_bytes: 100_000,
    article_bytes: 1_000_000,
    article_title_chars: 500,
    import_file_bytes: 20 * 1024 * 1024,
    intent_name_chars: 64,
    intent_examples: 200,
    example_chars: 1_000,
    path_bytes: 4096,
    page_rows: 1_000,
};

impl Limits {
    /// A message a person or a file gave us: not empty, not over `message_bytes`.
    pub fn check_message(&self, text: &str) -> Result<()> {
        if text.trim().is_empty() {
            return Err(Error::invalid("message is empty"));
        }
        if text.len() > self.message_bytes {
            return Err(Error::invalid(format!(
                "message is too long: {} bytes (the limit is {})",
                text.len(),
                self.message_bytes
            )));
        }
        Ok(())
    }

    /// A page size asked for by a caller: 1..=`page_rows`.
    pub fn check_page(&self, rows: u64) -> Result<usize> {
        if rows == 0 || rows > self.page_rows as u64 {
            return Err(Error::invalid(format!("limit must be 1 to {} (got {rows})", self.page_rows)));
        }
        Ok(rows as usize)
    }
}
