//! Issue states (resolved, ignored), a small table keyed by fingerprint,
//! and the stacks symbolicated when issues were read.

use duckdb::{params, Connection, OptionalExt};
use fovea_schema::{IssueState, IssueStatus, StoredFrames};

/// Migration 5: the issue states table.
pub fn table() -> String {
    "CREATE TABLE IF NOT EXISTS issue_states (app VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL, \
     status VARCHAR NOT NULL, resolved_in_release VARCHAR, resolved_at BIGINT, \
     updated_at BIGINT NOT NULL, PRIMARY KEY (app, fingerprint));"
        .into()
}

/// Migration 6: symbolications stored by the issue API.
pub fn frames_table() -> String {
    "CREATE TABLE IF NOT EXISTS stored_frames (app VARCHAR NOT NULL, release VARCHAR NOT NULL, \
     stack_hash VARCHAR NOT NULL, sources VARCHAR NOT NULL, frames VARCHAR NOT NULL, \
     stored_at BIGINT NOT NULL, PRIMARY KEY (app, release, stack_hash));"
        .into()
}

pub fn stored_frames(
    c: &Connection,
    app: &str,
    release: &str,
    hash: &str,
) -> duckdb::Result<Option<StoredFrames>> {
    c.query_row(
        "SELECT sources, frames, stored_at FROM stored_frames \
         WHERE app = ? AND release = ? AND stack_hash = ?",
        params![app, release, hash],
        |r| {
            Ok(StoredFrames {
                app_id: app.to_string(),
                release: release.to_string(),
                stack_hash: hash.to_string(),
                sources: r.get(0)?,
                frames: r.get(1)?,
                stored_at: r.get(2)?,
            })
        },
    )
    .optional()
}

pub fn put_stored_frames(c: &Connection, f: &StoredFrames) -> duckdb::Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO stored_frames VALUES (?, ?, ?, ?, ?, ?)",
        params![
            f.app_id,
            f.release,
            f.stack_hash,
            f.sources,
            f.frames,
            f.stored_at
        ],
    )?;
    Ok(())
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
