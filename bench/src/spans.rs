//! `fovea-bench spans`: the OTLP trace intake (protobuf requests of 100
//! spans, as the OpenTelemetry SDKs' batch processors send them) against a
//! parse-and-discard endpoint that decodes the same protobuf and counts
//! the spans.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;

use crate::{compare, flag, load, serve, Workload, SERVER_KEY};

pub const SPANS_PER_REQUEST: usize = 100;

pub async fn spans() {
    // Spans of the last hour: the intake refuses spans far from now.
    let now_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let bodies = (0..512)
        .map(|i| Bytes::from(request(now_ns - 3_600_000_000_000, i).encode_to_vec()))
        .collect();
    let payloads = Arc::new(load::compressed(bodies, flag("--gzip")));
    let ceiling = serve(Router::new().route("/v1/traces", post(parse_and_discard))).await;
    compare(Workload {
        what: format!(
            "{SPANS_PER_REQUEST} spans ({} bytes{}) per request",
            payloads.bodies[0].len(),
            if payloads.gzip { " gzip" } else { " protobuf" }
        ),
        unit: "spans",
        per_request: SPANS_PER_REQUEST as f64,
        payloads,
        ours: |addr| load::Endpoint::otlp(addr, SERVER_KEY),
        ceiling: load::Endpoint::otlp(ceiling, SERVER_KEY),
    })
    .await;
}

/// Decodes the request with the same protobuf definitions and counts its
/// spans: no key, no checks, nothing kept.
async fn parse_and_discard(body: Bytes) -> (StatusCode, Vec<u8>) {
    match ExportTraceServiceRequest::decode(body) {
        Ok(r) => {
            let n: usize = r
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .map(|s| s.spans.len())
                .sum();
            (StatusCode::OK, vec![u8::from(n > 0)])
        }
        Err(_) => (StatusCode::BAD_REQUEST, Vec::new()),
    }
}

fn text(key: &str, value: impl Into<String>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

fn int(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::IntValue(value)),
        }),
        ..KeyValue::default()
    }
}

/// Ten traces of a server span with nine children each (HTTP and database
/// attributes, as the usual instrumentations record them).
fn request(from_ns: u64, seed: u64) -> ExportTraceServiceRequest {
    let start = from_ns + seed * 1_000_000_000;
    let mut spans = Vec::with_capacity(SPANS_PER_REQUEST);
    for t in 0..(SPANS_PER_REQUEST as u64 / 10) {
        let trace_id = ((seed << 32 | t) as u128 | 1 << 100).to_be_bytes().to_vec();
        let server_id = (seed << 20 | t << 8 | 1).to_be_bytes().to_vec();
        let t0 = start + t * 10_000_000;
        spans.push(Span {
            trace_id: trace_id.clone(),
            span_id: server_id.clone(),
            parent_span_id: (seed << 20 | t << 8 | 0xff).to_be_bytes().to_vec(),
            name: "GET /api/products/:id".into(),
            kind: 2,
            start_time_unix_nano: t0,
            end_time_unix_nano: t0 + 180_000_000,
            attributes: vec![
                text("http.request.method", "GET"),
                text("url.path", format!("/api/products/{t}")),
                text("http.route", "/api/products/:id"),
                int("http.response.status_code", 200),
                text("server.address", "shop.example"),
                text(
                    "user_agent.original",
                    "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
                ),
            ],
            ..Span::default()
        });
        for c in 2..=10u64 {
            spans.push(Span {
                trace_id: trace_id.clone(),
                span_id: (seed << 20 | t << 8 | c).to_be_bytes().to_vec(),
                parent_span_id: server_id.clone(),
                name: "SELECT products".into(),
                kind: 3,
                start_time_unix_nano: t0 + c * 1_000_000,
                end_time_unix_nano: t0 + c * 1_000_000 + 12_000_000,
                attributes: vec![
                    text("db.system", "postgresql"),
                    text(
                        "db.statement",
                        "SELECT id, name, price FROM products WHERE id = $1",
                    ),
                    int("db.rows", 1),
                ],
                ..Span::default()
            });
        }
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    text("service.name", "shop-api"),
                    text("deployment.environment.name", "prod"),
                    text("telemetry.sdk.language", "nodejs"),
                ],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    }
}
