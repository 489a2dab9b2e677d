//! Replay segments in the DuckDB file: one row per segment, the recording
//! itself in a BLOB column beside a small index (session, index, time
//! range, size).
//!
//! A table rather than files in the data dir: one durability story (the
//! segment is committed with DuckDB's WAL like every event), one retention
//! and deletion path (SQL), and the column store reads the index without
//! touching the blobs. `fovea-bench replay` measures both ways.
//!
//! No primary key, for the reason the event tables have none (an ART index
//! grows with every row): a segment stored again is found by its key within
//! a window of its start time, which insertion order keeps to a few row
//! groups. Reading a session's segments scans the key columns like reading
//! its events does (`bench/README.md` has the figures); ClickHouse, sorted
//! by session, is the backend for replay at scale.

use std::collections::HashSet;

use duckdb::types::Value;
use duckdb::{params, params_from_iter, Connection};
use fovea_query::{ReplaySegmentInfo, SessionRow};
use fovea_schema::ReplaySegment;

use crate::batch::{latest_segments, DEDUP_WINDOW_MS};

/// Migration 3: the segment table.
pub fn table() -> String {
    "CREATE TABLE IF NOT EXISTS replay_segments (app VARCHAR NOT NULL, session_id VARCHAR NOT NULL, \
     idx UINTEGER NOT NULL, view_id VARCHAR, ts BIGINT NOT NULL, end_ts BIGINT NOT NULL, \
     events UINTEGER NOT NULL, full_snapshot BOOLEAN NOT NULL, bytes UBIGINT NOT NULL, data BLOB NOT NULL, \
     received_at BIGINT NOT NULL);"
        .into()
}

/// Stores segments in one transaction, each replacing an earlier copy.
pub fn insert(conn: &mut Connection, segments: Vec<ReplaySegment>) -> duckdb::Result<()> {
    let segments = latest_segments(segments);
    if segments.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    {
        // One statement for the batch: the keys as a VALUES list, the scan
        // bounded by the batch's start times widened by the dedup window.
        let lo = segments.iter().map(|s| s.start).min().unwrap_or(0) - DEDUP_WINDOW_MS;
        let hi = segments.iter().map(|s| s.start).max().unwrap_or(0) + DEDUP_WINDOW_MS;
        let keys = vec!["(?, ?, ?)"; segments.len()].join(", ");
        let mut values: Vec<Value> = vec![Value::BigInt(lo), Value::BigInt(hi)];
        for s in &segments {
            values.extend([
                Value::Text(s.app_id.clone()),
                Value::Text(s.session_id.clone()),
                Value::UInt(s.index),
            ]);
        }
        tx.execute(
            &format!(
                "DELETE FROM replay_segments WHERE ts BETWEEN ? AND ? \
                 AND (app, session_id, idx) IN (SELECT * FROM (VALUES {keys}))"
            ),
            params_from_iter(values),
        )?;
        let mut rows = tx.appender("replay_segments")?;
        for s in &segments {
            rows.append_row(params![
                s.app_id,
                s.session_id,
                s.index,
                s.view_id,
                s.start,
                s.end,
                s.events,
                s.full_snapshot,
                s.data.len() as u64,
                s.data,
                s.received_at
            ])?;
        }
        rows.flush()?;
    }
    tx.commit()
}

pub fn segments(
    c: &Connection,
    app: &str,
    session: &str,
) -> duckdb::Result<Vec<ReplaySegmentInfo>> {
    let mut st = c.prepare(
        "SELECT idx, ts, end_ts, events, bytes, full_snapshot FROM replay_segments \
         WHERE app = ? AND session_id = ? ORDER BY idx",
    )?;
    let rows = st.query_map(params![app, session], |r| {
        Ok(ReplaySegmentInfo {
            index: r.get(0)?,
            start: r.get(1)?,
            end: r.get(2)?,
            events: r.get(3)?,
            bytes: r.get(4)?,
            full_snapshot: r.get(5)?,
        })
    })?;
    rows.collect()
}

pub fn segment(
    c: &Connection,
    app: &str,
    session: &str,
    index: u32,
) -> duckdb::Result<Option<Vec<u8>>> {
    let mut st = c.prepare(
        "SELECT data FROM replay_segments WHERE app = ? AND session_id = ? AND idx = ? LIMIT 1",
    )?;
    let mut rows = st.query(params![app, session, index])?;
    rows.next()?.map(|r| r.get(0)).transpose()
}

/// Sets `has_replay` on session rows.
pub fn mark(c: &Connection, app: &str, rows: &mut [SessionRow]) -> duckdb::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let marks = vec!["?"; rows.len()].join(", ");
    let mut values = vec![Value::Text(app.into())];
    values.extend(rows.iter().map(|r| Value::Text(r.id.clone())));
    let mut st = c.prepare(&format!(
        "SELECT DISTINCT session_id FROM replay_segments WHERE app = ? AND session_id IN ({marks})"
    ))?;
    let with: HashSet<String> = st
        .query_map(params_from_iter(values), |r| r.get(0))?
        .collect::<duckdb::Result<_>>()?;
    crate::session::mark_replays(rows.iter_mut(), &with);
    Ok(())
}

/// Deletes an app's segments that started before `before`.
pub fn expire(c: &Connection, app: &str, before: i64) -> duckdb::Result<usize> {
    c.execute(
        "DELETE FROM replay_segments WHERE app = ? AND ts < ?",
        params![app, before],
    )
}
