//! A slow client cannot hold a connection: headers trickled (or never
//! sent) and an idle keep-alive connection are closed after the header
//! timeout, while a prompt client is served.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::Node;

/// Reads until the server closes the connection; how long that took.
fn closed_after(mut s: &TcpStream) -> Duration {
    let start = Instant::now();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return start.elapsed(),
            Ok(_) => {}
        }
    }
}

#[test]
fn slow_headers_and_idle_connections_are_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(dir.path(), &[]);
    // Half a request line, then nothing.
    let slow = TcpStream::connect(node.addr).unwrap();
    (&slow).write_all(b"GET /healthz HT").unwrap();
    let took = closed_after(&slow);
    assert!(
        (Duration::from_secs(8)..Duration::from_secs(20)).contains(&took),
        "closed after {took:?}"
    );
    // A prompt request is answered, then the idle connection is closed.
    let idle = TcpStream::connect(node.addr).unwrap();
    (&idle)
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    (&idle).read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let took = closed_after(&idle);
    assert!(took < Duration::from_secs(20), "idle for {took:?}");
    node.terminate();
}
