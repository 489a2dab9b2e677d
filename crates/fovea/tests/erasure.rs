//! An erasure cut short by a crash is finished by the next start: its
//! record is durable before the 202, and start-up resumes what is not done.

mod common;

use std::time::{Duration, Instant};

use common::{batch, http, Node, APP};

fn poll<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(v) = f() {
            return v;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{what} did not happen within 60 s");
}

#[test]
fn an_erasure_interrupted_by_a_crash_is_finished_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    // After each commit the writer waits 4 s: a batch sent then stays in
    // the spool, and the erasure waits for it.
    let node = Node::start(dir.path(), &["--writer-flush-ms".into(), "4000".into()]);
    let (ann, _) = batch("s-ann", 0);
    let ann = ann.replacen(r#"{"id":"s-ann"}"#, r#"{"id":"s-ann","user_id":"ann"}"#, 1);
    assert!(node.send(&ann));
    poll("ann's session stored", || {
        (!node.session_event_ids("s-ann").is_empty()).then_some(())
    });
    assert!(node.send(&batch("s-bob", 1).0));
    let (status, body) = http(
        node.addr,
        "DELETE",
        &format!("/api/v1/apps/{APP}/users/ann"),
        "",
    )
    .unwrap();
    assert_eq!(status, 202, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["erasure_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, pending) = node.get_json(&format!("/api/v1/erasures/{id}"));
    assert_ne!(
        pending["status"], "done",
        "it waits for the spool: {pending}"
    );
    node.crash();
    drop(node);

    let node = Node::start(dir.path(), &[]);
    let done = poll("the erasure resumed and done", || {
        let (_, e) = node.get_json(&format!("/api/v1/erasures/{id}"));
        (e["status"] == "done").then_some(e)
    });
    assert!(done["rows_removed"].as_u64().unwrap() >= 10, "{done}");
    assert!(node.session_event_ids("s-ann").is_empty());
    poll("bob's batch replayed from the spool", || {
        (node.session_event_ids("s-bob").len() == 10).then_some(())
    });
}
