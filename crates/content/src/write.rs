//! A card draft -> a Markdown file in canonical form: front matter with Verity's keys in a
//! fixed order, then the keys it does not know in their original order, then the body.
//! Parsing what this writes gives the same draft back, and writing that gives the same bytes.

use chrono::{DateTime, Timelike, Utc};
use serde_json::Value;
use serde_yaml_ng::{Mapping, Value as Yaml};

use crate::front_matter::CardDraft;

pub fn to_markdown(d: &CardDraft) -> String {
    let mut map = Mapping::new();
    let mut put = |key: &str, value: Yaml| {
        map.insert(Yaml::String(key.to_owned()), value);
    };
    put("title", Yaml::String(d.title.clone()));
    if let Some(slug) = &d.slug {
        put("slug", Yaml::String(slug.clone()));
    }
    if !d.tags.is_empty() {
        put("tags", Yaml::Sequence(d.tags.iter().cloned().map(Yaml::String).collect()));
    }
    for (key, value) in [("owner", &d.owner), ("verifier", &d.verifier)] {
        if let Some(v) = value {
            put(key, Yaml::String(v.clone()));
        }
    }
    if let Some(every) = d.verify_every {
        put("verify_every", Yaml::String(every.canonical()));
    }
    if let Some(at) = d.verified_at {
        put("verified_at", Yaml::String(instant(at)));
    }
    if let Some(by) = &d.verified_by {
        put("verified_by", Yaml::String(by.clone()));
    }
    for (key, value) in &d.extra {
        if let Ok(v) = serde_yaml_ng::to_value(value) {
            put(key, v);
        }
    }
    let yaml = serde_yaml_ng::to_string(&map).unwrap_or_default();
    let mut out = String::with_capacity(yaml.len() + d.body.len() + 8);
    out.push_str("---\n");
    out.push_str(&yaml);
    out.push_str("---\n");
    // Reading drops one blank line after the front matter (`---\n\n# Title` is common):
    // a body that starts with a line break gets one more, to be read back whole.
    if d.body.starts_with('\n') || d.body.starts_with("\r\n") {
        out.push('\n');
    }
    out.push_str(&d.body);
    out
}

/// Midnight UTC is written as a date, anything else as RFC 3339.
fn instant(t: DateTime<Utc>) -> String {
    if t.num_seconds_from_midnight() == 0 && t.nanosecond() == 0 {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

/// Unknown keys as stored (a JSON object) back into a map for a draft.
pub fn extra_from_json(json: &str) -> serde_json::Map<String, Value> {
    match serde_json::from_str(json) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    const CANONICAL: &str = "---\ntitle: 'Escalation: who to call'\ntags:\n- incidents\n- on-call\nowner: mei\nverifier: sre\nverify_every: 3m\nverified_at: 2026-05-10\nverified_by: mei\nslack_channel: '#incidents'\nschedules:\n- apac\n- emea\nnested:\n  k: v\n---\n# Escalation\n\nPage the on-call.\n";

    #[test]
    fn canonical_files_round_trip_byte_for_byte() {
        let draft = parse(CANONICAL, "x").unwrap();
        assert_eq!(draft.verified_at.unwrap().to_rfc3339(), "2026-05-10T00:00:00+00:00");
        assert_eq!(to_markdown(&draft), CANONICAL);
    }

    #[test]
    fn a_body_starting_with_a_blank_line_is_read_back_whole() {
        for body in ["\n", "\nText\n", "\r\nText\r\n", "\n\n\nText"] {
            let draft = CardDraft { title: "T".into(), body: body.into(), ..CardDraft::default() };
            let written = to_markdown(&draft);
            assert_eq!(parse(&written, "x").unwrap().body, body, "{written:?}");
        }
        // A file written the usual way still loses its one blank line, as before.
        assert_eq!(parse("---\ntitle: T\n---\n\n# T\n", "x").unwrap().body, "# T\n");
    }

    #[test]
    fn any_file_becomes_canonical_after_one_write() {
        let messy = "---\nverified_by: mei\nzeta: 1\ntitle: T\ntags: b, a\nverify_every: 90\nverified_at: 2026-01-02T10:30:00+02:00\n---\nBody";
        let once = to_markdown(&parse(messy, "x").unwrap());
        assert_eq!(to_markdown(&parse(&once, "x").unwrap()), once);
        assert!(once.contains("verify_every: 3m\n") && once.contains("verified_at: 2026-01-02T08:30:00Z\n"), "{once}");
    }
}
