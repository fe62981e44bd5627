//! The scheduled side of verification: a digest per verifier of what became due (in-app
//! and, when configured, to an outgoing webhook, retried with backoff), and a daily
//! knowledge-health snapshot. Every step is idempotent, so it can run at any time, as
//! often as it likes, across restarts.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use verity_store::cards::{self, Card};
use verity_store::{Store, StoreError, reminders, users};

use crate::access::Access;

use crate::health;
use crate::service::people_of;
use crate::state::AppState;

/// How long searches are kept for analytics.
pub const SEARCH_LOG_DAYS: i64 = 90;

/// Attempts before a webhook delivery is given up.
pub const MAX_ATTEMPTS: i32 = 8;

/// A digest lists this many cards, soonest due first, and then how many more there are.
pub const DIGEST_CARDS: usize = 50;

/// Builds and records the digests for everything that became due; returns how many
/// people got one. Each (card, due date, person) is reminded once.
pub fn send_digests(store: &Store, now: DateTime<Utc>, webhook: bool) -> Result<usize, StoreError> {
    let due = store.read(|c| reminders::due_cards(c, now))?;
    if due.is_empty() {
        return Ok(0);
    }
    // Who hears about which card: verifier names resolve to people, and only those who
    // may read the card (a verifier left out of a restricted collection hears nothing).
    // Names and rights are looked up once per round: a few people verify many cards.
    let mut people: HashMap<&str, Vec<String>> = HashMap::new();
    let mut rights: HashMap<String, Option<Access>> = HashMap::new();
    let mut per_person: BTreeMap<String, Vec<(i64, DateTime<Utc>)>> = BTreeMap::new();
    for card in &due {
        if !people.contains_key(card.verifier.as_str()) {
            people.insert(&card.verifier, store.read(|c| people_of(c, &card.verifier))?);
        }
        for person in &people[card.verifier.as_str()] {
            if !rights.contains_key(person) {
                let access = store.read(|c| match users::find(c, person)? {
                    Some(user) if !user.disabled => Access::load(c, &user).map(Some),
                    _ => Ok(None),
                })?;
                rights.insert(person.clone(), access);
            }
            if rights[person].as_ref().is_some_and(|a| a.level(card.collection_id).is_some()) {
                per_person.entry(person.clone()).or_default().push((card.id, card.due_at));
            }
        }
    }
    let mut sent = 0;
    for (person, items) in per_person {
        let written = store.write(|c| -> Result<bool, StoreError> {
            let ids: Vec<i64> = items.iter().map(|(id, _)| *id).collect();
            let told = reminders::sent_to(c, &person, &ids)?;
            let mut fresh: Vec<(i64, DateTime<Utc>)> = items.into_iter().filter(|item| !told.contains(item)).collect();
            if fresh.is_empty() {
                return Ok(false);
            }
            for (id, due_at) in &fresh {
                reminders::record_sent(c, *id, *due_at, &person, now)?;
            }
            fresh.sort_by_key(|(id, due_at)| (*due_at, *id));
            let listed = &fresh[..fresh.len().min(DIGEST_CARDS)];
            let ids: Vec<i64> = listed.iter().map(|(id, _)| *id).collect();
            let mut cards: HashMap<i64, Card> = cards::many(c, &ids)?.into_iter().map(|card| (card.id, card)).collect();
            let listed: Vec<(Card, DateTime<Utc>)> =
                listed.iter().filter_map(|(id, due_at)| Some((cards.remove(id)?, *due_at))).collect();
            let more = fresh.len() - listed.len();
            let title = match fresh.len() {
                1 => "1 card needs your verification".to_owned(),
                n => format!("{n} cards need your verification"),
            };
            let mut lines: Vec<String> = listed
                .iter()
                .map(|(card, due_at)| {
                    let state = if *due_at <= now { "stale since" } else { "due" };
                    format!("- {} ({state} {}): /cards/{}", card.title, due_at.format("%-d %b %Y"), card.slug)
                })
                .collect();
            if more > 0 {
                lines.push(format!("- and {more} more: /verify"));
            }
            reminders::notify(c, &person, "digest", &title, &lines.join("\n"), now)?;
            if webhook {
                let payload = json!({
                    "type": "verification_digest",
                    "verifier": person,
                    "created_at": now,
                    "total": fresh.len(),
                    "cards": listed.iter().map(|(card, due_at)| json!({
                        "slug": card.slug,
                        "title": card.title,
                        "collection": card.collection,
                        "status": card.status(now),
                        "due_at": due_at,
                        "path": format!("/cards/{}", card.slug),
                    })).collect::<Vec<_>>(),
                    "more": more,
                });
                reminders::enqueue_webhook(c, &payload.to_string(), now)?;
            }
            Ok(true)
        })?;
        sent += usize::from(written);
    }
    Ok(sent)
}

/// The wait before retry `attempt` (1-based): 30 s, 1 min, 2 min, … capped at an hour.
pub fn backoff(attempt: i32) -> chrono::Duration {
    let secs = 30i64.saturating_mul(1i64 << attempt.clamp(1, 12).saturating_sub(1));
    chrono::Duration::seconds(secs.min(3600))
}

/// Tries every delivery that is due with `send`; failures are retried later with backoff.
pub fn deliver_webhooks(
    store: &Store,
    now: DateTime<Utc>,
    send: &dyn Fn(&str) -> Result<(), String>,
) -> Result<usize, StoreError> {
    let due = store.read(|c| reminders::due_deliveries(c, now, 100))?;
    let mut delivered = 0;
    for d in due {
        match send(&d.payload) {
            Ok(()) => {
                store.write(|c| reminders::delivered(c, d.id, now))?;
                delivered += 1;
            }
            Err(e) => {
                let attempt = d.attempts + 1;
                let retry_at = (attempt < MAX_ATTEMPTS).then(|| now + backoff(attempt));
                tracing::warn!(delivery = d.id, attempt, error = %e, "webhook delivery failed");
                store.write(|c| reminders::attempt_failed(c, d.id, &e, retry_at, now))?;
            }
        }
    }
    Ok(delivered)
}

/// POSTs a JSON payload; any answer but 2xx is a failure.
pub fn post_json(url: &str) -> impl Fn(&str) -> Result<(), String> + use<'_> {
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(10))).build().into();
    move |payload: &str| {
        agent.post(url).header("Content-Type", "application/json").send(payload).map(|_| ()).map_err(|e| e.to_string())
    }
}

/// One round of everything scheduled.
pub fn tick(state: &AppState, webhook_url: Option<&str>) -> Result<(), StoreError> {
    let now = state.clock.now();
    let digests = send_digests(&state.store, now, webhook_url.is_some())?;
    if digests > 0 {
        tracing::info!(digests, "verification reminders sent");
    }
    if let Some(url) = webhook_url {
        deliver_webhooks(&state.store, now, &post_json(url))?;
    }
    health::record_snapshot(&state.store, now)?;
    state.store.write(|c| verity_store::tokens::purge(c, now))?;
    let forgotten = state
        .store
        .write(|c| verity_store::search_log::forget_before(c, now - chrono::Duration::days(SEARCH_LOG_DAYS)))?;
    if forgotten > 0 {
        tracing::debug!(forgotten, "old searches deleted");
    }
    Ok(())
}

/// Runs [`tick`] every `every` on its own thread until stopped.
pub struct Scheduler {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Scheduler {
    pub fn start(
        state: actix_web::web::Data<AppState>,
        webhook_url: Option<String>,
        every: Duration,
    ) -> std::io::Result<Scheduler> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::Builder::new().name("verity-scheduler".into()).spawn(move || {
            while !stopping.load(Ordering::Acquire) {
                let started = std::time::Instant::now();
                match tick(&state, webhook_url.as_deref()) {
                    Ok(()) => tracing::debug!(took_ms = started.elapsed().as_millis(), "scheduled round done"),
                    Err(e) => tracing::error!(error = %e, "scheduled work failed; trying again next round"),
                }
                // Sleep in small steps so stopping is quick.
                let mut slept = Duration::ZERO;
                while slept < every && !stopping.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(200));
                    slept += Duration::from_millis(200);
                }
            }
        })?;
        Ok(Scheduler { stop, thread: Some(thread) })
    }

    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the scheduler thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let secs: Vec<i64> = (1..=9).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(secs, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
