//! Text → token ids with the model's own `tokenizer.json`, truncated to the model window.

use std::path::Path;

use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::error::{Error, Result};

/// Largest message accepted, in bytes ([`crate::limits::Limits::message_bytes`]). Longer text is
/// refused with a clear error rather than silently cut, so that nothing the user wrote is lost
/// without them knowing.
pub const MAX_TEXT_BYTES: usize = crate::limits::LIMITS.message_bytes;

/// Characters kept before tokenizing. The window (128 tokens) never needs more: each WordPiece
/// token covers at least one character and words over 100 characters become one `[UNK]`.
const TOKENIZE_PREFIX_CHARS: usize = 8192;

/// One tokenized message, ready for the inference queue.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub ids: Vec<i64>,
    /// The text did not fit in the model window and was cut.
    pub truncated: bool,
}

impl Encoded {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

pub struct TextEncoder {
    tokenizer: Tokenizer,
    max_length: usize,
}

impl TextEncoder {
    pub fn from_file(path: &Path, max_length: usize) -> Result<Self> {
        let mut tokenizer = Tokenizer::from_file(path)
            .map_err(|e| Error::ModelFileCorrupt { path: path.to_path_buf(), reason: e.to_string() })?;
        // The file may carry padding/truncation presets; the engine pads per batch itself.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: TruncationDirection::Right,
            }))
            .map_err(|e| Error::Tokenizer(e.to_string()))?;
        Ok(Self { tokenizer, max_length })
    }

    pub fn max_length(&self) -> usize {
        self.max_length
    }

    pub fn encode(&self, text: &str) -> Result<Encoded> {
        check_text(text)?;
        let (prefix, cut) = match text.char_indices().nth(TOKENIZE_PREFIX_CHARS) {
            Some((byte, _)) => (&text[..byte], true),
            None => (text, false),
        };
        let encoding = self.tokenizer.encode_fast(prefix, true).map_err(|e| Error::Tokenizer(e.to_string()))?;
        let ids: Vec<i64> = encoding.get_ids().iter().map(|&id| id as i64).collect();
        // Only [CLS] and [SEP]: the text was all control or format characters.
        if ids.len() <= 2 {
            return Err(Error::invalid("message has no readable text (only whitespace or control characters)"));
        }
        let truncated = cut || !encoding.get_overflowing().is_empty();
        Ok(Encoded { ids, truncated })
    }
}

/// Rejects what no stage can use: empty text and text over [`MAX_TEXT_BYTES`].
pub fn check_text(text: &str) -> Result<()> {
    crate::limits::LIMITS.check_message(text)
}
