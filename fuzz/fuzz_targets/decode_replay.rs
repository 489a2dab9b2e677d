//! The replay intake: `fovea_intake::decode_replay` (gzip declared or sniffed,
//! the segment's head), then the spool record and the writer's `parse_replay`.
//!
//! The checks are those of `crates/intake/tests/support/mod.rs`, called as
//! the property test `arbitrary_bytes_to_the_replay_decoder`
//! (`crates/intake/tests/arbitrary_input.rs`) calls them.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/intake/tests/support/mod.rs"]
mod support;

fuzz_target!(|data: &[u8]| support::fuzz_replay(data));
