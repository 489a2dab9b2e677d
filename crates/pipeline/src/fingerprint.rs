//! Grouping of errors into issues (`docs/errors.md`): one bug, one issue.
//!
//! An error's fingerprint is its type, its message with the parts that vary
//! between occurrences normalised away, and its top in-app frames (function
//! and file, not line, so that a moved line stays one issue) after
//! symbolication. Network errors group by method, route template and status
//! class instead; the browser's opaque cross-origin `Script error.` is one
//! issue of its own.

use std::sync::LazyLock;

use fovea_symbolicate::{in_app, Frame};
use regex::Regex;
use sha2::{Digest, Sha256};

/// Maps minified frames to the original source: the server's uploaded
/// source maps.
pub trait Symbolicate: Send + Sync {
    /// The frames of an error of `app_id`'s `release`, each replaced by its
    /// original position where a source map covers it.
    fn symbolicate(&self, app_id: &str, release: Option<&str>, frames: Vec<Frame>) -> Vec<Frame>;
}

/// The in-app frames that decide an issue.
const GROUPING_FRAMES: usize = 3;

/// `fn (app.js:10:5)` for the innermost frame, for display.
pub fn top_frame(frames: &[Frame]) -> Option<String> {
    let f = frames.first()?;
    let file = strip_query(&f.file);
    Some(match &f.function {
        Some(func) => format!("{func} ({file}:{}:{})", f.line, f.column),
        None => format!("{file}:{}:{}", f.line, f.column),
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
        | https?://\S+                                                               # urls
        | \d+(?:\.\d+)?                                                              # numbers
    "#,
    )
    .expect("regex")
});
// Build hashes in file names ("app.3f9a2c1b.js") change on every deploy.
static HASHED_FILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[.-][0-9a-fA-F]{6,}(\.\w+)$").expect("regex"));

/// Normalises the parts of a message that vary between occurrences of one
/// problem (ids, numbers, quoted values, URLs).
pub fn normalise_message(message: &str) -> String {
    VARIABLE.replace_all(message.trim(), "<*>").into_owned()
}

/// What an error is, for grouping.
pub struct ErrorFacts<'a> {
    pub kind: Option<&'a str>,
    pub message: &'a str,
    /// Symbolicated where a source map covered them, innermost first.
    pub frames: &'a [Frame],
    /// For network and resource errors: the failing URL.
    pub resource_url: Option<&'a str>,
    pub status: Option<u16>,
    pub source: &'a str,
}

/// The issue an error belongs to (16 hex characters).
pub fn fingerprint(e: &ErrorFacts<'_>) -> String {
    let mut h = Sha256::new();
    let mut part = |s: &str| {
        h.update(s.as_bytes());
        h.update([0]);
    };
    if e.frames.is_empty() && e.message.trim() == "Script error." {
        part("script-error");
    } else if e.source == "network" {
        // `GET /api/orders/42 → 500` and `GET /api/orders/7 → 503` are one issue.
        let method = e.message.split_whitespace().next().filter(|m| is_method(m));
        part("network");
        part(method.unwrap_or(""));
        part(&route_template(path_of(strip_query(
            e.resource_url.unwrap_or(""),
        ))));
        part(&status_class(e.status));
    } else {
        part(e.kind.unwrap_or("Error"));
        part(&normalise_message(e.message));
        let app: Vec<&Frame> = e.frames.iter().filter(|f| in_app(&f.file)).collect();
        let frames: Vec<&Frame> = if app.is_empty() {
            e.frames.iter().take(1).collect()
        } else {
            app.into_iter().take(GROUPING_FRAMES).collect()
        };
        for f in frames {
            part(f.function.as_deref().unwrap_or(""));
            part(&HASHED_FILE.replace(path_of(strip_query(&f.file)), "$1"));
        }
        if e.frames.is_empty() {
            if let Some(url) = e.resource_url {
                part(&route_template(path_of(strip_query(url))));
            }
        }
    }
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A custom fingerprint (the SDK's `fingerprint` option), as a fingerprint.
pub fn custom_fingerprint(key: &str) -> String {
    let digest = Sha256::digest(format!("custom\0{key}").as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn is_method(m: &str) -> bool {
    matches!(
        m,
        "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
    )
}

fn status_class(status: Option<u16>) -> String {
    match status {
        None | Some(0) => "network failure".into(),
        Some(s) => format!("{}xx", s / 100),
    }
}

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
        .expect("regex")
});

/// A URL path with its ids as `:id`: numbers, UUIDs, hashes, and long
/// tokens mixing letters and digits.
pub fn route_template(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let digits = seg.bytes().filter(u8::is_ascii_digit).count();
            let id = !seg.is_empty()
                && (seg.bytes().all(|b| b.is_ascii_digit())
                    || UUID.is_match(seg)
                    || (seg.len() >= 8
                        && seg.bytes().all(|b| b.is_ascii_hexdigit())
                        && digits > 0)
                    || (seg.len() >= 16
                        && digits >= 2
                        && seg
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')));
            if id {
                ":id"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
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
    use fovea_symbolicate::parse;

    use super::*;

    const CHROME: &str = "TypeError: Cannot read properties of undefined (reading 'x')\n    at render (https://cdn.example/app.3f9a2c1b.js:10:5)\n    at main (https://cdn.example/app.3f9a2c1b.js:20:1)";
    const FIREFOX: &str = "render@https://cdn.example/app.3f9a2c1b.js:10:5\nmain@https://cdn.example/app.3f9a2c1b.js:20:1";

    fn facts<'a>(kind: &'a str, message: &'a str, frames: &'a [Frame]) -> ErrorFacts<'a> {
        ErrorFacts {
            kind: Some(kind),
            message,
            frames,
            resource_url: None,
            status: None,
            source: "source",
        }
    }

    fn fp(kind: &str, message: &str, stack: &str) -> String {
        fingerprint(&facts(kind, message, &parse(stack)))
    }

    #[test]
    fn top_frames_of_each_engine() {
        assert_eq!(
            top_frame(&parse(CHROME)).unwrap(),
            "render (https://cdn.example/app.3f9a2c1b.js:10:5)"
        );
        assert_eq!(
            top_frame(&parse(FIREFOX)).unwrap(),
            "render (https://cdn.example/app.3f9a2c1b.js:10:5)"
        );
        assert_eq!(
            top_frame(&parse("    at https://x/a.js?v=2:1:2")).unwrap(),
            "https://x/a.js:1:2"
        );
        assert_eq!(top_frame(&parse("no frames here")), None);
    }

    #[test]
    fn occurrences_of_one_problem_share_a_fingerprint() {
        let a = fp("TypeError", "item 42 not found for 'bob'", CHROME);
        let moved = CHROME
            .replace("3f9a2c1b", "77aa88bb")
            .replace("cdn.example", "other.example")
            .replace(":10:5", ":12:9");
        let b = fp("TypeError", "item 7 not found for 'alice'", &moved);
        assert_eq!(
            a, b,
            "other ids, another deploy's hash, another host, a moved line: one issue"
        );
        assert_eq!(a.len(), 16);
        assert_eq!(
            fp("TypeError", "x", CHROME),
            fp("TypeError", "x", FIREFOX),
            "engines agree"
        );
    }

    #[test]
    fn different_problems_differ() {
        let base = fp("TypeError", "x is undefined", CHROME);
        assert_ne!(base, fp("RangeError", "x is undefined", CHROME));
        assert_ne!(base, fp("TypeError", "y is undefined", CHROME));
        assert_ne!(
            base,
            fp(
                "TypeError",
                "x is undefined",
                &CHROME.replace("render", "paint")
            )
        );
        assert_ne!(
            base,
            fp(
                "TypeError",
                "x is undefined",
                &CHROME.replace("main (", "boot (")
            ),
            "the calling in-app frames count too"
        );
    }

    #[test]
    fn dependency_frames_do_not_split_an_issue() {
        let ours = "TypeError: x\n    at save (https://a.example/app.js:1:2)";
        let via_lib = "TypeError: x\n    at dispatch (https://a.example/node_modules/lib/index.js:9:9)\n    at save (https://a.example/app.js:1:2)";
        assert_eq!(fp("TypeError", "x", ours), fp("TypeError", "x", via_lib));
    }

    #[test]
    fn network_errors_group_by_method_route_and_status_class() {
        let net = |message: &'static str, url: &'static str, status: u16| {
            fingerprint(&ErrorFacts {
                kind: Some("HTTPError"),
                message,
                frames: &[],
                resource_url: Some(url),
                status: Some(status),
                source: "network",
            })
        };
        let a = net(
            "GET https://api.example/orders/42 → 500",
            "https://api.example/orders/42?x=1",
            500,
        );
        assert_eq!(
            a,
            net(
                "GET https://api.example/orders/7 → 503",
                "https://api.example/orders/7",
                503
            )
        );
        assert_ne!(
            a,
            net(
                "GET https://api.example/orders/7 → 404",
                "https://api.example/orders/7",
                404
            )
        );
        assert_ne!(
            a,
            net(
                "POST https://api.example/orders/7 → 500",
                "https://api.example/orders/7",
                500
            )
        );
        assert_ne!(
            a,
            net(
                "GET https://api.example/users/7 → 500",
                "https://api.example/users/7",
                500
            )
        );
    }

    #[test]
    fn cross_origin_script_errors_are_one_issue() {
        let a = fingerprint(&facts("Error", "Script error.", &[]));
        assert_eq!(a, fingerprint(&facts("", "Script error.", &[])));
        assert_ne!(a, fingerprint(&facts("Error", "Other error.", &[])));
    }

    /// The same file is checked by the SDK's tests: the browser matches
    /// sampling rules on the template the server stores.
    #[test]
    fn routes_lose_their_ids_as_the_shared_vectors_say() {
        #[derive(serde::Deserialize)]
        struct Vectors {
            cases: Vec<(String, String)>,
        }
        let v: Vectors =
            serde_json::from_str(include_str!("../../schema/route_template_vectors.json")).unwrap();
        let wrong: Vec<_> = v
            .cases
            .iter()
            .filter(|(path, want)| route_template(path) != *want)
            .map(|(path, want)| format!("{path}: {} (want {want})", route_template(path)))
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn custom_fingerprints_are_their_own_issues() {
        assert_eq!(
            custom_fingerprint("checkout"),
            custom_fingerprint("checkout")
        );
        assert_ne!(custom_fingerprint("checkout"), custom_fingerprint("cart"));
    }
}
