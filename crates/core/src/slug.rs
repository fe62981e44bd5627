//! Slugs name cards and collections in URLs: lowercase ASCII letters, digits and dashes.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slug(String);

/// Longest slug we create (long titles are cut at a dash).
const MAX_SLUG_CHARS: usize = 80;

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a valid slug: use lowercase letters, digits and single dashes")]
pub struct InvalidSlug(pub String);

impl Slug {
    /// Accepts a slug exactly as given, or says why not.
    pub fn parse(s: &str) -> Result<Self, InvalidSlug> {
        let valid = !s.is_empty()
            && s.len() <= 200
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if valid { Ok(Slug(s.to_owned())) } else { Err(InvalidSlug(s.to_owned())) }
    }

    /// Makes a slug from any text (a title, a file path); `fallback` when nothing is left,
    /// e.g. for a title made only of punctuation or of a script slugify drops.
    pub fn from_text(text: &str, fallback: &str) -> Self {
        let mut s = slug::slugify(text);
        if s.len() > MAX_SLUG_CHARS {
            let cut = s[..MAX_SLUG_CHARS].rfind('-').unwrap_or(MAX_SLUG_CHARS);
            s.truncate(cut);
        }
        if s.is_empty() { Slug(slug::slugify(fallback)) } else { Slug(s) }
    }

    /// The `n`th alternative for a slug that is taken: `deploy-2`, `deploy-3`, …
    pub fn with_suffix(&self, n: u32) -> Self {
        Slug(format!("{}-{n}", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_titles_are_url_safe() {
        assert_eq!(Slug::from_text("Escalation policy: P1 & P2!", "card").as_str(), "escalation-policy-p1-p2");
        assert_eq!(Slug::from_text("Ünïcödé Café", "card").as_str(), "unicode-cafe");
        assert_eq!(Slug::from_text("!!!", "card").as_str(), "card");
    }

    #[test]
    fn long_titles_are_cut_at_a_word_boundary() {
        let slug = Slug::from_text(&"word ".repeat(40), "card");
        assert!(slug.as_str().len() <= MAX_SLUG_CHARS);
        assert!(!slug.as_str().ends_with('-'));
        assert!(Slug::parse(slug.as_str()).is_ok());
    }

    #[test]
    fn parse_rejects_what_from_text_would_never_make() {
        for bad in ["", "UPPER", "a b", "-lead", "trail-", "dou--ble", "../etc", "a/b"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(Slug::parse("deploy-2").is_ok());
    }
}
