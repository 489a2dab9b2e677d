//! Source maps: parsed once (index maps flattened), then asked where a
//! minified position came from.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use sourcemap::{DecodedMap, SourceMap, SourceView};

use crate::stack::Frame;

/// Source lines shown around a frame's line, each way.
pub const CONTEXT_LINES: usize = 5;
/// A longer source line is cut (a minified file is one long line).
const MAX_LINE: usize = 240;

#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("not a source map: {0}")]
    Invalid(String),
    #[error("a React Native (Hermes) source map cannot map browser stacks")]
    Hermes,
}

/// A parsed source map, and its size (for the cache's memory bound).
pub struct Map {
    sm: SourceMap,
    bytes: usize,
    /// Positions already resolved for grouping: recovering a function's
    /// name scans the bundle backwards (~0.1 ms a frame), and one bug
    /// repeats the same frames many times.
    memo: Mutex<HashMap<MemoKey, Option<Frame>>>,
}

type MemoKey = (u32, u32, Option<String>);

/// Memoised positions per map at most (then the memo starts over).
const MEMO_ENTRIES: usize = 4096;

/// Lines of original source around a frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Context {
    pub pre: Vec<String>,
    pub line: String,
    pub post: Vec<String>,
}

/// Where a minified frame came from (positions 1-based, like a stack's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    pub function: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub context: Option<Context>,
}

impl Map {
    /// Parses a map; a file that is not one gets an error that says why.
    pub fn parse(bytes: &[u8]) -> Result<Map, MapError> {
        let sm = match sourcemap::decode_slice(bytes) {
            Ok(DecodedMap::Regular(sm)) => sm,
            Ok(DecodedMap::Index(index)) => index
                .flatten()
                .map_err(|e| MapError::Invalid(e.to_string()))?,
            Ok(DecodedMap::Hermes(_)) => return Err(MapError::Hermes),
            Err(e) => return Err(MapError::Invalid(e.to_string())),
        };
        if sm.get_token_count() == 0 {
            return Err(MapError::Invalid("it maps nothing (no mappings)".into()));
        }
        Ok(Map {
            sm,
            bytes: bytes.len(),
            memo: Mutex::default(),
        })
    }

    /// The size of the map as uploaded.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The map's debug id (`debugId` or `debug_id`), lower-case hyphenated.
    pub fn debug_id(&self) -> Option<String> {
        self.sm
            .get_debug_id()
            .map(|d| d.to_string().to_ascii_lowercase())
    }

    /// The original position of `frame` with its source lines, for
    /// display; `minified` (the bundle's source) lets the original function
    /// name be recovered from a minified one.
    pub fn resolve(&self, frame: &Frame, minified: Option<&SourceView>) -> Option<Original> {
        let (original, token) = self.lookup(frame, minified)?;
        let context = self
            .sm
            .get_source_contents(token.get_src_id())
            .and_then(|text| context(text, token.get_src_line() as usize));
        Some(Original {
            function: original.function,
            file: original.file,
            line: original.line,
            column: original.column,
            context,
        })
    }

    /// The original position of `frame` without source lines: what
    /// grouping needs, without reading the original file.
    pub fn position(&self, frame: &Frame, minified: Option<&SourceView>) -> Option<Frame> {
        let key = (frame.line, frame.column, frame.function.clone());
        if let Some(hit) = self.memo.lock().expect("memo").get(&key) {
            return hit.clone();
        }
        let found = self.lookup(frame, minified).map(|(f, _)| f);
        let mut memo = self.memo.lock().expect("memo");
        if memo.len() >= MEMO_ENTRIES {
            memo.clear();
        }
        memo.insert(key, found.clone());
        found
    }

    fn lookup(
        &self,
        frame: &Frame,
        minified: Option<&SourceView>,
    ) -> Option<(Frame, sourcemap::Token<'_>)> {
        let (line, col) = (frame.line.checked_sub(1)?, frame.column.saturating_sub(1));
        // lookup_token answers with the nearest token before the position,
        // even on an earlier line: a position the map does not cover maps
        // to nothing rather than to a neighbour.
        let token = self
            .sm
            .lookup_token(line, col)
            .filter(|t| t.get_dst_line() == line)?;
        let file = token.get_source()?.to_string();
        let function = match (frame.function.as_deref().and_then(minified_name), minified) {
            (Some(name), Some(sv)) => self
                .sm
                .get_original_function_name(line, col, name, sv)
                .map(str::to_string),
            _ => None,
        }
        .or_else(|| frame.function.clone());
        let original = Frame {
            function,
            file,
            line: token.get_src_line() + 1,
            column: token.get_src_col() + 1,
        };
        Some((original, token))
    }
}

/// The minified function's own name in a V8 frame name: `c` in
/// `Object.c [as checkout]`; none for `HTMLButtonElement.<anonymous>`.
fn minified_name(name: &str) -> Option<&str> {
    let name = name.split(" [as ").next()?;
    let name = name.rsplit('.').next()?.trim_start_matches("new ");
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    (!name.is_empty() && name.chars().all(ident)).then_some(name)
}

/// A view of a bundle's source for function-name recovery.
pub fn source_view(source: &str) -> SourceView {
    SourceView::new(Arc::from(source))
}

fn context(text: &str, line: usize) -> Option<Context> {
    let cut = |s: &str| -> String {
        let mut end = s.len().min(MAX_LINE);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s[..end].to_string()
    };
    // Only the lines around the frame: an original file can be large.
    let first = line.saturating_sub(CONTEXT_LINES);
    let window: Vec<&str> = text
        .lines()
        .skip(first)
        .take(line - first + 1 + CONTEXT_LINES)
        .collect();
    let at = line - first;
    Some(Context {
        line: cut(window.get(at)?),
        pre: window[..at].iter().map(|s| cut(s)).collect(),
        post: window[at + 1..].iter().map(|s| cut(s)).collect(),
    })
}

/// The `//# debugId=` comment of a bundle (the same id is in its map).
pub fn bundle_debug_id(source: &str) -> Option<String> {
    comment(source, "debugId=").map(|id| id.to_ascii_lowercase())
}

/// The `//# sourceMappingURL=` comment of a bundle (not a data: URL).
pub fn source_mapping_url(source: &str) -> Option<&str> {
    comment(source, "sourceMappingURL=").filter(|u| !u.starts_with("data:"))
}

/// A `//# key=value` comment among the last lines of a bundle.
fn comment<'a>(source: &'a str, key: &str) -> Option<&'a str> {
    source.lines().rev().take(10).find_map(|l| {
        let l = l.trim();
        let rest = l.strip_prefix("//#").or_else(|| l.strip_prefix("//@"))?;
        let value = rest.trim_start().strip_prefix(key)?.trim();
        (!value.is_empty()).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::parse;

    // Built by esbuild from tests/fixtures/src (tests/fixtures/build.mjs),
    // with the V8 stack Node printed for an error thrown inside it.
    const BUNDLE: &str = include_str!("../tests/fixtures/app.min.js");
    const MAP: &[u8] = include_bytes!("../tests/fixtures/app.min.js.map");
    const STACK: &str = include_str!("../tests/fixtures/stack.txt");

    #[test]
    fn a_minified_stack_maps_to_the_original_functions_files_and_lines() {
        let map = Map::parse(MAP).unwrap();
        let sv = source_view(BUNDLE);
        let frames = parse(STACK);
        assert_eq!(frames.len(), 3, "{frames:?}");
        let got: Vec<(Option<String>, String, u32)> = frames
            .iter()
            .map(|f| {
                let o = map.resolve(f, Some(&sv)).expect("mapped");
                (o.function, o.file, o.line)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (Some("applyDiscount".into()), "src/cart.js".into(), 13),
                (Some("computeTotal".into()), "src/cart.js".into(), 8),
                (Some("checkout".into()), "src/main.js".into(), 4),
            ]
        );
        let top = map.resolve(&frames[0], Some(&sv)).unwrap();
        let ctx = top.context.unwrap();
        assert!(ctx.line.contains("throw new RangeError"), "{ctx:?}");
        assert_eq!(ctx.pre.len(), CONTEXT_LINES);
        assert!(ctx.pre.last().unwrap().contains("coupon.percent > 100"));
        assert!(ctx.post[0].trim() == "}");
    }

    #[test]
    fn without_the_bundle_positions_still_map_and_names_stay_minified() {
        let map = Map::parse(MAP).unwrap();
        let o = map.resolve(&parse(STACK)[0], None).unwrap();
        assert_eq!((o.file.as_str(), o.line), ("src/cart.js", 13));
        assert_eq!(o.function.as_deref(), Some("n"));
    }

    #[test]
    fn debug_ids_and_comments_are_read() {
        let id = "c2c0e5b1-6d1e-4a4f-9a36-3e4b6f2d7a11";
        assert_eq!(Map::parse(MAP).unwrap().debug_id().as_deref(), Some(id));
        assert_eq!(bundle_debug_id(BUNDLE).as_deref(), Some(id));
        assert_eq!(source_mapping_url(BUNDLE), Some("app.min.js.map"));
        assert_eq!(
            source_mapping_url("x\n//# sourceMappingURL=data:application/json;base64,e30="),
            None
        );
    }

    #[test]
    fn bad_maps_are_refused_with_a_reason() {
        for bad in [
            &b"not json"[..],
            b"{}",
            b"[1,2]",
            br#"{"version":3,"sources":[],"names":[],"mappings":""}"#,
        ] {
            let e = Map::parse(bad).err().expect("refused");
            assert!(!e.to_string().is_empty());
        }
        let map = Map::parse(MAP).unwrap();
        let far = Frame {
            function: None,
            file: "x".into(),
            line: 999,
            column: 1,
        };
        assert_eq!(
            map.resolve(&far, None),
            None,
            "a position past the map maps to nothing"
        );
        let zero = Frame {
            function: None,
            file: "x".into(),
            line: 0,
            column: 0,
        };
        assert_eq!(map.resolve(&zero, None), None);
    }

    #[test]
    fn minified_names_inside_v8_frame_names() {
        assert_eq!(minified_name("Object.c [as checkout]"), Some("c"));
        assert_eq!(minified_name("n"), Some("n"));
        assert_eq!(minified_name("new Cart"), Some("Cart"));
        assert_eq!(minified_name("HTMLButtonElement.<anonymous>"), None);
    }
}
