//! The real product: the release `verity` binary run as a subprocess on a temp data dir,
//! talked to over HTTP like any client.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

const PASSWORD: &str = "bench-password-not-secret";

/// The peak resident set of a running process (VmHWM), in MiB; 0 once it is gone.
pub fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Bytes under a path (files only, not following links).
pub fn disk_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
    if meta.is_file() {
        return meta.len();
    }
    std::fs::read_dir(path).map_or(0, |entries| entries.flatten().map(|e| disk_bytes(&e.path())).sum())
}

pub struct Verity {
    pub bin: PathBuf,
    pub data_dir: PathBuf,
    /// Server logs and import output go here rather than to the terminal.
    pub log_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct ImportRun {
    pub wall: Duration,
    pub peak_rss_mib: f64,
    /// The importer's summary line ("N created, … skipped").
    pub summary: String,
}

impl Verity {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        // The working directory must not hold a `content/` folder the server would sync.
        cmd.arg("--data-dir").arg(&self.data_dir).current_dir(&self.log_dir).env_remove("VERITY_DATABASE_URL");
        cmd
    }

    /// `verity import DIR`, timed from spawn to exit (writing the cards and indexing them).
    pub fn import(&self, folder: &Path) -> anyhow::Result<ImportRun> {
        let out = File::create(self.log_dir.join("import.out"))?;
        let err = File::create(self.log_dir.join("import.err"))?;
        let started = Instant::now();
        let mut child = self
            .command()
            .arg("import")
            .arg(folder)
            .env("VERITY_LOG", "warn")
            .stdout(out)
            .stderr(err)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let pid = child.id();
        // VmHWM only grows, so its last reading before exit is the peak (within a poll).
        let mut peak = 0.0f64;
        let status = loop {
            peak = peak.max(peak_rss_mib(pid));
            if let Some(status) = child.try_wait()? {
                break status;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let wall = started.elapsed();
        let summary = std::fs::read_to_string(self.log_dir.join("import.out")).unwrap_or_default();
        if !status.success() {
            let err = std::fs::read_to_string(self.log_dir.join("import.err")).unwrap_or_default();
            bail!("verity import failed ({status}): {}", tail(&err));
        }
        let summary = summary.lines().find(|l| l.contains(" created,")).unwrap_or_default().to_owned();
        Ok(ImportRun { wall, peak_rss_mib: peak, summary })
    }

    /// `verity serve` on a free port; returns once it answers /healthz and has signed in.
    pub fn serve(&self) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = File::create(self.log_dir.join("serve.log"))?;
        let started = Instant::now();
        let child = self
            .command()
            .arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--content")
            .arg(self.log_dir.join("no-content-folder"))
            .env("VERITY_ADMIN_PASSWORD", PASSWORD)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let mut server = Server { child, base: format!("http://127.0.0.1:{port}"), token: String::new(), started };
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!("verity serve exited ({status}); see {}", self.log_dir.join("serve.log").display());
            }
            if ureq::get(format!("{}/healthz", server.base)).call().is_ok() {
                break;
            }
            if Instant::now() > deadline {
                bail!("verity serve did not answer /healthz within 10 minutes");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        server.token = login(&server.base)?;
        Ok(server)
    }
}

fn tail(s: &str) -> &str {
    let start = s.len().saturating_sub(2000);
    let start = (start..s.len()).find(|i| s.is_char_boundary(*i)).unwrap_or(s.len());
    &s[start..]
}

fn login(base: &str) -> anyhow::Result<String> {
    let body = serde_json::json!({"username": "admin", "password": PASSWORD}).to_string();
    let mut resp = ureq::post(format!("{base}/api/v1/auth/login"))
        .header("Content-Type", "application/json")
        .send(body.as_str())
        .context("signing in")?;
    let json: Value = serde_json::from_str(&resp.body_mut().read_to_string()?)?;
    json["token"].as_str().map(str::to_owned).context("the login answer has no token")
}

pub struct Server {
    child: Child,
    pub base: String,
    token: String,
    pub started: Instant,
}

/// A search's answer: the total and the hits' slugs, best first.
#[derive(Debug, Clone)]
pub struct Found {
    pub total: u64,
    pub keys: Vec<String>,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A client for one thread (keeps its connection alive between requests).
    pub fn client(&self) -> Client {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(60))).build().into();
        Client { agent, base: self.base.clone(), auth: format!("Bearer {}", self.token) }
    }

    /// Waits until a search sees `expected` cards; returns the time since the server started.
    pub fn wait_searchable(&self, expected: u64, timeout: Duration) -> anyhow::Result<Duration> {
        let client = self.client();
        let deadline = Instant::now() + timeout;
        loop {
            let found = client.search("", 1)?;
            if found.total >= expected {
                return Ok(self.started.elapsed());
            }
            if Instant::now() > deadline {
                bail!("only {} of {expected} cards searchable after {timeout:?}", found.total);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the server the way an operator would (SIGTERM: commit, then exit).
    pub fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                self.child.kill()?;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only reached when a run failed half way: never leave a server behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

pub struct Client {
    agent: ureq::Agent,
    base: String,
    auth: String,
}

impl Client {
    pub fn search(&self, q: &str, limit: usize) -> anyhow::Result<Found> {
        let mut resp = self
            .agent
            .get(format!("{}/api/v1/search", self.base))
            .query("q", q)
            .query("limit", limit.to_string())
            .header("Authorization", &self.auth)
            .call()
            .with_context(|| format!("searching for {q:?}"))?;
        let json: Value = serde_json::from_str(&resp.body_mut().read_to_string()?)?;
        let keys = json["hits"]
            .as_array()
            .map(|hits| hits.iter().filter_map(|h| h["slug"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        Ok(Found { total: json["total"].as_u64().unwrap_or(0), keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_peak_rss() {
        assert!(peak_rss_mib(std::process::id()) > 0.0);
        assert_eq!(peak_rss_mib(u32::MAX), 0.0);
    }

    #[test]
    fn disk_bytes_adds_up_files() {
        let dir = std::env::temp_dir().join(format!("verity-bench-du-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("a"), [0u8; 10]).unwrap();
        std::fs::write(dir.join("sub/b"), [0u8; 5]).unwrap();
        assert_eq!(disk_bytes(&dir), 15);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(tail("abc"), "abc");
    }
}
