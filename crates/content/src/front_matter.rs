//! One file's text -> a [`CardDraft`]: front matter keys Verity knows are checked, the
//! rest are kept in order so they can be written back.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};
use verity_core::{Interval, MAX_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS, markdown, normalize_tags};

/// What a Markdown file says about its card.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CardDraft {
    pub title: String,
    /// A slug other than the one the file's path gives (kept by export, so links survive).
    pub slug: Option<String>,
    pub body: String,
    pub tags: Vec<String>,
    pub owner: Option<String>,
    pub verifier: Option<String>,
    pub verify_every: Option<Interval>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<String>,
    /// Keys Verity does not know, in file order.
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the file is {0} bytes; cards are limited to {1} bytes")]
    TooLarge(usize, usize),
    #[error("the front matter starts with `---` but has no closing `---` line")]
    Unterminated,
    #[error("the front matter is not valid YAML: {0}")]
    Yaml(String),
    #[error("the front matter must be a mapping of keys to values")]
    NotAMapping,
    #[error("front matter key `{key}`: {reason}")]
    BadValue { key: String, reason: String },
}

const KNOWN_KEYS: [&str; 8] =
    ["title", "slug", "tags", "owner", "verifier", "verify_every", "verified_at", "verified_by"];

/// Parses one file. `file_stem` is the title of last resort.
pub fn parse(text: &str, file_stem: &str) -> Result<CardDraft, ParseError> {
    let limit = verity_core::max_card_bytes();
    if text.len() > limit {
        return Err(ParseError::TooLarge(text.len(), limit));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (yaml, body) = split(text)?;
    let mut map = match yaml {
        None => Map::new(),
        Some(yaml) => yaml_to_map(yaml)?,
    };

    let title = take_string(&mut map, "title")?;
    let slug = take_string(&mut map, "slug")?
        .map(|s| verity_core::Slug::parse(&s).map(|_| s).map_err(|e| bad("slug", &e.to_string())))
        .transpose()?;
    let tags = match map.shift_remove("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => normalize_tags(&s.split(',').collect::<Vec<_>>()),
        Some(Value::Array(items)) => {
            let items: Vec<String> = items.into_iter().filter_map(scalar_to_string).collect();
            normalize_tags(&items)
        }
        Some(_) => return Err(bad("tags", "expected a list of words")),
    };
    let owner = take_string(&mut map, "owner")?;
    let verifier = take_string(&mut map, "verifier")?;
    let verify_every = take_string(&mut map, "verify_every")?
        .map(|s| s.parse::<Interval>().map_err(|e| bad("verify_every", &e.to_string())))
        .transpose()?;
    let verified_at = take_string(&mut map, "verified_at")?
        .map(|s| {
            parse_instant(&s)
                .ok_or_else(|| bad("verified_at", "expected a date such as 2026-03-31 or 2026-03-31T09:00:00Z"))
        })
        .transpose()?;
    let verified_by = take_string(&mut map, "verified_by")?;

    let body = body.to_owned();
    let title = title.or_else(|| markdown::first_heading(&body)).unwrap_or_else(|| file_stem.to_owned());
    // The same limits as the API, so every imported card can also be edited there.
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(bad("title", &format!("longer than {MAX_TITLE_CHARS} characters")));
    }
    if tags.len() > MAX_TAGS || tags.iter().any(|t| t.chars().count() > MAX_TAG_CHARS) {
        return Err(bad("tags", &format!("at most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters")));
    }
    debug_assert!(KNOWN_KEYS.iter().all(|k| !map.contains_key(*k)));
    Ok(CardDraft { title, slug, body, tags, owner, verifier, verify_every, verified_at, verified_by, extra: map })
}

/// Splits `---\nyaml\n---\nbody`; text without an opening `---` line is all body.
fn split(text: &str) -> Result<(Option<&str>, &str), ParseError> {
    let Some(rest) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else {
        return Ok((None, text));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_end_matches(['\n', '\r']);
        if trimmed == "---" || trimmed == "..." {
            let body = &rest[offset + line.len()..];
            return Ok((
                Some(&rest[..offset]),
                body.strip_prefix("\r\n").or_else(|| body.strip_prefix('\n')).unwrap_or(body),
            ));
        }
        offset += line.len();
    }
    Err(ParseError::Unterminated)
}

fn yaml_to_map(yaml: &str) -> Result<Map<String, Value>, ParseError> {
    if yaml.trim().is_empty() {
        return Ok(Map::new());
    }
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(yaml).map_err(|e| ParseError::Yaml(e.to_string()))?;
    match value {
        serde_yaml_ng::Value::Null => Ok(Map::new()),
        serde_yaml_ng::Value::Mapping(_) => match serde_json::to_value(&value) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(ParseError::NotAMapping),
            Err(e) => Err(ParseError::Yaml(e.to_string())),
        },
        _ => Err(ParseError::NotAMapping),
    }
}

fn bad(key: &str, reason: &str) -> ParseError {
    ParseError::BadValue { key: key.to_owned(), reason: reason.to_owned() }
}

fn scalar_to_string(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A known key holding one short value; blank counts as absent.
fn take_string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, ParseError> {
    match map.shift_remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => {
            let s = scalar_to_string(v).unwrap_or_default().trim().to_owned();
            Ok((!s.is_empty()).then_some(s))
        }
        Some(_) => Err(bad(key, "expected a single value, not a list or a mapping")),
    }
}

/// `2026-03-31` (midnight UTC), `2026-03-31 09:00[:00]` (UTC) or RFC 3339, between the
/// years 1970 and 2999 (anything else is a typo, and far-future dates overflow).
fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    parse_any_instant(s).filter(|t| (1970..3000).contains(&t.year()))
}

fn parse_any_instant(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_key_is_read() {
        let text = "---\ntitle: Escalation policy\ntags: [Incidents, on-call]\nowner: mei\nverifier: sre\nverify_every: 3m\nverified_at: 2026-05-10\nverified_by: mei\n---\n# Escalation\n\nPage the on-call.\n";
        let d = parse(text, "escalation").unwrap();
        assert_eq!(d.title, "Escalation policy");
        assert_eq!(d.tags, vec!["incidents", "on-call"]);
        assert_eq!(d.owner.as_deref(), Some("mei"));
        assert_eq!(d.verifier.as_deref(), Some("sre"));
        assert_eq!(d.verify_every.unwrap().as_days(), 90);
        assert_eq!(d.verified_at.unwrap().to_rfc3339(), "2026-05-10T00:00:00+00:00");
        assert_eq!(d.verified_by.as_deref(), Some("mei"));
        assert_eq!(d.body, "# Escalation\n\nPage the on-call.\n");
        assert!(d.extra.is_empty());
    }

    #[test]
    fn unknown_keys_are_kept_in_order() {
        let text = "---\nzeta: 1\ntitle: T\nalpha: [a, b]\nnested:\n  k: v\n---\nbody\n";
        let d = parse(text, "t").unwrap();
        let keys: Vec<&str> = d.extra.keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["zeta", "alpha", "nested"]);
        assert_eq!(d.extra["nested"]["k"], "v");
    }

    #[test]
    fn title_falls_back_to_first_heading_then_file_name() {
        assert_eq!(parse("Intro\n\n# The Heading\n", "stem").unwrap().title, "The Heading");
        assert_eq!(parse("no heading at all", "stem").unwrap().title, "stem");
        assert_eq!(parse("---\ntags: a, b\n---\n# From heading\n", "stem").unwrap().title, "From heading");
    }

    #[test]
    fn files_without_front_matter_are_all_body() {
        let d = parse("# Hello\n\n---\n\nafter a rule\n", "x").unwrap();
        assert_eq!(d.body, "# Hello\n\n---\n\nafter a rule\n");
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let d = parse("\u{feff}---\r\ntitle: Windows\r\n---\r\nbody\r\n", "x").unwrap();
        assert_eq!(d.title, "Windows");
        assert_eq!(d.body, "body\r\n");
    }

    #[test]
    fn broken_files_say_why() {
        assert_eq!(parse("---\ntitle: x\nno end\n", "x"), Err(ParseError::Unterminated));
        assert!(matches!(parse("---\ntitle: [unclosed\n---\n", "x"), Err(ParseError::Yaml(_))));
        assert_eq!(parse("---\n- a\n- b\n---\n", "x"), Err(ParseError::NotAMapping));
        assert!(
            matches!(parse("---\nverify_every: often\n---\n", "x"), Err(ParseError::BadValue { key, .. }) if key == "verify_every")
        );
        assert!(
            matches!(parse("---\nverified_at: last tuesday\n---\n", "x"), Err(ParseError::BadValue { key, .. }) if key == "verified_at")
        );
        assert!(
            matches!(parse("---\ntitle: [a, b]\n---\n", "x"), Err(ParseError::BadValue { key, .. }) if key == "title")
        );
        let long_title = format!("---\ntitle: {}\n---\n", "t".repeat(MAX_TITLE_CHARS + 1));
        assert!(matches!(parse(&long_title, "x"), Err(ParseError::BadValue { key, .. }) if key == "title"));
        let huge = "x".repeat(verity_core::max_card_bytes() + 1);
        assert!(matches!(parse(&huge, "x"), Err(ParseError::TooLarge(..))));
    }

    #[test]
    fn instants_in_several_spellings() {
        assert!(parse_instant("2026-01-02").is_some());
        assert!(parse_instant("2026-01-02 10:30").is_some());
        assert!(parse_instant("2026-01-02T10:30:00+02:00").is_some());
        assert!(parse_instant("2026-13-02").is_none());
        assert!(parse_instant("+262143-12-31").is_none());
        assert!(parse_instant("1900-01-01").is_none());
    }
}
