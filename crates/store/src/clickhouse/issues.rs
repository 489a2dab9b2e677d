//! Issue states in ClickHouse: control data on every server, the newest
//! version of each issue winning (like apps).

use fovea_schema::{IssueState, IssueStatus};
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
