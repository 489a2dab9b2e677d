//! Error stacks, made readable: the three browser engines' stack formats
//! parsed into frames ([`stack`]), and minified frames mapped back to the
//! original file, line, function and source lines with uploaded source maps
//! ([`map`], on the maintained `sourcemap` crate). No IO: the server finds
//! the maps, this crate reads them.

pub mod map;
pub mod stack;

pub use map::{bundle_debug_id, source_mapping_url, source_view, Context, Map, MapError, Original};
pub use sourcemap::SourceView;
pub use stack::{in_app, parse, Frame, MAX_FRAMES};
