//! `symbolicate`: what source maps cost the writer. A real bundle and its
//! map (the SDK's replay chunk, built by `npm run build` in `sdk/`) stand in
//! for a site's bundle; errors with V8 stacks of random positions in it go
//! through the writer's `Pipeline::process` with and without a symbolicator
//! holding the parsed map (the server's cache, warm), alternating in one
//! run. Also timed: parsing the map (a cache miss) and resolving one frame.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fovea_intake::{Batch, BatchMeta, Format};
use fovea_pipeline::{AppPolicy, Pipeline, PipelineOptions, Symbolicate};
use fovea_symbolicate::{source_view, Frame, Map, SourceView};
use serde_json::json;

use crate::{arg, median};

const BUNDLE_URL: &str = "https://shop.example/assets/app.min.js";
const ERRORS_PER_BATCH: usize = 50;
const FRAMES_PER_STACK: usize = 8;

/// The server's warm cache for one bundle: a parsed map and the bundle.
struct Warm {
    map: Map,
    bundle: SourceView,
}

impl Symbolicate for Warm {
    fn symbolicate(&self, _app: &str, _release: Option<&str>, frames: Vec<Frame>) -> Vec<Frame> {
        frames
            .into_iter()
            .map(|f| self.map.position(&f, Some(&self.bundle)).unwrap_or(f))
            .collect()
    }
}

/// A small deterministic PRNG (xorshift), so every run uses the same stacks.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Batches of errors drawn from `bugs` distinct stacks whose frames point
/// at random places of the bundle.
fn batches(source: &str, count: usize, bugs: usize) -> Vec<Batch> {
    let lines: Vec<usize> = source.lines().map(str::len).collect();
    let mut rng = Rng(0x5eed_f00d);
    let stacks: Vec<String> = (0..bugs)
        .map(|bug| {
            let mut stack = format!("TypeError: cannot read 'total' of undefined (bug {bug})");
            for _ in 0..FRAMES_PER_STACK {
                let line = rng.below(lines.len() as u64) as usize;
                let col = rng.below(lines[line].max(1) as u64) + 1;
                stack.push_str(&format!(
                    "\n    at f (https://shop.example/assets/app.min.js:{}:{col})",
                    line + 1
                ));
            }
            stack
        })
        .collect();
    (0..count)
        .map(|b| {
            let events: Vec<_> = (0..ERRORS_PER_BATCH)
                .map(|i| {
                    let stack = &stacks[rng.below(bugs as u64) as usize];
                    json!({"type": "error", "event_id": uuid::Uuid::new_v4(), "ts": 1_764_000_000_000u64 + i as u64,
                           "url": "https://shop.example/cart", "kind": "TypeError",
                           "message": "cannot read 'total' of undefined", "stack": stack})
                })
                .collect();
            let body = json!({"session": {"id": format!("s{b}")}, "context": {"release": "1.0.0"},
                              "sent_at": 1_764_000_000_000u64, "events": events});
            Batch {
                meta: BatchMeta {
                    app_id: "bench".into(),
                    received_at: 1_764_000_000_000,
                    user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36".into()),
                    country: None,
                    region: None,
                },
                format: Format::Json,
                body: serde_json::to_vec(&body).expect("json"),
            }
        })
        .collect()
}

/// Errors per second through `pipeline` over all `batches`.
fn rate(pipeline: &Pipeline, batches: &[Batch]) -> f64 {
    let start = Instant::now();
    let mut n = 0;
    for b in batches {
        n += pipeline
            .process(b, &AppPolicy::default())
            .expect("valid batch")
            .events
            .len();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

pub fn symbolicate() {
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk/dist");
    let (Ok(source), Ok(map_bytes)) = (
        std::fs::read_to_string(dist.join("fovea-replay.min.js")),
        std::fs::read(dist.join("fovea-replay.min.js.map")),
    ) else {
        eprintln!("symbolicate needs the SDK build: (cd sdk && npm ci && npm run build)");
        std::process::exit(2);
    };
    let rounds = arg("--rounds", 5) as usize;
    let count = arg("--batches", 200) as usize;
    let bugs = arg("--bugs", 100).max(1) as usize;

    let parse: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            let m = Map::parse(&map_bytes).expect("the SDK's map parses");
            std::hint::black_box(&m);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let warm = Arc::new(Warm {
        map: Map::parse(&map_bytes).expect("map"),
        bundle: source_view(&source),
    });
    println!(
        "symbolicate: bundle {} KB, map {} KB, {} errors of {FRAMES_PER_STACK} frames per round from {bugs} distinct stacks, {rounds} rounds",
        source.len() / 1024,
        map_bytes.len() / 1024,
        count * ERRORS_PER_BATCH,
    );
    println!("  map parse (a cache miss): median {:.1} ms", median(parse));

    let frame = Frame {
        function: Some("f".into()),
        file: BUNDLE_URL.into(),
        line: 1,
        column: (source.lines().next().map_or(1, str::len) / 4) as u32,
    };
    let n = 2_000;
    let t = Instant::now();
    for i in 0..n {
        // a new column each time: the first sight of a position, not the memo
        let f = Frame {
            column: frame.column + i,
            ..frame.clone()
        };
        std::hint::black_box(warm.map.position(&f, Some(&warm.bundle)));
    }
    let position = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(warm.map.resolve(&frame, Some(&warm.bundle)));
    }
    println!(
        "  one frame: {position:.2} µs to its original position (the writer), {:.2} µs with its source lines (the issue API)",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );

    let input = batches(&source, count, bugs);
    let plain = Pipeline::new(PipelineOptions::default());
    let symbolicated = Pipeline::new(PipelineOptions::default()).with_symbolicator(warm);
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let a = rate(&plain, &input);
        let b = rate(&symbolicated, &input);
        println!(
            "  round {}: writer pipeline {a:.0} errors/s without maps, {b:.0} with (ratio {:.2})",
            round + 1,
            b / a
        );
        without.push(a);
        with.push(b);
        std::thread::sleep(Duration::from_millis(100));
    }
    let (a, b) = (median(without), median(with));
    println!(
        "  median: {a:.0} errors/s without maps, {b:.0} with: symbolication costs {:.1} µs per error ({:.2}x)",
        (1.0 / b - 1.0 / a) * 1e6,
        b / a
    );
}
