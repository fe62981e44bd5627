//! Retrieval quality on the Vaswani (NPL) test collection: indexes every document as a
//! card, runs every query through `SearchIndex::search` and prints MAP and nDCG@10 with
//! trec_eval's definitions (MAP over all judged-relevant documents, top 1000 retrieved).
//!
//! cargo run --release -p verity-index --example vaswani -- /work/shared/corpora/vaswani

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use chrono::Utc;
use verity_index::{CardDoc, SearchIndex, SearchRequest};

const RETRIEVED: usize = 1000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: vaswani <folder with corpus/, qrels, query-text.trec>")?;
    let dir = Path::new(&dir);
    let docs = tagged(&std::fs::read_to_string(dir.join("corpus/doc-text.trec"))?, "DOC", "DOCNO");
    let queries = tagged(&std::fs::read_to_string(dir.join("query-text.trec"))?, "top", "num");
    let qrels = read_qrels(&std::fs::read_to_string(dir.join("qrels"))?);

    let tmp = tempfile::tempdir()?;
    let (index, _) = SearchIndex::open(tmp.path())?;
    let started = Instant::now();
    let mut writer = index.writer()?;
    for (n, (docno, text)) in docs.iter().enumerate() {
        writer.upsert(&card(n as i64 + 1, docno, text))?;
    }
    writer.commit(1)?;
    index.reload()?;
    println!("indexed {} documents in {:.1} s", docs.len(), started.elapsed().as_secs_f64());

    let now = Utc::now();
    let (mut ap_sum, mut ndcg_sum, mut judged) = (0.0, 0.0, 0);
    for (num, text) in &queries {
        let Some(relevant) = qrels.get(num) else { continue };
        let req = SearchRequest { q: text.clone(), limit: RETRIEVED, ..SearchRequest::default() };
        let ranked: Vec<String> = index.search(&req, now)?.hits.into_iter().map(|h| h.slug).collect();
        ap_sum += average_precision(&ranked, relevant);
        ndcg_sum += ndcg(&ranked, relevant, 10);
        judged += 1;
    }
    let judged_f = f64::from(judged);
    println!("queries {judged}  MAP {:.4}  nDCG@10 {:.4}", ap_sum / judged_f, ndcg_sum / judged_f);

    // Latency as a user sees it: the first page, with snippets.
    let mut took: Vec<f64> = Vec::new();
    for (_, text) in &queries {
        let req = SearchRequest { q: text.clone(), limit: 10, ..SearchRequest::default() };
        let started = Instant::now();
        index.search(&req, now)?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    took.sort_by(f64::total_cmp);
    let at = |p: f64| took[((took.len() - 1) as f64 * p).round() as usize];
    println!("top-10 search: p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms", at(0.5), at(0.95), at(1.0));
    Ok(())
}

fn card(id: i64, docno: &str, text: &str) -> CardDoc {
    CardDoc {
        id,
        slug: docno.to_owned(),
        title: String::new(),
        headings: Vec::new(),
        text: text.to_owned(),
        tags: Vec::new(),
        collection: "vaswani".into(),
        due: None,
        updated_at: chrono::DateTime::UNIX_EPOCH,
    }
}

/// `<record><key>k</key> text </record>` pairs, in file order.
fn tagged(file: &str, record: &str, key: &str) -> Vec<(String, String)> {
    let (open, close) = (format!("<{record}>"), format!("</{record}>"));
    let (key_open, key_close) = (format!("<{key}>"), format!("</{key}>"));
    file.split(&open)
        .filter_map(|chunk| {
            let body = chunk.split(&close).next()?;
            let (_, rest) = body.split_once(&key_open)?;
            let (k, text) = rest.split_once(&key_close)?;
            let text = text.replace("<title>", " ").replace("</title>", " ");
            Some((k.trim().to_owned(), text.split_whitespace().collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

/// Query number -> relevant document numbers.
fn read_qrels(file: &str) -> HashMap<String, HashSet<String>> {
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    for line in file.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if let [q, _, doc, rel] = cols[..]
            && rel.parse::<i32>().unwrap_or(0) > 0
        {
            out.entry(q.to_owned()).or_default().insert(doc.to_owned());
        }
    }
    out
}

fn average_precision(ranked: &[String], relevant: &HashSet<String>) -> f64 {
    let mut found = 0.0;
    let mut sum = 0.0;
    for (i, doc) in ranked.iter().enumerate() {
        if relevant.contains(doc) {
            found += 1.0;
            sum += found / (i + 1) as f64;
        }
    }
    if relevant.is_empty() { 0.0 } else { sum / relevant.len() as f64 }
}

/// Binary gains (the Vaswani judgements are all 1), log2 discount.
fn ndcg(ranked: &[String], relevant: &HashSet<String>, k: usize) -> f64 {
    let discount = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 =
        ranked.iter().take(k).enumerate().filter(|(_, d)| relevant.contains(*d)).map(|(i, _)| discount(i)).sum();
    let ideal: f64 = (0..relevant.len().min(k)).map(discount).sum();
    if ideal == 0.0 { 0.0 } else { dcg / ideal }
}
