//! The whole HTTP API without a socket: `router(state).oneshot(request)`
//! against a real spool and a real DuckDB file in a temporary directory.

use std::io::Write;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use fovea_server::{router, AppState, Settings, StaticApp};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const TOKEN: &str = "test-admin-token";
const PASSWORD: &str = "correct horse battery staple";
const KEY: &str = "shop-key";
const SERVER_KEY: &str = "shop-server-key";
const ORIGIN: &str = "https://shop.example";

struct Server {
    _dir: tempfile::TempDir,
    state: AppState,
}

async fn server_with(tune: impl FnOnce(&mut Settings)) -> Server {
    server_in(tempfile::tempdir().unwrap(), tune).await
}

async fn server_in(dir: tempfile::TempDir, tune: impl FnOnce(&mut Settings)) -> Server {
    let mut s = Settings::new(dir.path().to_path_buf());
    s.admin_token = Some(TOKEN.into());
    s.admin_password = Some(PASSWORD.into());
    s.writer_flush = Duration::from_millis(50);
    s.apps = vec![StaticApp {
        id: Some("shop".into()),
        name: "shop".into(),
        ingest_key: KEY.into(),
        origins: vec![ORIGIN.into()],
        sample_rate: None,
        retention_days: None,
        server_key: Some(SERVER_KEY.into()),
        trace_url_template: None,
        bots: None,
    }];
    tune(&mut s);
    let running = fovea_server::start(s).await.unwrap();
    Server {
        _dir: dir,
        state: running.state,
    }
}

async fn server() -> Server {
    server_with(|_| {}).await
}

impl Server {
    fn app(&self) -> Router {
        router(self.state.clone())
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let res = self.app().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, headers, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let req = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .body(Body::empty())
            .unwrap();
        let (s, _, b) = self.send(req).await;
        (s, b)
    }

    /// Polls a query until `done` holds: the writer commits asynchronously.
    async fn wait_for(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..200 {
            let (status, body) = self.get(path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            if done(&body) {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{path} never satisfied the condition");
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn beacon(session: &str) -> Value {
    let ts = now();
    json!({
        "sdk": {"name": "test", "version": "1"},
        "session": {"id": session},
        "sent_at": ts,
        "events": [
            {"type": "view", "event_id": uuid(), "view_id": format!("{session}-v"), "version": 1, "ts": ts,
             "url": "https://shop.example/cart?token=secret", "lcp": 2100, "fcp": 800, "ttfb": 120, "cls": 0.02,
             "inp": 90, "load": 2500, "lcp_element": "img.hero", "attrs": {"plan": "pro"},
             "lcp_ttfb": 120, "lcp_load_delay": 480, "lcp_load_time": 900, "lcp_render_delay": 600, "redirect": -5},
            {"type": "error", "event_id": uuid(), "view_id": format!("{session}-v"), "ts": ts + 1,
             "url": "https://shop.example/cart", "message": "x is undefined", "kind": "TypeError",
             "stack": "TypeError: x is undefined\n    at buy (https://shop.example/app.js:1:2)"},
            {"type": "resource", "event_id": uuid(), "view_id": format!("{session}-v"), "ts": ts + 2,
             "url": "https://shop.example/cart", "resource_url": "https://api.shop.example/cart?id=1",
             "kind": "fetch", "method": "GET", "status": 500, "duration": 300, "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"},
            {"type": "action", "event_id": uuid(), "view_id": format!("{session}-v"), "ts": ts + 3,
             "url": "https://shop.example/cart", "action_type": "click", "name": "Buy", "frustration": ["rage"]},
        ]
    })
}

fn intake() -> axum::http::request::Builder {
    Request::post(format!("/api/v1/intake?key={KEY}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
}

async fn post_beacon(s: &Server, body: &Value) -> (StatusCode, axum::http::HeaderMap, Value) {
    s.send(
        intake()
            .header(header::ORIGIN, ORIGIN)
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_beacon_shows_up_in_every_query() {
    let s = server().await;
    let (status, headers, body) = post_beacon(&s, &beacon("s1")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body, json!({"accepted": 4}));
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);

    let v = s
        .wait_for("/api/v1/apps/shop/vitals?metric=lcp&by=page", |b| {
            !b["groups"].as_array().unwrap().is_empty()
        })
        .await;
    assert_eq!(v["groups"][0]["key"], "/cart");
    assert_eq!(v["groups"][0]["value"], 2100.0);
    assert_eq!(v["groups"][0]["good"], 1.0);
    let sessions = s
        .wait_for("/api/v1/apps/shop/sessions", |b| {
            b["sessions"].as_array().unwrap().len() == 1
        })
        .await;
    assert_eq!(sessions["sessions"][0]["id"], "s1");
    assert_eq!(sessions["sessions"][0]["browser"], "Chrome");
    let (status, detail) = s.get("/api/v1/apps/shop/sessions/s1").await;
    assert_eq!(status, StatusCode::OK);
    let events = detail["events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(
        events[0]["url"], "https://shop.example/cart?token=[redacted]",
        "query values are scrubbed"
    );

    let (_, issues) = s.get("/api/v1/apps/shop/issues").await;
    assert_eq!(issues["issues"][0]["message"], "x is undefined");
    let fp = issues["issues"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, issue) = s.get(&format!("/api/v1/apps/shop/issues/{fp}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(issue["sessions"][0]["id"], "s1");
    let (_, res) = s.get("/api/v1/apps/shop/resources?order=failing").await;
    assert_eq!(res["resources"][0]["url"], "https://api.shop.example/cart");
    let (_, summary) = s.get("/api/v1/apps/shop/summary").await;
    assert_eq!(
        (summary["views"].as_u64(), summary["errors"].as_u64()),
        (Some(1), Some(1))
    );
    let (_, series) = s.get("/api/v1/apps/shop/timeseries?metric=lcp").await;
    assert_eq!(series["points"][0]["value"], 2100.0);
    let (_, hist) = s.get("/api/v1/apps/shop/histogram?metric=cls").await;
    assert_eq!(
        hist["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum::<u64>(),
        1
    );
    let (_, views) = s.get("/api/v1/apps/shop/views?metric=lcp").await;
    assert_eq!(views["views"][0]["lcp_element"], "img.hero");
    let v = &views["views"][0];
    assert_eq!(
        [
            &v["lcp_ttfb"],
            &v["lcp_load_delay"],
            &v["lcp_load_time"],
            &v["lcp_render_delay"]
        ],
        [120.0, 480.0, 900.0, 600.0]
    );
    assert!(
        v.get("redirect").is_none(),
        "a negative phase is left out: {v}"
    );
    // custom attribute filters, on views and on events
    let (_, pro) = s
        .get("/api/v1/apps/shop/vitals?metric=lcp&attrs.plan=pro")
        .await;
    assert_eq!(pro["groups"][0]["value"], 2100.0);
    let (_, free) = s
        .get("/api/v1/apps/shop/vitals?metric=lcp&attrs.plan=free")
        .await;
    assert_eq!(free["groups"], json!([]));
    let (_, none) = s.get("/api/v1/apps/shop/issues?attrs.plan=pro").await;
    assert_eq!(none["issues"], json!([]), "the error carries no attrs");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn replay_segment(session: &str, index: u32, events: Value) -> Value {
    json!({"v": 1, "sdk": {"name": "test", "version": "1"}, "session_id": session,
           "view_id": format!("{session}-v"), "index": index, "sent_at": now(), "events": events})
}

async fn post_replay(s: &Server, body: Vec<u8>, encoding: Option<&str>) -> (StatusCode, Value) {
    let mut req = Request::post(format!("/api/v1/replay?key={KEY}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::ORIGIN, ORIGIN)
        .header(header::USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36");
    if let Some(e) = encoding {
        req = req.header(header::CONTENT_ENCODING, e);
    }
    let (status, _, body) = s.send(req.body(Body::from(body)).unwrap()).await;
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_segment_is_spooled_scrubbed_stored_and_served() {
    let s = server().await;
    post_beacon(&s, &beacon("r1")).await;
    let t = now();
    let snapshot = json!([
        {"type": 4, "timestamp": t, "data": {"href": "https://shop.example/cart?token=abc", "width": 800, "height": 600}},
        {"type": 2, "timestamp": t + 1, "data": {"node": {"type": 0, "childNodes": [
            {"type": 2, "tagName": "img", "id": 2, "attributes": {"src": "/a.png", "onerror": "alert(1)"}, "childNodes": []},
            {"type": 3, "id": 3, "textContent": "write to jane@example.com"}]}}}
    ]);
    // Without Content-Encoding: sendBeacon's gzip is found by its magic bytes.
    let body = gzip(replay_segment("r1", 0, snapshot).to_string().as_bytes());
    let (status, answer) = post_replay(&s, body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer, json!({"accepted": 1}));
    let moves = json!([{"type": 3, "timestamp": t + 2000, "data": {"source": 1, "positions": []}}]);
    let (status, _) = post_replay(
        &s,
        replay_segment("r1", 1, moves).to_string().into_bytes(),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let index = s
        .wait_for("/api/v1/apps/shop/sessions/r1/replay", |b| {
            b["segments"].as_array().unwrap().len() == 2
        })
        .await;
    let first = &index["segments"][0];
    assert_eq!(
        (first["index"].as_u64(), first["events"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(first["full_snapshot"], true);
    assert_eq!(index["segments"][1]["full_snapshot"], false);
    assert!(first["bytes"].as_u64().unwrap() > 20);
    assert_eq!(index["segments"][1]["start"], t + 2000);

    // Without Accept-Encoding the server inflates; with it, the stored gzip.
    let (status, events) = s.get("/api/v1/apps/shop/sessions/r1/replay/0").await;
    assert_eq!(status, StatusCode::OK);
    let text = events.to_string();
    assert_eq!(events.as_array().unwrap().len(), 2, "{text}");
    for gone in ["alert", "onerror", "jane@", "token=abc"] {
        assert!(!text.contains(gone), "{gone} was stored: {text}");
    }
    let req = Request::get("/api/v1/apps/shop/sessions/r1/replay/1")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::ACCEPT_ENCODING, "gzip, br")
        .body(Body::empty())
        .unwrap();
    let res = s.app().oneshot(req).await.unwrap();
    assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");

    let (_, sessions) = s.get("/api/v1/apps/shop/sessions").await;
    assert_eq!(sessions["sessions"][0]["has_replay"], true);
    let (_, detail) = s.get("/api/v1/apps/shop/sessions/r1").await;
    assert_eq!(detail["session"]["has_replay"], true);
    assert_eq!(
        s.get("/api/v1/apps/shop/sessions/r1/replay/7").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get("/api/v1/apps/shop/sessions/r1/replay/x").await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_replay_uploads_get_the_intake_statuses() {
    let s = server_with(|c| c.replay_limits.max_decompressed = 64 << 10).await;
    let ok = replay_segment(
        "r2",
        0,
        json!([{"type": 4, "timestamp": now(), "data": {}}]),
    );
    assert_eq!(
        post_replay(&s, b"{oops".to_vec(), None).await.0,
        StatusCode::BAD_REQUEST
    );
    let mut v2 = ok.clone();
    v2["v"] = json!(2);
    assert_eq!(
        post_replay(&s, v2.to_string().into_bytes(), None).await.0,
        StatusCode::BAD_REQUEST
    );
    let no_events = replay_segment("r2", 0, json!([]));
    assert_eq!(
        post_replay(&s, no_events.to_string().into_bytes(), None)
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let bomb = gzip(&vec![b' '; 1 << 20]);
    assert_eq!(
        post_replay(&s, bomb, Some("gzip")).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        post_replay(&s, ok.to_string().into_bytes(), Some("br"))
            .await
            .0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let req = Request::post("/api/v1/replay?key=nope")
        .body(Body::from(ok.to_string()))
        .unwrap();
    assert_eq!(s.send(req).await.0, StatusCode::UNAUTHORIZED);
    let req = Request::post(format!("/api/v1/replay?key={KEY}"))
        .header(header::ORIGIN, "https://evil.example")
        .body(Body::from(ok.to_string()))
        .unwrap();
    assert_eq!(s.send(req).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        post_replay(&s, ok.to_string().into_bytes(), None).await.0,
        StatusCode::ACCEPTED
    );
}

const BUNDLE: &str = include_str!("../../symbolicate/tests/fixtures/app.min.js");
const MAP: &str = include_str!("../../symbolicate/tests/fixtures/app.min.js.map");
const STACK: &str = include_str!("../../symbolicate/tests/fixtures/stack.txt");

/// A multipart upload of one file, as `fovea sourcemaps upload` sends it.
fn upload(release: &str, url: &str, data: &str) -> Request<Body> {
    let b = "XyZboundary";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"release\"\r\n\r\n{release}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"url\"\r\n\r\n{url}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n{data}\r\n--{b}--\r\n"
    );
    Request::post("/api/v1/apps/shop/sourcemaps")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={b}"),
        )
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_source_maps_symbolicate_errors_written_before_and_after() {
    let s = server().await;
    // An error of release 1.0 before its maps exist: grouped on minified frames.
    let error = |session: &str, release: &str| {
        json!({"session": {"id": session}, "context": {"release": release}, "events": [
            {"type": "error", "event_id": uuid(), "ts": now(), "url": "https://shop.example/",
             "kind": "RangeError", "message": "coupon X is over 100%", "stack": STACK}]})
    };
    post_beacon(&s, &error("early", "1.0")).await;
    let issues = s
        .wait_for("/api/v1/apps/shop/issues", |b| {
            b["issues"].as_array().unwrap().len() == 1
        })
        .await;
    let early = issues["issues"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, d) = s.get(&format!("/api/v1/apps/shop/issues/{early}")).await;
    assert_eq!(d["frames"][0]["function"], "n", "no map yet: {d}");
    assert_eq!(d["frames"][0]["minified"], Value::Null);

    let (status, _, info) = s.send(upload("1.0", "~/assets/app.min.js.map", MAP)).await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(info["kind"], "map");
    assert_eq!(info["debug_id"], "c2c0e5b1-6d1e-4a4f-9a36-3e4b6f2d7a11");
    let (status, _, info) = s.send(upload("1.0", "~/assets/app.min.js", BUNDLE)).await;
    assert_eq!(status, StatusCode::CREATED, "{info}");
    assert_eq!(info["kind"], "source");

    // Read again, the same stored error is explained by the late map.
    let (_, d) = s.get(&format!("/api/v1/apps/shop/issues/{early}")).await;
    let top = &d["frames"][0];
    assert_eq!(top["function"], "applyDiscount", "{d}");
    assert_eq!(top["file"], "src/cart.js");
    assert_eq!(top["line"], 13);
    assert_eq!(top["in_app"], true);
    assert!(top["context"]["line"]
        .as_str()
        .unwrap()
        .contains("throw new RangeError"));
    assert_eq!(top["minified"]["line"], 1);
    assert_eq!(d["frames"][1]["function"], "computeTotal");
    assert_eq!(d["frames"][2]["function"], "checkout");
    assert_eq!(d["release"], "1.0");
    // The symbolication is stored for the next read.
    let hash = fovea_schema::sha256_hex(d["stack"].as_str().unwrap().as_bytes());
    let stored = s
        .state
        .store
        .stored_frames("shop", "1.0", &hash)
        .await
        .unwrap()
        .expect("stored");
    assert!(stored.frames.contains("applyDiscount"), "{}", stored.frames);

    // A new occurrence is grouped on the original frames.
    post_beacon(&s, &error("late", "1.0")).await;
    let issues = s
        .wait_for("/api/v1/apps/shop/issues", |b| {
            b["issues"].as_array().unwrap().len() == 2
        })
        .await;
    let symbolicated = issues["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["fingerprint"] != early.as_str())
        .unwrap();
    assert_eq!(
        symbolicated["top_frame"],
        "applyDiscount (src/cart.js:13:11)"
    );

    let (_, list) = s.get("/api/v1/apps/shop/sourcemaps?release=1.0").await;
    assert_eq!(list["sourcemaps"].as_array().unwrap().len(), 2);
    let (status, _, e) = s
        .send(upload(
            "1.0",
            "~/assets/broken.js.map",
            r#"{"version":3,"mappings":"#,
        ))
        .await;
    assert_eq!(
        (status, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_sourcemap")),
        "{e}"
    );
    let (status, _, e) = s.send(upload("", "~/a.js.map", MAP)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    let del = Request::delete("/api/v1/apps/shop/sourcemaps?release=1.0")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = s.send(del).await;
    assert_eq!(
        (status, body["deleted"].as_u64()),
        (StatusCode::OK, Some(2))
    );
    // Without the maps, the stored symbolication is not used any more.
    let (_, d) = s.get(&format!("/api/v1/apps/shop/issues/{early}")).await;
    assert_eq!(d["frames"][0]["function"], "n", "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resolved_issue_regresses_when_a_newer_release_throws_it_again() {
    let s = server().await;
    let error = |release: &str| {
        json!({"session": {"id": "w1"}, "context": {"release": release}, "events": [
            {"type": "error", "event_id": uuid(), "ts": now(), "url": "https://shop.example/",
             "kind": "TypeError", "message": "x is undefined",
             "stack": "TypeError: x is undefined\n    at buy (https://shop.example/app.js:1:2)"}]})
    };
    post_beacon(&s, &error("1.0")).await;
    let list = s
        .wait_for("/api/v1/apps/shop/issues", |b| {
            b["issues"].as_array().unwrap().len() == 1
        })
        .await;
    let fp = list["issues"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(list["issues"][0]["status"], "open");
    let patch = |body: Value| {
        Request::patch(format!("/api/v1/apps/shop/issues/{fp}"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, _, st) = s
        .send(patch(
            json!({"status": "resolved", "resolved_in_release": "1.1"}),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{st}");
    assert_eq!(st["status"], "resolved");
    let (_, list) = s.get("/api/v1/apps/shop/issues?status=resolved").await;
    assert_eq!(list["issues"][0]["status"], "resolved");
    assert_eq!(list["issues"][0]["regressed"], false);
    let (_, open) = s.get("/api/v1/apps/shop/issues?status=open").await;
    assert!(open["issues"].as_array().unwrap().is_empty());

    // Release 1.2 throws it again: open, regressed.
    tokio::time::sleep(Duration::from_millis(5)).await;
    post_beacon(&s, &error("1.2")).await;
    let list = s
        .wait_for("/api/v1/apps/shop/issues", |b| b["issues"][0]["count"] == 2)
        .await;
    let issue = &list["issues"][0];
    assert_eq!(
        (issue["status"].as_str(), issue["regressed"].as_bool()),
        (Some("open"), Some(true)),
        "{issue}"
    );
    assert_eq!(issue["last_release"], "1.2");
    let (_, d) = s.get(&format!("/api/v1/apps/shop/issues/{fp}")).await;
    assert_eq!(d["issue"]["regressed"], true);

    let (status, _, _) = s.send(patch(json!({"status": "ignored"}))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = s.get("/api/v1/apps/shop/issues?status=ignored").await;
    assert_eq!(list["issues"][0]["status"], "ignored");
    for bad in [
        json!({"status": "done"}),
        json!({"status": "open", "resolved_in_release": "1"}),
        json!({"state": "open"}),
    ] {
        let (status, _, _) = s.send(patch(bad.clone())).await;
        assert!(status.is_client_error(), "{bad}: {status}");
    }
    assert_eq!(
        s.get("/api/v1/apps/shop/issues?status=nope").await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_intake_requests_get_exact_statuses_and_the_server_keeps_serving() {
    let s = server().await;
    let valid = beacon("s2").to_string();
    let mut big_event = beacon("s2");
    big_event["events"][1]["message"] = json!("x".repeat(300 << 10));
    let mut wrong_type = beacon("s2");
    wrong_type["events"][0]["lcp"] = json!("slow");
    let mut missing = beacon("s2");
    missing["events"][1]
        .as_object_mut()
        .unwrap()
        .remove("message");
    let bomb = gzip(&vec![b' '; 32 << 20]);
    let post = |uri: &str| Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    let k = format!("/api/v1/intake?key={KEY}");
    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        (
            "bad json",
            post(&k).body(Body::from("{oops")).unwrap(),
            StatusCode::BAD_REQUEST,
            "bad_json",
        ),
        (
            "wrong type",
            post(&k).body(Body::from(wrong_type.to_string())).unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_event",
        ),
        (
            "missing field",
            post(&k).body(Body::from(missing.to_string())).unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_event",
        ),
        (
            "no key",
            post("/api/v1/intake")
                .body(Body::from(valid.clone()))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "missing_key",
        ),
        (
            "unknown key",
            post("/api/v1/intake?key=nope")
                .body(Body::from(valid.clone()))
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "unknown_key",
        ),
        (
            "bad origin",
            post(&k)
                .header(header::ORIGIN, "https://evil.example")
                .body(Body::from(valid.clone()))
                .unwrap(),
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
        ),
        (
            "oversized body",
            post(&k).body(Body::from(vec![b' '; 2 << 20])).unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            "oversized event",
            post(&k).body(Body::from(big_event.to_string())).unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            "gzip bomb",
            post(&k)
                .header(header::CONTENT_ENCODING, "gzip")
                .body(Body::from(bomb))
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        (
            "unsupported encoding",
            post(&k)
                .header(header::CONTENT_ENCODING, "br")
                .body(Body::from(valid.clone()))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_encoding",
        ),
        (
            "unsupported type",
            Request::post(&k)
                .header(header::CONTENT_TYPE, "application/xml")
                .body(Body::from(valid.clone()))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "wrong method",
            Request::get(&k).body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "",
        ),
    ];
    for (name, req, status, code) in cases {
        let (got, _, body) = s.send(req).await;
        assert_eq!(got, status, "{name}: {body}");
        if !code.is_empty() {
            assert_eq!(body["error"], code, "{name}: {body}");
            assert!(!body["message"].as_str().unwrap().is_empty(), "{name}");
        }
    }
    // Still serving, and a gzip'd text/plain beacon (sendBeacon's shape) works.
    let req = Request::post(&k)
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .header(header::CONTENT_ENCODING, "gzip")
        .body(Body::from(gzip(valid.as_bytes())))
        .unwrap();
    let (status, _, body) = s.send(req).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_allows_the_sdk_headers() {
    let s = server().await;
    let req = Request::options(format!("/api/v1/intake?key={KEY}"))
        .header(header::ORIGIN, ORIGIN)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = s.send(req).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);
    assert!(headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap()
        .contains("content-encoding"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_over_its_rate_gets_429_with_retry_after() {
    let s = server_with(|s| s.rate_limit_per_app = 1.0).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let (status, headers, _) = post_beacon(&s, &beacon(&format!("r{i}"))).await;
        statuses.push(status);
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert!(headers.contains_key(header::RETRY_AFTER));
            assert_eq!(
                headers[header::ACCESS_CONTROL_EXPOSE_HEADERS],
                "Retry-After"
            );
        }
    }
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_over_its_rate_gets_429_and_others_keep_sending() {
    let s = server_with(|s| {
        s.client_ip_header = Some("x-forwarded-for".into());
        s.rate_limit_per_ip = 1.0; // bursts of 2
    })
    .await;
    let from = |ip: &str| {
        intake()
            .header(header::ORIGIN, ORIGIN)
            .header("x-forwarded-for", ip)
            .body(Body::from(beacon("s-ip").to_string()))
            .unwrap()
    };
    for _ in 0..2 {
        assert_eq!(s.send(from("203.0.113.9")).await.0, StatusCode::ACCEPTED);
    }
    let (status, headers, body) = s.send(from("203.0.113.9")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert_eq!(s.send(from("198.51.100.7")).await.0, StatusCode::ACCEPTED);
    assert_eq!(
        s.send(from("127.0.0.1")).await.0,
        StatusCode::ACCEPTED,
        "loopback is a local proxy or a test"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_over_its_daily_quota_gets_429_until_the_next_utc_day() {
    let s = server().await;
    let patch = |body: Value| {
        Request::patch("/api/v1/apps/shop")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, _, app) = s.send(patch(json!({"daily_event_quota": 6}))).await;
    assert_eq!(status, StatusCode::OK, "{app}");
    assert_eq!(app["daily_event_quota"], 6);
    // 4 events, then 4 more (the quota is checked before a batch), then no more.
    for session in ["q1", "q2"] {
        let (status, _, body) = post_beacon(&s, &beacon(session)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    let (status, headers, body) = post_beacon(&s, &beacon("q3")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "quota_exceeded");
    let retry: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
    let metrics = |s: &Server| {
        let req = Request::get("/metrics").body(Body::empty()).unwrap();
        let s = s.app();
        async move {
            let res = s.oneshot(req).await.unwrap();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            String::from_utf8(bytes.to_vec()).unwrap()
        }
    };
    let exceeded = r#"fovea_quota_exceeded{app="shop",quota="events"}"#;
    assert!(metrics(&s).await.contains(&format!("{exceeded} 1")));
    let since = r#"fovea_quota_exceeded_since_seconds{app="shop",quota="events"}"#;
    let at = metrics(&s)
        .await
        .lines()
        .find(|l| l.starts_with(since))
        .map(str::to_string);
    let at: i64 = at.unwrap().rsplit(' ').next().unwrap().parse().unwrap();
    assert!((now() / 1000 - at).abs() < 60, "{at}");
    let (_, usage) = s.get("/api/v1/apps/shop/usage").await;
    assert_eq!(usage["quota"]["daily_event_quota"], 6);
    assert!(
        usage["quota"]["events_exceeded_at"].as_i64().unwrap() / 1000 - at <= 1,
        "{usage}"
    );
    // An admin lifts it: accepted at once.
    let (_, _, app) = s.send(patch(json!({"daily_event_quota": null}))).await;
    assert_eq!(app["daily_event_quota"], Value::Null);
    let (status, _, _) = post_beacon(&s, &beacon("q4")).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // With a quota again, above what is used: the gauge says so.
    let patch_back = patch(json!({"daily_event_quota": 1000}));
    s.send(patch_back).await;
    post_beacon(&s, &beacon("q5")).await;
    assert!(metrics(&s).await.contains(&format!("{exceeded} 0")));
}

/// The shop's beacon, on another page.
fn beacon_at(session: &str, path: &str) -> Value {
    let body = beacon(session).to_string();
    serde_json::from_str(&body.replace("shop.example/cart", &format!("shop.example{path}")))
        .unwrap()
}

fn admin(method: &str, path: &str, body: Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sampling_rules_reach_the_sdk_apply_at_intake_and_show_in_usage() {
    let s = server_with(|s| s.client_ip_header = Some("x-forwarded-for".into())).await;
    let (status, rules) = s.get("/api/v1/apps/shop/sampling").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        rules["default"],
        json!({"session_rate": 100.0, "replay_rate": 100.0})
    );
    assert_eq!(rules["bots"], "tag");
    // A bad rule is a 400 naming its field; nothing changes.
    let bad = json!({"rules": [{"match": {"route": "/a"}, "session_rate": 100}, {"session_rate": 120}],
                     "default": {"session_rate": 10}});
    let (status, _, body) = s
        .send(admin("PUT", "/api/v1/apps/shop/sampling", bad))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("rules[1].session_rate"),
        "{body}"
    );
    let good = json!({"rules": [{"match": {"route": "/checkout*"}, "session_rate": 100, "replay_rate": 20, "keep": true}],
                      "default": {"session_rate": 0, "replay_rate": 0},
                      "exclude": {"envs": ["staging"], "ip_ranges": ["10.0.0.0/8"]}});
    let (status, _, saved) = s
        .send(admin("PUT", "/api/v1/apps/shop/sampling", good))
        .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["rules"][0]["keep"], true);
    let (_, app) = s.get("/api/v1/apps/shop").await;
    assert_eq!(
        app["sample_rate"], 0.0,
        "the default rule is the app's sample rate"
    );

    // The SDK's config: public, the rules without the address ranges, and
    // what the server makes of the browser; revalidated with its ETag.
    let config = || {
        Request::get(format!("/api/v1/sdk-config?key={KEY}"))
            .header(header::ORIGIN, ORIGIN)
            .header(header::USER_AGENT, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
    };
    let (status, headers, body) = s.send(config().body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rules"][0]["match"]["route"], "/checkout*");
    assert_eq!(body["default"]["session_rate"], 0.0);
    assert_eq!(body["exclude"], json!({"envs": ["staging"], "routes": []}));
    assert_eq!(body["client"]["device"], "mobile");
    assert_eq!(body["quota_until"], Value::Null);
    assert!(!body.to_string().contains("10.0.0.0"));
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], ORIGIN);
    let etag = headers[header::ETAG].clone();
    let again = config()
        .header(header::IF_NONE_MATCH, etag)
        .body(Body::empty())
        .unwrap();
    assert_eq!(s.send(again).await.0, StatusCode::NOT_MODIFIED);
    let unknown = Request::get("/api/v1/sdk-config?key=nope")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = s.send(unknown).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unknown_key"))
    );

    // A client that applies no rules (an old SDK): the server does. /cart
    // falls to the default (0 %), /checkout is a key page, staging and the
    // office's addresses are excluded.
    let office = |body: &Value| {
        intake()
            .header(header::ORIGIN, ORIGIN)
            .header("x-forwarded-for", "10.1.2.3")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    for body in [beacon("c1"), beacon_at("c2", "/checkout/pay")] {
        assert_eq!(post_beacon(&s, &body).await.0, StatusCode::ACCEPTED);
    }
    let mut staging = beacon("c3");
    staging["context"] = json!({"env": "staging"});
    assert_eq!(post_beacon(&s, &staging).await.0, StatusCode::ACCEPTED);
    let (status, _, body) = s.send(office(&beacon_at("c4", "/checkout"))).await;
    assert_eq!(
        (status, body["accepted"].as_u64()),
        (StatusCode::ACCEPTED, Some(0))
    );
    // The SDK's own decision: kept at the rate it says when the hash agrees.
    let mut declared = beacon("c5");
    declared["session"]["key"] = json!(true);
    assert_eq!(post_beacon(&s, &declared).await.0, StatusCode::ACCEPTED);

    let day = now() / 86_400_000 * 86_400_000;
    let path = format!("/api/v1/apps/shop/usage?from={day}&to={}", day + 86_400_000);
    let usage = s
        .wait_for(&path, |u| {
            let d = &u["days"][0];
            d["sessions"] == 2 && d["dropped"]["excluded"] == 8 && d["dropped"]["sampled"] == 4
        })
        .await;
    let today = &usage["days"][0];
    assert_eq!(usage["days"].as_array().unwrap().len(), 1);
    assert_eq!(today["views"], 2);
    assert_eq!(
        today["events"],
        json!({"action": 2, "error": 2, "resource": 2, "long_task": 0})
    );
    assert_eq!(today["dropped"]["bot"], 0);
    assert_eq!(usage["extrapolated"], false);
    assert!(usage["stored_bytes"]["views"].as_u64().is_some());
    // The what-if of keeping everything stores more than the rules now.
    let all = json!({"default": {"session_rate": 100}});
    let (status, _, what_if) = s
        .send(admin("POST", "/api/v1/apps/shop/usage/what-if", all))
        .await;
    assert_eq!(status, StatusCode::OK, "{what_if}");
    assert!(
        what_if["proposed"]["sessions"].as_u64() >= what_if["current"]["sessions"].as_u64(),
        "{what_if}"
    );
    let (status, _, body) = s
        .send(admin(
            "POST",
            "/api/v1/apps/shop/usage/what-if",
            json!({"default": {"session_rate": -1}}),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_app_flooding_the_spool_gets_503_at_half_and_another_app_still_sends() {
    let s = server_with(|s| {
        s.spool_max_bytes = 20_000;
        s.refusal_hold = Duration::ZERO;
        // After its first commit the writer waits: the spool keeps what
        // arrives meanwhile.
        s.writer_flush = Duration::from_secs(30);
    })
    .await;
    let (status, blog) = s
        .call(
            "POST",
            "/api/v1/apps",
            &format!("Bearer {TOKEN}"),
            json!({"name": "blog", "origins": ["*"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{blog}");
    let mut refused = None;
    for i in 0..40 {
        let (status, _, body) = post_beacon(&s, &beacon(&format!("flood{i}"))).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            refused = Some(body);
            break;
        }
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    let refused = refused.expect("the flooding app is refused");
    assert_eq!(refused["error"], "spool_share", "{refused}");
    let req = Request::post(format!(
        "/api/v1/intake?key={}",
        blog["ingest_key"].as_str().unwrap()
    ))
    .header(header::CONTENT_TYPE, "application/json")
    .body(Body::from(beacon("blog-1").to_string()))
    .unwrap();
    let (status, _, body) = s.send(req).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "the other app has the other half: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spool_answers_503_instead_of_dropping() {
    let s = server_with(|s| s.spool_max_bytes = 0).await;
    // The first batch fits (the spool was empty); the store has not drained
    // it yet when the second arrives only if the writer is slow, so fill
    // faster than one flush.
    let mut saw_503 = false;
    for i in 0..20 {
        let (status, headers, body) = post_beacon(&s, &beacon(&format!("f{i}"))).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(body["error"], "spool_full");
            assert!(headers.contains_key(header::RETRY_AFTER));
            saw_503 = true;
            break;
        }
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    assert!(saw_503);
}

const API_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/logout"),
    ("GET", "/api/v1/apps"),
    ("POST", "/api/v1/apps"),
    ("GET", "/api/v1/apps/shop"),
    ("PATCH", "/api/v1/apps/shop"),
    ("GET", "/api/v1/apps/shop/vitals?metric=lcp"),
    ("GET", "/api/v1/apps/shop/summary"),
    ("GET", "/api/v1/apps/shop/timeseries?metric=views"),
    ("GET", "/api/v1/apps/shop/histogram?metric=lcp"),
    ("GET", "/api/v1/apps/shop/views?metric=lcp"),
    ("GET", "/api/v1/apps/shop/sessions"),
    ("GET", "/api/v1/apps/shop/sessions/s1"),
    ("GET", "/api/v1/apps/shop/issues"),
    ("GET", "/api/v1/apps/shop/issues/abc"),
    ("GET", "/api/v1/apps/shop/resources"),
    ("GET", "/api/v1/apps/shop/sessions/s1/replay"),
    ("GET", "/api/v1/apps/shop/sessions/s1/replay/0"),
    ("GET", "/api/v1/apps/shop/sourcemaps"),
    ("POST", "/api/v1/apps/shop/sourcemaps"),
    ("DELETE", "/api/v1/apps/shop/sourcemaps?release=1"),
    ("DELETE", "/api/v1/apps/shop/sourcemaps/abc"),
    ("PATCH", "/api/v1/apps/shop/issues/abc"),
    ("GET", "/api/v1/apps/shop/actions"),
    ("POST", "/api/v1/apps/shop/server-key"),
    (
        "GET",
        "/api/v1/apps/shop/traces/4bf92f3577b34da6a3ce929d0e0e4736",
    ),
    ("GET", "/api/v1/apps/shop/services"),
    ("GET", "/api/v1/apps/shop/slow-requests"),
    ("GET", "/api/v1/apps/shop/sampling"),
    ("PUT", "/api/v1/apps/shop/sampling"),
    ("GET", "/api/v1/apps/shop/usage"),
    ("POST", "/api/v1/apps/shop/usage/what-if"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_needs_authentication() {
    let s = server().await;
    for (method, path) in API_ROUTES {
        for auth in [None, Some("Bearer wrong"), Some("Basic YWRtaW46YWRtaW4=")] {
            let mut req = Request::builder()
                .method(*method)
                .uri(*path)
                .header(header::CONTENT_TYPE, "application/json");
            if let Some(a) = auth {
                req = req.header(header::AUTHORIZATION, a);
            }
            let (status, _, body) = s.send(req.body(Body::from("{}")).unwrap()).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} with {auth:?}: {body}"
            );
            assert_eq!(body["error"], "unauthorized");
        }
    }
}

/// What a route is, for the role matrix: who may call it is written out
/// here, apart from the server's own table.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Any signed-in caller.
    Signed,
    /// Any signed-in caller with a writable credential.
    SignedWrite,
    AdminRead,
    AdminWrite,
    AppRead,
    AppWrite,
}

const MATRIX_ROUTES: &[(&str, &str, Kind)] = &[
    ("GET", "/api/v1/me", Kind::Signed),
    ("GET", "/api/v1/apps", Kind::Signed),
    ("GET", "/api/v1/tokens", Kind::Signed),
    ("POST", "/api/v1/tokens", Kind::SignedWrite),
    ("DELETE", "/api/v1/tokens/nope", Kind::SignedWrite),
    ("GET", "/api/v1/erasures/nope", Kind::Signed),
    ("POST", "/api/v1/apps", Kind::AdminWrite),
    ("GET", "/api/v1/users", Kind::AdminRead),
    ("POST", "/api/v1/users", Kind::AdminWrite),
    ("PATCH", "/api/v1/users/nobody", Kind::AdminWrite),
    ("DELETE", "/api/v1/users/nobody", Kind::AdminWrite),
    ("GET", "/api/v1/audit", Kind::AdminRead),
    ("GET", "/api/v1/apps/shop", Kind::AppRead),
    ("PATCH", "/api/v1/apps/shop", Kind::AppWrite),
    ("GET", "/api/v1/apps/shop/vitals?metric=lcp", Kind::AppRead),
    ("GET", "/api/v1/apps/shop/summary", Kind::AppRead),
    (
        "GET",
        "/api/v1/apps/shop/timeseries?metric=views",
        Kind::AppRead,
    ),
    (
        "GET",
        "/api/v1/apps/shop/histogram?metric=lcp",
        Kind::AppRead,
    ),
    ("GET", "/api/v1/apps/shop/views?metric=lcp", Kind::AppRead),
    ("GET", "/api/v1/apps/shop/sessions", Kind::AppRead),
    ("GET", "/api/v1/apps/shop/sessions/s1", Kind::AppRead),
    ("DELETE", "/api/v1/apps/shop/sessions/s1", Kind::AppWrite),
    ("DELETE", "/api/v1/apps/shop/users/u1", Kind::AppWrite),
    ("GET", "/api/v1/apps/shop/issues", Kind::AppRead),
    ("GET", "/api/v1/apps/shop/issues/abc", Kind::AppRead),
    ("PATCH", "/api/v1/apps/shop/issues/abc", Kind::AppWrite),
    ("GET", "/api/v1/apps/shop/resources", Kind::AppRead),
    ("GET", "/api/v1/apps/shop/actions", Kind::AppRead),
    ("GET", "/api/v1/apps/shop/sessions/s1/replay", Kind::AppRead),
    (
        "GET",
        "/api/v1/apps/shop/sessions/s1/replay/0",
        Kind::AppRead,
    ),
    ("GET", "/api/v1/apps/shop/sourcemaps", Kind::AppRead),
    ("POST", "/api/v1/apps/shop/sourcemaps", Kind::AppWrite),
    (
        "DELETE",
        "/api/v1/apps/shop/sourcemaps?release=1",
        Kind::AppWrite,
    ),
    ("DELETE", "/api/v1/apps/shop/sourcemaps/abc", Kind::AppWrite),
    ("POST", "/api/v1/apps/shop/server-key", Kind::AppWrite),
    ("POST", "/api/v1/apps/shop/rotate-key", Kind::AppWrite),
    (
        "GET",
        "/api/v1/apps/shop/traces/4bf92f3577b34da6a3ce929d0e0e4736",
        Kind::AppRead,
    ),
    ("GET", "/api/v1/apps/shop/services", Kind::AppRead),
    ("GET", "/api/v1/apps/shop/slow-requests", Kind::AppRead),
    ("GET", "/api/v1/apps/shop/sampling", Kind::AppRead),
    ("PUT", "/api/v1/apps/shop/sampling", Kind::AppWrite),
    ("GET", "/api/v1/apps/shop/usage", Kind::AppRead),
    ("POST", "/api/v1/apps/shop/usage/what-if", Kind::AppRead),
];

impl Server {
    /// Creates a user through the API (as the bootstrap token) and signs
    /// them in: the session cookie.
    async fn user(&self, name: &str, role: &str, apps: &[&str]) -> String {
        let req = Request::post("/api/v1/users")
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"username": name, "password": "a long password", "role": role, "apps": apps})
                    .to_string(),
            ))
            .unwrap();
        let (status, _, body) = self.send(req).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, headers, _) = self.send(login(name, "a long password")).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let cookie = headers[header::SET_COOKIE].to_str().unwrap();
        cookie.split(';').next().unwrap().to_string()
    }

    /// A request as a signed-in browser (cookie and CSRF header) or with a
    /// bearer token.
    async fn call(&self, method: &str, path: &str, auth: &str, body: Value) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json");
        req = match auth.strip_prefix("Bearer ") {
            Some(_) => req.header(header::AUTHORIZATION, auth),
            None => req.header(header::COOKIE, auth).header("x-fovea-csrf", "1"),
        };
        let (status, _, body) = self
            .send(req.body(Body::from(body.to_string())).unwrap())
            .await;
        (status, body)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_allows_exactly_what_each_role_may_do() {
    let s = server().await;
    let admin = s.user("ada", "admin", &[]).await;
    let member = s.user("mel", "member", &["shop"]).await;
    let viewer = s.user("vic", "viewer", &["shop"]).await;
    let outsider = s.user("otto", "member", &[]).await;
    let (status, token) = s
        .call(
            "POST",
            "/api/v1/tokens",
            &admin,
            json!({"name": "ci", "access": "read"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let read_only = format!("Bearer {}", token["token"].as_str().unwrap());
    // (caller, may it do a route of this kind?)
    type Rule = fn(Kind) -> bool;
    let callers: [(&str, &str, Rule); 5] = [
        ("admin", &admin, |_| true),
        ("member", &member, |k| {
            !matches!(k, Kind::AdminRead | Kind::AdminWrite)
        }),
        ("viewer", &viewer, |k| {
            matches!(k, Kind::Signed | Kind::SignedWrite | Kind::AppRead)
        }),
        ("member of another app", &outsider, |k| {
            matches!(k, Kind::Signed | Kind::SignedWrite)
        }),
        ("admin's read-only token", &read_only, |k| {
            matches!(k, Kind::Signed | Kind::AdminRead | Kind::AppRead)
        }),
    ];
    for (who, auth, may) in callers {
        for (method, path, kind) in MATRIX_ROUTES {
            let (status, body) = s.call(method, path, auth, json!({})).await;
            assert_ne!(status, StatusCode::UNAUTHORIZED, "{who}: {method} {path}");
            if may(*kind) {
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{who} may {method} {path}: {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{who} may not {method} {path}: {body}"
                );
            }
        }
    }
    // The apps list shows each caller only their apps.
    for (auth, n) in [(&viewer, 1), (&outsider, 0), (&admin, 1)] {
        let (_, apps) = s.call("GET", "/api/v1/apps", auth, json!({})).await;
        assert_eq!(apps["apps"].as_array().unwrap().len(), n, "{apps}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_the_users_logins_and_admin_actions_are_audited() {
    let s = server().await;
    let cookie = s.user("mel", "member", &["shop"]).await;
    assert_eq!(
        s.call("GET", "/api/v1/me", &cookie, json!({})).await.0,
        StatusCode::OK
    );
    let auth = format!("Bearer {TOKEN}");
    let (status, user) = s
        .call(
            "PATCH",
            "/api/v1/users/mel",
            &auth,
            json!({"password": "another long one", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["role"], "viewer");
    assert!(user.get("password_hash").is_none(), "{user}");
    assert_eq!(
        s.call("GET", "/api/v1/me", &cookie, json!({})).await.0,
        StatusCode::UNAUTHORIZED,
        "the old login ended"
    );
    assert_eq!(
        s.send(login("mel", "another long one")).await.0,
        StatusCode::NO_CONTENT
    );
    // The last admin stays.
    let (status, _) = s
        .call(
            "PATCH",
            "/api/v1/users/admin",
            &auth,
            json!({"role": "viewer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = s
        .call(
            "POST",
            "/api/v1/users",
            &auth,
            json!({"username": "mel", "password": "whatever long", "role": "viewer"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "names are unique");
    let (status, _) = s
        .call("DELETE", "/api/v1/users/mel", &auth, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        s.send(login("mel", "another long one")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, log) = s.call("GET", "/api/v1/audit", &auth, json!({})).await;
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["user.create", "login", "user.update", "user.delete"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    assert_eq!(actions[0], "user.delete", "newest first: {actions:?}");
    assert_eq!(log["entries"][0]["actor"], "admin-token");
    assert_eq!(log["entries"][0]["target"], "mel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_user_ids_count_users_hide_the_id_and_can_still_be_erased() {
    let s = server().await;
    let auth = format!("Bearer {TOKEN}");
    let (status, app) = s
        .call(
            "PATCH",
            "/api/v1/apps/shop",
            &auth,
            json!({"user_id_mode": "hash", "scrub_patterns": ["ORD-\\d+"], "scrub_keys": ["voucher"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{app}");
    assert_eq!(app["user_id_mode"], "hash");
    assert!(
        app.get("user_id_key").is_none(),
        "the key is never shown: {app}"
    );
    let (status, body) = s
        .call(
            "PATCH",
            "/api/v1/apps/shop",
            &auth,
            json!({"scrub_patterns": ["("]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("scrub_patterns"),
        "{body}"
    );

    let mut b = beacon("s-hash");
    b["session"]["user_id"] = json!("ann@example.com");
    b["events"][1]["message"] = json!("order ORD-123456 failed");
    b["events"][0]["url"] = json!("https://shop.example/cart?voucher=FREE100");
    assert_eq!(post_beacon(&s, &b).await.0, StatusCode::ACCEPTED);
    s.wait_for("/api/v1/apps/shop/sessions", |b| {
        b["sessions"].as_array().is_some_and(|v| !v.is_empty())
    })
    .await;
    let detail = s
        .get("/api/v1/apps/shop/sessions/s-hash")
        .await
        .1
        .to_string();
    assert!(!detail.contains("ann@example.com"), "{detail}");
    assert!(
        !detail.contains("ORD-123456") && !detail.contains("FREE100"),
        "{detail}"
    );
    let (_, sessions) = s.get("/api/v1/apps/shop/sessions").await;
    let user = sessions["sessions"][0]["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(user.len(), 32, "an HMAC, hex: {user}");

    // Erased by the id the application knows; the server hashes it.
    let (_, accepted) = s
        .call(
            "DELETE",
            "/api/v1/apps/shop/users/ann@example.com",
            &auth,
            json!({}),
        )
        .await;
    let id = accepted["erasure_id"].as_str().unwrap();
    let done = s
        .wait_for(&format!("/api/v1/erasures/{id}"), |e| e["status"] == "done")
        .await;
    assert!(done["rows_removed"].as_u64().unwrap() > 0, "{done}");
    assert_eq!(
        s.get("/api/v1/apps/shop/sessions/s-hash").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_ingest_key_keeps_working_for_its_grace_period() {
    let s = server().await;
    let auth = format!("Bearer {TOKEN}");
    let (status, rotated) = s
        .call(
            "POST",
            "/api/v1/apps/shop/rotate-key",
            &auth,
            json!({"grace_hours": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    assert_eq!(rotated["previous_key"], KEY);
    let new_key = rotated["ingest_key"].as_str().unwrap().to_string();
    assert_ne!(new_key, KEY);
    let hour = rotated["previous_key_expires_at"].as_i64().unwrap() - now();
    assert!((3_500_000..=3_600_000).contains(&hour), "{hour}");
    for key in [KEY, new_key.as_str()] {
        let req = Request::post(format!("/api/v1/intake?key={key}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, ORIGIN)
            .body(Body::from(beacon("s-rot").to_string()))
            .unwrap();
        assert_eq!(s.send(req).await.0, StatusCode::ACCEPTED, "key {key}");
    }
    // Without a grace period the old key stops at once.
    let (_, again) = s
        .call(
            "POST",
            "/api/v1/apps/shop/rotate-key",
            &auth,
            json!({"grace_hours": 0}),
        )
        .await;
    let req = Request::post(format!("/api/v1/intake?key={new_key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from(beacon("s-rot").to_string()))
        .unwrap();
    assert_eq!(s.send(req).await.0, StatusCode::UNAUTHORIZED, "{again}");
    let (status, _) = s
        .call(
            "POST",
            "/api/v1/apps/shop/rotate-key",
            &auth,
            json!({"grace_hours": 100000}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_user_is_gone_from_every_answer_and_others_stay() {
    let s = server().await;
    let mut ann = beacon("s-ann");
    let mut bob = beacon("s-bob");
    ann["session"]["user_id"] = json!("ann");
    bob["session"]["user_id"] = json!("bob");
    for b in [&ann, &bob] {
        assert_eq!(post_beacon(&s, b).await.0, StatusCode::ACCEPTED);
    }
    s.wait_for("/api/v1/apps/shop/sessions", |b| {
        b["sessions"].as_array().unwrap().len() == 2
    })
    .await;
    let auth = format!("Bearer {TOKEN}");
    let (status, accepted) = s
        .call("DELETE", "/api/v1/apps/shop/users/ann", &auth, json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let id = accepted["erasure_id"].as_str().unwrap();
    let done = s
        .wait_for(&format!("/api/v1/erasures/{id}"), |e| e["status"] == "done")
        .await;
    assert!(done["rows_removed"].as_u64().unwrap() > 0, "{done}");
    assert!(
        done.get("value").is_none(),
        "the record forgets the id: {done}"
    );
    let (_, sessions) = s.get("/api/v1/apps/shop/sessions").await;
    let ids: Vec<&str> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["s-bob"]);
    assert_eq!(
        s.get("/api/v1/apps/shop/sessions/s-ann").await.0,
        StatusCode::NOT_FOUND
    );
    let (_, summary) = s.get("/api/v1/apps/shop/summary").await;
    assert_eq!(summary["sessions"], 1, "{summary}");
    // Again: nothing more to remove, and still done.
    let (_, again) = s
        .call("DELETE", "/api/v1/apps/shop/users/ann", &auth, json!({}))
        .await;
    let id = again["erasure_id"].as_str().unwrap();
    let done = s
        .wait_for(&format!("/api/v1/erasures/{id}"), |e| e["status"] == "done")
        .await;
    assert_eq!(done["rows_removed"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sets_a_strict_cookie_and_cookie_writes_need_the_csrf_header() {
    let s = server().await;
    let login = |password: &str| {
        Request::post("/api/v1/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"username": "admin", "password": password}).to_string(),
            ))
            .unwrap()
    };
    let (status, _, _) = s.send(login("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, _) = s.send(login(PASSWORD)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();

    let with_cookie = |method: &str, path: &str, csrf: bool| {
        let mut r = Request::builder()
            .method(method)
            .uri(path)
            .header(header::COOKIE, &pair)
            .header(header::CONTENT_TYPE, "application/json");
        if csrf {
            r = r.header("x-fovea-csrf", "1");
        }
        r.body(Body::from(
            json!({"name": "blog", "origins": ["https://blog.example"]}).to_string(),
        ))
        .unwrap()
    };
    let (status, _, me) = s.send(with_cookie("GET", "/api/v1/me", false)).await;
    assert_eq!(
        (status, me["username"].as_str()),
        (StatusCode::OK, Some("admin"))
    );
    let (status, _, _) = s.send(with_cookie("POST", "/api/v1/apps", false)).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a cookie write without the CSRF header"
    );
    let (status, _, app) = s.send(with_cookie("POST", "/api/v1/apps", true)).await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    let (status, _, _) = s.send(with_cookie("POST", "/api/v1/logout", true)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = s.send(with_cookie("GET", "/api/v1/me", false)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the session ended with logout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_logins_are_rate_limited() {
    let s = server().await;
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        let req = Request::post("/api/v1/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"username": "admin", "password": "guess"}).to_string(),
            ))
            .unwrap();
        last = s.send(req).await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

fn login(username: &str, password: &str) -> Request<Body> {
    Request::post("/api/v1/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": username, "password": password}).to_string(),
        ))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_wrong_passwords_get_five_checks_and_do_not_lock_out_others() {
    let s = server().await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let app = s.app();
            tokio::spawn(
                async move { app.oneshot(login("admin", "guess")).await.unwrap().status() },
            )
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    let count = |c: StatusCode| statuses.iter().filter(|s| **s == c).count();
    assert_eq!(count(StatusCode::UNAUTHORIZED), 5, "{statuses:?}");
    assert_eq!(count(StatusCode::TOO_MANY_REQUESTS), 45);
    // Another spelling is another name: ADMIN's failures do not lock out admin.
    let s = server().await;
    for _ in 0..6 {
        s.send(login("ADMIN", "guess")).await;
    }
    assert_eq!(
        s.send(login("admin", PASSWORD)).await.0,
        StatusCode::NO_CONTENT
    );
    // A successful login does not use up the limit.
    for _ in 0..6 {
        assert_eq!(
            s.send(login("admin", PASSWORD)).await.0,
            StatusCode::NO_CONTENT
        );
    }
    // Over-long names are refused before anything else.
    let long = "a".repeat(65);
    assert_eq!(s.send(login(&long, "x")).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apps_are_created_listed_and_patched() {
    let s = server().await;
    let req = Request::post("/api/v1/apps")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"name": "blog", "origins": ["https://blog.example"]}).to_string(),
        ))
        .unwrap();
    let (status, _, app) = s.send(req).await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    assert_eq!(app["name"], "blog");
    assert_eq!(app["origins"], json!(["https://blog.example"]));
    let (id, key) = (
        app["id"].as_str().unwrap(),
        app["ingest_key"].as_str().unwrap(),
    );
    assert!(key.len() >= 32);
    // The server key is shown at creation only: the app says it has one.
    assert!(app["server_key"].as_str().unwrap().starts_with("fsk_"));
    assert_eq!(app["has_server_key"], true);
    let (_, listed) = s.get(&format!("/api/v1/apps/{id}")).await;
    assert_eq!(listed.get("server_key"), None, "{listed}");
    assert_eq!(listed["has_server_key"], true);
    // The new key works at once.
    let req = Request::post(format!("/api/v1/intake?key={key}"))
        .header(header::ORIGIN, "https://blog.example")
        .body(Body::from(beacon("b1").to_string()))
        .unwrap();
    assert_eq!(s.send(req).await.0, StatusCode::ACCEPTED);

    let patch = |body: Value| {
        Request::patch(format!("/api/v1/apps/{id}"))
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let (status, _, patched) = s
        .send(patch(json!({"sample_rate": 10, "retention_days": 7})))
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (
            patched["sample_rate"].as_f64(),
            patched["retention_days"].as_u64()
        ),
        (Some(10.0), Some(7))
    );
    assert_eq!(
        s.send(patch(json!({"sample_rate": 101}))).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        s.send(patch(json!({"origins": ["shop.example/"]}))).await.0,
        StatusCode::BAD_REQUEST
    );
    let (_, list) = s.get("/api/v1/apps").await;
    assert_eq!(list["apps"].as_array().unwrap().len(), 2);
    assert_eq!(
        s.get("/api/v1/apps/nope/vitals?metric=lcp").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_parameters_are_400_naming_the_parameter() {
    let s = server().await;
    for (path, needle) in [
        ("/api/v1/apps/shop/vitals?metric=fid", "fid"),
        ("/api/v1/apps/shop/vitals?metric=lcp&p=12", "p=12"),
        ("/api/v1/apps/shop/vitals?metric=lcp&by=os", "os"),
        ("/api/v1/apps/shop/vitals?metric=lcp&from=abc", "from"),
        ("/api/v1/apps/shop/resources?order=biggest", "biggest"),
        ("/api/v1/apps/shop/sessions?limit=0", "limit"),
        // Regression: this `from` overflowed the usage range's arithmetic.
        (
            "/api/v1/apps/shop/usage?from=-9223372036854775808&extrapolate=true",
            "from",
        ),
        ("/api/v1/apps/shop/usage?from=0&to=86400000000", "400 days"),
        ("/api/v1/apps/shop/vitals?metric=lcp&attrs.a%20b=x", "attrs.a b"),
        ("/api/v1/apps/shop/sessions?attrs.plan=", "attrs.plan"),
        (
            "/api/v1/apps/shop/sessions?attrs.a=1&attrs.b=1&attrs.c=1&attrs.d=1&attrs.e=1&attrs.f=1",
            "at most 5",
        ),
    ] {
        let (status, body) = s.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(needle),
            "{path}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_endpoints() {
    let s = server().await;
    post_beacon(&s, &beacon("m1")).await;
    let (status, body) = s.get("/healthz").await;
    assert_eq!((status, body), (StatusCode::OK, Value::String("ok".into())));
    let (status, doc) = s.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["paths"]["/api/v1/apps/{app}/vitals"]["get"].is_object(),
        "{doc}"
    );
    let (status, metrics) = s.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let text = metrics.as_str().unwrap();
    assert!(text.contains("fovea_events_accepted_total 4"), "{text}");
    assert!(text.contains("fovea_spool_pending_bytes"), "{text}");
    // One beacon, one group commit.
    assert!(text.contains("fovea_spool_syncs_total 1\n"), "{text}");
    let (status, _, body) = s
        .send(Request::get("/api/v1/nope").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

/// The dashboard's API types are generated from its copy of the OpenAPI
/// document (`dashboard/src/lib/openapi.json`, `npm run api-types`): the
/// copy must be what the server serves. `FOVEA_UPDATE_OPENAPI=1` rewrites it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboards_copy_of_the_openapi_document_is_current() {
    let s = server().await;
    let (status, doc) = s.get("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../dashboard/src/lib/openapi.json");
    let pretty = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    if std::env::var_os("FOVEA_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &pretty).unwrap();
    }
    let copy: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        copy == doc,
        "dashboard/src/lib/openapi.json differs from the served document: run \
         FOVEA_UPDATE_OPENAPI=1 cargo test --workspace --test router the_dashboards_copy, \
         then cd dashboard && npm run api-types"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_pages_carry_a_strict_csp() {
    let s = server().await;
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../dashboard/dist/index.html")
        .exists();
    for path in ["/", "/sessions/abc?x=1"] {
        let (status, headers, body) = s
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        if built {
            assert_eq!(status, StatusCode::OK, "{path}");
            let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            assert!(
                csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
                "{csp}"
            );
            // Scripts: this origin's files only, whatever the replay needs.
            let directive = |name: &str| {
                csp.split(';')
                    .map(str::trim)
                    .find(|d| d.starts_with(name))
                    .unwrap_or_default()
                    .to_string()
            };
            assert_eq!(directive("script-src "), "script-src 'self'", "{csp}");
            assert!(!csp.contains("unsafe-eval"), "{csp}");
            assert!(directive("connect-src ") == "connect-src 'self'", "{csp}");
        } else {
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(body
                .as_str()
                .unwrap()
                .contains("built without the dashboard"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_is_served_for_script_tags() {
    let s = server().await;
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../sdk/dist/fovea.min.js")
        .exists();
    let (status, headers, body) = s
        .send(
            Request::get("/sdk/fovea.min.js")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    if built {
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript"));
        assert!(body.as_str().unwrap().contains("Fovea"));
    } else {
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _, _) = s
        .send(
            Request::get("/sdk/..%2FCargo.toml")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Regression: the writer slept a whole flush period after every batch, so
/// behind a backlog it stored one 2 MiB batch per period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_is_stored_back_to_back_not_one_batch_per_flush_period() {
    let dir = tempfile::tempdir().unwrap();
    // Over 2 MiB of beacons left in the spool, as a crash would leave them.
    let beacons = 4000;
    {
        let (spool, _reader) =
            fovea_spool::open(&dir.path().join("spool"), fovea_spool::Options::default()).unwrap();
        let mut appends = tokio::task::JoinSet::new();
        for i in 0..beacons {
            let batch = fovea_intake::Batch {
                meta: fovea_intake::BatchMeta {
                    app_id: "shop".into(),
                    received_at: now(),
                    ..Default::default()
                },
                format: fovea_intake::Format::Json,
                body: beacon(&format!("backlog-{i}")).to_string().into_bytes(),
            };
            let spool = spool.clone();
            appends.spawn(async move { spool.append(batch.encode()).await.unwrap() });
        }
        appends.join_all().await;
    }
    let s = server_in(dir, |s| s.writer_flush = Duration::from_secs(3600)).await;
    for _ in 0..600 {
        let (_, summary) = s.get("/api/v1/apps/shop/summary").await;
        if summary["views"] == beacons {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the backlog was not stored within 30 s");
}

const OTLP_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../intake/tests/fixtures/otlp");
/// The trace of the OpenTelemetry SDK's fixture export.
const FIXTURE_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn otlp(path: &str, content_type: &str, key: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut req = Request::post(path).header(header::CONTENT_TYPE, content_type);
    if let Some(key) = key {
        req = req.header("x-fovea-key", key);
    }
    req.body(Body::from(body)).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{OTLP_FIXTURES}/{name}")).unwrap()
}

/// The JSON fixture with its times moved to the last minute, as if the SDK
/// had just exported it.
fn fixture_now() -> Vec<u8> {
    fn shift(v: &mut Value, by: i128) {
        match v {
            Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    match v {
                        Value::String(t) if k.ends_with("UnixNano") => {
                            *t = (t.parse::<i128>().unwrap() + by).to_string();
                        }
                        v => shift(v, by),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|v| shift(v, by)),
            _ => {}
        }
    }
    let mut doc: Value = serde_json::from_slice(&fixture("traces.json")).unwrap();
    // The fixture's first span started at 2026-01-01T12:00:00.1Z.
    let by = i128::from(now() - 60_000) * 1_000_000 - 1_767_268_800_100_000_000;
    shift(&mut doc, by);
    doc.to_string().into_bytes()
}

impl Server {
    /// Polls a trace until it has `spans` spans.
    async fn wait_for_trace(&self, trace: &str, spans: usize) -> Value {
        let path = format!("/api/v1/apps/shop/traces/{trace}");
        for _ in 0..200 {
            let (status, body) = self.get(&path).await;
            if status == StatusCode::OK && body["spans"].as_array().unwrap().len() == spans {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{path} never had {spans} spans");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_spans_need_the_server_key_and_are_served_with_their_trace() {
    let s = server().await;
    let pb = "application/x-protobuf";
    for (key, needle) in [
        (None, "no server key"),
        (Some(KEY), "public browser key"),
        (Some("guess"), "no app has this server key"),
    ] {
        let res = s
            .app()
            .oneshot(otlp(
                "/v1/traces",
                "application/json",
                key,
                fixture("traces.json"),
            ))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{key:?}");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], 16, "grpc UNAUTHENTICATED");
        assert!(body["message"].as_str().unwrap().contains(needle), "{body}");
    }

    // The fixture as exported in January 2026: far too old, each span is
    // refused (a partial success, in protobuf), the request is not.
    let res = s
        .app()
        .oneshot(otlp(
            "/v1/traces",
            pb,
            Some(SERVER_KEY),
            fixture("traces.pb"),
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], pb);
    let partial = res.into_body().collect().await.unwrap().to_bytes();
    assert!(
        String::from_utf8_lossy(&partial).contains("7 days"),
        "{partial:?}"
    );

    // The same export sent now (JSON under /api/v1/otlp, gzip): stored.
    let fresh = fixture_now();
    let mut req = otlp(
        "/api/v1/otlp/v1/traces",
        "application/json",
        Some(SERVER_KEY),
        gzip(&fresh),
    );
    req.headers_mut()
        .insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
    let (status, headers, body) = s.send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(body, json!({}));
    let trace = s.wait_for_trace(FIXTURE_TRACE, 3).await;
    let server = trace["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|sp| sp["kind"] == "server")
        .unwrap();
    assert_eq!(server["parent_span_id"], "00f067aa0ba902b7");
    assert_eq!(server["service"], "fixture-api");
    assert!(server["duration"].as_f64().unwrap() > 0.0);
    assert!(server["attributes"].is_object());
    assert_eq!(trace["link"], Value::Null);
    // A retried export is stored once.
    let (status, _, _) = s
        .send(otlp(
            "/v1/traces",
            "application/json",
            Some(SERVER_KEY),
            fresh,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Bad bodies and types.
    let (status, _, body) = s
        .send(otlp(
            "/v1/traces",
            "application/json",
            Some(SERVER_KEY),
            b"{".to_vec(),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _, _) = s
        .send(otlp(
            "/v1/traces",
            "text/plain",
            Some(SERVER_KEY),
            b"x".to_vec(),
        ))
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        s.get("/api/v1/apps/shop/traces/not-a-trace").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get(&format!("/api/v1/apps/shop/traces/{}", "1".repeat(32)))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, services) = s.get("/api/v1/apps/shop/services").await;
    assert_eq!(status, StatusCode::OK, "{services}");
    assert_eq!(services["services"][0]["service"], "fixture-api");
    assert_eq!(services["services"][0]["requests"], 1);

    // The link template, then a rotation: the old key stops working.
    let patch = Request::patch("/api/v1/apps/shop")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"trace_url_template": "https://jaeger.example/trace/{trace_id}"}).to_string(),
        ))
        .unwrap();
    let (status, _, app) = s.send(patch).await;
    assert_eq!(status, StatusCode::OK, "{app}");
    assert_eq!(app["has_server_key"], true);
    let (_, trace) = s
        .get(&format!("/api/v1/apps/shop/traces/{FIXTURE_TRACE}"))
        .await;
    assert_eq!(
        trace["link"],
        format!("https://jaeger.example/trace/{FIXTURE_TRACE}")
    );
    let bad = Request::patch("/api/v1/apps/shop")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"trace_url_template": "javascript:alert(1)//{trace_id}"}).to_string(),
        ))
        .unwrap();
    assert_eq!(s.send(bad).await.0, StatusCode::BAD_REQUEST);
    let rotate = Request::post("/api/v1/apps/shop/server-key")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, rotated) = s.send(rotate).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_key = rotated["server_key"].as_str().unwrap().to_string();
    assert!(new_key.starts_with("fsk_") && new_key.len() > 40);
    let (old, _, _) = s
        .send(otlp(
            "/v1/traces",
            pb,
            Some(SERVER_KEY),
            fixture("traces.pb"),
        ))
        .await;
    assert_eq!(old, StatusCode::UNAUTHORIZED);
    let (new, _, _) = s
        .send(otlp("/v1/traces", pb, Some(&new_key), fixture("traces.pb")))
        .await;
    assert_eq!(new, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_request_and_its_backend_span_share_one_trace() {
    let s = server().await;
    let t = now();
    let trace = "0af7651916cd43dd8448eb211c80319c";
    let browser_span = "b7ad6b7169203331";
    let mut b = beacon("s1");
    b["events"].as_array_mut().unwrap().push(json!({
        "type": "resource", "event_id": uuid(), "ts": t, "view_id": "v1",
        "resource_url": "https://shop.example/api/checkout", "kind": "fetch", "method": "GET",
        "status": 200, "duration": 640.0, "trace_id": trace, "span_id": browser_span,
    }));
    let (status, _, body) = post_beacon(&s, &b).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let ns = |ms: i64| (ms * 1_000_000).to_string();
    let export = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "shop-api"}}]},
        "scopeSpans": [{"spans": [
            {"traceId": trace, "spanId": "1111111111111111", "parentSpanId": browser_span,
             "name": "GET /api/checkout", "kind": 2,
             "startTimeUnixNano": ns(t + 10), "endTimeUnixNano": ns(t + 610)},
            {"traceId": trace, "spanId": "2222222222222222", "parentSpanId": "1111111111111111",
             "name": "SELECT orders", "kind": 3,
             "startTimeUnixNano": ns(t + 20), "endTimeUnixNano": ns(t + 520),
             "status": {"code": 2, "message": "slow disk"}}]}]}]});
    let (status, _, body) = s
        .send(otlp(
            "/v1/traces",
            "application/json",
            Some(SERVER_KEY),
            export.to_string().into_bytes(),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let detail = s.wait_for_trace(trace, 2).await;
    let rum = detail["rum"].as_array().unwrap();
    assert!(
        rum.iter()
            .any(|e| e["type"] == "resource" && e["span_id"] == browser_span),
        "{detail}"
    );
    let slow = s
        .wait_for("/api/v1/apps/shop/slow-requests", |b| {
            b["requests"][0]["bottleneck"].is_object()
        })
        .await;
    let row = &slow["requests"][0];
    assert_eq!(row["trace_id"], trace);
    assert_eq!(row["server"]["name"], "GET /api/checkout");
    assert_eq!(row["bottleneck"]["name"], "SELECT orders");
    assert_eq!(row["bottleneck"]["status"], "error");
    let services = s
        .wait_for("/api/v1/apps/shop/services", |b| {
            !b["services"].as_array().unwrap().is_empty()
        })
        .await;
    assert_eq!(services["services"][0]["service"], "shop-api");
    assert_eq!(services["services"][0]["requests"], 1);
    assert_eq!(services["services"][0]["p75"], 600.0);
}
