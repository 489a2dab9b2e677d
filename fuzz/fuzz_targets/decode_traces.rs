//! The OTLP intake: `otlp::Encoding::of` and `otlp::decode_traces` (protobuf
//! and JSON, the span count before decoding), its answers, then the spool
//! record and the writer's `otlp::spans`.
//!
//! The checks are those of `crates/intake/tests/support/mod.rs`, called as
//! the property test `arbitrary_bytes_to_the_trace_decoder`
//! (`crates/intake/tests/arbitrary_input.rs`) calls them.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/intake/tests/support/mod.rs"]
mod support;

fuzz_target!(|data: &[u8]| support::fuzz_traces(data));
