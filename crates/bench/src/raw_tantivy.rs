//! The engine alone: the same cards in a plain tantivy index (title and body, Verity's
//! English analyzer, default BM25), asked the same queries for the top 10 and the exact
//! number of matches (`(TopDocs, Count)`), in-process, on one thread or on all cores.
//! What Verity adds on top (coordination, pruning, facets, snippets, access, the search
//! log, HTTP) is the difference to this.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, EnableScoring, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Executor, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, Term, doc};

use crate::corpus::Doc;
use crate::peers::{Built, Engine};
use crate::queries::{self, Class};

const ANALYZER: &str = "verity_en";
/// Like Verity's import: one indexing thread, a 64 MiB heap, a commit every 20,000 cards.
const HEAP_BYTES: usize = 64 * 1024 * 1024;
const COMMIT_EVERY: usize = 20_000;

#[derive(Clone, Copy)]
struct Fields {
    title: Field,
    body: Field,
    /// The card's place in the corpus, to name hits without reading stored documents.
    ord: Field,
}

/// The index, shared by the one-thread and the all-cores engine.
pub struct RawIndex {
    reader: IndexReader,
    fields: Fields,
    keys: Vec<String>,
    analyzer: TextAnalyzer,
}

impl RawIndex {
    pub fn build(dir: &Path, docs: &[Doc]) -> anyhow::Result<(RawIndex, Built)> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let mut b = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields = Fields {
            title: b.add_text_field("title", text.clone()),
            body: b.add_text_field("body", text),
            ord: b.add_u64_field("ord", FAST),
        };
        let started = Instant::now();
        let index = Index::create_in_dir(dir, b.build()).context("creating the raw tantivy index")?;
        index.tokenizers().register(ANALYZER, verity_index::english_analyzer());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, HEAP_BYTES)?;
        for (i, d) in docs.iter().enumerate() {
            writer.add_document(
                doc!(fields.title => d.title.as_str(), fields.body => d.text.as_str(), fields.ord => i as u64),
            )?;
            if (i + 1) % COMMIT_EVERY == 0 {
                writer.commit()?;
            }
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        let seconds = started.elapsed().as_secs_f64();
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let keys = docs.iter().map(|d| d.key.clone()).collect();
        let raw = RawIndex { reader, fields, keys, analyzer: verity_index::english_analyzer() };
        Ok((raw, Built { seconds, bytes: crate::verity::disk_bytes(dir) }))
    }

    /// An engine searching each query's segments on `threads` threads.
    pub fn engine(&self, threads: usize) -> anyhow::Result<RawTantivy<'_>> {
        let (executor, name) = if threads <= 1 {
            (Executor::single_thread(), "tantivy-1-thread")
        } else {
            (Executor::multi_thread(threads, "raw-tantivy-")?, "tantivy-all-threads")
        };
        Ok(RawTantivy { index: self, executor, name })
    }

    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// The analyzed words of `text` with their positions.
    fn tokens(&self, text: &str) -> Vec<(usize, String)> {
        let mut analyzer = self.analyzer.clone();
        let mut out = Vec::new();
        analyzer.token_stream(text).process(&mut |t| out.push((t.position, t.text.clone())));
        out
    }

    /// The query as the engine alone would run it: any word may match (in the title or
    /// the body, BM25 summed), a quoted phrase in order, the last word of a prefix query
    /// completed, a typo one edit away.
    fn query(&self, class: Class, text: &str) -> Box<dyn Query> {
        let f = self.fields;
        let t = text.trim();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
            let tokens = self.tokens(t.trim_matches('"'));
            if tokens.len() >= 2 {
                for field in [f.title, f.body] {
                    let terms = tokens.iter().map(|(p, w)| (*p, Term::from_field_text(field, w))).collect();
                    clauses.push((Occur::Should, Box::new(PhraseQuery::new_with_offset(terms))));
                }
                return Box::new(BooleanQuery::new(clauses));
            }
        }
        let mut tokens: Vec<String> = self.tokens(t).into_iter().map(|(_, w)| w).collect();
        let raw = queries::words(t);
        let mut loose: Vec<FuzzyTermQuery> = Vec::new();
        match class {
            Class::Prefix if !raw.is_empty() => {
                tokens.pop();
                let last = &raw[raw.len() - 1];
                loose.extend(
                    [f.title, f.body]
                        .map(|field| FuzzyTermQuery::new_prefix(Term::from_field_text(field, last), 0, true)),
                );
            }
            Class::Typo => {
                for w in raw.iter().filter(|w| w.len() >= 5) {
                    loose.extend(
                        [f.title, f.body].map(|field| FuzzyTermQuery::new(Term::from_field_text(field, w), 1, true)),
                    );
                }
            }
            _ => {}
        }
        tokens.sort();
        tokens.dedup();
        for w in &tokens {
            for field in [f.title, f.body] {
                let term = TermQuery::new(Term::from_field_text(field, w), IndexRecordOption::WithFreqs);
                clauses.push((Occur::Should, Box::new(term)));
            }
        }
        clauses.extend(loose.into_iter().map(|q| (Occur::Should, Box::new(q) as Box<dyn Query>)));
        Box::new(BooleanQuery::new(clauses))
    }

    fn key(&self, searcher: &Searcher, addr: DocAddress) -> anyhow::Result<String> {
        let column = searcher.segment_reader(addr.segment_ord).fast_fields().u64("ord")?;
        let ord = column.first(addr.doc_id).context("a card without its ord")?;
        Ok(self.keys[ord as usize].clone())
    }
}

pub struct RawTantivy<'a> {
    index: &'a RawIndex,
    executor: Executor,
    name: &'static str,
}

impl RawTantivy<'_> {
    /// The best `limit` keys and the exact number of matches.
    pub fn search_counted(&self, class: Class, text: &str, limit: usize) -> anyhow::Result<(Vec<String>, usize)> {
        let searcher = self.index.reader.searcher();
        let query = self.index.query(class, text);
        let collector = (TopDocs::with_limit(limit.max(1)).order_by_score(), Count);
        let (top, total) = searcher.search_with_executor(
            &*query,
            &collector,
            &self.executor,
            EnableScoring::enabled_from_searcher(&searcher),
        )?;
        let keys = top.into_iter().map(|(_, addr)| self.index.key(&searcher, addr)).collect::<anyhow::Result<_>>()?;
        Ok((keys, total))
    }
}

impl Engine for RawTantivy<'_> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn search(&mut self, class: Class, text: &str, limit: usize, _snippets: bool) -> anyhow::Result<Vec<String>> {
        Ok(self.search_counted(class, text, limit)?.0)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use verity_index::{CardDoc, SearchIndex, SearchRequest};

    use super::*;

    /// Cards of plain words, several sharing each word.
    fn docs() -> Vec<Doc> {
        let words = ["deploy", "rollback", "invoice", "payment", "holiday", "laptop", "review", "service"];
        (0..40)
            .map(|i| {
                let body: Vec<&str> = (0..12).map(|k| words[(i * 7 + k * k + i / 3) % words.len()]).collect();
                let title = format!("{} {}", words[i % words.len()], words[(i / 5) % words.len()]);
                Doc {
                    key: format!("card-{i}"),
                    title,
                    text: format!("The {} notes.", body.join(" ")),
                    description: String::new(),
                }
            })
            .collect()
    }

    fn dir(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("verity-bench-raw-{name}-{}", std::process::id()))
    }

    #[test]
    fn counts_match_verity_for_words_and_phrases() {
        let docs = docs();
        let raw_dir = dir("peer");
        let (raw, built) = RawIndex::build(&raw_dir, &docs).unwrap();
        assert!(built.bytes > 0);
        let verity_dir = dir("verity");
        let _ = std::fs::remove_dir_all(&verity_dir);
        let (verity, _) = SearchIndex::open(&verity_dir).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let mut w = verity.writer().unwrap();
        for (i, d) in docs.iter().enumerate() {
            let card = CardDoc {
                id: i as i64 + 1,
                slug: d.key.clone(),
                title: d.title.clone(),
                headings: vec![],
                text: d.text.clone(),
                tags: vec![],
                collection: "c".into(),
                due: None,
                updated_at: now,
            };
            w.upsert(&card).unwrap();
        }
        w.commit(1).unwrap();
        verity.reload().unwrap();
        let (one, all) = (raw.engine(1).unwrap(), raw.engine(2).unwrap());
        for (class, q) in [
            (Class::OneWord, "deploy"),
            (Class::OneWord, "payments"),
            (Class::OneWord, "reviewing"),
            (Class::MultiWord, "holiday laptop"),
            (Class::MultiWord, "invoice rollback service"),
            (Class::Phrase, "\"deploy rollback\""),
            (Class::Phrase, "\"the deploy\""),
            (Class::Title, "Holiday laptop"),
        ] {
            let found =
                verity.search(&SearchRequest { q: q.into(), limit: 10, ..SearchRequest::default() }, now).unwrap();
            let (keys, total) = one.search_counted(class, q, 10).unwrap();
            assert!(total >= 3, "{q}: too few matches to compare ({total})");
            assert_eq!(total, found.total, "{q}");
            assert_eq!(keys.len(), total.min(10));
            assert_eq!(all.search_counted(class, q, 10).unwrap(), (keys, total), "{q}: threads change nothing");
        }
        // Stemmed like Verity: "payments" found the cards that say "payment".
        let (keys, _) = one.search_counted(Class::OneWord, "payments", 1).unwrap();
        assert!(docs.iter().any(|d| d.key == keys[0] && d.text.contains("payment")));
        drop(verity);
        std::fs::remove_dir_all(&raw_dir).unwrap();
        std::fs::remove_dir_all(&verity_dir).unwrap();
    }

    #[test]
    fn prefix_and_typo_queries_find_the_longer_and_the_right_word() {
        let docs = docs();
        let raw_dir = dir("loose");
        let (raw, _) = RawIndex::build(&raw_dir, &docs).unwrap();
        let one = raw.engine(1).unwrap();
        let (_, rollb) = one.search_counted(Class::Prefix, "rollb", 10).unwrap();
        let (_, rollback) = one.search_counted(Class::OneWord, "rollback", 10).unwrap();
        assert_eq!(rollb, rollback);
        let (_, typo) = one.search_counted(Class::Typo, "rollbakc", 10).unwrap();
        assert_eq!(typo, rollback);
        std::fs::remove_dir_all(&raw_dir).unwrap();
    }
}
