//! Tantivy's English stemmer with a memory of the words it has stemmed. Indexing stemmed
//! every word of every card afresh, which was the largest single cost of the indexing
//! thread (a third of it on the cpp-docs pages); but a card's words are mostly words seen
//! before (20,000 words make up 98% of those pages), and looking a word up costs a
//! fraction of stemming it. The stems are the ones tantivy's `Stemmer` gives.

use std::cell::RefCell;
use std::collections::HashMap;

use tantivy::tokenizer::{RawTokenizer, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer};

/// Words remembered at most; then the memory starts over. Each thread that analyses
/// text (the indexing thread, each search thread) has one memory, so this bounds it at a
/// few MiB per thread.
const MAX_WORDS: usize = 50_000;

thread_local! {
    /// The stems this thread has seen. One per thread rather than one per analyzer:
    /// tantivy copies an analyzer for every field of every segment it writes, every search
    /// and every snippet (a hit's window of ~100 words), and a copy that started empty
    /// stemmed each of those words afresh — a fifth of a one-word search's instructions
    /// over 100k cards of real sentences went to stemming snippet windows.
    static MEMORY: RefCell<Memory> = RefCell::new(Memory::new());
}

/// A [`TokenFilter`] that stems like tantivy's English [`Stemmer`], remembering stems.
#[derive(Clone, Copy, Debug, Default)]
pub struct CachedStemmer;

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter { inner: tokenizer }
    }
}

/// A copy is cheap: the memory belongs to the thread, not to the filter.
#[derive(Clone)]
pub struct CachedStemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream { tail: self.inner.token_stream(text) }
    }
}

pub struct CachedStemmerStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let word = &mut self.tail.token_mut().text;
        MEMORY.with(|memory| memory.borrow_mut().stem(word));
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

struct Memory {
    /// Tantivy's stemmer over the word as one token: what a word not yet seen goes through.
    stemmer: TextAnalyzer,
    /// Word -> stem. foldhash (already in the build) hashes a short word several times
    /// faster than the standard SipHash, and is seeded at random like it.
    stems: HashMap<String, String, foldhash::fast::RandomState>,
}

impl Memory {
    fn new() -> Memory {
        Memory {
            stemmer: TextAnalyzer::builder(RawTokenizer::default()).filter(Stemmer::default()).build(),
            stems: HashMap::default(),
        }
    }

    /// Replaces `word` with its stem.
    fn stem(&mut self, word: &mut String) {
        if let Some(stem) = self.stems.get(word.as_str()) {
            word.clear();
            word.push_str(stem);
            return;
        }
        let stem = {
            let mut stream = self.stemmer.token_stream(word);
            // The raw tokenizer makes exactly one token of any text.
            if stream.advance() { stream.token().text.clone() } else { word.clone() }
        };
        if self.stems.len() >= MAX_WORDS {
            self.stems.clear();
        }
        let seen = std::mem::replace(word, stem.clone());
        self.stems.insert(seen, stem);
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::SimpleTokenizer;

    use super::*;

    fn tokens(mut analyzer: TextAnalyzer, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        analyzer.token_stream(text).process(&mut |t| out.push(t.clone()));
        out
    }

    #[test]
    fn remembered_stems_are_tantivys_stems() {
        // Each word twice: stemmed the first time, remembered the second.
        let words = "running runs ran runner easily generously the cats caresses ponies relational \
            conditional vietnamization hopefully a ä ünïcödé 42 x86_64";
        let text = format!("{words} {words}");
        let cached = TextAnalyzer::builder(SimpleTokenizer::default()).filter(CachedStemmer).build();
        let plain = TextAnalyzer::builder(SimpleTokenizer::default()).filter(Stemmer::default()).build();
        assert_eq!(tokens(cached, &text), tokens(plain, &text));
    }

    #[test]
    fn a_copy_remembers_what_its_thread_stemmed() {
        let remembered = |word: &str| MEMORY.with(|m| m.borrow().stems.get(word).cloned());
        let mut filter = CachedStemmer.transform(RawTokenizer::default());
        filter.token_stream("remembering").process(&mut |t| assert_eq!(t.text, "rememb"));
        assert_eq!(remembered("remembering").as_deref(), Some("rememb"));
        // Another copy (as tantivy makes for each snippet) finds it without stemming, and
        // gives the same stem.
        let mut copy = filter.clone();
        copy.token_stream("remembering").process(&mut |t| assert_eq!(t.text, "rememb"));
        // Another thread has a memory of its own.
        std::thread::spawn(move || assert_eq!(remembered("remembering"), None)).join().unwrap();
    }

    #[test]
    fn a_full_memory_starts_over() {
        let mut memory = Memory::new();
        for i in 0..MAX_WORDS + 10 {
            let mut word = format!("walking{i}");
            memory.stem(&mut word);
        }
        assert_eq!(memory.stems.len(), 10);
        let mut word = "walking".to_string();
        memory.stem(&mut word);
        assert_eq!(word, "walk");
    }
}
