//! `TestApp`: the real application (SQLite file or PostgreSQL schema, tantivy index on
//! disk, indexer thread) served over real HTTP by actix's test server, with a fixed clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::web;
use awc::http::Method;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use verity::app::{Options, Runtime, build_app};
use verity::import::{self, ImportReport, Source};
use verity::state::AppState;
use verity_core::{FixedClock, Role};
use verity_store::users;

pub const ADMIN_PASSWORD: &str = "test-admin-password";

/// The instant every test starts at.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub server: actix_test::TestServer,
    /// A client that shows redirects instead of following them.
    pub client: awc::Client,
    pub state: web::Data<AppState>,
    pub clock: FixedClock,
    pub token: String,
    dir: Option<tempfile::TempDir>,
    runtime: Option<Runtime>,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The JSON error code, checking the error envelope on the way.
    pub fn error_code(&self) -> String {
        let j = self.json();
        assert!(j["error"]["message"].is_string(), "no error message in {j}");
        j["error"]["code"].as_str().unwrap_or_else(|| panic!("no error code in {j}")).to_owned()
    }
}

impl TestApp {
    /// A signed-in admin on a fresh SQLite database.
    pub async fn new() -> TestApp {
        TestApp::on(Backend::Sqlite).await.expect("SQLite is always available")
    }

    /// `None` for PostgreSQL when `VERITY_TEST_DATABASE_URL` is not set.
    pub async fn on(backend: Backend) -> Option<TestApp> {
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(verity_store::testing::fresh_postgres_url()?),
        };
        let dir = tempfile::tempdir().unwrap();
        Some(TestApp::open(dir, database_url).await)
    }

    /// Opens (or re-opens) the application over an existing data dir.
    pub async fn open(dir: tempfile::TempDir, database_url: Option<String>) -> TestApp {
        TestApp::open_with(dir, database_url, None).await
    }

    /// A signed-in admin on SQLite, keeping `content` in sync both ways.
    pub async fn syncing(content: &Path) -> TestApp {
        TestApp::open_with(tempfile::tempdir().unwrap(), None, Some(content.to_owned())).await
    }

    pub async fn open_with(dir: tempfile::TempDir, database_url: Option<String>, content: Option<PathBuf>) -> TestApp {
        TestApp::configured(dir, database_url, content, |_| {}).await
    }

    /// A signed-in admin on SQLite behind this public URL and these trusted proxies.
    pub async fn with_site(site: verity::site::Site) -> TestApp {
        TestApp::configured(tempfile::tempdir().unwrap(), None, None, |options| options.site = site).await
    }

    /// Opens the application with `configure` applied to the usual test options.
    pub async fn configured(
        dir: tempfile::TempDir,
        database_url: Option<String>,
        content: Option<PathBuf>,
        configure: impl FnOnce(&mut Options),
    ) -> TestApp {
        let clock = FixedClock::at(t0());
        let mut options = Options {
            data_dir: dir.path().join("data"),
            database_url,
            clock: Arc::new(clock.clone()),
            admin_password: Some(ADMIN_PASSWORD.into()),
            content,
            session_hours: None,
            jwt_secret: None,
            site: Default::default(),
        };
        configure(&mut options);
        let runtime = Runtime::open(options).expect("the app opens");
        let state = runtime.state.clone();
        let app_state = state.clone();
        let server = actix_test::start(move || build_app(app_state.clone()));
        let client = awc::Client::builder().disable_redirects().timeout(std::time::Duration::from_secs(60)).finish();
        let mut app =
            TestApp { server, client, state, clock, token: String::new(), dir: Some(dir), runtime: Some(runtime) };
        app.token = app.login("admin", ADMIN_PASSWORD).await;
        app
    }

    /// Stops the app and hands back its data dir (to re-open it).
    pub fn close(mut self) -> tempfile::TempDir {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown();
        }
        self.dir.take().expect("the data dir is still here")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.as_ref().expect("open").path().join("data")
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                Some(serde_json::json!({"username": username, "password": password})),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "login as {username}: {}", r.text());
        r.json()["token"].as_str().unwrap().to_owned()
    }

    /// Creates a user with a role and returns a token for them.
    pub async fn user(&self, username: &str, role: Role) -> String {
        let hash = verity::auth::hash_password("password-123").unwrap();
        let new = users::NewUser { username, display_name: username, email: None, password_hash: Some(&hash), role };
        self.state.store.write(|c| users::create(c, &new, t0())).unwrap();
        self.login(username, "password-123").await
    }

    pub async fn call(&self, method: Method, path: &str, json: Option<Value>, token: Option<&str>) -> Response {
        let mut req = self.client.request(method, self.server.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let mut res = match json {
            Some(body) => req.send_json(&body).await,
            None => req.send().await,
        }
        .unwrap_or_else(|e| panic!("{path}: {e}"));
        let body = res.body().limit(64 * 1024 * 1024).await.unwrap().to_vec();
        Response { status: res.status(), headers: res.headers().clone(), body }
    }

    pub async fn raw(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> Response {
        let mut res = self
            .client
            .request(method, self.server.url(path))
            .bearer_auth(&self.token)
            .insert_header(("content-type", content_type))
            .send_body(body)
            .await
            .unwrap();
        let body = res.body().limit(64 * 1024 * 1024).await.unwrap().to_vec();
        Response { status: res.status(), headers: res.headers().clone(), body }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.call(Method::GET, path, None, Some(&self.token)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.call(Method::POST, path, Some(body), Some(&self.token)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Response {
        self.call(Method::PUT, path, Some(body), Some(&self.token)).await
    }

    /// Creates a collection and a card in it, searchable on return; gives its JSON.
    pub async fn card(&self, collection: &str, title: &str, body: &str, tags: &[&str]) -> Value {
        let c = self.post("/api/v1/collections", serde_json::json!({"slug": collection, "name": collection})).await;
        assert!(c.status == StatusCode::CREATED || c.error_code() == "invalid_input", "{}", c.text());
        let r = self
            .post(
                "/api/v1/cards?wait=true",
                serde_json::json!({"title": title, "body": body, "collection": collection, "tags": tags}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        r.json()
    }

    /// Imports a folder as the content folder and waits until it is searchable.
    pub async fn import(&self, dir: &Path) -> ImportReport {
        let report =
            import::import_dir(&self.state.store, dir, Source::ContentFolder, self.clock.now_utc(), &|_, _| {});
        assert!(
            self.state.indexer.wait_for(report.last_seq, std::time::Duration::from_secs(30)).await,
            "index caught up"
        );
        report
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown();
        }
    }
}

pub trait ClockExt {
    fn now_utc(&self) -> DateTime<Utc>;
}

impl ClockExt for FixedClock {
    fn now_utc(&self) -> DateTime<Utc> {
        verity_core::Clock::now(self)
    }
}
