//! Fovea's own health as Prometheus metrics, at `GET /metrics`.

use std::sync::atomic::AtomicU64;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Reason {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Endpoint {
    pub endpoint: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Quota {
    pub app: String,
    /// `events` or `replay_bytes`.
    pub quota: &'static str,
}

type Timings<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms .. ~32 s
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    pub events_accepted: Counter,
    pub replay_segments_accepted: Counter,
    pub replay_segments_stored: Counter,
    pub replay_segments_dropped: Family<Reason, Counter>,
    pub spans_accepted: Counter,
    pub spans_rejected: Counter,
    pub spans_stored: Counter,
    pub requests_rejected: Family<Reason, Counter>,
    /// 1 while an app's daily quota is used up.
    pub quota_exceeded: Family<Quota, Gauge>,
    /// When (Unix seconds) an app's daily quota was found used up; 0 while
    /// it is not.
    pub quota_exceeded_since: Family<Quota, Gauge>,
    pub events_stored: Counter,
    pub events_dropped: Family<Reason, Counter>,
    pub store_errors: Counter,
    /// Spool records the store refused for good, set aside in the data
    /// dir's `quarantine/`.
    pub quarantined_batches: Counter,
    pub quarantined_events: Counter,
    spool_pending_bytes: Gauge,
    spool_syncs: Counter,
    /// Age of the newest batch the writer committed, at commit time.
    pub writer_lag_seconds: Gauge<f64, AtomicU64>,
    pub writer_batch_seconds: Histogram,
    pub query_seconds: Timings<Endpoint>,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("fovea");
        let m = Metrics {
            events_accepted: Counter::default(),
            replay_segments_accepted: Counter::default(),
            replay_segments_stored: Counter::default(),
            replay_segments_dropped: Family::default(),
            spans_accepted: Counter::default(),
            spans_rejected: Counter::default(),
            spans_stored: Counter::default(),
            requests_rejected: Family::default(),
            quota_exceeded: Family::default(),
            quota_exceeded_since: Family::default(),
            events_stored: Counter::default(),
            events_dropped: Family::default(),
            store_errors: Counter::default(),
            quarantined_batches: Counter::default(),
            quarantined_events: Counter::default(),
            spool_pending_bytes: Gauge::default(),
            spool_syncs: Counter::default(),
            writer_lag_seconds: Gauge::default(),
            writer_batch_seconds: latency_histogram(),
            query_seconds: Family::new_with_constructor(latency_histogram),
            registry: Registry::default(),
        };
        registry.register(
            "events_accepted",
            "Events acknowledged by the intake (durable in the spool)",
            m.events_accepted.clone(),
        );
        registry.register(
            "replay_segments_accepted",
            "Session replay segments acknowledged by the intake (durable in the spool)",
            m.replay_segments_accepted.clone(),
        );
        registry.register(
            "replay_segments_stored",
            "Session replay segments written to the store",
            m.replay_segments_stored.clone(),
        );
        registry.register(
            "replay_segments_dropped",
            "Session replay segments left out by the pipeline (bots, sampling), by reason",
            m.replay_segments_dropped.clone(),
        );
        registry.register(
            "spans_accepted",
            "Backend spans acknowledged by the OTLP intake (durable in the spool)",
            m.spans_accepted.clone(),
        );
        registry.register(
            "spans_rejected",
            "Backend spans the OTLP intake refused (invalid ids or times; a partial success)",
            m.spans_rejected.clone(),
        );
        registry.register(
            "spans_stored",
            "Backend spans written to the store",
            m.spans_stored.clone(),
        );
        registry.register(
            "quota_exceeded",
            "1 while an app's daily quota is used up (its intake answers 429 until the next UTC day), by app and quota",
            m.quota_exceeded.clone(),
        );
        registry.register(
            "quota_exceeded_since_seconds",
            "When (Unix seconds) this node found an app's daily quota used up, 0 while it is not, by app and quota",
            m.quota_exceeded_since.clone(),
        );
        registry.register(
            "requests_rejected",
            "Intake requests refused, by reason",
            m.requests_rejected.clone(),
        );
        registry.register(
            "events_stored",
            "Events committed to the store",
            m.events_stored.clone(),
        );
        registry.register(
            "events_dropped",
            "Accepted events not stored, by reason (bot, sampled)",
            m.events_dropped.clone(),
        );
        registry.register(
            "store_errors",
            "Failed store writes (retried, or quarantined when permanent)",
            m.store_errors.clone(),
        );
        registry.register(
            "quarantined_batches",
            "Spooled batches the store rejected for good, moved to <data dir>/quarantine",
            m.quarantined_batches.clone(),
        );
        registry.register(
            "quarantined_events",
            "Events in quarantined batches",
            m.quarantined_events.clone(),
        );
        registry.register(
            "spool_pending_bytes",
            "Spooled bytes not yet in the store",
            m.spool_pending_bytes.clone(),
        );
        registry.register(
            "spool_syncs",
            "Successful spool group commits (one fsync each); accepted requests per sync is the group size",
            m.spool_syncs.clone(),
        );
        registry.register(
            "writer_lag_seconds",
            "Age of the newest committed batch when it was committed; while the store fails, age of the oldest batch waiting",
            m.writer_lag_seconds.clone(),
        );
        registry.register(
            "writer_batch_seconds",
            "Time to commit one writer batch to the store",
            m.writer_batch_seconds.clone(),
        );
        registry.register(
            "query_seconds",
            "Query API latency, by endpoint",
            m.query_seconds.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, body = String, content_type = "application/openmetrics-text", description = "Prometheus / OpenMetrics text")), security(()))]
pub async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    m.spool_pending_bytes
        .set(state.spool.pending_bytes() as i64);
    // The spool counts its own syncs; the scrape copies the count over.
    m.spool_syncs
        .inner()
        .store(state.spool.syncs(), std::sync::atomic::Ordering::Relaxed);
    let mut body = String::new();
    encode(&mut body, &m.registry).expect("writing to a String cannot fail");
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
}
