//! Replay segments in ClickHouse: one row per segment in `replay_segments`
//! (sharded by session like the events, partitioned by (app, UTC day) so
//! retention drops them with the day), the gzip bytes in a `String` column.
//! Rows go in as `RowBinary`, because JSON cannot carry bytes that are not
//! UTF-8.
//!
//! A segment uploaded again replaces the first: `ReplacingMergeTree` keeps
//! the newest `received_at` per (app, session, index) and reads use
//! `FINAL`; a copy whose drift-corrected start fell on another UTC day sits
//! in another partition, which `FINAL` does not merge, so reads also keep
//! one row per index (`LIMIT 1 BY`).

use std::collections::HashSet;

use fovea_query::{ReplaySegmentInfo, SessionRow};
use fovea_schema::ReplaySegment;
use serde::Deserialize;

use super::client::{quote, RowBinary, RowBinaryWriter};
use super::ClickHouseStore;
use crate::batch::latest_segments;
use crate::Result;

pub async fn insert(s: &ClickHouseStore, segments: Vec<ReplaySegment>) -> Result<()> {
    let segments = latest_segments(segments);
    if segments.is_empty() {
        return Ok(());
    }
    let mut w = RowBinaryWriter::default();
    for seg in &segments {
        w.bytes(seg.app_id.as_bytes());
        w.bytes(seg.session_id.as_bytes());
        w.u32(seg.index);
        w.nullable_string(seg.view_id.as_deref());
        w.i64(seg.start);
        w.i64(seg.end);
        w.u32(seg.events);
        w.u8(u8::from(seg.full_snapshot));
        w.i64(seg.data.len() as i64);
        w.bytes(&seg.data);
        w.i64(seg.received_at);
    }
    let rows = w.0;
    s.on_any(|url| {
        let rows = rows.clone();
        async move { s.client.insert_binary(&url, "replay_segments", rows).await }
    })
    .await
}

fn scope(app: &str, session: &str) -> String {
    format!("app = {} AND session_id = {}", quote(app), quote(session))
}

pub async fn segments(
    s: &ClickHouseStore,
    app: &str,
    session: &str,
) -> Result<Vec<ReplaySegmentInfo>> {
    #[derive(Deserialize)]
    struct Row {
        idx: u32,
        ts: i64,
        end_ts: i64,
        events: u32,
        bytes: u64,
        full_snapshot: u8,
    }
    let rows: Vec<Row> = s
        .rows(format!(
            "SELECT idx, ts, end_ts, events, bytes, full_snapshot FROM replay_segments FINAL \
             WHERE {} ORDER BY idx, received_at DESC LIMIT 1 BY idx",
            scope(app, session)
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReplaySegmentInfo {
            index: r.idx,
            start: r.ts,
            end: r.end_ts,
            events: r.events,
            bytes: r.bytes,
            full_snapshot: r.full_snapshot != 0,
        })
        .collect())
}

pub async fn segment(
    s: &ClickHouseStore,
    app: &str,
    session: &str,
    index: u32,
) -> Result<Option<Vec<u8>>> {
    let sql = format!(
        "SELECT data FROM replay_segments FINAL WHERE {} AND idx = {index} \
         ORDER BY received_at DESC LIMIT 1",
        scope(app, session)
    );
    let bytes = s
        .on_any(|url| {
            let sql = sql.clone();
            async move { s.client.rows_binary(&url, &sql).await }
        })
        .await?;
    let mut r = RowBinary(&bytes);
    if r.is_empty() {
        return Ok(None);
    }
    Ok(Some(r.bytes()?.to_vec()))
}

/// Sets `has_replay` on session rows.
pub async fn mark(s: &ClickHouseStore, app: &str, rows: &mut [SessionRow]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    #[derive(Deserialize)]
    struct Row {
        session_id: String,
    }
    let ids: Vec<String> = rows.iter().map(|r| quote(&r.id)).collect();
    let with: HashSet<String> = s
        .rows::<Row>(format!(
            "SELECT DISTINCT session_id FROM replay_segments WHERE app = {} AND session_id IN ({})",
            quote(app),
            ids.join(", ")
        ))
        .await?
        .into_iter()
        .map(|r| r.session_id)
        .collect();
    crate::session::mark_replays(rows.iter_mut(), &with);
    Ok(())
}
