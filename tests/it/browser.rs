//! End to end in a real headless Chromium, driven through chromedriver (fantoccini):
//! sign in, create a card, watch the live preview, save, then edit from two sessions to
//! force a conflict and resolve it. Skipped, with a message, where chromedriver is absent;
//! `.ci/run` installs Debian's chromium and chromium-driver so CI always runs it.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::support::{ADMIN_PASSWORD, TestApp};

struct Driver {
    child: Child,
    url: String,
    _profiles: Vec<tempfile::TempDir>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

fn start_driver() -> Option<Driver> {
    let driver = std::env::var("VERITY_CHROMEDRIVER")
        .ok()
        .map(PathBuf::from)
        .or_else(|| find(&["/usr/bin/chromedriver", "/usr/local/bin/chromedriver"]))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let child =
        Command::new(driver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().ok()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Driver { child, url: format!("http://127.0.0.1:{port}"), _profiles: Vec::new() })
}

async fn browser(driver: &mut Driver) -> Client {
    let profile = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--window-size=1400,1000".into(),
    ];
    args.push(format!("--user-data-dir={}", profile.path().display()));
    driver._profiles.push(profile);
    let mut options = json!({"args": args});
    if let Some(binary) = find(&["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) {
        options["binary"] = json!(binary);
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// Polls the page until `check` holds (bounded).
async fn until(client: &Client, what: &str, check: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let html = client.source().await.unwrap_or_default();
        if check(&html) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}; page: {}", &html[..html.len().min(2000)]);
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn sign_in(client: &Client, base: &str) {
    client.goto(&format!("{base}/login")).await.unwrap();
    client.find(Locator::Css("input[name=username]")).await.unwrap().send_keys("admin").await.unwrap();
    client.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(ADMIN_PASSWORD).await.unwrap();
    client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    until(client, "the home page", |h| h.contains("What do you need to know?")).await;
}

async fn textarea(client: &Client) -> fantoccini::elements::Element {
    client.find(Locator::Css("textarea[name=body]")).await.unwrap()
}

/// Replaces the editor's text (as a person would: select all, type).
async fn set_body(client: &Client, text: &str) {
    let area = textarea(client).await;
    area.clear().await.unwrap();
    area.send_keys(text).await.unwrap();
}

#[actix_web::test]
async fn browser_create_preview_save_then_conflict_and_resolve() {
    let Some(mut driver) = start_driver() else {
        eprintln!(
            "browser test skipped: no chromedriver (install chromium and chromium-driver, or set VERITY_CHROMEDRIVER)"
        );
        return;
    };
    let app = TestApp::new().await;
    app.post("/api/v1/collections", json!({"slug": "ops", "name": "Operations"})).await;
    let base = app.server.url("").trim_end_matches('/').to_owned();

    // One person: sign in, create a card, see the preview follow the Markdown, save.
    let alice = browser(&mut driver).await;
    sign_in(&alice, &base).await;
    alice.goto(&format!("{base}/cards/new?collection=ops")).await.unwrap();
    alice.find(Locator::Css("input[name=title]")).await.unwrap().send_keys("Failover drill").await.unwrap();
    set_body(&alice, "Step one: announce.\nStep two: **switch** regions.\nStep three: verify.\n").await;
    until(&alice, "the live preview", |h| h.contains("<strong>switch</strong>")).await;
    alice.find(Locator::Css("button[value=save]")).await.unwrap().click().await.unwrap();
    until(&alice, "the saved card", |h| h.contains("<h1>Failover drill</h1>")).await;
    assert_eq!(app.get("/api/v1/cards/failover-drill").await.json()["rev"], 1);

    // Two sessions edit the same line.
    let bob = browser(&mut driver).await;
    sign_in(&bob, &base).await;
    for client in [&alice, &bob] {
        client.goto(&format!("{base}/cards/failover-drill/edit")).await.unwrap();
        until(client, "the editor", |h| h.contains("textarea")).await;
    }
    set_body(&alice, "Step one: announce in #incidents.\nStep two: **switch** regions.\nStep three: verify.\n").await;
    alice.find(Locator::Css("button[value=save]")).await.unwrap().click().await.unwrap();
    until(&alice, "Alice's save", |h| h.contains("<h1>Failover drill</h1>")).await;

    set_body(&bob, "Step one: announce on the status page.\nStep two: **switch** regions.\nStep three: verify.\n")
        .await;
    bob.find(Locator::Css("button[value=save]")).await.unwrap().click().await.unwrap();
    until(&bob, "the conflict", |h| h.contains("Someone else changed the same lines")).await;
    let kept = textarea(&bob).await.prop("value").await.unwrap().unwrap_or_default();
    assert!(kept.contains("status page"), "Bob's text is kept: {kept}");
    until(&bob, "Alice's version beside it", |h| h.contains("#incidents")).await;
    assert_eq!(app.get("/api/v1/cards/failover-drill").await.json()["rev"], 2, "nothing overwritten");

    // Bob resolves by keeping both and saves.
    set_body(&bob, "Step one: announce in #incidents and on the status page.\nStep two: **switch** regions.\nStep three: verify.\n").await;
    bob.find(Locator::Css("button[value=save]")).await.unwrap().click().await.unwrap();
    until(&bob, "the resolved card", |h| h.contains("in #incidents and on the status page")).await;
    let card = app.get("/api/v1/cards/failover-drill").await.json();
    assert_eq!(card["rev"], 3);
    assert!(card["body"].as_str().unwrap().contains("in #incidents and on the status page"));

    alice.close().await.unwrap();
    bob.close().await.unwrap();
}

#[actix_web::test]
async fn browser_search_as_you_type_with_keyboard() {
    let Some(mut driver) = start_driver() else {
        eprintln!(
            "browser test skipped: no chromedriver (install chromium and chromium-driver, or set VERITY_CHROMEDRIVER)"
        );
        return;
    };
    let app = TestApp::new().await;
    app.card("ops", "Escalation policy", "Who to call when a customer is blocked.", &[]).await;
    let base = app.server.url("").trim_end_matches('/').to_owned();
    let client = browser(&mut driver).await;
    sign_in(&client, &base).await;
    // "/" focuses the search box from anywhere on the page.
    client.find(Locator::Css("body")).await.unwrap().send_keys("/").await.unwrap();
    let focused = client.active_element().await.unwrap().attr("name").await.unwrap();
    assert_eq!(focused.as_deref(), Some("q"));
    client.active_element().await.unwrap().send_keys("escalat").await.unwrap();
    until(&client, "instant results", |h| h.contains(r#"data-href="/cards/escalation-policy""#)).await;
    let input = client.active_element().await.unwrap();
    input.send_keys("\u{E015}").await.unwrap(); // ArrowDown
    input.send_keys("\u{E007}").await.unwrap(); // Enter
    until(&client, "the card", |h| h.contains("<h1>Escalation policy</h1>")).await;
    client.close().await.unwrap();
}
