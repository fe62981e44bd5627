//! Verity's domain: the words every other crate shares (cards, slugs, intervals,
//! verification status, roles), the verification policy, and the one Markdown pipeline.
//!
//! Nothing here touches a database, an index, a file or the network.

pub mod clock;
pub mod markdown;
pub mod merge;
pub mod role;
pub mod slug;
pub mod verification;

pub use clock::{Clock, FixedClock, SystemClock};
pub use markdown::SafeHtml;
pub use role::Role;
pub use slug::Slug;
pub use verification::{Interval, Status, VerificationState};

/// Biggest card body accepted anywhere (API, editor, files) unless configured: 2 MiB.
pub const DEFAULT_MAX_CARD_BYTES: usize = 2 * 1024 * 1024;

static MAX_CARD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(DEFAULT_MAX_CARD_BYTES);

/// The card size limit in force: a process-wide setting, chosen once at start-up
/// (`verity serve --max-card-bytes`), read wherever a card's size is checked.
pub fn max_card_bytes() -> usize {
    MAX_CARD.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets the card size limit; call at start-up, before serving.
pub fn set_max_card_bytes(bytes: usize) {
    MAX_CARD.store(bytes.max(1024), std::sync::atomic::Ordering::Relaxed);
}
/// Longest title accepted.
pub const MAX_TITLE_CHARS: usize = 300;
/// Most tags on one card, and the longest tag.
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_CHARS: usize = 64;

/// Normalises a tag list: trimmed, lower-cased, empty ones dropped, duplicates removed
/// (first occurrence wins, so the author's order is kept).
pub fn normalize_tags<S: AsRef<str>>(tags: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.as_ref().trim().to_lowercase();
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_lowercased_and_deduplicated_in_order() {
        assert_eq!(
            normalize_tags(&[" On-Call", "incidents", "on-call", "", "Zeta"]),
            vec!["on-call", "incidents", "zeta"]
        );
    }
}
