//! Graceful shutdown of the real binary: SIGTERM and Ctrl-C (SIGINT) stop accepting
//! connections, let the requests in flight finish, let the indexer commit, and exit 0.

mod support;

use std::io::Read;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{Api, Backend, Server, Site};

/// The bound on a graceful stop once the last request in flight has been answered.
const EXIT_WITHIN: Duration = Duration::from_secs(10);

/// An upload's body that trickles in: a PNG signature, then a chunk every 100 ms. It says
/// when its first bytes went out, so the signal lands while the request is in flight.
struct SlowBody {
    chunks_left: usize,
    started: Option<mpsc::Sender<()>>,
}

impl Read for SlowBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(started) = self.started.take() {
            let header = b"\x89PNG\r\n\x1a\n";
            buf[..header.len()].copy_from_slice(header);
            let _ = started.send(());
            return Ok(header.len());
        }
        if self.chunks_left == 0 {
            return Ok(0);
        }
        std::thread::sleep(Duration::from_millis(100));
        self.chunks_left -= 1;
        let n = buf.len().min(1024);
        buf[..n].fill(b'v');
        Ok(n)
    }
}

/// Sends `signal` while a slow upload is in flight: the upload must still be stored, new
/// connections refused meanwhile, and the process must exit 0 soon after. Returns the
/// time from the signal to the exit.
fn stops_gracefully_on(signal: &str) -> Duration {
    let site = Site::new(Backend::Sqlite, signal).unwrap();
    let mut server = site.start();
    let api = server.admin();
    let r = api.post_json("/api/v1/collections", &json!({"slug": "ops", "name": "Ops"})).unwrap();
    assert_eq!(r.status, 201);

    let (started_tx, started) = mpsc::channel();
    let upload = {
        let api = api.clone();
        std::thread::spawn(move || {
            let body = SlowBody { chunks_left: 20, started: Some(started_tx) };
            api.post_body("/api/v1/attachments", ureq::SendBody::from_owned_reader(body))
        })
    };
    started.recv_timeout(Duration::from_secs(30)).expect("the upload started");
    std::thread::sleep(Duration::from_millis(300));
    // A write acknowledged without waiting for the index, just before the signal.
    let r = api
        .post_json(
            "/api/v1/cards",
            &json!({"title": "Shutdown note", "body": "Written as the server stopped: quoll.", "collection": "ops"}),
        )
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let signalled = Instant::now();
    server.signal(signal);

    std::thread::sleep(Duration::from_millis(300));
    let refused = Api::anonymous(&server.base).get("/healthz");
    assert!(refused.is_err(), "{signal}: a new connection was accepted while stopping");

    let uploaded = upload.join().unwrap().expect("the upload in flight was answered");
    assert_eq!(uploaded.status, 201, "{signal}: {}", uploaded.text());
    let url = uploaded.json().unwrap()["url"].as_str().unwrap().to_owned();
    let answered = Instant::now();
    let status = server.wait_exit(Duration::from_secs(60)).expect("the server exited");
    let took = signalled.elapsed();
    assert!(status.success(), "{signal}: exit {status}: {}", server.logs());
    assert!(answered.elapsed() < EXIT_WITHIN, "{signal}: exit {:?} after the last answer", answered.elapsed());

    // The index was committed on the way out: nothing to catch up, nothing to rebuild.
    let (report, code) = site.check(&[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("(0 behind)"), "{report}");
    let server = restart_and_search(&site, "quoll", "shutdown-note");
    let file = server.admin().get(&url).unwrap();
    assert_eq!((file.status, file.body.len()), (200, 8 + 20 * 1024), "the upload was stored whole");
    took
}

/// Restarts and finds the card at once: the index needed no catching up.
fn restart_and_search(site: &Site, word: &str, slug: &str) -> Server {
    let server = site.start();
    let health = server.healthz().unwrap().1;
    assert_eq!(health["index"]["lag"], 0, "{health}");
    let hits = server.admin().get(&format!("/api/v1/search?q={word}")).unwrap().json().unwrap();
    assert_eq!(hits["hits"][0]["slug"], slug, "{hits}");
    server
}

#[test]
fn sigterm_finishes_requests_in_flight_commits_the_index_and_exits_0() {
    let took = stops_gracefully_on("TERM");
    println!("SIGTERM: stopped {} ms after the signal (a 2 s upload in flight)", took.as_millis());
}

#[test]
fn ctrl_c_stops_as_gracefully_as_sigterm() {
    let took = stops_gracefully_on("INT");
    println!("SIGINT: stopped {} ms after the signal (a 2 s upload in flight)", took.as_millis());
}

#[test]
fn an_idle_server_stops_at_once() {
    let site = Site::new(Backend::Sqlite, "idle").unwrap();
    let mut server = site.start();
    // A signed-in client leaves a kept-alive connection open.
    assert_eq!(server.admin().get("/api/v1/cards").unwrap().status, 200);
    let signalled = Instant::now();
    server.signal("TERM");
    let status = server.wait_exit(Duration::from_secs(60)).expect("the server exited");
    assert!(status.success(), "exit {status}");
    let took = signalled.elapsed();
    println!("SIGTERM, idle: stopped {} ms after the signal", took.as_millis());
    assert!(took < EXIT_WITHIN, "took {took:?}");
}
