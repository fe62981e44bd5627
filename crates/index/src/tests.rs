//! The index on disk: writes, commit payloads, ranking, snippets, filters and facets.

use chrono::{DateTime, Duration, TimeZone, Utc};
use verity_core::Status;
use verity_core::verification::DueTimes;

use crate::{CardDoc, Opened, SearchIndex, SearchRequest};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn doc(id: i64, title: &str, text: &str, collection: &str, tags: &[&str], due_in_days: Option<i64>) -> CardDoc {
    CardDoc {
        id,
        slug: format!("card-{id}"),
        title: title.into(),
        headings: vec![],
        text: text.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        collection: collection.into(),
        due: due_in_days
            .map(|d| DueTimes { due_soon_at: now() + Duration::days(d - 7), due_at: now() + Duration::days(d) }),
        updated_at: now() - Duration::days(id),
    }
}

fn request(q: &str) -> SearchRequest {
    SearchRequest { q: q.into(), limit: 10, ..SearchRequest::default() }
}

fn sample(dir: &std::path::Path) -> SearchIndex {
    let (index, opened) = SearchIndex::open(dir).unwrap();
    assert_eq!(opened, Opened::Fresh);
    let mut w = index.writer().unwrap();
    for d in [
        doc(
            1,
            "Escalation policy",
            "When a customer is blocked, page the on-call engineer.",
            "communication",
            &["incidents"],
            Some(30),
        ),
        doc(
            2,
            "Deploying",
            "Deploys run from the main branch. Escalation is rarely needed.",
            "engineering",
            &["deploys"],
            Some(3),
        ),
        doc(3, "Expenses", "Submit receipts within thirty days.", "people", &["money"], Some(-5)),
        doc(
            4,
            "Incident reviews",
            "Every incident gets a written review within a week.",
            "engineering",
            &["incidents"],
            None,
        ),
    ] {
        w.upsert(&d).unwrap();
    }
    w.commit(42).unwrap();
    index.reload().unwrap();
    index
}

#[test]
fn commits_record_the_applied_change_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    drop(sample(dir.path()));
    let (index, opened) = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(opened, Opened::Existing);
    assert_eq!(index.applied_seq().unwrap(), 42);
    assert_eq!(index.num_docs(), 4);
}

#[test]
fn title_matches_outrank_body_matches_and_stems_match() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let r = index.search(&request("escalations"), now()).unwrap();
    assert_eq!(r.hits.iter().map(|h| h.slug.as_str()).collect::<Vec<_>>(), vec!["card-1", "card-2"]);
    assert_eq!(r.total, 2);
    assert!(r.hits[0].score > r.hits[1].score);
}

#[test]
fn snippets_highlight_the_matched_words_and_escape_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path()).unwrap();
    let mut w = index.writer().unwrap();
    w.upsert(&doc(
        1,
        "Markup",
        "Never write <script>alert(1)</script> in a runbook about rollbacks.",
        "eng",
        &[],
        None,
    ))
    .unwrap();
    w.commit(1).unwrap();
    index.reload().unwrap();
    let hit = &index.search(&request("rollback"), now()).unwrap().hits[0];
    assert!(hit.snippet_html.contains("<b>rollbacks</b>"), "{}", hit.snippet_html);
    assert!(hit.snippet_html.contains("&lt;script&gt;"), "{}", hit.snippet_html);
    assert!(!hit.snippet_html.contains("<script>"), "{}", hit.snippet_html);
}

#[test]
fn updates_replace_and_deletes_remove() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let mut w = index.writer().unwrap();
    w.upsert(&doc(1, "Paging policy", "Renamed.", "communication", &[], Some(30))).unwrap();
    w.delete(3);
    w.commit(43).unwrap();
    index.reload().unwrap();
    assert_eq!(index.num_docs(), 3);
    assert_eq!(index.search(&request("paging"), now()).unwrap().hits[0].slug, "card-1");
    assert_eq!(index.search(&request("receipts"), now()).unwrap().total, 0);
}

#[test]
fn status_is_computed_at_query_time_for_hits_filters_and_facets() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let all = index.search(&request(""), now()).unwrap();
    let status_of = |slug: &str| all.hits.iter().find(|h| h.slug == slug).unwrap().status;
    assert_eq!(
        [status_of("card-1"), status_of("card-2"), status_of("card-3"), status_of("card-4")],
        [Status::Verified, Status::DueSoon, Status::Stale, Status::Unverified]
    );
    for status in Status::ALL {
        let r = index.search(&SearchRequest { status: Some(status), ..request("") }, now()).unwrap();
        assert_eq!(r.total, 1, "{status}");
        assert_eq!(r.hits[0].status, status);
    }
    // Forty days on, the card that was verified is stale too, without any write.
    let later = index
        .search(&SearchRequest { status: Some(Status::Stale), ..request("") }, now() + Duration::days(40))
        .unwrap();
    assert_eq!(later.total, 3);
    assert_eq!(all.facets.status.iter().map(|(_, n)| n).sum::<u64>(), 4);
}

#[test]
fn facets_count_the_matches_and_filters_narrow_them() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let r = index.search(&request("incident OR escalation"), now()).unwrap();
    assert_eq!(r.facets.collection, vec![("engineering".to_string(), 2), ("communication".to_string(), 1)]);
    assert_eq!(r.facets.tag[0], ("incidents".to_string(), 2));
    let narrowed = index
        .search(&SearchRequest { collection: Some("engineering".into()), ..request("incident OR escalation") }, now())
        .unwrap();
    assert_eq!(narrowed.total, 2);
    let tagged = index.search(&SearchRequest { tag: Some("incidents".into()), ..request("") }, now()).unwrap();
    assert_eq!(tagged.total, 2);
}

#[test]
fn browsing_without_words_lists_newest_first_with_paging() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let r = index.search(&SearchRequest { limit: 2, offset: 1, ..request("  ") }, now()).unwrap();
    assert_eq!(r.total, 4);
    assert_eq!(r.hits.iter().map(|h| h.slug.as_str()).collect::<Vec<_>>(), vec!["card-2", "card-3"]);
}

#[test]
fn queries_the_parser_rejects_still_search() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    for q in ["\"unbalanced AND ( -", "title:", "((((", "escalation AND", "*", "::", "-"] {
        index.search(&request(q), now()).unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
    assert!(index.search(&request("escalation AND ("), now()).unwrap().total >= 1);
}

#[test]
fn a_second_writer_is_refused_not_corrupting() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let _first = index.writer().unwrap();
    assert!(matches!(index.writer(), Err(crate::IndexError::Locked)));
}

#[test]
fn a_changed_schema_version_starts_fresh() {
    let dir = tempfile::tempdir().unwrap();
    drop(sample(dir.path()));
    std::fs::write(dir.path().join(crate::VERSION_FILE), "0").unwrap();
    let (index, opened) = SearchIndex::open(dir.path()).unwrap();
    assert_eq!((opened, index.num_docs(), index.applied_seq().unwrap()), (Opened::Fresh, 0, 0));
}

#[test]
fn at_equal_relevance_verified_cards_rank_above_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path()).unwrap();
    let mut w = index.writer().unwrap();
    // Same words; the stale one is newer, so recency alone would put it first.
    let mut stale = doc(1, "Expense policy", "Receipts within thirty days.", "people", &[], Some(-3));
    stale.updated_at = now();
    let mut verified = doc(2, "Expense policy", "Receipts within thirty days.", "people", &[], Some(60));
    verified.updated_at = now() - Duration::days(300);
    let unverified = doc(3, "Expense policy", "Receipts within thirty days.", "people", &[], None);
    for d in [&stale, &verified, &unverified] {
        w.upsert(d).unwrap();
    }
    w.commit(1).unwrap();
    index.reload().unwrap();
    let r = index.search(&request("expense receipts"), now()).unwrap();
    let slugs: Vec<&str> = r.hits.iter().map(|h| h.slug.as_str()).collect();
    assert_eq!(slugs, vec!["card-2", "card-3", "card-1"]);
    // A clearly better match still wins over trust.
    drop(w);
    let mut w = index.writer().unwrap();
    w.upsert(&doc(4, "Expense receipts expense receipts", "Expense receipts.", "people", &[], Some(-30))).unwrap();
    w.commit(2).unwrap();
    index.reload().unwrap();
    assert_eq!(index.search(&request("expense receipts"), now()).unwrap().hits[0].slug, "card-4");
}

#[test]
fn typos_are_forgiven_without_pushing_exact_matches_down() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let r = index.search(&request("escalaton polcy"), now()).unwrap();
    assert_eq!(r.hits.first().map(|h| h.slug.as_str()), Some("card-1"), "finds Escalation policy");
    // An exact word outranks a near miss: "reviews" is exact in card 4, a typo of nothing.
    let mut w = index.writer().unwrap();
    w.upsert(&doc(5, "Incident reveiws", "Misspelt title, same topic.", "engineering", &[], None)).unwrap();
    w.commit(43).unwrap();
    index.reload().unwrap();
    let r = index.search(&request("incident reviews"), now()).unwrap();
    assert_eq!(r.hits[0].slug, "card-4");
    // A known word is not expanded: "deploys" must not also match "employs"-like noise.
    let r = index.search(&request("receipts"), now()).unwrap();
    assert_eq!(r.total, 1);
}

#[test]
fn the_last_word_matches_as_a_prefix_while_typing() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    assert_eq!(index.search(&request("escalat"), now()).unwrap().hits[0].slug, "card-1");
    assert_eq!(index.search(&request("customer blo"), now()).unwrap().hits[0].slug, "card-1");
    assert_eq!(
        index.search(&request("bloc"), now()).unwrap().hits[0].slug,
        "card-1",
        "\"bloc\" is the start of \"blocked\""
    );
    // Finished words (a trailing space) are not prefixes.
    assert_eq!(index.search(&request("bloc "), now()).unwrap().total, 0);
    // Syntax is taken as written.
    assert_eq!(index.search(&request("\"bloc\""), now()).unwrap().total, 0);
}

#[test]
fn related_cards_share_words_and_exclude_the_card_itself() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let related = index.related(4, 3, &[], now()).unwrap();
    let slugs: Vec<&str> = related.iter().map(|h| h.slug.as_str()).collect();
    assert!(!slugs.contains(&"card-4"), "{slugs:?}");
    assert!(slugs.contains(&"card-1"), "the other incidents card is related: {slugs:?}");
    assert_eq!(index.related(999, 3, &[], now()).unwrap().len(), 0, "an unknown card has none");
    // After updates (deleted documents in the segments) it still works.
    let mut w = index.writer().unwrap();
    for _ in 0..3 {
        w.upsert(&doc(
            1,
            "Escalation policy",
            "When a customer is blocked, page the on-call engineer.",
            "communication",
            &["incidents"],
            Some(30),
        ))
        .unwrap();
    }
    w.commit(50).unwrap();
    index.reload().unwrap();
    assert!(index.related(4, 3, &[], now()).unwrap().iter().any(|h| h.slug == "card-1"));
}

#[test]
fn hidden_collections_leave_no_trace_in_hits_totals_facets_or_related() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let hidden = vec!["communication".to_string()];
    let req = SearchRequest { hidden_collections: hidden.clone(), ..request("escalation") };
    let found = index.search(&req, now()).unwrap();
    assert_eq!(found.total, 1, "only the deploying card is visible");
    assert_eq!(found.hits[0].slug, "card-2");
    assert!(found.facets.collection.iter().all(|(c, _)| c != "communication"), "{:?}", found.facets.collection);
    assert!(found.facets.tag.iter().all(|(t, n)| t != "incidents" || *n == 1), "{:?}", found.facets.tag);
    // Browsing without words hides them too.
    let browse = index.search(&SearchRequest { hidden_collections: hidden.clone(), ..request("") }, now()).unwrap();
    assert_eq!(browse.total, 3);
    // A filter naming the hidden collection finds nothing rather than its cards.
    let named =
        SearchRequest { collection: Some("communication".into()), hidden_collections: hidden.clone(), ..request("") };
    assert_eq!(index.search(&named, now()).unwrap().total, 0);
    let related = index.related(4, 3, &hidden, now()).unwrap();
    assert!(related.iter().all(|h| h.collection != "communication"), "{related:?}");
    assert!(index.related(4, 3, &[], now()).unwrap().iter().any(|h| h.collection == "communication"));
}

#[test]
fn a_word_only_hidden_cards_have_is_unknown_to_typo_tolerance() {
    // "clandestina" is visible; "clandestine" only in a hidden card. A viewer searching
    // for either misspelling-neighbour must get the same typo matches, or the difference
    // tells them the hidden word exists.
    let (_dir, index) = index_of(&[
        doc(1, "Open notes", "The clandestina project.", "general", &[], None),
        doc(2, "Merger plans", "Clandestine details.", "secret", &[], None),
    ]);
    let hidden = vec!["secret".to_string()];
    let total = |q: &str, hidden: &[String]| {
        let req = SearchRequest { hidden_collections: hidden.to_vec(), ..request(q) };
        index.search(&req, now()).unwrap().total
    };
    for suffix in ["", " -qqqq"] {
        let (hidden_word, nowhere) = (format!("clandestine{suffix}"), format!("clandestino{suffix}"));
        assert_eq!(total(&hidden_word, &hidden), 1, "typo match of the open card for {hidden_word:?}");
        assert_eq!(total(&hidden_word, &hidden), total(&nowhere, &hidden), "{suffix:?}");
        // Whoever may read the card finds it exactly (and no typo matches).
        assert_eq!(total(&hidden_word, &[]), 1);
    }
}

#[test]
fn did_you_mean_is_not_crowded_out_by_words_only_hidden_cards_have() {
    // Five words one edit from "marketingz" sort before the visible "marketings", and only
    // the first five candidates were tried: a viewer got no suggestion, which told them
    // hidden cards hold such words.
    let (_dir, index) = index_of(&[
        doc(1, "Plans", "marketinga marketingb marketingc marketingd marketinge", "secret", &[], None),
        doc(2, "Open", "Our marketings are public.", "general", &[], None),
    ]);
    let suggestion = |hidden: &[String]| {
        let req = SearchRequest { hidden_collections: hidden.to_vec(), ..request("marketingz") };
        index.search(&req, now()).unwrap().suggestion
    };
    assert_eq!(suggestion(&["secret".into()]).as_deref(), Some("marketings"));
    assert_eq!(suggestion(&[]).as_deref(), Some("marketinga"), "whoever sees all gets the first");
}

#[test]
fn completions_are_not_crowded_out_by_words_only_hidden_cards_have() {
    // 70 words starting with "zeta" fill hidden cards, each in two of them; the one
    // visible continuation is in a single card, so it is not among the 64 most common.
    let mut docs: Vec<CardDoc> = (1..=140)
        .map(|i| doc(i, "Hidden", &format!("about zetahidden{:02}", (i + 1) / 2), "secret", &[], None))
        .collect();
    docs.push(doc(200, "Visible", "about zetavisible", "general", &[], None));
    let (_dir, index) = index_of(&docs);
    let req = SearchRequest { hidden_collections: vec!["secret".into()], ..request("zeta") };
    let found = index.search(&req, now()).unwrap();
    assert_eq!(found.hits.iter().map(|h| h.slug.as_str()).collect::<Vec<_>>(), vec!["card-200"]);
    // Whoever sees everything gets the 64 most common continuations, as before.
    let all = index.search(&SearchRequest { limit: 200, ..request("zeta") }, now()).unwrap();
    assert_eq!(all.total, 2 * crate::completions::MAX_COMPLETIONS);
}

fn index_of(docs: &[CardDoc]) -> (tempfile::TempDir, SearchIndex) {
    index_with_threads(docs, 4)
}

fn index_with_threads(docs: &[CardDoc], threads: usize) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open_with_threads(dir.path(), threads).unwrap();
    let mut w = index.writer().unwrap();
    for d in docs {
        w.upsert(d).unwrap();
    }
    w.commit(1).unwrap();
    index.reload().unwrap();
    (dir, index)
}

fn slugs(index: &SearchIndex, q: &str) -> Vec<String> {
    index.search(&request(q), now()).unwrap().hits.into_iter().map(|h| h.slug).collect()
}

#[test]
fn hyphenated_and_punctuated_words_are_found_whole_and_by_their_parts() {
    let (_dir, index) = index_of(&[
        doc(1, "Housing", "We live in a big-house near the station.", "eng", &[], None),
        doc(2, "Configs", "Settings live in config.toml and src/main.rs.", "eng", &[], None),
    ]);
    for q in ["house", "big house", "big-house", "\"big house\"", "toml", "config.toml", "main.rs"] {
        assert!(!slugs(&index, q).is_empty(), "{q}");
    }
    assert_eq!(slugs(&index, "big-house"), vec!["card-1"]);
    assert_eq!(slugs(&index, "bighouse"), vec!["card-1"], "written together");
}

#[test]
fn code_identifiers_are_found_by_their_parts_and_whole_and_whole_ranks_first() {
    let (_dir, index) = index_of(&[
        doc(1, "DOM lookups", "Call `document.getElementById(id)` to find one element by its id.", "eng", &[], None),
        doc(2, "Vectors", "Prefer std::vector over raw arrays; the vector grows.", "eng", &[], None),
        doc(3, "Naming", "Functions use snake_case like parse_config.", "eng", &[], None),
        doc(4, "Element ids", "Get the element by id: every element has an id, get it by id.", "eng", &[], None),
        doc(5, "Build errors", "Fatal error C2001: newline in constant. Linker: LNK2019 unresolved.", "eng", &[], None),
    ]);
    assert_eq!(slugs(&index, "getElementById")[0], "card-1", "the exact identifier first");
    assert!(slugs(&index, "element").contains(&"card-1".to_string()));
    assert_eq!(slugs(&index, "std::vector"), vec!["card-2"]);
    assert_eq!(slugs(&index, "vector")[0], "card-2");
    assert_eq!(slugs(&index, "config"), vec!["card-3"], "parse_config");
    assert_eq!(slugs(&index, "snake_case"), vec!["card-3"]);
    assert_eq!(slugs(&index, "c2001"), vec!["card-5"]);
    assert_eq!(slugs(&index, "lnk2019"), vec!["card-5"]);
    assert_eq!(slugs(&index, "LNK2019 unresolved"), vec!["card-5"]);
}

#[test]
fn stop_words_do_not_drown_the_words_that_matter_but_alone_still_search() {
    let (_dir, index) = index_of(&[
        doc(1, "The the the", "The of the and the to the is the a the.", "eng", &[], None),
        doc(2, "Rollbacks", "How to roll back a deploy.", "eng", &[], None),
        doc(3, "Hamlet", "To be, or not to be: that is the question.", "eng", &[], None),
        doc(4, "The Who", "The Who played live.", "eng", &[], None),
    ]);
    assert_eq!(slugs(&index, "the rollbacks of the"), vec!["card-2"]);
    assert_eq!(slugs(&index, "to be or not to be")[0], "card-3");
    assert_eq!(slugs(&index, "the who")[0], "card-4");
}

#[test]
fn chinese_and_japanese_text_is_found_by_its_words() {
    let (_dir, index) = index_of(&[
        doc(1, "部署", "部署前请检查配置。", "eng", &[], None),
        doc(2, "手順", "デプロイ手順はこちら。", "eng", &[], None),
        doc(3, "Other", "配 and 置 apart; 检 查 apart.", "eng", &[], None),
    ]);
    assert_eq!(slugs(&index, "检查配置"), vec!["card-1"]);
    assert_eq!(slugs(&index, "配置"), vec!["card-1"]);
    assert_eq!(slugs(&index, "デプロイ手順"), vec!["card-2"]);
    assert_eq!(slugs(&index, "デプロイ"), vec!["card-2"]);
}

#[test]
fn cards_with_every_word_rank_above_cards_with_some() {
    let (_dir, index) = index_of(&[
        // Many mentions of one word, in the title too...
        doc(1, "Rollback rollback", "Rollback, rollback, rollback the release.", "eng", &[], None),
        // ...lose to one mention of each.
        doc(2, "Notes", "A database migration may need a rollback.", "eng", &[], None),
        doc(3, "Database", "Database database database.", "eng", &[], None),
    ]);
    assert_eq!(slugs(&index, "database rollback")[0], "card-2");
}

#[test]
fn a_card_with_most_of_a_long_query_outranks_a_long_card_that_merely_has_every_word() {
    // A page's description typed whole: its page lacks a word or two ("learn") but has the
    // rest in its title and a short body; a long page mentions every word, far apart.
    let filler = "Release tooling changed in many small ways this year across teams. ".repeat(20);
    let long = format!(
        "{filler} Learn the new build flags. {filler} A compiler warning moved. {filler} \
         One error message was reworded. {filler} The C2065 page is elsewhere. {filler} \
         Each identifier is checked. {filler} Nothing undeclared remains."
    );
    let mut cards = vec![
        doc(
            1,
            "Compiler error C2065",
            "The identifier is undeclared: the compiler finds no declaration of it.",
            "eng",
            &[],
            None,
        ),
        doc(2, "Release notes", &long, "eng", &[], None),
    ];
    cards.extend(
        (3..13).map(|i| doc(i, &format!("Note {i}"), "Deploys and rollbacks, nothing else.", "eng", &[], None)),
    );
    let (_dir, index) = index_of(&cards);
    assert_eq!(slugs(&index, "Learn about compiler error C2065, an undeclared identifier")[0], "card-1");
}

#[test]
fn exact_matches_rank_above_typo_matches_and_typos_only_expand_when_few_hits() {
    let (_dir, index) = index_of(&[
        doc(1, "Deploy", "How to deploy.", "eng", &[], None),
        doc(2, "Deplot", "A deplot is a chart.", "eng", &[], None),
    ]);
    // "deploy" is known: no typo expansion, so "deplot" is not a match at all.
    assert_eq!(slugs(&index, "deploy "), vec!["card-1"]);
    // "deplyo" is unknown: both are one edit away (a swap, a substitution).
    let r = index.search(&request("deplyo "), now()).unwrap();
    assert!(!r.hits.is_empty());
    // An exact word plus a typo: the exact match comes first.
    let r = slugs(&index, "chart deplyo ");
    assert_eq!(r[0], "card-2");
}

#[test]
fn a_query_that_finds_little_suggests_a_visible_correction() {
    let (_dir, index) = index_of(&[
        doc(1, "Escalation policy", "Who to page and when.", "communication", &[], None),
        doc(2, "Secret project", "Codename zeppelin.", "board", &[], None),
    ]);
    let r = index.search(&request("escalaton polcy"), now()).unwrap();
    assert_eq!(r.suggestion.as_deref(), Some("escalation policy"));
    assert_eq!(index.search(&request("escalation"), now()).unwrap().suggestion, None, "found: nothing to correct");
    assert_eq!(index.search(&request("qqqqqqq"), now()).unwrap().suggestion, None, "nothing near");
    // "zepelin" is one edit from a word only hidden cards have: no suggestion.
    let hidden = SearchRequest { hidden_collections: vec!["board".into()], ..request("zepelin") };
    let r = index.search(&hidden, now()).unwrap();
    assert_eq!((r.total, r.suggestion), (0, None));
    assert_eq!(index.search(&request("zepelin"), now()).unwrap().suggestion.as_deref(), Some("zeppelin"));
    // Filters count too: the correction must find cards in the chosen collection.
    let filtered = SearchRequest { collection: Some("communication".into()), ..request("zepelin") };
    assert_eq!(index.search(&filtered, now()).unwrap().suggestion, None);
}

#[test]
fn quoted_phrases_and_exclusions_work_and_broken_syntax_searches_the_words() {
    let (_dir, index) = index_of(&[
        doc(1, "Release", "Roll back the release first.", "eng", &[], None),
        doc(2, "Back office", "The release of back office tools.", "eng", &[], None),
    ]);
    assert_eq!(slugs(&index, "\"roll back\""), vec!["card-1"]);
    assert_eq!(slugs(&index, "release -office"), vec!["card-1"]);
    for q in ["\"unclosed release", "title:", "((", "AND OR", "release AND (", "std::", "::x", "-", "+"] {
        index.search(&request(q), now()).unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
    assert_eq!(slugs(&index, "\"unclosed release").len(), 2, "the words still search");
    assert_eq!(slugs(&index, "office AND (")[0], "card-2");
}

#[test]
fn phrases_match_adjacent_words_in_any_field_and_rank_as_one_word() {
    let (_dir, index) = index_of(&[
        doc(1, "Escalation policy", "Who to page.", "ops", &[], None),
        doc(2, "Paging", "Our escalation policies, and the pager rota.", "ops", &[], None),
        doc(3, "Policy", "Escalation is rare; the policy is below.", "ops", &[], None),
        doc(4, "Colours", "red green apples and green blue skies", "eng", &[], None),
        doc(5, "Palette", "red green blue", "eng", &["escalation policy"], None),
        doc(6, "Docs", "Call getElementById now", "eng", &[], None),
    ]);
    let sorted = |q: &str| {
        let mut found = slugs(&index, q);
        found.sort();
        found
    };
    // In the title, stemmed in the body, in a tag; not with the words apart.
    assert_eq!(sorted("\"escalation policy\""), ["card-1", "card-2", "card-5"]);
    assert_eq!(slugs(&index, "\"escalation policy\"")[0], "card-1", "the title match first");
    // Three words: card 4 has "red green" and "green blue", but not all three in a row.
    assert_eq!(slugs(&index, "\"red green blue\""), ["card-5"]);
    assert_eq!(sorted("\"green blue\""), ["card-4", "card-5"]);
    assert!(slugs(&index, "\"blue green\"").is_empty(), "in order");
    // An identifier inside a phrase matches by its parts.
    assert_eq!(slugs(&index, "\"call getElementById\""), ["card-6"]);
    assert_eq!(slugs(&index, "\"element by\""), ["card-6"]);
    // A phrase is one word of the ranking: the card with it and the other word first.
    assert_eq!(slugs(&index, "\"escalation policy\" pager")[0], "card-2");
    // Excluded phrases leave out only the cards with the phrase.
    assert_eq!(slugs(&index, "escalation -\"escalation policy\""), ["card-3"]);
    assert_eq!(slugs(&index, "\"red green\" -skies"), ["card-5"]);
}

/// Phrases of common words are read from pair terms where cards have them (see `pairs`):
/// they must find and score exactly what reading every card's positions does, in cards
/// indexed before and after their words became common, and in every searched field.
#[test]
fn phrases_of_common_words_find_and_score_what_reading_positions_does() {
    let cards: [(&str, &str, &[&str], &[&str]); 18] = [
        ("Escalation policy", "Who to page when the escalation policy applies.", &["escalation policy"], &[]),
        ("Paging", "Our escalation policies, and the policy escalation path.", &[], &[]),
        ("Policy", "Escalation is rare; the policy is below.", &[], &["Escalation policy review"]),
        ("Houses", "The big-house rules and the big house rules differ.", &[], &[]),
        ("Rules", "House rules: no big-house parties. Policy of the house.", &["house rules"], &[]),
        ("Misc", "Escalation policy escalation policy, twice.", &[], &[]),
        ("Art", "State of the art tooling is the state of the art.", &[], &[]),
        ("State", "The state of the art and the art of the state.", &[], &["State of the art"]),
        ("Tools", "Art state of mind; state the art plainly.", &[], &[]),
        ("Policy art", "The escalation policy is state of the art.", &[], &[]),
        ("House", "Big house, big-house, big houses.", &["big house"], &[]),
        ("Other", "Nothing to see: art, state, policy.", &[], &[]),
        ("Escalation policy review", "Review the escalation policy of the state.", &[], &[]),
        ("Art of escalation", "The art of the escalation policy.", &["state of the art"], &[]),
        ("Big house rules", "State of the art house rules for the big house.", &[], &["House rules"]),
        ("Review", "An escalation policy review, state of the art.", &[], &[]),
        ("Escalation", "Policy: escalation. Escalation: policy.", &[], &[]),
        ("Plain", "The art is in the house.", &[], &[]),
    ];
    let docs: Vec<CardDoc> = cards
        .iter()
        .enumerate()
        .map(|(i, (title, body, tags, headings))| CardDoc {
            headings: headings.iter().map(|h| h.to_string()).collect(),
            ..doc(i as i64 + 1, title, body, "eng", tags, None)
        })
        .collect();
    // Three commits and an update, so cards are indexed before and after words join.
    let build = |common_in: Option<u64>| {
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = SearchIndex::open(dir.path()).unwrap();
        if let Some(cards) = common_in {
            index.set_common_in(cards);
        }
        let mut w = index.writer().unwrap();
        for (seq, batch) in docs.chunks(6).chain([&docs[..2]]).enumerate() {
            for d in batch {
                w.upsert(d).unwrap();
            }
            w.commit(seq as i64 + 1).unwrap();
            index.reload().unwrap();
        }
        (dir, index)
    };
    let (_a, paired) = build(Some(3));
    let (_b, positions) = build(None);
    assert!(paired.common_words().version() >= 2, "words joined as the index grew");
    assert_eq!(positions.common_words().version(), 0);
    let found = |index: &SearchIndex, q: &str| {
        let results = index.search(&request(q), now()).unwrap();
        (results.total, results.hits.into_iter().map(|h| (h.slug, h.score)).collect::<Vec<_>>())
    };
    for phrase in [
        "escalation policy",
        "policy escalation",
        "state of the art",
        "the art",
        "of the",
        "big house",
        "big-house",
        "house rules",
        "escalation policy review",
        "art state",
    ] {
        let q = format!("\"{phrase}\"");
        let (total, hits) = found(&paired, &q);
        assert!(total > 0, "{phrase}");
        assert_eq!((total, hits), found(&positions, &q), "{phrase}");
        // Mixed with other words too.
        let q = format!("{q} review");
        assert_eq!(found(&paired, &q), found(&positions, &q), "{phrase} review");
    }
}

#[test]
fn a_word_repeated_or_in_another_form_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let score = |q: &str| index.search(&request(q), now()).unwrap().hits.iter().map(|h| h.score).collect::<Vec<_>>();
    assert_eq!(score("review reviews"), score("review"));
    assert_eq!(score("incident incident"), score("incident"));
}

#[test]
fn ranked_pages_follow_on_without_gaps_or_repeats() {
    let docs: Vec<CardDoc> = (1..=25)
        .map(|i| doc(i, &format!("Note {i}"), &"release ".repeat(i as usize % 7 + 1), "eng", &[], None))
        .collect();
    let (_dir, index) = index_of(&docs);
    let all = index.search(&SearchRequest { limit: 25, ..request("release") }, now()).unwrap();
    assert_eq!((all.total, all.hits.len()), (25, 25));
    let mut paged = Vec::new();
    for offset in (0..25).step_by(10) {
        let page = index.search(&SearchRequest { limit: 10, offset, ..request("release") }, now()).unwrap();
        assert_eq!(page.total, 25);
        paged.extend(page.hits.into_iter().map(|h| h.slug));
    }
    assert_eq!(paged, all.hits.iter().map(|h| h.slug.clone()).collect::<Vec<_>>());
    // Best first (relevance to two decimals; recency orders the ties).
    let relevance = |score: f32| (score * 100.0).round() as i64;
    assert!(all.hits.windows(2).all(|w| relevance(w[0].score) >= relevance(w[1].score)));
    assert!(relevance(all.hits[0].score) > relevance(all.hits[24].score));
}

#[test]
fn snippets_of_long_cards_show_the_first_match_and_never_a_false_start() {
    let filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(40);
    let text = format!("{filler} The consoles restart nightly. {filler} Use const for fixed values. {filler}");
    let (_dir, index) = index_of(&[doc(1, "Build notes", &text, "eng", &[], None)]);
    let hit = |q: &str| index.search(&request(q), now()).unwrap().hits.remove(0).snippet_html;
    // Deep in the card, highlighted, with the words around it.
    let console = hit("console");
    assert!(console.contains("The <b>consoles</b>"), "{console}");
    // "cons" starts "consectetur" long before: the snippet is still where "const" is.
    let constant = hit("const");
    assert!(constant.contains("Use <b>const</b>"), "{constant}");
    // A match beyond what snippets look at (8 KiB): the card's beginning.
    let far = format!("{} tachyon", "word ".repeat(2000));
    let (_dir, index) = index_of(&[doc(1, "Far", &far, "eng", &[], None)]);
    let snippet = index.search(&request("tachyon"), now()).unwrap().hits.remove(0).snippet_html;
    assert!(snippet.starts_with("word word") && !snippet.contains("<b>"), "{snippet:.60}");
}

#[test]
fn a_snippet_window_never_starts_inside_a_multibyte_space() {
    // The window around a match starts after the first space in the 160 bytes before it;
    // when that space was a non-breaking one (two bytes), it started on its second byte
    // and slicing there panicked (cpp-docs at 100k cards: "start byte index 418 is not a
    // char boundary; it is inside '\u{a0}'").
    for space in ['\u{a0}', '\u{2003}', '\u{3000}'] {
        let text = format!("{}{space}{} snippetword and more", "a".repeat(100), "b".repeat(100));
        let (_dir, index) = index_of(&[doc(1, "Spaces", &text, "eng", &[], None)]);
        let found = index.search(&request("snippetword"), now()).unwrap();
        let snippet = &found.hits[0].snippet_html;
        assert!(snippet.contains("<b>snippetword</b>"), "{snippet}");
        assert!(snippet.starts_with(&"b".repeat(10)), "starts on the word after the space: {snippet}");
    }
}

#[test]
fn phrases_excluded_in_query_syntax_leave_cards_out_without_tripping_tantivy() {
    // tantivy asked the excluded phrase (only in bodies, so one phrase scorer) about the
    // first card, before the phrase's first match, and its phrase scorer asserts it is
    // never asked that: debug builds panicked.
    let (_dir, index) = index_of(&[
        doc(1, "Deploy notes", "Nothing about houses.", "eng", &[], None),
        doc(2, "Deploy twice", "The big house.", "eng", &[], None),
        doc(3, "Deploy again", "A big house here too.", "eng", &[], None),
    ]);
    for q in [r#"title:deploy -"big house""#, r#"(title:deploy -"big house")^2"#] {
        assert_eq!(slugs(&index, q), vec!["card-1"], "{q}");
    }
}

#[test]
fn syntax_that_parses_but_cannot_run_searches_the_words() {
    // `title:*` asks which cards have a title, which only fast fields can answer: the
    // search failed with a schema error (a 500) instead of searching the words.
    let (_dir, index) = index_of(&[doc(1, "Deploy notes", "About deploys.", "eng", &[], None)]);
    for q in ["title:* deploy", "deploy body:*"] {
        assert_eq!(slugs(&index, q), vec!["card-1"], "{q}");
    }
}

#[test]
fn facet_counts_follow_updates_and_deletes_across_segments() {
    let dir = tempfile::tempdir().unwrap();
    let index = sample(dir.path());
    let counts = |index: &SearchIndex| {
        let r = index.search(&request(""), now()).unwrap();
        (r.total, r.facets.collection, r.facets.tag, r.facets.status)
    };
    let (total, collections, _, _) = counts(&index);
    assert_eq!(total, 4);
    assert!(collections.contains(&("people".to_string(), 1)), "{collections:?}");

    // A second segment: card 3 moves to engineering with new tags, card 4 goes, a new card comes.
    let mut w = index.writer().unwrap();
    w.upsert(&doc(3, "Expenses", "Submit receipts.", "engineering", &["money", "travel"], Some(30))).unwrap();
    w.delete(4);
    w.upsert(&doc(5, "Travel", "Book trains early.", "people", &["travel"], None)).unwrap();
    w.commit(2).unwrap();
    index.reload().unwrap();

    let (total, collections, tags, statuses) = counts(&index);
    assert_eq!(total, 4);
    assert_eq!(
        collections,
        vec![("engineering".to_string(), 2), ("communication".to_string(), 1), ("people".to_string(), 1)]
    );
    assert_eq!(tags[0], ("travel".to_string(), 2), "{tags:?}");
    assert!(tags.contains(&("money".to_string(), 1)), "{tags:?}");
    assert_eq!(tags.iter().find(|(t, _)| t == "incidents").map(|(_, n)| *n), Some(1), "card 4 is gone: {tags:?}");
    // Card 3 is no longer stale (due in 30 days); card 5 is unverified, card 4 gone.
    let count = |status| statuses.iter().find(|(s, _)| *s == status).map_or(0, |(_, n)| *n);
    let by_status = [Status::Verified, Status::DueSoon, Status::Stale, Status::Unverified].map(count);
    assert_eq!(by_status, [2, 1, 0, 1], "{statuses:?}");
    // Counting a word's matches in both segments.
    let r = index.search(&request("receipts OR trains"), now()).unwrap();
    assert_eq!((r.total, r.facets.collection.len()), (2, 2));
}

#[test]
fn short_pages_skip_cards_that_cannot_make_them_yet_equal_the_full_ranking() {
    // Every card has "alpha" in its body, some in the title, some "beta" too, with
    // lengths, collections, tags and statuses varying.
    let docs: Vec<CardDoc> = (1..=400)
        .map(|i| {
            let title = if i % 37 == 0 { format!("Alpha note {i}") } else { format!("Note {i}") };
            let mut body = "alpha ".repeat(i as usize % 5 + 1) + &"filler words here ".repeat(i as usize % 11);
            if i % 3 == 0 {
                body.push_str(" beta");
            }
            if i % 50 == 0 {
                body.push_str(" betamax");
            }
            let collection = ["eng", "ops", "people"][i as usize % 3];
            let due = [Some(30), Some(3), Some(-5), None][i as usize % 4];
            doc(i, &title, &body, collection, &[["x", "y"][i as usize % 2]], due)
        })
        .collect();
    // One thread: the count of scored cards is kept per thread.
    let (_dir, index) = index_with_threads(&docs, 1);
    let scored = |req: &SearchRequest| {
        crate::coordination::SCORED.with(|n| n.set(0));
        let found = index.search(req, now()).unwrap();
        (found, crate::coordination::SCORED.with(|n| n.get()))
    };
    // A trailing space: no prefix matches, so the words' query is the whole query. (Under
    // a union with prefix matches, tantivy scores blocks of 4096 cards before the page
    // sees any, so pruning starts only past the first block.)
    // (query, pruned: whether the first page scores under half the matches)
    let queries = [
        ("alpha ", true),
        ("alpha beta ", true),
        ("beta alpha filler ", true),
        ("alpha", false),
        ("alpha bet", false),
        ("\"filler words\" beta ", true),
        ("\"alpha filler words\" ", false),
    ];
    for (q, pruned) in queries {
        for collection in [None, Some("ops".to_string())] {
            let full_request = SearchRequest { limit: 400, collection: collection.clone(), ..request(q) };
            let (full, scored_all) = scored(&full_request);
            for offset in [0, 5, 40] {
                let page_request = SearchRequest { limit: 5, offset, collection: collection.clone(), ..request(q) };
                let (page, scored_page) = scored(&page_request);
                let expected: Vec<_> = full.hits.iter().skip(offset).take(5).map(|h| (&h.slug, h.score)).collect();
                let got: Vec<_> = page.hits.iter().map(|h| (&h.slug, h.score)).collect();
                assert_eq!(got, expected, "{q:?} in {collection:?} from {offset}");
                assert_eq!(page.total, full.total);
                assert_eq!(page.facets.collection, full.facets.collection);
                assert_eq!(page.facets.tag, full.facets.tag);
                assert_eq!(page.facets.status, full.facets.status);
                if offset == 0 && collection.is_none() && pruned {
                    assert!(scored_page * 2 < scored_all, "{q:?}: scored {scored_page} of {scored_all}");
                }
            }
        }
    }
}

#[test]
fn an_unfinished_word_completes_to_its_most_common_continuations() {
    // 70 words start with "zeta" once each; "zetapopular" is in five cards.
    let mut docs: Vec<CardDoc> =
        (1..=70).map(|i| doc(i, &format!("Note {i}"), &format!("about zetaword{i:02}"), "eng", &[], None)).collect();
    docs.extend((71..=75).map(|i| doc(i, "Popular", "about zetapopular", "eng", &[], None)));
    let (_dir, index) = index_of(&docs);
    let found = index.search(&SearchRequest { limit: 100, ..request("zeta") }, now()).unwrap();
    let slugs: Vec<&str> = found.hits.iter().map(|h| h.slug.as_str()).collect();
    assert_eq!(found.total, crate::completions::MAX_COMPLETIONS + 4, "the 64 most common of 71 completions");
    assert!((71..=75).all(|i| slugs.contains(&format!("card-{i}").as_str())), "{slugs:?}");
    assert!(slugs.contains(&"card-1") && !slugs.contains(&"card-70"), "ties: the first in order");
    // Typed in full, the rare word is found as itself.
    assert_eq!(index.search(&request("zetaword70"), now()).unwrap().hits[0].slug, "card-70");
}

#[test]
fn a_completion_of_the_last_word_counts_as_that_word() {
    let (_dir, index) = index_of(&[
        doc(1, "Deploying to production", "Deploy every service continuously. Deploy often.", "eng", &[], None),
        doc(2, "Rolling back", "If a deploy breaks, start a rollback first.", "eng", &[], None),
        doc(3, "Rollback drills", "Practise the rollback every quarter.", "eng", &[], None),
    ]);
    // Typing the second word: the card with both words leads, as it will once finished.
    assert_eq!(slugs(&index, "deploy rollb")[0], "card-2");
    assert_eq!(slugs(&index, "deploy rollback")[0], "card-2");
    // A completion alone never outranks an exact (stemmed) match of the same word:
    // "Rolling" is "roll" stemmed, "rollback" only starts with it.
    assert_eq!(slugs(&index, "roll"), vec!["card-2", "card-3"]);
    assert_eq!(slugs(&index, "deploy roll")[0], "card-2");
}

#[test]
fn words_typed_together_rank_cards_that_have_them_close_together_first() {
    // The same words, as often, in bodies of the same length: only the distance differs
    // (among other cards, so that the words are rare enough to weigh something).
    let mut docs = vec![
        doc(1, "", "Dielectric readings of water were measured with care today, constant.", "lab", &[], None),
        doc(2, "", "Dielectric constant readings of water were measured with care today.", "lab", &[], None),
        doc(3, "", "Readings of the constant were dielectric, measured with care today.", "lab", &[], None),
    ];
    docs.extend((4..=20).map(|i| doc(i, "", &format!("Other readings, number {i}."), "lab", &[], None)));
    let (_dir, index) = index_of(&docs);
    let found = index.search(&request("dielectric constant "), now()).unwrap();
    let score = |slug: &str| found.hits.iter().find(|h| h.slug == slug).map(|h| h.score).unwrap();
    // Card 2 has them side by side, card 3 two positions apart in the other order (close
    // enough, counted alike), card 1 nine apart.
    assert_eq!(found.hits.len(), 3);
    assert!(score("card-2") == score("card-3") && score("card-3") > score("card-1"), "{:?}", found.hits);
    // A stop word between the typed words asks for no closeness: equal scores.
    let apart = index.search(&request("dielectric of constant "), now()).unwrap();
    assert!(apart.hits.iter().all(|h| h.score == apart.hits[0].score), "{:?}", apart.hits);
    // A first page of two (pruned) leaves out the card with the words far apart.
    let page = index.search(&SearchRequest { limit: 2, ..request("dielectric constant ") }, now()).unwrap();
    assert!(page.hits.iter().all(|h| h.slug != "card-1"), "{:?}", page.hits);
}

#[test]
fn searching_segments_side_by_side_answers_what_one_thread_does() {
    // Several segments (one commit each), with updates and deletes across them.
    let dir = tempfile::tempdir().unwrap();
    {
        let (index, _) = SearchIndex::open_with_threads(dir.path(), 1).unwrap();
        let mut w = index.writer().unwrap();
        for batch in 0..6 {
            for i in (batch * 60 + 1)..=(batch * 60 + 60) {
                let title = if i % 7 == 0 { format!("Deploy runbook {i}") } else { format!("Note {i}") };
                let body = format!(
                    "{} rollback {} deployment{} filler words here {}",
                    "deploy ".repeat(i as usize % 4),
                    ["alpha", "beta", "gamma"][i as usize % 3],
                    if i % 5 == 0 { " of the release train" } else { "" },
                    "more text ".repeat(i as usize % 9)
                );
                let due = [Some(30), Some(3), Some(-5), None][i as usize % 4];
                w.upsert(&doc(i, &title, &body, ["eng", "ops"][i as usize % 2], &[["x", "y"][i as usize % 2]], due))
                    .unwrap();
            }
            if batch > 0 {
                w.delete(batch * 60 - 3);
                w.upsert(&doc(batch * 60 - 10, "Deploy again", "deploy deploy rollback", "ops", &[], Some(30)))
                    .unwrap();
            }
            w.commit(batch + 1).unwrap();
        }
    }
    let (one, _) = SearchIndex::open_with_threads(dir.path(), 1).unwrap();
    let (four, _) = SearchIndex::open_with_threads(dir.path(), 4).unwrap();
    assert!(one.reader.searcher().segment_readers().len() >= 3, "several segments");
    let answer = |index: &SearchIndex, req: &SearchRequest| {
        let found = index.search(req, now()).unwrap();
        let hits: Vec<(String, f32, String)> =
            found.hits.into_iter().map(|h| (h.slug, h.score, h.snippet_html)).collect();
        (found.total, hits, found.facets.collection, found.facets.tag, found.facets.status, found.suggestion)
    };
    for q in ["deploy", "deploy rollback", "\"release train\"", "deploy rollb", "deplyo", "runbook -alpha", ""] {
        for (limit, offset) in [(5, 0), (10, 20), (400, 0)] {
            let req = SearchRequest { limit, offset, ..request(q) };
            assert_eq!(answer(&four, &req), answer(&one, &req), "{q:?} {limit}+{offset}");
            let ops = SearchRequest { collection: Some("ops".into()), ..req };
            assert_eq!(answer(&four, &ops), answer(&one, &ops), "{q:?} in ops");
        }
    }
}

#[test]
fn equally_good_matches_come_newest_first_across_segments_and_updates() {
    // Thirty cards that match three typed letters only as the start of a longer word,
    // all equally well: the page is the newest ones, whatever segment they are in.
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path()).unwrap();
    let mut w = index.writer().unwrap();
    let card = |i: i64, days_ago: i64| {
        let mut d = doc(i, &format!("Note {i}"), "About escalations.", "ops", &[], Some(60));
        d.updated_at = now() - Duration::days(days_ago);
        d
    };
    for batch in 0..3 {
        for i in (batch * 10 + 1)..=(batch * 10 + 10) {
            // Newer with every card, but the middle batch is the oldest.
            let days_ago = if batch == 1 { 500 + i } else { 100 - i };
            w.upsert(&card(i, days_ago)).unwrap();
        }
        w.commit(batch + 1).unwrap();
    }
    // An old card edited today comes first.
    w.upsert(&card(3, 0)).unwrap();
    w.commit(4).unwrap();
    index.reload().unwrap();
    let page = |offset| {
        let found = index.search(&SearchRequest { limit: 5, offset, ..request("esc") }, now()).unwrap();
        assert_eq!(found.total, 30);
        found.hits.into_iter().map(|h| h.slug).collect::<Vec<_>>()
    };
    let expected: Vec<String> = [3, 30, 29, 28, 27, 26, 25, 24, 23, 22].iter().map(|i| format!("card-{i}")).collect();
    assert_eq!([page(0), page(5)].concat(), expected);
}
