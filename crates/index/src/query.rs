//! From what a person typed to tantivy queries.
//!
//! Plain words, "quoted phrases" and `-exclusions` (what people type) are turned into
//! queries here, so nothing typed is ever a syntax error and a phrase ranks as one more
//! word. Queries with other syntax (`field:`, AND/OR, parentheses, `+word`, wildcards) go
//! through tantivy's parser; if it rejects any part, the whole text is searched as plain
//! words instead.

use std::sync::Arc;

use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, Query, QueryParser};
use tantivy::schema::Field;
use tantivy::tokenizer::{TextAnalyzer, TokenizerManager};
use tantivy::{Score, Term};

use crate::bm25::Bm25TermQuery;
use crate::coordination::{Bonuses, CoordinationQuery, Near, Part};
use crate::pairs::{CommonWords, PhrasePairs, pair_text};
use crate::schema::{self, Fields};
use crate::syntax;
use crate::tokenize::is_stop_word;

/// Field boosts: a word in the title says more about a card than one in its body.
const TITLE_BOOST: Score = 3.0;
const HEADINGS_BOOST: Score = 2.0;
const TAGS_BOOST: Score = 2.0;
/// Added to cards that match every word: worth a few well-placed words, not an AND. At
/// 1000 (above any BM25 sum) a long page holding every word of a pasted sentence beat the
/// short page it describes, which lacked one of them (cpp-docs description known items
/// top 3: .853 at 1000, .973 at 5 and 10, .967 at 20; Vaswani MAP .3014 from 5 up, .3009
/// at 2, .3002 without).
pub const ALL_WORDS_BONUS: Score = 10.0;
/// Added for each word a card matches (Vaswani MAP: .2948 without, .2969 with .25).
const MATCHED_WORD_BONUS: Score = 0.25;
/// Two words typed next to each other, close together in a field, weigh this much of a
/// word (see `near`; Vaswani MAP .2978 without, .2999 at .25, .3004 at .3, .3014 at .35,
/// .3012 at .4, .2996 at .5).
const NEAR_WEIGHT: Score = 0.35;
/// A whole identifier (`getElementById`) weighs this much on top of its parts.
const WHOLE_WORD_WEIGHT: Score = 1.0;
/// Fields a query looks in, with their boosts.
const SEARCHED: usize = 4;

/// What a query asks for.
pub struct Plan {
    /// Cards that match: words as written or stemmed (and as-written syntax).
    pub exact: Box<dyn Query>,
    /// Ranking only: each matches a subset of `exact`.
    pub bonuses: Vec<Box<dyn Query>>,
    /// The plain words searched for (stop words dropped unless there is nothing else);
    /// empty when the query has syntax, which is taken as written.
    pub words: Vec<String>,
    /// Which of the `exact` query's words the last of `words` is (typed twice or in two
    /// forms, words count once).
    pub last_word: Option<usize>,
    /// Cards to leave out (`-word`, `-"a phrase"`).
    pub excluded: Vec<Box<dyn Query>>,
}

impl Plan {
    /// `query` without the cards the plan excludes.
    pub fn without_excluded(&self, query: Box<dyn Query>) -> Box<dyn Query> {
        if self.excluded.is_empty() {
            return query;
        }
        let mut clauses = vec![(Occur::Must, query)];
        clauses.extend(self.excluded.iter().map(|q| (Occur::MustNot, q.box_clone())));
        Box::new(BooleanQuery::new(clauses))
    }

    /// The exact matches scored `lift` higher, so they rank above looser ones.
    pub fn exact_lifted(&self, lift: Score) -> Box<dyn Query> {
        match self.exact.downcast_ref::<CoordinationQuery>() {
            Some(words) => Box::new(words.with_bonuses(Bonuses { any: lift, ..words.bonuses() })),
            None if lift == 0.0 => self.exact.box_clone(),
            None => Box::new(BooleanQuery::new(vec![
                (Occur::Should, self.exact.box_clone()),
                (Occur::Should, Box::new(ConstScoreQuery::new(self.exact.box_clone(), lift))),
            ])),
        }
    }

    /// The exact matches scored by their words alone, without the bonuses for how many
    /// words match (for a ranking that must stay below theirs).
    pub fn exact_unranked(&self) -> Box<dyn Query> {
        match self.exact.downcast_ref::<CoordinationQuery>() {
            Some(words) => Box::new(words.with_bonuses(Bonuses::default())),
            None => self.exact.box_clone(),
        }
    }
}

pub struct Planner<'a> {
    pub fields: &'a Fields,
    pub schema: tantivy::schema::Schema,
    /// `schema::query_analyzers()`, built once.
    pub tokenizers: &'a TokenizerManager,
    /// Whose pairs are indexed (see `pairs`).
    pub common: Arc<CommonWords>,
}

impl Planner<'_> {
    fn searched(&self) -> [(Field, Score); SEARCHED] {
        let f = self.fields;
        [(f.title, TITLE_BOOST), (f.headings, HEADINGS_BOOST), (f.tags_text, TAGS_BOOST), (f.body, 1.0)]
    }

    /// `None` when there is nothing to search for (browse everything).
    pub fn plan(&self, typed: &str) -> Option<Plan> {
        let q = typed.trim();
        if q.is_empty() {
            return None;
        }
        if has_syntax(q) {
            // Words, quoted phrases and exclusions (most syntax people type) are planned
            // here, so they rank like plain words and pruning skips the cards that cannot
            // make the page.
            if let Some(pieces) = pieces(q) {
                return Some(self.planned(pieces));
            }
            let mut parser = QueryParser::new(
                self.schema.clone(),
                self.searched().map(|(f, _)| f).to_vec(),
                self.tokenizers.clone(),
            );
            for (field, boost) in self.searched() {
                parser.set_field_boost(field, boost);
            }
            let (query, unreadable) = syntax::parse(&parser, &self.schema, &escape_colons(q));
            let mut has_terms = false;
            query.query_terms(&mut |_, _| has_terms = true);
            // Operators without words ("AND OR") parse to nothing: search the words then.
            if !unreadable && has_terms {
                let (bonuses, words, excluded) = (Vec::new(), Vec::new(), Vec::new());
                return Some(Plan { exact: query, bonuses, words, last_word: None, excluded });
            }
        }
        Some(self.plain(q))
    }

    /// Any of the words, ranked by how many of them a card has, with a bonus for whole identifiers.
    fn plain(&self, q: &str) -> Plan {
        self.planned(Pieces { wanted: q.split_whitespace().map(Piece::Word).collect(), excluded: Vec::new() })
    }

    /// Any of the words and phrases, ranked by how many of them a card has (a phrase
    /// counts as one word), with a bonus for whole identifiers.
    fn planned(&self, pieces: Pieces<'_>) -> Plan {
        let typed = pieces.wanted.clone();
        let wanted = content_pieces(pieces.wanted);
        let mut analyzer = self.tokenizers.get(schema::ENGLISH).unwrap_or_else(schema::whole_words);
        // A word typed twice, or in two forms with one stem ("computer computers"), counts
        // once (Vaswani MAP .2969 -> .2977).
        let stems = |text: &str, analyzer: &mut TextAnalyzer| {
            let mut stems = String::new();
            analyzer.token_stream(text).process(&mut |t| {
                stems.push_str(&t.text);
                stems.push(' ');
            });
            stems
        };
        let mut seen: Vec<String> = Vec::new();
        let mut per_word: Vec<Vec<Part>> = Vec::new();
        let mut words = Vec::new();
        let mut last_word = None;
        for piece in &wanted {
            let text = piece.text();
            if let Piece::Word(word) = piece {
                words.push((*word).to_owned());
            }
            let is_word = matches!(piece, Piece::Word(_));
            let piece_stems = stems(text, &mut analyzer);
            match seen.iter().position(|s| *s == piece_stems) {
                Some(known) => last_word = Some(known).filter(|_| is_word),
                None => {
                    let Some(parts) = self.word_parts(&mut analyzer, text) else {
                        last_word = None;
                        continue;
                    };
                    seen.push(piece_stems);
                    last_word = Some(per_word.len()).filter(|_| is_word);
                    per_word.push(parts);
                }
            }
        }
        let exact: Box<dyn Query> = if per_word.is_empty() {
            Box::new(EmptyQuery)
        } else {
            let bonuses = Bonuses { any: 0.0, per_word: MATCHED_WORD_BONUS, all: ALL_WORDS_BONUS };
            let near = self.near(&mut analyzer, &typed);
            Box::new(CoordinationQuery::new(per_word, bonuses).with_near(near))
        };
        let excluded = pieces
            .excluded
            .iter()
            .filter_map(|piece| self.word_parts(&mut analyzer, piece.text()))
            .map(|parts| Box::new(CoordinationQuery::new(vec![parts], Bonuses::default())) as Box<dyn Query>)
            .collect();
        let texts: Vec<&str> = wanted.iter().map(Piece::text).collect();
        let bonuses = self.whole_words(&texts.join(" "));
        Plan { exact, bonuses, words, last_word, excluded }
    }

    /// One word in any searched field; a word of several parts (`big-house`, `检查配置`)
    /// as a phrase of them. `None` for a word with no letters or digits.
    fn word_parts(&self, analyzer: &mut TextAnalyzer, word: &str) -> Option<Vec<Part>> {
        let mut tokens = Vec::new();
        analyzer.token_stream(word).process(&mut |t| tokens.push((t.position, t.text.clone())));
        if tokens.is_empty() {
            return None;
        }
        let parts = self
            .searched()
            .into_iter()
            .map(|(field, boost)| {
                let terms = tokens.iter().map(|(p, text)| (*p, Term::from_field_text(field, text))).collect();
                Part::new(terms, boost).with_pairs(self.pairs(field, &tokens))
            })
            .collect();
        Some(parts)
    }

    /// The pair terms of a phrase of common words in `field` (see `pairs`).
    fn pairs(&self, field: Field, tokens: &[(usize, String)]) -> Option<PhrasePairs> {
        if tokens.len() < 2 || tokens.windows(2).any(|w| w[1].0 != w[0].0 + 1) {
            return None;
        }
        let words: Vec<&str> = tokens.iter().map(|(_, t)| t.as_str()).collect();
        let since = self.common.since(&words)?;
        let mut terms: Vec<Term> =
            words.windows(2).map(|w| Term::from_field_text(self.fields.pairs, &pair_text(field, w[0], w[1]))).collect();
        terms.sort();
        terms.dedup();
        Some(PhrasePairs { terms, since, version: self.fields.pairs_version })
    }

    /// Each two words typed next to each other (no stop word between), in the body: in a
    /// title, headings or tags, a few words long, having both words already says they are
    /// close. Stop words alone ("to be or not to be") make none.
    fn near(&self, analyzer: &mut TextAnalyzer, typed: &[Piece]) -> Vec<Near> {
        let mut near = Vec::new();
        let mut previous: Option<String> = None;
        for piece in typed {
            let Piece::Word(word) = *piece else {
                previous = None;
                continue;
            };
            let mut tokens = Vec::new();
            if !is_stop_word(bare(word)) {
                analyzer.token_stream(word).process(&mut |t| tokens.push(t.text.clone()));
            }
            // A stop word, a word without letters or a word of several parts ends a run.
            let Ok([token]) = <[String; 1]>::try_from(tokens) else {
                previous = None;
                continue;
            };
            if let Some(first) = previous.as_deref().filter(|first| *first != token) {
                let body = self.fields.body;
                near.push(Near {
                    first: Term::from_field_text(body, first),
                    second: Term::from_field_text(body, &token),
                    boost: NEAR_WEIGHT,
                });
            }
            previous = Some(token);
        }
        near
    }

    /// Compounds typed whole (`std::vector`, `getElementById`) as indexed whole: cards
    /// with the exact identifier outrank cards where its parts are only nearby.
    fn whole_words(&self, text: &str) -> Vec<Box<dyn Query>> {
        let mut whole = Vec::new();
        schema::whole_words().token_stream(text).process(&mut |t| whole.push(t.text.clone()));
        whole
            .into_iter()
            .map(|w| {
                let clauses = self
                    .searched()
                    .into_iter()
                    .map(|(field, boost)| {
                        let term = Bm25TermQuery::new(Term::from_field_text(field, &w));
                        (Occur::Should, Box::new(BoostQuery::new(Box::new(term), boost)) as Box<dyn Query>)
                    })
                    .collect();
                Box::new(BoostQuery::new(Box::new(BooleanQuery::new(clauses)), WHOLE_WORD_WEIGHT)) as Box<dyn Query>
            })
            .collect()
    }
}

/// What a query of words, "quoted phrases" and `-exclusions` asks for.
struct Pieces<'a> {
    wanted: Vec<Piece<'a>>,
    excluded: Vec<Piece<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece<'a> {
    Word(&'a str),
    /// The words between quotes.
    Phrase(&'a str),
}

impl<'a> Piece<'a> {
    fn text(&self) -> &'a str {
        match *self {
            Piece::Word(text) | Piece::Phrase(text) => text,
        }
    }
}

/// Splits a query of words, "quoted phrases", -words and -"phrases"; `None` for any other
/// syntax, or when nothing is wanted. An unclosed quote's words are plain words (the
/// phrase is still being typed).
fn pieces(q: &str) -> Option<Pieces<'_>> {
    let mut pieces = Pieces { wanted: Vec::new(), excluded: Vec::new() };
    let mut rest = q.trim_start();
    while !rest.is_empty() {
        let (excluded, body) = match rest.strip_prefix('-') {
            Some(after) if after.starts_with(|c: char| !c.is_whitespace()) => (true, after),
            _ => (false, rest),
        };
        let (found, after): (Vec<Piece>, &str) = match body.strip_prefix('"') {
            Some(inner) => match inner.find('"') {
                Some(end) => (vec![Piece::Phrase(&inner[..end])], &inner[end + 1..]),
                None => (inner.split_whitespace().map(Piece::Word).collect(), ""),
            },
            None => {
                let end = body.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(body.len());
                let word = &body[..end];
                if has_syntax(word) {
                    return None;
                }
                (vec![Piece::Word(word)], &body[end..])
            }
        };
        if excluded { &mut pieces.excluded } else { &mut pieces.wanted }.extend(found);
        rest = after.trim_start();
    }
    (!pieces.wanted.is_empty()).then_some(pieces)
}

/// The words and phrases to search for: stop words only matter when there is nothing else.
fn content_pieces(pieces: Vec<Piece<'_>>) -> Vec<Piece<'_>> {
    let stop = |p: &Piece| matches!(p, Piece::Word(w) if is_stop_word(bare(w)));
    if pieces.iter().all(stop) { pieces } else { pieces.into_iter().filter(|p| !stop(p)).collect() }
}

/// A word without the punctuation around it ("(the," → "the").
pub fn bare(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
}

/// Field names a query may name (`title:deploy`).
const FIELD_NAMES: [&str; 4] = ["title", "headings", "tags", "body"];

/// Does the query use syntax: quotes, grouping, required/excluded words, operators,
/// fields, wildcards or boosts?
pub fn has_syntax(q: &str) -> bool {
    q.contains(['"', '(', ')', '*', '~', '^'])
        || q.split_whitespace().any(|w| {
            matches!(w, "AND" | "OR" | "NOT")
                || w.starts_with(['-', '+'])
                || FIELD_NAMES.iter().any(|f| w.strip_prefix(f).is_some_and(|r| r.starts_with(':')))
        })
}

/// Escapes colons that do not follow a field name, so `std::vector` is a word, not
/// a field called `std`.
fn escape_colons(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 8);
    let mut word_start = 0;
    for c in q.chars() {
        if c == ':' {
            let word = out[word_start..].trim_start_matches(['(', '+', '-', '"']);
            if !FIELD_NAMES.contains(&word) {
                out.push('\\');
            }
        }
        out.push(c);
        if c.is_whitespace() || c == '(' {
            word_start = out.len();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_is_recognised_and_literal_colons_escaped() {
        assert!(has_syntax("\"a b\"") && has_syntax("a -b") && has_syntax("title:x") && has_syntax("a AND b"));
        assert!(!has_syntax("std::vector C2001 big-house a.b"));
        assert_eq!(escape_colons("title:x std::vector"), "title:x std\\:\\:vector");
        assert_eq!(escape_colons("(body:a OR \"x:y\")"), "(body:a OR \"x\\:y\")");
    }

    fn texts(pieces: &[Piece]) -> Vec<String> {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Word(w) => (*w).to_owned(),
                Piece::Phrase(p) => format!("\"{p}\""),
            })
            .collect()
    }

    #[test]
    fn stop_words_are_dropped_only_when_other_words_remain() {
        let words = |q: &str| texts(&content_pieces(q.split_whitespace().map(Piece::Word).collect()));
        assert_eq!(words("the deploy of a release"), vec!["deploy", "release"]);
        assert_eq!(words("to be or not to be"), vec!["to", "be", "or", "not", "to", "be"]);
        let phrase_and_stop_word = content_pieces(vec![Piece::Phrase("the who"), Piece::Word("the")]);
        assert_eq!(texts(&phrase_and_stop_word), vec!["\"the who\""]);
    }

    #[test]
    fn words_phrases_and_exclusions_are_split_and_other_syntax_is_left_to_the_parser() {
        let split = |q| pieces(q).map(|p| (texts(&p.wanted), texts(&p.excluded)));
        assert_eq!(
            split(r#"deploy "escalation policy" -staging -"old runbook" big-house"#),
            Some((
                vec!["deploy".into(), "\"escalation policy\"".into(), "big-house".into()],
                vec!["staging".into(), "\"old runbook\"".into()]
            ))
        );
        assert_eq!(split(r#""unclosed phrase"#), Some((vec!["unclosed".into(), "phrase".into()], vec![])));
        assert_eq!(split(r#""a b"c"#), Some((vec!["\"a b\"".into(), "c".into()], vec![])));
        assert_eq!(split("-only -excluded"), None);
        assert_eq!(split("title:deploy"), None);
        assert_eq!(split("a AND b"), None);
        assert_eq!(split("(a b)"), None);
        assert_eq!(split("rollb*"), None);
    }
}
