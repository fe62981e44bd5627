//! Query syntax (`title:`, AND/OR, NOT, parentheses) through tantivy's parser, with every
//! excluded clause behind a scorer that only ever moves forward.
//!
//! tantivy leaves cards out by asking the excluded clause's scorer about each candidate
//! (`Exclude`), also about a candidate before the card that scorer already stands on. A
//! phrase scorer asserts it is never asked that (tantivy issue #2811): in a debug build
//! `(title:deploy) -"big house"` panicked; release builds skip the assertion and answer
//! right. [`ForwardOnly`] answers such a question itself ("not in the set") and passes
//! only later cards on. It can wrap the exclusions of every group because boosts are moved
//! onto the words first: the parser's boosted group (`(a -"b c")^2`) is opaque, while the
//! same group with each part boosted scores the same (a group's score is its parts' sum).

use tantivy::query::{BooleanQuery, EnableScoring, Explanation, Occur, Query, QueryParser, Scorer, Weight};
use tantivy::query_grammar::{self, UserInputAst};
use tantivy::schema::Schema;
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

/// `text` parsed leniently: the query, and whether any part of it could not be read or
/// cannot run on this `schema` (`title:*` parses, but asks for a fast field).
pub(crate) fn parse(parser: &QueryParser, schema: &Schema, text: &str) -> (Box<dyn Query>, bool) {
    let (ast, syntax_errors) = query_grammar::parse_query_lenient(text);
    let (query, errors) = parser.build_query_from_user_input_ast_lenient(boosts_on_words(ast, 1.0));
    let runs = query.weight(EnableScoring::disabled_from_schema(schema));
    let unreadable = !syntax_errors.is_empty() || !errors.is_empty() || runs.is_err();
    if unreadable {
        let cannot_run = runs.err();
        tracing::debug!(query = text, syntax = ?syntax_errors, ?errors, ?cannot_run, "query syntax not understood; searching its words");
    }
    (forward_only_exclusions(query), unreadable)
}

/// The same query with each boost on a group moved onto the group's parts.
fn boosts_on_words(ast: UserInputAst, boost: f64) -> UserInputAst {
    match ast {
        UserInputAst::Boost(inner, by) => boosts_on_words(*inner, boost * by.0),
        UserInputAst::Clause(clauses) => UserInputAst::Clause(
            clauses.into_iter().map(|(occur, clause)| (occur, boosts_on_words(clause, boost))).collect(),
        ),
        leaf if boost == 1.0 => leaf,
        leaf => UserInputAst::Boost(Box::new(leaf), boost.into()),
    }
}

/// The same query with the excluded clauses of every group behind [`ForwardOnly`].
fn forward_only_exclusions(query: Box<dyn Query>) -> Box<dyn Query> {
    let Some(group) = query.downcast_ref::<BooleanQuery>() else { return query };
    let clauses = group
        .clauses()
        .iter()
        .map(|(occur, clause)| {
            let clause = forward_only_exclusions(clause.box_clone());
            match occur {
                Occur::MustNot => (*occur, Box::new(ForwardOnly(clause)) as Box<dyn Query>),
                _ => (*occur, clause),
            }
        })
        .collect();
    Box::new(BooleanQuery::with_minimum_required_clauses(clauses, group.get_minimum_number_should_match()))
}

/// A query whose scorer is asked about cards in increasing order only.
#[derive(Debug)]
struct ForwardOnly(Box<dyn Query>);

impl Clone for ForwardOnly {
    fn clone(&self) -> Self {
        ForwardOnly(self.0.box_clone())
    }
}

impl Query for ForwardOnly {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ForwardOnlyWeight(self.0.weight(scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct ForwardOnlyWeight(Box<dyn Weight>);

impl Weight for ForwardOnlyWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ForwardOnlyScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

/// Seeks its scorer forward only; `seek_danger` is the trait's own, built on `seek`, so
/// a card before the current one is simply not in the set.
struct ForwardOnlyScorer(Box<dyn Scorer>);

impl DocSet for ForwardOnlyScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.0.doc();
        if doc >= target { doc } else { self.0.seek(target) }
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for ForwardOnlyScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_boost_on_a_group_moves_onto_its_words() {
        let (ast, _) = query_grammar::parse_query_lenient("(a -\"b c\")^2 d^3");
        let moved = format!("{:?}", boosts_on_words(ast, 1.0));
        assert_eq!(moved, r#"(*(*(a)^2 -("b c")^2) *(d)^3)"#);
    }
}
