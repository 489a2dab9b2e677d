//! Backend spans (OpenTelemetry), stored beside the browser's events and
//! joined to them by trace id: a browser request's `span_id` is the parent
//! of the backend's server span.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One backend span, as stored. Ids are lowercase hex.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Span {
    #[serde(skip)]
    pub app_id: String,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    /// The resource's `service.name` (`unknown_service` when it has none).
    pub service: String,
    /// The resource's `deployment.environment.name` (or the older
    /// `deployment.environment`), to filter like the browser's `env`.
    pub env: Option<String>,
    /// `unspecified`, `internal`, `server`, `client`, `producer` or `consumer`.
    pub kind: String,
    /// Start, ns since the epoch.
    #[serde(skip)]
    pub start_ns: i64,
    /// ns.
    #[serde(skip)]
    pub duration_ns: i64,
    /// `unset`, `ok` or `error`.
    pub status: String,
    pub status_message: Option<String>,
    /// The span's attributes as a JSON object text (capped).
    #[serde(serialize_with = "crate::event::json_text_required")]
    #[schema(value_type = Object)]
    pub attributes: String,
    /// The resource's attributes as a JSON object text (capped).
    #[serde(serialize_with = "crate::event::json_text_required")]
    #[schema(value_type = Object)]
    pub resource: String,
}

impl Span {
    /// Start in ms since the epoch (the time every event table is keyed by).
    pub fn ts(&self) -> i64 {
        self.start_ns.div_euclid(1_000_000)
    }
}

/// A span as the API shows it: fractional ms, like the browser's timings.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SpanJson {
    #[serde(flatten)]
    pub span: Span,
    /// ms since the epoch, fractional.
    pub start: f64,
    /// ms, fractional.
    pub duration: f64,
}

impl From<Span> for SpanJson {
    fn from(span: Span) -> SpanJson {
        SpanJson {
            start: span.start_ns as f64 / 1e6,
            duration: span.duration_ns as f64 / 1e6,
            span,
        }
    }
}

/// Whether `s` is a W3C trace id: 32 lowercase hex digits, not all zero.
pub fn is_trace_id(s: &str) -> bool {
    is_hex_id(s, 32)
}

/// Whether `s` is a W3C span (parent) id: 16 lowercase hex digits, not all zero.
pub fn is_span_id(s: &str) -> bool {
    is_hex_id(s, 16)
}

fn is_hex_id(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && s.bytes().any(|b| b != b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_hex_of_their_length_and_not_zero() {
        assert!(is_trace_id("4bf92f3577b34da6a3ce929d0e0e4736"));
        assert!(!is_trace_id("4BF92F3577B34DA6A3CE929D0E0E4736"));
        assert!(!is_trace_id("00000000000000000000000000000000"));
        assert!(!is_trace_id("4bf92f3577b34da6"));
        assert!(is_span_id("00f067aa0ba902b7"));
        assert!(!is_span_id("00f067aa0ba902bz"));
        assert!(!is_span_id("0000000000000000"));
    }
}
