//! Uploaded bundle files and source maps: a small table, read by key, so it
//! has a primary key.

use async_trait::async_trait;
use duckdb::types::Value;
use duckdb::{params, params_from_iter, Connection, OptionalExt};
use fovea_schema::{SourceFile, SourceFileInfo, SourceKind};

use super::DuckStore;
use crate::{Result, SourceKey, SourceStore};

/// Migration 4: the source files table.
pub fn table() -> String {
    "CREATE TABLE IF NOT EXISTS source_files (app VARCHAR NOT NULL, id VARCHAR NOT NULL, \
     release VARCHAR NOT NULL, url VARCHAR NOT NULL, kind VARCHAR NOT NULL, debug_id VARCHAR, \
     sha256 VARCHAR NOT NULL, bytes UBIGINT NOT NULL, data BLOB NOT NULL, \
     uploaded_at BIGINT NOT NULL, PRIMARY KEY (app, id));"
        .into()
}

const INFO: &str = "id, release, url, kind, debug_id, sha256, bytes, uploaded_at";

fn info(r: &duckdb::Row) -> duckdb::Result<SourceFileInfo> {
    let kind: String = r.get(3)?;
    Ok(SourceFileInfo {
        id: r.get(0)?,
        release: r.get(1)?,
        url: r.get(2)?,
        kind: SourceKind::parse(&kind).unwrap_or(SourceKind::Source),
        debug_id: r.get(4)?,
        sha256: r.get(5)?,
        bytes: r.get(6)?,
        uploaded_at: r.get(7)?,
    })
}

pub fn put(c: &Connection, f: &SourceFile) -> duckdb::Result<()> {
    let i = &f.info;
    c.execute(
        "INSERT OR REPLACE INTO source_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params![
            f.app_id,
            i.id,
            i.release,
            i.url,
            i.kind.as_str(),
            i.debug_id,
            i.sha256,
            i.bytes,
            f.data,
            i.uploaded_at
        ],
    )?;
    Ok(())
}

pub fn list(
    c: &Connection,
    app: &str,
    release: Option<&str>,
) -> duckdb::Result<Vec<SourceFileInfo>> {
    let mut values = vec![Value::Text(app.into())];
    let mut sql = format!("SELECT {INFO} FROM source_files WHERE app = ?");
    if let Some(r) = release {
        sql.push_str(" AND release = ?");
        values.push(Value::Text(r.into()));
    }
    sql.push_str(" ORDER BY release, url, kind");
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params_from_iter(values), info)?;
    rows.collect()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

pub fn get(c: &Connection, app: &str, key: &SourceKey<'_>) -> duckdb::Result<Option<SourceFile>> {
    let (filter, values): (&str, Vec<Value>) = match *key {
        SourceKey::Url { release, kind, url } => (
            "release = ? AND kind = ? AND url = ?",
            vec![text(release), text(kind.as_str()), text(url)],
        ),
        SourceKey::DebugId { kind, debug_id } => (
            "kind = ? AND debug_id = ?",
            vec![text(kind.as_str()), text(debug_id)],
        ),
    };
    let mut all = vec![Value::Text(app.into())];
    all.extend(values);
    c.query_row(
        &format!(
            "SELECT {INFO}, data FROM source_files WHERE app = ? AND {filter} \
             ORDER BY uploaded_at DESC LIMIT 1"
        ),
        params_from_iter(all),
        |r| {
            Ok(SourceFile {
                app_id: app.to_string(),
                info: info(r)?,
                data: r.get(8)?,
            })
        },
    )
    .optional()
}

pub fn delete(
    c: &Connection,
    app: &str,
    id: Option<&str>,
    release: Option<&str>,
) -> duckdb::Result<u64> {
    let mut sql = "DELETE FROM source_files WHERE app = ?".to_string();
    let mut values = vec![Value::Text(app.into())];
    for (col, v) in [("id", id), ("release", release)] {
        if let Some(v) = v {
            sql.push_str(&format!(" AND {col} = ?"));
            values.push(Value::Text(v.into()));
        }
    }
    Ok(c.execute(&sql, params_from_iter(values))? as u64)
}

#[async_trait]
impl SourceStore for DuckStore {
    async fn put_source_file(&self, file: &SourceFile) -> Result<()> {
        let file = file.clone();
        self.write(move |c| put(c, &file)).await
    }

    async fn source_files(
        &self,
        app_id: &str,
        release: Option<&str>,
    ) -> Result<Vec<SourceFileInfo>> {
        let (app, release) = (app_id.to_string(), release.map(str::to_string));
        self.read(move |c| list(c, &app, release.as_deref())).await
    }

    async fn source_file(&self, app_id: &str, key: &SourceKey<'_>) -> Result<Option<SourceFile>> {
        let app = app_id.to_string();
        let owned = OwnedKey::from(key);
        self.read(move |c| get(c, &app, &owned.key())).await
    }

    async fn delete_source_files(
        &self,
        app_id: &str,
        id: Option<&str>,
        release: Option<&str>,
    ) -> Result<u64> {
        let (app, id, release) = (
            app_id.to_string(),
            id.map(str::to_string),
            release.map(str::to_string),
        );
        self.write(move |c| delete(c, &app, id.as_deref(), release.as_deref()))
            .await
    }
}

/// A [`SourceKey`] that can move to the blocking pool.
enum OwnedKey {
    Url(String, SourceKind, String),
    DebugId(SourceKind, String),
}

impl OwnedKey {
    fn from(key: &SourceKey<'_>) -> OwnedKey {
        match *key {
            SourceKey::Url { release, kind, url } => {
                OwnedKey::Url(release.to_string(), kind, url.to_string())
            }
            SourceKey::DebugId { kind, debug_id } => OwnedKey::DebugId(kind, debug_id.to_string()),
        }
    }

    fn key(&self) -> SourceKey<'_> {
        match self {
            OwnedKey::Url(release, kind, url) => SourceKey::Url {
                release,
                kind: *kind,
                url,
            },
            OwnedKey::DebugId(kind, debug_id) => SourceKey::DebugId {
                kind: *kind,
                debug_id,
            },
        }
    }
}
