//! The write path: the only code that changes cards. Each function validates, runs one
//! database transaction (which appends to the change log), then wakes the indexer.
//! Everything here is synchronous; handlers run it inside `web::block`.

use verity_core::{
    MAX_CARD_BYTES, MAX_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS, Role, Slug, normalize_tags,
};
use verity_store::cards::{self, Card, CardEdit, CardMeta, EditOutcome, NewCard, Saved};
use verity_store::users::User;
use verity_store::{StoreError, collections};

use crate::error::ApiError;
use crate::state::AppState;

/// Title, body and tags as a person sent them, checked and normalised.
pub struct Content {
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
}

impl Content {
    pub fn validate(title: &str, body: String, tags: &[String]) -> Result<Content, ApiError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(ApiError::Invalid("a card needs a title".into()));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(ApiError::Invalid(format!(
                "the title is longer than {MAX_TITLE_CHARS} characters"
            )));
        }
        if body.len() > MAX_CARD_BYTES {
            return Err(ApiError::PayloadTooLarge(format!(
                "the body is {} bytes; cards are limited to {MAX_CARD_BYTES}",
                body.len()
            )));
        }
        let tags = normalize_tags(tags);
        if tags.len() > MAX_TAGS {
            return Err(ApiError::Invalid(format!("at most {MAX_TAGS} tags")));
        }
        if let Some(long) = tags.iter().find(|t| t.chars().count() > MAX_TAG_CHARS) {
            return Err(ApiError::Invalid(format!(
                "the tag `{long}` is longer than {MAX_TAG_CHARS} characters"
            )));
        }
        Ok(Content {
            title: title.to_owned(),
            body,
            tags,
        })
    }
}

fn require_writer(user: &User) -> Result<(), ApiError> {
    if user.role.can_write() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("viewers cannot change cards"))
    }
}

/// May `user` vouch for `card`? (Group verifiers come with the verification issue.)
pub fn may_verify(user: &User, card: &Card) -> bool {
    user.role == Role::Admin || card.verifier.as_deref() == Some(user.username.as_str())
}

pub fn create_card(
    state: &AppState,
    user: &User,
    collection: &str,
    content: Content,
    message: &str,
) -> Result<Saved, ApiError> {
    require_writer(user)?;
    let now = state.clock.now();
    let saved = state.store.write(|c| {
        let collection = collections::find(c, collection)?
            .ok_or_else(|| StoreError::NotFound(format!("collection `{collection}`")))?;
        let new = NewCard {
            slug: Slug::from_text(&content.title, "card"),
            collection_id: collection.id,
            title: content.title,
            body: content.body,
            tags: content.tags,
            meta: CardMeta {
                owner: Some(user.username.clone()),
                verifier: collection
                    .default_verifier
                    .clone()
                    .or_else(|| Some(user.username.clone())),
                ..CardMeta::default()
            },
            author: user.username.clone(),
            message: message.to_owned(),
            source_path: None,
        };
        cards::create(c, new, now)
    });
    let saved = saved.map_err(|e| match e {
        StoreError::NotFound(what) => ApiError::Invalid(format!("{what} does not exist")),
        other => other.into(),
    })?;
    state.indexer.wake();
    Ok(saved)
}

/// Saves an edit made from `base_rev`. A stale base is a conflict that carries the
/// current head, so the client can show both versions.
pub fn update_card(
    state: &AppState,
    user: &User,
    slug: &str,
    content: Content,
    base_rev: i32,
    message: &str,
) -> Result<EditOutcome, ApiError> {
    require_writer(user)?;
    let now = state.clock.now();
    let outcome = state.store.write(|c| {
        let card = cards::by_slug(c, slug)?;
        if card.archived_at.is_some() {
            return Err(StoreError::NotFound(format!("card `{slug}`")));
        }
        let edit = CardEdit {
            title: content.title,
            body: content.body,
            tags: content.tags,
            base_rev: Some(base_rev),
            author: user.username.clone(),
            message: message.to_owned(),
            by_verifier: may_verify(user, &card),
            meta: None,
            source_path: None,
        };
        cards::edit(c, card.id, edit, now)
    });
    match outcome {
        Ok(outcome) => {
            state.indexer.wake();
            Ok(outcome)
        }
        Err(StoreError::Conflict { base, head }) => {
            let current = state.store.read(|c| cards::by_slug(c, slug))?;
            Err(ApiError::Conflict {
                message: format!(
                    "the card changed since revision {base}; it is now at revision {head}"
                ),
                rev: current.head_rev,
                body: current.body,
            })
        }
        Err(e) => Err(e.into()),
    }
}

pub fn create_collection(
    state: &AppState,
    user: &User,
    slug: &str,
    name: &str,
    description: &str,
) -> Result<collections::Collection, ApiError> {
    if user.role != Role::Admin {
        return Err(ApiError::Forbidden("only admins create collections"));
    }
    let slug = Slug::parse(slug).map_err(|e| ApiError::Invalid(e.to_string()))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_TITLE_CHARS {
        return Err(ApiError::Invalid(
            "a collection needs a name of at most 300 characters".into(),
        ));
    }
    let now = state.clock.now();
    Ok(state
        .store
        .write(|c| collections::create(c, &slug, name, description.trim(), now))?)
}
