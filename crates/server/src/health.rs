//! Knowledge health: counts and shares by status, per collection and per verifier, the
//! oldest overdue cards, and the verified share over time (daily snapshots).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use verity_core::Status;
use verity_core::verification::status_at;
use verity_store::health::{self, CardHealth};
use verity_store::{Store, StoreError};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub total: u64,
    pub verified: u64,
    pub due_soon: u64,
    pub stale: u64,
    pub unverified: u64,
}

impl Tally {
    fn add(&mut self, status: Status) {
        self.total += 1;
        *match status {
            Status::Verified => &mut self.verified,
            Status::DueSoon => &mut self.due_soon,
            Status::Stale => &mut self.stale,
            Status::Unverified => &mut self.unverified,
        } += 1;
    }

    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::Verified => self.verified,
            Status::DueSoon => self.due_soon,
            Status::Stale => self.stale,
            Status::Unverified => self.unverified,
        }
    }

    /// Verified or due soon (still vouched for), as a share of all cards.
    pub fn trusted_share(&self) -> f64 {
        if self.total == 0 { 0.0 } else { (self.verified + self.due_soon) as f64 / self.total as f64 }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub tally: Tally,
    pub verified_share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overdue {
    pub slug: String,
    pub title: String,
    pub collection: String,
    pub verifier: Option<String>,
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Day {
    pub day: String,
    pub total: i32,
    pub verified_share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Health {
    #[serde(flatten)]
    pub overall: Tally,
    pub verified_share: f64,
    pub collections: Vec<Group>,
    pub verifiers: Vec<Group>,
    pub oldest_overdue: Vec<Overdue>,
    pub history: Vec<Day>,
}

const OLDEST: usize = 10;
const HISTORY_DAYS: i64 = 90;

/// Health as `user` may see it: only the collections they may read. The daily history
/// counts every card, so it is shown only to those who see every card.
pub async fn for_user(
    state: &actix_web::web::Data<crate::state::AppState>,
    user: &verity_store::users::User,
) -> Result<Health, crate::error::ApiError> {
    let (st, user) = (state.clone(), user.clone());
    let now = state.clock.now();
    crate::blocking::block(move || -> Result<Health, crate::error::ApiError> {
        let access = st.store.read(|c| crate::access::Access::load(c, &user))?;
        let hidden = access.hidden_slugs();
        let mut health = compute(&st.store, now, &hidden)?;
        if !access.sees_everything() {
            health.history.clear();
        }
        Ok(health)
    })
    .await?
}

/// Health over the live cards outside the `hidden` collections (by slug).
pub fn compute(store: &Store, now: DateTime<Utc>, hidden: &[String]) -> Result<Health, StoreError> {
    let mut cards = store.read(health::live_cards)?;
    cards.retain(|c| !hidden.contains(&c.collection));
    let history = store.read(|c| health::snapshots(c, HISTORY_DAYS))?;
    let mut overall = Tally::default();
    let mut by_collection: BTreeMap<String, (String, Tally)> = BTreeMap::new();
    let mut by_verifier: BTreeMap<String, Tally> = BTreeMap::new();
    let mut overdue: Vec<&CardHealth> = Vec::new();
    for card in &cards {
        let status = status_at(card.due, now);
        overall.add(status);
        by_collection
            .entry(card.collection.clone())
            .or_insert_with(|| (card.collection_name.clone(), Tally::default()))
            .1
            .add(status);
        by_verifier.entry(card.verifier.clone().unwrap_or_else(|| "(nobody)".into())).or_default().add(status);
        if status == Status::Stale {
            overdue.push(card);
        }
    }
    overdue.sort_by_key(|c| c.due.map(|d| d.due_at));
    let group =
        |key: String, name: String, tally: Tally| Group { key, name, verified_share: tally.trusted_share(), tally };
    Ok(Health {
        verified_share: overall.trusted_share(),
        overall,
        collections: by_collection.into_iter().map(|(k, (name, t))| group(k, name, t)).collect(),
        verifiers: by_verifier.into_iter().map(|(k, t)| group(k.clone(), k, t)).collect(),
        oldest_overdue: overdue
            .into_iter()
            .take(OLDEST)
            .filter_map(|c| {
                c.due.map(|d| Overdue {
                    slug: c.slug.clone(),
                    title: c.title.clone(),
                    collection: c.collection.clone(),
                    verifier: c.verifier.clone(),
                    due_at: d.due_at,
                })
            })
            .collect(),
        history: history
            .into_iter()
            .map(|(day, c)| Day {
                day,
                total: c.total,
                verified_share: if c.total == 0 {
                    0.0
                } else {
                    f64::from(c.verified + c.due_soon) / f64::from(c.total)
                },
            })
            .collect(),
    })
}

/// Stores today's counts (one snapshot a day; later ones the same day replace it).
pub fn record_snapshot(store: &Store, now: DateTime<Utc>) -> Result<(), StoreError> {
    let counts = store.read(|c| health::status_counts(c, now))?;
    let day = now.format("%Y-%m-%d").to_string();
    store.write(|c| health::record_snapshot(c, &day, counts))
}
