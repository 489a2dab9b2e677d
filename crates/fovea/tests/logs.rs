//! What the real binary writes to stderr when stderr is a pipe, as under
//! systemd, Docker or a log shipper: no colour codes, and with
//! `--log-format json` one JSON object per line, from start to shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Runs `fovea serve` (port 0, a fresh data dir) until it says it is up,
/// stops it with SIGTERM and returns every line it wrote to stderr.
fn serve_and_stop(extra: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fovea"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .args(extra)
        .env("FOVEA_ADMIN_PASSWORD", "logs-test-password")
        .env("FOVEA_LOG", "info")
        .env_remove("FOVEA_LOG_FORMAT")
        .env_remove("NO_COLOR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fovea");
    let (tx, rx) = mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        for line in stderr.lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let mut lines = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let up = line.contains("fovea is up");
                lines.push(line);
                if up {
                    break;
                }
            }
            Err(_) => {
                let _ = child.kill();
                panic!("fovea did not come up; it wrote:\n{}", lines.join("\n"));
            }
        }
    }
    // SAFETY: kill only sends a signal, to the child this test started.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) },
        0
    );
    let status = child.wait().unwrap();
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    assert!(
        status.success(),
        "fovea exited with {status}:\n{}",
        lines.join("\n")
    );
    lines
}

#[test]
fn logs_to_a_pipe_have_no_colour_codes() {
    let lines = serve_and_stop(&[]);
    let all = lines.join("\n");
    assert!(!all.contains("\x1b["), "escape codes in:\n{all}");
    assert!(all.contains("fovea stopped"), "{all}");
}

#[test]
fn json_logs_are_one_object_per_line() {
    let lines = serve_and_stop(&["--log-format", "json"]);
    let messages: Vec<String> = lines
        .iter()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            assert!(!line.contains("\x1b["), "escape codes in: {line}");
            v["fields"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    for want in ["fovea is up", "fovea stopped"] {
        assert!(
            messages.iter().any(|m| m == want),
            "no {want:?} in {messages:?}"
        );
    }
}
