//! The corpora: a folder `verity import` reads, and the same cards as plain text for the
//! peers (FTS5, PostgreSQL), keyed by the slug Verity gives each card.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, bail};
use verity_core::markdown;

use crate::rng::Rng;

/// One card as every engine sees it.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The slug Verity derives from the file's path: how hits are matched across engines.
    pub key: String,
    pub title: String,
    /// The body as plain text (Markdown removed), what the peers index.
    pub text: String,
    /// The front matter's `description` (cpp-docs), for known-item queries; else empty.
    pub description: String,
}

/// Judged queries (Vaswani): (query id, text) and, per query id, the relevant keys.
#[derive(Debug, Clone, Default)]
pub struct Judged {
    pub queries: Vec<(String, String)>,
    pub relevant: HashMap<String, HashSet<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    Shipped,
    CppDocs,
    Vaswani,
    Generated(usize),
    /// Cards of real sentences from the cpp-docs pages (see `sentences`).
    Sentences(usize),
}

impl FromStr for Spec {
    type Err = String;

    fn from_str(s: &str) -> Result<Spec, String> {
        match s {
            "shipped" => Ok(Spec::Shipped),
            "cpp-docs" => Ok(Spec::CppDocs),
            "vaswani" => Ok(Spec::Vaswani),
            _ => {
                let (kind, n) = s.split_once(':').ok_or_else(|| {
                    format!("unknown corpus `{s}`: use shipped, cpp-docs, vaswani, generated:N or sentences:N")
                })?;
                let n: usize = n.replace('_', "").parse().map_err(|_| format!("`{n}` is not a number of cards"))?;
                if n == 0 {
                    return Err(format!("a {kind} corpus needs at least one card"));
                }
                match kind {
                    "generated" => Ok(Spec::Generated(n)),
                    "sentences" => Ok(Spec::Sentences(n)),
                    _ => Err(format!("unknown corpus `{s}`: use generated:N or sentences:N")),
                }
            }
        }
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spec::Shipped => f.write_str("shipped"),
            Spec::CppDocs => f.write_str("cpp-docs"),
            Spec::Vaswani => f.write_str("vaswani"),
            Spec::Generated(n) => write!(f, "generated:{n}"),
            Spec::Sentences(n) => write!(f, "sentences:{n}"),
        }
    }
}

pub struct Corpus {
    /// What `verity import` reads.
    pub folder: PathBuf,
    pub docs: Vec<Doc>,
    pub judged: Option<Judged>,
}

/// Loads or writes the corpus; files that must be written go under `work`.
/// `corpora` is the shared folder (`../shared/corpora`), `repo` the repository root.
pub fn prepare(spec: Spec, repo: &Path, corpora: &Path, work: &Path) -> anyhow::Result<Corpus> {
    match spec {
        Spec::Shipped => {
            let folder = repo.join("content");
            Ok(Corpus { docs: scan_docs(&folder)?, folder, judged: None })
        }
        Spec::CppDocs => {
            let folder = unpack_cpp_docs(corpora, work)?;
            Ok(Corpus { docs: scan_docs(&folder)?, folder, judged: None })
        }
        Spec::Sentences(n) => {
            let pages = scan_docs(&unpack_cpp_docs(corpora, work)?)?;
            let sentences = crate::sentences::Sentences::from_pages(&pages);
            eprintln!("   {} sentences from {} pages", sentences.len(), pages.len());
            let folder = work.join(format!("sentences-{n}"));
            let docs = sentences.write(n, 42, &folder)?;
            std::fs::remove_dir_all(work.join("cpp-docs"))?;
            Ok(Corpus { folder, docs, judged: None })
        }
        Spec::Vaswani => {
            let dir = corpora.join("vaswani");
            let read = |name: &str| {
                std::fs::read_to_string(dir.join(name)).with_context(|| format!("reading {}", dir.join(name).display()))
            };
            let docs_text = read("corpus/doc-text.trec")?;
            let folder = work.join("vaswani");
            std::fs::create_dir_all(&folder)?;
            let mut docs = Vec::new();
            let mut docnos = HashMap::new();
            for (docno, text) in parse_trec_docs(&docs_text) {
                let rel = format!("{docno}.md");
                std::fs::write(folder.join(&rel), &text)?;
                let key = verity_content::slug_for_path(&rel).to_string();
                docnos.insert(docno.clone(), key.clone());
                // Verity titles a file without front matter or heading by its name.
                docs.push(Doc { key, title: docno, text, description: String::new() });
            }
            let queries = parse_trec_topics(&read("query-text.trec")?);
            let relevant = parse_qrels(&read("qrels")?, &docnos);
            Ok(Corpus { folder, docs, judged: Some(Judged { queries, relevant }) })
        }
        Spec::Generated(n) => {
            let folder = work.join(format!("generated-{n}"));
            let docs = generate(n, 42, &folder)?;
            Ok(Corpus { folder, docs, judged: None })
        }
    }
}

/// Unpacks cpp-docs.tar.gz under `work`; returns its `docs` folder.
fn unpack_cpp_docs(corpora: &Path, work: &Path) -> anyhow::Result<PathBuf> {
    let archive = corpora.join("cpp-docs.tar.gz");
    if !archive.is_file() {
        bail!("{} not found (pass --corpora)", archive.display());
    }
    // The system `tar` saves a dependency; the archive is unpacked once per run.
    let out = work.join("cpp-docs");
    std::fs::create_dir_all(&out)?;
    let status = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&out)
        .status()
        .context("running tar")?;
    if !status.success() {
        bail!("tar could not unpack {}", archive.display());
    }
    Ok(out.join("docs"))
}

fn scan_docs(folder: &Path) -> anyhow::Result<Vec<Doc>> {
    if !folder.is_dir() {
        bail!("{} is not a folder", folder.display());
    }
    let scan = verity_content::scan(folder);
    Ok(scan
        .files
        .into_iter()
        .map(|f| Doc {
            key: f.slug.to_string(),
            text: markdown::to_text(&f.draft.body),
            description: f.draft.extra.get("description").and_then(|v| v.as_str()).unwrap_or_default().to_owned(),
            title: f.draft.title,
        })
        .collect())
}

/// `<DOC><DOCNO>n</DOCNO> text </DOC>` blocks.
pub fn parse_trec_docs(s: &str) -> Vec<(String, String)> {
    s.split("<DOC>")
        .filter_map(|block| {
            let (_, rest) = block.split_once("<DOCNO>")?;
            let (docno, rest) = rest.split_once("</DOCNO>")?;
            let text = rest.split("</DOC>").next().unwrap_or_default();
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            Some((docno.trim().to_owned(), text))
        })
        .collect()
}

/// `<top><num>n</num><title> text </title></top>` blocks.
pub fn parse_trec_topics(s: &str) -> Vec<(String, String)> {
    s.split("<top>")
        .filter_map(|block| {
            let (_, rest) = block.split_once("<num>")?;
            let (num, rest) = rest.split_once("</num>")?;
            let (_, rest) = rest.split_once("<title>")?;
            let title = rest.split("</title>").next().unwrap_or_default();
            let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
            Some((num.trim().to_owned(), title))
        })
        .collect()
}

/// `qid iter docno rel` lines; only rel > 0 counts, docnos become keys.
pub fn parse_qrels(s: &str, keys: &HashMap<String, String>) -> HashMap<String, HashSet<String>> {
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    for line in s.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let [qid, _, docno, rel] = cols[..] else { continue };
        if rel.parse::<i32>().is_ok_and(|r| r > 0)
            && let Some(key) = keys.get(docno)
        {
            out.entry(qid.to_owned()).or_default().insert(key.clone());
        }
    }
    out
}

// ---- generated corpora ----------------------------------------------------------------

/// Real words for the head of the vocabulary, so titles and queries read like text;
/// the long tail is made of syllables.
const HEAD_WORDS: &str = "account access agent alert api approval archive audit backup balance bank billing \
    branch budget build cache calendar card certificate change channel check client cloud cluster code \
    commit company compliance config contract cost customer dashboard data database deadline deploy \
    design device disk document domain draft email employee endpoint engineer error event expense export \
    feature file finance firewall form gateway goal group guide handbook health hiring holiday host \
    incident index invoice issue job key laptop latency launch ledger license limit log login manager \
    meeting memory metric migration monitor network node office onboarding order owner package page \
    partner password payment payroll permission phone pipeline plan platform policy process product \
    project queue quota release report request review risk role roadmap rollback router runbook salary \
    schedule schema search secret security server service session signup software storage strategy \
    support survey system table team template tenant test ticket timeout token training travel update \
    upgrade user vendor version volume vpn warehouse webhook wiki workflow";

const SYLLABLES: [&str; 40] = [
    "ka", "lo", "mer", "dis", "tan", "vel", "ro", "sun", "pra", "ti", "gen", "ul", "bor", "fa", "quin", "de", "stel",
    "mo", "ris", "cha", "ven", "ix", "pol", "ar", "nu", "tre", "son", "ly", "gra", "ment", "ca", "ber", "lin", "op",
    "dra", "sel", "tor", "hu", "ex", "ple",
];

const STOP_WORDS: [&str; 12] = ["the", "of", "and", "to", "a", "in", "is", "for", "on", "with", "by", "that"];
pub const COLLECTIONS: [&str; 12] = [
    "engineering",
    "support",
    "finance",
    "people",
    "security",
    "sales",
    "product",
    "operations",
    "legal",
    "marketing",
    "data",
    "design",
];
const PEOPLE: [&str; 8] = ["amara", "sofia", "lee", "noor", "jonas", "mei", "ravi", "ines"];

/// A Zipf-distributed vocabulary (exponent ~1.05, like English text).
pub struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

impl Vocabulary {
    pub fn new(size: usize, rng: &mut Rng) -> Vocabulary {
        let mut words: Vec<String> = HEAD_WORDS.split_whitespace().map(str::to_owned).collect();
        let mut seen: HashSet<String> = words.iter().cloned().collect();
        while words.len() < size {
            let n = 2 + rng.below(3);
            let w: String = (0..n).map(|_| SYLLABLES[rng.below(SYLLABLES.len())]).collect();
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        // Shuffle the head a little so the commonest words are not alphabetical.
        for i in (1..words.len().min(200)).rev() {
            words.swap(i, rng.below(i + 1));
        }
        let mut total = 0.0;
        let cumulative = (0..words.len())
            .map(|r| {
                total += 1.0 / ((r + 1) as f64).powf(1.05);
                total
            })
            .collect();
        Vocabulary { words, cumulative }
    }

    pub fn sample(&self, rng: &mut Rng) -> &str {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.unit() * total;
        let i = self.cumulative.partition_point(|c| *c < x).min(self.words.len() - 1);
        &self.words[i]
    }
}

/// `n` cards as Markdown files with front matter under `folder` (wiped first), grouped in
/// collection folders with at most 1,000 files per subfolder. Deterministic for a seed.
pub fn generate(n: usize, seed: u64, folder: &Path) -> anyhow::Result<Vec<Doc>> {
    if folder.exists() {
        std::fs::remove_dir_all(folder)?;
    }
    let mut rng = Rng::new(seed);
    // Heaps' law: bigger corpora use more distinct words.
    let vocab = Vocabulary::new((20_000 + n / 5).min(300_000), &mut rng);
    let tags = Vocabulary::new(HEAD_WORDS.split_whitespace().count(), &mut rng);
    let mut docs = Vec::with_capacity(n);
    for i in 0..n {
        let (rel, markdown, doc) = generate_card(i, &vocab, &tags, &mut rng);
        let path = folder.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, markdown).with_context(|| format!("writing {}", path.display()))?;
        docs.push(doc);
    }
    Ok(docs)
}

fn sentence(vocab: &Vocabulary, words: usize, rng: &mut Rng) -> String {
    let mut out = String::new();
    for k in 0..words {
        if k > 0 {
            out.push(' ');
            if rng.below(10) < 3 {
                out.push_str(STOP_WORDS[rng.below(STOP_WORDS.len())]);
                out.push(' ');
            }
        }
        out.push_str(vocab.sample(rng));
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// One card: (relative path, file text, the doc the peers index).
fn generate_card(i: usize, vocab: &Vocabulary, tags: &Vocabulary, rng: &mut Rng) -> (String, String, Doc) {
    let collection = COLLECTIONS[i % COLLECTIONS.len()];
    let rel = format!("{collection}/{:04}/card-{i:07}.md", i / (1000 * COLLECTIONS.len()));
    let title = capitalized(&sentence(vocab, 3 + rng.below(5), rng));
    let mut card_tags: Vec<&str> = (0..1 + rng.below(3)).map(|_| tags.sample(rng)).collect();
    card_tags.sort_unstable();
    card_tags.dedup();

    let mut body = String::new();
    for p in 0..2 + rng.below(4) {
        if p > 0 && rng.below(3) == 0 {
            body.push_str(&format!("## {}\n\n", capitalized(&sentence(vocab, 2 + rng.below(3), rng))));
        }
        for _ in 0..2 + rng.below(4) {
            body.push_str(&capitalized(&sentence(vocab, 6 + rng.below(12), rng)));
            body.push_str(". ");
        }
        body.push_str("\n\n");
    }

    let mut front = format!("---\ntitle: {title}\ntags: [{}]\nowner: {}\n", card_tags.join(", "), PEOPLE[i % 8]);
    if i.is_multiple_of(3) {
        front.push_str(&format!("verifier: {}\nverify_every: 6m\n", PEOPLE[(i + 3) % 8]));
    }
    if i.is_multiple_of(6) {
        front.push_str(&format!("verified_at: 2026-{:02}-{:02}\n", 1 + i % 11, 1 + i % 28));
    }
    front.push_str("---\n");
    let key = verity_content::slug_for_path(&rel).to_string();
    let doc = Doc { key, text: markdown::to_text(&body), title, description: String::new() };
    (rel, format!("{front}{body}"), doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_names_parse() {
        assert_eq!("generated:100_000".parse::<Spec>(), Ok(Spec::Generated(100_000)));
        assert_eq!("cpp-docs".parse::<Spec>(), Ok(Spec::CppDocs));
        assert!("generated:0".parse::<Spec>().is_err());
        assert!("nope".parse::<Spec>().is_err());
        assert_eq!(Spec::Generated(5).to_string(), "generated:5");
        assert_eq!("sentences:100000".parse::<Spec>(), Ok(Spec::Sentences(100_000)));
        assert_eq!(Spec::Sentences(7).to_string(), "sentences:7");
        assert!("sentences:0".parse::<Spec>().is_err());
        assert!("other:5".parse::<Spec>().is_err());
    }

    #[test]
    fn trec_files_parse() {
        let docs = parse_trec_docs("<DOC>\n<DOCNO>7</DOCNO>\nsome  text\nhere\n</DOC>\n<DOC><DOCNO>8</DOCNO>x</DOC>");
        assert_eq!(docs, vec![("7".into(), "some text here".into()), ("8".into(), "x".into())]);
        let topics = parse_trec_topics("<top>\n<num>1</num><title>\nMEASUREMENT OF\n</title>\n</top>");
        assert_eq!(topics, vec![("1".into(), "MEASUREMENT OF".into())]);
        let keys: HashMap<String, String> = [("7".to_string(), "k7".to_string())].into();
        let qrels = parse_qrels("1 0 7 1\n1 0 8 1\n2 0 7 0\nbad line\n", &keys);
        assert_eq!(qrels.len(), 1);
        assert!(qrels["1"].contains("k7"));
    }

    #[test]
    fn generated_cards_are_deterministic_and_importable() {
        let dir = std::env::temp_dir().join(format!("verity-bench-gen-{}", std::process::id()));
        let a = generate(30, 1, &dir).unwrap();
        let b = generate(30, 1, &dir).unwrap();
        assert_eq!(a.len(), 30);
        assert_eq!(a[7].text, b[7].text);
        // The importer reads every file, and its slugs are the keys the peers use.
        let scan = verity_content::scan(&dir);
        assert!(scan.errors.is_empty(), "{:?}", scan.errors);
        let mut keys: Vec<String> = scan.files.iter().map(|f| f.slug.to_string()).collect();
        let mut expected: Vec<String> = a.iter().map(|d| d.key.clone()).collect();
        keys.sort();
        expected.sort();
        assert_eq!(keys, expected);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn vocabulary_is_zipfian() {
        let mut rng = Rng::new(3);
        let v = Vocabulary::new(5000, &mut rng);
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for _ in 0..20_000 {
            *counts.entry(v.sample(&mut rng)).or_default() += 1;
        }
        let top = counts.values().max().copied().unwrap_or(0);
        // The commonest word is far more frequent than an average one.
        assert!(top > 20 * 20_000 / counts.len(), "top {top}, distinct {}", counts.len());
    }
}
