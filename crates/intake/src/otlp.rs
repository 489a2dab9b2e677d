//! OTLP/HTTP trace bodies (`POST /v1/traces`): the OpenTelemetry protobuf
//! definitions (`opentelemetry-proto`, prost), in binary protobuf or the
//! OTLP JSON mapping (hex ids, camelCase), gzip or not.
//!
//! The intake decodes a body to check it and count the spans it refuses,
//! then spools it as protobuf (a JSON body re-encoded): the writer decodes
//! that again with [`spans`], the one conversion to [`Span`] rows, so both
//! agree on which spans are kept.

use std::marker::PhantomData;

use fovea_schema::{hex, truncate as cap, Span};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::{
    span::SpanKind, status::StatusCode, Span as ProtoSpan,
};
use prost::Message;
use serde::de::{IgnoredAny, SeqAccess};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::decode::decompress;
use crate::IntakeError;

/// Size limits of one OTLP request.
#[derive(Debug, Clone)]
pub struct OtlpLimits {
    /// Body as sent (possibly compressed).
    pub max_body: usize,
    /// Body after decompression.
    pub max_decompressed: usize,
    /// Spans in one request.
    pub max_spans: usize,
    /// Bytes of resource attributes copied into the spans of one request:
    /// each span row carries its resource, so a large resource shared by
    /// many spans grows many times in the writer.
    pub max_resource_copies: usize,
}

impl Default for OtlpLimits {
    fn default() -> Self {
        OtlpLimits {
            max_body: 4 << 20,
            // Exporters send batches of a few hundred spans (well under
            // 1 MiB); decoded messages take up to ~50× their wire size (an
            // empty link is 2 bytes on the wire), so the cap bounds memory.
            max_decompressed: 4 << 20,
            max_spans: 10_000,
            max_resource_copies: 16 << 20,
        }
    }
}

/// How far before the request a span may start: an exporter retries for
/// minutes, a buffering collector for hours; older spans would open old
/// day partitions (ClickHouse refuses an insert into over 100 at once).
const MAX_AGE_NS: i64 = 7 * 86_400 * 1_000_000_000;
/// How far after the request a span may start (a backend's clock ahead).
const MAX_AHEAD_NS: i64 = 86_400 * 1_000_000_000;

/// How a client speaks OTLP: it gets its answer the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// From a request's `Content-Type`; OTLP/HTTP has no other.
    pub fn of(content_type: Option<&str>) -> Result<Encoding, IntakeError> {
        let ct = content_type.unwrap_or("");
        let mime = ct.split(';').next().unwrap_or("").trim();
        if mime.eq_ignore_ascii_case("application/x-protobuf")
            || mime.eq_ignore_ascii_case("application/protobuf")
        {
            Ok(Encoding::Protobuf)
        } else if mime.eq_ignore_ascii_case("application/json") {
            Ok(Encoding::Json)
        } else {
            Err(IntakeError::UnsupportedMediaType(
                ct.to_string(),
                "application/x-protobuf or application/json",
            ))
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// An OTLP request that decoded: what to spool and what to answer.
#[derive(Debug)]
pub struct DecodedTraces {
    /// The request as protobuf.
    pub body: Vec<u8>,
    /// Spans that will be stored.
    pub accepted: usize,
    /// Spans refused (invalid ids or times), with the first reason.
    pub rejected: usize,
    pub error: Option<String>,
}

/// Checks, decompresses and decodes one OTLP trace request received at
/// `now` (ms).
pub fn decode_traces(
    encoding: Encoding,
    content_encoding: Option<&str>,
    body: &[u8],
    limits: &OtlpLimits,
    now: i64,
) -> Result<DecodedTraces, IntakeError> {
    if body.len() > limits.max_body {
        return Err(IntakeError::TooLarge(format!(
            "body is {} bytes; the limit is {}",
            body.len(),
            limits.max_body
        )));
    }
    let body = decompress(content_encoding, body, limits.max_decompressed)?;
    let tally = match encoding {
        Encoding::Protobuf => tally_protobuf(&body)
            .map_err(|e| IntakeError::BadJson(format!("undecodable OTLP protobuf: {e}")))?,
        Encoding::Json => {
            serde_json::from_slice::<JsonRequest>(&body)
                .map_err(|e| IntakeError::BadJson(format!("undecodable OTLP JSON: {e}")))?
                .resource_spans
                .0
        }
    };
    if tally.spans > limits.max_spans {
        return Err(IntakeError::TooLarge(format!(
            "{} spans in one request; the limit is {}",
            tally.spans, limits.max_spans
        )));
    }
    if tally.containers > limits.max_spans {
        return Err(IntakeError::TooLarge(format!(
            "{} resource and scope spans in one request; the limit is {}",
            tally.containers, limits.max_spans
        )));
    }
    let (request, body) = match encoding {
        Encoding::Protobuf => (
            ExportTraceServiceRequest::decode(body.as_slice())
                .map_err(|e| IntakeError::BadJson(format!("undecodable OTLP protobuf: {e}")))?,
            body,
        ),
        Encoding::Json => {
            let request: ExportTraceServiceRequest = serde_json::from_slice(&body)
                .map_err(|e| IntakeError::BadJson(format!("undecodable OTLP JSON: {e}")))?;
            let body = request.encode_to_vec();
            (request, body)
        }
    };
    let copies: usize = request
        .resource_spans
        .iter()
        .map(|r| {
            let size = r.resource.as_ref().map_or(0, Message::encoded_len);
            let spans: usize = r.scope_spans.iter().map(|s| s.spans.len()).sum();
            size.min(RESOURCE_CAP) * spans
        })
        .sum();
    if copies > limits.max_resource_copies {
        return Err(IntakeError::TooLarge(format!(
            "resource attributes times spans is {copies} bytes; the limit is {}: send fewer spans per request or a smaller resource",
            limits.max_resource_copies
        )));
    }
    // Only the checks here: the conversion (hex ids, attributes as JSON)
    // is the writer's work.
    let mut out = DecodedTraces {
        body,
        accepted: 0,
        rejected: 0,
        error: None,
    };
    for span in request
        .resource_spans
        .iter()
        .flat_map(|r| &r.scope_spans)
        .flat_map(|s| &s.spans)
    {
        match check(span, now) {
            Ok(_) => out.accepted += 1,
            Err(why) => {
                out.rejected += 1;
                out.error.get_or_insert(why);
            }
        }
    }
    Ok(out)
}

/// The spans, scope spans and resource spans (containers) of a request,
/// counted before it is decoded: decoding gives each a few hundred bytes
/// even when it is empty (2 bytes of protobuf, 3 of JSON), so a 16 MiB body
/// of empty spans would hold gigabytes before its count could refuse it.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    containers: usize,
    spans: usize,
}

/// Counts on the wire, decoding nothing: fields 1 (resource spans) of the
/// request, 2 (scope spans) of each, 2 (spans) of each of those. Any error
/// here is one `ExportTraceServiceRequest::decode` would also meet.
fn tally_protobuf(body: &[u8]) -> Result<Tally, prost::DecodeError> {
    let mut tally = Tally::default();
    for_each_field(body, 1, |resource_spans| {
        tally.containers += 1;
        for_each_field(resource_spans, 2, |scope_spans| {
            tally.containers += 1;
            for_each_field(scope_spans, 2, |_| {
                tally.spans += 1;
                Ok(())
            })
        })
    })?;
    Ok(tally)
}

/// Calls `f` with the bytes of each occurrence of the length-delimited field
/// `tag` of a protobuf message, skipping the other fields.
fn for_each_field(
    mut buf: &[u8],
    tag: u32,
    mut f: impl FnMut(&[u8]) -> Result<(), prost::DecodeError>,
) -> Result<(), prost::DecodeError> {
    use prost::encoding::{check_wire_type, decode_key, decode_varint, skip_field};
    use prost::encoding::{DecodeContext, WireType};
    while !buf.is_empty() {
        let (field, wire_type) = decode_key(&mut buf)?;
        if field == tag {
            check_wire_type(WireType::LengthDelimited, wire_type)?;
        }
        let value = buf;
        skip_field(wire_type, field, &mut buf, DecodeContext::default())?;
        if field == tag {
            let mut inner = &value[..value.len() - buf.len()];
            decode_varint(&mut inner)?; // the length, which `skip_field` checked
            f(inner)?;
        }
    }
    Ok(())
}

/// The span levels of an OTLP/JSON request, the rest skipped: the field
/// names, order and defaults of `opentelemetry-proto`'s serde types, so
/// that this reads whatever they read, in objects or in arrays.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct JsonRequest {
    resource_spans: JsonArray<JsonResourceSpans>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct JsonResourceSpans {
    resource: IgnoredAny,
    scope_spans: JsonArray<JsonScopeSpans>,
    schema_url: IgnoredAny,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct JsonScopeSpans {
    scope: IgnoredAny,
    spans: JsonArray<IgnoredAny>,
    schema_url: IgnoredAny,
}

/// A JSON array counted, not collected.
#[derive(Default)]
struct JsonArray<T>(Tally, PhantomData<T>);

trait Counted {
    fn add_to(self, tally: &mut Tally);
}

impl Counted for IgnoredAny {
    fn add_to(self, tally: &mut Tally) {
        tally.spans += 1;
    }
}

impl Counted for JsonScopeSpans {
    fn add_to(self, tally: &mut Tally) {
        tally.containers += 1 + self.spans.0.containers;
        tally.spans += self.spans.0.spans;
    }
}

impl Counted for JsonResourceSpans {
    fn add_to(self, tally: &mut Tally) {
        tally.containers += 1 + self.scope_spans.0.containers;
        tally.spans += self.scope_spans.0.spans;
    }
}

impl<'de, T: Deserialize<'de> + Counted> Deserialize<'de> for JsonArray<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Counted> serde::de::Visitor<'de> for Visitor<T> {
            type Value = JsonArray<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonArray<T>, A::Error> {
                let mut tally = Tally::default();
                while let Some(element) = seq.next_element::<T>()? {
                    element.add_to(&mut tally);
                }
                Ok(JsonArray(tally, PhantomData))
            }
        }
        d.deserialize_seq(Visitor(PhantomData))
    }
}

/// The spans of a spooled (protobuf) request of `app_id` received at
/// `received_at` (ms): the same spans the intake accepted then.
pub fn spans(app_id: &str, body: &[u8], received_at: i64) -> Result<Vec<Span>, IntakeError> {
    let request = ExportTraceServiceRequest::decode(body)
        .map_err(|e| IntakeError::BadJson(format!("undecodable OTLP protobuf: {e}")))?;
    Ok(convert(app_id, request, received_at))
}

/// The success answer: empty, or the partial success when spans were refused.
pub fn response(encoding: Encoding, rejected: usize, error: Option<String>) -> Vec<u8> {
    let answer = ExportTraceServiceResponse {
        partial_success: (rejected > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: rejected as i64,
            error_message: error.unwrap_or_default(),
        }),
    };
    match encoding {
        Encoding::Protobuf => answer.encode_to_vec(),
        // `{}`, not `{"partialSuccess":null}`: a JSON client may take a
        // present field for a partial success.
        Encoding::Json if answer.partial_success.is_none() => b"{}".to_vec(),
        Encoding::Json => serde_json::to_vec(&answer).expect("a response serialises"),
    }
}

/// `google.rpc.Status`, the body of an OTLP error answer.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

/// An error answer's body (`google.rpc.Status`); JSON clients also get
/// Fovea's error code, like every other endpoint's.
pub fn error_body(encoding: Encoding, e: &IntakeError) -> Vec<u8> {
    // gRPC codes: INVALID_ARGUMENT, UNAUTHENTICATED, RESOURCE_EXHAUSTED,
    // UNAVAILABLE, PERMISSION_DENIED.
    let code = match e.status().as_u16() {
        401 => 16,
        403 => 7,
        429 => 8,
        503 => 14,
        _ => 3,
    };
    let message = e.to_string();
    match encoding {
        Encoding::Protobuf => RpcStatus { code, message }.encode_to_vec(),
        Encoding::Json => serde_json::to_vec(&serde_json::json!({
            "code": code,
            "message": message,
            "error": e.code(),
        }))
        .expect("an error serialises"),
    }
}

const NAME_CAP: usize = 512;
const MESSAGE_CAP: usize = 2048;
const VALUE_CAP: usize = 4096;
const ATTRIBUTES_CAP: usize = 16 << 10;
/// Every span row carries its resource: kept smaller than its attributes.
const RESOURCE_CAP: usize = 4 << 10;
const MAX_ATTRIBUTES: usize = 128;

/// The spans that pass [`check`]; the intake counted the others.
fn convert(app_id: &str, request: ExportTraceServiceRequest, received_at: i64) -> Vec<Span> {
    let mut out = Vec::new();
    for rs in request.resource_spans {
        let attrs = rs.resource.map(|r| r.attributes).unwrap_or_default();
        let text_attr = |key: &str| {
            attrs.iter().find(|kv| kv.key == key).and_then(|kv| {
                match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                    Some(any_value::Value::StringValue(s)) if !s.is_empty() => {
                        Some(cap(s.clone(), NAME_CAP))
                    }
                    _ => None,
                }
            })
        };
        let service = text_attr("service.name").unwrap_or_else(|| "unknown_service".into());
        let env = text_attr("deployment.environment.name")
            .or_else(|| text_attr("deployment.environment"));
        let resource = attributes_json(&attrs, RESOURCE_CAP);
        for span in rs.scope_spans.into_iter().flat_map(|s| s.spans) {
            if let Ok(s) = span_of(app_id, span, &service, &env, &resource, received_at) {
                out.push(s);
            }
        }
    }
    out
}

/// Whether a span of a request received at `now` (ms) can be stored: W3C
/// ids, a start not after its end and within [`MAX_AGE_NS`] before and
/// [`MAX_AHEAD_NS`] after the request. Returns its start and duration (ns).
fn check(s: &ProtoSpan, now: i64) -> Result<(i64, i64), String> {
    let id = |bytes: &[u8], len: usize| bytes.len() == len && bytes.iter().any(|&b| b != 0);
    if !id(&s.trace_id, 16) {
        return Err(format!(
            "span {:?}: trace_id must be 16 bytes, not all zero",
            s.name
        ));
    }
    if !id(&s.span_id, 8) {
        return Err(format!(
            "span {:?}: span_id must be 8 bytes, not all zero",
            s.name
        ));
    }
    if !(s.parent_span_id.is_empty() || id(&s.parent_span_id, 8)) {
        return Err(format!("span {:?}: parent_span_id must be 8 bytes", s.name));
    }
    let start = i64::try_from(s.start_time_unix_nano)
        .ok()
        .filter(|&t| t > 0);
    let end = i64::try_from(s.end_time_unix_nano).ok();
    let (start, duration) = match (start, end) {
        (Some(start), Some(end)) if end >= start => (start, end - start),
        _ => {
            return Err(format!(
                "span {:?}: start_time_unix_nano must be set and not after end_time_unix_nano",
                s.name
            ))
        }
    };
    let now_ns = now.saturating_mul(1_000_000);
    if start < now_ns - MAX_AGE_NS || start > now_ns + MAX_AHEAD_NS {
        return Err(format!(
            "span {:?}: starts more than 7 days before or 1 day after it was received",
            s.name
        ));
    }
    Ok((start, duration))
}

fn span_of(
    app_id: &str,
    s: ProtoSpan,
    service: &str,
    env: &Option<String>,
    resource: &str,
    received_at: i64,
) -> Result<Span, String> {
    let (start_ns, duration_ns) = check(&s, received_at)?;
    let trace_id = hex(&s.trace_id);
    let span_id = hex(&s.span_id);
    let parent_span_id = Some(hex(&s.parent_span_id)).filter(|p| !p.is_empty());
    let kind = match SpanKind::try_from(s.kind).unwrap_or(SpanKind::Unspecified) {
        SpanKind::Unspecified => "unspecified",
        SpanKind::Internal => "internal",
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
    };
    let (status, mut status_message) = match s.status {
        Some(st) => (
            match StatusCode::try_from(st.code).unwrap_or(StatusCode::Unset) {
                StatusCode::Unset => "unset",
                StatusCode::Ok => "ok",
                StatusCode::Error => "error",
            },
            Some(st.message).filter(|m| !m.is_empty()),
        ),
        None => ("unset", None),
    };
    // Instrumentations often record the reason of an error span only as an
    // `exception` event (the HTTP ones overwrite the status message).
    if status == "error" && status_message.is_none() {
        status_message = s
            .events
            .iter()
            .filter(|e| e.name == "exception")
            .flat_map(|e| &e.attributes)
            .find(|kv| kv.key == "exception.message")
            .and_then(
                |kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                    Some(any_value::Value::StringValue(m)) => Some(m.clone()),
                    _ => None,
                },
            );
    }
    Ok(Span {
        app_id: app_id.to_string(),
        trace_id,
        span_id,
        parent_span_id,
        name: cap(s.name, NAME_CAP),
        service: service.to_string(),
        env: env.clone(),
        kind: kind.into(),
        start_ns,
        duration_ns,
        status: status.into(),
        status_message: status_message.map(|m| cap(m, MESSAGE_CAP)),
        attributes: attributes_json(&s.attributes, ATTRIBUTES_CAP),
        resource: resource.to_string(),
    })
}

/// Attributes as one JSON object, capped: at most [`MAX_ATTRIBUTES`] keys,
/// long strings cut, and attributes past `cap` bytes dropped (counted in
/// `fovea.dropped_attributes`).
fn attributes_json(attrs: &[KeyValue], cap_bytes: usize) -> String {
    let mut map = Map::new();
    let mut size = 2;
    let mut dropped = 0u64;
    for kv in attrs {
        let value = kv.value.as_ref().map_or(Value::Null, json_of);
        let len = kv.key.len() + value.to_string().len() + 4;
        if map.len() >= MAX_ATTRIBUTES || size + len > cap_bytes || kv.key.len() > NAME_CAP {
            dropped += 1;
            continue;
        }
        size += len;
        map.insert(kv.key.clone(), value);
    }
    if dropped > 0 {
        map.insert("fovea.dropped_attributes".into(), dropped.into());
    }
    Value::Object(map).to_string()
}

fn json_of(v: &AnyValue) -> Value {
    match &v.value {
        None => Value::Null,
        Some(any_value::Value::StringValue(s)) => Value::String(cap(s.clone(), VALUE_CAP)),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => {
            serde_json::Number::from_f64(*d).map_or(Value::Null, Value::Number)
        }
        Some(any_value::Value::ArrayValue(a)) => {
            Value::Array(a.values.iter().take(MAX_ATTRIBUTES).map(json_of).collect())
        }
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(
            kv.values
                .iter()
                .take(MAX_ATTRIBUTES)
                .map(|kv| {
                    (
                        kv.key.clone(),
                        kv.value.as_ref().map_or(Value::Null, json_of),
                    )
                })
                .collect(),
        ),
        Some(any_value::Value::BytesValue(b)) => Value::String(cap(hex(b), VALUE_CAP)),
        #[allow(unreachable_patterns)]
        Some(_) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/otlp");
    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    /// When the fixture's spans were exported (ms).
    const EXPORTED: i64 = 1_767_268_801_000;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
    }

    /// What the real OpenTelemetry JS SDK exported (tests/fixtures/otlp/README.md).
    fn check_fixture_spans(spans: &[Span]) {
        assert_eq!(spans.len(), 3);
        assert!(spans
            .iter()
            .all(|s| s.trace_id == TRACE && s.app_id == "app"));
        let by_name = |n: &str| spans.iter().find(|s| s.name == n).unwrap();
        let server = by_name("GET /api/checkout");
        assert_eq!(server.span_id, "5fb397be34d26b51");
        assert_eq!(server.parent_span_id.as_deref(), Some("00f067aa0ba902b7"));
        assert_eq!(server.kind, "server");
        assert_eq!(server.service, "fixture-api");
        assert_eq!(server.env.as_deref(), Some("test"));
        assert!(server.duration_ns > 0);
        let attrs: Value = serde_json::from_str(&server.attributes).unwrap();
        assert!(attrs.as_object().unwrap().values().any(Value::is_i64));
        assert!(attrs.as_object().unwrap().values().any(Value::is_boolean));
        let resource: Value = serde_json::from_str(&server.resource).unwrap();
        assert_eq!(resource["service.version"], "1.2.3");
        let db = by_name("db.query");
        assert_eq!(db.parent_span_id.as_deref(), Some("5fb397be34d26b51"));
        assert_eq!((db.kind.as_str(), db.status.as_str()), ("client", "error"));
        assert_eq!(db.status_message.as_deref(), Some("deadlock"));
        assert_eq!(by_name("inventory.reserve").kind, "internal");
    }

    fn decode_and_store(encoding: Encoding, gzip: Option<&str>, body: &[u8]) -> Vec<Span> {
        let d = decode_traces(encoding, gzip, body, &OtlpLimits::default(), EXPORTED).unwrap();
        assert_eq!((d.accepted, d.rejected), (3, 0));
        spans("app", &d.body, EXPORTED).unwrap()
    }

    #[test]
    fn the_js_sdks_protobuf_export_decodes() {
        check_fixture_spans(&decode_and_store(
            Encoding::Protobuf,
            None,
            &fixture("traces.pb"),
        ));
    }

    #[test]
    fn the_js_sdks_gzipped_protobuf_export_decodes() {
        check_fixture_spans(&decode_and_store(
            Encoding::Protobuf,
            Some("gzip"),
            &fixture("traces.pb.gz"),
        ));
    }

    #[test]
    fn the_js_sdks_json_export_decodes_to_the_same_spans() {
        let json = decode_and_store(Encoding::Json, None, &fixture("traces.json"));
        check_fixture_spans(&json);
        let pb = decode_and_store(Encoding::Protobuf, None, &fixture("traces.pb"));
        assert_eq!(json, pb);
    }

    #[test]
    fn undecodable_bodies_are_400() {
        for (enc, body) in [
            (Encoding::Protobuf, &b"\xff\xff\xff\xff"[..]),
            (Encoding::Json, &b"{\"resourceSpans\": 7}"[..]),
            (Encoding::Json, &b"not json"[..]),
        ] {
            let e = decode_traces(enc, None, body, &OtlpLimits::default(), EXPORTED).unwrap_err();
            assert_eq!(e.status().as_u16(), 400, "{enc:?} {e}");
        }
        let e = decode_traces(
            Encoding::Protobuf,
            Some("gzip"),
            b"nope",
            &OtlpLimits::default(),
            EXPORTED,
        )
        .unwrap_err();
        assert_eq!(e.status().as_u16(), 400);
    }

    #[test]
    fn other_content_types_are_415() {
        assert_eq!(
            Encoding::of(Some("text/plain"))
                .unwrap_err()
                .status()
                .as_u16(),
            415
        );
        assert_eq!(
            Encoding::of(Some("application/x-protobuf")).unwrap(),
            Encoding::Protobuf
        );
        assert_eq!(
            Encoding::of(Some("application/json; charset=utf-8")).unwrap(),
            Encoding::Json
        );
    }

    #[test]
    fn limits_are_413() {
        let limits = OtlpLimits {
            max_spans: 2,
            ..OtlpLimits::default()
        };
        let over = |limits: &OtlpLimits| {
            decode_traces(
                Encoding::Protobuf,
                None,
                &fixture("traces.pb"),
                limits,
                EXPORTED,
            )
            .unwrap_err()
            .status()
            .as_u16()
        };
        assert_eq!(over(&limits), 413);
        let limits = OtlpLimits {
            max_body: 10,
            ..OtlpLimits::default()
        };
        assert_eq!(over(&limits), 413);
        // Each span carries its resource: 3 spans × the resource's bytes.
        let limits = OtlpLimits {
            max_resource_copies: 300,
            ..OtlpLimits::default()
        };
        assert_eq!(over(&limits), 413);
    }

    #[test]
    fn invalid_spans_are_refused_and_counted_not_the_request() {
        let json = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[
              {{"traceId":"{TRACE}","spanId":"00f067aa0ba902b7","name":"ok","kind":2,
                "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000500000000"}},
              {{"traceId":"00000000000000000000000000000000","spanId":"00f067aa0ba902b7","name":"zero",
                "startTimeUnixNano":"1","endTimeUnixNano":"2"}},
              {{"traceId":"{TRACE}","spanId":"00f067aa0ba902b8","name":"backwards",
                "startTimeUnixNano":"1700000000000000005","endTimeUnixNano":"1700000000000000002"}}]}}]}}]}}"#
        );
        let now = 1_700_000_000_000;
        let d = decode_traces(
            Encoding::Json,
            None,
            json.as_bytes(),
            &OtlpLimits::default(),
            now,
        )
        .unwrap();
        assert_eq!((d.accepted, d.rejected), (1, 2));
        assert!(d.error.as_deref().unwrap().contains("trace_id"));
        let kept = spans("a", &d.body, now).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].service, "unknown_service");
        assert_eq!(kept[0].duration_ns, 500_000_000);
        let answer: Value = serde_json::from_slice(&response(Encoding::Json, 2, d.error)).unwrap();
        assert_eq!(answer["partialSuccess"]["rejectedSpans"], 2);
        let ok =
            ExportTraceServiceResponse::decode(response(Encoding::Protobuf, 0, None).as_slice())
                .unwrap();
        assert_eq!(ok.partial_success, None);
    }

    #[test]
    fn spans_far_from_their_request_in_time_are_refused() {
        let at = |received: i64| {
            decode_traces(
                Encoding::Protobuf,
                None,
                &fixture("traces.pb"),
                &OtlpLimits::default(),
                received,
            )
            .unwrap()
        };
        // A week and a bit later (an old export replayed), and two days
        // before (a backend clock far ahead).
        let late = at(EXPORTED + 8 * 86_400_000);
        assert_eq!((late.accepted, late.rejected), (0, 3));
        assert!(late.error.unwrap().contains("7 days"));
        assert_eq!(at(EXPORTED - 2 * 86_400_000).rejected, 3);
        assert_eq!(at(EXPORTED + 6 * 86_400_000).accepted, 3);
        // The writer keeps what the intake accepted, however late it runs.
        let d = at(EXPORTED);
        assert_eq!(spans("a", &d.body, EXPORTED).unwrap().len(), 3);
    }

    #[test]
    fn attributes_are_capped() {
        let many: Vec<KeyValue> = (0..500)
            .map(|i| KeyValue {
                key: format!("k{i}"),
                value: Some(AnyValue {
                    value: Some(any_value::Value::StringValue("x".repeat(200))),
                }),
                ..KeyValue::default()
            })
            .collect();
        let json = attributes_json(&many, ATTRIBUTES_CAP);
        assert!(json.len() <= ATTRIBUTES_CAP + 64, "{}", json.len());
        let v: Value = serde_json::from_str(&json).unwrap();
        assert!(v["fovea.dropped_attributes"].as_u64().unwrap() > 0);
    }

    #[test]
    fn error_bodies_follow_the_request_encoding() {
        let e = IntakeError::RateLimited {
            retry_after_secs: 1,
        };
        let pb = RpcStatus::decode(error_body(Encoding::Protobuf, &e).as_slice()).unwrap();
        assert_eq!(pb.code, 8);
        let json: Value = serde_json::from_slice(&error_body(Encoding::Json, &e)).unwrap();
        assert_eq!(json["error"], "rate_limited");
    }
}
