//! Two words typed next to each other, found close together in a card: "dielectric
//! constant" says more about a card where the words are a few words apart than about one
//! that mentions them in different sentences.
//!
//! Scored like one more word with BM25: the number of times the first word has the second
//! within [`WINDOW`] positions (either side) is its term frequency, the field's length
//! normalises it, and its weight is the commoner word's idf (the lower of the two), so a
//! chance encounter of two rare words is not taken for a phrase. Measured on the Vaswani
//! collection (`examples/vaswani.rs`), with the query's adjacent word pairs at weight
//! `query`'s `NEAR_WEIGHT`: MAP .2978 → .3014, nDCG@10 .4568 → .4671. A strict phrase
//! (the words adjacent, in order) ranked worse than none (MAP .2944 at weight .25 with
//! its own idf, .2951 with the words'); counting closer occurrences more (1/distance)
//! ranked below counting them all alike; the pair's own idf (its cards counted at every
//! search) did about as well (.3029 at .15) but costs a pass over both words' cards.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25StatisticsProvider, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, Term};

use crate::bm25::{best_of, saturated, statistics_for};

/// How many positions apart the two words may be (best MAP at weights .3–.4: .2993 at 4,
/// .3014 at 5, .3001 at 6, .2991 at 10).
pub const WINDOW: u32 = 5;

/// Cards where `first` has `second` within [`WINDOW`] positions; both in one field.
#[derive(Clone, Debug)]
pub struct NearQuery {
    first: Term,
    second: Term,
}

impl NearQuery {
    pub fn new(first: Term, second: Term) -> Self {
        NearQuery { first, second }
    }

    /// Its weight and the most it can score (before boosts), from one look at the
    /// statistics; `None` when a word is not in the field.
    pub fn scored(&self, stats: &dyn Bm25StatisticsProvider) -> tantivy::Result<Option<(NearWeight, Score)>> {
        let Some((idf, average_length)) = self.statistics(stats)? else { return Ok(None) };
        Ok(Some((NearWeight { query: self.clone(), idf, average_length }, best_of(idf))))
    }

    /// The lower of the words' idfs and the field's average length; `None` when a word is
    /// not in the field.
    fn statistics(&self, stats: &dyn Bm25StatisticsProvider) -> tantivy::Result<Option<(Score, Score)>> {
        let (first, second) = (stats.doc_freq(&self.first)?, stats.doc_freq(&self.second)?);
        if first == 0 || second == 0 {
            return Ok(None);
        }
        statistics_for(stats, self.first.field(), first.max(second)).map(Some)
    }
}

impl Query for NearQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let (idf, average_length) = match scoring.searcher().filter(|_| scoring.is_scoring_enabled()) {
            Some(searcher) => self.statistics(searcher)?.unwrap_or((0.0, 1.0)),
            None => (1.0, 1.0),
        };
        Ok(Box::new(NearWeight { query: self.clone(), idf, average_length }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.first, true);
        visitor(&self.second, true);
    }
}

pub struct NearWeight {
    query: NearQuery,
    idf: Score,
    average_length: Score,
}

impl NearWeight {
    /// A scorer that has not looked for its first card yet: only to be asked about cards
    /// with [`DocSet::seek_danger`] (which is how the words' own scorer asks, see
    /// `coordination`). `None` when the segment lacks a word.
    pub fn lookup(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Option<NearScorer>> {
        let inverted = reader.inverted_index(self.query.first.field())?;
        let postings = |term| inverted.read_postings(term, IndexRecordOption::WithFreqsAndPositions);
        let (Some(first), Some(second)) = (postings(&self.query.first)?, postings(&self.query.second)?) else {
            return Ok(None);
        };
        Ok(Some(NearScorer {
            first,
            second,
            norms: reader.get_fieldnorms_reader(self.query.first.field())?,
            weight: self.idf * boost,
            average_length: self.average_length,
            doc: TERMINATED,
            freq: 0,
            positions: (Vec::new(), Vec::new()),
        }))
    }
}

impl Weight for NearWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(mut scorer) = self.lookup(reader, boost)? else { return Ok(Box::new(EmptyScorer)) };
        scorer.doc = scorer.next_near();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        crate::bm25::explain_score(self, reader, doc, "near")
    }
}

pub struct NearScorer {
    first: SegmentPostings,
    second: SegmentPostings,
    norms: FieldNormReader,
    weight: Score,
    average_length: Score,
    doc: DocId,
    /// How often the words are near each other in `doc`.
    freq: u32,
    positions: (Vec<u32>, Vec<u32>),
}

impl NearScorer {
    /// From the postings' current cards on, the first with the words near each other.
    fn next_near(&mut self) -> DocId {
        loop {
            let (mut a, mut b) = (self.first.doc(), self.second.doc());
            while a != b {
                if a < b {
                    a = self.first.seek(b);
                } else {
                    b = self.second.seek(a);
                }
            }
            if a == TERMINATED {
                return TERMINATED;
            }
            self.freq = self.near_count();
            if self.freq > 0 {
                return a;
            }
            self.first.advance();
        }
    }

    /// The first word's occurrences with the second within the window.
    fn near_count(&mut self) -> u32 {
        let (firsts, seconds) = &mut self.positions;
        firsts.clear();
        seconds.clear();
        self.first.positions(firsts);
        self.second.positions(seconds);
        let mut count = 0;
        let mut j = 0;
        for &p in firsts.iter() {
            while j < seconds.len() && seconds[j] + WINDOW < p {
                j += 1;
            }
            // One word's parts may share a position; the other word is elsewhere.
            if seconds[j..].iter().take_while(|&&s| s <= p + WINDOW).any(|&s| s != p) {
                count += 1;
            }
        }
        count
    }
}

impl DocSet for NearScorer {
    fn advance(&mut self) -> DocId {
        if self.doc != TERMINATED {
            self.first.advance();
            self.doc = self.next_near();
        }
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc < target {
            if self.first.doc() < target {
                self.first.seek(target);
            }
            self.doc = self.next_near();
        }
        self.doc
    }

    /// Whether `target` has the words near each other, without looking further when it
    /// has not: a card the other words bring is checked at the cost of its positions.
    fn seek_danger(&mut self, target: DocId) -> SeekDangerResult {
        if target == TERMINATED {
            return SeekDangerResult::SeekLowerBound(TERMINATED);
        }
        for postings in [&mut self.first, &mut self.second] {
            let doc = if postings.doc() < target { postings.seek(target) } else { postings.doc() };
            if doc != target {
                // Neither word's next card comes before `doc`, nor does one with both.
                return SeekDangerResult::SeekLowerBound(doc.max(target + 1));
            }
        }
        self.freq = self.near_count();
        if self.freq == 0 {
            return SeekDangerResult::SeekLowerBound(target + 1);
        }
        self.doc = target;
        SeekDangerResult::Found
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.first.size_hint().min(self.second.size_hint())
    }
}

impl Scorer for NearScorer {
    fn score(&mut self) -> Score {
        let freq = self.freq as Score;
        let length = self.norms.fieldnorm(self.doc) as Score;
        saturated(self.weight, freq, length, self.average_length)
    }
}
