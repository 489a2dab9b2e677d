//! The canonical event model every intake adapter produces and every store
//! consumes, and the native wire format of the Fovea SDK.
//!
//! This crate never does IO: it is types, thresholds and pure conversions, so
//! that the intake, the pipeline and the stores agree on one vocabulary.

mod control;
mod event;
mod metric;
mod replay;
pub mod sampling;
mod source;
mod span;
pub mod wire;

pub use control::{App, IssueState, IssueStatus, Privacy, Role, User, UserIdModeName};
pub use event::{
    ActionEvent, Context, ErrorEvent, Event, EventKind, LongTaskEvent, ResourceEvent, ViewEvent,
    ViewPhases,
};
pub use metric::{Metric, Rating, Thresholds};
pub use replay::ReplaySegment;
pub use source::{hex, sha256_hex, truncate, SourceFile, SourceFileInfo, SourceKind, StoredFrames};
pub use span::{is_span_id, is_trace_id, Span, SpanJson};
