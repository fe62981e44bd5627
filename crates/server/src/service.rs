//! The write path: the only code that changes cards. Each function validates, runs one
//! database transaction (which appends to the change log), then wakes the indexer.
//! Everything here is synchronous; handlers run it inside `blocking::block`.

use verity_core::role::Level;
use verity_core::{Interval, MAX_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS, Role, Slug, normalize_tags};
use verity_store::attachments::{self, AttachmentRef};
use verity_store::cards::{self, Card, CardEdit, CardMeta, EditOutcome, NewCard, Saved};
use verity_store::users::{self, User};
use verity_store::verification::{self, Request};
use verity_store::{DbConnection, StoreError, collections, groups, reminders};

use crate::access::Access;
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
        let has_nul = |s: &str| s.contains('\0');
        if has_nul(title) || has_nul(&body) || tags.iter().any(|t| has_nul(t)) {
            return Err(ApiError::Invalid("text may not contain NUL characters".into()));
        }
        if title.is_empty() {
            return Err(ApiError::Invalid("a card needs a title".into()));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(ApiError::Invalid(format!("the title is longer than {MAX_TITLE_CHARS} characters")));
        }
        let limit = verity_core::max_card_bytes();
        if body.len() > limit {
            return Err(ApiError::PayloadTooLarge(format!(
                "the body is {} bytes; cards are limited to {limit}",
                body.len()
            )));
        }
        let tags = normalize_tags(tags);
        if tags.len() > MAX_TAGS {
            return Err(ApiError::Invalid(format!("at most {MAX_TAGS} tags")));
        }
        if let Some(long) = tags.iter().find(|t| t.chars().count() > MAX_TAG_CHARS) {
            return Err(ApiError::Invalid(format!("the tag `{long}` is longer than {MAX_TAG_CHARS} characters")));
        }
        Ok(Content { title: title.to_owned(), body, tags })
    }
}

/// The names a user verifies as: their own and their groups'.
pub fn verifier_names(conn: &mut DbConnection, user: &User) -> Result<Vec<String>, StoreError> {
    let mut names = groups::of_user(conn, user.id)?;
    names.insert(0, user.username.clone());
    Ok(names)
}

/// The people a verifier name stands for: the user, or the group's members.
pub fn people_of(conn: &mut DbConnection, verifier: &str) -> Result<Vec<String>, StoreError> {
    if users::find(conn, verifier)?.is_some() {
        return Ok(vec![verifier.to_owned()]);
    }
    groups::members(conn, verifier)
}

pub fn create_card(
    state: &AppState,
    user: &User,
    collection: &str,
    content: Content,
    message: &str,
) -> Result<Saved, ApiError> {
    let now = state.clock.now();
    let saved = state.store.write(|c| -> Result<_, ApiError> {
        let access = Access::load(c, user)?;
        // A collection the person may not read does not exist for them.
        let collection = collections::find(c, collection)?
            .filter(|found| access.level(found.id).is_some())
            .ok_or_else(|| ApiError::Invalid(format!("collection `{collection}` does not exist")))?;
        if !access.can(collection.id, Level::Write) {
            return Err(ApiError::Forbidden("you may not add cards to this collection"));
        }
        let new = NewCard {
            slug: new_slug(&access, &content.title),
            collection_id: collection.id,
            title: content.title,
            body: content.body,
            tags: content.tags,
            meta: CardMeta {
                owner: Some(user.username.clone()),
                verifier: collection.default_verifier.clone().or_else(|| Some(user.username.clone())),
                ..CardMeta::default()
            },
            author: user.username.clone(),
            message: message.to_owned(),
            source_path: None,
        };
        let body = new.body.clone();
        let saved = cards::create(c, new, now)?;
        grant_attachments(c, &access, saved.card.id, &body)?;
        Ok(saved)
    })?;
    state.indexer.wake();
    state.sync_card(saved.card.id);
    Ok(saved)
}

/// The slug of a card made in the app: its title's, then `-2`, `-3`… when taken. For
/// someone who may not see every collection that would tell them a hidden card holds the
/// name (`merger-plans-2`), so their cards always get a random suffix instead
/// (`merger-plans-k3x9q2`), whatever exists.
fn new_slug(access: &Access, title: &str) -> Slug {
    let natural = Slug::from_text(title, "card");
    if access.sees_everything() {
        return natural;
    }
    let suffix = crate::auth::random_string(6).to_lowercase();
    Slug::parse(&format!("{natural}-{suffix}")).unwrap_or(natural)
}

/// What a save did.
pub struct Update {
    pub outcome: EditOutcome,
    /// Someone else saved since `base_rev` and the edits did not overlap: both were kept.
    pub merged: bool,
}

/// Saves an edit made from `base_rev`. When someone else saved in between, the edit is
/// merged three ways (base, theirs, mine); if the edits overlap, nothing is saved and the
/// conflict carries the current head, so the client can show both versions.
///
/// With `and_verify` ("save and verify"), an author who may verify also restarts the
/// card's verification clock in the same transaction.
pub fn update_card(
    state: &AppState,
    user: &User,
    slug: &str,
    content: Content,
    base_rev: i32,
    message: &str,
    and_verify: bool,
) -> Result<Update, ApiError> {
    let now = state.clock.now();
    let update = state.store.write(|c| -> Result<Update, ApiError> {
        let access = Access::load(c, user)?;
        let card = access.card(c, slug, Level::Write)?;
        cards::lock(c, card.id)?;
        let card = cards::by_id(c, card.id)?;
        let by_verifier = access.may_verify(c, &card)?;
        if and_verify && !by_verifier {
            return Err(ApiError::Forbidden("only the card's verifier may verify it"));
        }
        let (content, merged) =
            if base_rev == card.head_rev { (content, false) } else { (merge(c, &card, base_rev, content)?, true) };
        let edit = CardEdit {
            title: content.title,
            body: content.body,
            tags: content.tags,
            base_rev: Some(card.head_rev),
            author: user.username.clone(),
            message: if merged {
                format!("{message} (merged with revision {})", card.head_rev)
            } else {
                message.to_owned()
            },
            by_verifier,
            meta: None,
            source_path: None,
            collection_id: None,
        };
        if card.sync_conflict {
            // A person saves the card after a conflict with its file: resolved.
            cards::set_sync_conflict(c, card.id, false)?;
        }
        let body = edit.body.clone();
        let outcome = cards::edit(c, card.id, edit, now)?;
        grant_attachments(c, &access, card.id, &body)?;
        if !and_verify {
            return Ok(Update { outcome, merged });
        }
        let saved = verification::verify(c, card.id, &user.username, "saved and verified", now)?;
        Ok(Update { outcome: EditOutcome::Saved(saved), merged })
    })?;
    state.indexer.wake();
    if let EditOutcome::Saved(saved) = &update.outcome {
        state.sync_card(saved.card.id);
    }
    Ok(update)
}

/// Three-way merge of an edit made from `base_rev` with the card's head. Title and tags
/// take whichever side changed them; both changing them differently is a conflict, as
/// is the same lines changed in the body.
fn merge(c: &mut DbConnection, head: &Card, base_rev: i32, mine: Content) -> Result<Content, ApiError> {
    let conflict = || ApiError::Conflict {
        message: format!(
            "the card changed since revision {base_rev} in the same places; it is now at revision {}",
            head.head_rev
        ),
        rev: head.head_rev,
        body: head.body.clone(),
    };
    if base_rev > head.head_rev || base_rev < 1 {
        return Err(conflict());
    }
    let base = cards::revision(c, head.id, base_rev)?;
    let pick = |mine: &str, theirs: &str, base: &str| -> Option<String> {
        if mine == base || mine == theirs {
            Some(theirs.to_owned())
        } else if theirs == base {
            Some(mine.to_owned())
        } else {
            None
        }
    };
    let title = pick(&mine.title, &head.title, &base.title).ok_or_else(conflict)?;
    let tags = if mine.tags == base.tags || mine.tags == head.tags {
        head.tags.clone()
    } else if head.tags == base.tags {
        mine.tags
    } else {
        return Err(conflict());
    };
    let body = verity_core::merge::merge(&base.body, &mine.body, &head.body).map_err(|_| conflict())?;
    Ok(Content { title, body, tags })
}

/// Lets a card show the attachments its new body refers to, to everyone who may read the
/// card — but only those the person saving could read themselves. Writing another
/// attachment's URL into a card publishes nothing.
fn grant_attachments(c: &mut DbConnection, access: &Access, card_id: i64, body: &str) -> Result<(), StoreError> {
    for reference in attachments::references(body) {
        let Some(found) = attachments::find(c, reference)? else { continue };
        if !attachments::is_granted(c, found.id, card_id)? && may_read_attachment(c, access, &found)? {
            attachments::grant(c, found.id, card_id)?;
        }
    }
    Ok(())
}

/// Whoever uploaded an attachment may read it, as may admins and the readers of a card
/// that shows it through a grant.
pub fn may_read_attachment(c: &mut DbConnection, access: &Access, file: &AttachmentRef) -> Result<bool, StoreError> {
    Ok(access.user.role == Role::Admin
        || file.uploaded_by == access.user.username
        || attachments::is_shown(c, file, &access.hidden_ids())?)
}

/// Makes an old revision's content the newest revision (nothing is ever rewritten).
pub fn restore_card(state: &AppState, user: &User, slug: &str, rev: i32) -> Result<Update, ApiError> {
    let (old, head) = state.store.read(|c| -> Result<_, ApiError> {
        let card = Access::load(c, user)?.card(c, slug, Level::Write)?;
        Ok((cards::revision(c, card.id, rev)?, card.head_rev))
    })?;
    let content = Content::validate(&old.title, old.body, &old.tags)?;
    update_card(state, user, slug, content, head, &format!("restored revision {rev}"), false)
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
        return Err(ApiError::Invalid("a collection needs a name of at most 300 characters".into()));
    }
    let now = state.clock.now();
    Ok(state.store.write(|c| collections::create(c, &slug, name, description.trim(), now))?)
}

pub fn verify_card(state: &AppState, user: &User, slug: &str, note: &str) -> Result<Saved, ApiError> {
    let now = state.clock.now();
    let saved = state.store.write(|c| -> Result<_, ApiError> {
        let access = Access::load(c, user)?;
        let card = access.card(c, slug, Level::Read)?;
        if !access.may_verify(c, &card)? {
            return Err(ApiError::Forbidden(
                "only the card's verifier (or a member of its verifier group) or an admin may verify it",
            ));
        }
        Ok(verification::verify(c, card.id, &user.username, note.trim(), now)?)
    })?;
    state.indexer.wake();
    state.sync_card(saved.card.id);
    Ok(saved)
}

/// Changes a card's verifier and interval. Its verifier, its owner or an admin may.
pub fn assign_verifier(
    state: &AppState,
    user: &User,
    slug: &str,
    verifier: &str,
    verify_every: Option<&str>,
) -> Result<Saved, ApiError> {
    let interval =
        verify_every.map(|v| v.parse::<Interval>()).transpose().map_err(|e| ApiError::Invalid(e.to_string()))?;
    let verifier = verifier.trim();
    let now = state.clock.now();
    let saved = state.store.write(|c| -> Result<_, ApiError> {
        let access = Access::load(c, user)?;
        let card = access.card(c, slug, Level::Read)?;
        let allowed = access.may_verify(c, &card)? || card.owner.as_deref() == Some(user.username.as_str());
        if !allowed {
            return Err(ApiError::Forbidden("only the card's verifier, its owner or an admin may reassign it"));
        }
        if users::find(c, verifier)?.is_none() && !groups::exists(c, verifier)? {
            return Err(ApiError::Invalid(format!("`{verifier}` is neither a user nor a group")));
        }
        Ok(verification::assign(c, card.id, Some(verifier), interval.unwrap_or(card.interval), now)?)
    })?;
    state.indexer.wake();
    state.sync_card(saved.card.id);
    Ok(saved)
}

/// Whether the person named may read cards in a collection now (an unknown or disabled
/// account may not).
fn may_read(c: &mut DbConnection, username: &str, collection_id: i64) -> Result<bool, StoreError> {
    match users::find(c, username)? {
        Some(person) if !person.disabled => Ok(Access::load(c, &person)?.level(collection_id).is_some()),
        _ => Ok(false),
    }
}

/// Anyone who can read a card may ask its verifier to look; the verifier is notified.
pub fn request_verification(state: &AppState, user: &User, slug: &str, comment: &str) -> Result<Request, ApiError> {
    let comment = comment.trim();
    if comment.is_empty() || comment.chars().count() > 5000 || comment.contains('\0') {
        return Err(ApiError::Invalid("say what looks wrong (at most 5000 characters)".into()));
    }
    let now = state.clock.now();
    state.store.write(|c| -> Result<_, ApiError> {
        let card = Access::load(c, user)?.card(c, slug, Level::Read)?;
        let request = verification::request(c, card.id, &user.username, comment, now)?;
        let people = match card.verifier.as_deref() {
            Some(v) => people_of(c, v)?,
            None => Vec::new(),
        };
        let title = format!("Verification requested: {}", card.title);
        let body = format!("{} asks you to check /cards/{}: {comment}", user.username, card.slug);
        for person in people.iter().filter(|p| **p != user.username) {
            // A verifier group may hold people who may not read this card: they hear nothing.
            if may_read(c, person, card.collection_id)? {
                reminders::notify(c, person, "verification_request", &title, &body, now)?;
            }
        }
        Ok(request)
    })
}

/// A verifier closes a request with an answer instead of verifying.
pub fn answer_request(state: &AppState, user: &User, slug: &str, id: i64, answer: &str) -> Result<Request, ApiError> {
    let answer = answer.trim();
    if answer.is_empty() {
        return Err(ApiError::Invalid("an answer needs some text".into()));
    }
    let now = state.clock.now();
    state.store.write(|c| -> Result<_, ApiError> {
        let access = Access::load(c, user)?;
        let card = access.card(c, slug, Level::Read)?;
        if !access.may_verify(c, &card)? {
            return Err(ApiError::Forbidden("only the card's verifier may answer its requests"));
        }
        let request = verification::get_request(c, id)?;
        if request.card_id != card.id {
            return Err(ApiError::NotFound(format!("verification request {id} not found")));
        }
        let answered = verification::answer(c, id, &user.username, answer, now)?;
        // The asker may have lost access to the card since: then the answer stays on the card.
        if may_read(c, &request.requested_by, card.collection_id)? {
            reminders::notify(
                c,
                &request.requested_by,
                "request_answered",
                &format!("Answered: {}", card.title),
                answer,
                now,
            )?;
        }
        Ok(answered)
    })
}

pub fn create_group(state: &AppState, user: &User, name: &str) -> Result<(), ApiError> {
    if user.role != Role::Admin {
        return Err(ApiError::Forbidden("only admins manage groups"));
    }
    let name = Slug::parse(name.trim())
        .map_err(|_| ApiError::Invalid("group names use lowercase letters, digits and dashes".into()))?;
    let now = state.clock.now();
    state.store.write(|c| -> Result<_, ApiError> {
        if users::find(c, name.as_str())?.is_some() {
            return Err(ApiError::Invalid(format!("a user is already named `{name}`")));
        }
        Ok(groups::create(c, name.as_str(), now)?)
    })
}

/// Adds a member; `Ok(false)` when they already were one.
pub fn add_group_member(state: &AppState, user: &User, group: &str, username: &str) -> Result<bool, ApiError> {
    if user.role != Role::Admin {
        return Err(ApiError::Forbidden("only admins manage groups"));
    }
    state.store.write(|c| -> Result<_, ApiError> {
        let member = users::find(c, username)?.ok_or_else(|| ApiError::Invalid(format!("no user `{username}`")))?;
        Ok(groups::add_member(c, group, member.id)?)
    })
}

/// Markdown to HTML with `[[wiki links]]` resolved against the cards that exist now
/// (for the reader: cards in `hidden` collections stay unresolved).
pub fn render_with_links(
    conn: &mut DbConnection,
    markdown: &str,
    hidden: &[i64],
) -> Result<verity_core::SafeHtml, StoreError> {
    let targets = verity_core::markdown::wikilinks(markdown);
    let resolved: std::collections::HashMap<String, String> = if targets.is_empty() {
        Default::default()
    } else {
        cards::resolve_links(conn, &targets, hidden)?.into_iter().collect()
    };
    Ok(verity_core::markdown::render_linked(markdown, &|t| resolved.get(t).cloned()))
}

/// Archives a card: it leaves search and lists, keeps its history, and its file (if it
/// has one) moves out of the synced folder.
pub fn archive_card(state: &AppState, user: &User, slug: &str) -> Result<Saved, ApiError> {
    let now = state.clock.now();
    let saved = state.store.write(|c| -> Result<_, ApiError> {
        let card = Access::load(c, user)?.card(c, slug, Level::Write)?;
        Ok(cards::archive(c, card.id, now)?)
    })?;
    state.indexer.wake();
    if let Some(sync) = &state.sync {
        sync.archive(saved.card.id);
    }
    Ok(saved)
}

/// Brings an archived card back (and its file, if it had one).
pub fn unarchive_card(state: &AppState, user: &User, slug: &str) -> Result<Saved, ApiError> {
    let now = state.clock.now();
    let saved = state.store.write(|c| -> Result<_, ApiError> {
        let card = Access::load(c, user)?.any_card(c, slug, Level::Write)?;
        if card.archived_at.is_none() {
            return Err(ApiError::Invalid(format!("card `{slug}` is not archived")));
        }
        Ok(cards::unarchive(c, card.id, now)?)
    })?;
    state.indexer.wake();
    state.sync_card(saved.card.id);
    Ok(saved)
}
