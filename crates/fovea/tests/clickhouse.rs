//! `fovea serve --store clickhouse` for real: two nodes on two shards, a
//! ClickHouse outage under load, and a batch ClickHouse refuses for good.
//! Everything runs on loopback against Debian's `clickhouse-server`.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_stored_exactly_once, batch, http, Load, Node, APP};
use fovea_testkit::{unique_database, ClickHouse};

fn store_args(urls: &[String], cluster: Option<&str>, database: &str) -> Vec<String> {
    let mut args = vec![
        "--store".into(),
        "clickhouse".into(),
        "--clickhouse-url".into(),
        urls.join(","),
        "--clickhouse-database".into(),
        database.into(),
    ];
    if let Some(c) = cluster {
        args.extend(["--clickhouse-cluster".into(), c.into()]);
    }
    args
}

/// Two nodes write to two shards; every question gets the same answer from
/// either node.
#[test]
fn two_nodes_on_two_shards_answer_every_query_alike() {
    let Some(shards) = ClickHouse::cluster(2) else {
        return;
    };
    let urls: Vec<String> = shards.iter().map(ClickHouse::url).collect();
    let reversed: Vec<String> = urls.iter().rev().cloned().collect();
    let db = unique_database("fovea_nodes");
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Node::start(dir_a.path(), &store_args(&urls, Some("fovea"), &db));
    let b = Node::start(dir_b.path(), &store_args(&reversed, Some("fovea"), &db));

    let mut acked: HashMap<String, Vec<String>> = HashMap::new();
    for i in 0..40 {
        let session = format!("session-{i}");
        let node = if i % 2 == 0 { &a } else { &b };
        let (body, ids) = batch(&session, i);
        let error = format!(
            r#"{{"session":{{"id":"{session}"}},"events":[{{"type":"error","event_id":"{}","ts":{},"url":"https://a.example/","source":"source","message":"{} failed","stack":"Error: boom\n    at f (https://a.example/app.js:1:2)"}}]}}"#,
            uuid::Uuid::new_v4(),
            now_ms(),
            ["checkout", "search", "login"][i % 3]
        );
        assert!(node.send(&body), "batch {i} refused");
        assert!(node.send(&error), "error {i} refused");
        acked.insert(session, ids);
    }
    assert_stored_exactly_once(&a, &acked, Duration::from_secs(60));
    let day = 86_400_000;
    let (from, to) = (now_ms() - day, now_ms() + day);
    // Errors go through the same writer; wait until both nodes see them all.
    let issues = format!("/api/v1/apps/{APP}/issues?from={from}&to={to}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let (_, json) = b.get_json(&issues);
        let count: u64 = json["issues"]
            .as_array()
            .map_or(0, |v| v.iter().map(|i| i["count"].as_u64().unwrap()).sum());
        if count == 40 {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    for path in [
        format!("/api/v1/apps/{APP}/sessions?from={from}&to={to}&limit=100"),
        issues.clone(),
        format!("/api/v1/apps/{APP}/timeseries?metric=actions&from={from}&to={to}&interval=3600"),
        format!("/api/v1/apps/{APP}/summary?from={from}&to={to}"),
        format!("/api/v1/apps/{APP}/sessions/session-3"),
        "/api/v1/apps".to_string(),
    ] {
        let (sa, ja) = a.get_json(&path);
        let (sb, jb) = b.get_json(&path);
        assert_eq!((sa, sb), (200, 200), "{path}");
        assert_eq!(ja, jb, "{path}: the two nodes disagree");
    }
    let (_, issues) = a.get_json(&issues);
    assert_eq!(issues["issues"].as_array().unwrap().len(), 3);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// ClickHouse stops for 60 s while a client keeps sending: the node keeps
/// acknowledging into its spool with bounded memory, says it is not ready,
/// and once ClickHouse is back every acknowledged event is stored once.
#[test]
fn a_clickhouse_outage_loses_nothing_acknowledged() {
    let Some(mut server) = ClickHouse::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = unique_database("fovea_outage");
    let node = Arc::new(Node::start(
        dir.path(),
        &store_args(&[server.url()], None, &db),
    ));
    let (status, _) = http(node.addr, "GET", "/readyz", "").unwrap();
    assert_eq!(status, 200);

    // A session per 50 batches keeps each session's read small.
    let load = Load::start(
        &node,
        2,
        |c, seq| format!("outage-{c}-{}", seq / 50),
        Duration::from_millis(20),
        usize::MAX,
    );
    std::thread::sleep(Duration::from_secs(2));
    server.stop();
    let outage = Instant::now();
    let before = load.acked_events();
    let mut peak_rss = 0;
    let mut saw_not_ready = false;
    while outage.elapsed() < Duration::from_secs(60) {
        peak_rss = peak_rss.max(node.rss());
        let (ready, _) = http(node.addr, "GET", "/readyz", "").unwrap();
        let (healthy, _) = http(node.addr, "GET", "/healthz", "").unwrap();
        assert_eq!(healthy, 200, "the process keeps serving");
        saw_not_ready |= ready == 503;
        std::thread::sleep(Duration::from_millis(500));
    }
    let during = load.acked_events() - before;
    assert!(saw_not_ready, "/readyz never reported the store down");
    assert!(
        during > 1000,
        "intake kept acknowledging: {during} events in the outage"
    );
    assert!(node.metric("fovea_store_errors_total") > 0.0);
    assert!(
        peak_rss < 300 << 20,
        "memory stays bounded while the spool grows: {} MB",
        peak_rss >> 20
    );
    server.run();
    std::thread::sleep(Duration::from_secs(2));
    let acked = load.stop();
    assert_stored_exactly_once(&node, &acked, Duration::from_secs(120));
    let (status, _) = http(node.addr, "GET", "/readyz", "").unwrap();
    assert_eq!(status, 200);
    let total: usize = acked.values().map(Vec::len).sum();
    eprintln!(
        "outage test: {total} events acknowledged ({during} during 60 s without ClickHouse), all stored once; peak RSS {} MB",
        peak_rss >> 20
    );
}

/// A batch ClickHouse can never store is set aside in the quarantine
/// directory, counted, and the writer goes on with the next ones.
#[test]
fn a_permanently_rejected_batch_is_quarantined_and_the_writer_moves_on() {
    let Some(server) = ClickHouse::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = unique_database("fovea_quarantine");
    let node = Node::start(dir.path(), &store_args(&[server.url()], None, &db));
    // Make error messages unstorable: the column now holds numbers only.
    server
        .query(&format!(
            "ALTER TABLE {db}.events MODIFY COLUMN message Nullable(UInt8)"
        ))
        .unwrap();
    let poison = format!(
        r#"{{"session":{{"id":"poisoned"}},"events":[{{"type":"error","event_id":"{}","ts":{},"url":"https://a.example/","source":"source","message":"not a number"}}]}}"#,
        uuid::Uuid::new_v4(),
        now_ms()
    );
    assert!(node.send(&poison));
    let (good, ids) = batch("healthy", 0);
    assert!(node.send(&good));
    let acked = HashMap::from([("healthy".to_string(), ids)]);
    assert_stored_exactly_once(&node, &acked, Duration::from_secs(60));
    let deadline = Instant::now() + Duration::from_secs(30);
    while node.metric("fovea_quarantined_batches_total") < 1.0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(node.metric("fovea_quarantined_batches_total"), 1.0);
    assert_eq!(node.metric("fovea_quarantined_events_total"), 1.0);
    let files: Vec<_> = std::fs::read_dir(node.data.join("quarantine"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 1, "one record set aside");
    let record = std::fs::read(files[0].as_ref().unwrap().path()).unwrap();
    assert!(
        String::from_utf8_lossy(&record).contains("not a number"),
        "the quarantined record is the batch as spooled"
    );
    assert!(node.session_event_ids("poisoned").is_empty());
}

/// When the store refuses every record of a batch, the fault is more
/// likely its schema than the data: nothing is quarantined, the batch is
/// retried, and once the schema is put right every event is stored.
#[test]
fn a_schema_that_refuses_everything_stalls_instead_of_quarantining() {
    let Some(mut server) = ClickHouse::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = unique_database("fovea_drift");
    let args = store_args(&[server.url()], None, &db);
    let node = Node::start(dir.path(), &args);
    let addr = node.addr;
    let alter = |server: &ClickHouse, ty: &str| {
        server
            .query(&format!(
                "ALTER TABLE {db}.events MODIFY COLUMN message {ty}"
            ))
            .unwrap()
    };
    alter(&server, "Nullable(UInt8)");
    // Both records wait in the spool of a node that crashes, so that the
    // next start replays them in one batch.
    server.stop();
    let error = |session: &str| {
        format!(
            r#"{{"session":{{"id":"{session}"}},"events":[{{"type":"error","event_id":"{}","ts":{},"url":"https://a.example/","source":"source","message":"text, not a number"}}]}}"#,
            uuid::Uuid::new_v4(),
            now_ms()
        )
    };
    assert!(node.send(&error("drift-1")));
    assert!(node.send(&error("drift-2")));
    node.crash();
    drop(node);
    server.run();
    let node = Node::start_on(dir.path(), addr, &args);
    std::thread::sleep(Duration::from_secs(8));
    assert_eq!(node.metric("fovea_quarantined_batches_total"), 0.0);
    assert!(!node.data.join("quarantine").exists());
    assert!(node.log().contains("refuses every record of a batch"));
    alter(&server, "Nullable(String)");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline
        && (node.session_event_ids("drift-1").is_empty()
            || node.session_event_ids("drift-2").is_empty())
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(node.session_event_ids("drift-1").len(), 1);
    assert_eq!(node.session_event_ids("drift-2").len(), 1);
}

/// A burst of requests refused for a full spool is counted in `/metrics`
/// and logged once, not once per request (regression: 1.29 M identical
/// warnings, 231 MB of log, in a load test).
#[test]
fn a_full_spool_is_logged_once_however_many_requests_it_refuses() {
    let Some(mut server) = ClickHouse::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = unique_database("fovea_full");
    let mut args = store_args(&[server.url()], None, &db);
    // Refusals answered at once: 300 held for a second each would take minutes.
    args.extend([
        "--spool-max-bytes".into(),
        "20000".into(),
        "--refusal-hold-ms".into(),
        "0".into(),
    ]);
    let node = Node::start(dir.path(), &args);
    server.stop();
    let mut refused = 0;
    for seq in 0..300 {
        let (body, _) = batch("burst", seq);
        if !node.send(&body) {
            refused += 1;
        }
    }
    assert!(refused > 250, "only {refused} of 300 refused");
    assert_eq!(
        node.metric("fovea_requests_rejected_total{reason=\"spool_full\"}"),
        f64::from(refused)
    );
    let log = node.log();
    let full = log.matches("the spool is full").count();
    assert_eq!(full, 1, "{log}");
    assert_eq!(log.matches("intake refused a batch").count(), 0);
}

/// SIGTERM with a backlog in the spool: the node exits within the writer's
/// drain bound (regression: it waited minutes for a 2 M-event backlog), and
/// the next start stores the backlog exactly once.
#[test]
fn sigterm_with_a_backlog_exits_promptly_and_the_next_start_stores_it() {
    let Some(mut server) = ClickHouse::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let args = store_args(&[server.url()], None, &unique_database("fovea_stop"));
    let node = Node::start(dir.path(), &args);
    let addr = node.addr;
    server.stop();
    let mut acked: HashMap<String, Vec<String>> = HashMap::new();
    for seq in 0..1000 {
        let session = format!("backlog-{}", seq / 100);
        let (body, ids) = batch(&session, seq);
        if node.send(&body) {
            acked.entry(session).or_default().extend(ids);
        }
    }
    assert_eq!(acked.values().map(Vec::len).sum::<usize>(), 10_000);
    server.run();
    let took = node.terminate();
    assert!(
        took < Duration::from_secs(20),
        "SIGTERM took {took:?} with a backlog"
    );
    let node = Node::start_on(dir.path(), addr, &args);
    assert_stored_exactly_once(&node, &acked, Duration::from_secs(60));
}
