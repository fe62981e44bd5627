//! Uploaded files, kept in the database (base64 text) so every server process serves them.
//!
//! An attachment is named in URLs by a random key (`/attachments/KEY`), never by its
//! sequential id alone, and a card shows it to its readers only through a *grant*: the
//! record that someone who could read the attachment saved it into that card. Writing an
//! attachment's path into a card is not enough to publish it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::schema::{attachment_grants, attachments, card_links, cards};
use crate::{DbConnection, Result, StoreError, to_db};

/// Where attachments are served; a card body refers to one as `/attachments/KEY`.
pub const URL_PREFIX: &str = "/attachments/";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: i64,
    pub key: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub uploaded_by: String,
}

/// An attachment without its bytes: enough to decide who may fetch it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRef {
    pub id: i64,
    pub key: String,
    pub uploaded_by: String,
}

impl AttachmentRef {
    /// The URL a card uses to show it.
    pub fn url(&self) -> String {
        format!("{URL_PREFIX}{}", self.key)
    }

    /// Every form a card body may name it by: the key, and the bare id that older
    /// versions put in their URLs.
    fn link_targets(&self) -> [String; 2] {
        [format!("{URL_PREFIX}{}", self.key), format!("{URL_PREFIX}{}", self.id)]
    }
}

/// Stores bytes (or finds the same bytes the same person stored before).
pub fn store(
    conn: &mut DbConnection,
    sha256: &str,
    content_type: &str,
    bytes: &[u8],
    by: &str,
    now: DateTime<Utc>,
    new_key: &str,
) -> Result<AttachmentRef> {
    let existing: Option<(i64, String)> = attachments::table
        .filter(attachments::sha256.eq(sha256).and(attachments::content_type.eq(content_type)))
        // Per uploader: who uploaded a file decides who may fetch it before a card shows it.
        .filter(attachments::uploaded_by.eq(by))
        .select((attachments::id, attachments::url_key))
        .first(conn)
        .optional()?;
    if let Some((id, key)) = existing {
        return Ok(AttachmentRef { id, key, uploaded_by: by.to_owned() });
    }
    let id = diesel::insert_into(attachments::table)
        .values((
            attachments::sha256.eq(sha256),
            attachments::content_type.eq(content_type),
            attachments::size.eq(i32::try_from(bytes.len()).unwrap_or(i32::MAX)),
            attachments::data.eq(STANDARD.encode(bytes)),
            attachments::uploaded_by.eq(by),
            attachments::created_at.eq(to_db(now)),
            attachments::url_key.eq(new_key),
        ))
        .returning(attachments::id)
        .get_result(conn)?;
    Ok(AttachmentRef { id, key: new_key.to_owned(), uploaded_by: by.to_owned() })
}

/// The attachment a URL names: `reference` is its key, or (for links older versions
/// wrote) its id.
pub fn find(conn: &mut DbConnection, reference: &str) -> Result<Option<AttachmentRef>> {
    let query = attachments::table.select((attachments::id, attachments::url_key, attachments::uploaded_by));
    let row: Option<(i64, String, String)> = if reference.bytes().all(|b| b.is_ascii_digit()) {
        match reference.parse::<i64>() {
            Ok(id) => query.filter(attachments::id.eq(id)).first(conn).optional()?,
            Err(_) => None,
        }
    } else {
        query.filter(attachments::url_key.eq(reference)).first(conn).optional()?
    };
    Ok(row.map(|(id, key, uploaded_by)| AttachmentRef { id, key, uploaded_by }))
}

pub fn get(conn: &mut DbConnection, id: i64) -> Result<Attachment> {
    let (key, content_type, data, uploaded_by): (String, String, String, String) = attachments::table
        .find(id)
        .select((attachments::url_key, attachments::content_type, attachments::data, attachments::uploaded_by))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("attachment {id}")))?;
    let bytes = STANDARD.decode(data).map_err(|e| StoreError::Corrupt(format!("attachment {id}: {e}")))?;
    Ok(Attachment { id, key, content_type, bytes, uploaded_by })
}

/// At most this many attachments of one card are recorded (and so may be shown).
pub const MAX_REFERENCES: usize = 500;

/// The references (keys or ids) to attachments in a card body, without duplicates, at
/// most [`MAX_REFERENCES`].
pub fn references(body: &str) -> Vec<&str> {
    let mut out: Vec<&str> = body
        .match_indices(URL_PREFIX)
        .filter_map(|(at, m)| {
            let rest = &body[at + m.len()..];
            let end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
            (end > 0).then(|| &rest[..end])
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out.truncate(MAX_REFERENCES);
    out
}

/// Records that `card` may show `attachment` to its readers.
pub fn grant(conn: &mut DbConnection, attachment_id: i64, card_id: i64) -> Result<()> {
    let exists: i64 = attachment_grants::table
        .filter(attachment_grants::attachment_id.eq(attachment_id).and(attachment_grants::card_id.eq(card_id)))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(attachment_grants::table)
            .values((attachment_grants::attachment_id.eq(attachment_id), attachment_grants::card_id.eq(card_id)))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether `card` already holds a grant for `attachment`.
pub fn is_granted(conn: &mut DbConnection, attachment_id: i64, card_id: i64) -> Result<bool> {
    let n: i64 = attachment_grants::table
        .filter(attachment_grants::attachment_id.eq(attachment_id).and(attachment_grants::card_id.eq(card_id)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Does a live card outside `hidden` collections show the attachment, through a grant?
/// (The card must still refer to it and must have been given it by someone who could
/// read it.)
pub fn is_shown(conn: &mut DbConnection, attachment: &AttachmentRef, hidden: &[i64]) -> Result<bool> {
    let n: i64 = card_links::table
        .inner_join(cards::table)
        .filter(card_links::target.eq_any(attachment.link_targets()).and(cards::archived_at.is_null()))
        .filter(cards::collection_id.ne_all(hidden))
        .filter(diesel::dsl::exists(attachment_grants::table.filter(
            attachment_grants::attachment_id.eq(attachment.id).and(attachment_grants::card_id.eq(card_links::card_id)),
        )))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_keys_or_ids_after_the_prefix() {
        let body = "![a](/attachments/3f9a0c) text /attachments/12) and /attachments/ and \
                    [b](/attachments/3f9a0c \"t\") /attachments/x_y";
        assert_eq!(references(body), vec!["12", "3f9a0c", "x"]);
        assert!(references("no links").is_empty());
        assert_eq!(references("/attachments/é"), Vec::<&str>::new());
    }
}
