//! Uploaded files, kept in the database (base64 text) so every server process serves them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::schema::attachments;
use crate::{DbConnection, Result, StoreError, to_db};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: i64,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub uploaded_by: String,
}

/// Stores bytes (or finds the same bytes the same person stored before) and returns the id.
pub fn store(
    conn: &mut DbConnection,
    sha256: &str,
    content_type: &str,
    bytes: &[u8],
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let existing: Option<i64> = attachments::table
        .filter(attachments::sha256.eq(sha256).and(attachments::content_type.eq(content_type)))
        // Per uploader: who uploaded a file decides who may fetch it before a card shows it.
        .filter(attachments::uploaded_by.eq(by))
        .select(attachments::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    Ok(diesel::insert_into(attachments::table)
        .values((
            attachments::sha256.eq(sha256),
            attachments::content_type.eq(content_type),
            attachments::size.eq(i32::try_from(bytes.len()).unwrap_or(i32::MAX)),
            attachments::data.eq(STANDARD.encode(bytes)),
            attachments::uploaded_by.eq(by),
            attachments::created_at.eq(to_db(now)),
        ))
        .returning(attachments::id)
        .get_result(conn)?)
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<Attachment> {
    let (content_type, data, uploaded_by): (String, String, String) = attachments::table
        .find(id)
        .select((attachments::content_type, attachments::data, attachments::uploaded_by))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("attachment {id}")))?;
    let bytes = STANDARD.decode(data).map_err(|e| StoreError::Corrupt(format!("attachment {id}: {e}")))?;
    Ok(Attachment { id, content_type, bytes, uploaded_by })
}
