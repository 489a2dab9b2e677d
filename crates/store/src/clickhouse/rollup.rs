//! Hourly vitals roll-ups on ClickHouse (what they hold and how they are
//! built and merged: `crate::rollup`). ClickHouse has no transactions, so
//! where DuckDB deletes a roll-up in the insert that makes it stale, here
//! every roll-up and every invalidation is a row of `rollup_marks`, and the
//! newest mark of an hour (by `version`) says whether the rows of its
//! `generation` in `vitals_hourly` hold the hour in full.
//!
//! Invariants:
//! - the writer marks each closed hour it inserts views into as not rolled
//!   up, at its own time, after the insert. A roll-up's mark carries the
//!   time it started reading less [`MARK_SKEW_MS`], or one more than the
//!   newest mark it saw before reading, whichever is higher. So a view the
//!   roll-up may have missed always has a newer invalidation (for clock
//!   skews between nodes up to the margin), and one it cannot have missed
//!   never outranks it; at worst an hour is rolled up again;
//! - a question reads the marks first, then only the rows of the marked
//!   generations, and the raw rows of every other hour: an hour is counted
//!   from one source, never both. Without snapshots, a view inserted while a
//!   question runs may be missing from its answer, never counted twice;
//! - rolling up is idempotent and every node may run it: two nodes rolling
//!   up one hour write two generations and the newest mark picks one.
//!   Retention drops roll-ups with their day's rows.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use fovea_query::{VitalsGroup, VitalsQuery};
use fovea_schema::Metric;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::client::{quote, RowBinary};
use super::read::{group_key_sql, scope};
use super::schema::Ddl;
use super::ClickHouseStore;
use crate::columns::Ty;
use crate::rollup::{
    all_crossed, bucket_sql, hour_of, plan, raw_hours, source_columns, Agg, HourRollup, KeyFrom,
    RolledRows, VitalsMerge, CROSSED_TABLE, HOUR_MS, MAX_HOURS_PER_CALL, OTHER,
};
use crate::{Result, StoreError};

/// The clock skew between nodes that marks tolerate (see the invariants).
pub const MARK_SKEW_MS: i64 = 60_000;

/// The UTC day of the `hour` column, the partition key's second part.
pub(super) const HOUR_DAY_SQL: &str = "toYYYYMMDD(toDateTime(intDiv(hour, 1000), 'UTC'))";

/// A column group per metric, so that a question reads only its metric's
/// sketches.
fn metric_columns() -> String {
    let metrics: Vec<String> = Metric::ALL
        .iter()
        .map(|m| {
            let m = m.name();
            format!(
                "{m}_n Nullable(UInt64), {m}_good Nullable(UInt64), {m}_ni Nullable(UInt64), \
                 {m}_poor Nullable(UInt64), {m}_sketch Nullable(String)"
            )
        })
        .collect();
    metrics.join(", ")
}

/// Migration 2: the roll-up tables, on every server in full like the
/// control data (small, and read by every vitals question).
pub fn tables() -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS vitals_hourly (app String, hour Int64, generation UInt64, \
             env Nullable(String), release Nullable(String), dim String, key Nullable(String), {}) \
             ENGINE = MergeTree PARTITION BY (app, {HOUR_DAY_SQL}) ORDER BY (app, dim, hour, generation)",
            metric_columns()
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS rollup_marks (app String, hour Int64, rolled UInt8, \
             generation UInt64, version Int64) ENGINE = ReplacingMergeTree(version) \
             PARTITION BY (app, {HOUR_DAY_SQL}) ORDER BY (app, hour)"
        ),
    ]
}

/// Migration 11: the crossed rows, one per (app, hour, generation, env,
/// release, filter dimension, filter value, dimension, key), and in each
/// mark which filter dimensions its hour crossed (`NULL` in marks from
/// before: their hours are rolled up again).
pub fn crossed_table() -> Vec<Ddl> {
    vec![
        Ddl::Sql(format!(
            "CREATE TABLE IF NOT EXISTS {CROSSED_TABLE} (app String, hour Int64, \
             generation UInt64, env Nullable(String), release Nullable(String), fdim String, \
             fkey Nullable(String), dim String, key Nullable(String), {}) ENGINE = MergeTree \
             PARTITION BY (app, {HOUR_DAY_SQL}) ORDER BY (app, fdim, dim, hour, generation)",
            metric_columns()
        )),
        Ddl::AddColumn {
            table: "rollup_marks".into(),
            column: "crossed",
            ty: Ty::OptText,
        },
    ]
}

/// The roll-up tables, for retention.
pub const TABLES: [&str; 3] = ["vitals_hourly", CROSSED_TABLE, "rollup_marks"];

/// Sketches are bytes; a `JSONEachRow` string must be text, so they are
/// stored in base64 (a third larger, and decoded by an optimised crate:
/// hex decoded by hand took most of a roll-up question's time).
fn encode_sketch(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode_sketch(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// A mark of an hour: rolled up (the filter dimensions it crossed, see
/// [`HourRollup::crossed`]) or not (`None`).
fn mark(app: &str, hour: i64, crossed: Option<&str>, generation: u64, version: i64) -> String {
    let mut s = json!({
        "app": app, "hour": hour, "rolled": u8::from(crossed.is_some()),
        "generation": generation, "version": version, "crossed": crossed,
    })
    .to_string();
    s.push('\n');
    s
}

/// Marks the closed hours that `views` (app, ts) touched as not rolled up;
/// the writer calls this after inserting them.
pub async fn invalidate(
    s: &ClickHouseStore,
    views: impl Iterator<Item = (&str, i64)>,
) -> Result<()> {
    let now = super::now_ms() as i64;
    let hours: HashSet<(&str, i64)> = views
        .map(|(app, ts)| (app, hour_of(ts)))
        // The open hour is rolled up only once closed (and minutes later).
        .filter(|(_, h)| h + HOUR_MS <= now)
        .collect();
    if hours.is_empty() {
        return Ok(());
    }
    let rows: String = hours
        .into_iter()
        .map(|(app, h)| mark(app, h, None, 0, now))
        .collect();
    s.insert_everywhere("rollup_marks", rows).await
}

#[derive(Deserialize)]
struct Marked {
    app: String,
    hour: i64,
    #[serde(rename = "newest_generation")]
    generation: u64,
    /// `None` for an hour rolled up before filters were crossed.
    #[serde(rename = "newest_crossed")]
    crossed: Option<String>,
}

/// The newest mark of each hour in a range that says "rolled up". Both
/// columns come from one row: ties on `version` go to an invalidation
/// (`rolled` 0), then to the higher generation.
async fn rolled_up(s: &ClickHouseStore, filter: &str) -> Result<Vec<Marked>> {
    // Aliases unlike the columns: 18.16 would read `generation` in the
    // tuple as the aggregate's own alias.
    const NEWEST: &str = "(version, 1 - rolled, generation)";
    s.rows(format!(
        "SELECT app, hour, argMax(generation, {NEWEST}) AS newest_generation, \
         argMax(crossed, {NEWEST}) AS newest_crossed FROM rollup_marks \
         WHERE {filter} GROUP BY app, hour HAVING argMax(rolled, {NEWEST}) = 1 ORDER BY hour"
    ))
    .await
}

/// Rolls up the (app, hour)s that have views, end before `before` and are
/// not rolled up, or were before filters were crossed (oldest first, at
/// most [`MAX_HOURS_PER_CALL`]), and marks the quiet closed hours since each
/// app's first view as rolled up with no rows. Assumes `before` trails the clock by minutes, as the maintenance
/// task's does, so that writers mark late views' hours. Hours a writer marked
/// at or after `busy_since` (their invalidations' versions) wait.
pub async fn roll_up(s: &ClickHouseStore, before: i64, busy_since: i64) -> Result<u64> {
    #[derive(Deserialize)]
    struct Hour {
        app: String,
        hour: i64,
    }
    let cutoff = hour_of(before);
    // Before reading which hours have views: a quiet hour's mark must not
    // outrank the invalidation of a view inserted while this runs.
    let quiet_version = super::now_ms() as i64 - MARK_SKEW_MS;
    let with_views: Vec<Hour> = s
        .rows(format!(
            "SELECT app, intDiv(ts, {HOUR_MS}) * {HOUR_MS} AS hour FROM views \
             WHERE ts < {cutoff} GROUP BY app, hour ORDER BY hour"
        ))
        .await?;
    // Hours rolled up with their filters crossed.
    let done: HashSet<(String, i64)> = rolled_up(s, &format!("hour < {cutoff}"))
        .await?
        .into_iter()
        .filter(|m| m.crossed.is_some())
        .map(|m| (m.app, m.hour))
        .collect();
    let written: HashSet<(String, i64)> = s
        .rows::<Hour>(format!(
            "SELECT app, hour FROM rollup_marks WHERE rolled = 0 AND version >= {busy_since} \
             AND hour < {cutoff} GROUP BY app, hour"
        ))
        .await?
        .into_iter()
        .map(|h| (h.app, h.hour))
        .collect();
    let mut rolled = 0;
    for h in with_views
        .iter()
        .filter(|h| {
            let key = (h.app.clone(), h.hour);
            !done.contains(&key) && !written.contains(&key)
        })
        .take(MAX_HOURS_PER_CALL)
    {
        match roll_up_hour(s, &h.app, h.hour).await {
            Ok(()) => rolled += 1,
            // One bad hour must not stop the others; it stays raw (exact).
            Err(e) => {
                tracing::warn!(app = %h.app, hour = h.hour, error = %e, "an hour could not be rolled up")
            }
        }
    }
    // Quiet closed hours: no views, nothing to roll up, marked so that
    // questions need not read them raw.
    let mut first: HashMap<&str, i64> = HashMap::new();
    let busy: HashSet<(&str, i64)> = with_views
        .iter()
        .map(|h| (h.app.as_str(), h.hour))
        .collect();
    for h in &with_views {
        first.entry(&h.app).or_insert(h.hour);
    }
    let mut quiet = String::new();
    for (app, from) in first {
        for hour in (from..cutoff).step_by(HOUR_MS as usize) {
            if !busy.contains(&(app, hour)) && !done.contains(&(app.to_string(), hour)) {
                quiet.push_str(&mark(app, hour, Some(&all_crossed()), 0, quiet_version));
            }
        }
    }
    if !quiet.is_empty() {
        s.insert_everywhere("rollup_marks", quiet).await?;
    }
    Ok(rolled)
}

async fn roll_up_hour(s: &ClickHouseStore, app: &str, hour: i64) -> Result<()> {
    #[derive(Deserialize)]
    struct Newest {
        v: i64,
    }
    // Both taken before reading: the views of the marks seen are in what
    // is read, and a view inserted from here on gets a newer mark.
    let seen: Vec<Newest> = s
        .rows(format!(
            "SELECT max(version) AS v FROM rollup_marks WHERE app = {} AND hour = {hour}",
            quote(app)
        ))
        .await?;
    let version = (super::now_ms() as i64 - MARK_SKEW_MS).max(seen.first().map_or(0, |n| n.v) + 1);
    let generation: u64 = rand_generation();
    let cols = source_columns();
    let rows: Vec<Map<String, Value>> = s
        .rows(format!(
            "SELECT {} FROM views FINAL WHERE app = {} AND ts >= {hour} AND ts < {}",
            cols.iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            quote(app),
            hour + HOUR_MS
        ))
        .await?;
    let mut hour_rollup = HourRollup::default();
    let text =
        |r: &Map<String, Value>, c: &str| r.get(c).and_then(Value::as_str).map(str::to_string);
    for r in &rows {
        let dims: [Option<String>; 6] = std::array::from_fn(|i| text(r, cols[1 + i]));
        let values: [Option<f64>; 7] =
            std::array::from_fn(|i| r.get(cols[7 + i]).and_then(Value::as_f64));
        hour_rollup.add(text(r, cols[0]), dims, values);
    }
    let crossed = hour_rollup.crossed();
    let (mut plain, mut crossed_out) = (String::new(), String::new());
    for row in hour_rollup.rows() {
        let mut obj = Map::new();
        obj.insert("app".into(), app.into());
        obj.insert("hour".into(), hour.into());
        obj.insert("generation".into(), generation.into());
        obj.insert("env".into(), row.env.into());
        obj.insert("release".into(), row.release.into());
        if row.fdim.is_some() {
            obj.insert("fdim".into(), row.fdim.into());
            obj.insert("fkey".into(), row.fkey.into());
        }
        obj.insert("dim".into(), row.dim.into());
        obj.insert("key".into(), row.key.into());
        for (m, agg) in Metric::ALL.iter().zip(&row.metrics) {
            let m = m.name();
            if let Some(a) = agg {
                obj.insert(format!("{m}_n"), a.n.into());
                obj.insert(format!("{m}_good"), a.good.into());
                obj.insert(format!("{m}_ni"), a.ni.into());
                obj.insert(format!("{m}_poor"), a.poor.into());
                obj.insert(
                    format!("{m}_sketch"),
                    encode_sketch(&a.encode_sketch()).into(),
                );
            }
        }
        let out = match row.fdim {
            None => &mut plain,
            Some(_) => &mut crossed_out,
        };
        out.push_str(&Value::Object(obj).to_string());
        out.push('\n');
    }
    for (table, rows) in [("vitals_hourly", plain), (CROSSED_TABLE, crossed_out)] {
        if !rows.is_empty() {
            s.insert_everywhere(table, rows).await?;
        }
    }
    s.insert_everywhere(
        "rollup_marks",
        mark(app, hour, Some(&crossed), generation, version),
    )
    .await
}

/// `(hour, generation), …` of the marks that have rows, if any.
fn generations_sql(marked: &[Marked]) -> Option<String> {
    let generations: Vec<String> = marked
        .iter()
        .filter(|m| m.generation != 0)
        .map(|m| format!("({}, {})", m.hour, m.generation))
        .collect();
    (!generations.is_empty()).then(|| generations.join(", "))
}

/// A generation id no other roll-up of the hour will pick.
fn rand_generation() -> u64 {
    let id = uuid::Uuid::new_v4().as_u64_pair().0;
    id.max(1)
}

/// Answers a vitals question from roll-ups plus the raw rows they do not
/// cover, or returns `None` when roll-ups cannot answer it or the exact
/// path is as fast (see [`RolledRows::of`] and [`plan`]).
pub async fn vitals(
    s: &ClickHouseStore,
    app: &str,
    q: &VitalsQuery,
) -> Result<Option<Vec<VitalsGroup>>> {
    let Some(wanted) = RolledRows::of(q) else {
        return Ok(None);
    };
    let f = &q.filters;
    let mut marked = rolled_up(
        s,
        &format!(
            "app = {} AND hour >= {} AND hour + {HOUR_MS} <= {}",
            quote(app),
            f.from,
            f.to
        ),
    )
    .await?;
    // A filtered question reads the hours crossed on its dimension with no
    // value folded into OTHER.
    if let Some(dim) = wanted.filter {
        let mark = format!(",{dim},");
        marked.retain(|m| m.crossed.as_deref().is_some_and(|c| c.contains(&mark)));
        let folded = generations_sql(&marked).map(|generations| {
            format!(
                "SELECT hour FROM vitals_hourly WHERE app = {} AND dim = {} \
                 AND key = {} AND (hour, generation) IN ({generations}) GROUP BY hour",
                quote(app),
                quote(dim),
                quote(OTHER)
            )
        });
        if let Some(sql) = folded {
            #[derive(Deserialize)]
            struct Hour {
                hour: i64,
            }
            let hours: HashSet<i64> = s
                .rows::<Hour>(sql)
                .await?
                .into_iter()
                .map(|h| h.hour)
                .collect();
            marked.retain(|m| !hours.contains(&m.hour));
        }
    }
    let hours: Vec<i64> = marked.iter().map(|m| m.hour).collect();
    let Some(raw) = plan(f, &hours) else {
        return Ok(None);
    };
    let m = q.metric.name();
    let mut merged = VitalsMerge::default();
    if let Some(generations) = generations_sql(&marked) {
        let key = match wanted.key_from {
            KeyFrom::Key => "key",
            KeyFrom::Release => "release",
            KeyFrom::Nothing => "CAST(NULL AS Nullable(String))",
        };
        // RowBinary: thousands of rows of sketches, which ClickHouse formats
        // as JSON slowly.
        let mut sql = format!(
            "SELECT {key}, assumeNotNull({m}_n), assumeNotNull({m}_good), assumeNotNull({m}_ni), \
             assumeNotNull({m}_poor), assumeNotNull({m}_sketch) FROM {} \
             WHERE app = {} AND dim = {} AND (hour, generation) IN ({generations}) \
             AND {m}_n IS NOT NULL",
            wanted.table(),
            quote(app),
            quote(wanted.dim),
        );
        for (col, v) in wanted.equalities(f) {
            sql.push_str(&format!(" AND `{col}` = {}", quote(v)));
        }
        let answer = s
            .on_any(|url| {
                let sql = sql.clone();
                async move { s.client.rows_binary(&url, &sql).await }
            })
            .await?;
        let mut rows = RowBinary(&answer);
        while !rows.is_empty() {
            let key = rows.nullable_string()?;
            let (n, good, ni, poor) = (rows.u64()?, rows.u64()?, rows.u64()?, rows.u64()?);
            let text = std::str::from_utf8(rows.bytes()?).ok();
            let bytes = text
                .and_then(decode_sketch)
                .ok_or_else(|| StoreError::Rejected("a roll-up sketch is not base64".into()))?;
            let sketch =
                Agg::decode_sketch(&bytes).map_err(|e| StoreError::Rejected(e.to_string()))?;
            merged.add_rolled(
                key,
                Agg {
                    n,
                    good,
                    ni,
                    poor,
                    sketch,
                },
            );
        }
    }
    #[derive(Deserialize)]
    struct Raw {
        key: Option<String>,
        min: f64,
        max: f64,
        good: u64,
        ni: u64,
        poor: u64,
    }
    // Every raw range in one query, grouped by key and sketch bucket.
    if let Some((from, to, hours)) = raw_hours(&raw) {
        let bounds = fovea_query::Filters {
            from,
            to,
            ..f.clone()
        };
        let t = q.metric.thresholds();
        let v = format!("assumeNotNull({m})");
        let rows: Vec<Raw> = s
            .rows(format!(
                "SELECT {} AS key, min({v}) AS min, max({v}) AS max, \
                 countIf({v} <= {g}) AS good, countIf({v} > {g} AND {v} <= {ni}) AS ni, \
                 countIf({v} > {ni}) AS poor FROM views FINAL \
                 WHERE {} AND intDiv(ts, {HOUR_MS}) IN ({hours}) AND {m} IS NOT NULL \
                 GROUP BY key, {}",
                group_key_sql(q.by),
                scope(app, &bounds),
                bucket_sql(&v, "log"),
                g = t.good,
                ni = t.ni,
            ))
            .await?;
        for r in rows {
            merged.add_raw(r.key, r.min, r.max, [r.good, r.ni, r.poor]);
        }
    }
    Ok(Some(merged.finish(q.p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sketch_bytes_round_trip_as_text() {
        let bytes = [0u8, 1, 127, 128, 255];
        assert_eq!(decode_sketch(&encode_sketch(&bytes)).unwrap(), bytes);
        assert!(decode_sketch("not base64!").is_none());
    }
}
