//! Any of a query's words, ranked by how many of them a card has, in one pass — and, when
//! only the best page is wanted, without scoring the cards that cannot make it.
//!
//! A card's score is the sum of its words' scores over the searched fields, plus a small
//! bonus per word matched and one about a word's worth for matching every word (the recall
//! of OR, leaning towards the precision of AND without overruling BM25: see
//! `ALL_WORDS_BONUS`). Each word is a set of parts, one per field (a term scored with
//! BM25, or a phrase for a quoted phrase or a word of several tokens); this scorer reads
//! each part's postings once and counts the words it meets on the way. Two words typed
//! next to each other also score where they are close together in a field (see `near`);
//! such a card has both words, so these are only looked up for the cards that do.
//!
//! Pruning (MaxScore). Every term has a best possible score (its BM25 weight with the
//! term frequency saturated). The collector of the best hits publishes the relevance a
//! card must reach to enter the page ([`Pruning::threshold`]). The parts whose best
//! scores, together with every bonus they could earn, stay below it cannot bring a card
//! onto the page on their own: they stop producing candidates and are only looked up for
//! the cards the other parts bring. Once the page is full of cards with every word, that
//! leaves the rarest word driving; for one word, its title matches drive and the body
//! postings are looked up. Counting all matches (totals, facets) runs separately,
//! without scores and without pruning.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use tantivy::query::{BitSetDocSet, ConstScorer, EnableScoring, Explanation, PhraseQuery, Query, Scorer, Weight};
use tantivy::{BitSet, DocId, DocSet, Score, Searcher, SeekDangerResult, SegmentReader, TERMINATED, Term};

use crate::bm25::{Bm25TermQuery, best_phrase_score, best_score};
use crate::doc_sets::insert_docs;
use crate::near::{self, NearQuery};
use crate::pairs::PhrasePairs;

/// The most words a query searches for: the scorer counts them in a 128-bit set.
pub const MAX_WORDS: usize = 128;

#[derive(Debug, Clone)]
pub struct CoordinationQuery {
    words: Vec<Vec<Part>>,
    /// Looser matches scored alongside the words, with their best scores and the word
    /// they stand for, if any (a completion of the last word counts as that word for the
    /// bonuses, but never earns the `any` lift that exact matches get). Most can be set
    /// aside once the page fills.
    extras: Vec<Extra>,
    /// Words typed next to each other, worth a little more close together.
    near: Vec<Near>,
    bonuses: Bonuses,
    pruning: Option<Pruning>,
}

/// What a card earns on top of its words' scores.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bonuses {
    /// For matching at least one word (lifts word matches above prefix and typo matches).
    pub any: Score,
    /// For each word matched, when there are several.
    pub per_word: Score,
    /// For matching every word, when there are several.
    pub all: Score,
}

#[derive(Debug)]
struct Extra {
    query: Box<dyn Query>,
    best: Score,
    word: Option<usize>,
}

impl Clone for Extra {
    fn clone(&self) -> Self {
        Extra { query: self.query.box_clone(), best: self.best, word: self.word }
    }
}

/// One word in one field.
#[derive(Debug, Clone)]
pub struct Part {
    tokens: Vec<(usize, Term)>,
    boost: Score,
    /// For a phrase of common words: their pair terms.
    pairs: Option<PhrasePairs>,
}

impl Part {
    /// A word of one token (scored with BM25) or several (a phrase), with the field's boost.
    pub fn new(tokens: Vec<(usize, Term)>, boost: Score) -> Self {
        Part { tokens, boost, pairs: None }
    }

    /// This phrase, looked up through its words' pair terms where cards have them.
    pub fn with_pairs(self, pairs: Option<PhrasePairs>) -> Self {
        Part { pairs, ..self }
    }

    /// A query scoring the part's cards, and the most it can score before boosts.
    fn scored(&self, searcher: Option<&Searcher>) -> tantivy::Result<(Box<dyn Query>, Score)> {
        Ok(match &self.tokens[..] {
            [(_, term)] => {
                let best = searcher.map_or(Ok(Score::INFINITY), |s| best_score(s, term))?;
                (Box::new(Bm25TermQuery::new(term.clone())), best)
            }
            tokens => {
                let terms: Vec<Term> = tokens.iter().map(|(_, t)| t.clone()).collect();
                let best = searcher.map_or(Ok(Score::INFINITY), |s| best_phrase_score(s, &terms))?;
                let phrase = Box::new(PhraseQuery::new_with_offset(tokens.to_vec()));
                match &self.pairs {
                    Some(pairs) => (pairs.phrase(phrase, terms), best),
                    None => (phrase, best),
                }
            }
        })
    }
}

/// Two of the query's words in one field (terms of single-token parts of two words),
/// worth `boost` times their closeness score (see `near`).
#[derive(Debug, Clone)]
pub struct Near {
    pub first: Term,
    pub second: Term,
    pub boost: Score,
}

/// Shared by the query and the collector of the best hits of one search.
#[derive(Debug, Clone)]
pub struct Pruning {
    /// The relevance (score × 100, rounded, as the collector ranks) a card must reach to
    /// enter the page; only ever raised.
    pub threshold: Arc<AtomicI64>,
}

impl Default for Pruning {
    fn default() -> Self {
        Pruning::new()
    }
}

impl Pruning {
    pub fn new() -> Self {
        Pruning { threshold: Arc::new(AtomicI64::new(i64::MIN)) }
    }

    /// Called by the collector: a full page's worst relevance.
    pub fn raise(&self, relevance: i64) {
        self.threshold.fetch_max(relevance, Ordering::Relaxed);
    }
}

/// How the collector of the best hits ranks a score: to two decimals.
pub fn relevance(score: Score) -> i64 {
    // Scores are never negative, so adding a half and truncating rounds (without a call
    // to `roundf` for every match). Infinity saturates.
    (score * 100.0 + 0.5) as i64
}

impl CoordinationQuery {
    /// Words past the first [`MAX_WORDS`] are left out (a pasted page, not a question).
    pub fn new(mut words: Vec<Vec<Part>>, bonuses: Bonuses) -> Self {
        words.truncate(MAX_WORDS);
        CoordinationQuery { words, extras: Vec::new(), near: Vec::new(), bonuses, pruning: None }
    }

    /// The same query, also scoring cards where these words are close together.
    pub fn with_near(mut self, near: Vec<Near>) -> Self {
        self.near = near;
        self
    }

    /// The word (an index into the words) that has `term` as a part of one token.
    fn word_of(&self, term: &Term) -> Option<usize> {
        self.words.iter().position(|parts| parts.iter().any(|p| matches!(&p.tokens[..], [(_, t)] if t == term)))
    }

    pub fn bonuses(&self) -> Bonuses {
        self.bonuses
    }

    /// The same words with other bonuses.
    pub fn with_bonuses(&self, bonuses: Bonuses) -> Self {
        CoordinationQuery { bonuses, ..self.clone() }
    }

    /// The same query, skipping cards that cannot reach `pruning`'s threshold.
    pub fn pruned(&self, pruning: Pruning) -> Self {
        CoordinationQuery { pruning: Some(pruning), ..self.clone() }
    }

    /// The same words weighing `factor` times as much.
    pub fn scaled(&self, factor: Score) -> Self {
        let mut query = self.clone();
        query.words.iter_mut().flatten().for_each(|part| part.boost *= factor);
        query.near.iter_mut().for_each(|near| near.boost *= factor);
        query
    }

    /// The same query, also matching `extra`, which adds at most `best` to a score and
    /// stands for the `word`-th word (an index into the words), if any.
    pub fn with_extra(&self, extra: Box<dyn Query>, best: Score, word: Option<usize>) -> Self {
        let mut query = self.clone();
        let word = word.filter(|w| *w < query.words.len());
        query.extras.push(Extra { query: extra, best, word });
        query
    }
}

impl Query for CoordinationQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        if !scoring.is_scoring_enabled() {
            let mut terms = Vec::new();
            let mut others = Vec::new();
            for part in self.words.iter().flatten() {
                match &part.tokens[..] {
                    [(_, term)] => terms.push(term.clone()),
                    _ => others.push(part.scored(None)?.0.weight(scoring)?),
                }
            }
            for extra in &self.extras {
                others.push(extra.query.weight(scoring)?);
            }
            return Ok(Box::new(MatchWeight { terms, others }));
        }
        let searcher = scoring.searcher();
        let mut parts = Vec::new();
        for (word, word_parts) in self.words.iter().enumerate() {
            for part in word_parts {
                let (query, best) = part.scored(searcher)?;
                let weight = query.weight(scoring)?;
                parts.push(PartWeight {
                    words: 1 << word,
                    exact: true,
                    weight,
                    boost: part.boost,
                    best: best * part.boost,
                });
            }
        }
        for extra in &self.extras {
            let words = extra.word.map_or(0, |w| 1 << w);
            let weight = extra.query.weight(scoring)?;
            parts.push(PartWeight { words, exact: false, weight, boost: 1.0, best: extra.best });
        }
        let mut near = Vec::new();
        for pair in &self.near {
            let (Some(searcher), Some(first), Some(second)) =
                (searcher, self.word_of(&pair.first), self.word_of(&pair.second))
            else {
                continue;
            };
            if let Some((weight, best)) = NearQuery::new(pair.first.clone(), pair.second.clone()).scored(searcher)? {
                let words = (1 << first) | (1 << second);
                near.push(NearPartWeight { words, weight, boost: pair.boost, best: best * pair.boost });
            }
        }
        let pruning = self.pruning.clone().filter(|_| searcher.is_some());
        Ok(Box::new(CoordinationWeight { parts, near, words: self.words.len(), bonuses: self.bonuses, pruning }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for part in self.words.iter().flatten() {
            let phrase = part.tokens.len() > 1;
            for (_, term) in &part.tokens {
                visitor(term, phrase);
            }
        }
        for extra in &self.extras {
            extra.query.query_terms(visitor);
        }
    }
}

/// Which cards match, without scores: every part's cards in one bitset, terms read a
/// block of postings at a time (through a union scorer, counting a common word's
/// matches cost several times more per card).
struct MatchWeight {
    terms: Vec<Term>,
    others: Vec<Box<dyn Weight>>,
}

impl Weight for MatchWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut docs = BitSet::with_max_value(reader.max_doc());
        for term in &self.terms {
            insert_docs(reader, term, &mut docs)?;
        }
        for weight in &self.others {
            let mut scorer = weight.scorer(reader, boost)?;
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                docs.insert(doc);
                doc = scorer.advance();
            }
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(docs), boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        crate::bm25::explain_score(self, reader, doc, "matches")
    }
}

struct PartWeight {
    /// The word it belongs to, as a one-bit set (none for most extras).
    words: u128,
    /// A word as typed or stemmed, not a looser match.
    exact: bool,
    weight: Box<dyn Weight>,
    boost: Score,
    best: Score,
}

/// Two words close together: looked up only for cards with both `words`.
struct NearPartWeight {
    words: u128,
    weight: near::NearWeight,
    boost: Score,
    best: Score,
}

struct CoordinationWeight {
    parts: Vec<PartWeight>,
    near: Vec<NearPartWeight>,
    words: usize,
    bonuses: Bonuses,
    pruning: Option<Pruning>,
}

impl Weight for CoordinationWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut parts = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            let scorer = part.weight.scorer(reader, part.boost * boost)?;
            if scorer.doc() != TERMINATED {
                parts.push(PartScorer { scorer, words: part.words, exact: part.exact, best: part.best * boost });
            }
        }
        let mut near = Vec::with_capacity(self.near.len());
        for pair in &self.near {
            if let Some(scorer) = pair.weight.lookup(reader, pair.boost * boost)? {
                near.push(NearPart { scorer, words: pair.words, best: pair.best * boost, at: 0, found: false });
            }
        }
        // Weakest first: pruning sets aside a prefix of this order.
        parts.sort_by(|a, b| a.best.total_cmp(&b.best));
        let docs = parts.iter().map(|p| p.scorer.doc()).collect();
        let several = self.words >= 2;
        let bonuses = Bonuses {
            any: self.bonuses.any * boost,
            per_word: if several { self.bonuses.per_word * boost } else { 0.0 },
            all: if several { self.bonuses.all * boost } else { 0.0 },
        };
        let mut scorer = CoordinationScorer {
            parts,
            near,
            words: self.words,
            bonuses,
            pruning: self.pruning.clone(),
            seen_threshold: i64::MIN,
            set_aside: 0,
            docs,
            doc: TERMINATED,
        };
        scorer.doc = scorer.next_candidate();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        crate::bm25::explain_score(self, reader, doc, "coordination")
    }
}

struct PartScorer {
    scorer: Box<dyn Scorer>,
    words: u128,
    exact: bool,
    best: Score,
}

/// Two words close together, looked up (never driving) for cards with both words.
struct NearPart {
    scorer: near::NearScorer,
    words: u128,
    best: Score,
    /// No card before `at` has the words close together; `found`: `at` has.
    at: DocId,
    found: bool,
}

impl NearPart {
    /// Does `doc` have the words close together? Documents asked about only increase.
    fn has(&mut self, doc: DocId) -> bool {
        if doc > self.at || (doc == self.at && !self.found) {
            (self.at, self.found) = match self.scorer.seek_danger(doc) {
                SeekDangerResult::Found => (doc, true),
                SeekDangerResult::SeekLowerBound(bound) => (bound, false),
            };
        }
        self.found && self.at == doc
    }
}

/// A union over the parts' scorers. Queries have a handful of words, so finding the
/// next document by looking at each is cheaper than keeping a heap.
struct CoordinationScorer {
    /// Weakest first.
    parts: Vec<PartScorer>,
    near: Vec<NearPart>,
    /// Words in the query, including those this segment does not have.
    words: usize,
    bonuses: Bonuses,
    pruning: Option<Pruning>,
    /// The threshold `set_aside` was computed for.
    seen_threshold: i64,
    /// `parts[..set_aside]` cannot bring a card onto the page on their own: they are
    /// only sought to the candidates the others bring (and may lag behind `doc`).
    set_aside: usize,
    /// Each part's current document (read once per move, not through the scorer).
    docs: Vec<DocId>,
    doc: DocId,
}

impl CoordinationScorer {
    /// The best score a card can have with only `parts`, bonuses included.
    fn bound<'a>(&self, parts: impl Iterator<Item = &'a PartScorer>) -> Score {
        let (mut words, mut exact) = (0u128, false);
        let mut sum = 0.0;
        for part in parts {
            sum += part.best;
            words |= part.words;
            exact |= part.exact;
        }
        // Words close together add to cards with both.
        sum += self.near.iter().filter(|n| n.words & words == n.words).map(|n| n.best).sum::<Score>();
        sum + self.bonuses_for(words, exact)
    }

    /// The bonuses of a card with `words`, some of them `exact`ly.
    fn bonuses_for(&self, words: u128, exact: bool) -> Score {
        let count = words.count_ones() as usize;
        let b = self.bonuses;
        let any = if exact { b.any } else { 0.0 };
        let all = if count == self.words { b.all } else { 0.0 };
        any + b.per_word * count as Score + all
    }

    /// Follows the threshold: sets aside the longest run of weakest parts that cannot
    /// reach it together.
    fn follow_threshold(&mut self) {
        let Some(pruning) = &self.pruning else { return };
        let threshold = pruning.threshold.load(Ordering::Relaxed);
        if threshold <= self.seen_threshold {
            return;
        }
        self.seen_threshold = threshold;
        // A margin of one hundredth covers float rounding between bound and score.
        while self.set_aside < self.parts.len()
            && relevance(self.bound(self.parts[..=self.set_aside].iter())).saturating_add(1) < threshold
        {
            self.set_aside += 1;
        }
    }

    /// The smallest document of the driving parts that could still make the page.
    fn next_candidate(&mut self) -> DocId {
        self.follow_threshold();
        loop {
            let doc = self.docs[self.set_aside..].iter().copied().min().unwrap_or(TERMINATED);
            if doc == TERMINATED || self.set_aside == 0 || !self.hopeless(doc) {
                return doc;
            }
            self.advance_driving(doc);
        }
    }

    /// Moves the driving parts on `doc` past it.
    fn advance_driving(&mut self, doc: DocId) {
        for i in self.set_aside..self.parts.len() {
            if self.docs[i] == doc {
                self.docs[i] = self.parts[i].scorer.advance();
            }
        }
    }

    /// Can `doc` not reach the threshold even if every set-aside part matched it?
    fn hopeless(&self, doc: DocId) -> bool {
        if self.pruning.is_none() {
            return false;
        }
        let driving = (self.set_aside..self.parts.len()).filter(|i| self.docs[*i] == doc).map(|i| &self.parts[i]);
        let bound = self.bound(self.parts[..self.set_aside].iter().chain(driving));
        relevance(bound).saturating_add(1) < self.seen_threshold
    }
}

impl DocSet for CoordinationScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.advance_driving(self.doc);
        self.doc = self.next_candidate();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for i in self.set_aside..self.parts.len() {
            if self.docs[i] < target {
                self.docs[i] = self.parts[i].scorer.seek(target);
            }
        }
        self.doc = self.next_candidate();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.parts.iter().map(|p| p.scorer.size_hint()).max().unwrap_or(0)
    }

    fn cost(&self) -> u64 {
        self.parts.iter().map(|p| p.scorer.cost()).sum()
    }
}

#[cfg(test)]
thread_local! {
    /// Cards scored on this thread, to see pruning at work in tests.
    pub static SCORED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

impl Scorer for CoordinationScorer {
    fn score(&mut self) -> Score {
        #[cfg(test)]
        SCORED.with(|n| n.set(n.get() + 1));
        let doc = self.doc;
        let (mut matched, mut exact) = (0u128, false);
        let mut sum = 0.0;
        for (i, part) in self.parts.iter_mut().enumerate() {
            // Set-aside parts lag behind: look them up now.
            if self.docs[i] < doc {
                self.docs[i] = part.scorer.seek(doc);
            }
            if self.docs[i] == doc {
                sum += part.scorer.score();
                matched |= part.words;
                exact |= part.exact;
            }
        }
        let score = sum + self.bonuses_for(matched, exact);
        // Closeness is only looked up (positions read) when it could bring the card onto
        // the page: a card that cannot make it is scored without.
        let near = || self.near.iter().filter(move |n| n.words & matched == n.words);
        let most = near().map(|n| n.best).sum::<Score>();
        if most == 0.0 || (self.pruning.is_some() && relevance(score + most).saturating_add(1) < self.seen_threshold) {
            return score;
        }
        let mut closeness = 0.0;
        for near in self.near.iter_mut().filter(|n| n.words & matched == n.words) {
            if near.has(doc) {
                closeness += near.scorer.score();
            }
        }
        score + closeness
    }
}
