//! Search queries: whatever a person types, `SearchIndex::search` answers (a result or
//! an error) without panicking, and soon. The index is built once per process in a temp
//! dir, from the shipped `content/` cards and a few cards of awkward Unicode.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use verity_core::markdown;
use verity_index::{CardDoc, SearchIndex, SearchRequest};

/// Far above what a query over a hundred cards takes, even unoptimised: what is over it
/// is a query that costs more than its size explains.
pub const MAX_QUERY_TIME: Duration = Duration::from_secs(2);

pub fn check(data: &[u8]) {
    let Ok(q) = std::str::from_utf8(data) else { return };
    let index = sample_index();
    let requests = [
        SearchRequest { q: q.to_owned(), limit: 10, ..SearchRequest::default() },
        SearchRequest {
            q: q.to_owned(),
            hidden_collections: vec!["security".into()],
            limit: 5,
            offset: 5,
            ..SearchRequest::default()
        },
    ];
    for request in requests {
        let started = Instant::now();
        let _ = index.search(&request, now());
        let took = started.elapsed();
        assert!(took < MAX_QUERY_TIME, "the query {q:?} took {took:?}");
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

/// The shipped cards and a few awkward ones, indexed once per process.
pub fn sample_index() -> &'static SearchIndex {
    static INDEX: OnceLock<(tempfile::TempDir, SearchIndex)> = OnceLock::new();
    &INDEX.get_or_init(build).1
}

fn build() -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (index, _) = SearchIndex::open(dir.path()).expect("a fresh index");
    let mut writer = index.writer().expect("the index's writer");
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let scan = verity_content::scan(&content);
    assert!(!scan.files.is_empty(), "the shipped content is at {}", content.display());
    let shipped = scan.files.into_iter().map(|f| (f.slug.into_string(), f.collection.into_string(), f.draft));
    let awkward = AWKWARD.iter().enumerate().map(|(i, body)| {
        let draft = verity_content::parse(body, "awkward").expect("the awkward cards parse");
        (format!("awkward-{i}"), "awkward".to_owned(), draft)
    });
    for (id, (slug, collection, draft)) in shipped.chain(awkward).enumerate() {
        writer
            .upsert(&CardDoc {
                id: id as i64 + 1,
                slug,
                title: draft.title.clone(),
                headings: markdown::headings(&draft.body),
                text: markdown::to_text(&draft.body),
                tags: draft.tags.clone(),
                collection,
                due: None,
                updated_at: now(),
            })
            .expect("a card indexes");
    }
    writer.commit(1).expect("the index commits");
    index.reload().expect("the index reloads");
    (dir, index)
}

/// Cards whose text has multi-byte characters where snippets and highlights cut.
const AWKWARD: [&str; 5] = [
    "# Café\u{a0}policy\n\nThe café\u{a0}opens at\u{a0}9. Cafe\u{301}s nearby: none.\u{200b}Deploy\u{200b}ment.\n",
    "# 日本語のカード\n\n東京の事務所は九時に開きます。デプロイは金曜日にしない。\n",
    "# שלום\n\nמדיניות הפריסה: לא ביום שישי. Deploy policy in Hebrew.\n",
    "# Emoji 👩\u{200d}👩\u{200d}👧\n\nRocket 🚀 launches 🇳🇱 at noon; İstanbul office ß straße ﬁle.\n",
    "# Long\n\nword word word\u{a0}\u{a0}\u{a0}word word word word word word word word word word word word word word word word word word word word word word word word word word word word\u{301} end.\n",
];
