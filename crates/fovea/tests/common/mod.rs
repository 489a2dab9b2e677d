//! What the binary's tests share: a `fovea serve` child process on a free
//! loopback port, a minimal HTTP client, and batches of unique events.
#![allow(dead_code)] // each test file uses its own part of this

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "test-token";
pub const KEY: &str = "test-key";
pub const APP: &str = "test";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `fovea serve`; killed (SIGKILL) when dropped. Its log goes to
/// `fovea.log` beside its data, and is printed if the test fails.
pub struct Node {
    pub addr: SocketAddr,
    pub data: PathBuf,
    log: PathBuf,
    child: Child,
}

impl Node {
    /// Starts `fovea serve` on a free port with `dir/data` as its data
    /// directory, the app `test` (key `test-key`) and `extra` flags; waits
    /// until `/healthz` answers.
    pub fn start(dir: &Path, extra: &[String]) -> Node {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        Self::start_on(dir, addr, extra)
    }

    pub fn start_on(dir: &Path, addr: SocketAddr, extra: &[String]) -> Node {
        let config = dir.join("fovea.toml");
        std::fs::write(
            &config,
            format!("[[apps]]\nid = \"{APP}\"\nname = \"{APP}\"\ningest_key = \"{KEY}\"\norigins = [\"*\"]\n"),
        )
        .unwrap();
        let data = dir.join("data");
        let log = dir.join("fovea.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_fovea"))
            .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
            .arg(&data)
            .arg("--config")
            .arg(&config)
            .args(extra)
            .env("FOVEA_ADMIN_TOKEN", TOKEN)
            .env("FOVEA_ADMIN_PASSWORD", "unused-password")
            .env("FOVEA_WRITER_FLUSH_MS", "100")
            .env("FOVEA_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("start fovea");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok((200, _)) = http(addr, "GET", "/healthz", "") {
                return Node {
                    addr,
                    data,
                    log,
                    child,
                };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        panic!("fovea did not come up on {addr}:\n{output}");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a crash would, even while clients still hold the node;
    /// the process is reaped when the node is dropped.
    pub fn crash(&self) {
        // SAFETY: kill only sends a signal, to the child this test started.
        assert_eq!(
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGKILL) },
            0
        );
    }

    /// The process's resident memory now, in bytes (Linux).
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }

    /// SIGTERM, then waits for the process to exit; how long that took.
    pub fn terminate(mut self) -> Duration {
        let t = Instant::now();
        // SAFETY: kill only sends a signal, to the child this test started.
        assert_eq!(
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) },
            0
        );
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "fovea exited with {status}:\n{}",
            self.log()
        );
        t.elapsed()
    }

    /// What the node has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GETs an API path and parses the JSON answer.
    pub fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let (status, body) = http(self.addr, "GET", path, "").unwrap();
        (status, json_of(&body))
    }

    /// Posts a batch to the intake; true when it was acknowledged.
    pub fn send(&self, body: &str) -> bool {
        matches!(
            http(
                self.addr,
                "POST",
                &format!("/api/v1/intake?key={KEY}"),
                body
            ),
            Ok((202, _))
        )
    }

    /// The event ids the API returns for a session (empty when unknown).
    pub fn session_event_ids(&self, session: &str) -> Vec<String> {
        let (status, json) = self.get_json(&format!("/api/v1/apps/{APP}/sessions/{session}"));
        if status != 200 {
            return Vec::new();
        }
        json["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_id"].as_str().unwrap().to_string())
            .collect()
    }

    /// A counter's value in `/metrics` (0 when absent).
    pub fn metric(&self, name: &str) -> f64 {
        let (_, body) = http(self.addr, "GET", "/metrics", "").unwrap();
        body.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let output = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = output.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            eprintln!(
                "fovea on {} logged, last lines:\n{}",
                self.addr,
                tail.join("\n")
            );
        }
    }
}

/// A minimal HTTP/1.1 client: one request per connection.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Ten custom actions with fresh ids in one session; the body and the ids.
pub fn batch(session: &str, seq: usize) -> (String, Vec<String>) {
    batch_of(session, seq, 10)
}

/// `n` custom actions with fresh ids in one session; the body and the ids.
pub fn batch_of(session: &str, seq: usize, n: usize) -> (String, Vec<String>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let events: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(r#"{{"type":"action","event_id":"{id}","ts":{now},"url":"https://a.example/","action_type":"custom","name":"n{seq}"}}"#)
        })
        .collect();
    (
        format!(
            r#"{{"session":{{"id":"{session}"}},"events":[{}]}}"#,
            events.join(",")
        ),
        ids,
    )
}

/// Clients that keep sending batches to a node, each in sessions of its
/// own, and remember which event ids were acknowledged.
pub struct Load {
    acked: std::sync::Arc<std::sync::Mutex<HashMap<String, Vec<String>>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    clients: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    /// `clients` threads; client `c`'s `seq`th batch goes to session
    /// `session(c, seq)`, with `pause` between batches, at most `max` each.
    pub fn start(
        node: &std::sync::Arc<Node>,
        clients: usize,
        session: fn(usize, usize) -> String,
        pause: Duration,
        max: usize,
    ) -> Load {
        Self::start_with(node, clients, session, pause, max, 10)
    }

    /// [`Load::start`] with `events` events per batch.
    pub fn start_with(
        node: &std::sync::Arc<Node>,
        clients: usize,
        session: fn(usize, usize) -> String,
        pause: Duration,
        max: usize,
        events: usize,
    ) -> Load {
        use std::sync::atomic::Ordering;
        let acked: std::sync::Arc<std::sync::Mutex<HashMap<String, Vec<String>>>> =
            Default::default();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let clients = (0..clients)
            .map(|c| {
                let (acked, stop, node) = (acked.clone(), stop.clone(), node.clone());
                std::thread::spawn(move || {
                    for seq in 0..max {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let session = session(c, seq);
                        let (body, ids) = batch_of(&session, seq, events);
                        if node.send(&body) {
                            acked
                                .lock()
                                .unwrap()
                                .entry(session)
                                .or_default()
                                .extend(ids);
                        }
                        std::thread::sleep(pause);
                    }
                })
            })
            .collect();
        Load {
            acked,
            stop,
            clients,
        }
    }

    /// How many events have been acknowledged so far.
    pub fn acked_events(&self) -> usize {
        self.acked.lock().unwrap().values().map(Vec::len).sum()
    }

    /// Stops the clients; the acknowledged ids by session.
    pub fn stop(self) -> HashMap<String, Vec<String>> {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        for c in self.clients {
            c.join().unwrap();
        }
        let acked = self.acked.lock().unwrap();
        acked.clone()
    }
}

/// Reads a chunked or plain body's JSON (the server may answer chunked).
pub fn json_of(body: &str) -> serde_json::Value {
    let start = body.find(['{', '[']).unwrap_or(0);
    let end = body.rfind(['}', ']']).map_or(body.len(), |e| e + 1);
    serde_json::from_str(&body[start..end]).unwrap_or(serde_json::Value::Null)
}

/// Waits until every acknowledged id of every session is stored, then
/// checks each is stored once; panics with what is missing or doubled.
pub fn assert_stored_exactly_once(
    node: &Node,
    acked: &std::collections::HashMap<String, Vec<String>>,
    within: Duration,
) {
    use std::collections::HashSet;
    for (session, ids) in acked {
        let want: HashSet<&String> = ids.iter().collect();
        let deadline = Instant::now() + within;
        let stored = loop {
            let stored = node.session_event_ids(session);
            let have: HashSet<&String> = stored.iter().collect();
            if want.is_subset(&have) || Instant::now() > deadline {
                break stored;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        let unique: HashSet<&String> = stored.iter().collect();
        assert_eq!(
            unique.len(),
            stored.len(),
            "{session}: an event was stored twice"
        );
        let missing = want.difference(&unique).count();
        assert_eq!(
            missing,
            0,
            "{session}: {missing} of {} acknowledged events were lost",
            want.len()
        );
    }
}
