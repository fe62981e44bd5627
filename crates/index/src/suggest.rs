//! "Did you mean": when a query finds little, each word that finds nothing is replaced by
//! the nearest word the index knows (fewest edits, then the most cards).
//!
//! The index holds words of every collection, including ones the person searching may
//! not read. A correction is only offered when it finds cards under the same filters
//! and hidden collections as the search itself, so a suggestion never reveals a word
//! that only appears in cards they cannot see; and words only such cards have are passed
//! over before the few nearest candidates are chosen, so they never crowd out a visible
//! one (which would also tell that they exist).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use tantivy::collector::Count;
use tantivy::query::{FuzzyTermQuery, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Searcher, SegmentReader, Term};

use crate::query::{bare, has_syntax};
use crate::search::MAX_TYPO_WORDS;
use crate::tokenize::is_stop_word;
use crate::visible::Visible;
use crate::{SearchIndex, SearchRequest};

/// Candidates tried per word, nearest first, until one finds cards under the filters.
const CANDIDATES: usize = 5;

impl SearchIndex {
    /// The typed query with its unknown words corrected (among its first
    /// [`MAX_TYPO_WORDS`] words other than stop words); `None` when nothing needs or has a
    /// visible correction.
    pub(crate) fn suggest(
        &self,
        searcher: &Searcher,
        near: &mut NearWords,
        visible: &Visible,
        typed: &str,
        req: &SearchRequest,
        now: DateTime<Utc>,
    ) -> Option<String> {
        if has_syntax(typed) {
            return None;
        }
        let (mut changed, mut looked_at) = (false, 0);
        let words: Vec<String> = typed
            .split_whitespace()
            .map(|word| {
                if is_stop_word(bare(word)) || looked_at == MAX_TYPO_WORDS {
                    return word.to_owned();
                }
                looked_at += 1;
                match self.correction(searcher, near, visible, word, req, now) {
                    Some(fixed) => {
                        changed = true;
                        fixed
                    }
                    None => word.to_owned(),
                }
            })
            .collect();
        changed.then(|| words.join(" "))
    }

    /// A visible replacement for a word (not a stop word) that finds nothing visible.
    fn correction(
        &self,
        searcher: &Searcher,
        near: &mut NearWords,
        visible: &Visible,
        word: &str,
        req: &SearchRequest,
        now: DateTime<Utc>,
    ) -> Option<String> {
        let token = self.raw_token(word)?;
        let len = token.chars().count();
        if len < 4 || token.chars().any(|c| c.is_numeric()) {
            return None;
        }
        let plan = self.planner().plan(word)?;
        if self.finds_any(searcher, plan.exact, req, now) {
            return None;
        }
        let max_edits = if len >= 7 { 2 } else { 1 };
        // First letters are rarely mistyped: only words starting with the typed word's
        // first or second letter are offered.
        let starts: Vec<char> = token.chars().take(2).collect();
        // Words only hidden cards have are passed over before the few candidates are
        // chosen: nearer hidden words must not crowd out a visible one.
        let term = |text: &str| Term::from_field_text(self.fields.words, text);
        let candidates: Vec<String> = self
            .near(searcher, near, &token)
            .iter()
            .filter(|n| n.edits <= max_edits && n.text.chars().next().is_some_and(|c| starts.contains(&c)))
            .filter(|n| visible.everything() || visible.has(searcher, &term(&n.text)).unwrap_or(false))
            .take(CANDIDATES)
            .map(|n| n.text.clone())
            .collect();
        candidates.into_iter().find(|candidate| {
            let query = TermQuery::new(term(candidate), IndexRecordOption::Basic);
            self.finds_any(searcher, Box::new(query), req, now)
        })
    }

    /// Does `query` find any card under the request's filters and hidden collections?
    fn finds_any(&self, searcher: &Searcher, query: Box<dyn Query>, req: &SearchRequest, now: DateTime<Utc>) -> bool {
        searcher.search(&*self.with_filters(Some(query), req, now), &Count).is_ok_and(|n| n > 0)
    }

    /// Known words one edit from `token` (two when it has 7 letters or more), nearest
    /// first, then those in the most cards. Looked up once per word and search: the
    /// suggestion and the typo matches both use them.
    ///
    /// The term dictionary is walked with a Levenshtein automaton (tantivy's, the one
    /// fuzzy queries use), which visits only the paths that can stay within the edits;
    /// comparing every word of the index with the typed one made typo searches slow.
    pub(crate) fn near<'a>(&self, searcher: &Searcher, near: &'a mut NearWords, token: &str) -> &'a [Neighbour] {
        near.entry(token.to_owned()).or_insert_with(|| self.neighbours(searcher, token))
    }

    fn neighbours(&self, searcher: &Searcher, token: &str) -> Vec<Neighbour> {
        let target: Vec<char> = token.chars().collect();
        let max_edits = if target.len() >= 7 { 2 } else { 1 };
        let term = Term::from_field_text(self.fields.words, token);
        let Ok(automaton) = FuzzyTermQuery::new(term, max_edits as u8, true).automaton() else {
            return Vec::new();
        };
        // Each segment's dictionary is walked on its own core.
        let walk = |segment: &SegmentReader| -> tantivy::Result<Vec<String>> {
            let inverted = segment.inverted_index(self.fields.words)?;
            let mut terms = inverted.terms().search(&automaton).into_stream()?;
            let mut words = Vec::new();
            while terms.advance() {
                if let Ok(text) = std::str::from_utf8(terms.key()) {
                    words.push(text.to_owned());
                }
            }
            Ok(words)
        };
        let executor = searcher.index().search_executor();
        let Ok(per_segment) = executor.map(walk, searcher.segment_readers().iter()) else { return Vec::new() };
        let mut found: Vec<Neighbour> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for words in &per_segment {
            for text in words {
                if !seen.insert(text) {
                    continue;
                }
                let candidate: Vec<char> = text.chars().collect();
                if let Some(edits) = edit_distance(&target, &candidate, max_edits).filter(|e| *e > 0) {
                    let cards = searcher.doc_freq(&Term::from_field_text(self.fields.words, text)).unwrap_or(0);
                    found.push(Neighbour { text: text.to_owned(), edits, cards });
                }
            }
        }
        found.sort_by(|a, b| a.edits.cmp(&b.edits).then(b.cards.cmp(&a.cards)).then_with(|| a.text.cmp(&b.text)));
        found
    }
}

/// Known words near unknown ones, by unknown word (as the `words` field has it).
pub(crate) type NearWords = HashMap<String, Vec<Neighbour>>;

/// A known word a few edits from an unknown one.
#[derive(Debug, Clone)]
pub(crate) struct Neighbour {
    pub text: String,
    pub edits: usize,
    /// Cards containing it.
    pub cards: u64,
}

/// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`, or `None`
/// when more than `max`.
fn edit_distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; a.len() + 1];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i][0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
    }
    Some(rows[a.len()][b.len()]).filter(|d| *d <= max)
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    fn dist(a: &str, b: &str) -> Option<usize> {
        edit_distance(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>(), 2)
    }

    #[test]
    fn edits_count_swaps_as_one_and_give_up_past_the_limit() {
        assert_eq!(dist("deplyo", "deploy"), Some(1));
        assert_eq!(dist("polcy", "policy"), Some(1));
        assert_eq!(dist("escalaton", "escalation"), Some(1));
        assert_eq!(dist("kitten", "sitting"), None);
        assert_eq!(dist("same", "same"), Some(0));
    }
}
