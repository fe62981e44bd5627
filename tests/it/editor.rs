//! Editing in the browser without JavaScript: the form, conflicts, history, diffs, restore.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::support::TestApp;

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
    let mut res = app.client.post(app.server.url(path)).bearer_auth(&app.token).send_form(&form).await.unwrap();
    let location = res.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    let body = String::from_utf8(res.body().limit(16 << 20).await.unwrap().to_vec()).unwrap();
    (res.status(), location, body)
}

#[actix_web::test]
async fn the_editor_form_has_the_documented_fields() {
    let app = TestApp::new().await;
    app.card("ops", "Paging", "Page the on-call.", &["oncall"]).await;
    let html = app.get("/cards/paging/edit").await.text();
    for field in [
        r#"name="title""#,
        r#"<textarea id="body" name="body""#,
        r#"name="tags""#,
        r#"name="message""#,
        r#"name="base_rev" value="1""#,
    ] {
        assert!(html.contains(field), "missing {field}");
    }
    assert!(html.contains(">Save</button>") && html.contains(r#"src="/static/editor.js""#));
    let new = app.get("/cards/new?collection=ops").await.text();
    assert!(new.contains(r#"name="collection""#) && new.contains(r#"<option value="ops" selected>"#), "{new}");
    assert!(
        app.get("/cards/paging").await.text().contains(r#"href="/cards/paging/edit""#),
        "the card links to its editor"
    );
}

#[actix_web::test]
async fn cards_are_created_and_edited_through_the_form() {
    let app = TestApp::new().await;
    app.card("ops", "Paging", "Page the on-call.", &[]).await;
    let (status, location, _) = post_form(
        &app,
        "/cards/new",
        &[
            ("title", "Backups"),
            ("collection", "ops"),
            ("tags", "dr, nightly"),
            ("body", "Nightly at 02:00."),
            ("message", "first"),
        ],
    )
    .await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/cards/backups")));
    let card = app.get("/api/v1/cards/backups").await.json();
    assert_eq!((card["tags"].clone(), card["body"].clone()), (json!(["dr", "nightly"]), json!("Nightly at 02:00.")));

    let (status, _, body) =
        post_form(&app, "/cards/new", &[("title", " "), ("collection", "ops"), ("body", "Keep me")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("needs a title") && body.contains("Keep me"), "the text is kept");

    let (status, location, _) = post_form(
        &app,
        "/cards/backups/edit",
        &[("title", "Backups"), ("tags", "dr"), ("body", "Nightly at 03:00."), ("base_rev", "1"), ("action", "save")],
    )
    .await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/cards/backups")));
    assert_eq!(app.get("/api/v1/cards/backups").await.json()["rev"], 2);
}

#[actix_web::test]
async fn a_conflicting_save_keeps_the_persons_text_and_shows_both_versions() {
    let app = TestApp::new().await;
    app.card("ops", "Steps", "look\nthink\nwait\nact\nrest\n", &[]).await;
    // Someone else saves first.
    app.put(
        "/api/v1/cards/steps",
        json!({"title": "Steps", "body": "look\nthink twice\nwait\nact\nrest\n", "base_rev": 1}),
    )
    .await;
    let mine = "look\nask a colleague\nwait\nact\nrest\n";
    let (status, _, page) =
        post_form(&app, "/cards/steps/edit", &[("title", "Steps"), ("body", mine), ("base_rev", "1")]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("Someone else changed the same lines"));
    assert!(page.contains("ask a colleague\nwait\nact\nrest\n</textarea>"), "my text is still in the editor");
    assert!(page.contains("think twice"), "their version is shown");
    assert!(page.contains(r#"name="base_rev" value="2""#), "the next save is based on their revision");
    let body = app.get("/api/v1/cards/steps").await.json()["body"].clone();
    assert_eq!(body, "look\nthink twice\nwait\nact\nrest\n", "nothing was overwritten");
    // Resolving: saving again from revision 2 goes through.
    let resolved = "look\nthink twice, then ask\nwait\nact\nrest\n";
    let (status, _, _) =
        post_form(&app, "/cards/steps/edit", &[("title", "Steps"), ("body", resolved), ("base_rev", "2")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // A non-overlapping save from an old revision is merged, not refused.
    let later = "look\nthink\nwait\nact\nrest well\n";
    let (status, location, _) =
        post_form(&app, "/cards/steps/edit", &[("title", "Steps"), ("body", later), ("base_rev", "1")]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/cards/steps?merged=1")));
    assert!(app.get("/cards/steps?merged=1").await.text().contains("were merged with theirs"), "the page says so");
    let body = app.get("/api/v1/cards/steps").await.json()["body"].clone();
    assert_eq!(body, "look\nthink twice, then ask\nwait\nact\nrest well\n");
}

#[actix_web::test]
async fn history_revisions_diffs_and_restore_pages() {
    let app = TestApp::new().await;
    app.card("ops", "Runbook", "one\ntwo three\n", &[]).await;
    app.put(
        "/api/v1/cards/runbook",
        json!({"title": "Runbook", "body": "one\ntwo 3\n", "base_rev": 1, "message": "shorter"}),
    )
    .await;
    let history = app.get("/cards/runbook/history").await.text();
    assert!(history.contains("shorter") && history.contains("/cards/runbook/diff?from=1&amp;to=2"), "{history}");
    assert!(history.contains("-4 bytes"), "size change");
    let diff = app.get("/cards/runbook/diff?from=1&to=2").await.text();
    assert!(diff.contains("<mark>3</mark>") && diff.contains("diff-delete"), "{diff}");
    let rev = app.get("/cards/runbook/revisions/1").await.text();
    assert!(rev.contains("Revision 1 of 2") && rev.contains("two three"));
    let (status, location, _) = post_form(&app, "/cards/runbook/restore", &[("rev", "1")]).await;
    assert_eq!((status, location.as_deref()), (StatusCode::SEE_OTHER, Some("/cards/runbook")));
    assert_eq!(app.get("/api/v1/cards/runbook").await.json()["body"], "one\ntwo three\n");
    assert_eq!(app.get("/cards/runbook/revisions/9").await.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn wiki_links_resolve_by_title_or_slug_and_cards_list_their_backlinks() {
    let app = TestApp::new().await;
    app.card("ops", "Escalation policy", "Who to call.", &[]).await;
    app.card(
        "ops",
        "Paging",
        "See [[Escalation policy]], [[escalation-policy|the policy]] and [[Not written yet]].",
        &[],
    )
    .await;
    let html = app.get("/cards/paging").await.text();
    let link = r#"<a class="wikilink" href="/cards/escalation-policy" rel="nofollow noopener noreferrer">"#;
    assert!(html.contains(&format!("{link}Escalation policy</a>")), "{html}");
    assert!(html.contains(&format!("{link}the policy</a>")));
    assert!(html.contains(r#"class="wikilink missing""#), "unresolved links are marked");
    let target = app.get("/cards/escalation-policy").await.text();
    assert!(target.contains(r#"<ul class="backlinks"><li><a href="/cards/paging">Paging</a></li></ul>"#), "{target}");
    // The preview resolves them too.
    let preview = app.post("/api/v1/render", json!({"body": "[[Paging]]"})).await.json();
    assert!(preview["html"].as_str().unwrap().contains(r#"href="/cards/paging""#));
    // Editing the link away removes the backlink.
    app.put("/api/v1/cards/paging", json!({"title": "Paging", "body": "No links now.", "base_rev": 1})).await;
    let page = app.get("/cards/escalation-policy").await.text();
    let backlinks =
        page.split(r#"<ul class="backlinks">"#).nth(1).and_then(|rest| rest.split("</ul>").next()).unwrap_or_default();
    assert!(!backlinks.contains("/cards/paging"), "{backlinks}");
}

#[actix_web::test]
async fn images_upload_by_their_bytes_and_nothing_uploaded_can_run_script() {
    let app = TestApp::new().await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR rest of a png".to_vec();
    // A PNG sent as text/html is still a PNG; an SVG sent as image/png is a download.
    let r = app.raw(awc::http::Method::POST, "/api/v1/attachments", "text/html", png.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let j = r.json();
    assert_eq!((j["content_type"].as_str(), j["inline"].as_bool()), (Some("image/png"), Some(true)));
    let url = j["url"].as_str().unwrap().to_owned();
    let served = app.get(&url).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body, png);
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
    assert!(served.header("content-security-policy").unwrap().contains("sandbox"));

    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><script>alert(2)</script></svg>".to_vec();
    for (sent_as, bytes) in [
        ("image/png", svg),
        ("image/png", b"<html><script>alert(3)</script>".to_vec()),
        ("image/gif", b"just text".to_vec()),
    ] {
        let r = app.raw(awc::http::Method::POST, "/api/v1/attachments", sent_as, bytes).await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.json()["inline"], false);
        let served = app.get(r.json()["url"].as_str().unwrap()).await;
        assert_eq!(served.header("content-type"), Some("application/octet-stream"));
        assert!(served.header("content-disposition").unwrap().starts_with("attachment"), "a download, never rendered");
    }

    let huge = vec![0u8; verity::routes::attachments::MAX_ATTACHMENT_BYTES + 1];
    let r = app.raw(awc::http::Method::POST, "/api/v1/attachments", "image/png", huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        app.raw(awc::http::Method::POST, "/api/v1/attachments", "image/png", Vec::new()).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let viewer = app.user("vera", verity_core::Role::Viewer).await;
    let r = app.call(awc::http::Method::GET, &url, None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attachments need a signed-in user");
    assert_eq!(
        app.call(awc::http::Method::GET, &url, None, Some(&viewer)).await.status,
        StatusCode::NOT_FOUND,
        "until a card shows it, only its uploader sees an upload"
    );
    app.card("docs", "Diagram", &format!("![diagram]({url})"), &[]).await;
    assert_eq!(app.call(awc::http::Method::GET, &url, None, Some(&viewer)).await.status, StatusCode::OK);
    assert_eq!(app.get("/attachments/999").await.status, StatusCode::NOT_FOUND);
}
