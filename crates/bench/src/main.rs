//! `verity-bench`: loads a corpus into the release `verity` binary and measures import
//! throughput, time until searchable, index size, peak memory, search latency per query
//! class (over HTTP and in-process), requests/s under concurrent load and, on judged
//! queries, quality — side by side with SQLite FTS5 and (given a URL) PostgreSQL.
//!
//! Run from the repository root after `cargo build --release -p verity`:
//! `cargo run --release -p verity-bench -- --corpus all --pg-url postgres://…`

mod corpus;
mod known;
mod peers;
mod queries;
mod raw_tantivy;
mod report;
mod rng;
mod sentences;
mod stats;
mod verity;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use verity_index::{SearchIndex, SearchRequest};

use crate::corpus::{Corpus, Spec};
use crate::peers::{CLASS_BUDGET, Engine};
use crate::queries::{Class, Query};
use crate::report::{CorpusResult, Latency, Load, PeerBuild, Quality, Report};

const ALL: &str = "shipped,cpp-docs,vaswani,generated:100000,generated:1000000";
const MIB: f64 = 1024.0 * 1024.0;

#[derive(Parser, Debug)]
#[command(name = "verity-bench", about = "Benchmarks Verity against SQLite FTS5 and PostgreSQL full-text search")]
struct Args {
    /// Comma-separated: shipped, cpp-docs, vaswani, generated:N, sentences:N; or `all` (the README table).
    #[arg(long, default_value = "shipped")]
    corpus: String,
    /// Also run PostgreSQL full-text search (in a schema of its own, dropped afterwards).
    #[arg(long)]
    pg_url: Option<String>,
    /// The `verity` binary to measure.
    #[arg(long, default_value = "target/release/verity")]
    verity: PathBuf,
    /// Where cpp-docs.tar.gz and vaswani/ are.
    #[arg(long, default_value = "../shared/corpora")]
    corpora: PathBuf,
    /// Scratch space for corpora, data dirs and peer databases (default: the temp dir).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// The machine-readable results.
    #[arg(long, default_value = "bench-results.json")]
    out: PathBuf,
    /// Queries per class.
    #[arg(long, default_value_t = 40)]
    queries: usize,
    /// Timed passes over each query set (after one warm-up pass).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Concurrent HTTP clients in the load test.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Length of the load test.
    #[arg(long, default_value_t = 10)]
    load_secs: u64,
    /// Skip FTS5 and PostgreSQL.
    #[arg(long)]
    no_peers: bool,
    /// Skip the raw-tantivy peer (the engine alone, in-process).
    #[arg(long)]
    no_tantivy: bool,
    /// Known-item queries per set (titles, descriptions) on cpp-docs; 0 skips them.
    #[arg(long, default_value_t = 300)]
    known_items: usize,
    /// Keep the scratch files (corpora, data dirs) afterwards.
    #[arg(long)]
    keep: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let list = if args.corpus == "all" { ALL } else { args.corpus.as_str() };
    let specs: Vec<Spec> =
        list.split(',').map(|s| s.trim().parse::<Spec>()).collect::<Result<_, _>>().map_err(anyhow::Error::msg)?;
    if !args.verity.is_file() {
        bail!("{} not found: run `cargo build --release -p verity` first (or pass --verity)", args.verity.display());
    }
    let repo = std::env::current_dir()?;
    let work = match &args.work_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("verity-bench-{}", std::process::id())),
    };
    std::fs::create_dir_all(&work)?;
    let mut report = Report {
        machine: machine(),
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        command: format!("cargo run --release -p verity-bench -- {}", redacted_args()),
        results: Vec::new(),
    };
    for spec in specs {
        eprintln!("== {spec}");
        let dir = work.join(spec.to_string().replace(':', "-"));
        let result = run_corpus(spec, args, &repo, &dir);
        if !args.keep {
            let _ = std::fs::remove_dir_all(&dir);
        }
        report.results.push(result.with_context(|| format!("corpus {spec}"))?);
        // Written after every corpus, so a long `all` run keeps what it measured so far.
        std::fs::write(&args.out, serde_json::to_string_pretty(&report)?)?;
    }
    if !args.keep {
        let _ = std::fs::remove_dir(&work);
    }
    println!("{}", report::markdown(&report));
    eprintln!("results written to {}", args.out.display());
    Ok(())
}

/// The command line as typed, without a PostgreSQL password.
fn redacted_args() -> String {
    std::env::args()
        .skip(1)
        .map(|a| match a.split_once('@') {
            Some((before, after)) if before.split_once("://").is_some_and(|(_, user)| user.contains(':')) => {
                let scheme_end = before.find("://").map_or(0, |i| i + 3);
                let user = before[scheme_end..].split(':').next().unwrap_or_default();
                format!("{}{user}:…@{after}", &before[..scheme_end])
            }
            _ => a,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|v| v.split_once(':')).map(|(_, m)| m.trim().to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!("{cores} cores ({model}), {mem_gib:.0} GiB RAM, Linux")
}

fn run_corpus(spec: Spec, args: &Args, repo: &Path, dir: &Path) -> anyhow::Result<CorpusResult> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let load_average = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0.0);
    let (data_dir, log_dir) = (dir.join("data"), dir.join("logs"));
    std::fs::create_dir_all(&log_dir)?;
    let corpus = corpus::prepare(spec, repo, &args.corpora, dir)?;
    let queries = match spec {
        Spec::Sentences(_) => queries::generate_sentences(&corpus.docs, args.queries, 7),
        _ => queries::generate(&corpus.docs, args.queries, 7),
    };
    let known_items = if spec == Spec::CppDocs { known::sets(&corpus.docs, args.known_items, 11) } else { Vec::new() };
    // Kept with the scratch files (`--keep`), to replay a class against a binary by hand.
    let listing: String = queries.iter().map(|q| format!("{}\t{}\n", q.class.name(), q.text)).collect();
    std::fs::write(dir.join("queries.tsv"), listing)?;
    eprintln!("   {} cards, {} queries; importing", corpus.docs.len(), queries.len());

    // Absolute: the subprocess runs in the scratch folder.
    let bin = args.verity.canonicalize()?;
    let verity = verity::Verity { bin, data_dir: data_dir.clone(), log_dir };
    let import = verity.import(&corpus.folder)?;
    let cards = imported_cards(&import.summary).unwrap_or(corpus.docs.len() as u64);
    eprintln!("   import: {} in {:.1} s; serving", import.summary, import.wall.as_secs_f64());

    let server = verity.serve()?;
    let ready = server.wait_searchable(cards, Duration::from_secs(3600))?;
    let client = server.client();
    let mut latency = Vec::new();
    latency.extend(time_classes("verity-http", &queries, args.rounds, |q| client.search(&q.text, 10).map(|_| ())));
    eprintln!("   load test: {} clients for {} s", args.clients, args.load_secs);
    let load = load_test(&server, &queries, args.clients, Duration::from_secs(args.load_secs));
    let server_rss = verity::peak_rss_mib(server.pid());
    let mut quality = Vec::new();
    if let Some(judged) = &corpus.judged {
        quality.push(judge("verity (HTTP)", judged, |q| Ok(client.search(q, 1000)?.keys))?);
    }
    let mut known = Vec::new();
    for set in &known_items {
        known.push(known::measure("verity (HTTP)", set, |q| Ok(client.search(q, known::TOP)?.keys))?);
    }
    server.stop()?;

    let (index, _) = SearchIndex::open(&data_dir.join("index"))?;
    latency.extend(time_classes("verity-in-process", &queries, args.rounds, |q| {
        let req = SearchRequest { q: q.text.clone(), limit: 10, ..SearchRequest::default() };
        index.search(&req, chrono::Utc::now()).map(|_| ()).map_err(Into::into)
    }));
    let index_mib = verity::disk_bytes(&data_dir.join("index")) as f64 / MIB;
    let database_mib =
        ["verity.db", "verity.db-wal"].iter().map(|f| verity::disk_bytes(&data_dir.join(f))).sum::<u64>() as f64 / MIB;
    drop(index);

    let mut peers = Vec::new();
    let mut measured = Measured { latency: &mut latency, quality: &mut quality, known: &mut known };
    if !args.no_tantivy {
        eprintln!("   raw tantivy");
        let (raw, built) = raw_tantivy::RawIndex::build(&dir.join("tantivy"), &corpus.docs)?;
        eprintln!(
            "   {} cards/s on one thread, {} segments",
            (corpus.docs.len() as f64 / built.seconds) as u64,
            raw.segments()
        );
        peers.push(PeerBuild { engine: "tantivy".into(), seconds: built.seconds, mib: built.bytes as f64 / MIB });
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        run_peer(raw.engine(1)?, &corpus, &queries, &known_items, args.rounds, &mut measured)?;
        if threads > 1 {
            let mut all = raw.engine(threads)?;
            let name = all.name();
            measured.latency.extend(time_classes(name, &queries, args.rounds, |q| {
                all.search(q.class, &q.text, 10, false).map(|_| ())
            }));
        }
    }
    if !args.no_peers {
        eprintln!("   FTS5");
        let (fts, built) = peers::Fts5::build(&dir.join("fts5.db"), &corpus.docs)?;
        peers.push(PeerBuild { engine: "fts5".into(), seconds: built.seconds, mib: built.bytes as f64 / MIB });
        run_peer(fts, &corpus, &queries, &known_items, args.rounds, &mut measured)?;
        if let Some(url) = &args.pg_url {
            eprintln!("   PostgreSQL");
            let (pg, built) = peers::Postgres::build(url, &corpus.docs)?;
            peers.push(PeerBuild { engine: "postgres".into(), seconds: built.seconds, mib: built.bytes as f64 / MIB });
            run_peer(pg, &corpus, &queries, &known_items, args.rounds, &mut measured)?;
        }
    }

    let import_seconds = import.wall.as_secs_f64();
    let result = CorpusResult {
        corpus: spec.to_string(),
        load_average,
        cards,
        import_summary: import.summary,
        import_seconds,
        import_cards_per_s: cards as f64 / import_seconds,
        import_peak_rss_mib: import.peak_rss_mib,
        searchable_seconds: import_seconds + ready.as_secs_f64(),
        serve_ready_seconds: ready.as_secs_f64(),
        index_mib,
        database_mib,
        server_peak_rss_mib: server_rss,
        load,
        latency,
        quality,
        known_items: known,
        peers,
    };
    println!("{}", serde_json::to_string(&result)?);
    Ok(result)
}

/// Where a corpus's measurements go.
struct Measured<'a> {
    latency: &'a mut Vec<Latency>,
    quality: &'a mut Vec<Quality>,
    known: &'a mut Vec<known::KnownItemResult>,
}

fn run_peer(
    mut engine: impl Engine,
    corpus: &Corpus,
    queries: &[Query],
    known_items: &[known::KnownItems],
    rounds: usize,
    out: &mut Measured,
) -> anyhow::Result<()> {
    let name = engine.name();
    out.latency.extend(time_classes(name, queries, rounds, |q| engine.search(q.class, &q.text, 10, true).map(|_| ())));
    if let Some(judged) = &corpus.judged {
        out.quality.push(judge(name, judged, |q| engine.search(Class::MultiWord, q, 1000, false))?);
    }
    for set in known_items {
        out.known.push(known::measure(name, set, |q| engine.search(Class::Title, q, known::TOP, false))?);
    }
    Ok(())
}

/// "N created, M updated, K unchanged, …": the cards now in the database.
fn imported_cards(summary: &str) -> Option<u64> {
    let mut total = 0;
    for part in summary.split(',').take(3) {
        total += part.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// Sequential latency per class: one warm-up pass, then `rounds` timed passes (fewer if a
/// class exceeds its time budget).
fn time_classes(
    engine: &str,
    queries: &[Query],
    rounds: usize,
    mut search: impl FnMut(&Query) -> anyhow::Result<()>,
) -> Vec<Latency> {
    let mut out = Vec::new();
    for class in Class::ALL {
        let qs: Vec<&Query> = queries.iter().filter(|q| q.class == class).collect();
        if qs.is_empty() {
            continue;
        }
        let mut errors = 0;
        for q in &qs {
            if search(q).is_err() {
                errors += 1;
            }
        }
        let mut samples = Vec::new();
        let started = Instant::now();
        for _ in 0..rounds {
            for q in &qs {
                let t = Instant::now();
                match search(q) {
                    Ok(()) => samples.push(t.elapsed()),
                    Err(e) => {
                        errors += 1;
                        if errors == 1 {
                            eprintln!("   {engine}: {q:?} failed: {e:#}");
                        }
                    }
                }
            }
            if started.elapsed() > CLASS_BUDGET {
                break;
            }
        }
        let result = Latency {
            engine: engine.into(),
            class,
            samples: samples.len(),
            errors,
            p50_ms: stats::percentile(&samples, 50.0),
            p99_ms: stats::percentile(&samples, 99.0),
        };
        eprintln!("   {engine:<18} {:<10} p50 {:>8.2} ms  p99 {:>8.2} ms", class.name(), result.p50_ms, result.p99_ms);
        out.push(result);
    }
    out
}

/// `clients` threads, each with its own connection, searching in a loop for `length`.
fn load_test(server: &verity::Server, queries: &[Query], clients: usize, length: Duration) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let queries: Arc<Vec<String>> = Arc::new(queries.iter().map(|q| q.text.clone()).collect());
    let started = Instant::now();
    let threads: Vec<_> = (0..clients.max(1))
        .map(|i| {
            let (client, stop, queries) = (server.client(), stop.clone(), queries.clone());
            std::thread::spawn(move || {
                let (mut samples, mut errors) = (Vec::new(), 0u64);
                let mut k = i * 7;
                while !stop.load(Ordering::Relaxed) && !queries.is_empty() {
                    let t = Instant::now();
                    match client.search(&queries[k % queries.len()], 10) {
                        Ok(_) => samples.push(t.elapsed()),
                        Err(_) => errors += 1,
                    }
                    k += 1;
                }
                (samples, errors)
            })
        })
        .collect();
    std::thread::sleep(length);
    stop.store(true, Ordering::Relaxed);
    let (mut samples, mut errors) = (Vec::new(), 0);
    for t in threads {
        match t.join() {
            Ok((s, e)) => {
                samples.extend(s);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let load = Load {
        clients,
        seconds,
        requests: samples.len() as u64,
        errors,
        requests_per_s: samples.len() as f64 / seconds,
        p50_ms: stats::percentile(&samples, 50.0),
        p99_ms: stats::percentile(&samples, 99.0),
    };
    eprintln!(
        "   {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {errors} errors",
        load.requests_per_s, load.p50_ms, load.p99_ms
    );
    load
}

/// MAP and nDCG@10 over every judged query (a query an engine answers with nothing
/// scores 0, like trec_eval -c).
fn judge(
    engine: &str,
    judged: &corpus::Judged,
    mut search: impl FnMut(&str) -> anyhow::Result<Vec<String>>,
) -> anyhow::Result<Quality> {
    let (mut ap, mut ndcg, mut n) = (0.0, 0.0, 0);
    for (qid, text) in &judged.queries {
        let Some(relevant) = judged.relevant.get(qid) else { continue };
        let ranked = search(text)?;
        ap += stats::average_precision(&ranked, relevant);
        ndcg += stats::ndcg(&ranked, relevant, 10);
        n += 1;
    }
    let n_f = n.max(1) as f64;
    let q = Quality { engine: engine.into(), queries: n, map: ap / n_f, ndcg_at_10: ndcg / n_f };
    eprintln!("   {engine:<18} MAP {:.4}  nDCG@10 {:.4}", q.map, q.ndcg_at_10);
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_summary_gives_the_card_count() {
        assert_eq!(imported_cards("9746 created, 0 updated, 2 unchanged, 1 skipped"), Some(9748));
        assert_eq!(imported_cards(""), None);
    }

    #[test]
    fn all_names_parse() {
        for s in ALL.split(',') {
            assert!(s.parse::<Spec>().is_ok(), "{s}");
        }
    }
}
