//! Connections, pools, pragmas, migrations and the one way to run a transaction.

use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::{Result, StoreError};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// A connection to either backend; store code is written once against it.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

impl DbConnection {
    /// Runs `f` in a savepoint inside the caller's transaction: if it fails, only its own
    /// writes are undone and the transaction goes on (bulk imports, one file at a time).
    pub fn savepoint<T>(&mut self, f: impl FnOnce(&mut DbConnection) -> Result<T>) -> Result<T> {
        self.transaction(f)
    }
}

/// Which database a URL names. The scheme decides; anything unknown is refused rather
/// than guessed.
#[derive(Clone, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Target {
    pub fn parse(url: &str) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            return Ok(Target::Sqlite(PathBuf::from(path)));
        }
        if url.contains("://") || url.is_empty() {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        }
        Ok(Target::Sqlite(PathBuf::from(url)))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Target::Sqlite(_))
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Target::Postgres(url) => f.debug_tuple("Postgres").field(&redact_url(url)).finish(),
        }
    }
}

const HIDDEN: &str = "***";

/// A database URL fit to show in a message or a log line: the password, in the userinfo
/// (`postgres://user:PASSWORD@host/db`) or as a `password=` parameter, becomes `***`.
pub fn redact_url(url: &str) -> String {
    let mut shown = String::with_capacity(url.len());
    let mut shown_up_to = 0;
    for secret in secret_ranges(url) {
        shown.push_str(&url[shown_up_to..secret.start]);
        shown.push_str(HIDDEN);
        shown_up_to = secret.end;
    }
    shown.push_str(&url[shown_up_to..]);
    shown
}

/// Where a URL's secrets are, in order and not overlapping. Found by hand rather than
/// with a URL parser because the URLs that need showing are mostly the ones that fail to
/// parse; when unsure it hides more rather than less (everything up to the last `@`).
fn secret_ranges(url: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    if let Some(start) = url.find("://").map(|i| i + 3)
        && let Some(at) = url[start..].rfind('@').map(|i| start + i)
        && let Some(colon) = url[start..at].find(':').map(|i| start + i)
    {
        ranges.push(colon + 1..at);
    }
    let lower = url.to_ascii_lowercase();
    for (i, key) in lower.match_indices("password=") {
        if i == 0 || matches!(lower.as_bytes()[i - 1], b'?' | b'&' | b' ' | b';') {
            let start = i + key.len();
            let end = url[start..].find(['&', ' ', ';']).map_or(url.len(), |n| start + n);
            ranges.push(start..end);
        }
    }
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// The secrets a URL holds, as written and percent-decoded, so that error text from the
/// database driver (which may quote a piece of the URL) can be scrubbed of them.
fn secrets_in(url: &str) -> Vec<String> {
    let written: Vec<String> = secret_ranges(url).into_iter().map(|r| url[r].to_owned()).collect();
    let decoded = written.iter().map(|s| percent_decode(s));
    let mut secrets: Vec<String> = written.iter().cloned().chain(decoded).filter(|s| !s.is_empty()).collect();
    // Longest first, so that a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut k = 0;
    while k < bytes.len() {
        let hex = bytes.get(k + 1..k + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[k], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                k += 3;
            }
            (byte, _) => {
                out.push(byte);
                k += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An error met while opening `url`, without any of the URL's secrets in its text.
fn scrubbed(e: StoreError, url: &str) -> StoreError {
    let secrets = secrets_in(url);
    let clean = |text: String| secrets.iter().fold(text, |t, s| t.replace(s.as_str(), HIDDEN));
    match e {
        StoreError::Unavailable(text) => StoreError::Unavailable(clean(text)),
        StoreError::Migration(text) => StoreError::Migration(clean(text)),
        other if secrets.iter().any(|s| other.to_string().contains(s.as_str())) => {
            StoreError::Unavailable(clean(other.to_string()))
        }
        other => other,
    }
}

struct Manager(Target);

impl Manager {
    fn establish(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match &self.0 {
            Target::Postgres(url) => Ok(DbConnection::Postgres(diesel::PgConnection::establish(url)?)),
            Target::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                // Per-connection settings: wait for a lock instead of failing at once,
                // enforce references, and fsync at checkpoints only (safe with WAL).
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.establish().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

type Pool = r2d2::Pool<Manager>;

/// The database: a read pool and a write pool. On SQLite the write pool holds exactly one
/// connection, so writers queue in the process instead of failing with "database is
/// locked"; on PostgreSQL both are the same pool.
#[derive(Clone)]
pub struct Store {
    read: Pool,
    write: Pool,
    target: Target,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a URL: it may carry a password.
        f.debug_struct("Store").field("sqlite", &self.target.is_sqlite()).finish()
    }
}

impl Store {
    /// Opens the database, creating it (SQLite) and running pending migrations first.
    /// Errors never carry the URL's password.
    pub fn open(url: &str) -> Result<Store> {
        Store::open_target(url).map_err(|e| scrubbed(e, url))
    }

    fn open_target(url: &str) -> Result<Store> {
        let target = Target::parse(url)?;
        let manager = Manager(target.clone());
        let mut conn = manager.establish()?;
        let migrated = match &mut conn {
            DbConnection::Sqlite(c) => {
                // WAL is a property of the database file: set once, kept by every connection.
                c.batch_execute("PRAGMA journal_mode = WAL;")?;
                c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len())
            }
            DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
        }
        .map_err(|e| StoreError::Migration(e.to_string()))?;
        if migrated > 0 {
            tracing::info!(migrations = migrated, "database migrated");
        }
        drop(conn);

        let build = |size: u32, manager: Manager| {
            r2d2::Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                .connection_timeout(Duration::from_secs(5))
                .build(manager)
        };
        let (read, write) = match &target {
            Target::Sqlite(_) => (build(8, Manager(target.clone()))?, build(1, Manager(target.clone()))?),
            Target::Postgres(_) => {
                let pool = build(12, Manager(target.clone()))?;
                (pool.clone(), pool)
            }
        };
        Ok(Store { read, write, target })
    }

    pub fn is_sqlite(&self) -> bool {
        self.target.is_sqlite()
    }

    /// Runs read-only work on a pooled connection.
    pub fn read<T, E: From<StoreError>>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E> {
        let mut conn = self.read.get().map_err(StoreError::from)?;
        f(&mut conn)
    }

    /// Runs `f` in one transaction: committed if it returns `Ok`, rolled back otherwise.
    ///
    /// SQLite transactions begin IMMEDIATE: a deferred one that reads and then writes fails
    /// at once with "database is locked" if another process wrote in between.
    ///
    /// `f` may fail with any error a store error converts into, so callers can refuse
    /// (forbidden, invalid) from inside the transaction.
    pub fn write<T, E: From<StoreError>>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E> {
        let mut conn = self.write.get().map_err(StoreError::from)?;
        let begun = match &mut *conn {
            DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
            DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
        };
        begun.map_err(StoreError::from)?;
        match f(&mut conn) {
            Ok(value) => {
                DbConnection::commit_transaction(&mut conn).map_err(StoreError::from)?;
                Ok(value)
            }
            Err(e) => {
                if let Err(rollback) = DbConnection::rollback_transaction(&mut conn) {
                    tracing::warn!(error = %rollback, "rollback failed");
                }
                Err(e)
            }
        }
    }

    /// Is the database answering?
    pub fn ping(&self) -> Result<()> {
        self.read(|c| Ok::<_, StoreError>(c.ping()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend_by_scheme() {
        assert_eq!(Target::parse("data/verity.db").unwrap(), Target::Sqlite("data/verity.db".into()));
        assert_eq!(Target::parse("sqlite://x.db").unwrap(), Target::Sqlite("x.db".into()));
        assert!(matches!(Target::parse("postgres://u@h/db").unwrap(), Target::Postgres(_)));
        assert!(matches!(Target::parse("mysql://u@h/db"), Err(StoreError::UnsupportedUrl(_))));
        assert!(Target::parse("").is_err());
    }

    #[test]
    fn shown_urls_hide_their_passwords() {
        for (url, shown) in [
            ("postgres://verity:s3cret@db:5432/kb", "postgres://verity:***@db:5432/kb"),
            ("postgres://verity:p@ss/w?rd@db/kb", "postgres://verity:***@db/kb"),
            (
                "postgres://db/kb?user=v&password=s3cret&sslmode=require",
                "postgres://db/kb?user=v&password=***&sslmode=require",
            ),
            ("postgres://v:a@db/kb?PASSWORD=b", "postgres://v:***@db/kb?PASSWORD=***"),
            ("host=db password=s3cret dbname=kb", "host=db password=*** dbname=kb"),
            ("postgres://verity@db/kb", "postgres://verity@db/kb"),
            ("data/verity.db", "data/verity.db"),
        ] {
            assert_eq!(redact_url(url), shown);
        }
        assert_eq!(secrets_in("postgres://v:a%41b@db/kb"), vec!["a%41b", "aAb"]);
        let e = scrubbed(StoreError::Unavailable("invalid token \"a%41b\" or aAb".into()), "postgres://v:a%41b@db/kb");
        assert_eq!(e.to_string(), "the database is unavailable: invalid token \"***\" or ***");
        let target = Target::parse("postgres://v:s3cret@db/kb").unwrap();
        assert!(!format!("{target:?}").contains("s3cret"));
    }

    /// The tables, columns and indexes a SQLite database has (diesel's own table aside).
    fn sqlite_schema(c: &mut diesel::SqliteConnection) -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            sql: String,
        }
        diesel::sql_query(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL \
             AND name NOT LIKE '__diesel%' AND name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .load::<Row>(c)
        .unwrap()
        .into_iter()
        .map(|r| r.sql)
        .collect()
    }

    /// The columns and indexes of the tables in the current PostgreSQL schema.
    fn postgres_schema(c: &mut diesel::PgConnection) -> Vec<String> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            line: String,
        }
        diesel::sql_query(
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
               || ' ' || coalesce(column_default, '') AS line \
             FROM information_schema.columns WHERE table_schema = current_schema() \
               AND table_name NOT LIKE '__diesel%' \
             UNION ALL SELECT indexdef AS line FROM pg_indexes WHERE schemaname = current_schema() \
               AND tablename NOT LIKE '__diesel%' \
             ORDER BY line",
        )
        .load::<Row>(c)
        .unwrap()
        .into_iter()
        .map(|r| r.line)
        .collect()
    }

    /// Every migration runs up, down (leaving nothing behind) and up again to the same
    /// schema: a release can be rolled back, and a down migration that drifted from its up
    /// shows here rather than on someone's server.
    #[test]
    fn migrations_run_up_down_and_up_again_to_the_same_schema() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = diesel::SqliteConnection::establish(dir.path().join("m.db").to_str().unwrap()).unwrap();
        let applied = c.run_pending_migrations(SQLITE_MIGRATIONS).unwrap().len();
        assert!(applied >= 10, "{applied}");
        let up = sqlite_schema(&mut c);
        assert!(up.iter().any(|sql| sql.contains("CREATE TABLE cards")), "{up:#?}");
        assert_eq!(c.revert_all_migrations(SQLITE_MIGRATIONS).unwrap().len(), applied);
        assert_eq!(sqlite_schema(&mut c), Vec::<String>::new(), "down migrations left something behind");
        c.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
        assert_eq!(sqlite_schema(&mut c), up);

        let Some(url) = crate::testing::fresh_postgres_url() else {
            eprintln!("PostgreSQL migrations skipped: set {}", crate::testing::TEST_DATABASE_URL);
            return;
        };
        let mut c = diesel::PgConnection::establish(&url).unwrap();
        let applied = c.run_pending_migrations(POSTGRES_MIGRATIONS).unwrap().len();
        let up = postgres_schema(&mut c);
        assert!(up.iter().any(|line| line.starts_with("cards.")), "{up:#?}");
        assert_eq!(c.revert_all_migrations(POSTGRES_MIGRATIONS).unwrap().len(), applied);
        assert_eq!(postgres_schema(&mut c), Vec::<String>::new(), "down migrations left something behind");
        c.run_pending_migrations(POSTGRES_MIGRATIONS).unwrap();
        assert_eq!(postgres_schema(&mut c), up);
    }
}
