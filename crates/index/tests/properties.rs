//! Property tests: random Unicode cards indexed on disk and searched with random queries.
//!
//! Whatever the text (combining marks, non-breaking and zero-width spaces, emoji, CJK,
//! right-to-left scripts, long runs without spaces, matches at the edges of the snippet
//! window) and whatever the query (words of the card, their starts, typos, phrases,
//! exclusions, operators, parentheses, ranges, stray syntax), a search never panics, answers
//! in bounded time, refuses only what is over the limits, and its snippets are the card's
//! own text, escaped, with matches in `<b>`.
//!
//! `PROPTEST_CASES=2000 cargo test -p verity-index --test properties` runs longer.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use verity_index::{CardDoc, IndexError, SearchIndex, SearchRequest, limits};

/// Pieces of text cards are built from: every kind of character that has broken text
/// handling somewhere.
const PIECES: &[&str] = &[
    "deploy",
    "rollback",
    "Escalation",
    "getElementById",
    "std::vector<int>",
    "big-house",
    "snake_case",
    "C2001",
    "config.toml",
    "e\u{301}te\u{301}",      // combining acute accents
    "a\u{308}\u{301}\u{323}", // a stack of combining marks
    "Ǆemal",                  // a title-case digraph
    "İstanbul",               // lowercases to more bytes
    "straße",
    "\u{a0}",   // non-breaking space
    "\u{200b}", // zero-width space
    "\u{200d}", // zero-width joiner
    "\u{feff}", // byte-order mark
    "\u{2003}", // em space
    "\u{3000}", // ideographic space
    "\u{2028}", // line separator
    "😀",
    "👩\u{200d}💻", // a joined emoji
    "🇩🇪",
    "检查配置文件",
    "テストの設定",
    "한국어",
    "שלום עולם",
    "\u{200f}مرحبا\u{200f}",    // Arabic with right-to-left marks
    "\u{202e}reversed\u{202c}", // a right-to-left override
    "<script>",
    "&amp;",
    "\"quoted\"",
    "it's",
    "…",
    "-",
    "(",
    ")",
    ":",
    "*",
    "~",
    "^",
];

/// What separates pieces.
const GAPS: &[&str] = &[" ", " ", " ", "\n", "\u{a0}", "\u{3000}", "", "\t"];

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => proptest::sample::select(PIECES).prop_map(str::to_owned),
        3 => "[a-z]{1,12}",
        1 => "\\PC{1,8}",
        // A long run without spaces, of one- to four-byte characters.
        1 => (proptest::sample::select(&["x", "é", "检", "😀", "\u{a0}"][..]), 100usize..700)
            .prop_map(|(c, n)| c.repeat(n)),
    ]
}

/// A card body: pieces and gaps, sometimes behind a filler that puts what follows near
/// the snippet window's edges (160 bytes before a match, 640 around it, 8 KiB scanned).
fn body() -> impl Strategy<Value = String> {
    let filler = prop_oneof![Just(0usize), 150usize..170, 630usize..650, 8_170usize..8_200,];
    (
        filler,
        proptest::sample::select(&["a", "é", "检", "\u{a0}", "a b"][..]),
        prop::collection::vec((piece(), proptest::sample::select(GAPS)), 1..60),
    )
        .prop_map(|(bytes, unit, pieces)| {
            let mut text = unit.repeat(bytes / unit.len());
            for (piece, gap) in pieces {
                text.push_str(&piece);
                text.push_str(gap);
            }
            text
        })
}

/// A query made from the words of `bodies`: words, their starts, typos, phrases,
/// exclusions, operators, parentheses, fields, ranges and stray syntax.
fn query(bodies: Vec<String>) -> impl Strategy<Value = String> {
    let words: Vec<String> = bodies.iter().flat_map(|b| b.split_whitespace().map(str::to_owned)).collect();
    let words = if words.is_empty() { vec!["deploy".to_owned()] } else { words };
    let word = proptest::sample::select(words);
    let part = prop_oneof![
        4 => word.clone(),
        2 => (word.clone(), 1usize..6).prop_map(|(w, n)| w.chars().take(n).collect()),
        2 => (word.clone(), any::<prop::sample::Index>(), proptest::char::any()).prop_map(|(w, at, c)| {
            let mut chars: Vec<char> = w.chars().collect();
            let i = at.index(chars.len().max(1));
            if i < chars.len() { chars[i] = c } else { chars.push(c) }
            chars.into_iter().collect()
        }),
        1 => (word.clone(), word.clone()).prop_map(|(a, b)| format!("\"{a} {b}\"")),
        1 => word.clone().prop_map(|w| format!("-{w}")),
        1 => (word.clone(), word.clone()).prop_map(|(a, b)| format!("({a} OR {b})")),
        1 => (word.clone(), word.clone()).prop_map(|(a, b)| format!("{a} AND -{b}")),
        1 => word.clone().prop_map(|w| format!("title:{w}")),
        1 => (word.clone(), word.clone()).prop_map(|(a, b)| format!("body:[{a} TO {b}]")),
        1 => word.prop_map(|w| format!("+{w}^2 {w}~1 {w}*")),
        1 => proptest::sample::select(&["(", ")", "\"", "AND", "OR", "NOT", ":", "*", "title:", "body:>", "IN [", "\\"][..])
            .prop_map(str::to_owned),
        1 => "\\PC{1,6}",
    ];
    (prop::collection::vec(part, 1..6), any::<bool>()).prop_map(|(parts, typing)| {
        let q = parts.join(" ");
        // As typed in the box: no trailing space, so the last word completes.
        if typing { q } else { format!("{q} ") }
    })
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn card(id: i64, title: &str, text: &str) -> CardDoc {
    CardDoc {
        id,
        slug: format!("card-{id}"),
        title: title.to_owned(),
        headings: Vec::new(),
        text: text.to_owned(),
        tags: vec!["tag".to_owned()],
        collection: if id % 2 == 0 { "even" } else { "odd" }.to_owned(),
        due: None,
        updated_at: now(),
    }
}

fn index_of(bodies: &[String]) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(&dir.path().join("index")).unwrap();
    let mut writer = index.writer().unwrap();
    for (i, body) in bodies.iter().enumerate() {
        let title: String = body.chars().take(40).collect();
        writer.upsert(&card(i as i64 + 1, &title, body)).unwrap();
    }
    writer.commit(1).unwrap();
    index.reload().unwrap();
    (dir, index)
}

/// Searches taking longer than this are a failure (a debug build on a busy machine
/// answers these in milliseconds).
const BOUND: Duration = Duration::from_secs(5);

/// Searches `q` and checks what any answer must satisfy.
fn search_is_sane(index: &SearchIndex, bodies: &[String], q: &str) -> Result<(), TestCaseError> {
    for hidden in [vec![], vec!["odd".to_owned()]] {
        let req = SearchRequest { q: q.to_owned(), limit: 5, hidden_collections: hidden.clone(), ..Default::default() };
        let started = Instant::now();
        let found = index.search(&req, now());
        prop_assert!(started.elapsed() < BOUND, "{q:?} took {:?}", started.elapsed());
        let found = match found {
            Err(IndexError::QueryTooComplex(too_complex)) => {
                prop_assert_eq!(limits::check(q), Err(too_complex));
                return Ok(());
            }
            other => other.map_err(|e| TestCaseError::fail(format!("{q:?}: {e}")))?,
        };
        prop_assert!(limits::check(q).is_ok());
        prop_assert!(found.hits.len() <= 5 && found.hits.len() <= found.total, "{q:?}");
        prop_assert_eq!(found.facets.status.iter().map(|(_, n)| *n as usize).sum::<usize>(), found.total);
        for hit in &found.hits {
            prop_assert!(!hidden.contains(&hit.collection), "{q:?} showed a hidden card");
            let id: usize = hit.slug.trim_start_matches("card-").parse().unwrap();
            let body = &bodies[id - 1];
            let text = unescape(&hit.snippet_html).map_err(|e| TestCaseError::fail(format!("{q:?}: {e}")))?;
            let text = match text.strip_suffix('…') {
                Some(cut) if !body.contains(&text) => cut.to_owned(),
                _ => text,
            };
            prop_assert!(body.contains(&text), "{q:?}: snippet {:?} is not in {body:?}", hit.snippet_html);
        }
    }
    Ok(())
}

/// The text of a snippet: `<b>` and `</b>` (balanced, not nested) removed and entities
/// decoded; an error for anything else that is markup.
fn unescape(html: &str) -> Result<String, String> {
    let mut out = String::with_capacity(html.len());
    let mut bold = false;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let taken = match c {
            '<' if rest.starts_with("<b>") && !bold => {
                bold = true;
                3
            }
            '<' if rest.starts_with("</b>") && bold => {
                bold = false;
                4
            }
            '&' => {
                let entities = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&#x27;", '\'')];
                let Some((entity, c)) = entities.iter().find(|(e, _)| rest.starts_with(e)) else {
                    return Err(format!("a bare & in {html:?}"));
                };
                out.push(*c);
                entity.len()
            }
            '<' | '>' => return Err(format!("unescaped markup in {html:?}")),
            c => {
                out.push(c);
                c.len_utf8()
            }
        };
        rest = &rest[taken..];
    }
    if bold { Err(format!("an unclosed <b> in {html:?}")) } else { Ok(out) }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Random cards, random queries made of their words: no panic, bounded time, sane
    /// answers.
    #[test]
    fn any_text_and_any_query_search_without_panicking(
        (bodies, queries) in prop::collection::vec(body(), 1..6)
            .prop_flat_map(|bodies| (Just(bodies.clone()), prop::collection::vec(query(bodies), 8)))
    ) {
        let (_dir, index) = index_of(&bodies);
        for q in &queries {
            search_is_sane(&index, &bodies, q)?;
        }
    }

    /// A word of a card, typed alone, finds that card; its snippet is the card's text.
    #[test]
    fn a_word_of_a_card_finds_the_card(bodies in prop::collection::vec(body(), 1..6)) {
        let (_dir, index) = index_of(&bodies);
        for (i, body) in bodies.iter().enumerate() {
            let words = body.split_whitespace().filter(|w| w.len() <= 40 && w.chars().all(char::is_alphanumeric));
            for word in words.take(5) {
                search_is_sane(&index, &bodies, word)?;
                let req = SearchRequest { q: word.to_owned(), limit: 10, ..Default::default() };
                let found = index.search(&req, now()).unwrap();
                let slug = format!("card-{}", i + 1);
                prop_assert!(found.hits.iter().any(|h| h.slug == slug), "{word:?} did not find {slug}");
            }
        }
    }

    /// The planner and parser on any text at all, up to twice the length limit: no panic,
    /// bounded time.
    #[test]
    fn any_query_text_is_planned_in_bounded_time(q in "\\PC{0,2000}|[()\"a-z :*~^+\\-\\[\\]{}<>]{0,400}") {
        let bodies = vec!["deploy the rollback (with care) to title: \"staging\"".to_owned()];
        search_is_sane(shared_index(&bodies), &bodies, &q)?;
    }
}

/// One small index for the planner test, built once (on its first call's cards).
fn shared_index(bodies: &[String]) -> &'static SearchIndex {
    static INDEX: std::sync::OnceLock<(tempfile::TempDir, SearchIndex)> = std::sync::OnceLock::new();
    &INDEX.get_or_init(|| index_of(bodies)).1
}
