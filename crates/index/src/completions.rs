//! As you type: the known words that an unfinished last word may become.

use std::collections::HashMap;
use std::ops::Range;

use tantivy::schema::Field;
use tantivy::{Searcher, SegmentReader, Term};

use crate::visible::Visible;

/// An unfinished last word matches as the start of this many words at most.
pub(crate) const MAX_COMPLETIONS: usize = 64;

/// The known words longer than `start` that begin with it, the [`MAX_COMPLETIONS`] in the
/// most cards first, as search boxes usually do: a short start can begin thousands of
/// words, and reading every one's cards made such searches slow at a million cards.
/// Words that only cards the person may not see have are passed over, so they never
/// crowd out a visible one.
///
/// Each segment's term dictionary is read on its own core (three letters began 5,500
/// words at a million generated cards: 55,000 dictionary steps over ten segments).
pub(crate) fn completions(
    searcher: &Searcher,
    field: Field,
    start: &str,
    visible: &Visible,
) -> tantivy::Result<Vec<Term>> {
    let executor = searcher.index().search_executor();
    let per_segment = executor.map(|reader| words_starting(reader, field, start), searcher.segment_readers().iter())?;
    let mut cards: HashMap<&[u8], u64> = HashMap::new();
    for segment in &per_segment {
        for (word, n) in &segment.words {
            *cards.entry(&segment.bytes[word.clone()]).or_default() += n;
        }
    }
    let mut words: Vec<(&[u8], u64)> = cards.into_iter().collect();
    words.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let terms = words.into_iter().filter_map(|(word, _)| std::str::from_utf8(word).ok());
    let terms = terms.map(|word| Term::from_field_text(field, word));
    if visible.everything() {
        return Ok(terms.take(MAX_COMPLETIONS).collect());
    }
    let mut seen = Vec::with_capacity(MAX_COMPLETIONS);
    for term in terms {
        if seen.len() == MAX_COMPLETIONS {
            break;
        }
        if visible.has(searcher, &term)? {
            seen.push(term);
        }
    }
    Ok(seen)
}

/// One segment's words that begin with a start, each with its card count: the words'
/// bytes one after the other, so that reading thousands of them allocates nothing each.
struct SegmentWords {
    bytes: Vec<u8>,
    words: Vec<(Range<usize>, u64)>,
}

fn words_starting(reader: &SegmentReader, field: Field, start: &str) -> tantivy::Result<SegmentWords> {
    let mut found = SegmentWords { bytes: Vec::new(), words: Vec::new() };
    let inverted = reader.inverted_index(field)?;
    let mut terms = inverted.terms().range().ge(start.as_bytes()).into_stream()?;
    while terms.advance() {
        let key = terms.key();
        if !key.starts_with(start.as_bytes()) {
            break;
        }
        if key.len() > start.len() {
            let at = found.bytes.len();
            found.bytes.extend_from_slice(key);
            found.words.push((at..found.bytes.len(), u64::from(terms.value().doc_freq)));
        }
    }
    Ok(found)
}
