//! Queries: words (lenient parsing, so nothing a user types is an error), filters,
//! snippets and facet counts, in one pass over the matches.

use chrono::{DateTime, Utc};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, QueryParser, TermQuery,
};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, DocId, Order, Score, Searcher, SegmentReader, TantivyDocument, Term};
use verity_core::Status;

use crate::schema::{DUE_AT, DUE_SOON_AT, TRUSTED, UPDATED_AT};
use crate::status_facet::{StatusCounts, status_filter, status_of};
use crate::{Result, SearchIndex};

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    pub collection: Option<String>,
    pub tag: Option<String>,
    pub status: Option<Status>,
    /// Collections (by slug) the person searching may not read: their cards are left out
    /// inside the query, so hits, totals, facets and snippets never see them.
    pub hidden_collections: Vec<String>,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub id: i64,
    pub slug: String,
    pub title: String,
    /// A fragment of the body as HTML: text escaped by tantivy, matches in `<b>`.
    pub snippet_html: String,
    pub collection: String,
    pub tags: Vec<String>,
    pub status: Status,
    pub score: f32,
}

#[derive(Debug, Clone, Default)]
pub struct Facets {
    /// (value, count), most frequent first.
    pub collection: Vec<(String, u64)>,
    pub tag: Vec<(String, u64)>,
    pub status: Vec<(Status, u64)>,
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

const TITLE_BOOST: Score = 3.0;
const HEADINGS_BOOST: Score = 2.0;
const TAGS_BOOST: Score = 2.0;
const SNIPPET_CHARS: usize = 180;
/// A prefix or a typo match counts for a fraction of a real one.
const PREFIX_WEIGHT: Score = 0.5;
const TYPO_WEIGHT: Score = 0.3;
const TOP_TAGS: usize = 30;

impl SearchIndex {
    pub fn search(&self, req: &SearchRequest, now: DateTime<Utc>) -> Result<SearchResults> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let words = self.words_query(&req.q);
        let query = self.with_filters(words.as_ref().map(|w| w.box_clone()), req, now);

        let limit = req.limit.max(1);
        let facets =
            (Count, facet_collector("collection"), facet_collector("tag"), StatusCounts { now: now.timestamp() });
        let (addresses, (total, collections, tags, statuses)): (Vec<(Score, DocAddress)>, _) = match &words {
            // Browsing without words: newest first.
            None => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(req.offset)
                    .order_by_fast_field::<i64>(UPDATED_AT, Order::Desc);
                let (top, facets) = searcher.search(&query, &(top, facets))?;
                (top.into_iter().map(|(_, addr)| (1.0, addr)).collect(), facets)
            }
            Some(_) => {
                let top = TopDocs::with_limit(limit).and_offset(req.offset).tweak_score(rank_key(now.timestamp()));
                let (top, facets) = searcher.search(&query, &(top, facets))?;
                (top.into_iter().map(|(key, addr)| (key.score, addr)).collect(), facets)
            }
        };

        let snippets = match &words {
            Some(w) => Some(SnippetGenerator::create(&searcher, w.as_ref(), f.body).map(|mut g| {
                g.set_max_num_chars(SNIPPET_CHARS);
                g
            })?),
            None => None,
        };
        let hits = addresses
            .into_iter()
            .map(|(score, addr)| self.hit(&searcher, addr, score, snippets.as_ref(), now))
            .collect::<Result<Vec<_>>>()?;

        let status = Status::ALL.iter().copied().zip(statuses).filter(|(_, n)| *n > 0).collect();
        Ok(SearchResults {
            total,
            hits,
            facets: Facets {
                collection: facet_counts(&collections, usize::MAX),
                tag: facet_counts(&tags, TOP_TAGS),
                status,
            },
        })
    }

    /// Cards like this one: those that best match its title and tags (any of the words),
    /// best first. (tantivy's MoreLikeThisQuery mixes live and deleted document counts
    /// and panics once cards have been updated, so this asks an ordinary query.)
    pub fn related(
        &self,
        id: i64,
        limit: usize,
        hidden_collections: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<Hit>> {
        let f = &self.fields;
        let searcher = self.reader.searcher();
        let this = Term::from_field_u64(f.id, id as u64);
        let found = searcher.search(
            &TermQuery::new(this.clone(), IndexRecordOption::Basic),
            &TopDocs::with_limit(1).order_by_score(),
        )?;
        let Some((_, addr)) = found.first() else { return Ok(Vec::new()) };
        let doc: TantivyDocument = searcher.doc(*addr)?;
        let mut words: Vec<&str> =
            doc.get_all(f.title).chain(doc.get_all(f.tags_text)).filter_map(|v| v.as_str()).collect();
        words.retain(|w| !w.trim().is_empty());
        // Only words: the text is the card's own, not query syntax.
        let text: String = words.join(" ").chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
        let parser = QueryParser::for_index(&self.index, vec![f.title, f.headings, f.tags_text, f.body]);
        let (like, _) = parser.parse_query_lenient(&text);
        let mut clauses = vec![
            (Occur::Must, like),
            (Occur::MustNot, Box::new(TermQuery::new(this, IndexRecordOption::Basic)) as Box<dyn Query>),
        ];
        clauses.extend(hidden_collections.iter().map(|c| (Occur::MustNot, facet_term(f.collection, c))));
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        top.into_iter().map(|(score, addr)| self.hit(&searcher, addr, score, None, now)).collect()
    }

    /// The words as a query; `None` when there are none (browse everything). Syntax
    /// the parser rejects is dropped, keeping what it understood.
    fn words_query(&self, typed: &str) -> Option<Box<dyn Query>> {
        let q = typed.trim();
        if q.is_empty() {
            return None;
        }
        let f = &self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.title, f.headings, f.tags_text, f.body]);
        parser.set_field_boost(f.title, TITLE_BOOST);
        parser.set_field_boost(f.headings, HEADINGS_BOOST);
        parser.set_field_boost(f.tags_text, TAGS_BOOST);
        let (query, errors) = parser.parse_query_lenient(q);
        if !errors.is_empty() {
            tracing::debug!(query = q, errors = ?errors, "lenient parse dropped parts of a query");
        }
        // The untrimmed text: a trailing space says the last word is finished.
        Some(self.with_forgiveness(query, typed.trim_start()))
    }

    /// Adds, for plain-word queries, a prefix match for the word being typed and typo
    /// tolerance for words the index does not know. Both weigh far less than an exact or
    /// stemmed match, so they never push one down; queries with syntax (quotes, `-`,
    /// fields, AND/OR) are taken as written.
    fn with_forgiveness(&self, query: Box<dyn Query>, q: &str) -> Box<dyn Query> {
        let has_syntax = q.contains(['"', ':', '(', ')', '*', '~', '^'])
            || q.split_whitespace().any(|w| w == "AND" || w == "OR" || w.starts_with(['-', '+']));
        if has_syntax {
            return query;
        }
        let f = &self.fields;
        let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, query)];
        let searcher = self.reader.searcher();
        // As you type: the last word, unfinished, matches as a prefix.
        if let Some(last) = words.last().filter(|w| w.chars().count() >= 3 && !q.ends_with(char::is_whitespace)) {
            let prefix = FuzzyTermQuery::new_prefix(Term::from_field_text(f.words, last), 0, true);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(prefix), PREFIX_WEIGHT))));
        }
        // Typos: only long enough words that match nothing as written (or stemmed).
        for word in &words {
            let len = word.chars().count();
            if len < 5 || self.known(&searcher, word) {
                continue;
            }
            let distance = if len >= 8 { 2 } else { 1 };
            let fuzzy = FuzzyTermQuery::new(Term::from_field_text(f.words, word), distance, true);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fuzzy), TYPO_WEIGHT))));
        }
        if clauses.len() == 1 {
            return clauses.pop().map(|(_, q)| q).unwrap_or_else(|| Box::new(AllQuery));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// Does any card contain `word`, as written or stemmed?
    fn known(&self, searcher: &Searcher, word: &str) -> bool {
        let f = &self.fields;
        let mut stemmed = String::new();
        if let Some(mut analyzer) = self.index.tokenizers().get(crate::schema::ENGLISH) {
            let mut stream = analyzer.token_stream(word);
            if stream.advance() {
                stemmed = stream.token().text.clone();
            }
        }
        let df = |field, text: &str| searcher.doc_freq(&Term::from_field_text(field, text)).unwrap_or(0);
        df(f.words, word) > 0 || (!stemmed.is_empty() && (df(f.body, &stemmed) > 0 || df(f.title, &stemmed) > 0))
    }

    fn with_filters(&self, words: Option<Box<dyn Query>>, req: &SearchRequest, now: DateTime<Utc>) -> Box<dyn Query> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, words.unwrap_or_else(|| Box::new(AllQuery)))];
        let filter = |q: Box<dyn Query>| (Occur::Must, Box::new(ConstScoreQuery::new(q, 0.0)) as Box<dyn Query>);
        if let Some(c) = &req.collection {
            clauses.push(filter(facet_term(f.collection, c)));
        }
        if let Some(t) = &req.tag {
            clauses.push(filter(facet_term(f.tag, t)));
        }
        if let Some(s) = req.status {
            clauses.push(filter(status_filter(f, s, now)));
        }
        clauses.extend(req.hidden_collections.iter().map(|c| (Occur::MustNot, facet_term(f.collection, c))));
        if clauses.len() == 1 {
            return clauses.pop().map(|(_, q)| q).unwrap_or_else(|| Box::new(AllQuery));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    fn hit(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
        score: Score,
        snippets: Option<&SnippetGenerator>,
        now: DateTime<Utc>,
    ) -> Result<Hit> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(addr)?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let int = |field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
        let snippet_html = match snippets.map(|g| g.snippet_from_doc(&doc)) {
            Some(s) if !s.is_empty() => s.to_html(),
            // No match in the body (a title or tag hit): show its beginning.
            _ => leading_text(&text(f.body)),
        };
        Ok(Hit {
            id: doc.get_first(f.id).and_then(|v| v.as_u64()).unwrap_or(0) as i64,
            slug: text(f.slug),
            title: text(f.title),
            snippet_html,
            collection: text(f.collection_slug),
            tags: doc.get_all(f.tags_text).filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            status: status_of(
                now.timestamp(),
                doc.get_first(f.trusted).and_then(|v| v.as_u64()).unwrap_or(0),
                int(f.due_soon_at),
                int(f.due_at),
            ),
            score,
        })
    }
}

/// How hits are ordered: by relevance; at equal relevance (to two decimals) cards that
/// are vouched for come before unverified and stale ones; then the most recently updated.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
struct RankKey {
    relevance: i64,
    trust: u8,
    updated_at: i64,
    score: Score,
}

fn trust_rank(status: Status) -> u8 {
    match status {
        Status::Verified => 3,
        Status::DueSoon => 2,
        Status::Unverified => 1,
        Status::Stale => 0,
    }
}

fn rank_key(now: i64) -> impl Fn(&SegmentReader) -> Box<dyn Fn(DocId, Score) -> RankKey> + Send + Sync + 'static {
    move |segment: &SegmentReader| {
        let ff = segment.fast_fields();
        let columns = (ff.u64(TRUSTED), ff.i64(DUE_SOON_AT), ff.i64(DUE_AT), ff.i64(UPDATED_AT));
        let (Ok(trusted), Ok(due_soon_at), Ok(due_at), Ok(updated_at)) = columns else {
            return Box::new(|_, score| RankKey {
                relevance: (score * 100.0).round() as i64,
                trust: 0,
                updated_at: 0,
                score,
            });
        };
        Box::new(move |doc: DocId, score: Score| {
            let status = status_of(
                now,
                trusted.first(doc).unwrap_or(0),
                due_soon_at.first(doc).unwrap_or(0),
                due_at.first(doc).unwrap_or(0),
            );
            RankKey {
                relevance: (score * 100.0).round() as i64,
                trust: trust_rank(status),
                updated_at: updated_at.first(doc).unwrap_or(0),
                score,
            }
        })
    }
}

fn facet_collector(field: &str) -> FacetCollector {
    let mut c = FacetCollector::for_field(field);
    c.add_facet(Facet::root());
    c
}

fn facet_term(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_facet(field, &Facet::from_path([value])), IndexRecordOption::Basic))
}

fn facet_counts(counts: &tantivy::collector::FacetCounts, k: usize) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = counts
        .get(Facet::root())
        .map(|(facet, n)| (facet.to_path().last().map(|s| s.to_string()).unwrap_or_default(), n))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(k);
    out
}

/// The first words of a text, escaped for HTML, cut at a word boundary.
fn leading_text(text: &str) -> String {
    let mut end = text.len().min(SNIPPET_CHARS);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if end < text.len()
        && let Some(space) = text[..end].rfind(char::is_whitespace)
    {
        end = space;
    }
    let mut out = escape(&text[..end]);
    if end < text.len() {
        out.push('…');
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
