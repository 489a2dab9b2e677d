//! The native wire format (`docs/intake.md`, v1): what the Fovea SDK sends.
//!
//! Every field is optional at the serde level so that one flat struct reads
//! every event type fast; [`WireEvent::validate`] then enforces the rules per
//! type and names the offending field.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

/// The batch header: a JSON body's top-level fields or an NDJSON body's first line.
#[derive(Debug, Default, Deserialize)]
pub struct WireHeader {
    #[serde(default)]
    pub sdk: Option<WireSdk>,
    #[serde(default)]
    pub session: Option<WireSession>,
    #[serde(default)]
    pub context: Option<WireContext>,
    /// Client clock at send time, ms since the epoch.
    #[serde(default)]
    pub sent_at: Option<f64>,
}

/// A JSON body: the header's fields plus the events, kept raw so that each
/// can be size-checked before it is parsed.
#[derive(Debug, Deserialize)]
pub struct WireBatch<'a> {
    #[serde(default)]
    pub sdk: Option<WireSdk>,
    #[serde(default)]
    pub session: Option<WireSession>,
    #[serde(default)]
    pub context: Option<WireContext>,
    #[serde(default)]
    pub sent_at: Option<f64>,
    #[serde(borrow)]
    pub events: RawEvents<'a>,
}

/// Events a body may hold at most, whatever the intake's limit: past it
/// the events are counted, not kept, so a small gzip body of millions of
/// tiny events cannot make the parser allocate for each of them.
pub const EVENTS_CEILING: usize = 10_000;

/// A JSON body's events, kept raw up to [`EVENTS_CEILING`], and how many
/// there were.
#[derive(Debug, Default)]
pub struct RawEvents<'a> {
    pub kept: Vec<&'a RawValue>,
    pub total: usize,
}

impl<'de: 'a, 'a> Deserialize<'de> for RawEvents<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawEvents<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of events")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut out = RawEvents::default();
                while out.kept.len() < EVENTS_CEILING {
                    match seq.next_element::<&'de RawValue>()? {
                        Some(e) => out.kept.push(e),
                        None => {
                            out.total = out.kept.len();
                            return Ok(out);
                        }
                    }
                }
                out.total = out.kept.len();
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    out.total += 1;
                }
                Ok(out)
            }
        }
        d.deserialize_seq(Visitor)
    }
}

impl<'a> WireBatch<'a> {
    pub fn into_parts(self) -> (WireHeader, RawEvents<'a>) {
        let header = WireHeader {
            sdk: self.sdk,
            session: self.session,
            context: self.context,
            sent_at: self.sent_at,
        };
        (header, self.events)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct WireSdk {
    pub name: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireSession {
    pub id: Option<String>,
    pub user_id: Option<String>,
    /// The rate (percent) the SDK kept the session at, by the app's rules.
    pub rate: Option<f64>,
    /// The session reached a key page and is kept from there on.
    #[serde(default)]
    pub key: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct WireContext {
    pub env: Option<String>,
    pub release: Option<String>,
    pub user_id: Option<String>,
    pub connection: Option<String>,
    pub viewport: Option<String>,
    /// Automation signals the browser shows (`webdriver`, `headless`, ...).
    #[serde(default)]
    pub automation: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireType {
    View,
    Action,
    Error,
    Resource,
    LongTask,
}

/// One event of any type, as sent. Its text borrows from the body where
/// it can (no escapes): the intake checks every event of every request,
/// and a string allocated per field is most of what that would cost.
#[derive(Debug, Default, Deserialize)]
pub struct WireEvent<'a> {
    #[serde(rename = "type")]
    pub kind: Option<WireType>,
    pub event_id: Option<Text<'a>>,
    pub ts: Option<f64>,
    pub session_id: Option<Text<'a>>,
    pub view_id: Option<Text<'a>>,
    pub url: Option<Text<'a>>,
    pub route: Option<Text<'a>>,
    pub referrer: Option<Text<'a>>,
    pub env: Option<Text<'a>>,
    pub release: Option<Text<'a>>,
    pub user_id: Option<Text<'a>>,
    pub connection: Option<Text<'a>>,
    pub viewport: Option<Text<'a>>,

    // view
    pub version: Option<u64>,
    pub loading_type: Option<Text<'a>>,
    pub ttfb: Option<f64>,
    pub fcp: Option<f64>,
    pub lcp: Option<f64>,
    pub inp: Option<f64>,
    pub cls: Option<f64>,
    pub dcl: Option<f64>,
    pub load: Option<f64>,
    pub tti: Option<f64>,
    pub dns: Option<f64>,
    pub connect: Option<f64>,
    pub time_spent: Option<f64>,
    pub error_count: Option<u32>,
    pub action_count: Option<u32>,
    pub resource_count: Option<u32>,
    pub long_task_count: Option<u32>,
    pub frustration_count: Option<u32>,
    pub lcp_element: Option<Text<'a>>,
    pub lcp_resource_url: Option<Text<'a>>,
    pub inp_target: Option<Text<'a>>,
    pub inp_type: Option<Text<'a>>,
    pub cls_target: Option<Text<'a>>,
    // view: [`crate::ViewPhases`], listed here (a flattened struct would
    // make serde buffer every event of the intake)
    pub redirect: Option<f64>,
    pub request: Option<f64>,
    pub response: Option<f64>,
    pub dom_interactive: Option<f64>,
    pub lcp_ttfb: Option<f64>,
    pub lcp_load_delay: Option<f64>,
    pub lcp_load_time: Option<f64>,
    pub lcp_render_delay: Option<f64>,
    pub inp_input_delay: Option<f64>,
    pub inp_processing: Option<f64>,
    pub inp_presentation: Option<f64>,
    pub route_change_duration: Option<f64>,

    // action
    pub action_type: Option<Text<'a>>,
    pub name: Option<Text<'a>>,
    pub target: Option<Text<'a>>,
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub frustration: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    pub attrs: Option<&'a RawValue>,

    // error
    pub source: Option<Text<'a>>,
    pub message: Option<Text<'a>>,
    pub stack: Option<Text<'a>>,
    /// Groups the error under this key instead of the server's fingerprint.
    pub fingerprint: Option<Text<'a>>,
    pub handled: Option<bool>,
    pub status: Option<u16>,

    // resource (`kind` is shared with long_task)
    pub resource_url: Option<Text<'a>>,
    #[serde(rename = "kind")]
    pub subkind: Option<Text<'a>>,
    pub method: Option<Text<'a>>,
    pub duration: Option<f64>,
    pub tls: Option<f64>,
    pub download: Option<f64>,
    pub transfer_size: Option<u64>,
    pub encoded_size: Option<u64>,
    pub decoded_size: Option<u64>,
    pub trace_id: Option<Text<'a>>,
    pub span_id: Option<Text<'a>>,

    // long_task
    pub blocking_duration: Option<f64>,
    pub script_url: Option<Text<'a>>,
    pub script_function: Option<Text<'a>>,
    pub script_invoker: Option<Text<'a>>,
}

/// A text field of an event: borrowed from the body when it holds no
/// escape, the common case. (serde borrows a `Cow` only as a field of its
/// own, never inside an `Option` or a `Vec`.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl Text<'_> {
    pub fn into_owned(self) -> String {
        self.0.into_owned()
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(s)))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// A rule an event broke: `field` is relative to the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub problem: &'static str,
}

/// Timestamps are ms since the epoch below this (the year 33658): the
/// clock arithmetic downstream stays far from overflowing.
pub const MAX_TS: f64 = 1e15;
const MAX_ID_LEN: usize = 128;

fn missing(field: &'static str) -> FieldError {
    FieldError {
        field,
        problem: "is required",
    }
}

impl WireEvent<'_> {
    /// Checks the per-type rules of `docs/intake.md`. `has_session` says
    /// whether the batch header gives a session id to fall back on.
    pub fn validate(&self, has_session: bool) -> Result<WireType, FieldError> {
        let kind = self.kind.ok_or_else(|| missing("type"))?;
        let id = self
            .event_id
            .as_deref()
            .ok_or_else(|| missing("event_id"))?;
        if Uuid::parse_str(id).is_err() {
            return Err(FieldError {
                field: "event_id",
                problem: "must be a UUID",
            });
        }
        let ts = self.ts.ok_or_else(|| missing("ts"))?;
        if !(0.0..MAX_TS).contains(&ts) {
            return Err(FieldError {
                field: "ts",
                problem: "must be ms since the epoch",
            });
        }
        match self.session_id.as_deref() {
            Some(s) if s.is_empty() || s.len() > MAX_ID_LEN => {
                return Err(FieldError {
                    field: "session_id",
                    problem: "must be 1 to 128 characters",
                })
            }
            None if !has_session => return Err(missing("session_id")),
            _ => {}
        }
        if let Some(v) = self.view_id.as_deref() {
            if v.is_empty() || v.len() > MAX_ID_LEN {
                return Err(FieldError {
                    field: "view_id",
                    problem: "must be 1 to 128 characters",
                });
            }
        }
        match kind {
            WireType::View => {
                self.view_id.as_ref().ok_or_else(|| missing("view_id"))?;
                self.url.as_ref().ok_or_else(|| missing("url"))?;
                self.version.ok_or_else(|| missing("version"))?;
                for (field, v) in [
                    ("ttfb", self.ttfb),
                    ("fcp", self.fcp),
                    ("lcp", self.lcp),
                    ("inp", self.inp),
                    ("cls", self.cls),
                    ("dcl", self.dcl),
                    ("load", self.load),
                    ("tti", self.tti),
                    ("dns", self.dns),
                    ("connect", self.connect),
                    ("time_spent", self.time_spent),
                ] {
                    if v.is_some_and(|v| !v.is_finite() || v < 0.0) {
                        return Err(FieldError {
                            field,
                            problem: "must be a number >= 0",
                        });
                    }
                }
            }
            WireType::Action => {
                self.action_type
                    .as_ref()
                    .ok_or_else(|| missing("action_type"))?;
            }
            WireType::Error => {
                self.message.as_ref().ok_or_else(|| missing("message"))?;
            }
            WireType::Resource => {
                self.resource_url
                    .as_ref()
                    .ok_or_else(|| missing("resource_url"))?;
            }
            WireType::LongTask => {
                self.duration.ok_or_else(|| missing("duration"))?;
            }
        }
        Ok(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> WireEvent<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn text_borrows_from_the_body_unless_escaped() {
        let e = event(r#"{"url":"https://a/b?c=d","name":"say \"hi\"","frustration":["rage"]}"#);
        assert!(matches!(e.url.unwrap().0, Cow::Borrowed("https://a/b?c=d")));
        assert_eq!(e.name.as_deref(), Some("say \"hi\""));
        assert!(matches!(e.name.unwrap().0, Cow::Owned(_)));
        assert!(matches!(e.frustration.unwrap()[0].0, Cow::Borrowed("rage")));
        let bad = serde_json::from_str::<WireEvent>(r#"{"url":3}"#).unwrap_err();
        assert!(bad.to_string().contains("expected a string"), "{bad}");
    }

    #[test]
    fn a_minimal_view_is_valid() {
        let e = event(
            r#"{"type":"view","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c10","ts":1,
                "view_id":"v","url":"https://a/","version":0,"lcp":12.5}"#,
        );
        assert_eq!(e.validate(true), Ok(WireType::View));
    }

    #[test]
    fn rules_name_the_field() {
        let cases = [
            (r#"{"event_id":"x"}"#, "type"),
            (r#"{"type":"error","ts":1}"#, "event_id"),
            (r#"{"type":"error","event_id":"nope","ts":1}"#, "event_id"),
            (
                r#"{"type":"error","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c10"}"#,
                "ts",
            ),
            // A 1e300 ms timestamp once overflowed the store's dedupe window.
            (
                r#"{"type":"error","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c10","ts":1e300,"message":"m"}"#,
                "ts",
            ),
            (
                r#"{"type":"error","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c10","ts":1}"#,
                "message",
            ),
            (
                r#"{"type":"view","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c10","ts":1,"view_id":"v","url":"u","version":1,"lcp":-1}"#,
                "lcp",
            ),
        ];
        for (json, field) in cases {
            assert_eq!(
                event(json).validate(true).unwrap_err().field,
                field,
                "{json}"
            );
        }
    }

    #[test]
    fn session_id_falls_back_to_the_header() {
        let e = event(
            r#"{"type":"long_task","event_id":"6f1c1b4e-5a49-4a5e-9a57-1b1a4e2f7c10","ts":1,"duration":80}"#,
        );
        assert!(e.validate(true).is_ok());
        assert_eq!(e.validate(false).unwrap_err().field, "session_id");
    }
}
