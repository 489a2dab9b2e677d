//! Fovea's benchmarks, one command each (see `bench/README.md`):
//!
//! - `intake`: our intake (durable ack) vs a parse-and-discard axum endpoint
//!   on the same payloads, in one run, as a ratio and events/s, and the
//!   stored rate over load + drain;
//! - `query`: load 10 M synthetic views through `Store::insert`, then time
//!   p75 LCP by page over all of them;
//!
//! `intake` and `query` take `--store duckdb|clickhouse|both` (default
//! duckdb); ClickHouse is Debian's `clickhouse-server`, started on loopback
//! for the run (`fovea-testkit`).
//! - `rss`: peak RSS of a `fovea serve` process under sustained load;
//! - `replay`: replay segments in a DuckDB table vs one file each;
//! - `symbolicate`: the writer's cost of source maps per error.

// The allocator `fovea` runs with, for the server run in-process (and the
// ceiling beside it): crates/alloc.
extern crate fovea_alloc;

mod load;
mod replay;
mod spans;
mod symbolicate;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use fovea_query::{Dimension, Filters, VitalsGroup, VitalsQuery};
use fovea_schema::{Context, Event, EventKind, Metric, ViewEvent};
use fovea_server::{ClickHouseConfig, Settings, StaticApp, StoreConfig};
use fovea_store::{ClickHouseStore, DuckStore, EventStore, Maintenance};
use fovea_testkit::ClickHouse;
use serde_json::{json, Value};

const KEY: &str = "bench-key";
pub const SERVER_KEY: &str = "bench-server-key";

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Backend {
    DuckDb,
    ClickHouse,
}

/// The backends `--store` names, in the order they run.
fn backends() -> Vec<Backend> {
    let args: Vec<String> = std::env::args().collect();
    let value = args
        .iter()
        .position(|a| a == "--store")
        .and_then(|i| args.get(i + 1))
        .map_or("duckdb", String::as_str);
    match value {
        "duckdb" => vec![Backend::DuckDb],
        "clickhouse" => vec![Backend::ClickHouse],
        "both" => vec![Backend::DuckDb, Backend::ClickHouse],
        other => {
            eprintln!("--store {other:?}: duckdb, clickhouse or both");
            std::process::exit(2);
        }
    }
}

/// A ClickHouse server for the run, and the store settings that use it.
fn clickhouse(database: &str) -> (ClickHouse, ClickHouseConfig) {
    let server = ClickHouse::start().unwrap_or_else(|| {
        eprintln!("--store clickhouse needs clickhouse-server (apt-get install clickhouse-server)");
        std::process::exit(2);
    });
    let config = ClickHouseConfig {
        urls: vec![server.url()],
        database: database.into(),
        user: "default".into(),
        password: None,
        cluster: None,
    };
    (server, config)
}

#[tokio::main]
async fn main() {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    match what.as_str() {
        "intake" => intake().await,
        "query" => query().await,
        "rss" => rss().await,
        "replay" => replay::replay().await,
        "symbolicate" => symbolicate::symbolicate(),
        "spans" => spans::spans().await,
        "all" => {
            intake().await;
            rss().await;
            query().await;
        }
        other => {
            eprintln!("usage: fovea-bench [intake|spans|query|rss|replay|symbolicate|all] [--store duckdb|clickhouse|both] [--seconds N] [--connections N] [--rounds N] [--slices N] [--gzip] [--views N] [--segments N] [--batches N]; unknown {other:?}");
            std::process::exit(2);
        }
    }
}

/// The cheapest honest intake: the body (gunzipped when it says gzip) parsed
/// by `serde_json` into a `Value`, its events counted, nothing checked or
/// kept. This crate is built at `opt-level = 3` (see the workspace's
/// `Cargo.toml`), so the ceiling is fully optimised whatever Fovea's own
/// crates are built with.
async fn parse_and_discard(headers: HeaderMap, body: Bytes) -> (StatusCode, Json<Value>) {
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let parsed = if gzip {
        let cap = fovea_intake::Limits::default().max_decompressed;
        fovea_intake::decompress(Some("gzip"), &body, cap)
            .ok()
            .and_then(|json| serde_json::from_slice::<Value>(&json).ok())
    } else {
        serde_json::from_slice::<Value>(&body).ok()
    };
    match parsed.as_ref().and_then(|v| v["events"].as_array()) {
        Some(events) => (
            StatusCode::ACCEPTED,
            Json(json!({ "accepted": events.len() })),
        ),
        None => (StatusCode::BAD_REQUEST, Json(json!({ "error": "bad" }))),
    }
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

fn bench_settings(dir: PathBuf) -> Settings {
    let mut s = Settings::new(dir);
    s.admin_token = Some("bench".into());
    s.admin_password = Some("bench-password".into());
    s.rate_limit_per_app = 1e9;
    s.apps = vec![StaticApp {
        id: Some("bench".into()),
        name: "bench".into(),
        ingest_key: KEY.into(),
        origins: vec!["*".into()],
        sample_rate: None,
        retention_days: None,
        server_key: Some(SERVER_KEY.into()),
        trace_url_template: None,
        bots: None,
    }];
    s
}

async fn intake() {
    let payloads = Arc::new(load::payloads(4096, flag("--gzip"), 0));
    let ceiling = serve(Router::new().route("/api/v1/intake", post(parse_and_discard))).await;
    compare(Workload {
        what: format!(
            "{} events ({} bytes{}) per request",
            load::EVENTS_PER_BATCH,
            payloads.bodies[0].len(),
            if payloads.gzip { " gzip" } else { " JSON" }
        ),
        unit: "events",
        per_request: load::EVENTS_PER_BATCH as f64,
        payloads,
        ours: |addr| load::Endpoint::intake(addr, KEY),
        ceiling: load::Endpoint::intake(ceiling, KEY),
    })
    .await;
}

/// What an intake benchmark sends, where, and what it counts.
pub struct Workload {
    pub what: String,
    /// What a request carries (`events`, `spans`).
    pub unit: &'static str,
    pub per_request: f64,
    pub payloads: Arc<load::Payloads>,
    /// Fovea's endpoint at its address.
    pub ours: fn(SocketAddr) -> load::Endpoint,
    /// The parse-and-discard endpoint.
    pub ceiling: load::Endpoint,
}

/// Fovea's durable intake against a parse-and-discard ceiling on the same
/// payloads, on each backend.
pub async fn compare(w: Workload) {
    let seconds = arg("--seconds", 10);
    // Throughput needs enough requests in flight to cover the durable
    // path's latency (a sync per group): a closed loop of a few clients
    // measures that latency instead. Browsers are an open population.
    let conns = arg("--connections", 256) as usize;
    let slices = arg("--slices", 5).max(1) as u32;
    println!(
        "  {conns} connections, {seconds} s per endpoint and round in {slices} alternating slices, {}",
        w.what
    );
    // The endpoints alternate in slices of a few seconds, so that a slow
    // spell of the machine (its speed drifts ±20% within a minute) hits
    // both; each of the ceiling's slices starts with Fovea's writer caught
    // up (see compare_on).
    let rounds = arg("--rounds", 3) as usize;
    let duration = Duration::from_secs(seconds);
    for backend in backends() {
        compare_on(backend, &w, conns, rounds, slices, duration).await;
    }
}

/// One backend's rounds of an intake benchmark.
async fn compare_on(
    backend: Backend,
    w: &Workload,
    conns: usize,
    rounds: usize,
    slices: u32,
    duration: Duration,
) {
    let unit = w.unit;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = bench_settings(dir.path().to_path_buf());
    let _server = match backend {
        Backend::DuckDb => None,
        Backend::ClickHouse => {
            let (server, config) = clickhouse("fovea_bench_intake");
            settings.store = StoreConfig::ClickHouse(config);
            Some(server)
        }
    };
    println!("  store: {backend:?}");
    let running = fovea_server::start(settings).await.unwrap();
    let ours = serve(fovea_server::router(running.state.clone())).await;
    let mut ratios = Vec::new();
    for round in 1..=rounds {
        let our_load = load::Target::warm((w.ours)(ours), w.payloads.clone(), conns).await;
        drain(|| running.state.spool.pending_bytes()).await;
        let base_load = load::Target::warm(w.ceiling.clone(), w.payloads.clone(), conns).await;
        let (mut base, mut got) = (load::Outcome::default(), load::Outcome::default());
        // the writer's time storing what Fovea's slices accepted, beyond them
        let mut storing = Duration::ZERO;
        for slice in 0..slices {
            // The ceiling runs alone, as it would on its own machine: the
            // backlog of Fovea's last slice, still being stored, would slow
            // it down and flatter the ratio (it reached 1.21). Fovea's
            // slices carry its writer, as a node under load does.
            if slice > 0 {
                let t = Instant::now();
                drain(|| running.state.spool.pending_bytes()).await;
                storing += t.elapsed();
            }
            base_load.slice(duration / slices, &mut base).await;
            our_load.slice(duration / slices, &mut got).await;
        }
        // The spool absorbs what the writer has not stored yet; say how much.
        let backlog = running.state.spool.pending_bytes();
        let t = Instant::now();
        drain(|| running.state.spool.pending_bytes()).await;
        let last = t.elapsed();
        storing += last;
        let ratio = got.per_sec() / base.per_sec();
        ratios.push(ratio);
        println!(
            "  round {round}: parse-and-discard {:.0} req/s ({:.0} {unit}/s); fovea (durable) {:.0} req/s ({:.0} {unit}/s, refused: {}); ratio {ratio:.2}",
            base.per_sec(),
            base.per_sec() * w.per_request,
            got.per_sec(),
            got.per_sec() * w.per_request,
            got.failed
        );
        println!(
            "           writer: {:.0} MB still spooled when the load stopped, stored {:.1} s later; stored over load + drains: {:.0} {unit}/s",
            backlog as f64 / 1e6,
            last.as_secs_f64(),
            got.ok as f64 * w.per_request / (got.elapsed + storing).as_secs_f64()
        );
    }
    ratios.sort_by(f64::total_cmp);
    println!(
        "  ratio fovea / parse-and-discard: median {:.2} (min {:.2}, max {:.2}, {rounds} rounds)",
        median(ratios.clone()),
        ratios[0],
        ratios[ratios.len() - 1]
    );
    running.writer.shutdown().await;
}

/// The middle value; the mean of the two middle ones for an even count.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

async fn drain(pending_bytes: impl Fn() -> u64) {
    let t = Instant::now();
    while pending_bytes() > 0 && t.elapsed() < Duration::from_secs(600) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn rss() {
    let seconds = arg("--seconds", 30);
    let conns = arg("--connections", 32) as usize;
    let bin = std::env::var("FOVEA_BIN").unwrap_or_else(|_| {
        let target = std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| format!("{}/.cache/fovea/target", std::env::var("HOME").unwrap()));
        format!("{target}/debug/fovea")
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fovea.toml"),
        format!("rate_limit = 1e9\n[[apps]]\nid = \"bench\"\nname = \"bench\"\ningest_key = \"{KEY}\"\norigins = [\"*\"]\n"),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut child = std::process::Command::new(&bin)
        .args(["serve", "--listen", &addr.to_string(), "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(dir.path().join("fovea.toml"))
        .env("FOVEA_ADMIN_PASSWORD", "bench-password")
        .env("FOVEA_LOG", "warn")
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e} (build it: cargo build -p fovea)"));
    let pid = child.id();
    let client = load::client();
    for _ in 0..200 {
        if load::get(&client, addr, "/healthz").await == Some(200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let payloads = Arc::new(load::payloads(4096, flag("--gzip"), arg("--late-hours", 0)));
    // Peak RSS and, apart, its anonymous part: the binary's own pages
    // (file-backed, ~45 MB) are the rest.
    let sampler = tokio::spawn(async move {
        let (mut peak_rss, mut peak_anon) = (0u64, 0u64);
        // Until the process is gone.
        while let Some(kb) = load::rss_kb(pid) {
            peak_rss = peak_rss.max(kb);
            peak_anon = peak_anon.max(load::status_kb(pid, "RssAnon:").unwrap_or(0));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (peak_rss, peak_anon)
    });
    let mut got = load::Outcome::default();
    load::Target::warm(load::Endpoint::intake(addr, KEY), payloads, conns)
        .await
        .slice(Duration::from_secs(seconds), &mut got)
        .await;
    // The peak counts until the writer has stored the backlog too.
    let t = Instant::now();
    while load::metric(&client, addr, "fovea_spool_pending_bytes").await != Some(0.0)
        && t.elapsed() < Duration::from_secs(600)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let drained = t.elapsed();
    let hwm = load::status_kb(pid, "VmHWM:").unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    let (peak_sampled, peak_anon) = sampler.await.unwrap_or((0, 0));
    let events = got.ok as f64 * load::EVENTS_PER_BATCH as f64;
    println!(
        "rss: {seconds} s of load at {:.0} req/s ({:.0} events/s), backlog stored {:.1} s later \
         ({:.0} events stored a second over load and drain): peak RSS {:.0} MB (VmHWM), {:.0} MB sampled, \
         of which anonymous {:.0} MB",
        got.per_sec(),
        got.per_sec() * load::EVENTS_PER_BATCH as f64,
        drained.as_secs_f64(),
        events / (got.elapsed + drained).as_secs_f64(),
        hwm as f64 / 1024.0,
        peak_sampled as f64 / 1024.0,
        peak_anon as f64 / 1024.0
    );
}

const ROUTES: usize = 50;

/// A deterministic synthetic view: routes Zipf-like, LCP log-normal-ish.
fn synthetic_view(i: u64, ts: i64, rng: &mut u64) -> Event {
    let mut next = || {
        *rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*rng >> 11) as f64 / (1u64 << 53) as f64
    };
    let route = ((next() * next() * ROUTES as f64) as usize).min(ROUTES - 1);
    let lcp = (7.3 + (next() + next() + next() - 1.5) * 0.9).exp();
    let browsers = ["Chrome", "Safari", "Firefox", "Edge", "Samsung Internet"];
    let devices = ["desktop", "mobile", "tablet"];
    Event {
        event_id: uuid::Uuid::from_u64_pair(i, 1),
        ctx: Context {
            app_id: "bench".into(),
            session_id: format!("s{}", i / 4),
            view_id: Some(format!("v{i}")),
            ts,
            url: format!("https://shop.example/r{route}"),
            route: format!("/r{route}"),
            browser: Some(browsers[(next() * 5.0) as usize].into()),
            device: Some(devices[(next() * 3.0) as usize].into()),
            country: Some(format!("C{}", (next() * 20.0) as u32)),
            ..Context::default()
        },
        kind: EventKind::View(ViewEvent {
            version: 1,
            lcp: Some(lcp.round()),
            fcp: Some((lcp * 0.6).round()),
            ttfb: Some((lcp * 0.15).round()),
            cls: Some((next() * 0.3 * 1000.0).round() / 1000.0),
            inp: Some((next() * 400.0).round()),
            load: Some((lcp * 1.3).round()),
            ..ViewEvent::default()
        }),
    }
}

/// Runs a store question `runs` times; its times in ms, sorted.
async fn sorted_ms<T, F, Fut>(runs: usize, mut ask: F) -> Vec<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = fovea_store::Result<T>>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        ask().await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times
}

async fn query() {
    let n = arg("--views", 10_000_000);
    let now = 1_764_000_000_000i64;
    let span = 7 * 86_400_000i64;
    let qs = questions(now, span);
    // The exact answers, from DuckDB's raw rows at 1 GB, are what the other
    // answers are compared with when both backends run.
    let mut exact = None;
    for backend in backends() {
        match backend {
            Backend::DuckDb => exact = Some(query_duckdb(n, now, span, &qs).await),
            Backend::ClickHouse => query_clickhouse(n, now, span, &qs, exact.as_deref()).await,
        }
    }
}

/// A vitals question the query benchmark times, and its label.
struct Question {
    label: &'static str,
    q: VitalsQuery,
}

/// p75 LCP by page over the whole range, then the same kind of question
/// under each filter the dashboard's filter bar sets.
fn questions(now: i64, span: i64) -> Vec<Question> {
    let all = Filters {
        from: now - span - 1,
        to: now + 1,
        ..Filters::last_day(now)
    };
    let ask = |label, by, f: Filters| Question {
        label,
        q: VitalsQuery {
            metric: Metric::Lcp,
            p: 75,
            by,
            filters: f,
        },
    };
    vec![
        ask("p75 LCP by page", Dimension::Page, all.clone()),
        ask(
            "p75 LCP by page, browser = Chrome",
            Dimension::Page,
            Filters {
                browser: Some("Chrome".into()),
                ..all.clone()
            },
        ),
        ask(
            "p75 LCP by browser, page = /r3",
            Dimension::Browser,
            Filters {
                page: Some("/r3".into()),
                ..all.clone()
            },
        ),
        ask(
            "p75 LCP by country, device = mobile",
            Dimension::Country,
            Filters {
                device: Some("mobile".into()),
                ..all.clone()
            },
        ),
        ask(
            "p75 LCP, country = C7",
            Dimension::None,
            Filters {
                country: Some("C7".into()),
                ..all
            },
        ),
    ]
}

/// Loads `n` synthetic views over `span` before `now` through
/// `Store::insert` in batches of 50 000 (the writer's path).
async fn load_views(store: &dyn EventStore, n: u64, now: i64, span: i64) {
    let batch = 50_000u64;
    let mut rng = 7u64;
    let t = Instant::now();
    let mut i = 0;
    while i < n {
        let events: Vec<Event> = (i..(i + batch).min(n))
            .map(|j| synthetic_view(j, now - span + (j as i64 * span / n as i64), &mut rng))
            .collect();
        i += events.len() as u64;
        store.insert(events).await.unwrap();
    }
    let load = t.elapsed();
    println!(
        "  load of {n} views in batches of {batch}: {:.1} s ({:.0} views/s)",
        load.as_secs_f64(),
        n as f64 / load.as_secs_f64()
    );
}

/// Rolls up every closed hour, as the maintenance task would minute after
/// minute; prints how long it took.
async fn roll_up_all(store: &dyn Maintenance, now: i64) {
    let t = Instant::now();
    let mut hours = 0;
    loop {
        match store.roll_up(now, i64::MAX).await.unwrap() {
            0 => break,
            n => hours += n,
        }
    }
    println!(
        "  roll-up of {hours} closed hours: {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

async fn query_duckdb(n: u64, now: i64, span: i64, qs: &[Question]) -> Vec<Answer> {
    let dir = tempfile::tempdir().unwrap();
    // Past one value per 64 bytes of this limit, percentiles read from the
    // rows are estimated (`approx_quantile`); 1 GB keeps 10 M views exact,
    // which is the baseline the roll-ups are compared with.
    let path = dir.path().join("bench.duckdb");
    let store = DuckStore::open(&path, "1GB").unwrap();
    println!("query, DuckDB (memory limit 1GB: exact up to 15.6 M values)");
    load_views(&store, n, now, span).await;
    // As the server's maintenance task does within the hour: writes leave
    // partly filled row groups, which raw reads pay for until merged.
    let t = Instant::now();
    assert!(
        store.compact().await.unwrap(),
        "a compaction after the load"
    );
    println!("  compaction: {:.1} s", t.elapsed().as_secs_f64());
    let exact = time_vitals(&store, qs, n, "raw rows (exact)").await;
    time_summary(&store, &qs[0].q.filters, "raw rows (exact)").await;
    // The same rows under the server's default memory limit, where
    // percentiles past a 64th of it in values are estimated.
    drop(store);
    let store = DuckStore::open(&path, DuckStore::DEFAULT_MEMORY_LIMIT).unwrap();
    let default = format!(
        "raw rows at the default {} (estimated)",
        DuckStore::DEFAULT_MEMORY_LIMIT
    );
    let estimated = time_vitals(&store, qs, n, &default).await;
    time_summary(&store, &qs[0].q.filters, &default).await;
    compare_answers(qs, &exact, &estimated, "estimated vs exact");
    // Roll-ups and what follows as the server runs them, at its default.
    roll_up_all(&store, now).await;
    let rolled = time_vitals(&store, qs, n, "hourly roll-ups").await;
    time_summary(&store, &qs[0].q.filters, "hourly roll-ups").await;
    compare_answers(qs, &exact, &rolled, "roll-ups vs exact");
    late_then_rolled_up_again(&store, n, now, span, qs).await;
    exact
}

const HOUR_MS: i64 = 3_600_000;

const LATE: &str = "right after late views in 48 hours, before they are rolled up again";

/// Times the questions right after late views, then once their hours are
/// rolled up again, and checks that both answers agree (counts and shares
/// equal, percentiles within the sketches' error).
async fn late_then_rolled_up_again<S: EventStore + Maintenance>(
    store: &S,
    n: u64,
    now: i64,
    span: i64,
    qs: &[Question],
) {
    let late = late_views(store, n, now, span).await;
    let right_after = time_vitals(store, qs, n + late, LATE).await;
    time_summary(store, &qs[0].q.filters, LATE).await;
    roll_up_all(store, now).await;
    let again = time_vitals(store, qs, n + late, "rolled up again").await;
    compare_answers(
        qs,
        &again,
        &right_after,
        "right after late views vs rolled up again",
    );
}

/// Inserts 1000 late views into each of 48 hours spread over the range
/// (copies that questions add to the hours' roll-ups until the next
/// roll-up); returns how many.
async fn late_views(store: &dyn EventStore, n: u64, now: i64, span: i64) -> u64 {
    let mut rng = 11u64;
    let hours = span / HOUR_MS;
    let events: Vec<Event> = (0..48_000u64)
        .map(|j| {
            let hour = (j / 1000) as i64 * hours / 48;
            let ts = now - span + hour * HOUR_MS + (j % 1000) as i64 * 3_000;
            synthetic_view(n + j, ts, &mut rng)
        })
        .collect();
    let late = events.len() as u64;
    store.insert(events).await.unwrap();
    late
}

async fn query_clickhouse(n: u64, now: i64, span: i64, qs: &[Question], exact: Option<&[Answer]>) {
    let (_server, config) = clickhouse("fovea_bench_query");
    let store = ClickHouseStore::open(config).await.unwrap();
    println!("query, ClickHouse (one local clickhouse-server; exact up to 4 M values, t-digest past that)");
    load_views(&store, n, now, span).await;
    let raw = time_vitals(&store, qs, n, "raw rows").await;
    time_summary(&store, &qs[0].q.filters, "raw rows").await;
    roll_up_all(&store, now).await;
    let rolled = time_vitals(&store, qs, n, "hourly roll-ups").await;
    time_summary(&store, &qs[0].q.filters, "hourly roll-ups").await;
    compare_answers(qs, &raw, &rolled, "roll-ups vs raw rows");
    late_then_rolled_up_again(&store, n, now, span, qs).await;
    if let Some(exact) = exact {
        compare_answers(qs, exact, &raw, "raw rows vs DuckDB's exact");
        compare_answers(qs, exact, &rolled, "roll-ups vs DuckDB's exact");
    }
}

/// A question's groups and its median time in ms.
struct Answer {
    groups: Vec<VitalsGroup>,
    ms: f64,
}

/// Times each question (10 runs after a warm-up); the first counts every
/// view once.
async fn time_vitals(store: &dyn EventStore, qs: &[Question], n: u64, label: &str) -> Vec<Answer> {
    println!("  {label}:");
    let mut answers = Vec::new();
    for (i, Question { label, q }) in qs.iter().enumerate() {
        let groups = store.vitals("bench", q).await.unwrap();
        if i == 0 {
            let total: u64 = groups.iter().map(|g| g.count).sum();
            assert_eq!(total, n, "every view is counted once");
        }
        let times = sorted_ms(10, || store.vitals("bench", q)).await;
        println!(
            "    {label} over {n} views: median {:.1} ms, min {:.1} ms, max {:.1} ms",
            times[5], times[0], times[9]
        );
        answers.push(Answer {
            groups,
            ms: times[5],
        });
    }
    answers
}

/// Prints, question by question, the speed-up and the largest relative
/// difference of a percentile between two answers (whose groups, counts
/// and shares must be equal).
fn compare_answers(qs: &[Question], base: &[Answer], other: &[Answer], label: &str) {
    println!("  {label}: counts and shares equal");
    for ((q, b), o) in qs.iter().zip(base).zip(other) {
        println!(
            "    {}: {:.1}x the speed, largest relative difference of a p75 {:.2}%",
            q.label,
            b.ms / o.ms,
            largest_difference(&b.groups, &o.groups) * 100.0
        );
    }
}

/// Times the overview page's question: seven p75s plus view/session counts.
async fn time_summary(store: &dyn EventStore, f: &Filters, label: &str) {
    store.summary("bench", f).await.unwrap();
    let times = sorted_ms(5, || store.summary("bench", f)).await;
    println!(
        "  summary, {label}: median {:.0} ms (5 runs after 1 warm-up)",
        times[2]
    );
}

/// Checks that two answers have the same groups, counts and shares, and
/// returns the largest relative difference of their percentiles.
fn largest_difference(exact: &[VitalsGroup], other: &[VitalsGroup]) -> f64 {
    assert_eq!(exact.len(), other.len(), "same groups");
    exact
        .iter()
        .map(|e| {
            let o = other.iter().find(|o| o.key == e.key).expect("same groups");
            assert_eq!(o.count, e.count);
            assert!((o.good - e.good).abs() < 1e-9 && (o.poor - e.poor).abs() < 1e-9);
            ((o.value - e.value) / e.value).abs()
        })
        .fold(0.0, f64::max)
}
