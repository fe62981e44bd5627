//! Common words side by side, indexed as one term: what keeps a quoted phrase of two
//! common words fast in a big index.
//!
//! A phrase is matched with positions: tantivy reads where each of its words stands in
//! every card that has them all. That costs little unless every word is common: a phrase
//! of two words each in 40% of a million cards can match 400,000 of them, and all their
//! positions are read to count and rank it. So where two *common* words stand side by
//! side in a searched field, the pair is also indexed as one term (`pairs` field, with
//! its frequency, no positions), and such a phrase reads one posting list instead.
//!
//! Which words are common is learnt from the index as it grows ([`CommonWords::refreshed`]):
//! a word in at least [`COMMON_IN`] cards joins the set, and the set's version goes up.
//! Every card records the version it was indexed under (`pairs_version`), so a phrase
//! looks up its pair term in the cards indexed since both its words were common, and
//! reads positions only in the older ones. A word joins soon after it reaches
//! [`COMMON_IN`] cards, so those older cards are few, however big the index grows. Only
//! the first set, which arrives with the commonest words of all, has every card indexed
//! again once (see `SearchIndex::reload`). Indexing every pair instead (tried) made most
//! terms pairs seen once and halved import speed; hashed pairs (tried) still cost a third
//! of it.

use std::collections::HashMap;
use std::ops::Bound;
use std::path::Path;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{
    Bm25Weight, BooleanQuery, ConstScoreQuery, EmptyScorer, EnableScoring, Explanation, Occur, Query, RangeQuery,
    Scorer, TermQuery, Weight,
};
use tantivy::schema::Field;
use tantivy::schema::IndexRecordOption::{Basic, WithFreqs};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, Term};

use crate::bm25::explain_score;

/// A word in this many cards is common: phrases of rarer words read at most this many
/// cards' positions.
pub const COMMON_IN: u64 = 20_000;

/// The common words, each with the version of the set it joined in.
#[derive(Debug, Clone)]
pub struct CommonWords {
    words: HashMap<String, u64>,
    /// The current version: the one cards indexed now record.
    version: u64,
    /// Cards in the index when the set was last brought up to date.
    checked_at: u64,
    /// [`COMMON_IN`], but for tests.
    common_in: u64,
}

impl Default for CommonWords {
    fn default() -> Self {
        CommonWords { words: HashMap::new(), version: 0, checked_at: 0, common_in: COMMON_IN }
    }
}

impl CommonWords {
    /// The set saved at `path` (one `version<TAB>word` per line); empty when there is none.
    pub fn load(path: &Path) -> std::io::Result<CommonWords> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CommonWords::default()),
            Err(e) => return Err(e),
        };
        let mut set = CommonWords::default();
        for line in text.lines() {
            // A line that does not parse was not written by this code: leaving the word out
            // only makes its phrases read positions.
            let Some((version, word)) = line.split_once('\t') else { continue };
            let Ok(version) = version.parse::<u64>() else { continue };
            set.version = set.version.max(version);
            set.words.insert(word.to_owned(), version);
        }
        Ok(set)
    }

    /// Written whole to a temporary file and renamed, so a crash leaves the old set or the new.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut words: Vec<(&String, &u64)> = self.words.iter().collect();
        words.sort_by_key(|(word, version)| (**version, word.as_str()));
        let text: String = words.iter().map(|(word, version)| format!("{version}\t{word}\n")).collect();
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, path)
    }

    /// The same words, with words joining from `cards` cards on (tests use a few).
    pub fn common_in(self, cards: u64) -> CommonWords {
        CommonWords { common_in: cards, ..self }
    }

    /// The version cards indexed now record.
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    fn is_common(&self, word: &str) -> bool {
        self.words.contains_key(word)
    }

    /// The version from which cards have the pair term of the phrase `words` (adjacent
    /// analyzed tokens), when all its words are common.
    pub fn since(&self, words: &[&str]) -> Option<u64> {
        words.iter().map(|w| self.words.get(*w).copied()).try_fold(0, |since, v| Some(since.max(v?)))
    }

    /// The set with the words now in [`COMMON_IN`] cards of `field` added under a new
    /// version, or `None` when it is up to date (or was checked too recently).
    pub fn refreshed(&self, searcher: &Searcher, field: Field) -> tantivy::Result<Option<CommonWords>> {
        // Checked again once the index has grown by a tenth of the threshold, or by a
        // fiftieth, whichever is more: the cards a word is in before it joins stay few,
        // and the check (a walk over the dictionaries) stays rare.
        let cards = searcher.num_docs();
        let grown = (self.common_in / 10).max(self.checked_at / 50).max(1);
        if cards < self.common_in || cards < self.checked_at + grown {
            return Ok(None);
        }
        let mut set = CommonWords { checked_at: cards, ..self.clone() };
        // A word in `common_in` cards is in at least `common_in / segments` of one
        // segment's: only those are counted over the whole index.
        let segments = searcher.segment_readers().len().max(1) as u64;
        let at_least = self.common_in.div_ceil(segments);
        let mut candidates: Vec<Vec<u8>> = Vec::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                if u64::from(stream.value().doc_freq) >= at_least && !set.is_common_bytes(stream.key()) {
                    candidates.push(stream.key().to_vec());
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut joined = Vec::new();
        for key in candidates {
            if searcher.doc_freq(&Term::from_field_bytes(field, &key))? >= self.common_in
                && let Ok(word) = String::from_utf8(key)
            {
                joined.push(word);
            }
        }
        if !joined.is_empty() {
            set.version += 1;
            set.words.extend(joined.into_iter().map(|w| (w, set.version)));
        }
        Ok(Some(set))
    }

    fn is_common_bytes(&self, key: &[u8]) -> bool {
        std::str::from_utf8(key).is_ok_and(|w| self.is_common(w))
    }

    /// Appends to `pairs` the pair terms of `text` as `analyzer` splits it, each followed
    /// by a space: each two common tokens at consecutive positions, as
    /// `{field}:{first}+{second}` (see [`pair_text`]). A compound's whole form shares its first part's
    /// position, so it pairs with its neighbours too. One string for all of a card's pairs,
    /// split again by the `pairs` field's whitespace tokenizer: a `String` per pair was a
    /// tenth of the indexing thread's time.
    pub fn pairs_of(&self, analyzer: &mut TextAnalyzer, field: Field, text: &str, pairs: &mut String) {
        if self.is_empty() {
            return;
        }
        // The common tokens at the previous and at the current position (the first
        // `*_len` of each; the strings are reused).
        let (mut previous, mut current): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        let (mut previous_len, mut current_len) = (0, 0);
        let mut position = usize::MAX;
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let token = stream.token();
            if token.position != position {
                std::mem::swap(&mut previous, &mut current);
                previous_len = if token.position == position.wrapping_add(1) { current_len } else { 0 };
                current_len = 0;
                position = token.position;
            }
            if !self.is_common(&token.text) {
                continue;
            }
            for first in &previous[..previous_len] {
                push_pair(pairs, field, first, &token.text);
                pairs.push(' ');
            }
            match current.get_mut(current_len) {
                Some(reused) => {
                    reused.clear();
                    reused.push_str(&token.text);
                }
                None => current.push(token.text.clone()),
            }
            current_len += 1;
        }
    }
}

fn push_pair(out: &mut String, field: Field, first: &str, second: &str) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{}:{first}+{second}", field.field_id());
}

/// The pair term's text: the field's number keeps a title's pairs apart from a body's,
/// and `+` (never part of a token) joins the words.
pub fn pair_text(field: Field, first: &str, second: &str) -> String {
    let mut text = String::new();
    push_pair(&mut text, field, first, second);
    text
}

/// A phrase of common words, each two side by side indexed as a pair term since version
/// `since` (see [`CommonWords::since`]).
#[derive(Debug, Clone)]
pub struct PhrasePairs {
    /// In the `pairs` field.
    pub terms: Vec<Term>,
    pub since: u64,
    /// The `pairs_version` field.
    pub version: Field,
}

impl PhrasePairs {
    /// `phrase` (of `words`), matching and scoring the same cards, but reading positions
    /// only where the pair terms cannot say: in cards indexed before `since`, and for a
    /// phrase of more than two words, in the cards that have all its pairs.
    pub fn phrase(&self, phrase: Box<dyn Query>, words: Vec<Term>) -> Box<dyn Query> {
        let zero = |query: Box<dyn Query>| Box::new(ConstScoreQuery::new(query, 0.0)) as Box<dyn Query>;
        let newer: Box<dyn Query> = match &self.terms[..] {
            [pair] if words.len() == 2 => Box::new(PairQuery { pair: pair.clone(), words }),
            pairs => Box::new(BooleanQuery::new(
                std::iter::once((Occur::Must, phrase.box_clone()))
                    .chain(pairs.iter().map(|t| (Occur::Must, zero(Box::new(TermQuery::new(t.clone(), Basic))))))
                    .collect(),
            )),
        };
        let before = RangeQuery::new(Bound::Unbounded, Bound::Excluded(Term::from_field_u64(self.version, self.since)));
        let older = BooleanQuery::new(vec![(Occur::Must, phrase), (Occur::Must, zero(Box::new(before)))]);
        // A card is in one or the other: its score is the phrase's.
        Box::new(BooleanQuery::new(vec![(Occur::Should, newer), (Occur::Should, Box::new(older))]))
    }
}

/// Two words as a phrase, read from their pair term and scored as tantivy's
/// `PhraseQuery` scores them: the pair's frequency is the phrase's.
#[derive(Debug, Clone)]
struct PairQuery {
    pair: Term,
    words: Vec<Term>,
}

impl Query for PairQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let bm25 = match scoring.searcher().filter(|_| scoring.is_scoring_enabled()) {
            Some(searcher) => Some(Bm25Weight::for_terms(searcher, &self.words)?),
            None => None,
        };
        Ok(Box::new(PairWeight { pair: self.pair.clone(), field: self.words[0].field(), bm25 }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for word in &self.words {
            visitor(word, true);
        }
    }
}

struct PairWeight {
    pair: Term,
    /// The words' field, whose lengths the phrase is scored with.
    field: Field,
    bm25: Option<Bm25Weight>,
}

impl Weight for PairWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let postings = reader.inverted_index(self.pair.field())?.read_postings(&self.pair, WithFreqs)?;
        let Some(postings) = postings else { return Ok(Box::new(EmptyScorer)) };
        let norms = reader.get_fieldnorms_reader(self.field)?;
        Ok(Box::new(PairScorer { postings, norms, bm25: self.bm25.as_ref().map(|w| w.boost_by(boost)) }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        explain_score(self, reader, doc, "phrase pair")
    }
}

struct PairScorer {
    postings: SegmentPostings,
    norms: FieldNormReader,
    bm25: Option<Bm25Weight>,
}

impl DocSet for PairScorer {
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for PairScorer {
    fn score(&mut self) -> Score {
        match &self.bm25 {
            Some(bm25) => bm25.score(self.norms.fieldnorm_id(self.postings.doc()), self.postings.term_freq()),
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema;

    fn common(words: &[&str]) -> CommonWords {
        CommonWords { words: words.iter().map(|w| (w.to_string(), 1)).collect(), version: 1, ..CommonWords::default() }
    }

    #[test]
    fn common_tokens_side_by_side_pair_up_in_order_and_compounds_pair_whole_and_by_parts() {
        let (_, fields) = schema::build();
        let set = common(&["escal", "polici", "matter", "big", "hous", "bighous"]);
        let mut found = String::new();
        let text = "Escalation policies matter. Rare escalation policies. big-house";
        set.pairs_of(&mut schema::english(), fields.body, text, &mut found);
        let found: Vec<&str> = found.split_whitespace().collect();
        let pair = |a, b| pair_text(fields.body, a, b);
        assert_eq!(
            found,
            [
                pair("escal", "polici"),
                pair("polici", "matter"),
                pair("escal", "polici"),
                pair("polici", "bighous"),
                pair("polici", "big"),
                pair("bighous", "hous"),
                pair("big", "hous"),
            ]
        );
    }

    #[test]
    fn a_phrase_has_a_pair_term_since_its_last_word_became_common() {
        let mut set = common(&["incid"]);
        set.words.insert("servic".into(), 3);
        assert_eq!(set.since(&["incid", "servic"]), Some(3));
        assert_eq!(set.since(&["servic", "incid"]), Some(3));
        assert_eq!(set.since(&["incid", "rare"]), None);
    }

    #[test]
    fn the_set_survives_a_restart_and_ignores_lines_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("common-words");
        let mut set = common(&["incid", "servic"]);
        set.words.insert("deploy".into(), 2);
        set.version = 2;
        set.save(&path).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("garbage\nx\tword\n");
        std::fs::write(&path, text).unwrap();
        let loaded = CommonWords::load(&path).unwrap();
        assert_eq!(loaded.words, set.words);
        assert_eq!(loaded.version(), 2);
        assert_eq!(CommonWords::load(&dir.path().join("missing")).unwrap().version(), 0);
    }
}
