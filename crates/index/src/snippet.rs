//! The fragment of a card shown under each hit, with the query's words in `<b>`.
//!
//! tantivy's `SnippetGenerator` tokenizes and stems the text it is given, which was most
//! of the time of a search over long pages (cpp-docs profile: tokenizer and stemmer near
//! half of the CPU). So it is given a small window instead: a plain substring search (for
//! the start of each query stem, ASCII case-insensitive) finds where a word first may
//! match, and only the text around that is analysed. Anything the substring search cannot
//! see (a false start, a word folded from non-ASCII letters) falls back to the whole scope.

use aho_corasick::AhoCorasick;
use tantivy::query::Query;
use tantivy::schema::Field;
use tantivy::snippet::{Snippet, SnippetGenerator};
use tantivy::{Searcher, Term};

/// Characters in a snippet.
pub const SNIPPET_CHARS: usize = 180;
/// Snippets are looked for in the first this-many bytes of a card (a short card whole):
/// tokenizing whole 500 KB reference pages for every hit was most of the time of a search
/// over them (cpp-docs one-word p99 56 ms with whole pages, 19 ms with 32 KiB).
pub const SNIPPET_SCAN_BYTES: usize = 8 * 1024;
/// The window analysed around the first possible match: room for a fragment of
/// `SNIPPET_CHARS` around it, or a better one just after (analysing costs ~0.5 µs a word:
/// a 2 KiB window was still a third of a cpp-docs search).
const WINDOW_BYTES: usize = 640;
const WINDOW_BEFORE: usize = 160;

pub struct Snippets {
    generator: SnippetGenerator,
    /// Finds where a query word may first occur; `None` when the query has no words in
    /// the body field.
    starts: Option<AhoCorasick>,
}

impl Snippets {
    pub fn create(searcher: &Searcher, query: &dyn Query, body: Field) -> tantivy::Result<Snippets> {
        let mut generator = SnippetGenerator::create(searcher, query, body)?;
        generator.set_max_num_chars(SNIPPET_CHARS);
        let mut needles: Vec<String> = Vec::new();
        query.query_terms(&mut |term: &Term, _| {
            if term.field() == body
                && let Some(text) = term.value().as_str()
            {
                needles.push(stem_start(text).to_owned());
            }
        });
        needles.retain(|n| !n.is_empty());
        let starts = if needles.is_empty() {
            None
        } else {
            AhoCorasick::builder().ascii_case_insensitive(true).build(&needles).ok()
        };
        Ok(Snippets { generator, starts })
    }

    /// The snippet for a card's body (its stored beginning) as HTML; the beginning itself
    /// when no query word is in it.
    pub fn html(&self, body: &str) -> String {
        let snippet = self.snippet(scope(body, SNIPPET_SCAN_BYTES));
        if snippet.is_empty() { leading_text(body) } else { snippet.to_html() }
    }

    fn snippet(&self, scope: &str) -> Snippet {
        let first = self.starts.as_ref().and_then(|s| s.find(scope)).map(|m| m.start());
        match first {
            Some(at) => {
                let window = window(scope, at);
                let snippet = self.generator.snippet(window);
                // A false start (a stem inside another word): look at everything.
                if snippet.is_empty() && window.len() < scope.len() { self.generator.snippet(scope) } else { snippet }
            }
            // No word starts anywhere, and with ASCII text nothing else could match.
            None if scope.is_ascii() => Snippet::empty(),
            None => self.generator.snippet(scope),
        }
    }
}

/// What the text of a word stemmed to `stem` starts with: the stem less its last letter,
/// which a stemmer may have changed ("happy" -> "happi").
fn stem_start(stem: &str) -> &str {
    match stem.char_indices().nth(2) {
        Some(_) => stem.char_indices().last().map_or(stem, |(i, _)| &stem[..i]),
        None => stem,
    }
}

/// The first `max` bytes of `text`, cut on a character boundary.
pub fn scope(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// About `WINDOW_BYTES` of `scope` around byte `at`, starting on a word.
fn window(text: &str, at: usize) -> &str {
    let mut start = at.saturating_sub(WINDOW_BEFORE);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    // After the space, whatever its length (a non-breaking space is two bytes, an
    // ideographic one three).
    if start > 0
        && let Some((space, c)) = text[start..at].char_indices().find(|(_, c)| c.is_whitespace())
    {
        start += space + c.len_utf8();
    }
    scope(&text[start..], WINDOW_BYTES)
}

/// The first words of a text, escaped for HTML, cut at a word boundary.
pub fn leading_text(text: &str) -> String {
    let mut end = scope(text, SNIPPET_CHARS).len();
    if end < text.len()
        && let Some(space) = text[..end].rfind(char::is_whitespace)
    {
        end = space;
    }
    let mut out = escape(&text[..end]);
    if end < text.len() {
        out.push('…');
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_never_split_a_character() {
        let long = "é".repeat(SNIPPET_SCAN_BYTES);
        let cut = scope(&long, SNIPPET_SCAN_BYTES);
        assert!(cut.len() <= SNIPPET_SCAN_BYTES && cut.len() >= SNIPPET_SCAN_BYTES - 1);
        assert_eq!(scope("short", SNIPPET_SCAN_BYTES), "short");
    }

    #[test]
    fn stems_are_looked_for_by_how_their_words_start() {
        assert_eq!(stem_start("happi"), "happ");
        assert_eq!(stem_start("die"), "di");
        assert_eq!(stem_start("id"), "id");
        assert_eq!(stem_start("检查"), "检查");
    }

    #[test]
    fn windows_start_on_a_word_near_the_match_and_stay_small() {
        let text = format!("{} needle {}", "lorem ipsum ".repeat(100), "dolor sit ".repeat(400));
        let at = text.find("needle").unwrap();
        let w = window(&text, at);
        assert!(w.starts_with("lorem ") || w.starts_with("ipsum "), "{w:.20}");
        assert!(w.contains("needle") && w.len() <= WINDOW_BYTES);
        assert!(window("needle at the start", 0).starts_with("needle"));
    }
}
