//! The store's behaviour, run against a real SQLite file and, when
//! `VERITY_TEST_DATABASE_URL` is set, against a fresh PostgreSQL schema.

use chrono::{Duration, TimeZone, Utc};
use verity_core::{Interval, Role, Slug, Status};

use crate::cards::{self, CardEdit, CardMeta, EditOutcome, ListQuery, NewCard};
use crate::{Store, StoreError, changes, collections, testing, users};

/// Runs `test` on SQLite, then on PostgreSQL if configured.
fn on_every_backend(test: impl Fn(&Store)) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(dir.path().join("verity.db").to_str().unwrap()).unwrap();
    test(&sqlite);
    match testing::fresh_postgres_url() {
        Some(url) => test(&Store::open(&url).unwrap()),
        None => eprintln!("PostgreSQL store test skipped: set {} to run it", testing::TEST_DATABASE_URL),
    }
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn new_card(collection_id: i64, slug: &str, body: &str) -> NewCard {
    NewCard {
        slug: Slug::parse(slug).unwrap(),
        collection_id,
        title: format!("Title of {slug}"),
        body: body.into(),
        tags: vec!["alpha".into(), "beta".into()],
        meta: CardMeta { verifier: Some("mei".into()), ..CardMeta::default() },
        author: "admin".into(),
        message: "created".into(),
        source_path: None,
    }
}

fn edit(base_rev: Option<i32>, body: &str, by_verifier: bool) -> CardEdit {
    CardEdit {
        title: "Edited".into(),
        body: body.into(),
        tags: vec!["alpha".into()],
        base_rev,
        author: if by_verifier { "mei" } else { "bob" }.into(),
        message: "edit".into(),
        by_verifier,
        meta: None,
        source_path: None,
        collection_id: None,
    }
}

fn collection(store: &Store) -> i64 {
    store.write(|c| collections::get_or_create(c, &Slug::parse("eng").unwrap(), "Engineering", t0())).unwrap().id
}

#[test]
fn creating_a_card_writes_head_tags_first_revision_and_a_change() {
    on_every_backend(|store| {
        let col = collection(store);
        let saved = store.write(|c| cards::create(c, new_card(col, "deploy", "Body one"), t0())).unwrap();
        assert_eq!(saved.card.slug, "deploy");
        assert_eq!(saved.card.collection, "eng");
        assert_eq!(saved.card.head_rev, 1);
        assert_eq!(saved.card.tags, vec!["alpha", "beta"]);
        assert_eq!(saved.card.interval, Interval::days(90).unwrap());
        assert_eq!(saved.card.status(t0()), Status::Unverified);
        let revs = store.read(|c| cards::revisions(c, saved.card.id)).unwrap();
        assert_eq!(revs.len(), 1);
        assert_eq!((revs[0].rev, revs[0].body.as_str(), revs[0].author.as_str()), (1, "Body one", "admin"));
        let log = store.read(|c| changes::after(c, 0, 10)).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].seq, log[0].card_id), (saved.seq, saved.card.id));
    });
}

#[test]
fn taken_slugs_get_a_numeric_suffix() {
    on_every_backend(|store| {
        let col = collection(store);
        let a = store.write(|c| cards::create(c, new_card(col, "deploy", "a"), t0())).unwrap();
        let b = store.write(|c| cards::create(c, new_card(col, "deploy", "b"), t0())).unwrap();
        assert_eq!((a.card.slug.as_str(), b.card.slug.as_str()), ("deploy", "deploy-2"));
    });
}

#[test]
fn every_save_appends_an_immutable_revision() {
    on_every_backend(|store| {
        let col = collection(store);
        let id = store.write(|c| cards::create(c, new_card(col, "deploy", "v1"), t0())).unwrap().card.id;
        for (base, body) in [(1, "v2"), (2, "v3")] {
            let out = store.write(|c| cards::edit(c, id, edit(Some(base), body, true), t0())).unwrap();
            assert!(matches!(out, EditOutcome::Saved(_)));
        }
        let revs = store.read(|c| cards::revisions(c, id)).unwrap();
        assert_eq!(
            revs.iter().map(|r| (r.rev, r.body.as_str())).collect::<Vec<_>>(),
            vec![(3, "v3"), (2, "v2"), (1, "v1")]
        );
        assert_eq!(store.read(|c| cards::revision(c, id, 1)).unwrap().tags, vec!["alpha", "beta"]);
        assert_eq!(store.read(|c| cards::revision_count(c, id)).unwrap(), 3);
        let card = store.read(|c| cards::by_slug(c, "deploy")).unwrap();
        assert_eq!((card.head_rev, card.body.as_str(), card.tags.clone()), (3, "v3", vec!["alpha".to_string()]));
        // Three mutations, three changes, in order.
        let seqs: Vec<i64> = store.read(|c| changes::after(c, 0, 10)).unwrap().iter().map(|c| c.seq).collect();
        assert_eq!(seqs.len(), 3);
        assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    });
}

#[test]
fn a_stale_base_revision_is_a_conflict_and_writes_nothing() {
    on_every_backend(|store| {
        let col = collection(store);
        let id = store.write(|c| cards::create(c, new_card(col, "deploy", "v1"), t0())).unwrap().card.id;
        store.write(|c| cards::edit(c, id, edit(Some(1), "v2", true), t0())).unwrap();
        let err = store.write(|c| cards::edit(c, id, edit(Some(1), "mine", true), t0())).unwrap_err();
        assert!(matches!(err, StoreError::Conflict { base: 1, head: 2 }), "{err:?}");
        assert_eq!(store.read(|c| cards::by_id(c, id)).unwrap().body, "v2");
        assert_eq!(store.read(changes::last_seq).unwrap(), 2);
    });
}

#[test]
fn an_identical_save_changes_nothing() {
    on_every_backend(|store| {
        let col = collection(store);
        let saved = store.write(|c| cards::create(c, new_card(col, "deploy", "v1"), t0())).unwrap();
        let same =
            CardEdit { title: saved.card.title.clone(), tags: saved.card.tags.clone(), ..edit(Some(1), "v1", false) };
        let out = store.write(|c| cards::edit(c, saved.card.id, same, t0())).unwrap();
        assert!(matches!(out, EditOutcome::Unchanged(_)));
        assert_eq!(store.read(changes::last_seq).unwrap(), saved.seq);
    });
}

#[test]
fn a_failed_transaction_leaves_no_trace() {
    on_every_backend(|store| {
        let col = collection(store);
        let result: Result<(), StoreError> = store.write(|c| {
            cards::create(c, new_card(col, "ghost", "x"), t0())?;
            Err(StoreError::NotFound("forced".into()))
        });
        assert!(result.is_err());
        assert!(matches!(store.read(|c| cards::by_slug(c, "ghost")), Err(StoreError::NotFound(_))));
        assert_eq!(store.read(changes::last_seq).unwrap(), 0);
    });
}

#[test]
fn verification_survives_a_verifier_edit_but_not_anyone_elses() {
    on_every_backend(|store| {
        let col = collection(store);
        let mut new = new_card(col, "deploy", "v1");
        new.meta.verified_at = Some(t0());
        new.meta.verified_by = Some("mei".into());
        let card = store.write(|c| cards::create(c, new, t0())).unwrap().card;
        assert_eq!(card.status(t0()), Status::Verified);
        assert_eq!(card.verified_rev, Some(1));
        let after_verifier = match store.write(|c| cards::edit(c, card.id, edit(Some(1), "v2", true), t0())).unwrap() {
            EditOutcome::Saved(s) => s.card,
            other => panic!("{other:?}"),
        };
        assert_eq!(after_verifier.status(t0()), Status::Verified);
        let after_other = match store.write(|c| cards::edit(c, card.id, edit(Some(2), "v3", false), t0())).unwrap() {
            EditOutcome::Saved(s) => s.card,
            other => panic!("{other:?}"),
        };
        assert_eq!(after_other.status(t0()), Status::Unverified);
        assert_eq!(after_other.verified_by.as_deref(), Some("mei"), "the last verification is still on record");
    });
}

#[test]
fn list_filters_by_collection_and_by_status_at_a_given_instant() {
    on_every_backend(|store| {
        let eng = collection(store);
        let ppl =
            store.write(|c| collections::get_or_create(c, &Slug::parse("people").unwrap(), "People", t0())).unwrap().id;
        let verified_on = |days_ago: i64| CardMeta {
            interval: Some(Interval::days(30).unwrap()),
            verified_at: Some(t0() - Duration::days(days_ago)),
            verified_by: Some("mei".into()),
            ..CardMeta::default()
        };
        for (slug, col, meta) in [
            ("fresh", eng, verified_on(1)),
            ("soon", eng, verified_on(27)),
            ("old", ppl, verified_on(40)),
            ("never", ppl, CardMeta::default()),
        ] {
            store
                .write(|c| cards::create(c, NewCard { meta: meta.clone(), ..new_card(col, slug, slug) }, t0()))
                .unwrap();
        }
        let slugs = |q: ListQuery| -> (i64, Vec<String>) {
            let (total, cards) = store.read(|c| cards::list(c, &ListQuery { limit: 100, ..q }, t0())).unwrap();
            let mut slugs: Vec<String> = cards.into_iter().map(|c| c.slug).collect();
            slugs.sort();
            (total, slugs)
        };
        let one = |status| slugs(ListQuery { status: Some(status), ..ListQuery::default() });
        assert_eq!(one(Status::Verified), (1, vec!["fresh".into()]));
        assert_eq!(one(Status::DueSoon), (1, vec!["soon".into()]));
        assert_eq!(one(Status::Stale), (1, vec!["old".into()]));
        assert_eq!(one(Status::Unverified), (1, vec!["never".into()]));
        assert_eq!(
            slugs(ListQuery { collection: Some("people".into()), ..ListQuery::default() }),
            (2, vec!["never".into(), "old".into()])
        );
        // Paging: the total counts everything, the page holds `limit`.
        let (total, page) =
            store.read(|c| cards::list(c, &ListQuery { limit: 2, offset: 1, ..ListQuery::default() }, t0())).unwrap();
        assert_eq!((total, page.len()), (4, 2));
        let counts = store.read(collections::list_with_counts).unwrap();
        assert_eq!(
            counts.iter().map(|(c, n)| (c.slug.as_str(), *n)).collect::<Vec<_>>(),
            vec![("eng", 2), ("people", 2)]
        );
    });
}

#[test]
fn users_are_unique_and_a_password_change_bumps_the_token_version() {
    on_every_backend(|store| {
        let new = users::NewUser {
            username: "ada",
            display_name: "Ada",
            email: None,
            password_hash: Some("h1"),
            role: Role::Editor,
        };
        let ada = store.write(|c| users::create(c, &new, t0())).unwrap();
        assert_eq!((ada.role, ada.disabled, ada.token_version), (Role::Editor, false, 0));
        assert!(matches!(store.write(|c| users::create(c, &new, t0())), Err(StoreError::AlreadyExists(_))));
        store.write(|c| users::set_password_hash(c, "ada", "h2")).unwrap();
        let (user, hash) = store.read(|c| users::find_with_hash(c, "ada")).unwrap().unwrap();
        assert_eq!((user.token_version, hash.as_deref()), (1, Some("h2")));
        assert_eq!(store.read(users::count).unwrap(), 1);
    });
}

#[test]
fn reopening_runs_no_migration_twice_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("verity.db");
    let url = url.to_str().unwrap();
    let col = collection(&Store::open(url).unwrap());
    let store = Store::open(url).unwrap();
    store.write(|c| cards::create(c, new_card(col, "kept", "x"), t0())).unwrap();
    assert_eq!(Store::open(url).unwrap().read(|c| cards::by_slug(c, "kept")).unwrap().body, "x");
}

#[test]
fn lists_leave_bodies_out() {
    on_every_backend(|store| {
        let col = collection(store);
        let long = "a line of the card's body\n".repeat(10_000);
        store.write(|c| cards::create(c, new_card(col, "runbook", &long), t0())).unwrap();
        let query = ListQuery { limit: 10, ..ListQuery::default() };
        let (total, page) = store.read(|c| cards::list(c, &query, t0())).unwrap();
        assert_eq!((total, page.len()), (1, 1));
        assert_eq!((page[0].slug.as_str(), page[0].title.as_str()), ("runbook", "Title of runbook"));
        assert_eq!(page[0].tags, vec!["alpha", "beta"]);
        assert!(page[0].body.is_empty(), "a list holds no bodies");
        assert_eq!(store.read(|c| cards::by_slug(c, "runbook")).unwrap().body, long, "one card holds its body");
    });
}
