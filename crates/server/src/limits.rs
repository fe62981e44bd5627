//! Brakes on password guessing: failed sign-ins are counted per account and per address,
//! and past a few free tries each must wait longer (429 with Retry-After). Argon2 is slow
//! on purpose, so at most a few hashes run at once and a flood of sign-ins queues instead
//! of starving every other request of CPU.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::ApiError;

/// Failures allowed before waiting starts: a person mistyping is never slowed down.
const FREE_PER_ACCOUNT: u32 = 5;
/// An office behind one address has many people; allow more.
const FREE_PER_ADDRESS: u32 = 20;
const FIRST_WAIT_SECS: i64 = 30;
const LONGEST_WAIT_SECS: i64 = 15 * 60;
/// Failures older than this are forgotten.
const MEMORY_SECS: i64 = 60 * 60;
/// The table is pruned of forgotten entries when it grows past this.
const PRUNE_AT: usize = 10_000;
/// How long a sign-in waits for a free hashing slot before the server says it is busy.
const HASH_QUEUE_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: DateTime<Utc>,
    blocked_until: DateTime<Utc>,
}

pub struct SignInLimiter {
    failures: Mutex<HashMap<String, Failures>>,
    hashing: Semaphore,
}

impl Default for SignInLimiter {
    fn default() -> Self {
        let slots = std::thread::available_parallelism().map_or(2, |n| n.get());
        SignInLimiter { failures: Mutex::new(HashMap::new()), hashing: Semaphore::new(slots) }
    }
}

fn account_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("addr:{address}")
}

impl SignInLimiter {
    /// Refuses the attempt while the account or the address must wait.
    pub fn check(&self, username: &str, address: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let wait = [account_key(username), address_key(address)]
            .iter()
            .filter_map(|key| failures.get(key))
            .map(|f| (f.blocked_until - now).num_seconds())
            .max()
            .unwrap_or(0);
        if wait > 0 { Err(ApiError::TooManyRequests { retry_after: wait as u64 }) } else { Ok(()) }
    }

    pub fn failed(&self, username: &str, address: &str, now: DateTime<Utc>) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() > PRUNE_AT {
            failures.retain(|_, f| (now - f.last).num_seconds() < MEMORY_SECS || f.blocked_until > now);
        }
        for (key, free) in [(account_key(username), FREE_PER_ACCOUNT), (address_key(address), FREE_PER_ADDRESS)] {
            let f = failures.entry(key).or_insert(Failures { count: 0, last: now, blocked_until: now });
            if (now - f.last).num_seconds() >= MEMORY_SECS {
                f.count = 0;
            }
            f.count += 1;
            f.last = now;
            if f.count >= free {
                // 30 s, 60 s, 2 min, … up to 15 min.
                let doublings = (f.count - free).min(10);
                let wait = (FIRST_WAIT_SECS << doublings).min(LONGEST_WAIT_SECS);
                f.blocked_until = now + chrono::Duration::seconds(wait);
            }
        }
    }

    /// A right password clears the account's failures (the address keeps its count).
    pub fn succeeded(&self, username: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(&account_key(username));
    }

    /// A slot to hash a password in.
    pub async fn hashing_slot(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        match tokio::time::timeout(HASH_QUEUE_WAIT, self.hashing.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError::Unavailable("too many sign-ins at once; try again in a moment".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn waits_start_after_the_free_tries_and_grow() {
        let limiter = SignInLimiter::default();
        for _ in 0..FREE_PER_ACCOUNT - 1 {
            limiter.failed("Ann", "10.0.0.1", at(0));
            assert!(limiter.check("ann", "10.0.0.1", at(0)).is_ok());
        }
        limiter.failed("ann", "10.0.0.1", at(0));
        match limiter.check("ANN", "10.0.0.2", at(1)) {
            Err(ApiError::TooManyRequests { retry_after }) => assert_eq!(retry_after, 29),
            other => panic!("expected a wait, got {other:?}"),
        }
        assert!(limiter.check("bob", "10.0.0.1", at(1)).is_ok(), "other accounts from the address are fine");
        assert!(limiter.check("ann", "10.0.0.1", at(31)).is_ok(), "the wait ends");
        limiter.failed("ann", "10.0.0.1", at(31));
        match limiter.check("ann", "10.0.0.1", at(31)) {
            Err(ApiError::TooManyRequests { retry_after }) => assert_eq!(retry_after, 60, "the next wait doubles"),
            other => panic!("expected a wait, got {other:?}"),
        }
        limiter.succeeded("ann");
        assert!(limiter.check("ann", "10.0.0.3", at(32)).is_ok());
    }

    #[test]
    fn one_address_guessing_many_accounts_is_slowed_too() {
        let limiter = SignInLimiter::default();
        for i in 0..FREE_PER_ADDRESS {
            limiter.failed(&format!("user{i}"), "10.9.9.9", at(0));
        }
        assert!(limiter.check("someone-new", "10.9.9.9", at(1)).is_err());
        assert!(limiter.check("someone-new", "10.9.9.8", at(1)).is_ok());
    }
}
