//! Server-side PII scrubbing of URLs and free text (error messages).

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

const REDACTED: &str = "[redacted]";

/// Query keys whose values are always replaced, matched as substrings of the
/// lower-cased, decoded key (so `access_token`, `X-Auth` and `userEmail` match).
const SENSITIVE_PARTS: &[&str] = &[
    "token",
    "password",
    "passwd",
    "secret",
    "email",
    "session",
    "auth",
    "apikey",
    "api_key",
    "signature",
    "jwt",
    "credential",
    "card",
    "iban",
    "ssn",
];
/// Keys too short to match as substrings without false positives.
const SENSITIVE_EXACT: &[&str] = &["code", "key", "sig", "pwd", "otp", "pin", "state"];

fn is_sensitive(key: &str, extra: &[String]) -> bool {
    let key = key.to_ascii_lowercase();
    SENSITIVE_PARTS.iter().any(|p| key.contains(p))
        || SENSITIVE_EXACT.contains(&key.as_str())
        || extra.iter().any(|e| key == e.to_ascii_lowercase())
}

/// Replaces the values of sensitive query parameters (and fragment
/// parameters, where single-page apps keep OAuth tokens) and scrubs PII
/// patterns from the rest of the URL.
pub fn scrub_url(url: &str, extra_keys: &[String]) -> String {
    let (before_hash, fragment) = match url.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (url, None),
    };
    let (base, query) = match before_hash.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_hash, None),
    };
    let mut out = scrub_text(base).into_owned();
    if let Some(q) = query {
        out.push('?');
        out.push_str(&scrub_params(q, extra_keys));
    }
    if let Some(f) = fragment {
        out.push('#');
        if f.contains('=') {
            out.push_str(&scrub_params(f, extra_keys));
        } else {
            out.push_str(&scrub_text(f));
        }
    }
    out
}

fn scrub_params(params: &str, extra_keys: &[String]) -> String {
    params
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_sensitive(&decode(k), extra_keys) => format!("{k}={REDACTED}"),
            _ => scrub_text(pair).into_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn decode(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)[a-z0-9._%+-]+(?:@|%40)[a-z0-9.-]+\.[a-z]{2,}").expect("regex")
});
static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+").expect("regex")
});
static BEARER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}").expect("regex"));
static CARD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d(?:[ -]?\d){12,18}\b").expect("regex"));
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b").expect("regex"));

/// Replaces emails, JWTs, bearer/basic credentials, Luhn-valid card numbers
/// and checksum-valid IBANs.
///
/// Runs in the writer for every URL and message, so each pattern first
/// needs a cheap sign that it could match (a byte scan), and untouched text
/// is never copied.
pub fn scrub_text(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let has = |needle: &[u8]| {
        b.windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    };
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let mut s = Cow::Borrowed(text);
    if b.contains(&b'@') || has(b"%40") {
        s = apply(s, &EMAIL, "[email]");
    }
    if has(b"eyJ") {
        s = apply(s, &JWT, "[jwt]");
    }
    if has(b"bearer") || has(b"basic") {
        s = apply(s, &BEARER, "$1 [redacted]");
    }
    if digits >= 13 {
        s = apply(s, &CARD, |c: &regex::Captures| {
            if luhn(&c[0]) {
                "[card]".to_string()
            } else {
                c[0].to_string()
            }
        });
    }
    let iban_start = |w: &[u8]| {
        w[0].is_ascii_uppercase()
            && w[1].is_ascii_uppercase()
            && w[2].is_ascii_digit()
            && w[3].is_ascii_digit()
    };
    if digits >= 2 && b.windows(4).any(iban_start) {
        s = apply(s, &IBAN, |c: &regex::Captures| {
            if iban_valid(&c[0]) {
                "[iban]".to_string()
            } else {
                c[0].to_string()
            }
        });
    }
    s
}

/// `re.replace_all`, keeping the input (borrowed or not) when nothing matched.
/// [`scrub_text`] over a JSON document's keys and string values, keeping
/// it JSON: scrubbing the text itself could turn a number (a 13-digit ms
/// timestamp is Luhn-valid one time in ten) into `[card]`, which is not.
/// Numbers are scrubbed only where the text would have been: they stay
/// numbers, or become a `"[card]"` string. Text that is not JSON is `{}`.
pub fn scrub_json(text: &str) -> String {
    fn walk(v: &mut serde_json::Value) {
        use serde_json::Value;
        match v {
            Value::String(s) => {
                if let Cow::Owned(o) = scrub_text(s) {
                    *s = o;
                }
            }
            Value::Number(n) => {
                let t = n.to_string();
                if let Cow::Owned(o) = scrub_text(&t) {
                    *v = Value::String(o);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            Value::Object(m) => {
                let entries = std::mem::take(m);
                for (k, mut val) in entries {
                    walk(&mut val);
                    m.insert(scrub_text(&k).into_owned(), val);
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }
    // Most documents hold nothing to scrub: parse only when the text
    // would change.
    if matches!(scrub_text(text), Cow::Borrowed(_)) {
        return text.to_string();
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut v) => {
            walk(&mut v);
            v.to_string()
        }
        Err(_) => "{}".to_string(),
    }
}

fn apply<'a>(s: Cow<'a, str>, re: &Regex, rep: impl regex::Replacer) -> Cow<'a, str> {
    let replaced = match re.replace_all(&s, rep) {
        Cow::Owned(o) => Some(o),
        Cow::Borrowed(_) => None,
    };
    replaced.map_or(s, Cow::Owned)
}

fn luhn(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn iban_valid(candidate: &str) -> bool {
    let s: String = candidate.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() < 15 || s.len() > 34 {
        return false;
    }
    let rearranged = format!("{}{}", &s[4..], &s[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        for d in v.to_string().chars() {
            rem = (rem * 10 + d.to_digit(10).expect("digit")) % 97;
        }
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_query_values_are_redacted() {
        let cases = [
            (
                "https://a.example/p?id=7&token=abc",
                "https://a.example/p?id=7&token=[redacted]",
            ),
            (
                "/login?Password=x&next=%2Fhome",
                "/login?Password=[redacted]&next=%2Fhome",
            ),
            (
                "/cb?code=123&state=xyz#access_token=t&x=1",
                "/cb?code=[redacted]&state=[redacted]#access_token=[redacted]&x=1",
            ),
            ("/u?user%5Femail=a", "/u?user%5Femail=[redacted]"),
            ("/plain/path", "/plain/path"),
            ("/p?q=shoes", "/p?q=shoes"),
            ("/users/bob@example.com/edit?x=1", "/users/[email]/edit?x=1"),
        ];
        for (input, want) in cases {
            assert_eq!(scrub_url(input, &[]), want, "{input}");
        }
        assert_eq!(
            scrub_url("/p?tenant=acme", &["tenant".into()]),
            "/p?tenant=[redacted]"
        );
    }

    #[test]
    fn json_stays_json_when_a_number_looks_like_a_card() {
        // Regression: a ms timestamp passing Luhn became a bare [card] in
        // the attributes' JSON text, and the API served `null`.
        let ts = (1_764_000_000_000u64..)
            .find(|t| luhn(&t.to_string()))
            .unwrap();
        let doc = format!(r#"{{"at":{ts},"who":"jane@example.com","n":3,"ok":true}}"#);
        let out: serde_json::Value = serde_json::from_str(&scrub_json(&doc)).unwrap();
        assert_eq!(out["at"], "[card]");
        assert_eq!(out["who"], "[email]");
        assert_eq!(
            (out["n"].as_i64(), out["ok"].as_bool()),
            (Some(3), Some(true))
        );
        let plain = r#"{"route":"/cart"}"#;
        assert_eq!(scrub_json(plain), plain);
        let nested = r#"{"jane@example.com":{"list":["4111 1111 1111 1111"]}}"#;
        assert_eq!(scrub_json(nested), r#"{"[email]":{"list":["[card]"]}}"#);
    }

    #[test]
    fn pii_in_text_is_replaced() {
        let cases = [
            ("failed for jane.doe@example.com", "failed for [email]"),
            ("card 4111 1111 1111 1111 declined", "card [card] declined"),
            (
                "order 1234567890123 not found",
                "order 1234567890123 not found",
            ),
            (
                "Authorization: Bearer abcdefghijklmnop",
                "Authorization: Bearer [redacted]",
            ),
            ("t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_1", "t=[jwt]"),
            ("pay to DE89370400440532013000", "pay to [iban]"),
            ("plain message", "plain message"),
        ];
        for (input, want) in cases {
            assert_eq!(scrub_text(input), want, "{input}");
        }
    }
}
