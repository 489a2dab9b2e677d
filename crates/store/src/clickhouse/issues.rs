//! Issue states in ClickHouse: control data on every server, the newest
//! version of each issue winning (like apps). Stored symbolications too.

use fovea_schema::{IssueState, IssueStatus, StoredFrames};
use serde::Deserialize;

use super::client::quote;
use super::{json_line, ClickHouseStore, Versioned};
use crate::Result;

/// Migration 5: the issue states table, on every server.
pub fn table() -> Vec<String> {
    vec![
        "CREATE TABLE IF NOT EXISTS issue_states (app String, fingerprint String, \
          status String, resolved_in_release Nullable(String), resolved_at Nullable(Int64), \
          updated_at Int64, version UInt64) \
          ENGINE = ReplacingMergeTree(version) ORDER BY (app, fingerprint)"
            .into(),
    ]
}

/// Migration 6: symbolications stored by the issue API, on every server.
pub fn frames_table() -> Vec<String> {
    vec![
        "CREATE TABLE IF NOT EXISTS stored_frames (app String, release String, \
          stack_hash String, sources String, frames String, stored_at Int64) \
          ENGINE = ReplacingMergeTree(stored_at) ORDER BY (app, release, stack_hash)"
            .into(),
    ]
}

#[derive(Deserialize)]
struct FramesRow {
    stack_hash: String,
    sources: String,
    frames: String,
    stored_at: i64,
}

impl Versioned for FramesRow {
    fn key(&self) -> &str {
        &self.stack_hash
    }
    fn version(&self) -> u64 {
        self.stored_at as u64
    }
}

pub async fn stored_frames(
    s: &ClickHouseStore,
    app: &str,
    release: &str,
    hash: &str,
) -> Result<Option<StoredFrames>> {
    let rows: Vec<FramesRow> = s
        .control_rows(format!(
            "SELECT stack_hash, sources, frames, stored_at FROM stored_frames FINAL \
             WHERE app = {} AND release = {} AND stack_hash = {}",
            quote(app),
            quote(release),
            quote(hash)
        ))
        .await?;
    Ok(rows.into_iter().next().map(|r| StoredFrames {
        app_id: app.to_string(),
        release: release.to_string(),
        stack_hash: r.stack_hash,
        sources: r.sources,
        frames: r.frames,
        stored_at: r.stored_at,
    }))
}

pub async fn put_stored_frames(s: &ClickHouseStore, f: &StoredFrames) -> Result<()> {
    let row = serde_json::json!({
        "app": f.app_id, "release": f.release, "stack_hash": f.stack_hash,
        "sources": f.sources, "frames": f.frames, "stored_at": f.stored_at,
    });
    s.insert_everywhere("stored_frames", json_line(row)).await
}

#[derive(Deserialize)]
struct Row {
    fingerprint: String,
    status: String,
    resolved_in_release: Option<String>,
    resolved_at: Option<i64>,
    updated_at: i64,
    version: u64,
}

impl Versioned for Row {
    fn key(&self) -> &str {
        &self.fingerprint
    }
    fn version(&self) -> u64 {
        self.version
    }
}

pub async fn list(s: &ClickHouseStore, app: &str) -> Result<Vec<IssueState>> {
    let rows: Vec<Row> = s
        .control_rows(format!(
            "SELECT fingerprint, status, resolved_in_release, resolved_at, updated_at, version \
             FROM issue_states FINAL WHERE app = {}",
            quote(app)
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| IssueState {
            app_id: app.to_string(),
            fingerprint: r.fingerprint,
            status: IssueStatus::parse(&r.status).unwrap_or_default(),
            resolved_in_release: r.resolved_in_release,
            resolved_at: r.resolved_at,
            updated_at: r.updated_at,
        })
        .collect())
}

pub async fn put(s: &ClickHouseStore, st: &IssueState) -> Result<()> {
    let version = s
        .next_version("issue_states", "fingerprint", &st.fingerprint)
        .await?;
    let row = serde_json::json!({
        "app": st.app_id, "fingerprint": st.fingerprint, "status": st.status.as_str(),
        "resolved_in_release": st.resolved_in_release, "resolved_at": st.resolved_at,
        "updated_at": st.updated_at, "version": version,
    });
    s.insert_everywhere("issue_states", json_line(row)).await
}
