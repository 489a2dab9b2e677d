//! Kill -9 under load: every event that got a 202 must be queryable after a
//! restart, and none twice. Runs the real binary against loopback.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{assert_stored_exactly_once, Load, Node};

const CLIENTS: usize = 4;

#[test]
fn every_acknowledged_event_survives_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = Arc::new(Node::start(dir.path(), &[]));
    let addr = node.addr;

    // Bounded: stops when told, or after 2000 requests per client.
    let load = Load::start(
        &node,
        CLIENTS,
        |c, _| format!("crash-session-{c}"),
        Duration::ZERO,
        2000,
    );
    std::thread::sleep(Duration::from_millis(1500));
    node.crash();
    let acked = load.stop();
    drop(node);
    let total: usize = acked.values().map(Vec::len).sum();
    assert!(
        total >= 100,
        "the load was too light to mean anything: {total} events acked"
    );

    let node = Node::start_on(dir.path(), addr, &[]);
    assert_stored_exactly_once(&node, &acked, Duration::from_secs(60));
    eprintln!("crash test: {total} acknowledged events, all stored exactly once");
}
