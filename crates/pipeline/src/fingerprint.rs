//! Grouping of errors into issues.

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};

/// A parsed stack frame: function (if named), file URL, line, column.
#[derive(Debug, PartialEq)]
struct Frame<'a> {
    function: Option<&'a str>,
    file: &'a str,
    line: u32,
    col: u32,
}

// V8: "    at fn (https://x/app.js:10:5)" or "    at https://x/app.js:10:5".
static V8: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*at (?:(?:async )?(.+?) \()?(.+?):(\d+):(\d+)\)?\s*$").expect("regex")
});
// SpiderMonkey / JavaScriptCore: "fn@https://x/app.js:10:5".
static GECKO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(.*?)@(.+?):(\d+):(\d+)\s*$").expect("regex"));

fn first_frame(stack: &str) -> Option<Frame<'_>> {
    stack.lines().find_map(|line| {
        let caps = V8.captures(line).or_else(|| GECKO.captures(line))?;
        Some(Frame {
            function: caps.get(1).map(|m| m.as_str()).filter(|f| !f.is_empty()),
            file: caps.get(2)?.as_str(),
            line: caps[3].parse().ok()?,
            col: caps[4].parse().ok()?,
        })
    })
}

/// `fn (app.js:10:5)` for the innermost frame of a stack, for display.
pub fn top_frame(stack: &str) -> Option<String> {
    let f = first_frame(stack)?;
    let file = strip_query(f.file);
    Some(match f.function {
        Some(func) => format!("{func} ({file}:{}:{})", f.line, f.col),
        None => format!("{file}:{}:{}", f.line, f.col),
    })
}

fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

static VARIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
        [0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}  # uuid
        | \b0x[0-9a-fA-F]+\b | \b[0-9a-f]{8,}\b                                      # hex ids
        | "[^"]*" | '[^']*' | `[^`]*`                                                # quoted values
        | \d+(?:\.\d+)?                                                              # numbers
        | https?://\S+                                                               # urls
    "#,
    )
    .expect("regex")
});
// Build hashes in file names ("app.3f9a2c1b.js") change on every deploy.
static HASHED_FILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[.-][0-9a-f]{6,}(\.\w+)$").expect("regex"));

/// Normalises the parts of a message that vary between occurrences of one
/// problem (ids, numbers, quoted values, URLs).
fn normalise_message(message: &str) -> String {
    VARIABLE.replace_all(message.trim(), "<*>").into_owned()
}

/// The issue an error belongs to: its kind, normalised message and the
/// function and file (path only, build hash removed) of its top frame.
/// For network and resource errors, which have no stack, the failing URL's
/// path stands in for the frame.
pub fn fingerprint(
    kind: Option<&str>,
    message: &str,
    stack: Option<&str>,
    resource_url: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    h.update(kind.unwrap_or("Error").as_bytes());
    h.update([0]);
    h.update(normalise_message(message).as_bytes());
    h.update([0]);
    if let Some(f) = stack.and_then(first_frame) {
        h.update(f.function.unwrap_or("").as_bytes());
        h.update([0]);
        h.update(
            HASHED_FILE
                .replace(path_of(strip_query(f.file)), "$1")
                .as_bytes(),
        );
    } else if let Some(url) = resource_url {
        h.update(path_of(strip_query(url)).as_bytes());
    }
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The path of a URL without scheme and host, so the same script served
/// from two CDNs groups together.
fn path_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            rest.find('/').map_or("/", |p| &rest[p..])
        }
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "TypeError: Cannot read properties of undefined (reading 'x')\n    at render (https://cdn.example/app.3f9a2c1b.js:10:5)\n    at main (https://cdn.example/app.3f9a2c1b.js:20:1)";
    const FIREFOX: &str = "render@https://cdn.example/app.3f9a2c1b.js:10:5\nmain@https://cdn.example/app.3f9a2c1b.js:20:1";

    #[test]
    fn top_frames_of_each_engine() {
        assert_eq!(
            top_frame(CHROME).unwrap(),
            "render (https://cdn.example/app.3f9a2c1b.js:10:5)"
        );
        assert_eq!(
            top_frame(FIREFOX).unwrap(),
            "render (https://cdn.example/app.3f9a2c1b.js:10:5)"
        );
        assert_eq!(
            top_frame("    at https://x/a.js?v=2:1:2").unwrap(),
            "https://x/a.js:1:2"
        );
        assert_eq!(top_frame("no frames here"), None);
    }

    #[test]
    fn occurrences_of_one_problem_share_a_fingerprint() {
        let a = fingerprint(
            Some("TypeError"),
            "item 42 not found for 'bob'",
            Some(CHROME),
            None,
        );
        let b = fingerprint(
            Some("TypeError"),
            "item 7 not found for 'alice'",
            Some(
                &CHROME
                    .replace("3f9a2c1b", "77aa88bb")
                    .replace("cdn.example", "other.example"),
            ),
            None,
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 16);
    }

    #[test]
    fn different_problems_differ() {
        let base = fingerprint(Some("TypeError"), "x is undefined", Some(CHROME), None);
        assert_ne!(
            base,
            fingerprint(Some("RangeError"), "x is undefined", Some(CHROME), None)
        );
        assert_ne!(
            base,
            fingerprint(Some("TypeError"), "y is undefined", Some(CHROME), None)
        );
        assert_ne!(
            base,
            fingerprint(
                Some("TypeError"),
                "x is undefined",
                Some(&CHROME.replace("render", "paint")),
                None
            )
        );
        assert_ne!(
            fingerprint(None, "GET failed", None, Some("https://a/api/cart?x=1")),
            fingerprint(None, "GET failed", None, Some("https://a/api/user"))
        );
    }
}
