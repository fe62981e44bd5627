//! `verity backup` while writers go on, and `verity restore` into an empty data dir: every
//! write acknowledged before the backup began comes back, readable and searchable.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{Api, Backend, Site, token};

/// What one writer had acknowledged, and when.
struct Ack {
    at: Instant,
    slug: String,
    word: String,
    body: String,
}

/// Creates and edits cards until told to stop; returns every acknowledged create and edit.
fn writer(api: Api, id: u64, stop: Arc<AtomicBool>) -> Vec<Ack> {
    let mut acks: Vec<Ack> = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let word = token(id * 100_000 + n);
        let body = format!("Written by writer {id} as number {n}: {word}.");
        let r = if n % 3 == 2 && !acks.is_empty() {
            // Edit the writer's latest card.
            let last = acks.last().unwrap();
            let slug = last.slug.clone();
            let card = api.get(&format!("/api/v1/cards/{slug}")).unwrap().json().unwrap();
            let r = api
                .put_json(
                    &format!("/api/v1/cards/{slug}?wait=true"),
                    &json!({"title": card["title"], "body": body, "base_rev": card["rev"]}),
                )
                .unwrap();
            assert_eq!(r.status, 200, "{}", r.text());
            acks.push(Ack { at: Instant::now(), slug, word: word.clone(), body });
            n += 1;
            continue;
        } else {
            api.post_json(
                "/api/v1/cards?wait=true",
                &json!({"title": format!("Card {id}-{n}"), "body": body, "collection": "general"}),
            )
            .unwrap()
        };
        assert_eq!(r.status, 201, "{}", r.text());
        let slug = r.json().unwrap()["slug"].as_str().unwrap().to_owned();
        acks.push(Ack { at: Instant::now(), slug, word, body });
        n += 1;
    }
    acks
}

#[test]
fn a_backup_taken_under_writes_restores_every_write_acknowledged_before_it_began() {
    let site = Site::new(Backend::Sqlite, "backup").unwrap();
    let server = site.start();
    let api = server.admin();
    let r = api.post_json("/api/v1/collections", &json!({"slug": "general", "name": "General"})).unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let upload = {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(b"an attachment that must come back");
        let r = api.post_bytes("/api/v1/attachments", &png).unwrap();
        assert_eq!(r.status, 201, "{}", r.text());
        (r.json().unwrap()["url"].as_str().unwrap().to_owned(), png)
    };

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|id| {
            let (api, stop) = (api.clone(), stop.clone());
            std::thread::spawn(move || writer(api, id, stop))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(700));

    let file = site.data_dir().parent().unwrap().join("verity-backup.db");
    let began = Instant::now();
    let out = site.verity(&["backup", file.to_str().unwrap()]);
    let ended = Instant::now();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(said.contains("backed up") && said.contains("1 attachment and"), "{said}");
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    let acks: Vec<Ack> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let before: Vec<&Ack> = acks.iter().filter(|a| a.at < began).collect();
    let after = acks.iter().filter(|a| a.at > ended).count();
    assert!(
        before.len() >= 5 && after >= 1,
        "writes went on around the backup: {} before, {after} after",
        before.len()
    );

    // A second backup to the same name is refused and leaves the first alone.
    let size = std::fs::metadata(&file).unwrap().len();
    let again = site.verity(&["backup", file.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::metadata(&file).unwrap().len(), size);
    drop(server);

    // Restore into a fresh data dir, on a machine whose content folder is empty (the
    // cards' files are written again); the server starts on it and finds everything.
    let fresh = Site::new(Backend::Sqlite, "restored").unwrap();
    let content = fresh.content();
    let out = fresh.verity(&["restore", file.to_str().unwrap(), "--content", content.to_str().unwrap()]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(said.contains("search index rebuilt") && said.contains("card files missing"), "{said}");
    let restored = fresh.start();
    let api = restored.admin();
    // Latest acknowledged text per card, among the writes acknowledged before the backup.
    let mut latest = std::collections::HashMap::new();
    for ack in &before {
        latest.insert(ack.slug.as_str(), *ack);
    }
    for (slug, ack) in latest {
        let card = api.get(&format!("/api/v1/cards/{slug}")).unwrap();
        assert_eq!(card.status, 200, "{slug} is missing after the restore");
        let body = card.json().unwrap()["body"].as_str().unwrap().to_owned();
        // A later edit (after the backup began) may be in it too, never an older text.
        let later = acks.iter().any(|a| a.slug == slug && a.at > ack.at && body == a.body);
        assert!(body == ack.body || later, "{slug}: {body:?} is not {:?}", ack.body);
        if body == ack.body {
            let hits = api.get(&format!("/api/v1/search?q={}", ack.word)).unwrap().json().unwrap();
            assert_eq!(hits["hits"][0]["slug"], slug, "{slug} is not searchable: {hits}");
        }
    }
    // Every card that had its file at the backup has it again. (A card made just before
    // the backup may not have had its file written yet; the sync writes it in its time.)
    let listed = api.get("/api/v1/cards?limit=1000").unwrap().json().unwrap();
    let with_files: Vec<&str> =
        listed["cards"].as_array().unwrap().iter().filter_map(|card| card["source_path"].as_str()).collect();
    assert!(with_files.len() >= before.len() / 3, "{listed}");
    for path in with_files {
        assert!(content.join(path).is_file(), "{path} was not written");
    }
    let r = api.get(&upload.0).unwrap();
    assert_eq!((r.status, r.body), (200, upload.1), "the attachment came back");
    drop(restored);

    // A data dir that already holds a database is never restored over.
    let out = fresh.verity(&["restore", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("restore into an empty data dir"));
}

#[test]
fn restore_refuses_what_is_not_a_backup_and_creates_nothing() {
    let site = Site::new(Backend::Sqlite, "not-a-backup").unwrap();
    let junk = site.content().join("notes.md");
    std::fs::write(&junk, "# Notes\n\nNot a database.\n").unwrap();
    let out = site.verity(&["restore", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("is not a Verity backup"), "{said}");
    assert!(!site.data_dir().join("verity.db").exists());

    let out = site.verity(&["backup", site.content().join("b.db").to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database at"));
    assert!(!site.data_dir().join("verity.db").exists(), "backup must not create a database");
}

#[test]
fn on_postgres_backup_and_restore_point_to_pg_dump() {
    let Some(site) = Site::new(Backend::Postgres, "on_postgres_backup_and_restore_point_to_pg_dump") else { return };
    let file = site.content().join("b.db");
    let out = site.verity(&["backup", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    assert!(!file.exists());
}
