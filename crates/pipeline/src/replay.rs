//! A spooled replay segment → the segment the store keeps: the same bot and
//! session-sampling decisions as the session's events, the same clock-drift
//! correction (so the recording lines up with the events), and a second
//! line of defence over every string of the recording.
//!
//! Masking typed values is the SDK's job; what reaches here should hold no
//! input values. This pass still scrubs the server's PII patterns from text
//! and attribute values, scrubs sensitive query values of URLs, and drops
//! what could run in a player that failed to sandbox the recording:
//! `on*` event-handler attributes and `javascript:` URLs.

use std::borrow::Cow;
use std::io::Write;

use fovea_intake::{parse_replay, Batch, IntakeError};
use fovea_schema::ReplaySegment;
use serde_json::{Map, Value};

use crate::normalise::drift;
use crate::{Agent, AppPolicy, Pipeline, Scrubber};

/// What became of a spooled segment.
#[derive(Debug)]
pub enum ReplayOutput {
    Kept(ReplaySegment),
    /// From an agent uap-core classifies as a spider.
    Bot,
    /// The session is not among those the app keeps.
    SampledOut,
}

impl Pipeline {
    /// Normalises one spooled replay segment of the app whose settings are
    /// `app`: dropped when no rule of the app could keep its session, every
    /// string scrubbed by `app.scrubber`.
    pub fn replay(&self, batch: &Batch, app: &AppPolicy) -> Result<ReplayOutput, IntakeError> {
        let head = parse_replay(&batch.body)?;
        let listed = batch
            .meta
            .user_agent
            .as_deref()
            .is_some_and(|ua| Agent::is_bot(&self.agents.parse(ua)));
        if self.drops_bot(app, listed, false) {
            return Ok(ReplayOutput::Bot);
        }
        if !app.may_keep(&head.session_id) {
            return Ok(ReplayOutput::SampledOut);
        }
        let mut body: Value =
            serde_json::from_slice(&batch.body).map_err(|e| IntakeError::BadJson(e.to_string()))?;
        let mut events = match body.get_mut("events").map(Value::take) {
            Some(Value::Array(events)) => events,
            _ => return Err(IntakeError::InvalidEvent("events: not an array".into())),
        };
        let shift = drift(batch.meta.received_at, head.sent_at).round() as i64;
        for event in &mut events {
            if let Some(ts) = event.get_mut("timestamp") {
                if let Some(t) = ts.as_f64() {
                    *ts = Value::from(t as i64 + shift);
                }
            }
            clean(event, &app.scrubber);
        }
        let json = serde_json::to_vec(&events).expect("json values serialize");
        let mut gz = flate2::write::GzEncoder::new(
            Vec::with_capacity(json.len() / 6),
            flate2::Compression::default(),
        );
        gz.write_all(&json).expect("writing to memory");
        Ok(ReplayOutput::Kept(ReplaySegment {
            app_id: batch.meta.app_id.clone(),
            session_id: head.session_id,
            view_id: head.view_id,
            index: head.index,
            start: head.start + shift,
            end: head.end + shift,
            events: head.count,
            full_snapshot: head.full_snapshot,
            data: gz.finish().expect("writing to memory"),
            received_at: batch.meta.received_at,
        }))
    }
}

/// Scrubs every string under `v`; an `attributes` object (rrweb's element
/// attributes, in snapshots and in attribute mutations) also loses event
/// handlers and script URLs.
fn clean(v: &mut Value, scrub: &Scrubber) {
    match v {
        Value::String(s) => scrub_in_place(s, |s| scrub.text(s)),
        Value::Array(items) => items.iter_mut().for_each(|i| clean(i, scrub)),
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match (key.as_str(), value) {
                    ("attributes", Value::Object(attrs)) => clean_attributes(attrs, scrub),
                    ("href", Value::String(url)) => scrub_in_place(url, |u| scrub.url(u)),
                    (_, value) => clean(value, scrub),
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn clean_attributes(attrs: &mut Map<String, Value>, scrub: &Scrubber) {
    attrs.retain(|name, value| {
        !is_event_handler(name) && !value.as_str().is_some_and(is_script_url)
    });
    for (name, value) in attrs.iter_mut() {
        match (name.as_str(), value) {
            ("href" | "src" | "action" | "formaction", Value::String(url)) => {
                scrub_in_place(url, |u| scrub.url(u))
            }
            (_, value) => clean(value, scrub),
        }
    }
}

fn scrub_in_place(s: &mut String, scrub: impl for<'a> FnOnce(&'a str) -> Cow<'a, str>) {
    if let Cow::Owned(clean) = scrub(s) {
        *s = clean;
    }
}

/// `onclick`, `onerror`, …: no HTML attribute outside the event handlers
/// starts with "on".
fn is_event_handler(name: &str) -> bool {
    name.len() > 2 && name.as_bytes()[..2].eq_ignore_ascii_case(b"on")
}

/// Browsers ignore ASCII whitespace and control characters inside a URL's
/// scheme, so `java\tscript:` is a script URL too.
fn is_script_url(value: &str) -> bool {
    let scheme: String = value
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .take(11)
        .collect();
    scheme.eq_ignore_ascii_case("javascript:")
}

#[cfg(test)]
mod tests {
    use fovea_intake::{BatchMeta, Format};

    use super::*;
    use crate::PipelineOptions;

    fn batch(events: &str, received_at: i64, sent_at: i64) -> Batch {
        Batch {
            meta: BatchMeta {
                app_id: "app".into(),
                received_at,
                user_agent: Some(
                    "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36".into(),
                ),
                country: None,
                region: None,
            },
            format: Format::Replay,
            body: format!(
                r#"{{"v":1,"session_id":"s1","index":0,"sent_at":{sent_at},"events":[{events}]}}"#
            )
            .into_bytes(),
        }
    }

    fn kept(out: ReplayOutput) -> (ReplaySegment, Value) {
        let ReplayOutput::Kept(seg) = out else {
            panic!("not kept: {out:?}")
        };
        let json = fovea_intake::decompress(Some("gzip"), &seg.data, 1 << 20).unwrap();
        (seg, serde_json::from_slice(&json).unwrap())
    }

    #[test]
    fn handlers_script_urls_and_pii_never_reach_the_store() {
        let events = r#"
            {"type":2,"timestamp":1000,"data":{"node":{"type":2,"tagName":"img","attributes":
              {"src":"x","onerror":"alert(1)","ONLOAD":"alert(2)","alt":"mail jane@example.com"}}}},
            {"type":3,"timestamp":2000,"data":{"source":0,"attributes":[{"id":4,"attributes":
              {"href":" java\tscript:alert(3)","title":"card 4111 1111 1111 1111"}}],
              "texts":[{"id":5,"value":"token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc"}]}},
            {"type":4,"timestamp":2500,"data":{"href":"https://shop.example/a?access_token=s3cret&q=1"}}"#;
        let p = Pipeline::new(PipelineOptions::default());
        let (seg, json) = kept(
            p.replay(&batch(events, 3000, 3000), &AppPolicy::default())
                .unwrap(),
        );
        let text = json.to_string();
        for gone in [
            "alert", "onerror", "ONLOAD", "jane@", "4111", "eyJhbG", "s3cret",
        ] {
            assert!(!text.contains(gone), "{gone} survived in {text}");
        }
        assert!(text.contains(r#""src":"x""#), "{text}");
        assert_eq!(text.matches("[redacted]").count(), 4, "{text}");
        assert_eq!((seg.start, seg.end, seg.events), (1000, 2500, 3));
        assert!(seg.full_snapshot);
    }

    #[test]
    fn a_send_time_of_minus_1e300_does_not_overflow_the_clock_correction() {
        let p = Pipeline::new(PipelineOptions::default());
        let mut b = batch(r#"{"type":2,"timestamp":5,"data":{}}"#, 3000, 0);
        b.body = String::from_utf8(b.body)
            .unwrap()
            .replace(r#""sent_at":0"#, r#""sent_at":-1e300"#)
            .into_bytes();
        let (seg, _) = kept(p.replay(&b, &AppPolicy::default()).unwrap());
        assert_eq!((seg.start, seg.end), (5, 5), "no correction");
    }

    #[test]
    fn a_client_clock_off_by_minutes_is_corrected_like_its_events() {
        let p = Pipeline::new(PipelineOptions::default());
        let events =
            r#"{"type":4,"timestamp":1000,"data":{}},{"type":3,"timestamp":2000,"data":{}}"#;
        // Sent at 5 000 by the client's clock, received at 605 000.
        let (seg, json) = kept(
            p.replay(&batch(events, 605_000, 5_000), &AppPolicy::default())
                .unwrap(),
        );
        assert_eq!((seg.start, seg.end), (601_000, 602_000));
        assert_eq!(json[1]["timestamp"], 602_000);
        assert!(!seg.full_snapshot);
    }

    #[test]
    fn segments_follow_the_sessions_sampling_and_bot_rules() {
        let p = Pipeline::new(PipelineOptions::default());
        let events = r#"{"type":4,"timestamp":1000,"data":{}}"#;
        assert!(matches!(
            p.replay(&batch(events, 1, 1), &AppPolicy::sampled_at(0.0))
                .unwrap(),
            ReplayOutput::SampledOut
        ));
        let mut bot = batch(events, 1, 1);
        bot.meta.user_agent = Some("Googlebot/2.1 (+http://www.google.com/bot.html)".into());
        assert!(matches!(
            p.replay(&bot, &AppPolicy::default()).unwrap(),
            ReplayOutput::Bot
        ));
    }

    #[test]
    fn script_urls_are_recognised_through_whitespace_and_case() {
        assert!(is_script_url("JavaScript:void(0)"));
        assert!(is_script_url("  java\nscript:x"));
        assert!(!is_script_url("https://javascript.info/"));
        assert!(is_event_handler("onmouseover") && !is_event_handler("on"));
    }
}
