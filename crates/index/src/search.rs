//! Queries: words (lenient parsing, so nothing a user types is an error), filters,
//! snippets and facet counts, in one pass over the matches.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tantivy::collector::TopDocs;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, Query, TermQuery};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::{DocAddress, Order, Score, Searcher, TantivyDocument, Term};
use verity_core::Status;

use crate::completions::completions;
use crate::coordination::{Bonuses, CoordinationQuery, Pruning};
use crate::doc_sets::DocSetQuery;
use crate::facts::{Tally, TallyCollector};
use crate::query::{Plan, Planner};
use crate::schema::UPDATED_AT;
use crate::snippet::{Snippets, leading_text};
use crate::status_facet::{status_filter, status_of};
use crate::suggest::NearWords;
use crate::top::{Ranked, TopRanked};
use crate::visible::Visible;
use crate::{Result, SearchIndex, common_words, limits};

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
    /// A corrected query, when this one found little and the correction finds cards
    /// the person may read.
    pub suggestion: Option<String>,
}

/// A prefix or a typo match counts for a fraction of a real one.
const PREFIX_WEIGHT: Score = 0.5;
const TYPO_WEIGHT: Score = 0.3;
/// The suggested correction's own ranking, scaled to stay below `EXACT_BONUS`.
const CORRECTED_WEIGHT: Score = 0.1;
/// Added to exact and stemmed matches when prefix or typo matches are in play, so those
/// always come after them (all prefix and typo weights together stay far below it).
const EXACT_BONUS: Score = 10.0;
/// Fewer exact hits than this, and typos are forgiven and a correction suggested.
pub(crate) const FEW_HITS: usize = 3;
/// Typo tolerance (typo matches and "did you mean") looks at this many words at most:
/// each costs a walk of the term dictionary and a few counts, and long queries stay fast.
pub(crate) const MAX_TYPO_WORDS: usize = 8;
const TOP_TAGS: usize = 30;

/// A looser match alongside the words: its query, its best score, the word it stands for.
type Other = (Box<dyn Query>, Score, Option<usize>);

/// The plan's whole-identifier bonuses, as matches alongside its words.
fn bonuses(plan: &Plan) -> Vec<Other> {
    plan.bonuses.iter().map(|b| (b.box_clone(), Score::INFINITY, None)).collect()
}

/// How a page is ordered.
enum PageOrder {
    /// Browsing without words.
    Newest,
    /// By rank, skipping cards that cannot make the page when pruning is possible.
    Ranked(Option<Pruning>),
}

/// One page of matches and the counts over all of them.
struct Found {
    page: Vec<(Score, DocAddress)>,
    total: usize,
    tally: Tally,
}

impl SearchIndex {
    /// Fails with [`IndexError::QueryTooComplex`](crate::IndexError) for a query over the
    /// [`limits`](crate::limits), before anything parses or plans it.
    pub fn search(&self, req: &SearchRequest, now: DateTime<Utc>) -> Result<SearchResults> {
        limits::check(&req.q)?;
        let searcher = self.reader.searcher();
        let Some(plan) = self.planner().plan(&req.q) else {
            let found = self.collect(&searcher, &*self.with_filters(None, req, now), req, now, PageOrder::Newest)?;
            return self.results(&searcher, found, None, None, now);
        };
        let visible = Visible::new(&searcher, &self.facts, &req.hidden_collections)?;
        let prefix = self.prefix(&searcher, &plan, &req.q, &visible)?;
        // Plain words rank in one pruned query: the whole-identifier bonuses ride along
        // (with no known best score, they always bring their few cards), and so does the
        // prefix, whose completions count as the last word: "deploy rollb" ranks cards
        // with both words (deploy, rollback) first, like the finished query would.
        let first = plan.exact.downcast_ref::<CoordinationQuery>().map(|words| {
            let lift = if prefix.is_some() { EXACT_BONUS } else { 0.0 };
            let mut others = bonuses(&plan);
            others.extend(prefix.iter().map(|p| (p.box_clone(), PREFIX_WEIGHT, plan.last_word)));
            pruned_query(words.with_bonuses(Bonuses { any: lift, ..words.bonuses() }), others)
        });
        let mut extras: Vec<Box<dyn Query>> = prefix.into_iter().collect();
        let (mut query, pruning) = match first {
            Some((query, pruning)) => (query, Some(pruning)),
            None => (ranking_query(&plan, &extras), None),
        };
        let mut found = self.collect(
            &searcher,
            &*self.with_filters(Some(plan.without_excluded(query.box_clone())), req, now),
            req,
            now,
            PageOrder::Ranked(pruning),
        )?;
        let mut suggestion = None;
        if found.total < FEW_HITS && !plan.words.is_empty() {
            let mut near = NearWords::new();
            suggestion = self.suggest(&searcher, &mut near, &visible, &req.q, req, now);
            let typos = self.typos(&searcher, &mut near, &plan.words, &visible)?;
            let corrected = suggestion.as_deref().and_then(|s| self.planner().plan(s));
            if !typos.is_empty() || corrected.is_some() {
                // The corrected words, ranked like words (titles first) but far below the
                // exact matches, order the typo matches. A corrected word is often a common
                // one: pruned, only the cards that can make the page are scored.
                let corrected_words = corrected.as_ref().and_then(|c| c.exact.downcast_ref::<CoordinationQuery>());
                let retry = corrected_words.map(|words| {
                    let mut others = vec![(plan.exact_lifted(EXACT_BONUS), Score::INFINITY, None)];
                    others.extend(bonuses(&plan));
                    others.extend(extras.iter().map(|p| (p.box_clone(), PREFIX_WEIGHT, None)));
                    others.extend(typos.iter().map(|t| (t.box_clone(), TYPO_WEIGHT, None)));
                    pruned_query(words.with_bonuses(Bonuses::default()).scaled(CORRECTED_WEIGHT), others)
                });
                let pruning = match retry {
                    Some((pruned, pruning)) => {
                        query = pruned;
                        Some(pruning)
                    }
                    None => {
                        extras.extend(typos);
                        if let Some(corrected) = &corrected {
                            extras.push(Box::new(BoostQuery::new(corrected.exact_unranked(), CORRECTED_WEIGHT)));
                        }
                        query = ranking_query(&plan, &extras);
                        None
                    }
                };
                let filtered = self.with_filters(Some(plan.without_excluded(query.box_clone())), req, now);
                found = self.collect(&searcher, &*filtered, req, now, PageOrder::Ranked(pruning))?;
            }
        }
        self.results(&searcher, found, Some(&*query), suggestion, now)
    }

    pub(crate) fn planner(&self) -> Planner<'_> {
        Planner {
            fields: &self.fields,
            schema: self.index.schema(),
            tokenizers: &self.query_tokenizers,
            common: common_words(&self.common),
        }
    }

    /// Runs `query`: the requested page and the counts over all matches.
    fn collect(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        req: &SearchRequest,
        now: DateTime<Utc>,
        order: PageOrder,
    ) -> Result<Found> {
        let limit = req.limit.max(1);
        let tally = TallyCollector { facts: &self.facts, now: now.timestamp() };
        let top = |pruning| TopRanked { facts: &self.facts, limit, offset: req.offset, now: now.timestamp(), pruning };
        let ranked = |top: Vec<Ranked>| top.into_iter().map(|r| (r.score, r.address)).collect();
        let (page, tally) = match order {
            PageOrder::Newest => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(req.offset)
                    .order_by_fast_field::<i64>(UPDATED_AT, Order::Desc);
                let (top, tally) = searcher.search(query, &(top, tally))?;
                (top.into_iter().map(|(_, addr)| (1.0, addr)).collect(), tally)
            }
            PageOrder::Ranked(None) => {
                let (top, tally) = searcher.search(query, &(top(None), tally))?;
                (ranked(top), tally)
            }
            // Two passes: the counts visit every match without scoring it; the page
            // scores only the cards that can still make it.
            PageOrder::Ranked(Some(pruning)) => {
                let tally = searcher.search(query, &tally)?;
                (ranked(searcher.search(query, &top(Some(pruning)))?), tally)
            }
        };
        // Every match has a status, so the status counts also give the total.
        let total = tally.statuses.iter().sum::<u64>() as usize;
        Ok(Found { page, total, tally })
    }

    fn results(
        &self,
        searcher: &Searcher,
        found: Found,
        query: Option<&dyn Query>,
        suggestion: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<SearchResults> {
        let snippets = query.map(|q| Snippets::create(searcher, q, self.fields.body)).transpose()?;
        let hits = found
            .page
            .into_iter()
            .map(|(score, addr)| self.hit(searcher, addr, score, snippets.as_ref(), now))
            .collect::<Result<Vec<_>>>()?;
        let status = Status::ALL.iter().copied().zip(found.tally.statuses).filter(|(_, n)| *n > 0).collect();
        Ok(SearchResults {
            total: found.total,
            hits,
            facets: Facets {
                collection: most_first(found.tally.collections, usize::MAX),
                tag: most_first(found.tally.tags, TOP_TAGS),
                status,
            },
            suggestion,
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
        let like = self.planner().plan(&text).map_or_else(|| Box::new(EmptyQuery) as Box<dyn Query>, |p| p.exact);
        let mut clauses = vec![
            (Occur::Must, like),
            (Occur::MustNot, Box::new(TermQuery::new(this, IndexRecordOption::Basic)) as Box<dyn Query>),
        ];
        clauses.extend(hidden_collections.iter().map(|c| (Occur::MustNot, facet_term(f.collection, c))));
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        top.into_iter().map(|(score, addr)| self.hit(&searcher, addr, score, None, now)).collect()
    }

    /// As you type: the last word, unfinished (no trailing space), also matches as the
    /// start of longer words the person may see (see [`completions`]).
    fn prefix(
        &self,
        searcher: &Searcher,
        plan: &Plan,
        typed: &str,
        visible: &Visible,
    ) -> Result<Option<Box<dyn Query>>> {
        let Some(last) = plan.words.last() else { return Ok(None) };
        if typed.ends_with(char::is_whitespace) || !typed.trim_end().ends_with(last.as_str()) {
            return Ok(None);
        }
        let Some(word) = self.raw_token(last).filter(|w| w.chars().count() >= 3) else { return Ok(None) };
        // Even with no completions the query stays (matching nothing), so that exact
        // matches score the same whether or not the index knows longer words.
        let completions = completions(searcher, self.fields.words, &word, visible)?;
        // Cards with the word itself already match exactly: no extra for a longer one.
        // Read once here, the matches serve both passes of the search (counts and page).
        let exact = Term::from_field_text(self.fields.words, &word);
        let longer = DocSetQuery::any_except(searcher, &completions, Some(&exact))?;
        Ok(Some(Box::new(BoostQuery::new(Box::new(longer), PREFIX_WEIGHT))))
    }

    /// Typo tolerance for long enough words that no card the person may see has, as
    /// written or stemmed: the known words one edit away (two for long words), each
    /// matching like a typo.
    fn typos(
        &self,
        searcher: &Searcher,
        near: &mut NearWords,
        words: &[String],
        visible: &Visible,
    ) -> Result<Vec<Box<dyn Query>>> {
        let mut clauses: Vec<Box<dyn Query>> = Vec::new();
        for word in words.iter().take(MAX_TYPO_WORDS).filter_map(|w| self.raw_token(w)) {
            let len = word.chars().count();
            if len < 5 || self.known(searcher, &word, visible)? {
                continue;
            }
            let distance = if len >= 8 { 2 } else { 1 };
            let terms: Vec<Term> = self
                .near(searcher, near, &word)
                .iter()
                .filter(|n| n.edits <= distance)
                .map(|n| Term::from_field_text(self.fields.words, &n.text))
                .collect();
            if !terms.is_empty() {
                // Like a fuzzy query: every typo match scores the same.
                let docs = DocSetQuery::any_except(searcher, &terms, None)?;
                clauses.push(Box::new(BoostQuery::new(Box::new(docs), TYPO_WEIGHT)));
            }
        }
        Ok(clauses)
    }

    /// A word as the unstemmed `words` field has it; `None` unless it is a single token.
    pub(crate) fn raw_token(&self, word: &str) -> Option<String> {
        let mut analyzer = self.query_tokenizers.get(crate::schema::RAW)?;
        let mut tokens = Vec::new();
        analyzer.token_stream(word).process(&mut |t| tokens.push(t.text.clone()));
        match <[String; 1]>::try_from(tokens) {
            Ok([only]) => Some(only),
            Err(_) => None,
        }
    }

    /// Does a card the person may see contain `word`, as written or stemmed? (Counting
    /// hidden cards too, a word only they have got no typo matches while one that exists
    /// nowhere did: the difference revealed the hidden word.)
    fn known(&self, searcher: &Searcher, word: &str, visible: &Visible) -> Result<bool> {
        let f = &self.fields;
        let mut stemmed = String::new();
        if let Some(mut analyzer) = self.query_tokenizers.get(crate::schema::ENGLISH) {
            let mut stream = analyzer.token_stream(word);
            if stream.advance() {
                stemmed = stream.token().text.clone();
            }
        }
        let mut terms = vec![Term::from_field_text(f.words, word)];
        if !stemmed.is_empty() {
            terms.extend([Term::from_field_text(f.body, &stemmed), Term::from_field_text(f.title, &stemmed)]);
        }
        for term in &terms {
            if visible.has(searcher, term)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub(crate) fn with_filters(
        &self,
        words: Option<Box<dyn Query>>,
        req: &SearchRequest,
        now: DateTime<Utc>,
    ) -> Box<dyn Query> {
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
        snippets: Option<&Snippets>,
        now: DateTime<Utc>,
    ) -> Result<Hit> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(addr)?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let int = |field| doc.get_first(field).and_then(|v| v.as_i64()).unwrap_or(0);
        let body = text(f.excerpt);
        // Without words (browsing), or with no match in the body: its beginning.
        let snippet_html = snippets.map_or_else(|| leading_text(&body), |s| s.html(&body));
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

/// `words` ranking the page, with `others` (a query, the most it adds to a score and
/// the word it stands for, if any) matching alongside, skipping cards that cannot make
/// the page.
fn pruned_query(words: CoordinationQuery, others: Vec<Other>) -> (Box<dyn Query>, Pruning) {
    let pruning = Pruning::new();
    let mut query = words.pruned(pruning.clone());
    for (other, best, word) in others {
        query = query.with_extra(other, best, word);
    }
    (Box::new(query), pruning)
}

/// The plan's matches with its bonuses, plus prefix and typo matches (`extras`), which
/// rank below every exact match.
fn ranking_query(plan: &Plan, extras: &[Box<dyn Query>]) -> Box<dyn Query> {
    let exact = plan.exact_lifted(if extras.is_empty() { 0.0 } else { EXACT_BONUS });
    if plan.bonuses.is_empty() && extras.is_empty() {
        return exact;
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, exact)];
    clauses.extend(plan.bonuses.iter().chain(extras).map(|q| (Occur::Should, q.box_clone())));
    Box::new(BooleanQuery::new(clauses))
}

fn facet_term(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_facet(field, &Facet::from_path([value])), IndexRecordOption::Basic))
}

/// (value, count), most frequent first, then by name; at most `k`.
fn most_first(counts: HashMap<String, u64>, k: usize) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(k);
    out
}
