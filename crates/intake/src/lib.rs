//! Everything the intake endpoint does to a request body before it is
//! spooled: size limits, capped decompression, format detection, parsing
//! and validation. Cheap work only: enrichment happens after the spool.
//!
//! The intake never touches the store; its output is a [`Batch`], which is
//! what the spool keeps and the writer reads back.

mod batch;
mod decode;
mod error;
pub mod otlp;
mod replay;

pub use batch::{Batch, BatchMeta, Format};
pub use decode::{decode, decompress, parse, Decoded, Limits};
pub use error::IntakeError;
pub use replay::{
    decode_replay, parse_replay, DecodedSegment, ReplayLimits, SegmentHead, FULL_SNAPSHOT,
    MAX_SEGMENT_EVENTS,
};
