//! Server-side PII scrubbing of free text, URLs and JSON documents: the
//! second line of defence behind the SDK's masking. The writer runs every
//! stored string of an event, a replay segment or a span through the app's
//! [`Scrubber`].
//!
//! Whatever is found becomes one placeholder, `[redacted]`. It and the
//! sensitive query keys come from `crates/schema/scrub.json`, the file the
//! browser SDK reads too, so both sides redact the same keys the same way.
//!
//! What a scrubber finds in text, in this order:
//! 1. the app's own patterns ([`Scrubber::with_patterns`]);
//! 2. the values of sensitive query (and fragment) keys of URLs in the text;
//! 3. JWTs, then bearer and basic credentials;
//! 4. emails, also `%40`-encoded;
//! 5. IBANs (any case, grouped or not; checksum and the country's length),
//!    then card numbers (Luhn over every window of 13 to 19 digits). IBANs
//!    go first: a grouped IBAN holds windows of card-like digits;
//! 6. IPv6, then IPv4 addresses (loopback and unspecified stay);
//! 7. phone numbers: international (`+44 20 7946 0958`), North American
//!    (`(555) 123-4567`, `555-123-4567`) and national with a trunk `0`
//!    (`06 12 34 56 78`, `020 7946 0958`).
//!
//! Each pattern is validated (checksums, lengths, octets, the characters
//! around it) so that what looks alike stays: timestamps, dates, times,
//! versions, prices, ids, UUIDs and hashes. `tests/scrub_corpus.json` holds
//! the cases, both ways. Names and postal addresses are not recognised:
//! masking them is the SDK's job.
//!
//! Invariants:
//! - text with nothing to scrub is returned as it came, never copied;
//! - no regex is compiled per call: the built-in ones are statics, an app's
//!   are compiled once, when its `Scrubber` is built;
//! - each built-in pattern runs only when a scan of the bytes (`Signs`)
//!   says it could match;
//! - no built-in pattern matches the placeholder, so scrubbing scrubbed
//!   text changes nothing.

use std::borrow::Cow;
use std::fmt;
use std::net::Ipv6Addr;
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::Value;

/// The placeholder and the sensitive query keys, shared with the SDK.
const SCRUB_JSON: &str = include_str!("../../schema/scrub.json");

#[derive(Deserialize)]
struct Shared {
    placeholder: String,
    /// Matched as substrings of the lower-cased, decoded key, so
    /// `access_token`, `X-Auth` and `userEmail` match.
    query_key_parts: Vec<String>,
    /// Too short to match as substrings without false positives.
    query_keys_exact: Vec<String>,
}

static SHARED: LazyLock<Shared> = LazyLock::new(|| {
    let mut shared: Shared =
        serde_json::from_str(SCRUB_JSON).expect("scrub.json parses (checked by a test)");
    for key in shared
        .query_key_parts
        .iter_mut()
        .chain(shared.query_keys_exact.iter_mut())
    {
        key.make_ascii_lowercase();
    }
    shared
});

/// `query_key_parts` as one regex: one pass over a key, not one per part.
static SENSITIVE_PARTS: LazyLock<Regex> = LazyLock::new(|| {
    let parts: Vec<String> = SHARED
        .query_key_parts
        .iter()
        .map(|p| regex::escape(p))
        .collect();
    regex(&parts.join("|"))
});

/// What every scrubbed value becomes: `[redacted]`.
pub fn placeholder() -> &'static str {
    &SHARED.placeholder
}

/// Why an app's scrubbing patterns were refused.
#[derive(Debug, thiserror::Error)]
pub enum ScrubError {
    #[error("scrub pattern {pattern:?} is not a valid regex: {source}")]
    Invalid {
        pattern: String,
        #[source]
        source: Box<regex::Error>,
    },
    /// It would put a placeholder between every two characters.
    #[error("scrub pattern {0:?} matches the empty string")]
    MatchesEmpty(String),
}

/// An app's patterns are compiled into at most this much memory each.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// Scrubs text, URLs and JSON documents: the built-in patterns plus an
/// app's own query keys and patterns. Build one per app, when its settings
/// change, not per event: [`Scrubber::with_patterns`] compiles regexes.
/// Cloning is cheap (the app's part is shared), and
/// [`Scrubber::default()`], the built-in patterns alone, allocates nothing.
#[derive(Clone, Default)]
pub struct Scrubber {
    extra: Option<Arc<Extra>>,
}

#[derive(Clone, Default)]
struct Extra {
    /// Lower-cased, matched exactly like `query_keys_exact`.
    query_keys: Vec<String>,
    patterns: Vec<Regex>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extra = self.extra.as_deref();
        f.debug_struct("Scrubber")
            .field("query_keys", &extra.map_or(&[][..], |e| &e.query_keys))
            .field(
                "patterns",
                &extra.map_or(Vec::new(), |e| {
                    e.patterns.iter().map(Regex::as_str).collect::<Vec<_>>()
                }),
            )
            .finish()
    }
}

impl Scrubber {
    /// Also redacts the values of these query keys (exact,
    /// case-insensitive), in URLs and in URLs inside text.
    pub fn with_query_keys(self, keys: &[String]) -> Scrubber {
        let keys: Vec<String> = keys
            .iter()
            .map(|k| k.trim().to_ascii_lowercase())
            .filter(|k| !k.is_empty())
            .collect();
        if keys.is_empty() {
            return self;
        }
        let mut extra = self.into_extra();
        extra.query_keys.extend(keys);
        Scrubber {
            extra: Some(Arc::new(extra)),
        }
    }

    /// Also redacts whatever these regexes (Rust `regex` syntax) match in
    /// text, before the built-in patterns. A pattern that does not compile,
    /// or that matches the empty string, is an error.
    pub fn with_patterns(self, patterns: &[String]) -> Result<Scrubber, ScrubError> {
        if patterns.is_empty() {
            return Ok(self);
        }
        let mut extra = self.into_extra();
        for p in patterns {
            let re = RegexBuilder::new(p)
                .size_limit(PATTERN_SIZE_LIMIT)
                .build()
                .map_err(|e| ScrubError::Invalid {
                    pattern: p.clone(),
                    source: Box::new(e),
                })?;
            if re.is_match("") {
                return Err(ScrubError::MatchesEmpty(p.clone()));
            }
            extra.patterns.push(re);
        }
        Ok(Scrubber {
            extra: Some(Arc::new(extra)),
        })
    }

    fn into_extra(self) -> Extra {
        self.extra
            .map(|e| Arc::try_unwrap(e).unwrap_or_else(|shared| (*shared).clone()))
            .unwrap_or_default()
    }

    /// Free text (messages, stacks, selectors, names), with every pattern
    /// of the module documentation replaced by the placeholder.
    pub fn text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.scrub(text, false)
    }

    /// A URL: the values of sensitive query and fragment parameters (where
    /// single-page apps keep OAuth tokens) are replaced, then the whole URL
    /// is scrubbed as text (an email in the path, a card number in a
    /// parameter that is not sensitive by name).
    pub fn url<'a>(&self, url: &'a str) -> Cow<'a, str> {
        self.scrub(url, true)
    }

    /// [`Scrubber::text`] over a JSON document's keys and string values,
    /// keeping it JSON: scrubbing the text itself could turn a number into
    /// a bare placeholder, which is not JSON. A number is scrubbed where the
    /// text would have been: it stays a number, or becomes a placeholder
    /// string. A document that needs scrubbing but is not JSON becomes `{}`.
    pub fn json<'a>(&self, doc: &'a str) -> Cow<'a, str> {
        // Most documents hold nothing to scrub: parse only when the text
        // would change, or when the text could hide what would: `\u`
        // escapes, and numbers in arrays (`[4111111111111111,1]` reads as
        // a decimal in text).
        let number_list = doc
            .as_bytes()
            .windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1] == b',' && w[2].is_ascii_digit());
        if !doc.contains("\\u") && !number_list && matches!(self.text(doc), Cow::Borrowed(_)) {
            return Cow::Borrowed(doc);
        }
        match serde_json::from_str::<Value>(doc) {
            Ok(mut v) => {
                if self.walk(&mut v) {
                    Cow::Owned(v.to_string())
                } else {
                    Cow::Borrowed(doc)
                }
            }
            Err(_) => Cow::Borrowed("{}"),
        }
    }

    /// Scrubs `v` in place; whether anything changed.
    fn walk(&self, v: &mut Value) -> bool {
        match v {
            Value::String(s) => {
                let scrubbed = match self.text(s) {
                    Cow::Owned(o) => Some(o),
                    Cow::Borrowed(_) => None,
                };
                scrubbed.map(|o| *s = o).is_some()
            }
            Value::Number(n) => {
                let t = n.to_string();
                match self.text(&t) {
                    Cow::Owned(o) => {
                        *v = Value::String(o);
                        true
                    }
                    Cow::Borrowed(_) => false,
                }
            }
            Value::Array(a) => a.iter_mut().fold(false, |ch, i| self.walk(i) | ch),
            Value::Object(m) => {
                let mut changed = false;
                let entries = std::mem::take(m);
                for (k, mut val) in entries {
                    changed |= self.walk(&mut val);
                    let key = match self.text(&k) {
                        Cow::Owned(o) => {
                            changed = true;
                            o
                        }
                        Cow::Borrowed(_) => k,
                    };
                    m.insert(key, val);
                }
                changed
            }
            Value::Null | Value::Bool(_) => false,
        }
    }

    fn scrub<'a>(&self, text: &'a str, whole_url: bool) -> Cow<'a, str> {
        let mut s = Cow::Borrowed(text);
        if let Some(extra) = &self.extra {
            for re in &extra.patterns {
                s = redact(s, |t, out| {
                    out.extend(re.find_iter(t).filter(|m| !m.is_empty()).map(|m| m.range()))
                });
            }
        }
        // Replacing only ever removes signs (the placeholder has none), so
        // the signs of the input hold for every step.
        let signs = Signs::of(text.as_bytes());
        if whole_url {
            s = redact(s, |t, out| self.param_values(t, 0, out));
        } else if signs.query {
            // Around each `?` and `#`, the run of characters a URL can
            // hold: quotes, brackets and whitespace end it.
            let url_char = |c: u8| CLASSES[usize::from(c)] & URL_END == 0;
            s = redact(s, |t, out| {
                runs(
                    t.as_bytes(),
                    |c| c == b'?' || c == b'#',
                    url_char,
                    |r| {
                        if t[r.clone()].contains('=') {
                            self.param_values(&t[r.clone()], r.start, out)
                        }
                    },
                )
            });
        }
        if text.contains("eyJ") {
            s = redact(s, |t, out| out.extend(JWT.find_iter(t).map(|m| m.range())));
        }
        // The regex is case-insensitive; the pre-check takes the usual
        // spellings (`Bearer`, `bearer`, `BEARER`), not `bEaReR`.
        if ["earer", "EARER", "asic", "ASIC"]
            .iter()
            .any(|w| text.contains(w))
        {
            s = redact(s, credentials);
        }
        if signs.at || (signs.percent && text.contains("%40")) {
            s = redact(s, emails);
        }
        if signs.iban {
            s = redact(s, ibans);
        }
        if signs.chain >= 13 {
            s = redact(s, cards);
        }
        if signs.colons >= 2 && signs.digits >= 1 {
            s = redact(s, ipv6s);
        }
        if signs.dots >= 3 && signs.digits >= 4 {
            s = redact(s, ipv4s);
        }
        if signs.phone && signs.digits >= PHONE_MIN_DIGITS {
            s = redact(s, phones);
        }
        s
    }

    /// The values of sensitive parameters in the query and the fragment of
    /// `url`, which starts at `offset` of the text.
    fn param_values(&self, url: &str, offset: usize, out: &mut Vec<Range<usize>>) {
        let hash = url.find('#');
        let before_hash = &url[..hash.unwrap_or(url.len())];
        if let Some(q) = before_hash.find('?') {
            self.pairs(&before_hash[q + 1..], offset + q + 1, out);
        }
        if let Some(h) = hash {
            let fragment = &url[h + 1..];
            if fragment.contains('=') {
                self.pairs(fragment, offset + h + 1, out);
            }
        }
    }

    fn pairs(&self, params: &str, offset: usize, out: &mut Vec<Range<usize>>) {
        let mut at = offset;
        for pair in params.split('&') {
            if let Some((key, value)) = pair.split_once('=') {
                let value_at = at + key.len() + 1;
                // In a fragment route (`#/cb?code=…`) the key follows a `?`.
                let key = key.rsplit('?').next().unwrap_or(key);
                let redacted = value.is_empty() || value == placeholder();
                if !redacted && self.is_sensitive(&decode(key)) {
                    out.push(value_at..value_at + value.len());
                } else if !redacted && value.contains('?') {
                    // A URL in a parameter: `next=/cb?token=…`.
                    self.param_values(value, value_at, out);
                }
            }
            at += pair.len() + 1;
        }
    }

    fn is_sensitive(&self, key: &str) -> bool {
        let key = key.trim();
        let mut buf = [0u8; 64];
        let lower: Cow<'_, str> = match buf.get_mut(..key.len()) {
            Some(buf) => {
                buf.copy_from_slice(key.as_bytes());
                buf.make_ascii_lowercase();
                Cow::Borrowed(std::str::from_utf8(buf).expect("ASCII case changes keep UTF-8"))
            }
            None => Cow::Owned(key.to_ascii_lowercase()),
        };
        let key = lower.as_ref();
        SENSITIVE_PARTS.is_match(key)
            || SHARED.query_keys_exact.iter().any(|k| k == key)
            || self
                .extra
                .as_deref()
                .is_some_and(|e| e.query_keys.iter().any(|k| k == key))
    }
}

/// What one pass over the bytes says could be in the text; each pattern
/// runs only when its sign is there. Each sign is necessary for its
/// pattern, never sufficient.
struct Signs {
    digits: usize,
    colons: usize,
    dots: usize,
    at: bool,
    percent: bool,
    /// A `?` or `#`, and a `=`: a URL with parameters could be in there.
    query: bool,
    /// Two ASCII letters, then two digits: how an IBAN starts.
    iban: bool,
    /// The most digits in one chain of digits joined by single spaces or
    /// dashes: a card number is 13 to 19 of them.
    chain: usize,
    /// `+` or `(` before a digit, or a separator between digits: every
    /// phone number shape has one.
    phone: bool,
}

const DIGIT: u16 = 1;
const COLON: u16 = 1 << 1;
const DOT: u16 = 1 << 2;
const AT: u16 = 1 << 3;
const PERCENT: u16 = 1 << 4;
const MARK: u16 = 1 << 5;
const EQ: u16 = 1 << 6;
const ALPHA: u16 = 1 << 7;
/// Between the groups of a phone number: ` .-/`.
const PHONE_SEP: u16 = 1 << 8;
/// Between the groups of a card number: ` -`.
const CARD_SEP: u16 = 1 << 9;
/// Before a phone number's first digit: `+(`.
const OPEN: u16 = 1 << 10;
/// Ends a URL in text: ASCII whitespace, quotes, brackets.
const URL_END: u16 = 1 << 11;

static CLASSES: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = match c as u8 {
            b'0'..=b'9' => DIGIT,
            b'a'..=b'z' | b'A'..=b'Z' => ALPHA,
            b':' => COLON,
            b'.' => DOT | PHONE_SEP,
            b'@' => AT,
            b'%' => PERCENT,
            b'?' | b'#' => MARK,
            b'=' => EQ,
            b' ' => PHONE_SEP | CARD_SEP | URL_END,
            b'-' => PHONE_SEP | CARD_SEP,
            b'/' => PHONE_SEP,
            b'+' => OPEN,
            b'(' => OPEN | URL_END,
            b'\t' | b'\n' | b'\x0c' | b'\r' | b'"' | b'\'' | b'<' | b'>' | b')' | b'[' | b']'
            | b'{' | b'}' | b'`' => URL_END,
            _ => 0,
        };
        c += 1;
    }
    t
};

impl Signs {
    /// Two passes, both cheap: counts over every byte (a table lookup,
    /// no branches), then what depends on the neighbours of each digit.
    fn of(b: &[u8]) -> Signs {
        let (mut digits, mut colons, mut dots, mut seen) = (0, 0, 0, 0u16);
        for &c in b {
            let k = CLASSES[usize::from(c)];
            seen |= k;
            digits += usize::from(k & DIGIT != 0);
            colons += usize::from(k & COLON != 0);
            dots += usize::from(k & DOT != 0);
        }
        let (mut iban, mut phone, mut chain, mut longest) = (false, false, 0, 0);
        if digits >= 2 {
            for (i, &c) in b.iter().enumerate() {
                if !c.is_ascii_digit() {
                    continue;
                }
                let class = |n: usize| i.checked_sub(n).map_or(0, |j| CLASSES[usize::from(b[j])]);
                let (p1, p2, p3) = (class(1), class(2), class(3));
                iban |= p1 & DIGIT != 0 && p2 & ALPHA != 0 && p3 & ALPHA != 0;
                phone |= p1 & OPEN != 0 || (p1 & PHONE_SEP != 0 && p2 & DIGIT != 0);
                let joined = p1 & DIGIT != 0 || (p1 & CARD_SEP != 0 && p2 & DIGIT != 0);
                chain = if joined { chain + 1 } else { 1 };
                longest = longest.max(chain);
            }
        }
        Signs {
            digits,
            colons,
            dots,
            at: seen & AT != 0,
            percent: seen & PERCENT != 0,
            query: seen & MARK != 0 && seen & EQ != 0,
            iban,
            chain: longest,
            phone,
        }
    }
}

/// `s` with the ranges `find` reports (ascending, not overlapping) replaced
/// by the placeholder; `s` itself, not a copy, when it reports none.
fn redact<'a>(s: Cow<'a, str>, find: impl FnOnce(&str, &mut Vec<Range<usize>>)) -> Cow<'a, str> {
    let mut ranges = Vec::new();
    find(&s, &mut ranges);
    if ranges.is_empty() {
        return s;
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for r in ranges {
        out.push_str(&s[last..r.start]);
        out.push_str(placeholder());
        last = r.end;
    }
    out.push_str(&s[last..]);
    Cow::Owned(out)
}

/// Percent- and `+`-decoding of a query key.
fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '+']) {
        return Cow::Borrowed(s);
    }
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
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn regex(re: &str) -> Regex {
    Regex::new(re).expect("built-in scrub regex")
}

static JWT: LazyLock<Regex> =
    LazyLock::new(|| regex(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"));
static CREDENTIALS: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b(?:bearer|basic)(?:[ \t]+|%20|\+)([A-Za-z0-9._~+/=-]{8,})"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(?i)[a-z0-9._%+-]+(?:@|%40)[a-z0-9-]+(?:\.[a-z0-9-]+)*\.([a-z]{2,63})\b")
});
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?x)
          \+[1-9][0-9]{0,3}(?:[\ .-]?(?:\([0-9]{1,4}\)|[0-9]{1,6})){1,7}  # +44 20 7946 0958
        | (?:\b1[\ .-])?\([0-9]{3}\)\ ?[0-9]{3}[\ .-][0-9]{4}           # (555) 123-4567
        | (?:\b1[.-])?\b[0-9]{3}[.-][0-9]{3}[.-][0-9]{4}                 # 555-123-4567
        | \b0[0-9]{1,4}(?:[\ ./-][0-9]{2,8}){1,4}                       # 06 12 34 56 78
        ",
    )
});

/// `Bearer`/`Basic` credentials. So that prose ("basic authentication
/// required", "basic JavaScript types") stays, the credential must look
/// like one (a digit, base64 or token punctuation, or both cases over 20
/// characters) or follow `Authorization`.
fn credentials(t: &str, out: &mut Vec<Range<usize>>) {
    for c in CREDENTIALS.captures_iter(t) {
        let (all, token) = (c.get(0).expect("match"), c.get(1).expect("group"));
        let tok = token.as_str();
        let b = tok.as_bytes();
        let looks_like_one = b.iter().any(u8::is_ascii_digit)
            || (b.len() >= 20
                && b.iter().any(u8::is_ascii_uppercase)
                && b.iter().any(u8::is_ascii_lowercase))
            || b.iter().any(|c| b"._~+/=".contains(c));
        if b.len() >= 5 && b[..5].eq_ignore_ascii_case(b"realm") {
            continue;
        }
        if looks_like_one || after_authorization(&t[..all.start()]) {
            out.push(token.range());
        }
    }
}

fn after_authorization(before: &str) -> bool {
    let b = before
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '=' | '"' | '\''))
        .as_bytes();
    b.len() >= 13 && b[b.len() - 13..].eq_ignore_ascii_case(b"authorization")
}

/// File extensions that follow `@` in asset names (`logo@2x.png`): not
/// top-level domains.
const FILE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "bmp", "js", "mjs", "cjs", "jsx",
    "ts", "tsx", "css", "map", "json", "html", "htm", "woff", "woff2", "ttf", "otf", "wasm",
];

fn emails(t: &str, out: &mut Vec<Range<usize>>) {
    for c in EMAIL.captures_iter(t) {
        let tld = c.get(1).expect("group").as_str();
        if !FILE_EXTENSIONS.iter().any(|e| tld.eq_ignore_ascii_case(e)) {
            out.push(c.get(0).expect("match").range());
        }
    }
}

/// IBAN lengths by country (SWIFT's IBAN registry): country code, length.
const IBAN_LENGTHS: &str = concat!(
    "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 ",
    "CZ24 DE22 DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 ",
    "GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 ",
    "LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 ",
    "NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 ",
    "SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30 ",
);

/// IBANs in any case, grouped by single spaces or not: a country code that
/// starts a word, two check digits, exactly the country's length of
/// letters and digits, then the end of a word, and a valid checksum.
fn ibans(t: &str, out: &mut Vec<Range<usize>>) {
    let b = t.as_bytes();
    let mut i = 0;
    while i + 4 <= b.len() {
        let starts = b[i].is_ascii_alphabetic()
            && b[i + 1].is_ascii_alphabetic()
            && b[i + 2].is_ascii_digit()
            && b[i + 3].is_ascii_digit()
            && (i == 0 || !is_word(b[i - 1]));
        let len = starts
            .then(|| {
                let cc = [b[i].to_ascii_uppercase(), b[i + 1].to_ascii_uppercase()];
                IBAN_LENGTHS
                    .as_bytes()
                    .chunks(5)
                    .find(|e| e[..2] == cc)
                    .map(|e| usize::from(e[2] - b'0') * 10 + usize::from(e[3] - b'0'))
            })
            .flatten();
        let Some(len) = len else {
            i += 1;
            continue;
        };
        let (mut j, mut n) = (i + 4, 4);
        while n < len && j < b.len() {
            if b[j].is_ascii_alphanumeric() {
                n += 1;
                j += 1;
            } else if b[j] == b' ' && b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) {
                j += 1;
            } else {
                break;
            }
        }
        if n == len && b.get(j).is_none_or(|&c| !is_word(c)) && iban_valid(&b[i..j]) {
            out.push(i..j);
            i = j;
        } else {
            i += 1;
        }
    }
}

fn iban_valid(candidate: &[u8]) -> bool {
    let chars: Vec<u8> = candidate
        .iter()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(u8::to_ascii_uppercase)
        .collect();
    let (head, rest) = chars.split_at(4);
    let mut rem: u32 = 0;
    for &c in rest.iter().chain(head) {
        rem = match c {
            b'0'..=b'9' => (rem * 10 + u32::from(c - b'0')) % 97,
            _ => (rem * 100 + u32::from(c - b'A') + 10) % 97,
        };
    }
    rem == 1
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Card numbers: in every chain of digit groups joined by single spaces or
/// dashes, every window of whole groups with 13 to 19 digits is a
/// candidate (the longest passing one wins), so that a card followed by
/// more digits (`4111111111111111 12/25`) is still found. A window is one
/// group, or groups of 3 to 6 digits after a first group of 4, all joined
/// by one kind of separator (`4111 1111 1111 1111`, `3782 822463 10005`).
/// It starts with 2 to 9 (the payment networks; 13- to 19-digit timestamps
/// start with 1), passes Luhn, and is not glued to a word or a decimal.
fn cards(t: &str, out: &mut Vec<Range<usize>>) {
    let b = t.as_bytes();
    let mut groups: Vec<Range<usize>> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        groups.clear();
        loop {
            let g = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            groups.push(g..i);
            if i + 1 < b.len() && matches!(b[i], b' ' | b'-') && b[i + 1].is_ascii_digit() {
                i += 1;
            } else {
                break;
            }
        }
        let glued_before = glued_before(b, groups[0].start);
        let glued_after = glued_after(b, i);
        let mut g = usize::from(glued_before);
        let last = groups.len() - usize::from(glued_after);
        while g < groups.len() {
            match (g..last).rev().find(|&e| card_window(b, &groups[g..=e])) {
                Some(e) => {
                    out.push(groups[g].start..groups[e].end);
                    g = e + 1;
                }
                None => g += 1,
            }
        }
    }
}

fn card_window(b: &[u8], groups: &[Range<usize>]) -> bool {
    let digits: usize = groups.iter().map(ExactSizeIterator::len).sum();
    if !(13..=19).contains(&digits) || !(b'2'..=b'9').contains(&b[groups[0].start]) {
        return false;
    }
    if groups.len() > 1 {
        let sep = b[groups[0].end];
        let shaped = groups[0].len() == 4
            && groups.iter().all(|g| (3..=6).contains(&g.len()))
            && groups[..groups.len() - 1].iter().all(|g| b[g.end] == sep);
        if !shaped {
            return false;
        }
    }
    luhn(
        groups
            .iter()
            .flat_map(|g| b[g.clone()].iter().map(|d| u32::from(d - b'0'))),
    )
}

/// Whether the digits starting at `start` continue a word, a decimal
/// (`0.4111…`), an identifier (`ORD-4111…`) or follow a sign (a phone
/// number's `+`).
fn glued_before(b: &[u8], start: usize) -> bool {
    let before = |n: usize| start.checked_sub(n).map(|p| b[p]);
    match before(1) {
        Some(c) if is_word(c) || c == b'+' => true,
        Some(b'.' | b',') => before(2).is_some_and(|c| c.is_ascii_digit()),
        Some(b'-') => before(2).is_some_and(|c| c.is_ascii_alphanumeric()),
        _ => false,
    }
}

/// Whether the digits ending at `end` go on as a word or a decimal.
fn glued_after(b: &[u8], end: usize) -> bool {
    match b.get(end) {
        Some(&c) if is_word(c) => true,
        Some(b'.' | b',') => b.get(end + 1).is_some_and(u8::is_ascii_digit),
        _ => false,
    }
}

fn luhn(digits: impl DoubleEndedIterator<Item = u32>) -> bool {
    let sum: u32 = digits
        .rev()
        .enumerate()
        .map(|(i, d)| match (i % 2 == 1, d * 2) {
            (true, dd) if dd > 9 => dd - 9,
            (true, dd) => dd,
            (false, _) => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The maximal runs of bytes `part` accepts around each byte `mark`
/// accepts (and `part` too): where an address or a URL could be. Each run
/// is reported once.
fn runs(
    b: &[u8],
    mark: impl Fn(u8) -> bool,
    part: impl Fn(u8) -> bool,
    mut each: impl FnMut(Range<usize>),
) {
    let mut from = 0;
    while let Some(p) = b[from..].iter().position(|&c| mark(c)) {
        let (mut start, mut end) = (from + p, from + p + 1);
        while start > from && part(b[start - 1]) {
            start -= 1;
        }
        while end < b.len() && part(b[end]) {
            end += 1;
        }
        each(start..end);
        from = end;
    }
}

/// IPv6 addresses `Ipv6Addr` accepts (`::` compression, an IPv4 tail),
/// with a digit (`ab::cd` is a path), not glued to a word (`a::before`,
/// `std::fmt`); the loopback and unspecified addresses stay.
fn ipv6s(t: &str, out: &mut Vec<Range<usize>>) {
    let b = t.as_bytes();
    let part = |c: u8| c.is_ascii_hexdigit() || c == b':' || c == b'.';
    runs(
        b,
        |c| c == b':',
        part,
        |mut r| {
            // A sentence's full stop, a label's colon.
            while r.len() > 2 && b[r.end - 1] == b'.' {
                r.end -= 1;
            }
            if r.len() >= 2 && b[r.end - 1] == b':' && b[r.end - 2] != b':' {
                r.end -= 1;
            }
            let s = &t[r.clone()];
            let glued = r.start.checked_sub(1).is_some_and(|p| is_word(b[p]))
                || b.get(r.end).is_some_and(|&c| is_word(c));
            if glued
                || s.bytes().filter(|&c| c == b':').count() < 2
                || !s.bytes().any(|c| c.is_ascii_digit())
            {
                return;
            }
            if let Ok(ip) = s.parse::<Ipv6Addr>() {
                if !ip.is_loopback() && !ip.is_unspecified() {
                    out.push(r);
                }
            }
        },
    );
}

/// Dotted-quad IPv4 addresses with octets up to 255 and no leading zeros,
/// not part of a longer dotted number (`1.2.3.4.5`) nor a product or
/// package version (`Chrome/131.0.0.0`, `v1.2.3.4`, `pkg@1.2.3.4`); the
/// loopback network and `0.0.0.0` stay.
fn ipv4s(t: &str, out: &mut Vec<Range<usize>>) {
    let b = t.as_bytes();
    let part = |c: u8| c.is_ascii_digit() || c == b'.';
    runs(
        b,
        |c| c == b'.',
        part,
        |mut r| {
            while r.len() > 1 && b[r.end - 1] == b'.' {
                r.end -= 1;
            }
            let before = |n: usize| r.start.checked_sub(n).map(|p| b[p]);
            let versioned = match before(1) {
                Some(c) if is_word(c) => true,
                Some(b'@') => true,
                Some(b'/') => before(2).is_some_and(|c| c.is_ascii_alphabetic()),
                _ => false,
            };
            if versioned || b.get(r.end).is_some_and(|&c| is_word(c)) {
                return;
            }
            let s = &t[r.clone()];
            let octets: Vec<&str> = s.split('.').collect();
            let valid = octets.len() == 4
                && octets.iter().all(|o| {
                    (1..=3).contains(&o.len())
                        && (o.len() == 1 || !o.starts_with('0'))
                        && o.parse::<u8>().is_ok()
                });
            if valid && octets[0] != "127" && s != "0.0.0.0" {
                out.push(r);
            }
        },
    );
}

const PHONE_MIN_DIGITS: usize = 9;

/// Phone numbers. Each shape is held to its digit count, its separators and
/// its ends, so that dates (`2026-12-06`), times, versions, prices and ids
/// stay:
/// - `+` and 9 to 15 digits (E.164) in groups; groups past 15 digits are
///   left out (`+44 20 7946 0958 2026` is a number and a year);
/// - North American `(555) 123-4567`, `1-555-123-4567`, `555.123.4567`,
///   one kind of separator;
/// - national with a trunk `0`: 10 to 12 digits, one kind of separator
///   (`06 12 34 56 78`, `020 7946 0958`, `030/12345678`).
fn phones(t: &str, out: &mut Vec<Range<usize>>) {
    let b = t.as_bytes();
    for m in PHONE.find_iter(t) {
        let s = m.as_str();
        let (intl, trunk) = (s.starts_with('+'), s.starts_with('0'));
        let (min, max) = match (intl, trunk) {
            (true, _) => (PHONE_MIN_DIGITS, 15),
            (false, true) => (10, 12),
            (false, false) => (10, 11),
        };
        // The longest prefix of whole digit groups within `max` digits;
        // the other shapes must fit whole.
        let (mut digits, mut cut) = (0, None);
        for (i, c) in s.bytes().enumerate() {
            if c.is_ascii_digit() {
                digits += 1;
                let group_ends = s.as_bytes().get(i + 1).is_none_or(|n| !n.is_ascii_digit());
                if group_ends && digits <= max && (intl || i + 1 == s.len()) {
                    cut = Some((i + 1, digits));
                }
            }
        }
        let Some((len, _)) = cut.filter(|&(_, d)| d >= min) else {
            continue;
        };
        let mut r = m.start()..m.start() + len;
        let number = &s[..len];
        if number.matches('(').count() > number.matches(')').count() && b.get(r.end) == Some(&b')')
        {
            r.end += 1;
        }
        let before = r.start.checked_sub(1).map(|p| b[p]);
        let glued = if intl { &b"+"[..] } else { &b"-./_+#"[..] };
        if before.is_some_and(|c| is_word(c) || glued.contains(&c)) {
            continue;
        }
        // Not followed by more of a number; without a `+`, not even after
        // a space (`DE89 3704 0044 0532 0130 01` is not a phone number).
        let after = b.get(r.end).copied();
        let digit_next = b.get(r.end + 1).is_some_and(u8::is_ascii_digit);
        let more: &[u8] = if intl { b"-./:," } else { b" -./:," };
        if after.is_some_and(is_word) || (after.is_some_and(|c| more.contains(&c)) && digit_next) {
            continue;
        }
        if !intl {
            // One kind of separator; in `(555) 123-4567` the space after
            // the parenthesis is free.
            let free = number.find(") ").map(|p| p + 1);
            let seps: Vec<u8> = number
                .bytes()
                .enumerate()
                .filter(|&(i, c)| b" .-/".contains(&c) && Some(i) != free)
                .map(|(_, c)| c)
                .collect();
            if !seps.windows(2).all(|w| w[0] == w[1]) {
                continue;
            }
        }
        out.push(r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        Scrubber::default().text(s).into_owned()
    }

    #[test]
    fn scrub_json_parses_and_its_placeholder_is_left_alone() {
        assert_eq!(placeholder(), "[redacted]");
        assert!(SHARED.query_keys_exact.iter().any(|k| k == "code"));
        let p = placeholder();
        assert!(matches!(Scrubber::default().text(p), Cow::Borrowed(_)));
        assert!(matches!(
            Scrubber::default().url(&format!("/a?token={p}")),
            Cow::Borrowed(_)
        ));
    }

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
            (
                "/users/bob@example.com/edit?x=1",
                "/users/[redacted]/edit?x=1",
            ),
            ("/app#/cb?code=123", "/app#/cb?code=[redacted]"),
            (
                "/login?next=/cb?token=abc&x=1",
                "/login?next=/cb?token=[redacted]&x=1",
            ),
        ];
        let s = Scrubber::default();
        for (input, want) in cases {
            assert_eq!(s.url(input), want, "{input}");
        }
        let tenant = Scrubber::default().with_query_keys(&["Tenant".into()]);
        assert_eq!(tenant.url("/p?tenant=acme"), "/p?tenant=[redacted]");
        assert_eq!(
            tenant.text("GET /p?tenant=acme failed"),
            "GET /p?tenant=[redacted] failed"
        );
        assert_eq!(s.url("/p?tenant=acme"), "/p?tenant=acme");
    }

    #[test]
    fn json_stays_json_when_a_number_looks_like_a_card() {
        // Regression: a ms timestamp passing Luhn became a bare [card] in
        // the attributes' JSON text, and the API served `null`. Timestamps
        // now stay (cards start with 2 to 9); a card-like number still
        // becomes a string.
        let ts = (1_764_000_000_000u64..)
            .find(|t| luhn(t.to_string().bytes().map(|d| u32::from(d - b'0'))))
            .unwrap();
        let doc = format!(
            r#"{{"at":{ts},"pan":4111111111111111,"who":"jane@example.com","n":3,"ok":true}}"#
        );
        let s = Scrubber::default();
        let out: serde_json::Value = serde_json::from_str(&s.json(&doc)).unwrap();
        assert_eq!(out["at"], ts);
        assert_eq!(out["pan"], "[redacted]");
        assert_eq!(out["who"], "[redacted]");
        assert_eq!(
            (out["n"].as_i64(), out["ok"].as_bool()),
            (Some(3), Some(true))
        );
        let plain = r#"{"route":"/cart"}"#;
        assert!(matches!(s.json(plain), Cow::Borrowed(p) if p == plain));
        let nested = r#"{"jane@example.com":{"list":["4111 1111 1111 1111"]}}"#;
        assert_eq!(s.json(nested), r#"{"[redacted]":{"list":["[redacted]"]}}"#);
        // An escape cannot hide an email from the raw-text pre-check.
        assert_eq!(
            s.json(r#"{"who":"jane\u0040example.com"}"#),
            r#"{"who":"[redacted]"}"#
        );
        assert_eq!(
            s.json(r#"{"pans":[4111111111111111,2]}"#),
            r#"{"pans":["[redacted]",2]}"#
        );
        assert_eq!(s.json("jane@example.com"), "{}", "not JSON");
    }

    #[test]
    fn pii_in_text_is_replaced() {
        let cases = [
            ("failed for jane.doe@example.com", "failed for [redacted]"),
            (
                "card 4111 1111 1111 1111 declined",
                "card [redacted] declined",
            ),
            (
                "order 1234567890123 not found",
                "order 1234567890123 not found",
            ),
            (
                "Authorization: Bearer abcdefghijklmnop",
                "Authorization: Bearer [redacted]",
            ),
            (
                "t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_1",
                "t=[redacted]",
            ),
            ("pay to DE89370400440532013000", "pay to [redacted]"),
            ("plain message", "plain message"),
        ];
        for (input, want) in cases {
            assert_eq!(text(input), want, "{input}");
        }
    }

    #[test]
    fn a_card_followed_by_its_expiry_is_found() {
        // Regression: the greedy match took the expiry's digits and failed
        // Luhn, so the card stayed.
        assert_eq!(text("4111111111111111 12/25"), "[redacted] 12/25");
        assert_eq!(text("4111-1111-1111-1111-12"), "[redacted]-12");
    }

    #[test]
    fn no_edge_of_the_text_panics() {
        // Every pattern looks at the bytes around a match: cut tricky
        // strings everywhere.
        let s = Scrubber::default();
        for t in [
            ":: :1 fe80::1: 10.0.0.1. +44 20 7946 0958 (555) 123-4567 é",
            "DE89 3704 0044 0532 0130 00 4111 1111 1111 1111 jane@example.com",
            "Bearer abc123456789 eyJhbGciOi.eyJzdWIiOi.x ?token=a&b=#c=d",
            "06 12 34 56 78 555-123-4567 1.2.3.4 ::ffff:1.2.3.4 ,4111111111111111.",
        ] {
            for (i, _) in t.char_indices() {
                for part in [&t[..i], &t[i..]] {
                    let _ = (s.text(part), s.url(part), s.json(part));
                }
            }
        }
    }

    #[test]
    fn the_iban_table_is_well_formed() {
        assert!(IBAN_LENGTHS.as_bytes().chunks(5).all(|e| e.len() == 5
            && e[..2].iter().all(u8::is_ascii_uppercase)
            && e[2..4].iter().all(u8::is_ascii_digit)
            && (15..=34).contains(&(usize::from(e[2] - b'0') * 10 + usize::from(e[3] - b'0')))
            && e[4] == b' '));
    }

    #[test]
    fn untouched_text_is_not_copied() {
        let s = Scrubber::default();
        for t in [
            "TypeError: Cannot read properties of undefined (reading 'total')",
            "    at buy (https://shop.example/app.js:10:20)",
            "2026-12-06T12:30:45.123Z 1764000000000",
            "https://shop.example/search?q=shoes#top",
        ] {
            assert!(matches!(s.text(t), Cow::Borrowed(_)), "{t}");
            assert!(matches!(s.url(t), Cow::Borrowed(_)), "{t}");
        }
    }

    #[test]
    fn app_patterns_run_first_and_bad_ones_are_refused() {
        let s = Scrubber::default()
            .with_patterns(&[r"\bCUST-[0-9]{6}\b".into()])
            .unwrap();
        assert_eq!(
            s.text("customer CUST-004211 at jane@example.com"),
            "customer [redacted] at [redacted]"
        );
        assert!(matches!(
            Scrubber::default().with_patterns(&["(unclosed".into()]),
            Err(ScrubError::Invalid { .. })
        ));
        assert!(matches!(
            Scrubber::default().with_patterns(&["x*".into()]),
            Err(ScrubError::MatchesEmpty(_))
        ));
        // Building on a shared scrubber leaves it as it was.
        let keys = Scrubber::default().with_query_keys(&["tenant".into()]);
        let both = keys
            .clone()
            .with_patterns(&["secret-[a-z]+".into()])
            .unwrap();
        assert_eq!(keys.text("a secret-thing"), "a secret-thing");
        assert_eq!(both.text("a secret-thing"), "a [redacted]");
        assert_eq!(both.url("/p?tenant=x"), "/p?tenant=[redacted]");
    }
}
