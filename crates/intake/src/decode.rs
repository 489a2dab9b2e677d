use std::io::Read;

use fovea_schema::wire::{WireBatch, WireEvent, WireHeader};

use crate::{Format, IntakeError};

/// Size limits of one intake request (`docs/intake.md`).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Body as sent (possibly compressed).
    pub max_body: usize,
    /// Body after decompression.
    pub max_decompressed: usize,
    /// One event's JSON.
    pub max_event: usize,
    /// Events in one body, at most `fovea_schema::wire::EVENTS_CEILING`.
    pub max_events: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1 << 20,
            max_decompressed: 10 << 20,
            max_event: 256 << 10,
            max_events: 1000,
        }
    }
}

/// A request body that passed every check.
#[derive(Debug)]
pub struct Decoded {
    pub format: Format,
    /// The decompressed body: this, not the parsed form, is what is spooled
    /// (the writer parses it again, [`parse`]).
    pub body: Vec<u8>,
    /// Its events, all valid.
    pub events: usize,
}

/// Checks, decompresses, parses and validates one intake request body.
pub fn decode(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    body: &[u8],
    limits: &Limits,
) -> Result<Decoded, IntakeError> {
    if body.len() > limits.max_body {
        return Err(IntakeError::TooLarge(format!(
            "body is {} bytes; the limit is {}",
            body.len(),
            limits.max_body
        )));
    }
    let declared = media_type(content_type)?;
    let body = decompress(content_encoding, body, limits.max_decompressed)?;
    let format = match declared {
        Some(f) => f,
        None => sniff(&body)?,
    };
    let events = parse(format, &body, limits)?.1.len();
    Ok(Decoded {
        format,
        body,
        events,
    })
}

/// `None` means "sniff it": text/plain, which `sendBeacon` sends without a
/// CORS preflight, or no content type at all.
/// What the event and replay intakes accept.
pub(crate) const EVENT_TYPES: &str = "application/json, application/x-ndjson or text/plain";

pub(crate) fn media_type(content_type: Option<&str>) -> Result<Option<Format>, IntakeError> {
    let Some(ct) = content_type else {
        return Ok(None);
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(Some(Format::Json)),
        "application/x-ndjson" | "application/ndjson" => Ok(Some(Format::Ndjson)),
        "text/plain" | "" => Ok(None),
        _ => Err(IntakeError::UnsupportedMediaType(
            ct.to_string(),
            EVENT_TYPES,
        )),
    }
}

/// Inflates `body` per `Content-Encoding`, never past `cap` bytes: a gzip
/// bomb stops costing anything at the cap.
pub fn decompress(encoding: Option<&str>, body: &[u8], cap: usize) -> Result<Vec<u8>, IntakeError> {
    let encoding = encoding.map(|e| e.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("") | Some("identity") => {
            if body.len() > cap {
                return Err(too_large_decompressed(cap));
            }
            Ok(body.to_vec())
        }
        #[allow(clippy::disallowed_methods)] // this is the capped decoder
        Some("gzip") | Some("x-gzip") => read_capped(flate2::read::MultiGzDecoder::new(body), cap),
        // HTTP's "deflate" is zlib (RFC 1950), but some clients send raw
        // RFC 1951; a zlib stream starts with a header whose 16-bit value is a
        // multiple of 31.
        #[allow(clippy::disallowed_methods)]
        Some("deflate") => {
            if body.len() >= 2
                && body[0] & 0x0f == 8
                && u16::from_be_bytes([body[0], body[1]]).is_multiple_of(31)
            {
                read_capped(flate2::read::ZlibDecoder::new(body), cap)
            } else {
                read_capped(flate2::read::DeflateDecoder::new(body), cap)
            }
        }
        Some(other) => Err(IntakeError::UnsupportedEncoding(other.to_string())),
    }
}

fn read_capped(reader: impl Read, cap: usize) -> Result<Vec<u8>, IntakeError> {
    let mut out = Vec::new();
    reader
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| IntakeError::BadJson(format!("body could not be decompressed: {e}")))?;
    if out.len() > cap {
        return Err(too_large_decompressed(cap));
    }
    Ok(out)
}

fn too_large_decompressed(cap: usize) -> IntakeError {
    IntakeError::TooLarge(format!(
        "decompressed body is over the limit of {cap} bytes"
    ))
}

/// A text/plain body is NDJSON when its first line is a whole JSON value and
/// more follows; a pretty-printed JSON object's first line never is.
fn sniff(body: &[u8]) -> Result<Format, IntakeError> {
    let Some(nl) = body.iter().position(|&b| b == b'\n') else {
        return Ok(Format::Json);
    };
    let rest_is_blank = body[nl + 1..].iter().all(u8::is_ascii_whitespace);
    let first_is_value = serde_json::from_slice::<serde::de::IgnoredAny>(&body[..nl]).is_ok();
    Ok(if first_is_value && !rest_is_blank {
        Format::Ndjson
    } else {
        Format::Json
    })
}

/// Parses and validates a decompressed body. The writer calls this again on
/// spooled bodies, so it is the single definition of the native format.
pub fn parse<'a>(
    format: Format,
    body: &'a [u8],
    limits: &Limits,
) -> Result<(WireHeader, Vec<WireEvent<'a>>), IntakeError> {
    // Events are counted before they are collected: a body of millions of
    // tiny events is refused without a slot for each.
    let (header, raw_events, total): (WireHeader, Vec<&[u8]>, usize) = match format {
        Format::Json => {
            let batch: WireBatch = from_slice(body, String::new)?;
            let (header, events) = batch.into_parts();
            let raw = events.kept.into_iter().map(|r| r.get().as_bytes());
            (header, raw.take(limits.max_events).collect(), events.total)
        }
        Format::Ndjson => {
            let mut lines = body
                .split(|&b| b == b'\n')
                .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
            let first = lines
                .next()
                .ok_or_else(|| IntakeError::BadJson("body is empty".into()))?;
            let mut raw = Vec::new();
            let mut total = 0;
            for line in lines {
                total += 1;
                if raw.len() < limits.max_events {
                    raw.push(line);
                }
            }
            (from_slice(first, || "header.".into())?, raw, total)
        }
        Format::Replay | Format::Spans => {
            return Err(IntakeError::InvalidEvent(
                "a replay segment or a trace is not an event batch".into(),
            ))
        }
    };
    if total > limits.max_events {
        return Err(IntakeError::TooLarge(format!(
            "{total} events in one body; the limit is {}",
            limits.max_events
        )));
    }
    let has_session = header
        .session
        .as_ref()
        .and_then(|s| s.id.as_deref())
        .is_some_and(|id| !id.is_empty());
    let mut events = Vec::with_capacity(raw_events.len());
    for (i, raw) in raw_events.into_iter().enumerate() {
        if raw.len() > limits.max_event {
            return Err(IntakeError::TooLarge(format!(
                "events[{i}] is {} bytes; the limit is {}",
                raw.len(),
                limits.max_event
            )));
        }
        let event: WireEvent = from_slice(raw, || format!("events[{i}]."))?;
        if let Err(e) = event.validate(has_session) {
            return Err(IntakeError::InvalidEvent(format!(
                "events[{i}].{}: {}",
                e.field, e.problem
            )));
        }
        events.push(event);
    }
    Ok((header, events))
}

/// Deserializes with the failing field's path in the error, e.g.
/// `events[3].lcp: invalid type: string "x", expected f64`. The path is
/// tracked only when plain parsing failed: valid bodies, nearly all of them,
/// are parsed once at full speed, and the second parse that explains an
/// error sees the same bytes, so it fails the same way.
pub(crate) fn from_slice<'de, T: serde::Deserialize<'de>>(
    bytes: &'de [u8],
    prefix: impl FnOnce() -> String,
) -> Result<T, IntakeError> {
    serde_json::from_slice(bytes).or_else(|plain| explain(bytes, prefix, plain))
}

#[cold]
fn explain<'de, T: serde::Deserialize<'de>>(
    bytes: &'de [u8],
    prefix: impl FnOnce() -> String,
    plain: serde_json::Error,
) -> Result<T, IntakeError> {
    let bad_json =
        |e: &dyn std::fmt::Display| IntakeError::BadJson(format!("body is not valid JSON: {e}"));
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            Err(if inner.is_data() {
                let field = if path == "." { String::new() } else { path };
                let prefix = prefix();
                IntakeError::InvalidEvent(format!("{prefix}{field}: {inner}").replace(".: ", ": "))
            } else {
                bad_json(&inner)
            })
        }
        // Only trailing characters can fail plain parsing but not this.
        Ok(_) => Err(bad_json(&de.end().err().unwrap_or(plain))),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const EVENT: &str = r#"{"type":"error","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c10","ts":1,"message":"boom"}"#;

    fn json_body(events: &str) -> Vec<u8> {
        format!(r#"{{"session":{{"id":"s1"}},"events":[{events}]}}"#).into_bytes()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn json_ndjson_and_sniffed_bodies_decode_alike() {
        let ndjson = format!("{{\"session\":{{\"id\":\"s1\"}}}}\n{EVENT}\n{EVENT}\n");
        let cases: [(Option<&str>, Vec<u8>, Format, usize); 4] = [
            (Some("application/json"), json_body(EVENT), Format::Json, 1),
            (
                Some("text/plain;charset=UTF-8"),
                json_body(EVENT),
                Format::Json,
                1,
            ),
            (
                Some("application/x-ndjson"),
                ndjson.clone().into_bytes(),
                Format::Ndjson,
                2,
            ),
            (Some("text/plain"), ndjson.into_bytes(), Format::Ndjson, 2),
        ];
        for (ct, body, format, n) in cases {
            let d = decode(ct, None, &body, &Limits::default()).unwrap();
            assert_eq!((d.format, d.events), (format, n), "{ct:?}");
        }
    }

    #[test]
    fn gzip_and_deflate_are_inflated() {
        let body = json_body(EVENT);
        let d = decode(None, Some("gzip"), &gzip(&body), &Limits::default()).unwrap();
        assert_eq!(d.body, body);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&body).unwrap();
        let d = decode(
            None,
            Some("deflate"),
            &z.finish().unwrap(),
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(d.events, 1);
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_cap() {
        // 64 MiB of zeros compress to about 64 KiB.
        let bomb = gzip(&vec![b' '; 64 << 20]);
        assert!(bomb.len() < 1 << 20);
        let err = decode(None, Some("gzip"), &bomb, &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "too_large");
    }

    fn code_of(ct: Option<&str>, ce: Option<&str>, body: &[u8]) -> (&'static str, String) {
        let limits = Limits {
            max_event: 512,
            max_events: 3,
            ..Limits::default()
        };
        let err = decode(ct, ce, body, &limits).unwrap_err();
        (err.code(), err.to_string())
    }

    #[test]
    fn millions_of_tiny_events_are_counted_not_collected() {
        // ~6 MB inflated, a few KB gzipped: each event used to get a slot
        // before the count was checked.
        let n = 2_000_000;
        let json = format!("{{\"events\":[{}{{}}]}}", "{},".repeat(n - 1));
        let ndjson = format!("{{}}\n{}", "{}\n".repeat(n));
        for (ct, body) in [
            (Some("application/json"), json),
            (Some("application/x-ndjson"), ndjson),
        ] {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut gz, body.as_bytes()).unwrap();
            let gz = gz.finish().unwrap();
            assert!(gz.len() < 64 << 10, "{} bytes", gz.len());
            let (code, msg) = code_of(ct, Some("gzip"), &gz);
            assert_eq!(code, "too_large", "{msg}");
            assert!(msg.contains("2000000 events"), "{msg}");
        }
    }

    #[test]
    fn bad_inputs_get_a_precise_error() {
        let big_event = EVENT.replace("boom", &"x".repeat(600));
        let four = [EVENT; 4].join(",");
        let wrong_type = EVENT.replace("\"ts\":1", "\"ts\":\"soon\"");
        // (content type, content encoding, body, expected code, message excerpt)
        type Case<'a> = (Option<&'a str>, Option<&'a str>, Vec<u8>, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            (
                None,
                None,
                b"{not json".to_vec(),
                "bad_json",
                "not valid JSON",
            ),
            (
                Some("application/json"),
                None,
                [json_body(EVENT), b" x".to_vec()].concat(),
                "bad_json",
                "trailing characters",
            ),
            (
                None,
                None,
                b"[1,2]".to_vec(),
                "invalid_event",
                "invalid type",
            ),
            (
                None,
                None,
                b"{}".to_vec(),
                "invalid_event",
                "missing field `events`",
            ),
            (
                None,
                None,
                json_body(&wrong_type),
                "invalid_event",
                "events[0].ts: invalid type",
            ),
            (
                None,
                None,
                json_body(r#"{"type":"error"}"#),
                "invalid_event",
                "events[0].event_id: is required",
            ),
            (
                None,
                None,
                json_body(r#"{"type":"nope"}"#),
                "invalid_event",
                "events[0].type: unknown variant",
            ),
            (
                None,
                None,
                json_body(&big_event),
                "too_large",
                "events[0] is",
            ),
            (None, None, json_body(&four), "too_large", "4 events"),
            (
                Some("application/xml"),
                None,
                json_body(EVENT),
                "unsupported_media_type",
                "application/xml",
            ),
            (
                None,
                Some("br"),
                json_body(EVENT),
                "unsupported_encoding",
                "br",
            ),
            (
                None,
                Some("gzip"),
                b"not gzip".to_vec(),
                "bad_json",
                "decompressed",
            ),
        ];
        for (ct, ce, body, code, needle) in cases {
            let (got, message) = code_of(ct, ce, &body);
            assert_eq!(got, code, "{message}");
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
    }

    #[test]
    fn events_need_a_session() {
        let body = format!(r#"{{"events":[{EVENT}]}}"#);
        let (code, message) = code_of(None, None, body.as_bytes());
        assert_eq!(code, "invalid_event");
        assert!(message.contains("session_id"), "{message}");
    }
}
