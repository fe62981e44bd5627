#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("revision conflict: the edit is based on revision {base}, but the card is at {head}")]
    Conflict { base: i32, head: i32 },
    #[error("{0} already exists")]
    AlreadyExists(String),
    #[error("unsupported database URL `{0}`: use a file path, sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// Two writers raced for the same unique value.
    #[error("already taken: {0}")]
    Duplicate(String),
    /// The database refused a value (PostgreSQL: a NUL character in text).
    #[error("the database refused a value: {0}")]
    BadValue(String),
    #[error(transparent)]
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match &e {
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::Duplicate(info.message().to_owned())
            }
            Error::DatabaseError(_, info) if info.message().contains("invalid byte sequence") => {
                StoreError::BadValue(info.message().to_owned())
            }
            _ => StoreError::Db(e),
        }
    }
}

impl From<diesel::ConnectionError> for StoreError {
    fn from(e: diesel::ConnectionError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}
