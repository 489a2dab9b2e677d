//! Issue states (resolved, ignored): a small table keyed by fingerprint.

use duckdb::{params, Connection};
use fovea_schema::{IssueState, IssueStatus};

/// Migration 5: the issue states table.
pub fn table() -> String {
    "CREATE TABLE IF NOT EXISTS issue_states (app VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, \
     status VARCHAR NOT NULL, resolved_in_release VARCHAR, resolved_at BIGINT, \
     updated_at BIGINT NOT NULL, PRIMARY KEY (app, fingerprint));"
        .into()
}

pub fn list(c: &Connection, app: &str) -> duckdb::Result<Vec<IssueState>> {
    let mut st = c.prepare(
        "SELECT fingerprint, status, resolved_in_release, resolved_at, updated_at \
         FROM issue_states WHERE app = ?",
    )?;
    let rows = st.query_map([app], |r| {
        let status: String = r.get(1)?;
        Ok(IssueState {
            app_id: app.to_string(),
            fingerprint: r.get(0)?,
            status: IssueStatus::parse(&status).unwrap_or_default(),
            resolved_in_release: r.get(2)?,
            resolved_at: r.get(3)?,
            updated_at: r.get(4)?,
        })
    })?;
    rows.collect()
}

pub fn put(c: &Connection, s: &IssueState) -> duckdb::Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO issue_states VALUES (?, ?, ?, ?, ?, ?)",
        params![
            s.app_id,
            s.fingerprint,
            s.status.as_str(),
            s.resolved_in_release,
            s.resolved_at,
            s.updated_at
        ],
    )?;
    Ok(())
}
