//! Kill -9 under load: every event that got a 202 must be queryable after a
//! restart, and none twice. Runs the real binary against loopback.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{assert_stored_exactly_once, batch, Node};

const CLIENTS: usize = 4;

#[test]
fn every_acknowledged_event_survives_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = Arc::new(Node::start(dir.path(), &[]));
    let addr = node.addr;

    let acked: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (acked, stop, node) = (acked.clone(), stop.clone(), node.clone());
            std::thread::spawn(move || {
                let session = format!("crash-session-{c}");
                let mut seq = 0;
                // Bounded: stops when told, or after 2000 requests.
                while !stop.load(Ordering::SeqCst) && seq < 2000 {
                    let (body, ids) = batch(&session, seq);
                    seq += 1;
                    if node.send(&body) {
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
    node.crash();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    drop(node);
    let acked = acked.lock().unwrap().clone();
    let total: usize = acked.values().map(Vec::len).sum();
    assert!(
        total >= 100,
        "the load was too light to mean anything: {total} events acked"
    );

    let node = Node::start_on(dir.path(), addr, &[]);
    assert_stored_exactly_once(&node, &acked, Duration::from_secs(60));
    eprintln!("crash test: {total} acknowledged events, all stored exactly once");
}
