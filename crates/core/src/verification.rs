//! The verification policy: how long an expert's word holds, and what a card's status is now.
//!
//! Status is always computed from the clock, never stored: the store and the index keep
//! only `verified_at`, the interval and whether the last verification still stands
//! (`trusted`), plus the two instants derived from them ([`VerificationState::due_times`]),
//! so that "stale" can be asked of a database or an index without rewriting anything
//! when time passes.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Verification status of a card at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Verified,
    DueSoon,
    Stale,
    Unverified,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Verified, Status::DueSoon, Status::Stale, Status::Unverified];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Verified => "verified",
            Status::DueSoon => "due_soon",
            Status::Stale => "stale",
            Status::Unverified => "unverified",
        }
    }

    /// Words for people ("due soon", not "due_soon").
    pub fn label(self) -> &'static str {
        match self {
            Status::Verified => "Verified",
            Status::DueSoon => "Due soon",
            Status::Stale => "Stale",
            Status::Unverified => "Unverified",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown status `{0}`: expected verified, due_soon, stale or unverified")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL.into_iter().find(|status| status.as_str() == s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// How often a card must be re-verified, in whole days.
///
/// Written as `7d`, `2w`, `3m` or `1y` (a month counts 30 days, a year 365), or a bare
/// number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Interval {
    days: u32,
}

/// The default when neither the card nor its collection says: three months.
pub const DEFAULT_INTERVAL: Interval = Interval { days: 90 };
/// Intervals longer than ten years are a typo, not a policy.
const MAX_INTERVAL_DAYS: u32 = 3650;
/// The "due soon" window is the shorter of a week and a tenth of the interval.
const DUE_SOON_MAX: Duration = Duration::days(7);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an interval: write a number of days, weeks, months or years such as 7d, 2w, 3m, 1y (at most 10 years)"
)]
pub struct InvalidInterval(pub String);

impl Interval {
    pub fn days(days: u32) -> Result<Self, InvalidInterval> {
        if (1..=MAX_INTERVAL_DAYS).contains(&days) {
            Ok(Interval { days })
        } else {
            Err(InvalidInterval(format!("{days}d")))
        }
    }

    pub fn as_days(self) -> u32 {
        self.days
    }

    pub fn duration(self) -> Duration {
        Duration::days(i64::from(self.days))
    }

    /// The shortest canonical spelling: `1y`, `3m`, `2w` or `10d`.
    pub fn canonical(self) -> String {
        let d = self.days;
        if d.is_multiple_of(365) {
            format!("{}y", d / 365)
        } else if d.is_multiple_of(30) {
            format!("{}m", d / 30)
        } else if d.is_multiple_of(7) {
            format!("{}w", d / 7)
        } else {
            format!("{d}d")
        }
    }
}

impl FromStr for Interval {
    type Err = InvalidInterval;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidInterval(s.to_owned());
        let text = s.trim().to_ascii_lowercase();
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let n: u32 = number.parse().map_err(|_| invalid())?;
        let per_unit = match unit.trim() {
            "" | "d" | "day" | "days" => 1,
            "w" | "week" | "weeks" => 7,
            "m" | "month" | "months" => 30,
            "y" | "year" | "years" => 365,
            _ => return Err(invalid()),
        };
        n.checked_mul(per_unit).and_then(|days| Interval::days(days).ok()).ok_or_else(invalid)
    }
}

impl TryFrom<String> for Interval {
    type Error = InvalidInterval;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Interval> for String {
    fn from(i: Interval) -> String {
        i.canonical()
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical())
    }
}

/// What a card records about its last verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerificationState {
    pub verified_at: Option<DateTime<Utc>>,
    pub interval: Interval,
    /// False when nobody verified the card yet, or someone who is not a verifier
    /// edited it since the last verification.
    pub trusted: bool,
}

/// When a trusted verification enters the "due soon" window, and when it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTimes {
    pub due_soon_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

impl VerificationState {
    /// `None` while the card is unverified: there is nothing to expire.
    pub fn due_times(&self) -> Option<DueTimes> {
        let verified_at = self.verified_at.filter(|_| self.trusted)?;
        let interval = self.interval.duration();
        // Saturates rather than panics for instants at the end of time.
        let due_at = verified_at.checked_add_signed(interval).unwrap_or(DateTime::<Utc>::MAX_UTC);
        let window = (interval / 10).min(DUE_SOON_MAX);
        Some(DueTimes { due_soon_at: due_at - window, due_at })
    }

    pub fn status(&self, now: DateTime<Utc>) -> Status {
        status_at(self.due_times(), now)
    }
}

/// The status for stored due times (`None` = unverified); the one rule shared by
/// cards, the store's filters and the index's filters and facets.
pub fn status_at(due: Option<DueTimes>, now: DateTime<Utc>) -> Status {
    status_on(due.map(|d| (d.due_soon_at, d.due_at)), now)
}

/// [`status_at`] on any kind of instant, `due` being `(due_soon_at, due_at)`: the index
/// asks it of whole-second timestamps.
pub fn status_on<T: PartialOrd>(due: Option<(T, T)>, now: T) -> Status {
    match due {
        None => Status::Unverified,
        Some((_, due_at)) if now >= due_at => Status::Stale,
        Some((due_soon_at, _)) if now >= due_soon_at => Status::DueSoon,
        Some(_) => Status::Verified,
    }
}

/// One of the two instants at which a trusted card's status changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    DueSoonAt,
    DueAt,
}

impl Boundary {
    /// This boundary's instant among a card's `(due_soon_at, due_at)`.
    pub fn of<T>(self, (due_soon_at, due_at): (T, T)) -> T {
        match self {
            Boundary::DueSoonAt => due_soon_at,
            Boundary::DueAt => due_at,
        }
    }
}

/// The rule of [`status_at`] as a condition on the stored columns, for a database or an
/// index to filter by without computing any status: a card has a status at `now` exactly
/// when it meets one of [`conditions`] for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// The card is not trusted: it has no due times.
    Untrusted,
    /// The card is trusted, `now` has reached `reached` (if any) and not `not_reached`
    /// (if any).
    Trusted { reached: Option<Boundary>, not_reached: Option<Boundary> },
}

/// A trusted card's statuses in the order time moves through them, and the boundaries
/// between them: `TIMELINE[i]` holds from `BOUNDARIES[i - 1]` until `BOUNDARIES[i]`.
const TIMELINE: [Status; 3] = [Status::Verified, Status::DueSoon, Status::Stale];
const BOUNDARIES: [Boundary; 2] = [Boundary::DueSoonAt, Boundary::DueAt];

/// The conditions a card meets exactly when its status is one of `statuses`; neighbours on
/// the timeline share one condition (due soon or stale: trusted and past `due_soon_at`).
/// No condition at all for no status.
pub fn conditions(statuses: &[Status]) -> Vec<Condition> {
    let mut out = Vec::new();
    if statuses.contains(&Status::Unverified) {
        out.push(Condition::Untrusted);
    }
    let mut i = 0;
    while i < TIMELINE.len() {
        if !statuses.contains(&TIMELINE[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < TIMELINE.len() && statuses.contains(&TIMELINE[i + 1]) {
            i += 1;
        }
        let reached = start.checked_sub(1).map(|b| BOUNDARIES[b]);
        let not_reached = BOUNDARIES.get(i).copied();
        out.push(Condition::Trusted { reached, not_reached });
        i += 1;
    }
    out
}

impl Condition {
    /// Whether a card with `due` (`(due_soon_at, due_at)`, `None` when not trusted) meets
    /// this condition at `now`: what a filter built from it must select.
    pub fn holds<T: PartialOrd + Copy>(self, due: Option<(T, T)>, now: T) -> bool {
        match (self, due) {
            (Condition::Untrusted, due) => due.is_none(),
            (Condition::Trusted { .. }, None) => false,
            (Condition::Trusted { reached, not_reached }, Some(due)) => {
                reached.is_none_or(|b| now >= b.of(due)) && not_reached.is_none_or(|b| now < b.of(due))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn intervals_parse_every_documented_spelling() {
        for (text, days) in
            [("7d", 7), ("2w", 14), ("3m", 90), ("1y", 365), ("45", 45), (" 6 Months ", 180), ("1 week", 7)]
        {
            assert_eq!(text.parse::<Interval>().unwrap().as_days(), days, "{text}");
        }
        for bad in ["", "d", "0d", "-3d", "3x", "11y", "99999999999d", "1.5m"] {
            assert!(bad.parse::<Interval>().is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn canonical_intervals_round_trip() {
        for days in [1, 7, 10, 14, 30, 90, 180, 360, 365, 730] {
            let i = Interval::days(days).unwrap();
            assert_eq!(i.canonical().parse::<Interval>().unwrap(), i);
        }
        assert_eq!(Interval::days(90).unwrap().canonical(), "3m");
        assert_eq!(Interval::days(14).unwrap().canonical(), "2w");
    }

    #[test]
    fn never_verified_is_unverified() {
        let s = VerificationState { verified_at: None, interval: DEFAULT_INTERVAL, trusted: false };
        assert_eq!(s.status(at(2026, 1, 1)), Status::Unverified);
        assert_eq!(s.due_times(), None);
    }

    #[test]
    fn an_untrusted_edit_makes_a_fresh_verification_unverified() {
        let s = VerificationState { verified_at: Some(at(2026, 1, 1)), interval: DEFAULT_INTERVAL, trusted: false };
        assert_eq!(s.status(at(2026, 1, 2)), Status::Unverified);
    }

    #[test]
    fn status_moves_from_verified_to_due_soon_to_stale() {
        // 90 days: the window is a week (a tenth would be 9 days).
        let s = VerificationState { verified_at: Some(at(2026, 1, 1)), interval: DEFAULT_INTERVAL, trusted: true };
        let due = at(2026, 1, 1) + Duration::days(90);
        assert_eq!(s.status(at(2026, 1, 1)), Status::Verified);
        assert_eq!(s.status(due - Duration::days(7) - Duration::seconds(1)), Status::Verified);
        assert_eq!(s.status(due - Duration::days(7)), Status::DueSoon);
        assert_eq!(s.status(due - Duration::seconds(1)), Status::DueSoon);
        assert_eq!(s.status(due), Status::Stale);
        assert_eq!(s.status(due + Duration::days(400)), Status::Stale);
    }

    #[test]
    fn short_intervals_get_a_tenth_as_due_soon_window() {
        let s = VerificationState {
            verified_at: Some(at(2026, 1, 1)),
            interval: Interval::days(10).unwrap(),
            trusted: true,
        };
        let due = s.due_times().unwrap();
        assert_eq!(due.due_at - due.due_soon_at, Duration::days(1));
    }

    #[test]
    fn instants_at_the_end_of_time_do_not_panic() {
        let s = VerificationState {
            verified_at: Some(DateTime::<Utc>::MAX_UTC),
            interval: DEFAULT_INTERVAL,
            trusted: true,
        };
        assert_eq!(s.status(at(2026, 1, 1)), Status::Verified);
    }

    /// Every set of statuses, as the filters may ask for them.
    fn status_sets() -> impl Iterator<Item = Vec<Status>> {
        (0..16u8).map(|bits| {
            Status::ALL.into_iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, s)| s).collect()
        })
    }

    #[test]
    fn neighbours_on_the_timeline_share_one_condition() {
        use Boundary::*;
        assert_eq!(conditions(&[]), Vec::<Condition>::new());
        assert_eq!(conditions(&[Status::Unverified]), vec![Condition::Untrusted]);
        assert_eq!(
            conditions(&[Status::DueSoon, Status::Stale]),
            vec![Condition::Trusted { reached: Some(DueSoonAt), not_reached: None }]
        );
        assert_eq!(
            conditions(&[Status::Verified, Status::Stale]),
            vec![
                Condition::Trusted { reached: None, not_reached: Some(DueSoonAt) },
                Condition::Trusted { reached: Some(DueAt), not_reached: None },
            ]
        );
        assert_eq!(conditions(&Status::ALL).len(), 2, "untrusted, or trusted whatever the time");
    }

    proptest::proptest! {
        /// The conditions select exactly the cards `status_at` gives one of the statuses,
        /// for every set of statuses, at instants around and on the boundaries.
        #[test]
        fn conditions_select_exactly_the_statuses_status_at_gives(
            verified_at in -1_000_000_000i64..4_000_000_000,
            days in 1u32..=3650,
            trusted in proptest::bool::ANY,
            offset in -400i64 * 86_400..4000 * 86_400,
            on_boundary in 0u8..4,
        ) {
            let state = VerificationState {
                verified_at: DateTime::from_timestamp(verified_at, 0),
                interval: Interval::days(days).unwrap(),
                trusted,
            };
            let due = state.due_times();
            let now = match (on_boundary, due) {
                (1, Some(d)) => d.due_soon_at,
                (2, Some(d)) => d.due_at,
                _ => DateTime::from_timestamp(verified_at + offset, 0).unwrap(),
            };
            let status = status_at(due, now);
            for set in status_sets() {
                let selected = conditions(&set).iter().any(|c| c.holds(due.map(|d| (d.due_soon_at, d.due_at)), now));
                proptest::prop_assert_eq!(selected, set.contains(&status), "{:?} at {} for {:?}", due, now, set);
            }
        }
    }

    #[test]
    fn status_names_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
        }
        assert!("fresh".parse::<Status>().is_err());
    }
}
