//! What every decoder promises on any input, shared by the property tests
//! (`tests/arbitrary_input.rs`) and the fuzz targets (`fuzz/fuzz_targets/`,
//! which include this file by path): one `check_*` per decoder calls it as
//! the server does, with the default limits and with tight ones, and panics
//! when the answer breaks a promise. A decoder that panics fails the same way.
//!
//! The promises:
//! - a refusal is a client error (4xx), never a 5xx;
//! - nothing decompresses past the configured cap;
//! - what the intake accepts, the spool record keeps and the writer parses
//!   back to the same events, segment or spans;
//! - the OTLP span count taken before decoding lets through or refuses
//!   exactly what a full decode would.
//!
//! This file uses `fovea_intake`'s own dependencies only, which the fuzz
//! crate also lists.
#![allow(dead_code)] // each fuzz target uses one entry point

use fovea_intake::otlp::{self, Encoding, OtlpLimits};
use fovea_intake::{
    decode, decode_replay, decompress, parse, parse_replay, Batch, BatchMeta, Format, IntakeError,
    Limits, ReplayLimits, MAX_SEGMENT_EVENTS,
};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

/// The clock the trace checks run at (ms): when the OTLP fixtures were
/// exported, so their spans are accepted.
pub const NOW: i64 = 1_767_268_801_000;

/// `Content-Type` values of the event and replay intakes, odd ones included.
pub const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("application/json"),
    Some("application/x-ndjson"),
    Some("application/ndjson"),
    Some("text/plain"),
    Some("text/plain;charset=UTF-8"),
    Some(""),
    Some(" APPLICATION/JSON ; charset=utf-8"),
    Some("application/xml"),
];

/// `Content-Type` values of the OTLP intake.
pub const OTLP_CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/x-protobuf"),
    Some("application/protobuf"),
    Some("application/json"),
    Some("Application/JSON; charset=utf-8"),
    Some("text/plain"),
    None,
];

/// `Content-Encoding` values, odd ones included.
pub const CONTENT_ENCODINGS: &[Option<&str>] = &[
    None,
    Some(""),
    Some("identity"),
    Some("gzip"),
    Some("x-gzip"),
    Some(" GZIP "),
    Some("deflate"),
    Some("br"),
];

pub fn event_limits() -> [Limits; 2] {
    [
        Limits::default(),
        Limits {
            max_body: 64 << 10,
            max_decompressed: 16 << 10,
            max_event: 512,
            max_events: 4,
        },
    ]
}

pub fn replay_limits() -> [ReplayLimits; 2] {
    [
        ReplayLimits::default(),
        ReplayLimits {
            max_body: 64 << 10,
            max_decompressed: 16 << 10,
        },
    ]
}

pub fn otlp_limits() -> [OtlpLimits; 2] {
    [
        OtlpLimits::default(),
        OtlpLimits {
            max_body: 64 << 10,
            max_decompressed: 16 << 10,
            max_spans: 4,
            max_resource_copies: 1 << 10,
        },
    ]
}

/// The first two bytes of a fuzz input pick the content type (from `types`)
/// and the content encoding (from [`CONTENT_ENCODINGS`]); the rest is the
/// body. Shorter inputs are a body without either header.
fn split<'a>(
    data: &'a [u8],
    types: &[Option<&'static str>],
) -> (Option<&'static str>, Option<&'static str>, &'a [u8]) {
    match data {
        [t, e, body @ ..] => (
            types[*t as usize % types.len()],
            CONTENT_ENCODINGS[*e as usize % CONTENT_ENCODINGS.len()],
            body,
        ),
        _ => (None, None, data),
    }
}

/// The fuzz target `decode`.
pub fn fuzz_decode(data: &[u8]) {
    let (ct, ce, body) = split(data, CONTENT_TYPES);
    check_decode(ct, ce, body);
}

/// The fuzz target `decode_replay`.
pub fn fuzz_replay(data: &[u8]) {
    let (ct, ce, body) = split(data, CONTENT_TYPES);
    check_replay(ct, ce, body);
}

/// The fuzz target `decode_traces`.
pub fn fuzz_traces(data: &[u8]) {
    let (ct, ce, body) = split(data, OTLP_CONTENT_TYPES);
    check_traces(ct, ce, body);
}

/// The fuzz target `batch_record`.
pub fn fuzz_record(data: &[u8]) {
    check_record(data);
}

pub fn assert_client_error(e: &IntakeError) {
    assert!(
        e.status().is_client_error(),
        "refused with {} ({}): {e}",
        e.status(),
        e.code()
    );
}

/// `fovea_intake::decompress` never returns more than `cap` bytes.
pub fn check_decompress(ce: Option<&str>, body: &[u8], cap: usize) -> Option<Vec<u8>> {
    match decompress(ce, body, cap) {
        Ok(out) => {
            assert!(
                out.len() <= cap,
                "{} bytes past the cap of {cap}",
                out.len()
            );
            Some(out)
        }
        Err(e) => {
            assert_client_error(&e);
            None
        }
    }
}

/// The event intake (`POST /api/v1/events`), then the spool and the writer.
pub fn check_decode(ct: Option<&str>, ce: Option<&str>, body: &[u8]) {
    for limits in event_limits() {
        check_decompress(ce, body, limits.max_decompressed);
        let d = match decode(ct, ce, body, &limits) {
            Ok(d) => d,
            Err(e) => {
                assert_client_error(&e);
                continue;
            }
        };
        assert!(d.body.len() <= limits.max_decompressed);
        assert!(d.events <= limits.max_events);
        assert!(matches!(d.format, Format::Json | Format::Ndjson));
        let batch = spooled(d.format, d.body);
        let (_, events) = parse(batch.format, &batch.body, &limits)
            .expect("the writer parses what the intake accepted");
        assert_eq!(events.len(), d.events);
    }
}

/// The replay intake (`POST /api/v1/replay`), then the spool and the writer.
pub fn check_replay(ct: Option<&str>, ce: Option<&str>, body: &[u8]) {
    for limits in replay_limits() {
        let d = match decode_replay(ct, ce, body, &limits) {
            Ok(d) => d,
            Err(e) => {
                assert_client_error(&e);
                continue;
            }
        };
        assert!(d.body.len() <= limits.max_decompressed);
        let head = &d.head;
        assert!((1..=MAX_SEGMENT_EVENTS as u32).contains(&head.count));
        assert!(head.start <= head.end);
        assert!((1..=128).contains(&head.session_id.len()));
        let batch = spooled(Format::Replay, d.body);
        let again = parse_replay(&batch.body).expect("the writer parses what the intake accepted");
        assert_eq!(&again, head);
    }
}

/// The OTLP intake (`POST /v1/traces`) received at [`NOW`], its answers,
/// then the spool and the writer.
pub fn check_traces(ct: Option<&str>, ce: Option<&str>, body: &[u8]) {
    let encoding = match Encoding::of(ct) {
        Ok(encoding) => encoding,
        Err(e) => {
            assert_client_error(&e);
            otlp::error_body(Encoding::Json, &e);
            return;
        }
    };
    for limits in otlp_limits() {
        let result = otlp::decode_traces(encoding, ce, body, &limits, NOW);
        same_verdict_as_a_full_decode(encoding, ce, body, &limits, &result);
        let d = match result {
            Ok(d) => d,
            Err(e) => {
                assert_client_error(&e);
                otlp::error_body(encoding, &e);
                continue;
            }
        };
        if encoding == Encoding::Protobuf {
            assert!(d.body.len() <= limits.max_decompressed);
        }
        assert!(d.accepted + d.rejected <= limits.max_spans);
        assert_eq!(d.error.is_some(), d.rejected > 0);
        otlp::response(encoding, d.rejected, d.error);
        let batch = spooled(Format::Spans, d.body);
        let spans = otlp::spans("app", &batch.body, NOW)
            .expect("the writer decodes what the intake accepted");
        assert_eq!(
            spans.len(),
            d.accepted,
            "the writer keeps what the intake accepted"
        );
    }
}

/// The intake counts spans on the wire before it decodes them; whatever
/// the full decoder reads, that count must let through or refuse alike.
fn same_verdict_as_a_full_decode(
    encoding: Encoding,
    ce: Option<&str>,
    body: &[u8],
    limits: &OtlpLimits,
    result: &Result<otlp::DecodedTraces, IntakeError>,
) {
    if body.len() > limits.max_body {
        return;
    }
    let Ok(inflated) = decompress(ce, body, limits.max_decompressed) else {
        return;
    };
    let request = match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(inflated.as_slice()).ok(),
        Encoding::Json => serde_json::from_slice::<ExportTraceServiceRequest>(&inflated).ok(),
    };
    let Some(request) = request else {
        assert!(result.is_err(), "accepted what the decoder refuses");
        return;
    };
    let resources = request.resource_spans.len();
    let scopes: usize = request
        .resource_spans
        .iter()
        .map(|r| r.scope_spans.len())
        .sum();
    let spans: usize = request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum();
    let over = spans > limits.max_spans || resources + scopes > limits.max_spans;
    match result {
        Ok(_) => assert!(
            !over,
            "{spans} spans in {resources} + {scopes} containers accepted"
        ),
        Err(e) if over => assert_eq!(e.status().as_u16(), 413, "{e}"),
        // Within the span limits only the resource copies can be too many.
        Err(e) => assert!(e.to_string().starts_with("resource attributes"), "{e}"),
    }
}

/// A spool record read back (`Batch::decode`): a record that decodes
/// encodes to one that decodes to the same batch.
pub fn check_record(record: &[u8]) -> Option<Batch> {
    let batch = Batch::decode(record).ok()?;
    let again = Batch::decode(&batch.encode()).expect("an encoded batch decodes");
    assert_eq!(again, batch);
    Some(batch)
}

/// The batch the writer reads back from the spool record of an accepted body.
fn spooled(format: Format, body: Vec<u8>) -> Batch {
    let batch = Batch {
        meta: BatchMeta {
            app_id: "app".into(),
            received_at: NOW,
            ..BatchMeta::default()
        },
        format,
        body,
    };
    let back = Batch::decode(&batch.encode()).expect("a record the intake wrote reads back");
    assert_eq!(back, batch);
    back
}
