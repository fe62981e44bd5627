//! Backups of a SQLite database, taken while the server goes on writing to it.
//!
//! `VACUUM INTO` reads the database inside one read transaction — a snapshot, under WAL —
//! and writes a compact copy of it: every transaction committed before the copy began is
//! in it, none that committed after, and writers are not held up meanwhile. The database
//! is all Verity needs to come back (attachments are in it too); the search index is
//! rebuilt from it. PostgreSQL has its own tools for this (`pg_dump`).

use std::path::Path;

use diesel::sql_types::{BigInt, Text};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::{Result, StoreError};

/// Writes a consistent copy of the SQLite database at `db` to `to`, which must not exist.
///
/// The database is opened read-only and never migrated: a backup taken by a newer binary
/// beside an older running server must not change the server's schema under it.
pub fn write_copy(db: &Path, to: &Path) -> Result<()> {
    let to = to.to_str().ok_or_else(|| StoreError::Unavailable(format!("{} is not a UTF-8 path", to.display())))?;
    let uri = format!("file:{}?mode=ro", uri_path(db));
    let mut c = SqliteConnection::establish(&uri)?;
    // Wait for a writer's lock instead of failing at once, as the server's connections do.
    diesel::sql_query("PRAGMA busy_timeout = 5000").execute(&mut c)?;
    diesel::sql_query("VACUUM INTO ?").bind::<Text, _>(to).execute(&mut c)?;
    Ok(())
}

/// What a backup file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// Cards, archived ones included.
    pub cards: i64,
    pub attachments: i64,
    pub users: i64,
    /// The newest migration the database had run (`2026-12-02-000010`, say).
    pub schema_version: String,
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

/// Reads a file that should be a Verity SQLite database (a backup) without changing it:
/// it must be a SQLite file that passes SQLite's integrity check and holds Verity's
/// tables. The error says which of these it is not.
pub fn inspect(path: &Path) -> Result<Contents> {
    let not_a_backup = |why: String| StoreError::Corrupt(format!("{} is not a Verity backup: {why}", path.display()));
    let meta = std::fs::metadata(path).map_err(|e| not_a_backup(e.to_string()))?;
    if !meta.is_file() {
        return Err(not_a_backup("not a regular file".into()));
    }
    // Read-only, and never created: a URI with mode=ro.
    let uri = format!("file:{}?mode=ro", uri_path(path));
    let mut c = SqliteConnection::establish(&uri).map_err(|e| not_a_backup(e.to_string()))?;
    let checks: Vec<Check> =
        diesel::sql_query("PRAGMA integrity_check").load(&mut c).map_err(|e| not_a_backup(e.to_string()))?;
    if checks.iter().any(|row| row.integrity_check != "ok") {
        let first = checks.into_iter().next().map(|row| row.integrity_check).unwrap_or_default();
        return Err(not_a_backup(format!("SQLite's integrity check failed ({first})")));
    }
    let count = |c: &mut SqliteConnection, table: &str| {
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result::<Count>(c)
            .map(|row| row.n)
            .map_err(|_| not_a_backup(format!("it has no `{table}` table")))
    };
    let cards = count(&mut c, "cards")?;
    let attachments = count(&mut c, "attachments")?;
    let users = count(&mut c, "users")?;
    let schema_version = diesel::sql_query("SELECT max(version) AS version FROM __diesel_schema_migrations")
        .get_result::<Version>(&mut c)
        .map(|row| row.version)
        .map_err(|_| not_a_backup("it has no migration history".into()))?;
    Ok(Contents { cards, attachments, users, schema_version })
}

/// A path as an SQLite URI path: the characters URIs give a meaning to are escaped.
fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for ch in path.to_string_lossy().chars() {
        match ch {
            '?' | '#' | '%' => out.push_str(&format!("%{:02X}", ch as u32)),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use verity_core::Slug;

    use super::*;
    use crate::cards::{self, CardMeta, NewCard};
    use crate::{Store, collections};

    fn store_with_cards(dir: &Path, n: usize) -> Store {
        let store = Store::open(dir.join("verity.db").to_str().unwrap()).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        let eng = store.write(|c| collections::get_or_create(c, &Slug::parse("eng").unwrap(), "Eng", now)).unwrap().id;
        for i in 0..n {
            let card = NewCard {
                slug: Slug::parse(&format!("card-{i}")).unwrap(),
                collection_id: eng,
                title: format!("Card {i}"),
                body: format!("Body {i}."),
                tags: vec![],
                meta: CardMeta::default(),
                author: "admin".into(),
                message: "created".into(),
                source_path: None,
            };
            store.write(|c| cards::create(c, card, now)).unwrap();
        }
        store
    }

    #[test]
    fn a_copy_holds_every_committed_card_and_passes_inspection() {
        let dir = tempfile::tempdir().unwrap();
        // Kept open while the copy is taken, as a running server keeps it.
        let _live = store_with_cards(dir.path(), 3);
        let copy = dir.path().join("backup.db");
        write_copy(&dir.path().join("verity.db"), &copy).unwrap();
        let contents = inspect(&copy).unwrap();
        assert_eq!((contents.cards, contents.attachments, contents.users), (3, 0, 0));
        assert!(contents.schema_version.starts_with("20"), "{contents:?}");
        // The copy opens as a store of its own with the same cards.
        let restored = Store::open(copy.to_str().unwrap()).unwrap();
        let ids = restored.read(cards::all_ids).unwrap();
        let cards = restored.read(|c| cards::many(c, &ids)).unwrap();
        let mut titles: Vec<String> = cards.into_iter().map(|card| card.title).collect();
        titles.sort();
        assert_eq!(titles, ["Card 0", "Card 1", "Card 2"]);
    }

    #[test]
    fn a_copy_is_never_written_over_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let _live = store_with_cards(dir.path(), 1);
        let copy = dir.path().join("taken.db");
        std::fs::write(&copy, "keep me").unwrap();
        assert!(write_copy(&dir.path().join("verity.db"), &copy).is_err());
        assert_eq!(std::fs::read_to_string(&copy).unwrap(), "keep me");
    }

    #[test]
    fn inspection_says_what_a_file_is_not_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "just some text, long enough to look like a header or not").unwrap();
        let e = inspect(&text).unwrap_err().to_string();
        assert!(e.contains("is not a Verity backup"), "{e}");
        assert_eq!(std::fs::read_to_string(&text).unwrap(), "just some text, long enough to look like a header or not");

        let missing = dir.path().join("missing.db");
        assert!(inspect(&missing).unwrap_err().to_string().contains("is not a Verity backup"));
        assert!(!missing.exists(), "inspecting must not create the file");

        // A SQLite file that is not Verity's.
        let other = dir.path().join("other.db");
        let mut c = SqliteConnection::establish(other.to_str().unwrap()).unwrap();
        diesel::sql_query("CREATE TABLE things (x INTEGER)").execute(&mut c).unwrap();
        drop(c);
        let e = inspect(&other).unwrap_err().to_string();
        assert!(e.contains("no `cards` table"), "{e}");
    }
}
