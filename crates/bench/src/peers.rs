//! The peers: SQLite FTS5 (porter stemming, ranked by `bm25()`) and PostgreSQL full-text
//! search (a weighted `tsvector` column with a GIN index, ranked by `ts_rank`). Both get
//! the same cards as plain text and answer with a snippet, as Verity does.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use crate::corpus::Doc;
use crate::queries::{self, Class};

/// The common face of the engines the harness times.
pub trait Engine {
    fn name(&self) -> &'static str;
    /// The keys of the best `limit` matches, best first; `snippets` as a user would see them.
    fn search(&mut self, class: Class, text: &str, limit: usize, snippets: bool) -> anyhow::Result<Vec<String>>;
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    key: String,
}

#[derive(QueryableByName)]
struct KeySnippetRow {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    #[allow(dead_code)] // fetched so the engine does the work; nobody reads it
    snippet: String,
}

/// What building a peer's index cost.
#[derive(Debug, Clone, Copy)]
pub struct Built {
    pub seconds: f64,
    pub bytes: u64,
}

pub struct Fts5 {
    conn: SqliteConnection,
}

impl Fts5 {
    pub fn build(path: &Path, docs: &[Doc]) -> anyhow::Result<(Fts5, Built)> {
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", path.display()));
            if file.exists() {
                std::fs::remove_file(&file)?;
            }
        }
        let started = Instant::now();
        let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             CREATE VIRTUAL TABLE docs USING fts5(key UNINDEXED, title, body, tokenize = 'porter unicode61');",
        )?;
        conn.transaction(|c| {
            for d in docs {
                diesel::sql_query("INSERT INTO docs (key, title, body) VALUES (?, ?, ?)")
                    .bind::<Text, _>(&d.key)
                    .bind::<Text, _>(&d.title)
                    .bind::<Text, _>(&d.text)
                    .execute(c)?;
            }
            // Merge the b-trees once, as a bulk load would before serving.
            c.batch_execute("INSERT INTO docs (docs) VALUES ('optimize');")?;
            Ok::<_, diesel::result::Error>(())
        })?;
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")?;
        let seconds = started.elapsed().as_secs_f64();
        Ok((Fts5 { conn }, Built { seconds, bytes: crate::verity::disk_bytes(path) }))
    }
}

impl Engine for Fts5 {
    fn name(&self) -> &'static str {
        "fts5"
    }

    fn search(&mut self, class: Class, text: &str, limit: usize, snippets: bool) -> anyhow::Result<Vec<String>> {
        let Some(q) = queries::fts5(class, text) else { return Ok(Vec::new()) };
        let limit = limit as i64;
        Ok(if snippets {
            diesel::sql_query(
                "SELECT key, snippet(docs, 2, '<b>', '</b>', '…', 24) AS snippet FROM docs
                 WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
            )
            .bind::<Text, _>(&q)
            .bind::<BigInt, _>(limit)
            .load::<KeySnippetRow>(&mut self.conn)?
            .into_iter()
            .map(|r| r.key)
            .collect()
        } else {
            diesel::sql_query("SELECT key FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?")
                .bind::<Text, _>(&q)
                .bind::<BigInt, _>(limit)
                .load::<KeyRow>(&mut self.conn)?
                .into_iter()
                .map(|r| r.key)
                .collect()
        })
    }
}

/// PostgreSQL in a schema of its own, dropped when this is dropped (the database is shared).
pub struct Postgres {
    conn: PgConnection,
    schema: String,
}

/// `to_tsvector` refuses very long documents (position and size limits); a few pages of
/// cpp-docs are longer than this, and their tail hardly changes a ranking.
const PG_MAX_CHARS: usize = 200_000;

fn truncated(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

impl Postgres {
    pub fn build(url: &str, docs: &[Doc]) -> anyhow::Result<(Postgres, Built)> {
        let mut conn = PgConnection::establish(url).context("connecting to PostgreSQL")?;
        let schema = format!("verity_bench_{}_{}", std::process::id(), chrono::Utc::now().timestamp());
        conn.batch_execute(&format!("CREATE SCHEMA {schema}; SET search_path TO {schema};"))?;
        let mut pg = Postgres { conn, schema };
        let started = Instant::now();
        pg.conn.batch_execute(
            "CREATE TABLE docs (key text NOT NULL, title text NOT NULL, body text NOT NULL,
               tsv tsvector GENERATED ALWAYS AS (
                 setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
               ) STORED);",
        )?;
        for chunk in docs.chunks(1000) {
            let keys: Vec<&str> = chunk.iter().map(|d| d.key.as_str()).collect();
            let titles: Vec<&str> = chunk.iter().map(|d| d.title.as_str()).collect();
            let bodies: Vec<&str> = chunk.iter().map(|d| truncated(&d.text, PG_MAX_CHARS)).collect();
            diesel::sql_query(
                "INSERT INTO docs (key, title, body) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])",
            )
            .bind::<Array<Text>, _>(keys)
            .bind::<Array<Text>, _>(titles)
            .bind::<Array<Text>, _>(bodies)
            .execute(&mut pg.conn)?;
        }
        // The index after the load, as one would for a bulk import.
        pg.conn.batch_execute("CREATE INDEX docs_tsv ON docs USING gin (tsv); ANALYZE docs;")?;
        let seconds = started.elapsed().as_secs_f64();
        #[derive(QueryableByName)]
        struct Size {
            #[diesel(sql_type = BigInt)]
            bytes: i64,
        }
        let size: Size =
            diesel::sql_query("SELECT pg_total_relation_size('docs') AS bytes").get_result(&mut pg.conn)?;
        Ok((pg, Built { seconds, bytes: size.bytes.max(0) as u64 }))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Err(e) = self.conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE;", self.schema)) {
            eprintln!("could not drop PostgreSQL schema {}: {e}", self.schema);
        }
    }
}

impl Engine for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn search(&mut self, class: Class, text: &str, limit: usize, snippets: bool) -> anyhow::Result<Vec<String>> {
        let Some(q) = queries::tsquery(class, text) else { return Ok(Vec::new()) };
        let limit = limit as i64;
        Ok(if snippets {
            diesel::sql_query(
                "SELECT key, ts_headline('english', body, q, 'MaxFragments=1, MaxWords=30, MinWords=10') AS snippet
                 FROM (SELECT key, body, q FROM docs, to_tsquery('english', $1) q
                       WHERE tsv @@ q ORDER BY ts_rank(tsv, q) DESC LIMIT $2) best",
            )
            .bind::<Text, _>(&q)
            .bind::<BigInt, _>(limit)
            .load::<KeySnippetRow>(&mut self.conn)?
            .into_iter()
            .map(|r| r.key)
            .collect()
        } else {
            diesel::sql_query(
                "SELECT key FROM docs, to_tsquery('english', $1) q WHERE tsv @@ q ORDER BY ts_rank(tsv, q) DESC LIMIT $2",
            )
            .bind::<Text, _>(&q)
            .bind::<BigInt, _>(limit)
            .load::<KeyRow>(&mut self.conn)?
            .into_iter()
            .map(|r| r.key)
            .collect()
        })
    }
}

/// A bound on how long one engine may spend on one query class, so a slow peer on a
/// large corpus cannot stall the run; at least one pass always runs.
pub const CLASS_BUDGET: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts5_is_compiled_in_and_ranks() {
        let path = std::env::temp_dir().join(format!("verity-bench-fts5-{}.db", std::process::id()));
        let docs = vec![
            Doc {
                key: "a".into(),
                title: "Deploys".into(),
                text: "how to deploy the payments service".into(),
                description: String::new(),
            },
            Doc {
                key: "b".into(),
                title: "Holidays".into(),
                text: "public holidays by country".into(),
                description: String::new(),
            },
        ];
        let (mut fts, built) = Fts5::build(&path, &docs).unwrap();
        assert!(built.bytes > 0);
        assert_eq!(fts.search(Class::OneWord, "deploying", 10, true).unwrap(), vec!["a"]);
        assert_eq!(fts.search(Class::Prefix, "holi", 10, false).unwrap(), vec!["b"]);
        assert_eq!(fts.search(Class::Phrase, "\"payments service\"", 10, false).unwrap(), vec!["a"]);
        assert!(fts.search(Class::OneWord, "\"", 10, false).unwrap().is_empty());
        drop(fts);
        let _ = std::fs::remove_file(&path);
        assert_eq!(truncated("héllo", 2), "hé");
    }
}
