//! The status rule as SQL: [`verity_core::verification::conditions`] over the stored
//! `trusted`, `due_soon_at` and `due_at` columns, compared with `now`. Every query that
//! selects cards by status builds its filter here.

use chrono::{DateTime, Utc};
use diesel::dsl::AssumeNotNull;
use diesel::expression::SelectableExpression;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use verity_core::Status;
use verity_core::verification::{Boundary, Condition, conditions};

use crate::schema::cards;
use crate::{MultiBackend, to_db};

/// A boolean SQL condition on the `cards` columns of the query source `QS`.
pub(crate) type CardCondition<QS> = Box<dyn BoxableExpression<QS, MultiBackend, SqlType = Bool>>;

/// Cards whose status at `now` is one of `statuses` (none for no status).
pub(crate) fn status_in<QS>(statuses: &[Status], now: DateTime<Utc>) -> CardCondition<QS>
where
    QS: 'static,
    cards::trusted: SelectableExpression<QS>,
    AssumeNotNull<cards::due_soon_at>: SelectableExpression<QS>,
    AssumeNotNull<cards::due_at>: SelectableExpression<QS>,
{
    let now = to_db(now);
    let one = |condition: Condition| -> CardCondition<QS> {
        match condition {
            Condition::Untrusted => Box::new(cards::trusted.eq(0)),
            Condition::Trusted { reached, not_reached } => {
                let mut all: CardCondition<QS> = Box::new(cards::trusted.eq(1));
                if let Some(b) = reached {
                    all = Box::new(all.and(at_or_after(b, now)));
                }
                if let Some(b) = not_reached {
                    all = Box::new(all.and(before(b, now)));
                }
                all
            }
        }
    };
    conditions(statuses)
        .into_iter()
        .map(one)
        .reduce(|any, next| Box::new(any.or(next)))
        // No status: no card (`trusted` is never NULL).
        .unwrap_or_else(|| Box::new(cards::trusted.ne(cards::trusted)))
}

/// `now` has reached the boundary (trusted cards have both due times; a NULL one would
/// match neither this nor [`before`]).
fn at_or_after<QS>(boundary: Boundary, now: chrono::NaiveDateTime) -> CardCondition<QS>
where
    QS: 'static,
    AssumeNotNull<cards::due_soon_at>: SelectableExpression<QS>,
    AssumeNotNull<cards::due_at>: SelectableExpression<QS>,
{
    match boundary {
        Boundary::DueSoonAt => Box::new(cards::due_soon_at.assume_not_null().le(now)),
        Boundary::DueAt => Box::new(cards::due_at.assume_not_null().le(now)),
    }
}

/// `now` has not reached the boundary yet.
fn before<QS>(boundary: Boundary, now: chrono::NaiveDateTime) -> CardCondition<QS>
where
    QS: 'static,
    AssumeNotNull<cards::due_soon_at>: SelectableExpression<QS>,
    AssumeNotNull<cards::due_at>: SelectableExpression<QS>,
{
    match boundary {
        Boundary::DueSoonAt => Box::new(cards::due_soon_at.assume_not_null().gt(now)),
        Boundary::DueAt => Box::new(cards::due_at.assume_not_null().gt(now)),
    }
}

#[cfg(test)]
mod tests;
