//! ClickHouse's HTTP interface: statements as the request body, rows in and
//! out as `JSONEachRow`. Runs on every ClickHouse since 18.16 (Debian's),
//! which has no query parameters: values reach SQL only through [`quote`].

use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;

use crate::{Result, StoreError};

/// Inserts of a 2 MiB batch and the heaviest questions finish well within
/// this; past it the server is in trouble and the request is retried.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A string as a ClickHouse literal. Inside single quotes ClickHouse reads
/// backslash escapes, so escaping the backslash and the quote is complete.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            _ => out.push(ch),
        }
    }
    out.push('\'');
    out
}

/// Error codes (`Code: N` in ClickHouse's answer) for data the server will
/// never accept: values it cannot parse or hold. Everything else is retried:
/// connection, timeouts, memory, too many parts, auth, and statements it
/// does not understand (a schema or version mismatch an operator can fix,
/// not a reason to set data aside).
const PERMANENT_CODES: &[u32] = &[
    6,   // CANNOT_PARSE_TEXT
    25,  // CANNOT_PARSE_ESCAPE_SEQUENCE
    26,  // CANNOT_PARSE_QUOTED_STRING
    27,  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    53,  // TYPE_MISMATCH
    69,  // ARGUMENT_OUT_OF_BOUND
    70,  // CANNOT_CONVERT_TYPE
    72,  // CANNOT_PARSE_NUMBER
    117, // INCORRECT_DATA
    131, // TOO_LARGE_STRING_SIZE
    349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
];

/// The `N` of `Code: N, ...` at the start of an exception text.
fn code_of(body: &str) -> Option<u32> {
    let rest = body.trim_start().strip_prefix("Code: ")?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn classify(status: u16, body: String) -> StoreError {
    let body = body.trim().to_string();
    match code_of(&body) {
        Some(code) if PERMANENT_CODES.contains(&code) => StoreError::Rejected(body),
        _ => StoreError::Unavailable(format!("http {status}: {body}")),
    }
}

/// Settings sent with every statement.
const SETTINGS: &str = concat!(
    "output_format_json_quote_64bit_integers=0",
    // A Distributed insert is acknowledged once the shards have it, not
    // when it is queued on the server that took it.
    "&insert_distributed_sync=1",
    // PREWHERE runs before `FINAL` picks a key's newest row, so a condition
    // moved there could see an older version (a metric it had and the
    // newest lacks). Plain WHERE runs after.
    "&optimize_move_to_prewhere=0",
    // A roll-up question lists the (hour, generation) pairs it reads: a
    // year of hours is ~350 KB of SQL, past the 256 KiB default.
    "&max_query_size=16777216",
);

#[derive(Clone)]
pub struct Client {
    http: hyper_util::client::legacy::Client<HttpConnector, Full<Bytes>>,
    /// The `Authorization` header's value (HTTP Basic).
    auth: String,
    database: String,
}

impl Client {
    /// A client for plain-HTTP endpoints (ClickHouse's port 8123; put TLS
    /// in front of remote servers with a local terminator).
    pub fn new(user: &str, password: Option<&str>, database: String) -> Client {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        connector.set_nodelay(true);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(2))
            .build(connector);
        let credentials = format!("{user}:{}", password.unwrap_or_default());
        let auth = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        );
        Client {
            http,
            auth,
            database,
        }
    }

    /// Sends one statement with `body` after it (rows of an INSERT);
    /// returns the answer's text.
    async fn send(
        &self,
        url: &str,
        sql: &str,
        body: Option<String>,
        database: bool,
    ) -> Result<Bytes> {
        let text = match body {
            None => sql.to_string(),
            Some(rows) => {
                let mut t = String::with_capacity(sql.len() + 1 + rows.len());
                t.push_str(sql);
                t.push('\n');
                t.push_str(&rows);
                t
            }
        };
        self.post(url, None, Bytes::from(text), database).await
    }

    /// Posts `body` to a server; with `query`, the statement goes in the
    /// URL and the body is its data as it is (binary rows).
    async fn post(
        &self,
        url: &str,
        query: Option<&str>,
        body: Bytes,
        database: bool,
    ) -> Result<Bytes> {
        let mut uri = format!("{url}?{SETTINGS}");
        if database {
            uri.push_str("&database=");
            uri.push_str(&self.database);
        }
        if let Some(q) = query {
            uri.push_str("&query=");
            uri.push_str(&url_encode(q));
        }
        let request = Request::post(uri)
            .header(AUTHORIZATION, &self.auth)
            .header(CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Full::new(body))
            .map_err(|e| StoreError::Rejected(format!("clickhouse url {url:?}: {e}")))?;
        let unavailable = |e: &dyn std::fmt::Display| {
            StoreError::Unavailable(format!("clickhouse at {url}: {e}"))
        };
        let exchange = async {
            let response = self
                .http
                .request(request)
                .await
                .map_err(|e| unavailable(&e))?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| unavailable(&e))?
                .to_bytes();
            Ok::<_, StoreError>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| unavailable(&"no answer in time"))??;
        if status.is_success() {
            Ok(bytes)
        } else {
            Err(classify(
                status.as_u16(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ))
        }
    }

    /// Runs a statement that returns nothing (DDL, ALTER).
    pub async fn exec(&self, url: &str, sql: &str) -> Result<()> {
        self.send(url, sql, None, true).await.map(|_| ())
    }

    /// Runs a statement outside the database (to create it).
    pub async fn exec_server(&self, url: &str, sql: &str) -> Result<()> {
        self.send(url, sql, None, false).await.map(|_| ())
    }

    /// Runs a SELECT and decodes its rows.
    pub async fn rows<T: DeserializeOwned>(&self, url: &str, sql: &str) -> Result<Vec<T>> {
        let bytes = self
            .send(url, &format!("{sql}\nFORMAT JSONEachRow"), None, true)
            .await?;
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                serde_json::from_str(l).map_err(|e| match code_of(l) {
                    // An exception the server sent after the rows began.
                    Some(_) => classify(200, l.to_string()),
                    None => StoreError::Rejected(format!("clickhouse row {l:?}: {e}")),
                })
            })
            .collect()
    }

    /// Inserts rows in ClickHouse's `RowBinary` format into a table.
    pub async fn insert_binary(&self, url: &str, table: &str, rows: Vec<u8>) -> Result<()> {
        let sql = format!("INSERT INTO {table} FORMAT RowBinary");
        self.post(url, Some(&sql), Bytes::from(rows), true)
            .await
            .map(|_| ())
    }

    /// Runs a SELECT and returns its rows in ClickHouse's `RowBinary`
    /// format, for answers too large to format and parse as JSON quickly.
    pub async fn rows_binary(&self, url: &str, sql: &str) -> Result<Bytes> {
        self.send(url, &format!("{sql}\nFORMAT RowBinary"), None, true)
            .await
    }

    /// Inserts rows (JSON objects, one per line) into a table.
    pub async fn insert(&self, url: &str, table: &str, rows: String) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.send(
            url,
            &format!("INSERT INTO {table} FORMAT JSONEachRow"),
            Some(rows),
            true,
        )
        .await
        .map(|_| ())
    }
}

/// Percent-encodes a statement for a URL's query string.
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Writes rows in ClickHouse's `RowBinary` format, for values JSON cannot
/// carry (bytes that are not UTF-8): integers little-endian, strings
/// prefixed with their LEB128 length, a nullable value with a 1 for NULL.
#[derive(Default)]
pub struct RowBinaryWriter(pub Vec<u8>);

impl RowBinaryWriter {
    pub fn u8(&mut self, v: u8) {
        self.0.push(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub fn i64(&mut self, v: i64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    pub fn bytes(&mut self, v: &[u8]) {
        let mut len = v.len();
        loop {
            let low = (len & 0x7f) as u8;
            len >>= 7;
            if len == 0 {
                self.0.push(low);
                break;
            }
            self.0.push(low | 0x80);
        }
        self.0.extend_from_slice(v);
    }

    pub fn nullable_string(&mut self, v: Option<&str>) {
        match v {
            None => self.u8(1),
            Some(s) => {
                self.u8(0);
                self.bytes(s.as_bytes());
            }
        }
    }
}

/// Reads values off a `RowBinary` answer: integers little-endian, strings
/// prefixed with their LEB128 length, a nullable value with a 1 for NULL.
pub struct RowBinary<'a>(pub &'a [u8]);

impl RowBinary<'_> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.0.len() < n {
            return Err(StoreError::Rejected(
                "a RowBinary answer ended early".into(),
            ));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    pub fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    pub fn bytes(&mut self) -> Result<&[u8]> {
        let mut len = 0usize;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            len |= usize::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return self.take(len);
            }
        }
        Err(StoreError::Rejected(
            "a RowBinary length is too long".into(),
        ))
    }

    pub fn string(&mut self) -> Result<String> {
        Ok(String::from_utf8_lossy(self.bytes()?).into_owned())
    }

    pub fn nullable_string(&mut self) -> Result<Option<String>> {
        match self.take(1)?[0] {
            0 => self.string().map(Some),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_binary_reads_what_clickhouse_writes() {
        // (NULL, 7, 'ab') and ('', 300-byte string)
        let mut bytes = vec![1u8];
        bytes.extend(7u64.to_le_bytes());
        bytes.extend([2, b'a', b'b', 0, 0, 0xac, 0x02]);
        bytes.extend([b'x'; 300]);
        let mut r = RowBinary(&bytes);
        assert_eq!(r.nullable_string().unwrap(), None);
        assert_eq!(r.u64().unwrap(), 7);
        assert_eq!(r.string().unwrap(), "ab");
        assert_eq!(r.nullable_string().unwrap(), Some(String::new()));
        assert_eq!(r.bytes().unwrap().len(), 300);
        assert!(r.is_empty());
        assert!(RowBinary(&[5, b'a']).string().is_err());
    }

    #[test]
    fn row_binary_writes_what_the_reader_reads() {
        let mut w = RowBinaryWriter::default();
        w.nullable_string(None);
        w.nullable_string(Some("ab"));
        w.bytes(&[0xff; 300]);
        w.u8(1);
        let mut r = RowBinary(&w.0);
        assert_eq!(r.nullable_string().unwrap(), None);
        assert_eq!(r.nullable_string().unwrap().as_deref(), Some("ab"));
        assert_eq!(r.bytes().unwrap(), &[0xff; 300][..]);
        assert_eq!(
            url_encode("INSERT INTO t FORMAT RowBinary"),
            "INSERT%20INTO%20t%20FORMAT%20RowBinary"
        );
    }

    #[test]
    fn quote_escapes_what_clickhouse_unescapes() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("it's"), "'it\\'s'");
        assert_eq!(quote("a\\'; DROP"), "'a\\\\\\'; DROP'");
    }

    #[test]
    fn parse_errors_are_permanent_and_the_rest_retried() {
        let rejected = classify(
            500,
            "Code: 27, e.displayText() = DB::Exception: Cannot parse input".into(),
        );
        assert!(!rejected.is_retryable());
        let busy = classify(
            500,
            "Code: 252, e.displayText() = DB::Exception: Too many parts".into(),
        );
        assert!(busy.is_retryable());
        assert!(classify(502, "Bad Gateway".into()).is_retryable());
    }
}
