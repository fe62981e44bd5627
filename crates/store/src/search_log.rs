//! Search analytics: each query, its result count and the card opened from it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::schema::search_log;
use crate::{DbConnection, Result, to_db};

/// Records a search; returns its id (carried on result links to record the click).
pub fn record(conn: &mut DbConnection, username: &str, query: &str, results: usize, now: DateTime<Utc>) -> Result<i64> {
    let query: String = query.trim().to_lowercase().chars().take(300).collect();
    Ok(diesel::insert_into(search_log::table)
        .values((
            search_log::username.eq(username),
            search_log::query.eq(query),
            search_log::results.eq(i32::try_from(results).unwrap_or(i32::MAX)),
            search_log::created_at.eq(to_db(now)),
        ))
        .returning(search_log::id)
        .get_result(conn)?)
}

/// Records which card a search led to (the first click counts; only the searcher's own).
pub fn record_click(conn: &mut DbConnection, id: i64, username: &str, slug: &str) -> Result<()> {
    diesel::update(
        search_log::table.filter(
            search_log::id.eq(id).and(search_log::username.eq(username)).and(search_log::clicked_slug.is_null()),
        ),
    )
    .set(search_log::clicked_slug.eq(Some(slug)))
    .execute(conn)?;
    Ok(())
}

/// Deletes what is older than `before` (the retention limit).
pub fn forget_before(conn: &mut DbConnection, before: DateTime<Utc>) -> Result<usize> {
    Ok(diesel::delete(search_log::table.filter(search_log::created_at.lt(to_db(before)))).execute(conn)?)
}

/// One query's numbers over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryStats {
    pub query: String,
    pub searches: u64,
    pub clicks: u64,
    /// Results of the latest search with this query.
    pub results: i32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub searches: u64,
    pub clicks: u64,
    /// Most searched first.
    pub top: Vec<QueryStats>,
    /// Queries whose latest search found nothing, most searched first.
    pub no_results: Vec<QueryStats>,
}

/// The numbers since `since`, with at most `limit` queries per list.
pub fn report(conn: &mut DbConnection, since: DateTime<Utc>, limit: usize) -> Result<Report> {
    let rows: Vec<(String, i32, Option<String>, NaiveDateTime)> = search_log::table
        .filter(search_log::created_at.ge(to_db(since)))
        .order(search_log::created_at.asc())
        .select((search_log::query, search_log::results, search_log::clicked_slug, search_log::created_at))
        .load(conn)?;
    let mut by_query: BTreeMap<String, QueryStats> = BTreeMap::new();
    let mut report = Report::default();
    for (query, results, clicked, _) in rows {
        report.searches += 1;
        let stats = by_query.entry(query.clone()).or_insert(QueryStats { query, searches: 0, clicks: 0, results });
        stats.searches += 1;
        stats.results = results;
        if clicked.is_some() {
            stats.clicks += 1;
            report.clicks += 1;
        }
    }
    let mut all: Vec<QueryStats> = by_query.into_values().collect();
    all.sort_by(|a, b| b.searches.cmp(&a.searches).then_with(|| a.query.cmp(&b.query)));
    report.no_results = all.iter().filter(|q| q.results == 0).take(limit).cloned().collect();
    all.truncate(limit);
    report.top = all;
    Ok(report)
}
