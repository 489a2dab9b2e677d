//! A spool record read back: `Batch::decode` of any bytes.
//!
//! The checks are those of `crates/intake/tests/support/mod.rs`, called as
//! the property test `arbitrary_bytes_to_the_spool_record_decoder`
//! (`crates/intake/tests/arbitrary_input.rs`) calls them.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/intake/tests/support/mod.rs"]
mod support;

fuzz_target!(|data: &[u8]| support::fuzz_record(data));
