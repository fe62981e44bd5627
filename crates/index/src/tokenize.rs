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

/// Yields the tokens of one text as it scans it, reusing one [`Token`]: indexing runs
/// every card body through this twice (stemmed and unstemmed), and a list with a `String`
/// per token was a third of the indexing thread's time.
pub struct WordStream<'a> {
    text: &'a str,
    emit: Emit,
    token: Token,
    /// Where scanning resumes once the pending parts and bigrams are used up.
    rest: usize,
    /// The position of the next word, part or bigram.
    position: usize,
    /// The byte ranges of the current compound's parts; `parts[next_part..]` are pending.
    parts: Vec<(usize, usize)>,
    next_part: usize,
    /// The rest of the current CJK run, `(start, end)`, whose bigrams are pending.
    cjk: Option<(usize, usize)>,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream<'a> {
        WordStream {
            text,
            emit: self.emit,
            token: Token::default(),
            rest: 0,
            position: 0,
            parts: Vec::new(),
            next_part: 0,
            cjk: None,
        }
    }
}

impl TokenStream for WordStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some(&(from, to)) = self.parts.get(self.next_part) {
                self.next_part += 1;
                self.set(from, to, 1);
                self.position += 1;
                return true;
            }
            if let Some((start, end)) = self.cjk {
                self.next_bigram(start, end);
                return true;
            }
            let Some(c) = self.text[self.rest..].chars().next() else { return false };
            let start = self.rest;
            if is_cjk(c) {
                let end = run_end(self.text, start, is_cjk);
                if self.emit != Emit::Whole {
                    self.cjk = Some((start, end));
                }
                self.rest = end;
            } else if is_word_char(c) {
                let end = compound_end(self.text, start);
                self.rest = end;
                if self.compound(start, end) {
                    return true;
                }
            } else {
                self.rest = start + c.len_utf8();
            }
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl WordStream<'_> {
    /// Makes the token `text[from..to]` at the current position.
    fn set(&mut self, from: usize, to: usize, position_length: usize) {
        self.place(from, to, position_length);
        self.token.text.push_str(&self.text[from..to]);
    }

    /// Points the token at `text[from..to]` and the current position, with no text yet.
    fn place(&mut self, from: usize, to: usize, position_length: usize) {
        let t = &mut self.token;
        t.offset_from = from;
        t.offset_to = to;
        t.position = self.position;
        t.position_length = position_length;
        t.text.clear();
    }

    /// Starts on the compound `text[start..end]`: true if it made a token now (a plain
    /// word, or a compound's whole), false if it has nothing to say yet. Its parts, if
    /// wanted, are left pending.
    fn compound(&mut self, start: usize, end: usize) -> bool {
        // Most words are a single part: no joiner inside, no capital after the first
        // letter. They skip the split into parts.
        if is_plain_word(&self.text[start..end]) {
            if self.emit == Emit::Whole {
                return false;
            }
            self.set(start, end, 1);
            self.position += 1;
            return true;
        }
        self.parts.clear();
        self.next_part = 0;
        parts(self.text, start, end, &mut self.parts);
        let count = self.parts.len();
        if count == 1 || self.emit == Emit::Parts {
            // No whole to make: the parts are pending, unless only wholes are wanted (a
            // single part, like a plain word, then takes no position either).
            if self.emit == Emit::Whole {
                self.parts.clear();
            }
            return false;
        }
        // The parts run together, without the joiners: `on-call` is also found as
        // `oncall`, `e-mail` as `email`. It takes the position of the first part.
        self.place(start, end, count);
        for &(from, to) in &self.parts {
            self.token.text.push_str(&self.text[from..to]);
        }
        if self.emit == Emit::Whole {
            // Only the whole: its parts still take up their positions.
            self.position += count;
            self.parts.clear();
        }
        true
    }

    /// The next bigram of the CJK run `text[start..end]` (or the run itself, if it is one
    /// character), leaving the rest pending.
    fn next_bigram(&mut self, start: usize, end: usize) {
        let second = next_char(self.text, start);
        if second == end {
            self.set(start, end, 1);
            self.cjk = None;
        } else {
            let after = next_char(self.text, second);
            self.set(start, after, 1);
            self.cjk = (after < end).then_some((second, end));
        }
        self.position += 1;
    }
}

/// Where the character at byte `at` ends.
fn next_char(text: &str, at: usize) -> usize {
    at + text[at..].chars().next().map_or(0, char::len_utf8)
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

fn is_plain_word(word: &str) -> bool {
    word.chars().skip(1).all(|c| is_word_char(c) && !c.is_uppercase())
}

/// Appends to `out` the byte ranges of a compound's parts: its word runs, each split at
/// case changes (`getElementById` → get Element By Id, `HTMLParser` → HTML Parser).
fn parts(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let mut at = start;
    while at < end {
        let run = run_end(&text[..end], at, is_word_char);
        camel_parts(text, at, run, out);
        at = run_end(&text[..end], run, |c| !is_word_char(c));
    }
}

fn camel_parts(text: &str, start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    let mut from = start;
    let mut chars = text[start..end].char_indices().map(|(i, c)| (start + i, c)).peekable();
    let Some((_, mut prev)) = chars.next() else { return };
    while let Some((at, cur)) = chars.next() {
        let next_lower = chars.peek().is_some_and(|(_, n)| n.is_lowercase());
        // fooBar → foo|Bar;  HTMLParser → HTML|Parser.
        let boundary =
            (prev.is_lowercase() && cur.is_uppercase()) || (prev.is_uppercase() && cur.is_uppercase() && next_lower);
        if boundary {
            out.push((from, at));
            from = at;
        }
        prev = cur;
    }
    out.push((from, end));
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
mod reference;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token of `text`, as the index gets them.
    fn tokens(text: &str, emit: Emit) -> Vec<Token> {
        let mut tokenizer = WordTokenizer::new(emit);
        let mut out = Vec::new();
        tokenizer.token_stream(text).process(&mut |t| out.push(t.clone()));
        out
    }

    #[test]
    fn the_stream_yields_the_tokens_the_list_did() {
        let text = "Call std::vector<int>::push_back or getElementById(\"x\") on the on-call rota: \
            HTMLParser reads snake_case config.toml, e-mail C2001 a:::b end. Next -- IOError \
            部署前请检查 デプロイ手順 ok 字 한국어 données_clé::x x-y-z -lead trail- ¿?! 42 v1.2.3 \
            https://example.com/a_b/c naïveÉtat ÖlFeld 検索API std::vector检查 x__y a.b.c.d";
        for emit in [Emit::All, Emit::Parts, Emit::Whole] {
            // Every suffix too: the stream must start cleanly in the middle of anything.
            for (i, _) in text.char_indices() {
                let rest = &text[i..];
                assert_eq!(tokens(rest, emit), reference::tokens(rest, emit), "{emit:?} from byte {i}");
            }
        }
    }

    #[test]
    fn the_stream_yields_the_tokens_the_list_did_for_the_shipped_cards() {
        let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
        let mut files = 0;
        let mut dirs = vec![content];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "md") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for emit in [Emit::All, Emit::Parts, Emit::Whole] {
                        assert_eq!(tokens(&text, emit), reference::tokens(&text, emit), "{}", path.display());
                    }
                    files += 1;
                }
            }
        }
        assert!(files > 10, "only {files} shipped cards found");
    }

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
            let mut split = Vec::new();
            parts(word, 0, word.len(), &mut split);
            assert_eq!(split, vec![(0, word.len())], "{word}");
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
