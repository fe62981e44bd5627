//! The real `verity` binary for tests that stop it the hard way (SIGKILL) or the polite
//! way (SIGTERM): a data dir (SQLite, or a fresh PostgreSQL schema), a server process on a
//! port of its own, and a small blocking HTTP client.

#![allow(dead_code)] // each test binary uses its own part

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const ADMIN_PASSWORD: &str = "crash-test-admin-password";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where one installation keeps its data: a temp dir (index, secrets, SQLite file, content
/// folder) and, on PostgreSQL, a schema of its own.
pub struct Site {
    dir: tempfile::TempDir,
    pub database_url: Option<String>,
}

impl Site {
    /// `None` for PostgreSQL when `VERITY_TEST_DATABASE_URL` is not set (says so).
    pub fn new(backend: Backend, test: &str) -> Option<Site> {
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => match verity_store::testing::fresh_postgres_url() {
                Some(url) => Some(url),
                None => {
                    eprintln!("{test}: PostgreSQL skipped; set {} to run it", verity_store::testing::TEST_DATABASE_URL);
                    return None;
                }
            },
        };
        let site = Site { dir: tempfile::tempdir().unwrap(), database_url };
        std::fs::create_dir_all(site.content()).unwrap();
        Some(site)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn content(&self) -> PathBuf {
        self.dir.path().join("content")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_verity"));
        cmd.args(args)
            .arg("--data-dir")
            .arg(self.data_dir())
            .env("VERITY_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env_remove("VERITY_DATABASE_URL")
            .env_remove("VERITY_CONTENT_DIR")
            .current_dir(self.dir.path());
        if let Some(url) = &self.database_url {
            cmd.arg("--database-url").arg(url);
        }
        cmd
    }

    /// Runs a one-off command (`check`, `reindex`, …) on this site's data.
    pub fn verity(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the verity binary runs")
    }

    /// `verity check` with this site's content folder; its output, and whether it was clean.
    pub fn check(&self, extra: &[&str]) -> (String, Option<i32>) {
        let content = self.content();
        let mut args = vec!["check", "--content", content.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = self.verity(&args);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        (text, out.status.code())
    }

    /// Starts `verity serve` on a free port and waits until `/healthz` answers.
    pub fn start(&self) -> Server {
        let mut server = self.spawn();
        let deadline = Instant::now() + Duration::from_secs(120);
        // The port is known once `serve` prints where it listens.
        while server.base.is_empty() {
            let printed = std::fs::read_to_string(&server.stdout).unwrap_or_default();
            if let Some(line) = printed.lines().find(|l| l.starts_with("Verity is running at ")) {
                server.base = line["Verity is running at ".len()..].trim_end_matches('/').to_owned();
            } else {
                server.assert_alive(deadline);
            }
        }
        while server.healthz().is_none_or(|(status, _)| status != 200) {
            server.assert_alive(deadline);
        }
        server
    }

    /// Starts `verity serve` without waiting for it (to kill it while it starts).
    pub fn spawn(&self) -> Server {
        let started = Instant::now();
        let logs = self.dir.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let n = std::fs::read_dir(&logs).unwrap().count();
        let stdout_path = logs.join(format!("{n}-stdout.log"));
        let stderr_path = logs.join(format!("{n}-stderr.log"));
        let content = self.content();
        let child = self
            .command(&["serve", "--bind", "127.0.0.1:0", "--content", content.to_str().unwrap()])
            .env("VERITY_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout_path).unwrap())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .expect("verity serve starts");
        Server { child, base: String::new(), stdout: stdout_path, stderr: stderr_path, started }
    }
}

/// A running `verity serve`.
pub struct Server {
    child: Child,
    pub base: String,
    stdout: PathBuf,
    stderr: PathBuf,
    started: Instant,
}

impl Server {
    fn assert_alive(&mut self, deadline: Instant) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("verity serve exited ({status}): {}", self.logs());
        }
        assert!(Instant::now() < deadline, "verity serve did not come up: {}", self.logs());
        std::thread::sleep(Duration::from_millis(20));
    }

    /// The end of the server's log (warnings and errors).
    pub fn logs(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        text[text.len().saturating_sub(4000)..].to_owned()
    }

    /// Since the process was spawned.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn healthz(&self) -> Option<(u16, Value)> {
        let r = Api::anonymous(&self.base).get("/healthz").ok()?;
        Some((r.status, r.json().unwrap_or(Value::Null)))
    }

    /// Waits until the index has applied every change in the database; false on timeout.
    pub fn wait_caught_up(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some((200, health)) = self.healthz()
                && health["index"]["lag"] == 0
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    }

    /// A client signed in as the admin.
    pub fn admin(&self) -> Api {
        let mut api = Api::anonymous(&self.base);
        let r = api
            .post_json("/api/v1/auth/login", &serde_json::json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .expect("login answers");
        assert_eq!(r.status, 200, "login: {}", r.text());
        api.token = r.json().unwrap()["token"].as_str().unwrap().to_owned();
        api
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends a signal by name (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill").arg(format!("-{name}")).arg(self.pid().to_string()).status().unwrap();
        assert!(sent.success(), "kill -{name}");
    }

    /// Waits for the process to end; `None` (and a SIGKILL) when it takes longer than `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A blocking HTTP client for one server; cheap to clone for each writer thread.
#[derive(Clone)]
pub struct Api {
    agent: ureq::Agent,
    base: String,
    pub token: String,
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Api {
    pub fn anonymous(base: &str) -> Api {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Api { agent, base: base.to_owned(), token: String::new() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token)
    }

    fn read(res: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Response, ureq::Error> {
        let mut res = res?;
        let status = res.status().as_u16();
        let body = res.body_mut().with_config().limit(64 * 1024 * 1024).read_to_vec()?;
        Ok(Response { status, body })
    }

    /// Err: no answer (the server is gone, or the connection broke).
    pub fn get(&self, path: &str) -> Result<Response, ureq::Error> {
        Self::read(self.agent.get(self.url(path)).header("Authorization", self.auth()).call())
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Result<Response, ureq::Error> {
        self.send_json("POST", path, body)
    }

    pub fn put_json(&self, path: &str, body: &Value) -> Result<Response, ureq::Error> {
        self.send_json("PUT", path, body)
    }

    fn send_json(&self, method: &str, path: &str, body: &Value) -> Result<Response, ureq::Error> {
        let bytes = serde_json::to_vec(body).unwrap();
        let req = match method {
            "PUT" => self.agent.put(self.url(path)),
            _ => self.agent.post(self.url(path)),
        };
        Self::read(req.header("Authorization", self.auth()).content_type("application/json").send(&bytes[..]))
    }

    /// Posts a body that may come from a reader (sent chunked).
    pub fn post_body(&self, path: &str, body: ureq::SendBody<'_>) -> Result<Response, ureq::Error> {
        Self::read(
            self.agent
                .post(self.url(path))
                .header("Authorization", self.auth())
                .content_type("application/octet-stream")
                .send(body),
        )
    }

    pub fn post_bytes(&self, path: &str, bytes: &[u8]) -> Result<Response, ureq::Error> {
        Self::read(
            self.agent
                .post(self.url(path))
                .header("Authorization", self.auth())
                .content_type("application/octet-stream")
                .send(bytes),
        )
    }
}

/// A word no dictionary has, made of letters English stemming leaves alone (consonants
/// other than `s` and `y`), unique for each `n` below 19^5. All have the same length, so
/// none is the start of another (typed last, a word also matches its completions).
pub fn token(n: u64) -> String {
    const LETTERS: &[u8] = b"bcdfghjklmnpqrtvwxz";
    let base = LETTERS.len() as u64;
    let mut word = String::from("kw");
    let mut n = n;
    for _ in 0..5 {
        word.push(LETTERS[(n % base) as usize] as char);
        n /= base;
    }
    word
}

/// Percentile of some durations (sorted in place), in milliseconds.
pub fn percentile_ms(times: &mut [Duration], p: f64) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort();
    let i = ((times.len() - 1) as f64 * p).round() as usize;
    times[i].as_secs_f64() * 1000.0
}
