//! Hourly vitals rollups, so that a percentile over millions of views does
//! not read millions of rows.
//!
//! For every closed hour, the roll-up keeps one row per (env, release,
//! dimension, key) with, for each metric, the exact count, the good /
//! needs-improvement / poor counts and a DDSketch of the values (relative
//! error ≤ 1%). A vitals
//! question over whole rolled-up hours merges those rows; the hours it also
//! covers that are not rolled up (the open hour, partial hours at the edges,
//! hours that late beacons touched) are read raw, in the same snapshot.
//!
//! Invariants:
//! - `rollup_hours` lists the (app, hour) pairs whose views `vitals_hourly`
//!   holds in full (none, for a marked quiet hour), and both always agree
//!   with `views`: the insert that adds or replaces a view in a marked hour
//!   deletes that hour's mark and roll-up in the same transaction, and
//!   retention deletes them with the rows, in one transaction too;
//! - a question is answered from one snapshot, so an hour is counted either
//!   from its roll-up or from its rows, never both, never neither.

use std::collections::HashMap;

use duckdb::types::Value;
use duckdb::{appender_params_from_iter, params, params_from_iter, Connection};
use fovea_query::{Dimension, Filters, VitalsGroup, VitalsQuery};
use fovea_schema::{Metric, Rating};
use sketches_ddsketch::{Config, DDSketch};

pub const HOUR_MS: i64 = 3_600_000;

/// The start of the hour `ts` falls in.
pub fn hour_of(ts: i64) -> i64 {
    ts.div_euclid(HOUR_MS) * HOUR_MS
}

/// The SQL expression a vitals question groups by (`NULL` for no grouping).
pub fn group_key_sql(by: Dimension) -> String {
    by.column()
        .map_or("NULL::VARCHAR".to_string(), |k| format!("\"{k}\""))
}

/// The dimensions a vitals question can group by, in roll-up order.
const DIMS: [Dimension; 7] = [
    Dimension::Page,
    Dimension::Browser,
    Dimension::Device,
    Dimension::Country,
    Dimension::Connection,
    Dimension::Release,
    Dimension::None,
];

fn dim_name(d: Dimension) -> &'static str {
    d.column().unwrap_or("none")
}

/// Counts and a sketch of one metric's values in one group.
#[derive(Clone)]
struct Agg {
    n: u64,
    good: u64,
    ni: u64,
    poor: u64,
    sketch: DDSketch,
}

impl Agg {
    fn new() -> Agg {
        Agg {
            n: 0,
            good: 0,
            ni: 0,
            poor: 0,
            sketch: DDSketch::new(Config::defaults()),
        }
    }

    fn add(&mut self, m: Metric, v: f64) {
        self.n += 1;
        match m.rate(v) {
            Rating::Good => self.good += 1,
            Rating::Ni => self.ni += 1,
            Rating::Poor => self.poor += 1,
        }
        self.sketch.add(v);
    }

    fn merge(&mut self, o: &Agg) {
        self.n += o.n;
        self.good += o.good;
        self.ni += o.ni;
        self.poor += o.poor;
        self.sketch
            .merge(&o.sketch)
            .expect("sketches share one config");
    }

    /// The value at rank `k` (0-based) of the sorted values: exact at both
    /// ends, within the sketch's 1% in between.
    fn at_rank(&self, k: u64) -> f64 {
        let (min, max) = (
            self.sketch.min().unwrap_or(0.0),
            self.sketch.max().unwrap_or(0.0),
        );
        if k == 0 {
            return min;
        }
        if k + 1 >= self.n {
            return max;
        }
        // The crate's rank is floor(q · (n - 1)); aim at the middle of `k`.
        let q = (k as f64 + 0.5) / (self.n - 1) as f64;
        let v = self.sketch.quantile(q).ok().flatten().unwrap_or(min);
        // A bucket's midpoint can lie just outside the values seen.
        v.clamp(min, max)
    }

    /// The `p`th percentile interpolated between neighbouring ranks, as
    /// DuckDB's `quantile_cont` does on the exact path.
    fn percentile(&self, p: u8) -> f64 {
        let r = f64::from(p) / 100.0 * (self.n.saturating_sub(1)) as f64;
        let k = r.floor() as u64;
        let (a, frac) = (self.at_rank(k), r - k as f64);
        if frac == 0.0 {
            a
        } else {
            a + (self.at_rank(k + 1) - a) * frac
        }
    }

    fn group(&self, key: Option<String>, p: u8) -> VitalsGroup {
        let share = |c: u64| c as f64 / self.n as f64;
        VitalsGroup {
            key,
            value: self.percentile(p),
            count: self.n,
            good: share(self.good),
            ni: share(self.ni),
            poor: share(self.poor),
        }
    }
}

fn sketch_error(e: postcard::Error) -> duckdb::Error {
    duckdb::Error::ToSqlConversionFailure(Box::new(e))
}

/// Whether a question can use the roll-ups: they keep env and release, not
/// the other filter dimensions.
pub fn serves(f: &Filters) -> bool {
    f.page.is_none() && f.browser.is_none() && f.device.is_none() && f.country.is_none()
}

/// At most this many hours per call, so that a first run over a long
/// history does not hold the bulk thread (and the writer's inserts) for long;
/// the maintenance task calls again every minute.
const MAX_HOURS_PER_CALL: usize = 24;

/// Rolls up the (app, hour)s that have views, end before `before` and are
/// not rolled up yet (oldest first, at most [`MAX_HOURS_PER_CALL`]); returns
/// how many it rolled up. Closed hours without views are marked as rolled
/// up too, so that quiet hours do not send questions to the raw rows.
pub fn roll_up(conn: &mut Connection, before: i64) -> duckdb::Result<u64> {
    let cutoff = hour_of(before);
    let pending: Vec<(String, i64)> = {
        let mut st = conn.prepare(&format!(
            "SELECT DISTINCT app, ts // {HOUR_MS} * {HOUR_MS} AS hour FROM views WHERE ts < ?
             EXCEPT SELECT app, hour FROM rollup_hours ORDER BY hour LIMIT {MAX_HOURS_PER_CALL}"
        ))?;
        let rows = st.query_map(params![cutoff], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<duckdb::Result<_>>()?
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
            "INSERT INTO rollup_hours
             SELECT app, unnest(range(first, ?, {HOUR_MS})) AS hour FROM (
                 SELECT app, min(ts) // {HOUR_MS} * {HOUR_MS} AS first FROM views GROUP BY app)
             EXCEPT SELECT DISTINCT app, ts // {HOUR_MS} * {HOUR_MS} FROM views
             EXCEPT SELECT app, hour FROM rollup_hours"
        ),
        params![cutoff],
    )?;
    Ok(rolled)
}

/// Migration 2: one row per (app, hour, env, release, dimension, key), with
/// a column group per metric so that a question reads only its metric's
/// sketches. No keys, like the event tables; the writer is the only writer.
pub fn tables() -> String {
    let metrics: Vec<String> = Metric::ALL
        .iter()
        .map(|m| {
            let m = m.name();
            format!("{m}_n UBIGINT, {m}_good UBIGINT, {m}_ni UBIGINT, {m}_poor UBIGINT, {m}_sketch BLOB")
        })
        .collect();
    format!(
        "CREATE TABLE IF NOT EXISTS vitals_hourly (app VARCHAR NOT NULL, hour BIGINT NOT NULL, \
         env VARCHAR, release VARCHAR, dim VARCHAR NOT NULL, key VARCHAR, {}); \
         CREATE TABLE IF NOT EXISTS rollup_hours (app VARCHAR NOT NULL, hour BIGINT NOT NULL);",
        metrics.join(", ")
    )
}

/// Interns the strings of one hour's rows, so grouping hashes integers.
#[derive(Default)]
struct Interner {
    ids: HashMap<Option<String>, u32>,
    values: Vec<Option<String>>,
}

impl Interner {
    fn id(&mut self, s: Option<String>) -> u32 {
        if let Some(&id) = self.ids.get(&s) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(s.clone());
        self.ids.insert(s, id);
        id
    }
}

/// (env, release, dimension index, key), interned.
type GroupKey = (u32, u32, u8, u32);

fn roll_up_hour(conn: &mut Connection, app: &str, hour: i64) -> duckdb::Result<()> {
    let metrics = Metric::ALL;
    let cols: Vec<&str> = DIMS.iter().filter_map(|d| d.column()).collect();
    let sql = format!(
        "SELECT env, {}, {} FROM views WHERE app = ? AND ts >= ? AND ts < ?",
        cols.join(", "),
        metrics.map(Metric::name).join(", ")
    );
    let mut strings = Interner::default();
    let mut groups: HashMap<GroupKey, [Option<Agg>; 7]> = HashMap::new();
    let release_col = 1 + cols.iter().position(|c| *c == "release").expect("release");
    let tx = conn.transaction()?;
    {
        let mut st = tx.prepare(&sql)?;
        let mut rows = st.query(params![app, hour, hour + HOUR_MS])?;
        while let Some(r) = rows.next()? {
            let env = strings.id(r.get(0)?);
            let release = strings.id(r.get(release_col)?);
            let values: Vec<Option<f64>> = (0..metrics.len())
                .map(|i| r.get(1 + cols.len() + i))
                .collect::<duckdb::Result<_>>()?;
            for (d, dim) in DIMS.iter().enumerate() {
                let key = match dim.column() {
                    Some(_) => strings.id(r.get(1 + d)?),
                    None => strings.id(None),
                };
                let slot = groups.entry((env, release, d as u8, key)).or_default();
                for (i, v) in values.iter().enumerate() {
                    if let Some(v) = v {
                        slot[i].get_or_insert_with(Agg::new).add(metrics[i], *v);
                    }
                }
            }
        }
    }
    {
        let mut out = tx.appender("vitals_hourly")?;
        let text = |id: u32| {
            strings.values[id as usize]
                .clone()
                .map_or(Value::Null, Value::Text)
        };
        // Rows of one dimension together, for the scans that read one.
        let mut groups: Vec<_> = groups.into_iter().collect();
        groups.sort_by_key(|((env, release, d, key), _)| (*d, *env, *release, *key));
        for ((env, release, d, key), aggs) in &groups {
            let mut row = vec![
                Value::Text(app.into()),
                Value::BigInt(hour),
                text(*env),
                text(*release),
                Value::Text(dim_name(DIMS[*d as usize]).into()),
                text(*key),
            ];
            for agg in aggs {
                match agg {
                    Some(a) => row.extend([
                        Value::UBigInt(a.n),
                        Value::UBigInt(a.good),
                        Value::UBigInt(a.ni),
                        Value::UBigInt(a.poor),
                        Value::Blob(postcard::to_allocvec(&a.sketch).map_err(sketch_error)?),
                    ]),
                    None => row.extend(std::iter::repeat_n(Value::Null, 5)),
                }
            }
            out.append_row(appender_params_from_iter(row))?;
        }
        out.flush()?;
    }
    tx.execute(
        "INSERT INTO rollup_hours (app, hour) VALUES (?, ?)",
        params![app, hour],
    )?;
    tx.commit()
}

/// Drops the roll-ups of the given hours (their rows are changing); runs
/// inside the writer's transaction.
pub fn invalidate(conn: &Connection, hours: &[(String, i64)]) -> duckdb::Result<()> {
    for (app, hour) in hours {
        let gone = conn.execute(
            "DELETE FROM rollup_hours WHERE app = ? AND hour = ?",
            params![app, hour],
        )?;
        if gone > 0 {
            conn.execute(
                "DELETE FROM vitals_hourly WHERE app = ? AND hour = ?",
                params![app, hour],
            )?;
        }
    }
    Ok(())
}

/// Drops the roll-ups of every hour that starts before `before` (retention
/// deletes the rows under them; a partial hour is rolled up again later).
pub fn expire(conn: &Connection, app: &str, before: i64) -> duckdb::Result<()> {
    conn.execute(
        "DELETE FROM vitals_hourly WHERE app = ? AND hour < ?",
        params![app, before],
    )?;
    conn.execute(
        "DELETE FROM rollup_hours WHERE app = ? AND hour < ?",
        params![app, before],
    )?;
    Ok(())
}

/// The parts of `[from, to)` outside the rolled-up hours (sorted).
fn uncovered(from: i64, to: i64, rolled: &[i64]) -> Vec<(i64, i64)> {
    let mut gaps = Vec::new();
    let mut at = from;
    for &h in rolled {
        if h > at {
            gaps.push((at, h));
        }
        at = h + HOUR_MS;
    }
    if at < to {
        gaps.push((at, to));
    }
    gaps
}

/// Answers a vitals question from roll-ups plus the raw rows they do not
/// cover, or returns `None` when no whole rolled-up hour is in range (the
/// exact path is then as fast and has no sketch error).
pub fn vitals(
    c: &Connection,
    app: &str,
    q: &VitalsQuery,
    raw_scope: impl Fn(i64, i64) -> (String, Vec<Value>),
) -> duckdb::Result<Option<Vec<VitalsGroup>>> {
    let f = &q.filters;
    let rolled: Vec<i64> = {
        let mut st = c.prepare(&format!(
            "SELECT hour FROM rollup_hours WHERE app = ? AND hour >= ? AND hour + {HOUR_MS} <= ?
             ORDER BY hour"
        ))?;
        let rows = st.query_map(params![app, f.from, f.to], |r| r.get(0))?;
        rows.collect::<duckdb::Result<_>>()?
    };
    let raw = uncovered(f.from, f.to, &rolled);
    // Past a few gaps, one exact pass over the range is cheaper.
    if rolled.is_empty() || raw.len() > 8 {
        return Ok(None);
    }
    let m = q.metric.name();
    let mut merged: HashMap<Option<String>, Agg> = HashMap::new();

    let mut sql = format!(
        "SELECT key, {m}_n, {m}_good, {m}_ni, {m}_poor, {m}_sketch FROM vitals_hourly
         WHERE app = ? AND dim = ? AND hour >= ? AND hour + {HOUR_MS} <= ? AND {m}_n IS NOT NULL"
    );
    let mut values = vec![
        Value::Text(app.into()),
        Value::Text(dim_name(q.by).into()),
        Value::BigInt(f.from),
        Value::BigInt(f.to),
    ];
    for (col, v) in f.dimensions() {
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
            sketch: postcard::from_bytes(&blob).map_err(sketch_error)?,
        };
        merged
            .entry(r.get(0)?)
            .and_modify(|a| a.merge(&part))
            .or_insert(part);
    }

    let key = group_key_sql(q.by);
    for (from, to) in raw {
        let (raw_where, raw_values) = raw_scope(from, to);
        let mut st = c.prepare(&format!(
            "SELECT {key}, {m} FROM views WHERE {raw_where} AND {m} IS NOT NULL"
        ))?;
        let mut rows = st.query(params_from_iter(raw_values))?;
        while let Some(r) = rows.next()? {
            merged
                .entry(r.get(0)?)
                .or_insert_with(Agg::new)
                .add(q.metric, r.get(1)?);
        }
    }

    let mut groups: Vec<VitalsGroup> = merged
        .into_iter()
        .filter(|(_, a)| a.n > 0)
        .map(|(k, a)| a.group(k, q.p))
        .collect();
    // As the exact path: biggest groups first, then by key, NULL last.
    groups.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.key.is_none().cmp(&b.key.is_none()))
            .then_with(|| a.key.cmp(&b.key))
    });
    groups.truncate(50);
    Ok(Some(groups))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncovered_leaves_the_edges_and_the_holes() {
        let h = HOUR_MS;
        assert_eq!(
            uncovered(10, 5 * h, &[h, 2 * h, 4 * h]),
            vec![(10, h), (3 * h, 4 * h)]
        );
        assert_eq!(
            uncovered(h, 3 * h + 7, &[h, 2 * h]),
            vec![(3 * h, 3 * h + 7)]
        );
        assert_eq!(uncovered(h, 2 * h, &[h]), vec![]);
        assert_eq!(uncovered(0, 7, &[]), vec![(0, 7)]);
    }
}
