//! Hourly vitals roll-ups in DuckDB (what they hold and how they are built
//! and merged: `crate::rollup`).
//!
//! For every closed hour, the roll-up keeps one row per (env, release,
//! dimension, key) with, for each metric, the exact count, the good /
//! needs-improvement / poor counts and a DDSketch of the values (relative
//! error ≤ 1%). A vitals
//! question over whole rolled-up hours merges those rows, plus the views
//! stored into those hours since (late beacons, a backfill, a spool
//! replayed after an outage: copies in `views_late`, a small table); the
//! hours it also covers that are not rolled up (the open hour, partial hours
//! at the edges, hours whose rolled-up views were replaced) are read raw, in
//! the same snapshot.
//!
//! Invariants:
//! - `rollup_hours` lists the (app, hour) pairs whose views `vitals_hourly`
//!   and `views_late` together hold in full (none, for a marked quiet hour),
//!   and they always agree with `views`. The insert that adds a view to a
//!   marked hour copies it into `views_late`; the one that replaces a view
//!   the roll-up counted (or erases one) deletes that hour's mark, roll-up
//!   and late copies, in the same transaction. Rolling an hour up again
//!   deletes its late copies with its old roll-up, and retention deletes
//!   them with the rows, in one transaction each;
//! - `views_late` holds copies of rows of marked hours only;
//! - a question is answered from one snapshot, so a view is counted either
//!   from its hour's roll-up, from its late copy or from its row, never
//!   twice, never not at all.

use std::collections::HashSet;

use duckdb::types::Value;
use duckdb::{appender_params_from_iter, params, params_from_iter, Connection};
use fovea_query::{Dimension, VitalsGroup, VitalsQuery};
use fovea_schema::Metric;

use crate::rollup::{
    all_crossed, bucket_sql, hour_of, plan, raw_hours, source_columns, Agg, HourRollup, KeyFrom,
    RolledRows, VitalsMerge, CROSSED_TABLE, HOUR_MS, LATE_TABLE, MAX_HOURS_PER_CALL, OTHER,
};

/// The SQL expression a vitals question groups by (`NULL` for no grouping).
pub fn group_key_sql(by: Dimension) -> String {
    by.column()
        .map_or("NULL::VARCHAR".to_string(), |k| format!("\"{k}\""))
}

fn sketch_error(e: crate::rollup::SketchError) -> duckdb::Error {
    duckdb::Error::FromSqlConversionFailure(0, duckdb::types::Type::Blob, Box::new(e))
}

/// Rolls up the (app, hours) that have views, end before `before` and are
/// not rolled up yet, or were before filters were crossed (oldest first, at
/// most [`MAX_HOURS_PER_CALL`]); returns how many it rolled up. Closed hours
/// without views are marked as rolled up too, so that quiet hours do not
/// send questions to the raw rows. `busy` hours, still receiving views, wait.
pub fn roll_up(
    conn: &mut Connection,
    before: i64,
    busy: &HashSet<(String, i64)>,
) -> duckdb::Result<u64> {
    let cutoff = hour_of(before);
    // Hours never rolled up (or before filters were crossed), and hours
    // with late views to fold in.
    let pending: Vec<(String, i64)> = {
        let mut st = conn.prepare(&format!(
            "(SELECT DISTINCT app, ts // {HOUR_MS} * {HOUR_MS} AS hour FROM views WHERE ts < ?
              EXCEPT SELECT app, hour FROM rollup_hours WHERE crossed IS NOT NULL)
             UNION SELECT DISTINCT app, ts // {HOUR_MS} * {HOUR_MS} FROM {LATE_TABLE} WHERE ts < ?
             ORDER BY hour"
        ))?;
        let rows = st.query_map(params![cutoff, cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<duckdb::Result<Vec<_>>>()?
            .into_iter()
            .filter(|h| !busy.contains(h))
            .take(MAX_HOURS_PER_CALL)
            .collect()
    };
    let mut rolled = 0;
    for (app, hour) in &pending {
        match roll_up_hour(conn, app, *hour) {
            Ok(()) => rolled += 1,
            // One bad hour must not stop the others; it stays raw (exact).
            Err(e) => tracing::warn!(app, hour, error = %e, "an hour could not be rolled up"),
        }
    }
    // Empty closed hours since each app's first view. An insert into one
    // later drops the mark like any roll-up (see `invalidate`).
    conn.execute(
        &format!(
            "INSERT INTO rollup_hours (app, hour, crossed) SELECT app, hour, ? FROM (
                 SELECT app, unnest(range(first, ?, {HOUR_MS})) AS hour FROM (
                     SELECT app, min(ts) // {HOUR_MS} * {HOUR_MS} AS first FROM views GROUP BY app)
                 EXCEPT SELECT DISTINCT app, ts // {HOUR_MS} * {HOUR_MS} FROM views
                 EXCEPT SELECT app, hour FROM rollup_hours)"
        ),
        params![all_crossed(), cutoff],
    )?;
    Ok(rolled)
}

/// Migration 11: the crossed rows, one per (app, hour, env, release, filter
/// dimension, filter value, dimension, key), and which filter dimensions
/// each hour crossed. Hours rolled up before cross none (`NULL`) and are
/// rolled up again; quiet ones need not be.
pub fn crossed_table() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {CROSSED_TABLE} (app VARCHAR NOT NULL, hour BIGINT NOT NULL, \
         env VARCHAR, release VARCHAR, dim VARCHAR NOT NULL, key VARCHAR, {}, \
         fdim VARCHAR NOT NULL, fkey VARCHAR);
         ALTER TABLE rollup_hours ADD COLUMN crossed VARCHAR;
         UPDATE rollup_hours SET crossed = '{}' WHERE NOT EXISTS (
             SELECT 1 FROM vitals_hourly v
             WHERE v.app = rollup_hours.app AND v.hour = rollup_hours.hour);",
        metric_columns(),
        all_crossed()
    )
}

/// A column group per metric, so that a question reads only its metric's
/// sketches.
fn metric_columns() -> String {
    let metrics: Vec<String> = Metric::ALL
        .iter()
        .map(|m| {
            let m = m.name();
            format!("{m}_n UBIGINT, {m}_good UBIGINT, {m}_ni UBIGINT, {m}_poor UBIGINT, {m}_sketch BLOB")
        })
        .collect();
    metrics.join(", ")
}

/// Migration 2: one row per (app, hour, env, release, dimension, key), with
/// a column group per metric so that a question reads only its metric's
/// sketches. No keys, like the event tables; the writer is the only writer.
pub fn tables() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS vitals_hourly (app VARCHAR NOT NULL, hour BIGINT NOT NULL, \
         env VARCHAR, release VARCHAR, dim VARCHAR NOT NULL, key VARCHAR, {}); \
         CREATE TABLE IF NOT EXISTS rollup_hours (app VARCHAR NOT NULL, hour BIGINT NOT NULL);",
        metric_columns()
    )
}

/// The tables that hold an hour's roll-up.
const TABLES: [&str; 3] = ["vitals_hourly", CROSSED_TABLE, "rollup_hours"];

/// Deletes the late copies of an hour's views (its roll-up now counts
/// them, or is gone).
fn drop_late(conn: &Connection, app: &str, hour: i64) -> duckdb::Result<usize> {
    conn.execute(
        &format!("DELETE FROM {LATE_TABLE} WHERE app = ? AND ts >= ? AND ts < ?"),
        params![app, hour, hour + HOUR_MS],
    )
}

/// The marked hours among `hours`; a view stored into one of them is a
/// late view.
pub fn marked(
    conn: &Connection,
    hours: &[(String, i64)],
) -> duckdb::Result<HashSet<(String, i64)>> {
    let (first, last) = hours.iter().fold((i64::MAX, i64::MIN), |(lo, hi), (_, h)| {
        (lo.min(*h), hi.max(*h))
    });
    if first > last {
        return Ok(HashSet::new());
    }
    let mut st = conn.prepare("SELECT app, hour FROM rollup_hours WHERE hour BETWEEN ? AND ?")?;
    let rows = st.query_map(params![first, last], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let all: HashSet<(String, i64)> = rows.collect::<duckdb::Result<_>>()?;
    Ok(hours.iter().filter(|h| all.contains(*h)).cloned().collect())
}

fn roll_up_hour(conn: &mut Connection, app: &str, hour: i64) -> duckdb::Result<()> {
    let sql = format!(
        "SELECT {} FROM views WHERE app = ? AND ts >= ? AND ts < ?",
        source_columns().join(", ")
    );
    let mut hour_rollup = HourRollup::default();
    let tx = conn.transaction()?;
    // An hour rolled up before filters were crossed is replaced.
    for table in TABLES {
        tx.execute(
            &format!("DELETE FROM {table} WHERE app = ? AND hour = ?"),
            params![app, hour],
        )?;
    }
    drop_late(&tx, app, hour)?;
    {
        let mut st = tx.prepare(&sql)?;
        let mut rows = st.query(params![app, hour, hour + HOUR_MS])?;
        while let Some(r) = rows.next()? {
            let mut dims: [Option<String>; 6] = Default::default();
            for (i, d) in dims.iter_mut().enumerate() {
                *d = r.get(1 + i)?;
            }
            let mut values = [None; 7];
            for (i, v) in values.iter_mut().enumerate() {
                *v = r.get(7 + i)?;
            }
            hour_rollup.add(r.get(0)?, dims, values);
        }
    }
    let crossed = hour_rollup.crossed();
    {
        let mut plain = tx.appender("vitals_hourly")?;
        let mut crossed_out = tx.appender(CROSSED_TABLE)?;
        let text = |s: Option<String>| s.map_or(Value::Null, Value::Text);
        for row in hour_rollup.rows() {
            let mut values = vec![
                Value::Text(app.into()),
                Value::BigInt(hour),
                text(row.env),
                text(row.release),
                Value::Text(row.dim.into()),
                text(row.key),
            ];
            for agg in &row.metrics {
                match agg {
                    Some(a) => values.extend([
                        Value::UBigInt(a.n),
                        Value::UBigInt(a.good),
                        Value::UBigInt(a.ni),
                        Value::UBigInt(a.poor),
                        Value::Blob(a.encode_sketch()),
                    ]),
                    None => values.extend(std::iter::repeat_n(Value::Null, 5)),
                }
            }
            match row.fdim {
                None => plain.append_row(appender_params_from_iter(values))?,
                Some(fdim) => {
                    values.extend([Value::Text(fdim.into()), text(row.fkey)]);
                    crossed_out.append_row(appender_params_from_iter(values))?
                }
            }
        }
        plain.flush()?;
        crossed_out.flush()?;
    }
    tx.execute(
        "INSERT INTO rollup_hours (app, hour, crossed) VALUES (?, ?, ?)",
        params![app, hour, crossed],
    )?;
    tx.commit()
}

/// Drops the roll-ups of the given hours, and their late copies (views
/// they counted are being replaced or erased); runs inside the writer's
/// transaction.
pub fn invalidate(conn: &Connection, hours: &[(String, i64)]) -> duckdb::Result<()> {
    for (app, hour) in hours {
        let gone = conn.execute(
            "DELETE FROM rollup_hours WHERE app = ? AND hour = ?",
            params![app, hour],
        )?;
        if gone > 0 {
            for table in ["vitals_hourly", CROSSED_TABLE] {
                conn.execute(
                    &format!("DELETE FROM {table} WHERE app = ? AND hour = ?"),
                    params![app, hour],
                )?;
            }
            drop_late(conn, app, *hour)?;
        }
    }
    Ok(())
}

/// Drops the roll-ups of every hour that starts before `before` (retention
/// deletes the rows under them; a partial hour is rolled up again later).
pub fn expire(conn: &Connection, app: &str, before: i64) -> duckdb::Result<()> {
    for table in TABLES {
        conn.execute(
            &format!("DELETE FROM {table} WHERE app = ? AND hour < ?"),
            params![app, before],
        )?;
    }
    conn.execute(
        &format!("DELETE FROM {LATE_TABLE} WHERE app = ? AND ts // {HOUR_MS} * {HOUR_MS} < ?"),
        params![app, before],
    )?;
    Ok(())
}

/// Raw ranges read one by one; past this many, in one pass (measured with
/// `fovea-bench query`: 48 late hours in one pass 155 ms, one by one 199 ms;
/// the two edges one by one 19 ms, in one pass over the week 70 ms).
const FEW_RANGES: usize = 8;

/// Answers a vitals question from roll-ups plus the raw rows they do not
/// cover, or returns `None` when roll-ups cannot answer it or the exact
/// path is as fast (see [`RolledRows::of`] and [`plan`]).
pub fn vitals(
    c: &Connection,
    app: &str,
    q: &VitalsQuery,
    raw_scope: impl Fn(i64, i64) -> (String, Vec<Value>),
) -> duckdb::Result<Option<Vec<VitalsGroup>>> {
    let Some(wanted) = RolledRows::of(q) else {
        return Ok(None);
    };
    let f = &q.filters;
    // The hours whose rows answer: rolled up and, for a filtered question,
    // crossed on its dimension with no value folded into OTHER.
    let mut hours_sql = format!(
        "SELECT hour FROM rollup_hours WHERE app = ? AND hour >= ? AND hour + {HOUR_MS} <= ?"
    );
    let mut hours_values = vec![
        Value::Text(app.into()),
        Value::BigInt(f.from),
        Value::BigInt(f.to),
    ];
    if let (Some(like), Some(dim)) = (wanted.crossed_like(), wanted.filter) {
        hours_sql.push_str(&format!(
            " AND crossed LIKE ? AND hour NOT IN (SELECT hour FROM vitals_hourly
              WHERE app = ? AND dim = ? AND key = '{OTHER}')"
        ));
        hours_values.extend([
            Value::Text(like),
            Value::Text(app.into()),
            Value::Text(dim.into()),
        ]);
    }
    let rolled: Vec<i64> = {
        let mut st = c.prepare(&format!("{hours_sql} ORDER BY hour"))?;
        let rows = st.query_map(params_from_iter(&hours_values), |r| r.get(0))?;
        rows.collect::<duckdb::Result<_>>()?
    };
    let Some(raw) = plan(f, &rolled) else {
        return Ok(None);
    };
    let m = q.metric.name();
    let mut merged = VitalsMerge::default();

    let key = match wanted.key_from {
        KeyFrom::Key => "key",
        KeyFrom::Release => "release",
        KeyFrom::Nothing => "NULL::VARCHAR",
    };
    let mut sql = format!(
        "SELECT {key}, {m}_n, {m}_good, {m}_ni, {m}_poor, {m}_sketch FROM {}
         WHERE app = ? AND dim = ? AND {m}_n IS NOT NULL AND hour IN ({hours_sql})",
        wanted.table()
    );
    let mut values = vec![Value::Text(app.into()), Value::Text(wanted.dim.into())];
    values.extend(hours_values.iter().cloned());
    for (col, v) in wanted.equalities(f) {
        sql.push_str(&format!(" AND \"{col}\" = ?"));
        values.push(Value::Text(v.into()));
    }
    let mut st = c.prepare(&sql)?;
    let mut rows = st.query(params_from_iter(values))?;
    while let Some(r) = rows.next()? {
        let blob: Vec<u8> = r.get(5)?;
        let part = Agg {
            n: r.get(1)?,
            good: r.get(2)?,
            ni: r.get(3)?,
            poor: r.get(4)?,
            sketch: Agg::decode_sketch(&blob).map_err(sketch_error)?,
        };
        merged.add_rolled(r.get(0)?, part);
    }

    // Every raw range in one query, grouped by key and sketch bucket. A few
    // ranges (the edges) each in a `UNION ALL`, which DuckDB prunes by the
    // `ts` zone maps; many (hours whose views were replaced) as a list of
    // hours, one pass over the range instead of one per hour. Then the late
    // views of exactly the hours whose roll-ups were merged (`hours_sql`
    // again, in the same snapshot).
    let select = |table: &str, (from, to), extra: &str, values: &mut Vec<Value>| {
        let (raw_where, raw_values) = raw_scope(from, to);
        values.extend(raw_values);
        format!(
            "SELECT {} AS k, {m} AS v FROM {table} WHERE {raw_where} {extra} AND {m} IS NOT NULL",
            group_key_sql(q.by)
        )
    };
    let mut values = Vec::new();
    let mut parts: Vec<String> = match raw_hours(&raw) {
        None => Vec::new(),
        Some(_) if raw.len() <= FEW_RANGES => raw
            .iter()
            .map(|r| select("views", *r, "", &mut values))
            .collect(),
        Some((from, to, hours)) => {
            let in_hours = format!("AND ts // {HOUR_MS} IN ({hours})");
            vec![select("views", (from, to), &in_hours, &mut values)]
        }
    };
    if !rolled.is_empty() {
        let in_rolled = format!("AND ts // {HOUR_MS} * {HOUR_MS} IN ({hours_sql})");
        parts.push(select(LATE_TABLE, (f.from, f.to), &in_rolled, &mut values));
        values.extend(hours_values);
    }
    if !parts.is_empty() {
        let t = q.metric.thresholds();
        let mut st = c.prepare(&format!(
            "SELECT k, min(v), max(v), count(*) FILTER (v <= {g}),
                    count(*) FILTER (v > {g} AND v <= {ni}), count(*) FILTER (v > {ni})
             FROM ({}) GROUP BY k, {}",
            parts.join(" UNION ALL "),
            bucket_sql("v", "ln"),
            g = t.good,
            ni = t.ni,
        ))?;
        let mut rows = st.query(params_from_iter(values))?;
        while let Some(r) = rows.next()? {
            let counts = [r.get(3)?, r.get(4)?, r.get(5)?];
            merged.add_raw(r.get(0)?, r.get(1)?, r.get(2)?, counts);
        }
    }
    Ok(Some(merged.finish(q.p)))
}
