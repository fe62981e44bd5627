//! What a run found, as JSON and as the Markdown tables the README keeps.

use std::fmt::Write;

use serde::Serialize;

use crate::known::KnownItemResult;
use crate::queries::Class;

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub engine: String,
    pub class: Class,
    pub samples: usize,
    pub errors: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Load {
    pub clients: usize,
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    pub requests_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Quality {
    pub engine: String,
    pub queries: usize,
    pub map: f64,
    pub ndcg_at_10: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeerBuild {
    pub engine: String,
    pub seconds: f64,
    pub mib: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CorpusResult {
    pub corpus: String,
    /// The machine's 1-minute load average when the corpus started (the cores are shared).
    pub load_average: f64,
    pub cards: u64,
    pub import_summary: String,
    pub import_seconds: f64,
    pub import_cards_per_s: f64,
    pub import_peak_rss_mib: f64,
    /// From `verity import` starting until a search over HTTP sees every card.
    pub searchable_seconds: f64,
    /// Of which: from `verity serve` starting until then.
    pub serve_ready_seconds: f64,
    pub index_mib: f64,
    pub database_mib: f64,
    pub server_peak_rss_mib: f64,
    pub load: Load,
    pub latency: Vec<Latency>,
    pub quality: Vec<Quality>,
    /// Known-item queries (cpp-docs): the named page in the top 3.
    pub known_items: Vec<KnownItemResult>,
    pub peers: Vec<PeerBuild>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub machine: String,
    pub date: String,
    pub command: String,
    pub results: Vec<CorpusResult>,
}

fn find<'a>(r: &'a CorpusResult, engine: &str, class: Class) -> Option<&'a Latency> {
    r.latency.iter().find(|l| l.engine == engine && l.class == class)
}

fn pair(l: Option<&Latency>) -> String {
    match l {
        Some(l) if l.samples > 0 => format!("{:.2} / {:.2}", l.p50_ms, l.p99_ms),
        _ => "–".into(),
    }
}

/// How many times the engine alone Verity takes, at the median and at p99.
fn over_engine(verity: Option<&Latency>, engine: Option<&Latency>) -> String {
    match (verity, engine) {
        (Some(v), Some(e)) if v.samples > 0 && e.samples > 0 && e.p50_ms > 0.0 && e.p99_ms > 0.0 => {
            format!("{:.1}× / {:.1}×", v.p50_ms / e.p50_ms, v.p99_ms / e.p99_ms)
        }
        _ => "–".into(),
    }
}

/// How many times slower the peer's median is than Verity's in-process median.
fn ratio(peer: Option<&Latency>, verity: Option<&Latency>) -> String {
    match (peer, verity) {
        (Some(p), Some(v)) if p.samples > 0 && v.p50_ms > 0.0 => format!("{:.1}×", p.p50_ms / v.p50_ms),
        _ => "–".into(),
    }
}

pub fn markdown(report: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Machine: {}. Date: {}. Command: `{}`.\n", report.machine, report.date, report.command);
    s.push_str(
        "| corpus | cards | import | searchable after | index / database | peak RSS import / server | HTTP load | load avg |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in &report.results {
        let _ = writeln!(
            s,
            "| {} | {} | {:.0} cards/s ({:.1} s) | {:.1} s | {:.1} / {:.1} MiB | {:.0} / {:.0} MiB | {:.0} req/s ({} clients, p50 {:.1} ms, p99 {:.1} ms{}) | {:.1} |",
            r.corpus,
            r.cards,
            r.import_cards_per_s,
            r.import_seconds,
            r.searchable_seconds,
            r.index_mib,
            r.database_mib,
            r.import_peak_rss_mib,
            r.server_peak_rss_mib,
            r.load.requests_per_s,
            r.load.clients,
            r.load.p50_ms,
            r.load.p99_ms,
            if r.load.errors > 0 { format!(", {} errors", r.load.errors) } else { String::new() },
            r.load_average,
        );
    }
    s.push_str(
        "\nThe engine alone: the same cards and queries in a plain tantivy index (Verity's analyzer, default BM25), \
         top 10 and the exact count, in-process, on one thread and on all cores; p50 / p99 in ms. \
         The ratios divide Verity's p50 and p99 by those of tantivy on all cores (Verity's searches use all cores too).\n\n\
         | corpus | query class | tantivy, 1 thread | tantivy, all cores | Verity in-process | Verity HTTP | in-process ÷ tantivy | HTTP ÷ tantivy |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in &report.results {
        for class in Class::ALL {
            let (http, local) = (find(r, "verity-http", class), find(r, "verity-in-process", class));
            let (one, all) = (find(r, "tantivy-1-thread", class), find(r, "tantivy-all-threads", class));
            if one.is_none() || local.is_none() {
                continue;
            }
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                r.corpus,
                class.name(),
                pair(one),
                pair(all),
                pair(local),
                pair(http),
                over_engine(local, all.or(one)),
                over_engine(http, all.or(one)),
            );
        }
    }
    s.push_str(
        "\nSearch latency, p50 / p99 in ms (top 10 with snippets; Verity also counts facets). \
         The ratios divide each peer's median by Verity's in-process median (above 1× = Verity is faster).\n\n\
         | corpus | query class | Verity HTTP | Verity in-process | FTS5 | PostgreSQL | FTS5 ÷ Verity | PostgreSQL ÷ Verity |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in &report.results {
        for class in Class::ALL {
            let (http, local) = (find(r, "verity-http", class), find(r, "verity-in-process", class));
            if http.is_none() && local.is_none() {
                continue;
            }
            let (fts, pg) = (find(r, "fts5", class), find(r, "postgres", class));
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                r.corpus,
                class.name(),
                pair(http),
                pair(local),
                pair(fts),
                pair(pg),
                ratio(fts, local),
                ratio(pg, local)
            );
        }
    }
    let peers: Vec<&CorpusResult> = report.results.iter().filter(|r| !r.peers.is_empty()).collect();
    if !peers.is_empty() {
        s.push_str("\nPeers' bulk load (insert every card, then build the index):\n\n| corpus | engine | build | size |\n| --- | --- | ---: | ---: |\n");
        for r in peers {
            for p in &r.peers {
                let _ = writeln!(s, "| {} | {} | {:.1} s | {:.1} MiB |", r.corpus, p.engine, p.seconds, p.mib);
            }
        }
    }
    for r in report.results.iter().filter(|r| !r.known_items.is_empty()) {
        let _ = writeln!(
            s,
            "\nKnown items on {}: a page's title or description typed in whole, found in the top 3:\n\n| engine | set | queries | in the top 3 |\n| --- | --- | ---: | ---: |",
            r.corpus
        );
        for k in &r.known_items {
            let _ = writeln!(s, "| {} | {} | {} | {:.3} |", k.engine, k.set, k.queries, k.rate);
        }
    }
    for r in report.results.iter().filter(|r| !r.quality.is_empty()) {
        let _ = writeln!(
            s,
            "\nQuality on {} ({} judged queries, trec_eval definitions: MAP over the top 1000, nDCG@10 with binary gains):\n\n| engine | MAP | nDCG@10 |\n| --- | ---: | ---: |",
            r.corpus,
            r.quality.first().map_or(0, |q| q.queries)
        );
        for q in &r.quality {
            let _ = writeln!(s, "| {} | {:.4} | {:.4} |", q.engine, q.map, q.ndcg_at_10);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_show_ratios_and_dashes() {
        let lat = |engine: &str, p50| Latency {
            engine: engine.into(),
            class: Class::OneWord,
            samples: 10,
            errors: 0,
            p50_ms: p50,
            p99_ms: p50 * 2.0,
        };
        let r = CorpusResult {
            corpus: "shipped".into(),
            load_average: 1.0,
            cards: 60,
            import_summary: String::new(),
            import_seconds: 1.0,
            import_cards_per_s: 60.0,
            import_peak_rss_mib: 20.0,
            searchable_seconds: 1.5,
            serve_ready_seconds: 0.5,
            index_mib: 1.0,
            database_mib: 2.0,
            server_peak_rss_mib: 30.0,
            load: Load {
                clients: 8,
                seconds: 1.0,
                requests: 100,
                errors: 0,
                requests_per_s: 100.0,
                p50_ms: 1.0,
                p99_ms: 2.0,
            },
            latency: vec![lat("verity-in-process", 0.5), lat("fts5", 1.0), lat("tantivy-1-thread", 0.25)],
            quality: vec![Quality { engine: "fts5".into(), queries: 2, map: 0.25, ndcg_at_10: 0.5 }],
            known_items: vec![KnownItemResult {
                engine: "fts5".into(),
                set: "titles".into(),
                queries: 4,
                found_in_top_3: 3,
                rate: 0.75,
            }],
            peers: vec![],
        };
        let md = markdown(&Report { machine: "m".into(), date: "d".into(), command: "c".into(), results: vec![r] });
        assert!(md.contains("| shipped | one-word | – | 0.50 / 1.00 | 1.00 / 2.00 | – | 2.0× | – |"), "{md}");
        assert!(md.contains("| fts5 | 0.2500 | 0.5000 |"));
        assert!(md.contains("| shipped | one-word | 0.25 / 0.50 | – | 0.50 / 1.00 | – | 2.0× / 2.0× | – |"), "{md}");
        assert!(md.contains("| fts5 | titles | 4 | 0.750 |"), "{md}");
    }
}
