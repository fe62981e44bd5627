//! Words as documentation writes them. Besides plain words, cards are full of compounds —
//! `big-house`, `snake_case`, `getElementById`, `std::vector`, `config.toml` — and of
//! Chinese or Japanese text, which has no spaces between words.
//!
//! A compound is indexed as a whole (`getelementbyid`, `stdvector`: its parts run
//! together, so `oncall` finds `on-call`) at the position of its first
//! part and as its parts (`get element by id`) at consecutive positions, so a search for
//! one part, for the parts as a phrase, or for the whole identifier all find it. Queries
//! are split into parts only (a phrase), and the whole identifier is added separately as
//! a bonus, so an exact identifier ranks above its parts scattered in prose.
//!
//! Runs of CJK characters become overlapping bigrams ("检查配置" → 检查 查配 配置): a
//! query is split the same way and matches as a phrase of bigrams.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Which tokens a [`WordTokenizer`] emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    /// Indexing: words, parts and whole compounds, CJK bigrams.
    All,
    /// Querying: words, parts and CJK bigrams; no whole compounds.
    Parts,
    /// The whole-identifier bonus: only compounds, as a whole.
    Whole,
}

#[derive(Clone, Debug)]
pub struct WordTokenizer {
    emit: Emit,
}

impl WordTokenizer {
    pub fn new(emit: Emit) -> Self {
        WordTokenizer { emit }
    }
}

pub struct WordStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        WordStream { tokens: tokens(text, self.emit), next: 0 }
    }
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

/// Characters that join word runs into one compound when a word character follows.
fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '_' | '.' | ':' | '/')
}

/// At most this many joiners in a row (`::`) keep a compound together.
const MAX_JOINERS: usize = 2;

/// Han, kana and Hangul: scripts written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x20000..=0x2FA1F) // CJK extensions B and later
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// All tokens of `text`, with positions and byte offsets.
pub fn tokens(text: &str, emit: Emit) -> Vec<Token> {
    // About one token per six bytes of prose: one allocation instead of a dozen regrowths.
    let mut out = Vec::with_capacity(text.len() / 6);
    let mut position = 0;
    let mut rest = 0;
    while let Some((start, c)) = text[rest..].char_indices().next().map(|(i, c)| (rest + i, c)) {
        if is_cjk(c) {
            let end = run_end(text, start, is_cjk);
            if emit != Emit::Whole {
                bigrams(text, start, end, &mut position, &mut out);
            }
            rest = end;
        } else if is_word_char(c) {
            let end = compound_end(text, start);
            compound(text, start, end, emit, &mut position, &mut out);
            rest = end;
        } else {
            rest = start + c.len_utf8();
        }
    }
    out
}

fn run_end(text: &str, start: usize, keep: fn(char) -> bool) -> usize {
    text[start..].char_indices().find(|(_, c)| !keep(*c)).map_or(text.len(), |(i, _)| start + i)
}

/// Where the compound starting at `start` ends: word runs linked by short joiner runs.
fn compound_end(text: &str, start: usize) -> usize {
    let mut end = run_end(text, start, is_word_char);
    loop {
        let joiners = run_end(text, end, is_joiner);
        let count = text[end..joiners].chars().count();
        let next_is_word = text[joiners..].chars().next().is_some_and(is_word_char);
        if count == 0 || count > MAX_JOINERS || !next_is_word {
            return end;
        }
        end = run_end(text, joiners, is_word_char);
    }
}

fn token(text: &str, from: usize, to: usize, position: usize) -> Token {
    Token { offset_from: from, offset_to: to, position, text: text[from..to].to_owned(), position_length: 1 }
}

fn compound(text: &str, start: usize, end: usize, emit: Emit, position: &mut usize, out: &mut Vec<Token>) {
    // Most words are a single part: no joiner inside, no capital after the first letter.
    // They skip splitting, which allocates (indexing cpp-docs spent a third of its time
    // in this tokenizer).
    if is_plain_word(&text[start..end]) {
        if emit != Emit::Whole {
            out.push(token(text, start, end, *position));
            *position += 1;
        }
        return;
    }
    let parts = parts(text, start, end);
    let first = *position;
    if parts.len() > 1 && emit != Emit::Parts {
        // The parts run together, without the joiners: `on-call` is also found as
        // `oncall`, `e-mail` as `email`.
        let mut whole = token(text, start, end, first);
        whole.text = parts.iter().map(|(from, to)| &text[*from..*to]).collect();
        whole.position_length = parts.len();
        out.push(whole);
    }
    if parts.len() == 1 && emit == Emit::Whole {
        return;
    }
    for (from, to) in parts {
        if emit != Emit::Whole {
            out.push(token(text, from, to, *position));
        }
        *position += 1;
    }
}

fn is_plain_word(word: &str) -> bool {
    word.chars().skip(1).all(|c| is_word_char(c) && !c.is_uppercase())
}

/// The byte ranges of a compound's parts: its word runs, each split at case changes
/// (`getElementById` → get Element By Id, `HTMLParser` → HTML Parser).
fn parts(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let run = run_end(&text[..end], at, is_word_char);
        camel_parts(text, at, run, &mut out);
        at = run_end(&text[..end], run, |c| !is_word_char(c));
    }
    out
}

fn camel_parts(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let chars: Vec<(usize, char)> = text[start..end].char_indices().map(|(i, c)| (start + i, c)).collect();
    let mut from = start;
    for i in 1..chars.len() {
        let (prev, (at, cur)) = (chars[i - 1].1, chars[i]);
        let next_lower = chars.get(i + 1).is_some_and(|(_, n)| n.is_lowercase());
        // fooBar → foo|Bar;  HTMLParser → HTML|Parser.
        let boundary =
            (prev.is_lowercase() && cur.is_uppercase()) || (prev.is_uppercase() && cur.is_uppercase() && next_lower);
        if boundary {
            out.push((from, at));
            from = at;
        }
    }
    out.push((from, end));
}

fn bigrams(text: &str, start: usize, end: usize, position: &mut usize, out: &mut Vec<Token>) {
    let chars: Vec<usize> = text[start..end].char_indices().map(|(i, _)| start + i).chain([end]).collect();
    if chars.len() == 2 {
        out.push(token(text, start, end, *position));
        *position += 1;
        return;
    }
    for w in chars.windows(3) {
        out.push(token(text, w[0], w[2], *position));
        *position += 1;
    }
}

/// Common English words. A query drops them when it has other words (they match almost
/// every card and would drown the words that matter) and keeps them when it has nothing
/// else ("the who", "to be or not to be"). Cards are indexed with them, for phrases.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "although",
    "always",
    "am",
    "among",
    "an",
    "and",
    "another",
    "any",
    "anything",
    "are",
    "as",
    "at",
    "be",
    "became",
    "because",
    "become",
    "becomes",
    "been",
    "before",
    "being",
    "below",
    "besides",
    "between",
    "both",
    "but",
    "by",
    "can",
    "cannot",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "either",
    "else",
    "enough",
    "etc",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "get",
    "gets",
    "give",
    "given",
    "gives",
    "giving",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "hence",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "indeed",
    "instead",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "less",
    "made",
    "make",
    "makes",
    "many",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "neither",
    "never",
    "nevertheless",
    "no",
    "none",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "often",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "per",
    "perhaps",
    "please",
    "rather",
    "really",
    "regarding",
    "said",
    "same",
    "say",
    "see",
    "seem",
    "seems",
    "send",
    "several",
    "shall",
    "she",
    "should",
    "since",
    "so",
    "some",
    "still",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "thereby",
    "therefore",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "thus",
    "to",
    "too",
    "toward",
    "towards",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "use",
    "used",
    "uses",
    "using",
    "very",
    "via",
    "want",
    "was",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

pub fn is_stop_word(word: &str) -> bool {
    let lower = word.to_lowercase();
    STOP_WORDS.binary_search(&lower.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str, emit: Emit) -> Vec<(String, usize)> {
        tokens(text, emit).into_iter().map(|t| (t.text, t.position)).collect()
    }

    fn owned(pairs: &[(&str, usize)]) -> Vec<(String, usize)> {
        pairs.iter().map(|(t, p)| (t.to_string(), *p)).collect()
    }

    #[test]
    fn compounds_are_indexed_whole_and_as_parts_at_phrase_positions() {
        assert_eq!(
            texts("a big-house here", Emit::All),
            owned(&[("a", 0), ("bighouse", 1), ("big", 1), ("house", 2), ("here", 3)])
        );
        assert_eq!(
            texts("getElementById(x)", Emit::All),
            owned(&[("getElementById", 0), ("get", 0), ("Element", 1), ("By", 2), ("Id", 3), ("x", 4)])
        );
        assert_eq!(texts("std::vector", Emit::All), owned(&[("stdvector", 0), ("std", 0), ("vector", 1)]));
        assert_eq!(
            texts("HTMLParser snake_case", Emit::Parts),
            owned(&[("HTML", 0), ("Parser", 1), ("snake", 2), ("case", 3)])
        );
        assert_eq!(texts("error C2001.", Emit::All), owned(&[("error", 0), ("C2001", 1)]));
        assert_eq!(texts("std::vector, LNK2019", Emit::Whole), owned(&[("stdvector", 0)]));
    }

    #[test]
    fn plain_words_take_the_short_way_to_the_same_tokens() {
        for word in ["deploy", "Deploy", "C2001", "héllo", "x", "Ölfeld"] {
            assert!(is_plain_word(word), "{word}");
            assert_eq!(parts(word, 0, word.len()), vec![(0, word.len())], "{word}");
            assert_eq!(texts(word, Emit::All), owned(&[(word, 0)]));
            assert!(texts(word, Emit::Whole).is_empty());
        }
        for word in ["getId", "HTML", "big-house"] {
            assert!(!is_plain_word(word), "{word}");
        }
    }

    #[test]
    fn punctuation_that_does_not_join_words_splits_them() {
        assert_eq!(texts("end. Next -- a:::b", Emit::Parts), owned(&[("end", 0), ("Next", 1), ("a", 2), ("b", 3)]));
        assert!(tokens("  ¿?!  ", Emit::All).is_empty());
    }

    #[test]
    fn chinese_and_japanese_runs_become_bigrams() {
        assert_eq!(
            texts("部署前请检查", Emit::Parts),
            owned(&[("部署", 0), ("署前", 1), ("前请", 2), ("请检", 3), ("检查", 4)])
        );
        assert_eq!(texts("デプロイ手順 ok 字", Emit::Parts).len(), 5 + 2);
        assert!(texts("配置", Emit::Whole).is_empty());
    }

    #[test]
    fn offsets_point_at_the_original_text() {
        let text = "données_clé::x 检查";
        for t in tokens(text, Emit::All) {
            let source: String = text[t.offset_from..t.offset_to].chars().filter(|c| !is_joiner(*c)).collect();
            assert_eq!(source, t.text);
        }
    }

    #[test]
    fn stop_words_are_known_in_any_case_and_the_list_is_sorted() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stop_word("The") && is_stop_word("to") && !is_stop_word("deploy"));
    }
}
