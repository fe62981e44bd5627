//! The one-off commands as people run them: `verity check` (its exit codes and output,
//! beside a running server and with the server stopped; the comparisons themselves are
//! tested in `check/tests.rs`) and `verity --version`.

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Backend, Site};

fn stop(mut server: support::Server) {
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(60)).is_some_and(|s| s.success()));
}

#[test]
fn check_reads_beside_a_running_server_repairs_once_it_is_stopped_and_exits_1_on_differences() {
    let site = Site::new(Backend::Sqlite, "check").unwrap();
    std::fs::write(site.content().join("welcome.md"), "# Welcome\n\nStart here.\n").unwrap();
    let server = site.start();
    let api = server.admin();
    let r = api
        .post_json("/api/v1/cards?wait=true", &json!({"title": "Runbook", "body": "Steps.", "collection": "general"}));
    assert_eq!(r.unwrap().status, 201);
    assert!(server.wait_caught_up(Duration::from_secs(30)));

    let (report, code) = site.check(&[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("held by a running server"), "{report}");
    assert!(report.contains("database: 2 live cards") && report.contains("no differences"), "{report}");
    let (report, code) = site.check(&["--repair"]);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("a running server holds the search index"), "{report}");
    stop(server);

    // An index lost while the server was stopped.
    std::fs::remove_dir_all(site.data_dir().join("index")).unwrap();
    let (report, code) = site.check(&[]);
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("index: missing or from another version"), "{report}");
    assert!(report.contains("verity check --repair"), "{report}");
    let (report, code) = site.check(&["--repair"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("repair: indexed 2 cards again") && report.contains("after repair: no differences"));
    let (report, code) = site.check(&[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("index: 2 documents, committed up to change"), "{report}");

    // The server starts on the repaired index without rebuilding it and finds the cards.
    let server = site.start();
    let hits = server.admin().get("/api/v1/search?q=runbook").unwrap().json().unwrap();
    assert_eq!(hits["hits"][0]["slug"], "runbook", "{hits}");
}

#[test]
fn check_without_a_database_says_so_and_creates_nothing() {
    let site = Site::new(Backend::Sqlite, "none").unwrap();
    let (report, code) = site.check(&[]);
    assert_eq!(code, Some(1));
    assert!(report.contains("no database in"), "{report}");
    assert!(!site.data_dir().exists(), "check created the data dir");
}

#[test]
fn version_names_the_release_and_the_git_revision_it_was_built_from() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verity")).arg("--version").output().unwrap();
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success());
    assert!(said.starts_with(&format!("verity {} (git ", env!("CARGO_PKG_VERSION"))), "{said}");
    // Built in a checkout (as the tests are): the revision is HEAD's.
    let head = std::process::Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output();
    if let Some(head) = head.ok().filter(|h| h.status.success()) {
        let head = String::from_utf8(head.stdout).unwrap();
        assert!(said.contains(&format!("(git {})", head.trim())), "{said} is not HEAD {head}");
    }
}
