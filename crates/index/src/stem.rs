//! Tantivy's English stemmer with a memory of the words it has stemmed. Indexing stemmed
//! every word of every card afresh, which was the largest single cost of the indexing
//! thread (a third of it on the cpp-docs pages); but a card's words are mostly words seen
//! before (20,000 words make up 98% of those pages), and looking a word up costs a
//! fraction of stemming it. The stems are the ones tantivy's `Stemmer` gives.

use std::collections::HashMap;

use tantivy::tokenizer::{RawTokenizer, Stemmer, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer};

/// Words remembered at most; then the memory starts over. Each stemmed field of a
/// segment being written has its own memory, so this bounds it at a few MiB.
const MAX_WORDS: usize = 50_000;

/// A [`TokenFilter`] that stems like tantivy's English [`Stemmer`], remembering stems.
#[derive(Clone, Copy, Debug, Default)]
pub struct CachedStemmer;

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter { inner: tokenizer, memory: Memory::new() }
    }
}

pub struct CachedStemmerFilter<T> {
    inner: T,
    memory: Memory,
}

/// A copy starts with an empty memory: tantivy copies an analyzer for every segment it
/// writes and every search, and copying a full memory would cost more than it saves.
impl<T: Clone> Clone for CachedStemmerFilter<T> {
    fn clone(&self) -> Self {
        CachedStemmerFilter { inner: self.inner.clone(), memory: Memory::new() }
    }
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream { tail: self.inner.token_stream(text), memory: &mut self.memory }
    }
}

pub struct CachedStemmerStream<'a, T> {
    tail: T,
    memory: &'a mut Memory,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        self.memory.stem(&mut self.tail.token_mut().text);
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
    fn a_full_memory_starts_over_and_a_copy_starts_empty() {
        let mut memory = Memory::new();
        for i in 0..MAX_WORDS + 10 {
            let mut word = format!("walking{i}");
            memory.stem(&mut word);
        }
        assert_eq!(memory.stems.len(), 10);
        let mut word = "walking".to_string();
        memory.stem(&mut word);
        assert_eq!(word, "walk");
        let mut filter = CachedStemmer.transform(RawTokenizer::default());
        filter.token_stream("walking").process(&mut |t| assert_eq!(t.text, "walk"));
        assert_eq!(filter.memory.stems.len(), 1);
        assert!(filter.clone().memory.stems.is_empty());
    }
}
