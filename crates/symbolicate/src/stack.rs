//! Stack strings as the browsers write them, parsed into frames.
//!
//! - V8 (Chrome, Edge, Node): `    at fn (url:line:col)`, `    at url:line:col`,
//!   `    at async fn (url:line:col)`, `    at new Foo (url:line:col)`; eval
//!   frames name the script that called eval.
//! - SpiderMonkey (Firefox): `fn@url:line:col`, `@url:line:col`,
//!   `promise callback*fn@url:line:col`, `fn@url line 2 > eval:1:1`.
//! - JavaScriptCore (Safari): `fn@url:line:col`, `global code@url:line:col`,
//!   `url:line:col` for anonymous frames, `fn@[native code]` (no position).

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// Frames kept from one stack: enough for any grouping or display.
pub const MAX_FRAMES: usize = 50;

/// One frame of a stack as the browser wrote it (positions 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Frame {
    pub function: Option<String>,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

static V8: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*at (?:(?:async )?(.+?) \()?(.+?):(\d+):(\d+)\)?\s*$").expect("regex")
});
// `fn@url:line:col` (SpiderMonkey, JavaScriptCore) or a bare `url:line:col`
// (JavaScriptCore's anonymous frames).
static AT_SIGN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:(.*?)@)?(.+?):(\d+):(\d+)\s*$").expect("regex"));
// SpiderMonkey's eval frames: `fn@https://x/a.js line 2 > eval:1:1`.
static GECKO_EVAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" line (\d+) > (?:eval|Function).*$").expect("regex"));

/// The frames of `stack`, innermost first; lines that are not frames (the
/// message, `[native code]`, `<anonymous>`) are skipped.
pub fn parse(stack: &str) -> Vec<Frame> {
    stack
        .lines()
        .filter_map(parse_line)
        .take(MAX_FRAMES)
        .collect()
}

fn parse_line(line: &str) -> Option<Frame> {
    // V8's eval frames: `at eval (eval at load (url:4:5), <anonymous>:1:1)`:
    // the position in the script that called eval is the useful one.
    if let Some(i) = line.find("(eval at ") {
        let function = line[..i].trim().strip_prefix("at ").map(str::trim);
        let inner = &line[i + 9..];
        let pos = inner.split_once('(').map_or(inner, |(_, p)| p);
        let pos = pos.split([')', ',']).next()?;
        let mut parts = pos.rsplitn(3, ':');
        let (col, line_no, file) = (parts.next()?, parts.next()?, parts.next()?);
        return frame(function, file, line_no, col);
    }
    if let Some(c) = V8.captures(line) {
        return frame(c.get(1).map(|m| m.as_str()), &c[2], &c[3], &c[4]);
    }
    if line.trim_start().starts_with("at ") {
        return None; // a V8 line without a position: `at Array.forEach (<anonymous>)`
    }
    // An eval frame points into the eval'd code; the script that called
    // eval is the useful position: `fn@url line 2 > eval:1:1` → url:2:0.
    if let Some(e) = GECKO_EVAL.captures(line) {
        let head = &line[..e.get(0)?.start()];
        let (function, file) = head.rsplit_once('@')?;
        return frame(Some(function), file, &e[1], "0");
    }
    let c = AT_SIGN.captures(line)?;
    let function = c.get(1).map(|m| m.as_str());
    // a message line like "Error: x at y:1:2" has spaces where a URL has none
    if c[2].contains(' ') && !c[2].contains("://") {
        return None;
    }
    frame(function, &c[2], &c[3], &c[4])
}

fn frame(function: Option<&str>, file: &str, line: &str, col: &str) -> Option<Frame> {
    if file == "<anonymous>" || file.starts_with("[native") {
        return None;
    }
    // Firefox prefixes async continuations: `promise callback*fn`.
    let function = function
        .map(|f| f.rsplit('*').next().unwrap_or(f).trim())
        .filter(|f| !f.is_empty() && *f != "global code" && *f != "<anonymous>")
        .map(str::to_string);
    Some(Frame {
        function,
        file: file.to_string(),
        line: line.parse().ok()?,
        column: col.parse().ok()?,
    })
}

/// Whether a frame's file is the site's own code: not a dependency bundled
/// from `node_modules`, a vendor chunk, a browser extension or a polyfill
/// service.
pub fn in_app(file: &str) -> bool {
    let f = file.to_ascii_lowercase();
    !(f.contains("/node_modules/")
        || f.contains("/vendor/")
        || f.contains("/vendors")
        || f.contains("vendor.")
        || f.contains("vendor-")
        || f.starts_with("webpack/bootstrap")
        || f.contains("-extension://")
        || f.contains("polyfill"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(function: Option<&str>, file: &str, line: u32, column: u32) -> Frame {
        Frame {
            function: function.map(str::to_string),
            file: file.into(),
            line,
            column,
        }
    }

    // Real stacks, as Chrome 131, Firefox 133 and Safari 18 print them for
    // the same two nested calls from a click handler.
    const CHROME: &str = "TypeError: Cannot read properties of undefined (reading 'total')
    at computeTotal (https://shop.example/assets/app.3f9a2c1b.js:1:48213)
    at HTMLButtonElement.<anonymous> (https://shop.example/assets/app.3f9a2c1b.js:1:50122)
    at async Promise.all (index 0)
    at new Cart (https://shop.example/assets/app.3f9a2c1b.js:2:10)
    at Array.forEach (<anonymous>)
    at https://shop.example/assets/app.3f9a2c1b.js:3:7
    at eval (eval at load (https://shop.example/assets/app.3f9a2c1b.js:4:5), <anonymous>:1:1)";
    const FIREFOX: &str = "computeTotal@https://shop.example/assets/app.3f9a2c1b.js:1:48213
onClick/<@https://shop.example/assets/app.3f9a2c1b.js:1:50122
promise callback*load@https://shop.example/assets/app.3f9a2c1b.js:2:10
@https://shop.example/assets/app.3f9a2c1b.js:3:7
run@https://shop.example/assets/app.3f9a2c1b.js line 4 > eval:1:1
";
    const SAFARI: &str = "computeTotal@https://shop.example/assets/app.3f9a2c1b.js:1:48213
@https://shop.example/assets/app.3f9a2c1b.js:1:50122
forEach@[native code]
global code@https://shop.example/assets/app.3f9a2c1b.js:3:7
https://shop.example/assets/app.3f9a2c1b.js:5:9";

    const APP: &str = "https://shop.example/assets/app.3f9a2c1b.js";

    #[test]
    fn chrome_stacks() {
        assert_eq!(
            parse(CHROME),
            vec![
                f(Some("computeTotal"), APP, 1, 48213),
                f(Some("HTMLButtonElement.<anonymous>"), APP, 1, 50122),
                f(Some("new Cart"), APP, 2, 10),
                f(None, APP, 3, 7),
                f(Some("eval"), APP, 4, 5),
            ]
        );
    }

    #[test]
    fn firefox_stacks() {
        assert_eq!(
            parse(FIREFOX),
            vec![
                f(Some("computeTotal"), APP, 1, 48213),
                f(Some("onClick/<"), APP, 1, 50122),
                f(Some("load"), APP, 2, 10),
                f(None, APP, 3, 7),
                f(Some("run"), APP, 4, 0),
            ]
        );
    }

    #[test]
    fn safari_stacks() {
        assert_eq!(
            parse(SAFARI),
            vec![
                f(Some("computeTotal"), APP, 1, 48213),
                f(None, APP, 1, 50122),
                f(None, APP, 3, 7),
                f(None, APP, 5, 9),
            ]
        );
    }

    #[test]
    fn messages_and_junk_are_not_frames() {
        assert!(parse("Error: boom\nno frames here\n").is_empty());
        assert!(parse("").is_empty());
        let many = "    at f (https://x/a.js:1:1)\n".repeat(200);
        assert_eq!(parse(&many).len(), MAX_FRAMES);
    }

    #[test]
    fn dependencies_are_not_in_app() {
        assert!(in_app("https://shop.example/assets/app.js"));
        assert!(in_app("webpack://shop/./src/cart.ts"));
        assert!(!in_app(
            "webpack://shop/./node_modules/react-dom/cjs/react-dom.js"
        ));
        assert!(!in_app("https://shop.example/assets/vendor.4f2a.js"));
        assert!(!in_app("chrome-extension://abcdef/content.js"));
    }
}
