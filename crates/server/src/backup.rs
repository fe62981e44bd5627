//! `verity backup FILE` and `verity restore FILE`: a SQLite installation copied while it
//! runs, and brought back into an empty data dir.
//!
//! The backup is one SQLite file (see `verity_store::backup`): the database holds every
//! card, revision, account, token hash and attachment. It does not hold the JWT signing
//! secret (`data/jwt-secret`), so a restored installation signs everyone in again with a
//! new one, while API tokens keep working. The search index is not copied: `restore`
//! rebuilds it from the database.
//!
//! The content folder is not in the backup either: it is the team's (often a git
//! checkout). A restore writes the file of every card that came from the folder and whose
//! file is missing there, so that the first sync does not take the missing files for
//! deletions and archive their cards; files that are there are left for the sync to
//! compare, as at any start.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use verity_content::confined::{self, Flush};
use verity_content::{hash_bytes, to_markdown};
use verity_store::backup::{self, Contents};
use verity_store::{Store, Target, cards};

use crate::export::draft_of;
use crate::{app, auth, indexer};

/// The SQLite file a data dir and database URL name, or why there is none to copy.
fn sqlite_file(data_dir: &Path, database_url: Option<&str>, postgres_hint: &str) -> anyhow::Result<PathBuf> {
    match database_url {
        None => Ok(data_dir.join("verity.db")),
        Some(url) => match Target::parse(url)? {
            Target::Sqlite(path) => Ok(path),
            Target::Postgres(_) => bail!("{postgres_hint}"),
        },
    }
}

/// A path beside `path` for writing before the final rename, so that no half-written
/// file ever has the final name.
fn partial_beside(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}", auth::random_string(8)))
}

/// Copies the database to `file` while the server may be writing; returns what it holds.
pub fn backup(data_dir: &Path, database_url: Option<&str>, file: &Path) -> anyhow::Result<Contents> {
    let db = sqlite_file(
        data_dir,
        database_url,
        "this installation runs on PostgreSQL: back it up with pg_dump (see the README's Backups)",
    )?;
    if !db.is_file() {
        bail!("no database at {} (pass --data-dir or --database-url)", db.display());
    }
    if file.exists() {
        bail!("{} already exists: a backup never replaces a file; choose a new name", file.display());
    }
    let partial = partial_beside(file);
    let copied = backup::write_copy(&db, &partial)
        .with_context(|| format!("copying the database to {}", partial.display()))
        .and_then(|()| Ok(backup::inspect(&partial)?));
    let contents = match copied {
        Ok(contents) => contents,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    // Linking fails if `file` appeared meanwhile, where a rename would replace it.
    let linked = std::fs::hard_link(&partial, file);
    let _ = std::fs::remove_file(&partial);
    linked.with_context(|| format!("naming the backup {}", file.display()))?;
    Ok(contents)
}

/// What a restore brought back.
pub struct Restored {
    pub contents: Contents,
    /// Cards in the rebuilt search index (the live ones).
    pub indexed: u64,
    /// Card files written into the content folder because they were missing there.
    pub files_written: usize,
}

/// Brings a backup back into a data dir that holds no database and no index yet,
/// upgrades it to this version's schema, and rebuilds the search index.
pub fn restore(data_dir: &Path, database_url: Option<&str>, file: &Path, content: &Path) -> anyhow::Result<Restored> {
    let db = sqlite_file(
        data_dir,
        database_url,
        "this installation runs on PostgreSQL: restore it with pg_restore or psql (see the README's Backups)",
    )?;
    let contents = backup::inspect(file)?;
    for existing in [db.clone(), sidecar(&db, "-wal"), data_dir.join("index")] {
        if existing.exists() {
            bail!("{} already exists: restore into an empty data dir (or move the old one aside)", existing.display());
        }
    }
    if let Some(parent) = db.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let partial = partial_beside(&db);
    let placed = std::fs::copy(file, &partial)
        .with_context(|| format!("copying {} to {}", file.display(), partial.display()))
        .and_then(|_| std::fs::hard_link(&partial, &db).with_context(|| format!("creating {}", db.display())));
    let _ = std::fs::remove_file(&partial);
    placed?;

    // Opening runs the migrations a backup from an older version lacks.
    let store = app::open_store(data_dir, database_url)?;
    let (indexed, _) = indexer::rebuild_in(&store, &data_dir.join("index"))?;
    let files_written = write_missing_files(&store, content)?;
    Ok(Restored { contents, indexed, files_written })
}

/// Writes the file of each live card that came from the content folder and has no file
/// there now (through the folder's confined writes: never outside it, never through a
/// link). Returns how many were written.
fn write_missing_files(store: &Store, content: &Path) -> anyhow::Result<usize> {
    let synced = store.read(cards::synced_files)?;
    if synced.is_empty() {
        return Ok(0);
    }
    std::fs::create_dir_all(content).with_context(|| format!("creating {}", content.display()))?;
    let mut written = 0;
    for (id, rel, _) in synced {
        if content.join(&rel).symlink_metadata().is_ok() {
            continue;
        }
        let card = store.read(|c| cards::by_id(c, id))?;
        let text = to_markdown(&draft_of(&card));
        confined::write_file(content, &rel, text.as_bytes(), Flush::Durable)
            .map_err(|e| anyhow::anyhow!("writing {rel} into {}: {e}", content.display()))?;
        store.write(|c| cards::set_synced(c, id, &rel, &hash_bytes(text.as_bytes()), card.head_rev))?;
        written += 1;
    }
    Ok(written)
}

/// SQLite's companion file of a database (`verity.db-wal`).
fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
