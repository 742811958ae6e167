//! Splitting an article into passages that fit the model window: by Markdown headings first,
//! then by paragraphs, merging short paragraphs and splitting long ones at sentence ends.

use super::source::Format;

/// Words per passage: 128 tokens hold about 90 English words with the title prefixed.
pub const MAX_WORDS: usize = 80;

#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub heading: String,
    pub text: String,
}

pub fn chunk(body: &str, format: Format) -> Vec<Passage> {
    let sections = match format {
        Format::Markdown => markdown_sections(body),
        _ => vec![(String::new(), body.to_string())],
    };
    let mut passages = Vec::new();
    for (heading, text) in sections {
        let paragraphs: Vec<String> =
            text.split("\n\n").map(|p| clean(p, format)).filter(|p| !p.is_empty()).flat_map(|p| split_long(&p)).collect();
        let mut current = String::new();
        for paragraph in paragraphs {
            if !current.is_empty() && words(&current) + words(&paragraph) > MAX_WORDS {
                passages.push(Passage { heading: heading.clone(), text: std::mem::take(&mut current) });
            }
            if !current.is_empty() {
                current.push('\n');
            }
            current.push_str(&paragraph);
        }
        if !current.is_empty() {
            passages.push(Passage { heading: heading.clone(), text: current });
        }
    }
    passages
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Sections under each heading; the heading text names the section.
fn markdown_sections(body: &str) -> Vec<(String, String)> {
    let mut sections = vec![(String::new(), String::new())];
    let mut in_code = false;
    for line in body.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        let trimmed = line.trim_start();
        if !in_code && trimmed.starts_with('#') {
            let heading = trimmed.trim_start_matches('#').trim();
            if !heading.is_empty() {
                sections.push((heading.to_string(), String::new()));
                continue;
            }
        }
        let last = sections.last_mut().expect("one section at least");
        last.1.push_str(line);
        last.1.push('\n');
    }
    sections.into_iter().filter(|(_, t)| !t.trim().is_empty()).collect()
}

/// Plain text of a paragraph: Markdown emphasis, link targets and list markers removed.
fn clean(paragraph: &str, format: Format) -> String {
    let text = paragraph.trim();
    if format != Format::Markdown {
        return text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut line = line.trim();
        for marker in ["- ", "* ", "+ ", "> "] {
            if let Some(rest) = line.strip_prefix(marker) {
                line = rest;
            }
        }
        if line.starts_with("```") {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&strip_links(line));
    }
    out.replace("**", "").replace("__", "").replace('`', "").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `[text](target)` → `text`.
fn strip_links(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|i| open + i) else { break };
        let Some(end) = rest[close..].find(')').map(|i| close + i) else { break };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Splits a paragraph over [`MAX_WORDS`] at sentence ends (or, failing that, at word counts).
fn split_long(paragraph: &str) -> Vec<String> {
    if words(paragraph) <= MAX_WORDS {
        return vec![paragraph.to_string()];
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    for sentence in sentences(paragraph) {
        if !current.is_empty() && words(&current) + words(sentence) > MAX_WORDS {
            pieces.push(std::mem::take(&mut current));
        }
        if words(sentence) > MAX_WORDS {
            let all: Vec<&str> = sentence.split_whitespace().collect();
            for slice in all.chunks(MAX_WORDS) {
                if !current.is_empty() {
                    pieces.push(std::mem::take(&mut current));
                }
                current = slice.join(" ");
            }
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(sentence.trim());
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Sentences of a text: split after `.`, `!` or `?` followed by whitespace, and at line breaks
/// (a title line or a list item is a unit of its own).
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(pos, c)) in chars.iter().enumerate() {
        let ends_sentence = matches!(c, '.' | '!' | '?') && chars.get(i + 1).is_some_and(|&(_, n)| n.is_whitespace());
        if c == '\n' || ends_sentence {
            let end = pos + c.len_utf8();
            let s = text[start..end].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = end;
        }
    }
    let tail = text[start..].trim();
    if !tail.is_empty() {
        out.push(tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_splits_by_heading_and_cleans_markup() {
        let body = "# Title\nIntro **bold** text.\n\n## Steps\n- Open [Settings](http://x)\n- Click `Reset`\n";
        let p = chunk(body, Format::Markdown);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].heading, "Title");
        assert_eq!(p[0].text, "Intro bold text.");
        assert_eq!(p[1].heading, "Steps");
        assert_eq!(p[1].text, "Open Settings Click Reset");
    }

    #[test]
    fn long_paragraph_is_split_under_the_word_limit() {
        let sentence = "This sentence has exactly seven words here. ";
        let body = sentence.repeat(40);
        let p = chunk(&body, Format::Text);
        assert!(p.len() >= 3);
        assert!(p.iter().all(|x| words(&x.text) <= MAX_WORDS));
        let total: usize = p.iter().map(|x| words(&x.text)).sum();
        assert_eq!(total, 7 * 40);
    }

    #[test]
    fn sentences_split_on_terminal_punctuation() {
        assert_eq!(sentences("One. Two! Three? 3.5 stays"), vec!["One.", "Two!", "Three?", "3.5 stays"]);
        assert_eq!(sentences("Title\nBody text here. More"), vec!["Title", "Body text here.", "More"]);
    }
}
