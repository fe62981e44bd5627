//! Connections, pools, pragmas, migrations and the one way to run a transaction.

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
#[derive(Debug, Clone, PartialEq, Eq)]
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
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        Ok(Target::Sqlite(PathBuf::from(url)))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Target::Sqlite(_))
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
    pub fn open(url: &str) -> Result<Store> {
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
}
