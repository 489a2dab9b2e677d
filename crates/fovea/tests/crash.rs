//! Kill -9 under load: every event that got a 202 must be queryable after a
//! restart, and none twice. Runs the real binary against loopback.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "crash-token";
const KEY: &str = "crash-key";
const CLIENTS: usize = 4;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(dir: &Path, addr: SocketAddr) -> Child {
    let config = dir.join("fovea.toml");
    std::fs::write(
        &config,
        format!("[[apps]]\nid = \"crash\"\nname = \"crash\"\ningest_key = \"{KEY}\"\norigins = [\"*\"]\n"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fovea"))
        .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
        .arg(dir.join("data"))
        .arg("--config")
        .arg(&config)
        .env("FOVEA_ADMIN_TOKEN", TOKEN)
        .env("FOVEA_ADMIN_PASSWORD", "unused-password")
        .env("FOVEA_WRITER_FLUSH_MS", "100")
        .env("FOVEA_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start fovea");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(addr, "GET", "/healthz", "") {
            return child;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("fovea did not come up on {addr}");
}

/// A minimal HTTP/1.1 client: one request per connection.
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
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

fn batch(session: &str, seq: usize) -> (String, Vec<String>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let ids: Vec<String> = (0..10).map(|_| uuid::Uuid::new_v4().to_string()).collect();
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

/// Reads a chunked or plain body's JSON (the server may answer chunked).
fn json_of(body: &str) -> serde_json::Value {
    let start = body.find('{').unwrap_or(0);
    let end = body.rfind('}').map_or(body.len(), |e| e + 1);
    serde_json::from_str(&body[start..end]).unwrap_or(serde_json::Value::Null)
}

#[test]
fn every_acknowledged_event_survives_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut child = start(dir.path(), addr);

    let acked: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (acked, stop) = (acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let session = format!("crash-session-{c}");
                let mut seq = 0;
                // Bounded: stops when told, or after 2000 requests.
                while !stop.load(Ordering::SeqCst) && seq < 2000 {
                    let (body, ids) = batch(&session, seq);
                    seq += 1;
                    if let Ok((202, _)) =
                        http(addr, "POST", &format!("/api/v1/intake?key={KEY}"), &body)
                    {
                        acked
                            .lock()
                            .unwrap()
                            .entry(session.clone())
                            .or_default()
                            .extend(ids);
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().expect("SIGKILL fovea"); // Child::kill is SIGKILL on Unix
    child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let total: usize = acked.values().map(Vec::len).sum();
    assert!(
        total >= 100,
        "the load was too light to mean anything: {total} events acked"
    );

    let mut child = start(dir.path(), addr);
    for (session, ids) in &acked {
        let want: HashSet<&String> = ids.iter().collect();
        let deadline = Instant::now() + Duration::from_secs(60);
        let stored = loop {
            let (status, body) = http(
                addr,
                "GET",
                &format!("/api/v1/apps/crash/sessions/{session}"),
                "",
            )
            .unwrap();
            let stored: Vec<String> = if status == 200 {
                json_of(&body)["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["event_id"].as_str().unwrap().to_string())
                    .collect()
            } else {
                Vec::new()
            };
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
    child.kill().unwrap();
    child.wait().unwrap();
    eprintln!("crash test: {total} acknowledged events, all stored exactly once");
}
