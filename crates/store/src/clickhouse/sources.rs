//! Uploaded bundle files and source maps in ClickHouse: control data,
//! written to every server and read with the newest version of each file
//! winning (like apps), so every node's writer finds every map. Bytes go
//! base64-encoded in the JSON rows of that path.

use base64::Engine;
use fovea_schema::{SourceFile, SourceFileInfo, SourceKind};
use serde::Deserialize;

use super::client::quote;
use super::{json_line, ClickHouseStore, Versioned};
use crate::{Result, SourceKey, StoreError};

/// Migration 4: the source files table, on every server.
pub fn table() -> Vec<String> {
    vec![
        "CREATE TABLE IF NOT EXISTS source_files (app String, id String, release String, \
          url String, kind String, debug_id Nullable(String), sha256 String, bytes UInt64, \
          data String, uploaded_at Int64, deleted UInt8, version UInt64) \
          ENGINE = ReplacingMergeTree(version) ORDER BY (app, id)"
            .into(),
    ]
}

const INFO: &str = "id, release, url, kind, debug_id, sha256, bytes, uploaded_at, deleted, version";

#[derive(Deserialize)]
struct Row {
    id: String,
    release: String,
    url: String,
    kind: String,
    debug_id: Option<String>,
    sha256: String,
    bytes: u64,
    uploaded_at: i64,
    deleted: u8,
    version: u64,
    #[serde(default)]
    data: Option<String>,
}

impl Versioned for Row {
    fn key(&self) -> &str {
        &self.id
    }
    fn version(&self) -> u64 {
        self.version
    }
}

impl Row {
    fn info(&self) -> SourceFileInfo {
        SourceFileInfo {
            id: self.id.clone(),
            release: self.release.clone(),
            url: self.url.clone(),
            kind: SourceKind::parse(&self.kind).unwrap_or(SourceKind::Source),
            debug_id: self.debug_id.clone(),
            sha256: self.sha256.clone(),
            bytes: self.bytes,
            uploaded_at: self.uploaded_at,
        }
    }
}

async fn write(
    s: &ClickHouseStore,
    app: &str,
    i: &SourceFileInfo,
    data: &[u8],
    deleted: bool,
) -> Result<()> {
    let version = s.next_version("source_files", "id", &i.id).await?;
    let row = serde_json::json!({
        "app": app, "id": i.id, "release": i.release, "url": i.url, "kind": i.kind.as_str(),
        "debug_id": i.debug_id, "sha256": i.sha256, "bytes": i.bytes,
        "data": base64::engine::general_purpose::STANDARD.encode(data),
        "uploaded_at": i.uploaded_at, "deleted": u8::from(deleted), "version": version,
    });
    s.insert_everywhere("source_files", json_line(row)).await
}

pub async fn put(s: &ClickHouseStore, f: &SourceFile) -> Result<()> {
    write(s, &f.app_id, &f.info, &f.data, false).await
}

async fn newest(s: &ClickHouseStore, cols: &str, filter: String) -> Result<Vec<Row>> {
    let rows: Vec<Row> = s
        .control_rows(format!(
            "SELECT {cols} FROM source_files FINAL WHERE {filter}"
        ))
        .await?;
    Ok(rows.into_iter().filter(|r| r.deleted == 0).collect())
}

pub async fn list(
    s: &ClickHouseStore,
    app: &str,
    release: Option<&str>,
) -> Result<Vec<SourceFileInfo>> {
    let mut filter = format!("app = {}", quote(app));
    if let Some(r) = release {
        filter.push_str(&format!(" AND release = {}", quote(r)));
    }
    let mut out: Vec<SourceFileInfo> = newest(s, INFO, filter)
        .await?
        .iter()
        .map(Row::info)
        .collect();
    out.sort_by(|a, b| {
        (&a.release, &a.url, a.kind.as_str()).cmp(&(&b.release, &b.url, b.kind.as_str()))
    });
    Ok(out)
}

pub async fn get(
    s: &ClickHouseStore,
    app: &str,
    key: &SourceKey<'_>,
) -> Result<Option<SourceFile>> {
    let filter = match *key {
        SourceKey::Url { release, kind, url } => format!(
            "release = {} AND kind = {} AND url = {}",
            quote(release),
            quote(kind.as_str()),
            quote(url)
        ),
        SourceKey::DebugId { kind, debug_id } => {
            format!(
                "kind = {} AND debug_id = {}",
                quote(kind.as_str()),
                quote(debug_id)
            )
        }
    };
    let rows = newest(
        s,
        &format!("{INFO}, data"),
        format!("app = {} AND {filter}", quote(app)),
    )
    .await?;
    let Some(row) = rows.into_iter().max_by_key(|r| r.uploaded_at) else {
        return Ok(None);
    };
    let data = base64::engine::general_purpose::STANDARD
        .decode(row.data.as_deref().unwrap_or_default())
        .map_err(|e| StoreError::Rejected(format!("source file {}: {e}", row.id)))?;
    Ok(Some(SourceFile {
        app_id: app.to_string(),
        info: row.info(),
        data,
    }))
}

/// Deletes by writing a newer, empty version marked deleted.
pub async fn delete(
    s: &ClickHouseStore,
    app: &str,
    id: Option<&str>,
    release: Option<&str>,
) -> Result<u64> {
    let files: Vec<SourceFileInfo> = list(s, app, release)
        .await?
        .into_iter()
        .filter(|f| id.is_none_or(|id| f.id == id))
        .collect();
    for f in &files {
        write(s, app, f, &[], true).await?;
    }
    Ok(files.len() as u64)
}
