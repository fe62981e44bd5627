//! A term query scored with BM25 under our own parameters. tantivy's `TermQuery` fixes
//! k1 = 1.2 and b = 0.75 and uses Lucene's idf; measured on the Vaswani collection
//! (`examples/vaswani.rs`), the classic Robertson–Spärck Jones idf and the values
//! below rank better.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25StatisticsProvider, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// Term-frequency saturation.
const K1: Score = 1.2;
/// tantivy's own k1, which its `PhraseQuery` scores with.
const TANTIVY_K1: Score = 1.2;
/// How much a long field is penalised (0: not at all, 1: fully). Vaswani MAP by b at
/// k1 = 1.2: .75 → .2937, .6 → .2959, .5 → .2969, .3 → .2918.
const B: Score = 0.5;

#[derive(Clone, Debug)]
pub struct Bm25TermQuery {
    term: Term,
}

impl Bm25TermQuery {
    pub fn new(term: Term) -> Self {
        Bm25TermQuery { term }
    }
}

impl Query for Bm25TermQuery {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let (idf, average_length) = match scoring.searcher().filter(|_| scoring.is_scoring_enabled()) {
            Some(searcher) => statistics(searcher, &self.term)?,
            None => (1.0, 1.0),
        };
        Ok(Box::new(Bm25Weight { term: self.term.clone(), idf, average_length }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.term, false);
    }
}

/// The most a term can score (before boosts): its weight with the term frequency
/// saturated, which no card reaches.
pub fn best_score(stats: &dyn Bm25StatisticsProvider, term: &Term) -> tantivy::Result<Score> {
    Ok(best_of(statistics(stats, term)?.0))
}

/// The most a weight of `idf` can score: its term frequency saturated.
pub(crate) fn best_of(idf: Score) -> Score {
    idf * (K1 + 1.0)
}

/// BM25 of a frequency `tf` in a field of `length` tokens, with `weight` (idf × boost).
pub(crate) fn saturated(weight: Score, tf: Score, length: Score, average_length: Score) -> Score {
    let norm = K1 * (1.0 - B + B * length / average_length);
    weight * tf * (K1 + 1.0) / (tf + norm)
}

/// The most a phrase can score (before boosts) under tantivy's own BM25, which
/// `PhraseQuery` uses: the sum of its terms' idfs (Lucene's) times k1 + 1 (tantivy's k1,
/// 1.2), a little over, so float rounding never makes a real score exceed it.
pub fn best_phrase_score(stats: &dyn Bm25StatisticsProvider, terms: &[Term]) -> tantivy::Result<Score> {
    let docs = stats.total_num_docs()?;
    let mut idf = 0.0;
    for term in terms {
        let df = stats.doc_freq(term)?.min(docs);
        idf += (1.0 + ((docs - df) as Score + 0.5) / (df as Score + 0.5)).ln();
    }
    Ok(idf * (TANTIVY_K1 + 1.0) * 1.001)
}

/// The term's idf and the field's average length, over the whole index.
fn statistics(stats: &dyn Bm25StatisticsProvider, term: &Term) -> tantivy::Result<(Score, Score)> {
    statistics_for(stats, term.field(), stats.doc_freq(term)?)
}

/// The idf of a term in `doc_freq` cards and the average length of `field`.
pub(crate) fn statistics_for(
    stats: &dyn Bm25StatisticsProvider,
    field: Field,
    doc_freq: u64,
) -> tantivy::Result<(Score, Score)> {
    let docs = stats.total_num_docs()?.max(1) as Score;
    let df = doc_freq as Score;
    let tokens = stats.total_num_tokens(field)? as Score;
    // Robertson–Spärck Jones, floored so that words in most cards still count a little.
    let idf = ((docs - df + 0.5) / (df + 0.5)).ln().max(0.01);
    Ok((idf, (tokens / docs).max(1.0)))
}

struct Bm25Weight {
    term: Term,
    idf: Score,
    average_length: Score,
}

impl Weight for Bm25Weight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let field = self.term.field();
        let Some(postings) = reader.inverted_index(field)?.read_postings(&self.term, IndexRecordOption::WithFreqs)?
        else {
            return Ok(Box::new(EmptyScorer));
        };
        let norms = reader.get_fieldnorms_reader(field)?;
        Ok(Box::new(Bm25Scorer { postings, norms, weight: self.idf * boost, average_length: self.average_length }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        explain_score(self, reader, doc, "bm25")
    }
}

/// An explanation that is just the score: our weights have no parts worth listing.
pub(crate) fn explain_score(
    weight: &dyn Weight,
    reader: &SegmentReader,
    doc: DocId,
    name: &'static str,
) -> tantivy::Result<Explanation> {
    let mut scorer = weight.scorer(reader, 1.0)?;
    if scorer.seek(doc) != doc {
        return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
    }
    Ok(Explanation::new(name, scorer.score()))
}

struct Bm25Scorer {
    postings: SegmentPostings,
    norms: FieldNormReader,
    weight: Score,
    average_length: Score,
}

impl DocSet for Bm25Scorer {
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

impl Scorer for Bm25Scorer {
    fn score(&mut self) -> Score {
        let tf = self.postings.term_freq() as Score;
        let length = self.norms.fieldnorm(self.postings.doc()) as Score;
        saturated(self.weight, tf, length, self.average_length)
    }
}
