//! The event intake: `fovea_intake::decode` (content type, content encoding,
//! capped gzip/deflate, JSON and NDJSON batches, validation), then the spool
//! record and the writer's `parse`.
//!
//! The checks are those of `crates/intake/tests/support/mod.rs`, called as
//! the property test `arbitrary_bytes_to_the_event_decoder`
//! (`crates/intake/tests/arbitrary_input.rs`) calls them.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/intake/tests/support/mod.rs"]
mod support;

fuzz_target!(|data: &[u8]| support::fuzz_decode(data));
