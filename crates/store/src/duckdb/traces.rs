//! Backend spans in the DuckDB file, and the browser events that share
//! their trace ids.
//!
//! No primary key, like the event tables: a span stored again is found by
//! its key within the dedup window of its start, and left out.

use duckdb::types::Value;
use std::collections::HashSet;

use duckdb::{params, params_from_iter, Connection};
use fovea_query::{Filters, ServiceRow};
use fovea_schema::{Event, Span};

use super::columns::{
    append, event_columns, event_from_row, select_list, sql_type, view_columns, view_from_row,
};
use super::read::quantile_sql;
use crate::batch::window;
use crate::columns::{span_cells, span_from, SPAN_COLUMNS};
use crate::traces::unique_spans;

/// Migration 7: spans, the page load's trace on views, and the apps'
/// settings added since the first schema (a table of their own: DuckDB
/// cannot add columns to a table with a primary key).
pub fn tables() -> String {
    let cols: Vec<String> = SPAN_COLUMNS
        .iter()
        .map(|(n, t)| format!("\"{n}\" {}", sql_type(*t)))
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS spans ({});
         ALTER TABLE views ADD COLUMN IF NOT EXISTS trace_id VARCHAR;
         ALTER TABLE views ADD COLUMN IF NOT EXISTS span_id VARCHAR;
         CREATE TABLE IF NOT EXISTS app_settings (app VARCHAR PRIMARY KEY, \
         server_key_hash VARCHAR, trace_url_template VARCHAR, \
         daily_event_quota UBIGINT, daily_replay_bytes_quota UBIGINT);",
        cols.join(", ")
    )
}

/// Stores spans in one transaction, leaving out those already stored. The
/// keys go through a staging table, like the events' (`insert_batch`).
pub fn insert(conn: &mut Connection, spans: Vec<Span>) -> duckdb::Result<()> {
    let spans = unique_spans(spans);
    if spans.is_empty() {
        return Ok(());
    }
    let (lo, hi) = window(spans.iter().map(Span::ts));
    conn.execute_batch("DELETE FROM temp.span_keys;")?;
    {
        let mut keys = conn.appender_to_catalog_and_db("span_keys", "temp", "main")?;
        for s in &spans {
            keys.append_row(params![s.app_id, s.trace_id, s.span_id])?;
        }
        keys.flush()?;
    }
    let tx = conn.transaction()?;
    let stored: HashSet<(String, String, String)> = {
        let mut st = tx.prepare(
            "SELECT app, trace_id, span_id FROM temp.span_keys k WHERE EXISTS (
                 SELECT 1 FROM spans s WHERE s.app = k.app AND s.trace_id = k.trace_id
                 AND s.span_id = k.span_id AND s.ts BETWEEN ? AND ?)",
        )?;
        let rows = st.query_map(params![lo, hi], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<duckdb::Result<_>>()?
    };
    let rows = (spans.iter())
        .filter(|s| !stored.contains(&(s.app_id.clone(), s.trace_id.clone(), s.span_id.clone())))
        .map(span_cells);
    append(&tx, "spans", SPAN_COLUMNS.iter(), rows)?;
    tx.commit()
}

pub fn spans(c: &Connection, app: &str, trace_ids: &[String]) -> duckdb::Result<Vec<Span>> {
    if trace_ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; trace_ids.len()].join(", ");
    let mut vals = vec![Value::Text(app.into())];
    vals.extend(trace_ids.iter().map(|t| Value::Text(t.clone())));
    let mut st = c.prepare(&format!(
        "SELECT {} FROM spans WHERE app = ? AND trace_id IN ({marks}) ORDER BY start_ns LIMIT {}",
        select_list(SPAN_COLUMNS.iter(), ""),
        crate::traces::MAX_SPANS
    ))?;
    let rows = st.query_map(params_from_iter(vals), |r| {
        span_from(&super::columns::Cols(r))
    })?;
    rows.collect()
}

/// Views and events with the trace id (a trace's browser side is a
/// handful of rows; the cap only bounds a client that reuses one id).
pub fn trace_events(c: &Connection, app: &str, trace_id: &str) -> duckdb::Result<Vec<Event>> {
    let params = [Value::Text(app.into()), Value::Text(trace_id.into())];
    let mut st = c.prepare(&format!(
        "SELECT {} FROM views WHERE app = ? AND trace_id = ? ORDER BY ts LIMIT 1000",
        select_list(view_columns(), "")
    ))?;
    let mut all: Vec<Event> = st
        .query_map(params_from_iter(params.clone()), view_from_row)?
        .collect::<duckdb::Result<_>>()?;
    let mut st = c.prepare(&format!(
        "SELECT {} FROM events WHERE app = ? AND trace_id = ? ORDER BY ts LIMIT 1000",
        select_list(event_columns(), "")
    ))?;
    all.extend(
        st.query_map(params_from_iter(params), event_from_row)?
            .collect::<duckdb::Result<Vec<_>>>()?,
    );
    Ok(all)
}

pub fn traced_requests(
    c: &Connection,
    app: &str,
    f: &Filters,
    limit: u32,
) -> duckdb::Result<Vec<Event>> {
    let (where_sql, mut vals) = super::read::scope(app, f, "");
    vals.push(Value::UInt(limit));
    let mut st = c.prepare(&format!(
        "SELECT {} FROM events WHERE {where_sql} AND type = 'resource' \
         AND kind IN ('fetch', 'xhr') AND trace_id IS NOT NULL \
         ORDER BY duration DESC NULLS LAST, ts DESC LIMIT ?",
        select_list(event_columns(), "")
    ))?;
    let rows = st.query_map(params_from_iter(vals), event_from_row)?;
    rows.collect()
}

pub fn services(
    c: &Connection,
    app: &str,
    f: &Filters,
    exact_values: u64,
) -> duckdb::Result<Vec<ServiceRow>> {
    let mut vals = vec![
        Value::Text(app.into()),
        Value::BigInt(f.from),
        Value::BigInt(f.to),
    ];
    let mut env = "";
    if let Some(e) = &f.env {
        env = " AND env = ?";
        vals.push(Value::Text(e.clone()));
    }
    let from_where = format!(
        "spans WHERE app = ? AND ts >= ? AND ts < ?{env} AND kind IN ('server', 'consumer')"
    );
    let ms = "duration_ns / 1e6";
    let p75 = quantile_sql(c, &from_where, &vals, ms, 0.75, exact_values)?;
    let p95 = quantile_sql(c, &from_where, &vals, ms, 0.95, exact_values)?;
    let mut st = c.prepare(&format!(
        "SELECT service, count(*) AS n, count(*) FILTER (WHERE status = 'error') AS errors,
                {p75}, {p95}
         FROM {from_where}
         GROUP BY service ORDER BY n DESC, service LIMIT 500"
    ))?;
    let rows = st.query_map(params_from_iter(vals), |r| {
        Ok(ServiceRow::new(
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
        ))
    })?;
    rows.collect()
}

/// Deletes an app's spans that started before `before`.
pub fn expire(c: &Connection, app: &str, before: i64) -> duckdb::Result<usize> {
    c.execute(
        "DELETE FROM spans WHERE app = ? AND ts < ?",
        duckdb::params![app, before],
    )
}
