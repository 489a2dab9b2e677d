//! Every decoder fed arbitrary or damaged input answers Ok or a 4xx, never a
//! panic or a 5xx, and never inflates past its cap (the promises are in
//! `support/mod.rs`, which the fuzz targets in `fuzz/` share).
//!
//! Two kinds of input: arbitrary bytes, exactly what the fuzz targets get,
//! and structured ones that reach the parsers: valid batches, segments and
//! trace requests with fields changed, compressed and then cut or flipped,
//! NDJSON with odd lines, gzip bombs, deeply nested JSON.
//!
//! Case counts are set per property so that the file runs in seconds in a
//! debug build; `cargo fuzz` is for long runs. A failing case is saved in
//! `tests/proptest-regressions/arbitrary_input.txt` and replayed first.

mod support;

use std::io::Write;

use fovea_intake::otlp::{self, Encoding, OtlpLimits};
use fovea_intake::{
    decode, decode_replay, decompress, Batch, BatchMeta, Format, IntakeError, Limits, ReplayLimits,
};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use prost::Message;
use serde_json::{json, Value};

use support::{check_decode, check_record, check_replay, check_traces, NOW};

const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/proptest-regressions/arbitrary_input.txt"
);

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS))),
        ..ProptestConfig::default()
    }
}

const TRACES_PB: &[u8] = include_bytes!("fixtures/otlp/traces.pb");
const TRACES_JSON: &[u8] = include_bytes!("fixtures/otlp/traces.json");
const EVENT_ID: &str = "6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c10";

// ---------------------------------------------------------------- bodies

/// How a body is sent: compressed or not, and damaged or not on the way.
#[derive(Debug, Clone, Copy)]
enum Codec {
    Plain,
    Gzip,
    /// Two gzip members, which a gzip reader must read as one body.
    GzipMembers,
    Zlib,
    RawDeflate,
}

impl Codec {
    fn content_encoding(self) -> Option<&'static str> {
        match self {
            Codec::Plain => None,
            Codec::Gzip | Codec::GzipMembers => Some("gzip"),
            Codec::Zlib | Codec::RawDeflate => Some("deflate"),
        }
    }

    fn encode(self, body: &[u8]) -> Vec<u8> {
        let level = flate2::Compression::fast();
        match self {
            Codec::Plain => body.to_vec(),
            Codec::Gzip => gzip(body),
            Codec::GzipMembers => {
                let (a, b) = body.split_at(body.len() / 2);
                [gzip(a), gzip(b)].concat()
            }
            Codec::Zlib => {
                let mut z = flate2::write::ZlibEncoder::new(Vec::new(), level);
                z.write_all(body).unwrap();
                z.finish().unwrap()
            }
            Codec::RawDeflate => {
                let mut z = flate2::write::DeflateEncoder::new(Vec::new(), level);
                z.write_all(body).unwrap();
                z.finish().unwrap()
            }
        }
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(body).unwrap();
    z.finish().unwrap()
}

fn codec() -> impl Strategy<Value = Codec> {
    prop_oneof![
        2 => Just(Codec::Plain),
        1 => Just(Codec::Gzip),
        1 => Just(Codec::GzipMembers),
        1 => Just(Codec::Zlib),
        1 => Just(Codec::RawDeflate),
    ]
}

/// What happens to the bytes on the wire.
#[derive(Debug, Clone)]
enum Damage {
    None,
    /// Cut after this fraction (per mille) of the bytes.
    Truncate(u16),
    /// XOR these bytes at these positions (taken modulo the length).
    Flip(Vec<(usize, u8)>),
    /// Bytes appended after the body.
    Append(Vec<u8>),
}

impl Damage {
    fn apply(&self, mut bytes: Vec<u8>) -> Vec<u8> {
        match self {
            Damage::None => {}
            Damage::Truncate(per_mille) => {
                bytes.truncate(bytes.len() * *per_mille as usize / 1000);
            }
            Damage::Flip(flips) => {
                if !bytes.is_empty() {
                    for &(at, x) in flips {
                        let n = bytes.len();
                        bytes[at % n] ^= x;
                    }
                }
            }
            Damage::Append(tail) => bytes.extend_from_slice(tail),
        }
        bytes
    }
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        4 => Just(Damage::None),
        1 => (0u16..1000).prop_map(Damage::Truncate),
        2 => vec((any::<usize>(), 1u8..=255), 1..8).prop_map(Damage::Flip),
        1 => vec(any::<u8>(), 1..16).prop_map(Damage::Append),
    ]
}

/// A content encoding: mostly the one that matches the codec, sometimes any.
fn declared(codec: Codec) -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        4 => Just(codec.content_encoding()),
        1 => prop::sample::select(support::CONTENT_ENCODINGS),
    ]
}

// ------------------------------------------------------------ JSON values

/// Names the decoders look for, so that a random edit often hits one.
const FIELDS: &[&str] = &[
    "type",
    "event_id",
    "ts",
    "session_id",
    "view_id",
    "url",
    "version",
    "lcp",
    "cls",
    "attrs",
    "frustration",
    "status",
    "duration",
    "message",
    "action_type",
    "resource_url",
    "events",
    "session",
    "id",
    "sdk",
    "context",
    "sent_at",
    "v",
    "index",
    "timestamp",
    "data",
    "resourceSpans",
    "scopeSpans",
    "spans",
    "traceId",
    "spanId",
    "parentSpanId",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "attributes",
    "value",
    "values",
    "intValue",
    "stringValue",
    "arrayValue",
    "kvlistValue",
    "bytesValue",
    "doubleValue",
    "kind",
    "code",
    "resource",
];

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FIELDS).prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

fn json_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(vec![
            json!(0),
            json!(-1),
            json!(1e308),
            json!(-0.0),
            json!(0.5),
            json!(u32::MAX as u64 + 1),
            json!(1_000_000_000_000_000_i64),
            json!(""),
            json!(EVENT_ID),
            json!("4bf92f3577b34da6a3ce929d0e0e4736"),
            json!("00f067aa0ba902b7"),
            json!("1767268800100000000"),
            json!("18446744073709551616"),
            json!("view"),
            json!("error"),
            json!("NaN"),
            json!("\u{0}\u{ffff}é"),
        ]),
        ".{0,40}".prop_map(Value::from),
        (0usize..2000).prop_map(|n| Value::from("x".repeat(n))),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_scalar().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::from),
            vec((field_name(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// One change to a JSON document: follow `path` (child indices modulo the
/// children's count) as far as it goes, then apply `edit` there.
#[derive(Debug, Clone)]
struct Mutation {
    path: Vec<usize>,
    edit: Edit,
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(Value),
    /// Removes a child of the node reached (index modulo the count).
    Remove(usize),
    /// Sets a key if the node reached is an object, else replaces it.
    Insert(String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let edit = prop_oneof![
        json_value().prop_map(Edit::Replace),
        any::<usize>().prop_map(Edit::Remove),
        (field_name(), json_value()).prop_map(|(k, v)| Edit::Insert(k, v)),
    ];
    (vec(any::<usize>(), 0..8), edit).prop_map(|(path, edit)| Mutation { path, edit })
}

fn mutate(doc: &mut Value, m: &Mutation) {
    edit_at(doc, &m.path, &m.edit);
}

fn edit_at(node: &mut Value, path: &[usize], edit: &Edit) {
    if let Some((&i, rest)) = path.split_first() {
        let child = match node {
            Value::Object(map) if !map.is_empty() => {
                let n = map.len();
                map.values_mut().nth(i % n)
            }
            Value::Array(items) if !items.is_empty() => {
                let n = items.len();
                items.get_mut(i % n)
            }
            _ => None,
        };
        if let Some(child) = child {
            return edit_at(child, rest, edit);
        }
    }
    match (edit, node) {
        (Edit::Remove(i), Value::Object(map)) if !map.is_empty() => {
            let key = map.keys().nth(i % map.len()).cloned().unwrap();
            map.remove(&key);
        }
        (Edit::Remove(i), Value::Array(items)) if !items.is_empty() => {
            items.remove(i % items.len());
        }
        (Edit::Remove(_), node) => *node = Value::Null,
        (Edit::Insert(k, v), Value::Object(map)) => {
            map.insert(k.clone(), v.clone());
        }
        (Edit::Insert(_, v) | Edit::Replace(v), node) => *node = v.clone(),
    }
}

/// `depth` levels of arrays or objects around `null`, written out by hand:
/// `serde_json` would refuse to build a value this deep.
fn nested(depth: usize, objects: bool) -> String {
    let (open, close) = if objects {
        (r#"{"a":"#, "}")
    } else {
        ("[", "]")
    };
    format!("{}null{}", open.repeat(depth), close.repeat(depth))
}

// ----------------------------------------------------------- event batches

fn valid_event(kind: usize, i: usize) -> Value {
    let mut e = json!({ "event_id": EVENT_ID, "ts": 1_767_268_800_000u64 + i as u64 });
    let fields = match kind % 5 {
        0 => json!({"type": "view", "view_id": "v1", "url": "https://a.example/", "version": 1,
                    "lcp": 1200.5, "cls": 0.01, "frustration_count": 0}),
        1 => json!({"type": "action", "action_type": "click", "name": "buy", "x": 3, "y": 4,
                    "frustration": ["rage_click"], "attrs": {"plan": "pro"}}),
        2 => json!({"type": "error", "message": "boom", "stack": "at f (a.js:1:2)",
                    "handled": false, "status": 500}),
        3 => json!({"type": "resource", "resource_url": "https://a.example/x.js", "kind": "script",
                    "duration": 12, "transfer_size": 300,
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}),
        _ => json!({"type": "long_task", "duration": 80, "blocking_duration": 30}),
    };
    e.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    e
}

fn valid_header() -> Value {
    json!({
        "sdk": {"name": "fovea-browser", "version": "0.1.0"},
        "session": {"id": "s1", "user_id": "u1"},
        "context": {"env": "prod", "release": "1.2.3", "viewport": "1280x720"},
        "sent_at": 1_767_268_800_500u64,
    })
}

/// A valid body in the JSON (`ndjson == false`) or NDJSON layout.
fn event_body(header: &Value, events: &[Value], ndjson: bool) -> Vec<u8> {
    if ndjson {
        let mut out = serde_json::to_vec(header).unwrap();
        for e in events {
            out.push(b'\n');
            out.extend(serde_json::to_vec(e).unwrap());
        }
        out
    } else {
        let mut batch = header.clone();
        if let Some(fields) = batch.as_object_mut() {
            fields.insert("events".into(), Value::from(events.to_vec()));
        }
        serde_json::to_vec(&batch).unwrap()
    }
}

// ---------------------------------------------------------- replay segments

fn valid_segment(n: usize) -> Value {
    let events: Vec<Value> = (0..n)
        .map(|i| {
            let kind = [4, 2, 3][i % 3];
            json!({"type": kind, "timestamp": 1_767_268_800_000u64 + i as u64,
                   "data": {"source": 2, "href": "https://a.example/", "node": {"childNodes": []}}})
        })
        .collect();
    json!({"v": 1, "session_id": "s1", "view_id": "v1", "index": 3, "sent_at": 5,
           "events": events})
}

// ------------------------------------------------------------ OTLP requests

fn any_value() -> impl Strategy<Value = AnyValue> {
    use any_value::Value as V;
    let leaf = prop_oneof![
        ".{0,20}".prop_map(V::StringValue),
        any::<bool>().prop_map(V::BoolValue),
        any::<i64>().prop_map(V::IntValue),
        any::<f64>().prop_map(V::DoubleValue),
        vec(any::<u8>(), 0..20).prop_map(V::BytesValue),
    ]
    .prop_map(|v| AnyValue { value: Some(v) });
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(|values| AnyValue {
                value: Some(V::ArrayValue(ArrayValue { values })),
            }),
            vec(key_value(inner), 0..4).prop_map(|values| AnyValue {
                value: Some(V::KvlistValue(KeyValueList { values })),
            }),
        ]
    })
}

fn key_value(value: impl Strategy<Value = AnyValue>) -> impl Strategy<Value = KeyValue> {
    (field_name(), prop::option::of(value)).prop_map(|(key, value)| KeyValue {
        key,
        value,
        ..KeyValue::default()
    })
}

/// An id of mostly the right length, sometimes another (which the intake
/// counts as a rejected span, not a bad request).
fn id(len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => vec(any::<u8>(), len),
        1 => vec(any::<u8>(), 0..20),
        1 => Just(vec![0; len]),
    ]
}

fn time_ns() -> impl Strategy<Value = u64> {
    let now_ns = NOW as u64 * 1_000_000;
    prop_oneof![
        8 => now_ns - 86_400_000_000_000..now_ns + 3_600_000_000_000,
        1 => any::<u64>(),
        1 => Just(0),
    ]
}

fn otlp_span() -> impl Strategy<Value = Span> {
    (
        (id(16), id(8), prop_oneof![Just(vec![]), id(8)]),
        (".{0,20}", any::<i32>(), time_ns(), 0u64..10_000_000_000),
        vec(key_value(any_value()), 0..4),
        prop::option::of((any::<i32>(), ".{0,10}")),
    )
        .prop_map(
            |(
                (trace_id, span_id, parent_span_id),
                (name, kind, start, len),
                attributes,
                status,
            )| {
                Span {
                    trace_id,
                    span_id,
                    parent_span_id,
                    name,
                    kind,
                    start_time_unix_nano: start,
                    end_time_unix_nano: start.wrapping_add(len),
                    attributes,
                    status: status.map(|(code, message)| Status { code, message }),
                    events: vec![span::Event {
                        name: "exception".into(),
                        attributes: vec![KeyValue {
                            key: "exception.message".into(),
                            value: Some(AnyValue {
                                value: Some(any_value::Value::StringValue("deadlock".into())),
                            }),
                            ..KeyValue::default()
                        }],
                        ..span::Event::default()
                    }],
                    ..Span::default()
                }
            },
        )
}

fn otlp_request() -> impl Strategy<Value = ExportTraceServiceRequest> {
    let resource_spans = (vec(key_value(any_value()), 0..4), vec(otlp_span(), 0..4)).prop_map(
        |(attributes, spans)| ResourceSpans {
            resource: Some(Resource {
                attributes,
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        },
    );
    vec(resource_spans, 0..3)
        .prop_map(|resource_spans| ExportTraceServiceRequest { resource_spans })
}

/// `depth` levels of `arrayValue` (or `kvlistValue`) around a string.
fn nested_any_value(depth: usize, kvlist: bool) -> AnyValue {
    let mut v = AnyValue {
        value: Some(any_value::Value::StringValue("leaf".into())),
    };
    for _ in 0..depth {
        let inner = if kvlist {
            any_value::Value::KvlistValue(KeyValueList {
                values: vec![KeyValue {
                    key: "k".into(),
                    value: Some(v),
                    ..KeyValue::default()
                }],
            })
        } else {
            any_value::Value::ArrayValue(ArrayValue { values: vec![v] })
        };
        v = AnyValue { value: Some(inner) };
    }
    v
}

/// The fixture's request with one attribute nested `depth` levels deep.
fn fixture_with_attribute(value: AnyValue) -> ExportTraceServiceRequest {
    let mut request = ExportTraceServiceRequest::decode(TRACES_PB).unwrap();
    let span = &mut request.resource_spans[0].scope_spans[0].spans[0];
    span.attributes.push(KeyValue {
        key: "deep".into(),
        value: Some(value),
        ..KeyValue::default()
    });
    request
}

// --------------------------------------------------------------- properties

proptest! {
    #![proptest_config(config(8192))]

    /// What `fuzz/fuzz_targets/decode.rs` runs.
    #[test]
    fn arbitrary_bytes_to_the_event_decoder(data in vec(any::<u8>(), 0..2048)) {
        support::fuzz_decode(&data);
    }

    /// What `fuzz/fuzz_targets/decode_replay.rs` runs.
    #[test]
    fn arbitrary_bytes_to_the_replay_decoder(data in vec(any::<u8>(), 0..2048)) {
        support::fuzz_replay(&data);
    }

    /// What `fuzz/fuzz_targets/decode_traces.rs` runs.
    #[test]
    fn arbitrary_bytes_to_the_trace_decoder(data in vec(any::<u8>(), 0..2048)) {
        support::fuzz_traces(&data);
    }

    /// What `fuzz/fuzz_targets/batch_record.rs` runs.
    #[test]
    fn arbitrary_bytes_to_the_spool_record_decoder(data in vec(any::<u8>(), 0..2048)) {
        support::fuzz_record(&data);
    }

    /// Arbitrary header values, not only the listed ones.
    #[test]
    fn arbitrary_headers(
        ct in prop::option::of(".{0,40}"),
        ce in prop::option::of(".{0,20}"),
        body in vec(any::<u8>(), 0..256),
    ) {
        check_decode(ct.as_deref(), ce.as_deref(), &body);
        check_replay(ct.as_deref(), ce.as_deref(), &body);
        check_traces(ct.as_deref(), ce.as_deref(), &body);
    }
}

proptest! {
    #![proptest_config(config(1024))]

    /// Garbage that inflates: the parsers behind the decompressors see it.
    #[test]
    fn compressed_arbitrary_bytes(
        body in vec(any::<u8>(), 0..2048),
        codec in codec(),
        damage in damage(),
        ct in 0..support::CONTENT_TYPES.len(),
        otlp_ct in 0..support::OTLP_CONTENT_TYPES.len(),
    ) {
        let sent = damage.apply(codec.encode(&body));
        let ce = codec.content_encoding();
        check_decode(support::CONTENT_TYPES[ct], ce, &sent);
        check_replay(support::CONTENT_TYPES[ct], ce, &sent);
        check_traces(support::OTLP_CONTENT_TYPES[otlp_ct], ce, &sent);
    }

    /// Valid batches with fields changed, compressed, cut or flipped.
    #[test]
    fn mutated_event_batches(
        kinds in vec(0usize..5, 0..6),
        mutations in vec(mutation(), 0..4),
        ndjson in any::<bool>(),
        // `None`: the content type of the layout; else one of the list.
        ct in prop::option::weighted(0.25, 0..support::CONTENT_TYPES.len()),
        (codec, ce) in codec().prop_flat_map(|c| (Just(c), declared(c))),
        damage in damage(),
    ) {
        let mut header = valid_header();
        let mut events: Vec<Value> =
            kinds.iter().enumerate().map(|(i, &k)| valid_event(k, i)).collect();
        // Odd mutations hit an event, even ones the header.
        for (n, m) in mutations.iter().enumerate() {
            match events.len() {
                len if len > 0 && n % 2 == 1 => mutate(&mut events[n % len], m),
                _ => mutate(&mut header, m),
            }
        }
        let body = event_body(&header, &events, ndjson);
        let sent = damage.apply(codec.encode(&body));
        let layout = if ndjson { "application/x-ndjson" } else { "application/json" };
        let content_type = ct.map_or(Some(layout), |i| support::CONTENT_TYPES[i]);
        check_decode(content_type, ce, &sent);
        let pristine = ct.is_none()
            && mutations.is_empty()
            && matches!(damage, Damage::None)
            && ce == codec.content_encoding();
        if pristine {
            // The generator makes valid bodies: without this the property
            // would hold for a decoder that refuses everything.
            let d = decode(content_type, ce, &sent, &Limits::default());
            let n = d.map(|d| d.events).map_err(|e| e.to_string());
            prop_assert_eq!(n, Ok(kinds.len()));
        }
    }

    /// NDJSON bodies whose lines are anything: blank, CRLF, not JSON, huge,
    /// nested, a BOM.
    #[test]
    fn ndjson_with_odd_lines(
        first in prop_oneof![
            3 => Just(serde_json::to_string(&valid_header()).unwrap()),
            1 => ndjson_line(),
        ],
        lines in vec(ndjson_line(), 0..8),
        crlf in any::<bool>(),
        trailing in any::<bool>(),
        ct in prop::sample::select(vec![
            Some("application/x-ndjson"), Some("application/ndjson"), Some("text/plain"), None,
        ]),
        codec in codec(),
    ) {
        let sep = if crlf { "\r\n" } else { "\n" };
        let mut body = [first, lines.join(sep)].join(sep);
        if trailing {
            body.push_str(sep);
        }
        check_decode(ct, codec.content_encoding(), &codec.encode(body.as_bytes()));
    }

    /// Valid segments with fields changed, gzip declared or sniffed, cut or
    /// flipped.
    #[test]
    fn mutated_replay_segments(
        n in 0usize..8,
        mutations in vec(mutation(), 0..4),
        // `None`: application/json; else one of the list.
        ct in prop::option::weighted(0.25, 0..support::CONTENT_TYPES.len()),
        (codec, ce) in codec().prop_flat_map(|c| (Just(c), declared(c))),
        sniffed in any::<bool>(),
        damage in damage(),
    ) {
        let mut segment = valid_segment(n);
        for m in &mutations {
            mutate(&mut segment, m);
        }
        let sent = damage.apply(codec.encode(&serde_json::to_vec(&segment).unwrap()));
        let content_type = ct.map_or(Some("application/json"), |i| support::CONTENT_TYPES[i]);
        let gzipped = matches!(codec, Codec::Gzip | Codec::GzipMembers);
        // `sendBeacon` cannot set Content-Encoding: gzip is sniffed.
        let ce = if sniffed && gzipped { None } else { ce };
        check_replay(content_type, ce, &sent);
        let pristine = ct.is_none()
            && mutations.is_empty()
            && matches!(damage, Damage::None)
            && (ce == codec.content_encoding() || (ce.is_none() && gzipped));
        if pristine && n > 0 {
            let d = decode_replay(content_type, ce, &sent, &ReplayLimits::default());
            let count = d.map(|d| d.head.count).map_err(|e| e.to_string());
            prop_assert_eq!(count, Ok(n as u32));
        }
    }

    /// Generated trace requests as protobuf and as OTLP JSON, then bytes
    /// flipped or fields changed: both encodings count the same spans.
    #[test]
    fn generated_trace_requests(
        request in otlp_request(),
        codec in codec(),
        damage in damage(),
        mutations in vec(mutation(), 0..3),
    ) {
        let pb = request.encode_to_vec();
        let mut json: Value = serde_json::to_value(&request).unwrap();
        let ce = codec.content_encoding();
        let limits = OtlpLimits::default();
        let spans: usize = request
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        let counts = |encoding, body: &[u8]| {
            otlp::decode_traces(encoding, ce, body, &limits, NOW)
                .map(|d| (d.accepted, d.rejected))
                .map_err(|e| e.to_string())
        };
        let from_pb = counts(Encoding::Protobuf, &codec.encode(&pb));
        prop_assert_eq!(from_pb.clone().map(|(a, r)| a + r), Ok(spans));
        // Doubles that are not finite become `null` in JSON, which reads back
        // as no value: the span counts stay the same.
        let json_body = serde_json::to_vec(&json).unwrap();
        prop_assert_eq!(counts(Encoding::Json, &codec.encode(&json_body)), from_pb);

        check_traces(Some("application/x-protobuf"), ce, &damage.apply(codec.encode(&pb)));
        for m in &mutations {
            mutate(&mut json, m);
        }
        let json_body = serde_json::to_vec(&json).unwrap();
        check_traces(Some("application/json"), ce, &damage.apply(codec.encode(&json_body)));
    }

    /// The real SDK's export with bytes flipped, cut or appended.
    #[test]
    fn damaged_trace_fixtures(
        damage in damage(),
        codec in codec(),
        json in any::<bool>(),
    ) {
        let (ct, fixture) = if json {
            ("application/json", TRACES_JSON)
        } else {
            ("application/x-protobuf", TRACES_PB)
        };
        let sent = damage.apply(codec.encode(fixture));
        check_traces(Some(ct), codec.content_encoding(), &sent);
    }

    /// Spool records of any batch, then cut, flipped or with a wrong meta
    /// length.
    #[test]
    fn damaged_spool_records(
        app_id in ".{0,20}",
        received_at in any::<i64>(),
        user_agent in prop::option::of(".{0,40}"),
        format in 0u8..4,
        body in vec(any::<u8>(), 0..256),
        damage in damage(),
        meta_len in prop::option::of(any::<u32>()),
    ) {
        let batch = Batch {
            meta: BatchMeta {
                app_id,
                received_at,
                user_agent,
                ..BatchMeta::default()
            },
            format: [Format::Json, Format::Ndjson, Format::Replay, Format::Spans][format as usize],
            body,
        };
        let record = batch.encode();
        prop_assert_eq!(check_record(&record), Some(batch));
        let mut record = damage.apply(record);
        if let (Some(len), true) = (meta_len, record.len() >= 6) {
            record[2..6].copy_from_slice(&len.to_le_bytes());
        }
        check_record(&record);
    }
}

fn ndjson_line() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(serde_json::to_string(&valid_header()).unwrap()),
        6 => (0usize..5).prop_map(|k| serde_json::to_string(&valid_event(k, k)).unwrap()),
        3 => prop::sample::select(vec![
            "", " ", "\t", "\r", " \r ", "\u{b}", "\u{feff}{}", "\0", "{}", "[]", "null", "1",
            "\"s\"", "{\"a\":1}{\"b\":2}", "{", "}",
        ])
        .prop_map(str::to_string),
        1 => ".{0,40}",
        1 => json_value().prop_map(|v| v.to_string()),
        1 => (1usize..300, any::<bool>()).prop_map(|(d, o)| nested(d, o)),
        1 => (0usize..4000)
            .prop_map(|n| format!(r#"{{"type":"error","message":"{}"}}"#, "m".repeat(n))),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// Bodies that inflate to around the cap, in one gzip member or several,
    /// or as deflate: never more than the cap comes out, and over it is 413.
    #[test]
    fn bombs_stop_at_the_cap(
        cap in 0usize..(32 << 10),
        size in 0usize..(128 << 10),
        fill in any::<u8>(),
        codec in prop::sample::select(
            vec![Codec::Gzip, Codec::GzipMembers, Codec::Zlib, Codec::RawDeflate],
        ),
    ) {
        let inflated = vec![fill; size];
        let bomb = codec.encode(&inflated);
        let ce = codec.content_encoding();
        match decompress(ce, &bomb, cap) {
            Ok(out) => {
                prop_assert!(size <= cap);
                prop_assert_eq!(out.len(), size);
            }
            Err(e) => {
                prop_assert!(size > cap, "{}", e);
                prop_assert_eq!(e.status().as_u16(), 413);
            }
        }
        let limits = Limits { max_decompressed: cap, ..Limits::default() };
        let replay = ReplayLimits { max_decompressed: cap, ..ReplayLimits::default() };
        let otlp = OtlpLimits { max_decompressed: cap, ..OtlpLimits::default() };
        if size > cap {
            let status = |r: Result<(), IntakeError>| r.unwrap_err().status().as_u16();
            prop_assert_eq!(status(decode(None, ce, &bomb, &limits).map(drop)), 413);
            prop_assert_eq!(status(decode_replay(None, ce, &bomb, &replay).map(drop)), 413);
            let traces = otlp::decode_traces(Encoding::Protobuf, ce, &bomb, &otlp, NOW);
            prop_assert_eq!(status(traces.map(drop)), 413);
        }
        check_decode(None, ce, &bomb);
        check_replay(None, ce, &bomb);
        check_traces(Some("application/x-protobuf"), ce, &bomb);
    }
}

/// Where deeply nested JSON goes.
#[derive(Debug, Clone, Copy)]
enum Nest {
    Body,
    Event,
    EventField,
    EventAttrs,
    Header,
    NdjsonHeader,
    NdjsonEvent,
    SegmentBody,
    SegmentEvent,
    SegmentEventData,
    SegmentField,
    OtlpBody,
    OtlpAttribute,
}

proptest! {
    #![proptest_config(config(512))]

    /// Arrays or objects nested up to 20 000 deep wherever a decoder reads
    /// JSON: refused or skipped, never a stack overflow.
    #[test]
    fn deeply_nested_json(
        depth in prop_oneof![1usize..200, 200usize..20_000],
        objects in any::<bool>(),
        at in prop::sample::select(vec![
            Nest::Body, Nest::Event, Nest::EventField, Nest::EventAttrs, Nest::Header,
            Nest::NdjsonHeader, Nest::NdjsonEvent, Nest::SegmentBody, Nest::SegmentEvent,
            Nest::SegmentEventData, Nest::SegmentField, Nest::OtlpBody, Nest::OtlpAttribute,
        ]),
        gzipped in any::<bool>(),
    ) {
        let deep = nested(depth, objects);
        let event = |extra: &str| format!(
            r#"{{"type":"error","event_id":"{EVENT_ID}","ts":1,"message":"m"{extra}}}"#
        );
        let segment = |events: &str, extra: &str| format!(
            r#"{{"v":1,"session_id":"s","index":0{extra},"events":[{events}]}}"#
        );
        let batch = |events: &str| format!(r#"{{"session":{{"id":"s"}},"events":[{events}]}}"#);
        let rrweb = r#"{"type":2,"timestamp":1}"#;
        let body = match at {
            Nest::Body | Nest::SegmentBody | Nest::OtlpBody => deep.clone(),
            Nest::Event => batch(&deep),
            Nest::EventField => batch(&event(&format!(r#","unknown":{deep}"#))),
            Nest::EventAttrs => batch(&event(&format!(r#","attrs":{deep}"#))),
            Nest::Header => format!(r#"{{"session":{deep},"events":[]}}"#),
            Nest::NdjsonHeader => format!("{deep}\n{}", event("")),
            Nest::NdjsonEvent => format!("{{\"session\":{{\"id\":\"s\"}}}}\n{deep}\n{}", event("")),
            Nest::SegmentEvent => segment(&format!("{rrweb},{deep}"), ""),
            Nest::SegmentEventData => {
                segment(&format!(r#"{{"type":2,"timestamp":1,"data":{deep}}}"#), "")
            }
            Nest::SegmentField => segment(rrweb, &format!(r#","view_id":{deep}"#)),
            Nest::OtlpAttribute => format!(
                r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"k","value":{deep}}}]}},
                    "scopeSpans":[{{"spans":[{{}}]}}]}}]}}"#
            ),
        };
        let (ce, sent) = if gzipped {
            (Some("gzip"), gzip(body.as_bytes()))
        } else {
            (None, body.into_bytes())
        };
        match at {
            Nest::Body | Nest::Event | Nest::EventField | Nest::EventAttrs | Nest::Header => {
                check_decode(Some("application/json"), ce, &sent);
                check_decode(None, ce, &sent);
            }
            Nest::NdjsonHeader | Nest::NdjsonEvent => {
                check_decode(Some("application/x-ndjson"), ce, &sent);
                check_decode(Some("text/plain"), ce, &sent);
            }
            Nest::SegmentBody
            | Nest::SegmentEvent
            | Nest::SegmentEventData
            | Nest::SegmentField => check_replay(Some("text/plain"), ce, &sent),
            Nest::OtlpBody | Nest::OtlpAttribute => {
                check_traces(Some("application/json"), ce, &sent);
            }
        }
    }

    /// OTLP attribute values nested as deep as protobuf allows and deeper,
    /// sent as protobuf and as JSON.
    #[test]
    fn deeply_nested_attribute_values(depth in 0usize..200, kvlist in any::<bool>()) {
        let request = fixture_with_attribute(nested_any_value(depth, kvlist));
        check_traces(Some("application/x-protobuf"), None, &request.encode_to_vec());
        // The JSON mapping is written out by serde_json's serializer, which
        // has no depth limit (its reader has).
        check_traces(Some("application/json"), None, &serde_json::to_vec(&request).unwrap());
    }
}
