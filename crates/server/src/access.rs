//! Who may see and do what. The one place that turns a person's role and the collections'
//! access rules into rights; every handler that returns cards or their traces asks it.
//!
//! - Admins may do everything, everywhere.
//! - A collection without rules is open: viewers read it, editors write in it.
//! - A restricted collection exists only for the users and groups its rules list, at the
//!   highest level any of their rules grants; a viewer's level is capped at read.
//! - Verifying a card takes being its verifier (or in its verifier group), or the
//!   `verify` level in its collection.

use std::collections::HashMap;

use verity_core::Role;
use verity_core::role::Level;
use verity_store::cards::{self, Card};
use verity_store::users::User;
use verity_store::{DbConnection, StoreError, access};

use crate::error::ApiError;

/// One person's rights, read from the database for the request at hand.
#[derive(Debug, Clone)]
pub struct Access {
    pub user: User,
    /// Restricted collections: id → (slug, the level this person's rules grant there).
    restricted: HashMap<i64, (String, Option<Level>)>,
}

impl Access {
    pub fn load(conn: &mut DbConnection, user: &User) -> Result<Access, StoreError> {
        let grants = access::all_grants(conn)?;
        let groups =
            if grants.iter().any(|g| g.group_id.is_some()) { access::group_ids_of(conn, user.id)? } else { Vec::new() };
        let mut restricted: HashMap<i64, (String, Option<Level>)> = HashMap::new();
        for g in grants {
            let entry = restricted.entry(g.collection_id).or_insert_with(|| (g.collection_slug.clone(), None));
            let applies = g.user_id == Some(user.id) || g.group_id.is_some_and(|id| groups.contains(&id));
            if applies {
                entry.1 = entry.1.max(Some(g.level));
            }
        }
        Ok(Access { user: user.clone(), restricted })
    }

    /// This person's level in a collection; `None` when it does not exist for them.
    pub fn level(&self, collection_id: i64) -> Option<Level> {
        let role = self.user.role;
        if role == Role::Admin {
            return Some(Level::Manage);
        }
        let granted = match self.restricted.get(&collection_id) {
            None => Level::Write,
            Some((_, granted)) => (*granted)?,
        };
        Some(if role == Role::Viewer { granted.min(Level::Read) } else { granted })
    }

    /// Whether the collection has access rules (is not open to everyone).
    pub fn is_restricted(&self, collection_id: i64) -> bool {
        self.restricted.contains_key(&collection_id)
    }

    pub fn can(&self, collection_id: i64, need: Level) -> bool {
        self.level(collection_id).is_some_and(|level| level >= need)
    }

    /// Collections this person may not read, by id (for database queries).
    pub fn hidden_ids(&self) -> Vec<i64> {
        self.restricted.keys().copied().filter(|id| self.level(*id).is_none()).collect()
    }

    /// Collections this person may not read, by slug (for the search index).
    pub fn hidden_slugs(&self) -> Vec<String> {
        self.restricted.iter().filter(|(id, _)| self.level(**id).is_none()).map(|(_, (slug, _))| slug.clone()).collect()
    }

    /// Whether this person sees every card (then totals need no filtering).
    pub fn sees_everything(&self) -> bool {
        self.restricted.keys().all(|id| self.level(*id).is_some())
    }

    /// May this person vouch for `card`?
    pub fn may_verify(&self, conn: &mut DbConnection, card: &Card) -> Result<bool, StoreError> {
        if self.can(card.collection_id, Level::Verify) {
            return Ok(true);
        }
        if self.level(card.collection_id).is_none() {
            return Ok(false);
        }
        let Some(verifier) = card.verifier.as_deref() else { return Ok(false) };
        Ok(verifier == self.user.username
            || crate::service::verifier_names(conn, &self.user)?.iter().any(|n| n == verifier))
    }

    /// The live card `slug` if this person may do `need` with it. A card they may not read
    /// is "not found", exactly like one that does not exist; one they may read but not
    /// change is "forbidden".
    pub fn card(&self, conn: &mut DbConnection, slug: &str, need: Level) -> Result<Card, ApiError> {
        let card = self.any_card(conn, slug, need)?;
        if card.archived_at.is_some() {
            return Err(not_found(slug));
        }
        Ok(card)
    }

    /// Like [`Access::card`], archived cards included.
    pub fn any_card(&self, conn: &mut DbConnection, slug: &str, need: Level) -> Result<Card, ApiError> {
        let card = match cards::by_slug(conn, slug) {
            Ok(card) => card,
            Err(StoreError::NotFound(_)) => return Err(not_found(slug)),
            Err(e) => return Err(e.into()),
        };
        match self.level(card.collection_id) {
            None => Err(not_found(slug)),
            Some(level) if level < need => Err(ApiError::Forbidden(match need {
                Level::Read => "you may not read this card",
                Level::Write => "you may read this card but not change it",
                Level::Verify => "you may not verify cards in this collection",
                Level::Manage => "you may not manage this collection",
            })),
            Some(_) => Ok(card),
        }
    }
}

fn not_found(slug: &str) -> ApiError {
    ApiError::NotFound(format!("card `{slug}` not found"))
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn person(role: Role) -> User {
        User {
            id: 7,
            username: "sam".into(),
            display_name: "Sam".into(),
            email: None,
            role,
            disabled: false,
            token_version: 0,
            created_at: Utc::now(),
        }
    }

    fn access(role: Role, rules: &[(i64, Option<Level>)]) -> Access {
        let restricted = rules.iter().map(|(id, level)| (*id, (format!("c{id}"), *level))).collect();
        Access { user: person(role), restricted }
    }

    #[test]
    fn open_collections_follow_the_role() {
        assert_eq!(access(Role::Viewer, &[]).level(1), Some(Level::Read));
        assert_eq!(access(Role::Editor, &[]).level(1), Some(Level::Write));
        assert_eq!(access(Role::Admin, &[]).level(1), Some(Level::Manage));
    }

    #[test]
    fn restricted_collections_exist_only_for_those_listed_and_viewers_only_read() {
        let rules = [(1, None), (2, Some(Level::Verify)), (3, Some(Level::Manage))];
        let editor = access(Role::Editor, &rules);
        assert_eq!(editor.level(1), None);
        assert_eq!(editor.level(2), Some(Level::Verify));
        assert_eq!(editor.level(4), Some(Level::Write), "collection 4 is open");
        assert_eq!(editor.hidden_ids(), vec![1]);
        assert_eq!(editor.hidden_slugs(), vec!["c1".to_string()]);
        assert!(!editor.sees_everything());
        let viewer = access(Role::Viewer, &rules);
        assert_eq!(viewer.level(3), Some(Level::Read), "a viewer's level is capped at read");
        assert!(!viewer.can(3, Level::Write));
        let admin = access(Role::Admin, &rules);
        assert_eq!(admin.level(1), Some(Level::Manage));
        assert!(admin.sees_everything());
    }
}
