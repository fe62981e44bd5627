//! Helpers for tests that need a database of their own (used by this crate's tests and
//! by the workspace's integration tests).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// The environment variable naming a PostgreSQL server for tests.
pub const TEST_DATABASE_URL: &str = "VERITY_TEST_DATABASE_URL";

/// A fresh, empty schema on the test PostgreSQL server, as a URL that uses it, or `None`
/// when `VERITY_TEST_DATABASE_URL` is not set. Each call gets its own schema, so tests
/// never see each other's rows.
pub fn fresh_postgres_url() -> Option<String> {
    let base = std::env::var(TEST_DATABASE_URL).ok().filter(|u| !u.is_empty())?;
    let schema = format!("verity_test_{}_{}", std::process::id(), unique());
    let mut conn = diesel::PgConnection::establish(&base)
        .unwrap_or_else(|e| panic!("{TEST_DATABASE_URL} is set but unusable: {e}"));
    conn.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("create test schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options=-csearch_path%3D{schema}"))
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    (u64::from(nanos) << 16) | NEXT.fetch_add(1, Ordering::Relaxed)
}
