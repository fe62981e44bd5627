//! Replays one class of a benchmark's queries against an index on disk, for profiling
//! (`perf record`, `valgrind --tool=callgrind`) without a server in the way.
//!
//! cargo run --release -p verity-index --example replay -- DATA/index QUERIES.tsv typo 20
//!
//! QUERIES.tsv is what `verity-bench --keep` leaves in its work dir: `class<TAB>text`.
//! With `REPLAY_PRINT=1`, prints each query's total, facets and page (to compare two
//! builds' answers) instead of timing. With `REPLAY_HIDDEN=finance,legal`, searches as
//! someone who may not read those collections.

use std::time::Instant;

use chrono::Utc;
use verity_index::{SearchIndex, SearchRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [index_dir, queries, class, rounds] = <[String; 4]>::try_from(args)
        .map_err(|_| "usage: replay INDEX_DIR QUERIES.tsv CLASS ROUNDS (class: one-word, multi-word, …, or all)")?;
    let rounds: usize = rounds.parse()?;
    let texts: Vec<String> = std::fs::read_to_string(&queries)?
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .filter(|(c, _)| class == "all" || *c == class)
        .map(|(_, q)| q.to_owned())
        .collect();
    let (index, _) = SearchIndex::open(std::path::Path::new(&index_dir))?;
    let now = Utc::now();
    let hidden: Vec<String> = std::env::var("REPLAY_HIDDEN")
        .map(|list| list.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let request = |q: &String| SearchRequest {
        q: q.clone(),
        limit: 10,
        hidden_collections: hidden.clone(),
        ..SearchRequest::default()
    };
    if std::env::var_os("REPLAY_PRINT").is_some() {
        for q in &texts {
            let found = index.search(&request(q), now)?;
            let page: Vec<String> = found.hits.iter().map(|h| format!("{} {:.2}", h.slug, h.score)).collect();
            println!("{q}\t{}\t{:?}\t{:?}", found.total, found.facets, page);
        }
        return Ok(());
    }
    // With `REPLAY_SLOW=MS`, names the searches slower than that.
    let slow: Option<f64> = std::env::var("REPLAY_SLOW").ok().and_then(|v| v.parse().ok());
    let mut took = Vec::new();
    for round in 0..=rounds {
        for q in &texts {
            let started = Instant::now();
            let found = index.search(&request(q), now)?;
            // Round 0 warms the caches and is not counted.
            if round > 0 {
                let ms = started.elapsed().as_secs_f64() * 1000.0;
                if slow.is_some_and(|limit| ms > limit) {
                    println!("slow: {q:?} {ms:.2} ms, {} found", found.total);
                }
                took.push(ms);
            } else if texts.len() <= 50 {
                println!("{q:?}: {} found, suggestion {:?}", found.total, found.suggestion);
            }
        }
    }
    took.sort_by(f64::total_cmp);
    let at = |p: f64| took.get(((took.len().max(1) - 1) as f64 * p).round() as usize).copied().unwrap_or(0.0);
    println!("{} searches: p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms", took.len(), at(0.5), at(0.99), at(1.0));
    Ok(())
}
