//! The replay intake's body (`docs/intake.md`, "Session replay intake"):
//! one segment of rrweb events with the session it belongs to. The intake
//! checks it here; the events themselves stay opaque JSON until the writer
//! scrubs them.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::decode::{decompress, from_slice, media_type};
use crate::{Format, IntakeError};

/// rrweb's event type of a full DOM snapshot, where playback can start.
pub const FULL_SNAPSHOT: i64 = 2;
/// Events in one segment at most: counted while parsing, so a body of
/// millions of tiny events is refused before they are collected.
pub const MAX_SEGMENT_EVENTS: usize = 50_000;
const MAX_ID: usize = 128;
const MAX_INDEX: u32 = 1_000_000;

/// Size limits of one replay upload.
#[derive(Debug, Clone)]
pub struct ReplayLimits {
    /// Body as sent (possibly compressed).
    pub max_body: usize,
    /// Body after decompression.
    pub max_decompressed: usize,
}

impl Default for ReplayLimits {
    fn default() -> Self {
        ReplayLimits {
            max_body: 1 << 20,
            max_decompressed: 16 << 20,
        }
    }
}

/// What a segment says about itself, recomputed from its events.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentHead {
    pub session_id: String,
    pub view_id: Option<String>,
    pub index: u32,
    pub sent_at: Option<f64>,
    /// First and last event timestamp (client clock).
    pub start: i64,
    pub end: i64,
    pub count: u32,
    pub full_snapshot: bool,
}

/// A replay upload that passed every check.
#[derive(Debug)]
pub struct DecodedSegment {
    /// The decompressed body, which is what is spooled.
    pub body: Vec<u8>,
    pub head: SegmentHead,
}

/// Checks, decompresses and validates one replay upload.
pub fn decode_replay(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    body: &[u8],
    limits: &ReplayLimits,
) -> Result<DecodedSegment, IntakeError> {
    if body.len() > limits.max_body {
        return Err(IntakeError::TooLarge(format!(
            "body is {} bytes; the limit is {}",
            body.len(),
            limits.max_body
        )));
    }
    if let Some(Format::Ndjson) = media_type(content_type)? {
        return Err(IntakeError::UnsupportedMediaType(
            content_type.unwrap_or_default().to_string(),
            crate::decode::EVENT_TYPES,
        ));
    }
    // `sendBeacon` cannot set Content-Encoding, so a gzip body announces
    // itself by its magic bytes (no JSON text starts with 0x1f).
    let declared = content_encoding
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("identity"));
    let encoding = declared.or(body.starts_with(&[0x1f, 0x8b]).then_some("gzip"));
    let body = decompress(encoding, body, limits.max_decompressed)?;
    let head = parse_replay(&body)?;
    Ok(DecodedSegment { body, head })
}

/// Parses and validates a decompressed segment body; the writer calls it
/// again on spooled bodies.
pub fn parse_replay(body: &[u8]) -> Result<SegmentHead, IntakeError> {
    let w: WireSegment = from_slice(body, String::new).map_err(|e| match e {
        IntakeError::InvalidEvent(m) if m.contains(&TooMany.to_string()) => {
            IntakeError::TooLarge(m)
        }
        e => e,
    })?;
    let invalid = |m: String| Err(IntakeError::InvalidEvent(m));
    if w.v != 1 {
        return invalid(format!("v: version {} is not supported; send 1", w.v));
    }
    if w.session_id.is_empty() || w.session_id.len() > MAX_ID {
        return invalid(format!("session_id: must be 1 to {MAX_ID} characters"));
    }
    if w.view_id.as_ref().is_some_and(|v| v.len() > MAX_ID) {
        return invalid(format!("view_id: must be at most {MAX_ID} characters"));
    }
    if w.index > MAX_INDEX {
        return invalid(format!("index: must be at most {MAX_INDEX}"));
    }
    let s = w.events;
    if s.count == 0 {
        return invalid("events: must hold at least one event".into());
    }
    Ok(SegmentHead {
        session_id: w.session_id,
        view_id: w.view_id,
        index: w.index,
        sent_at: w.sent_at,
        start: s.start,
        end: s.end,
        count: s.count,
        full_snapshot: s.full_snapshot,
    })
}

#[derive(Deserialize)]
struct WireSegment {
    v: u32,
    session_id: String,
    #[serde(default)]
    view_id: Option<String>,
    index: u32,
    #[serde(default)]
    sent_at: Option<f64>,
    events: EventStats,
}

/// The `events` array, summarised while it is parsed instead of collected.
struct EventStats {
    count: u32,
    start: i64,
    end: i64,
    full_snapshot: bool,
}

impl<'de> Deserialize<'de> for EventStats {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(StatsVisitor)
    }
}

struct StatsVisitor;

impl<'de> Visitor<'de> for StatsVisitor {
    type Value = EventStats;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of rrweb events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EventStats, A::Error> {
        let mut s = EventStats {
            count: 0,
            start: i64::MAX,
            end: i64::MIN,
            full_snapshot: false,
        };
        while let Some(head) = seq.next_element::<EventHead>()? {
            if s.count as usize == MAX_SEGMENT_EVENTS {
                return Err(de::Error::custom(TooMany));
            }
            s.count += 1;
            s.start = s.start.min(head.timestamp);
            s.end = s.end.max(head.timestamp);
            s.full_snapshot |= head.kind == FULL_SNAPSHOT;
        }
        Ok(s)
    }
}

/// The marker of an over-long `events` array inside a serde error, turned
/// into a 413 by [`from_slice`]'s caller.
struct TooMany;

impl fmt::Display for TooMany {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "more than {MAX_SEGMENT_EVENTS} events in one segment")
    }
}

/// An rrweb event's `type` and `timestamp`; the rest is skipped.
struct EventHead {
    kind: i64,
    timestamp: i64,
}

impl<'de> Deserialize<'de> for EventHead {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(HeadVisitor)
    }
}

struct HeadVisitor;

impl<'de> Visitor<'de> for HeadVisitor {
    type Value = EventHead;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an rrweb event: an object with integer `type` and `timestamp`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventHead, A::Error> {
        let (mut kind, mut timestamp) = (None, None);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "type" => kind = Some(map.next_value::<i64>()?),
                "timestamp" => timestamp = Some(integer_ms(map.next_value::<f64>()?)?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(EventHead {
            kind: kind.ok_or_else(|| de::Error::missing_field("type"))?,
            timestamp: timestamp.ok_or_else(|| de::Error::missing_field("timestamp"))?,
        })
    }
}

/// rrweb timestamps are `Date.now()` values, integers in practice; a
/// fraction is accepted and truncated, anything not a plausible epoch-ms is
/// refused.
fn integer_ms<E: de::Error>(v: f64) -> Result<i64, E> {
    if v.is_finite() && (0.0..1e15).contains(&v) {
        Ok(v as i64)
    } else {
        Err(E::custom(format!(
            "timestamp {v} is not ms since the epoch"
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn body(events: &str) -> Vec<u8> {
        format!(r#"{{"v":1,"session_id":"s1","view_id":"v1","index":3,"sent_at":5,"events":[{events}]}}"#)
            .into_bytes()
    }

    const EVENTS: &str = r#"{"type":4,"timestamp":1000,"data":{"href":"https://a.example/"}},{"type":2,"timestamp":1001,"data":{"node":{}}},{"type":3,"timestamp":4000,"data":{"source":2}}"#;

    #[test]
    fn a_segment_is_summarised_from_its_events() {
        let d = decode_replay(
            Some("text/plain"),
            None,
            &body(EVENTS),
            &ReplayLimits::default(),
        )
        .unwrap();
        assert_eq!(
            d.head,
            SegmentHead {
                session_id: "s1".into(),
                view_id: Some("v1".into()),
                index: 3,
                sent_at: Some(5.0),
                start: 1000,
                end: 4000,
                count: 3,
                full_snapshot: true,
            }
        );
    }

    #[test]
    fn a_gzip_body_without_content_encoding_is_read_as_gzip() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&body(EVENTS)).unwrap();
        let gz = enc.finish().unwrap();
        let d = decode_replay(Some("text/plain"), None, &gz, &ReplayLimits::default()).unwrap();
        assert_eq!(d.body, body(EVENTS));
        assert_eq!(d.head.count, 3);
    }

    #[test]
    fn bad_segments_get_the_status_that_names_the_problem() {
        let limits = ReplayLimits::default();
        let status = |ct: Option<&str>, b: &[u8]| {
            decode_replay(ct, None, b, &limits)
                .map(|_| ())
                .unwrap_err()
                .status()
                .as_u16()
        };
        assert_eq!(status(None, b"{not json"), 400);
        assert_eq!(status(None, &body("")), 400, "no events");
        assert_eq!(status(None, &body(r#"{"type":2}"#)), 400, "no timestamp");
        assert_eq!(status(None, &body(r#"{"type":"x","timestamp":1}"#)), 400);
        assert_eq!(
            status(
                None,
                br#"{"v":2,"session_id":"s","index":0,"events":[{"type":1,"timestamp":1}]}"#
            ),
            400
        );
        assert_eq!(
            status(
                None,
                br#"{"v":1,"session_id":"","index":0,"events":[{"type":1,"timestamp":1}]}"#
            ),
            400
        );
        assert_eq!(status(Some("application/xml"), &body(EVENTS)), 415);
        assert_eq!(status(Some("application/x-ndjson"), &body(EVENTS)), 415);
        let many = vec![r#"{"type":3,"timestamp":1}"#; MAX_SEGMENT_EVENTS + 1].join(",");
        assert_eq!(status(None, &body(&many)), 413);
        let big = ReplayLimits {
            max_body: 10,
            ..limits.clone()
        };
        assert_eq!(
            decode_replay(None, None, &body(EVENTS), &big)
                .unwrap_err()
                .status()
                .as_u16(),
            413
        );
    }

    #[test]
    fn the_invalid_field_is_named() {
        let e = parse_replay(&body(r#"{"type":2,"timestamp":"soon"}"#)).unwrap_err();
        assert!(e.to_string().contains("events"), "{e}");
    }
}
