//! Hourly vitals roll-ups on ClickHouse (what they hold and how they are
//! built and merged: `crate::rollup`). ClickHouse has no transactions, so
//! where DuckDB deletes a roll-up in the insert that makes it stale, here
//! every roll-up and every invalidation is a row of `rollup_marks`, and the
//! newest mark of an hour (by `version`) says whether the rows of its
//! `generation` in `vitals_hourly` hold the hour in full.
//!
//! Views stored into an hour after its roll-up (late beacons, a backfill,
//! a spool replayed after an outage) are copied into `views_late` under the
//! generation of the roll-up they add to, which a question reads with it
//! until the hour is rolled up again, instead of reading the whole hour raw.
//!
//! Invariants:
//! - the writer marks each closed hour it inserts views into as not rolled
//!   up, at its own time, after the insert, unless all of them are late
//!   (below). A roll-up's mark carries the time it started reading less [`MARK_SKEW_MS`], or one more than the
//!   newest mark it saw before reading, whichever is higher. So a view the
//!   roll-up may have missed always has a newer invalidation (for clock
//!   skews between nodes up to the margin), and one it cannot have missed
//!   never outranks it; at worst an hour is rolled up again;
//! - a view is late when its hour's newest mark is a roll-up (generation
//!   `G`) and the view is new to `views`, or its earlier versions are all
//!   copies under `G` (stored after `G` was published, so not in `G`). The
//!   writer stores it, then copies it under `G`, then reads the newest
//!   mark again and marks the hour as not rolled up if it is no longer `G`.
//!   A roll-up reads the hour's copies before reading its views and again
//!   after publishing its mark, and marks the hour as not rolled up if they
//!   changed. Each side writes, then reads what the other writes: a copy
//!   the new roll-up may have missed is seen by one of them. A later
//!   version of a view a roll-up counted marks its hour as not rolled up;
//! - a question reads the marks first, then only the rows of the marked
//!   generations and the copies under them (`FINAL`: a copy's newest
//!   version), and the raw rows of every other hour: each view is counted
//!   from one source, never two. Without snapshots, a view inserted while a
//!   question runs may be missing from its answer, never counted twice;
//! - rolling up is idempotent and every node may run it: two nodes rolling
//!   up one hour write two generations and the newest mark picks one.
//!   Retention drops roll-ups and copies with their day's rows; copies
//!   under a generation no longer newest are never read again.

use std::collections::{HashMap, HashSet};

use base64::Engine;
use fovea_query::{VitalsGroup, VitalsQuery};
use fovea_schema::Metric;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::client::{quote, RowBinary};
use super::columns::push_row;
use super::read::{group_key_sql, scope};
use super::schema::{columns_sql, Ddl};
use super::ClickHouseStore;
use crate::batch::view_id;
use crate::columns::{view_cells, view_columns, Cell, Column, Ty};
use crate::rollup::{
    all_crossed, bucket_sql, hour_of, plan, raw_hours, source_columns, Agg, HourRollup, KeyFrom,
    RolledRows, VitalsMerge, CROSSED_TABLE, HOUR_MS, LATE_TABLE, MAX_HOURS_PER_CALL, OTHER,
};
use crate::{Result, StoreError};
use fovea_schema::{Event, ViewEvent};

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

/// What a late copy adds to a view's columns: its hour, the generation it
/// adds to and when the writer stored it (which roll-ups wait on, like
/// the invalidations' versions).
const LATE_COLUMNS: &[Column] = &[("hour", Ty::I64), ("generation", Ty::U64), ("at", Ty::I64)];

/// Migration 12: the late copies (see the invariants), on every server in
/// full like the roll-ups (late views only: small). Its other columns are
/// the views' own: a migration that adds a column to `views` adds it here
/// too. A later version of a copy replaces it under the same generation.
pub fn late_table() -> Vec<Ddl> {
    vec![Ddl::Sql(format!(
        "CREATE TABLE IF NOT EXISTS {LATE_TABLE} ({}) ENGINE = ReplacingMergeTree(version) \
         PARTITION BY (app, {HOUR_DAY_SQL}) ORDER BY (app, hour, generation, view_id)",
        columns_sql(view_columns().chain(LATE_COLUMNS))
    ))]
}

/// The roll-up tables and the late copies, for retention.
pub const TABLES: [&str; 4] = ["vitals_hourly", CROSSED_TABLE, "rollup_marks", LATE_TABLE];

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

/// Marks the closed hours that `views` (app, ts) touched as not rolled up
/// (after their rows changed: erasure).
pub async fn invalidate(
    s: &ClickHouseStore,
    views: impl Iterator<Item = (&str, i64)>,
) -> Result<()> {
    mark_stale(s, closed_hours(views)).await
}

/// The closed hours of views (app, ts): the open hour is rolled up only
/// once closed (and minutes later).
fn closed_hours<'a>(views: impl Iterator<Item = (&'a str, i64)>) -> HashSet<(&'a str, i64)> {
    let now = super::now_ms() as i64;
    views
        .map(|(app, ts)| (app, hour_of(ts)))
        .filter(|(_, h)| h + HOUR_MS <= now)
        .collect()
}

/// Marks hours as not rolled up, at the time of the call: after the writes
/// that made their roll-ups stale.
async fn mark_stale(s: &ClickHouseStore, hours: HashSet<(&str, i64)>) -> Result<()> {
    if hours.is_empty() {
        return Ok(());
    }
    let now = super::now_ms() as i64;
    let rows: String = hours
        .into_iter()
        .map(|(app, h)| mark(app, h, None, 0, now))
        .collect();
    s.insert_everywhere("rollup_marks", rows).await
}

/// `(app, hour), …` for a tuple `IN`.
fn hours_sql<'a>(hours: impl Iterator<Item = &'a (&'a str, i64)>) -> String {
    hours
        .map(|(app, h)| format!("({}, {h})", quote(app)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The generation each of `hours` is rolled up in, when its newest mark is
/// a roll-up with its filters crossed.
async fn generations<'a>(
    s: &ClickHouseStore,
    hours: &HashSet<(&'a str, i64)>,
) -> Result<HashMap<(&'a str, i64), u64>> {
    let marked: HashMap<(String, i64), u64> =
        rolled_up(s, &format!("(app, hour) IN ({})", hours_sql(hours.iter())))
            .await?
            .into_iter()
            .filter(|m| m.crossed.is_some())
            .map(|m| ((m.app, m.hour), m.generation))
            .collect();
    Ok((hours.iter())
        .filter_map(|&(app, h)| marked.get(&(app.to_string(), h)).map(|g| ((app, h), *g)))
        .collect())
}

#[derive(Deserialize, PartialEq, Eq, Hash)]
struct ViewKey {
    app: String,
    view_id: String,
}

/// Stores the writer's views and keeps the roll-ups true (see the
/// invariants): late views are copied under their hour's roll-up, every
/// other closed hour written to is marked as not rolled up.
pub async fn insert_views<'a>(
    s: &ClickHouseStore,
    views: &[(&'a Event, &'a ViewEvent)],
) -> Result<()> {
    let mut rows = String::new();
    for (e, v) in views {
        push_row(&mut rows, view_columns(), view_cells(e, v));
    }
    let key = |e: &'a Event| (e.ctx.app_id.as_str(), hour_of(e.ctx.ts));
    let closed = closed_hours(views.iter().map(|(e, _)| (e.ctx.app_id.as_str(), e.ctx.ts)));
    if closed.is_empty() {
        return s.insert_rows("views", rows).await;
    }
    let rolled = generations(s, &closed).await?;
    let late: Vec<&(&Event, &ViewEvent)> = views
        .iter()
        .filter(|(e, _)| rolled.contains_key(&key(e)))
        .collect();
    let mut stale: HashSet<(&str, i64)> = (closed.iter())
        .filter(|k| !rolled.contains_key(k))
        .copied()
        .collect();
    if !late.is_empty() {
        // Which late views are in `views` already, and which of those only
        // as copies under the generation (not counted by it).
        let ids = (late.iter())
            .map(|(e, _)| quote(view_id(e)))
            .collect::<Vec<_>>()
            .join(", ");
        let in_rolled = hours_sql(rolled.keys());
        let under: String = (rolled.iter())
            .map(|((app, h), g)| format!("({}, {h}, {g})", quote(app)))
            .collect::<Vec<_>>()
            .join(", ");
        let stored: HashSet<ViewKey> = (s.rows(format!(
            "SELECT DISTINCT app, view_id FROM views WHERE (app, intDiv(ts, {HOUR_MS}) * {HOUR_MS}) \
             IN ({in_rolled}) AND view_id IN ({ids})"
        )))
        .await?
        .into_iter()
        .collect();
        let copied: HashSet<ViewKey> = (s.rows(format!(
            "SELECT DISTINCT app, view_id FROM {LATE_TABLE} WHERE (app, hour, generation) \
             IN ({under}) AND view_id IN ({ids})"
        )))
        .await?
        .into_iter()
        .collect();
        for (e, _) in &late {
            let id = ViewKey {
                app: e.ctx.app_id.clone(),
                view_id: view_id(e).to_string(),
            };
            if stored.contains(&id) && !copied.contains(&id) {
                // a later version of a view the roll-up counted
                stale.insert(key(e));
            }
        }
    }
    let now = super::now_ms() as i64;
    let mut copies = String::new();
    let mut copied_hours: HashSet<(&str, i64)> = HashSet::new();
    for (e, v) in late {
        let k = key(e);
        if stale.contains(&k) {
            continue;
        }
        let mut cells = view_cells(e, v);
        cells.extend([Cell::I64(k.1), Cell::U64(rolled[&k]), Cell::I64(now)]);
        push_row(&mut copies, view_columns().chain(LATE_COLUMNS), cells);
        copied_hours.insert(k);
    }
    // The views first: a roll-up that sees a copy sees its view.
    s.insert_rows("views", rows).await?;
    if !copies.is_empty() {
        s.insert_everywhere(LATE_TABLE, copies).await?;
        // A roll-up published since may have read the hour before the views.
        let newest = generations(s, &copied_hours).await?;
        for k in copied_hours {
            if newest.get(&k) != rolled.get(&k) {
                stale.insert(k);
            }
        }
    }
    mark_stale(s, stale).await
}

/// What an hour's late copies are: it changes with every copy stored
/// (a new view, or a view's later version).
async fn late_fingerprint(s: &ClickHouseStore, app: &str, hour: i64) -> Result<(u64, u64)> {
    #[derive(Deserialize)]
    struct Fingerprint {
        n: u64,
        h: u64,
    }
    let f: Vec<Fingerprint> = s
        .rows(format!(
            "SELECT count() AS n, sum(cityHash64(view_id, version, generation)) AS h \
             FROM {LATE_TABLE} FINAL WHERE app = {} AND hour = {hour}",
            quote(app)
        ))
        .await?;
    Ok(f.first().map_or((0, 0), |f| (f.n, f.h)))
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
    // Hours rolled up with their filters crossed, and their generations.
    let mut done: HashMap<(String, i64), u64> = rolled_up(s, &format!("hour < {cutoff}"))
        .await?
        .into_iter()
        .filter(|m| m.crossed.is_some())
        .map(|m| ((m.app, m.hour), m.generation))
        .collect();
    let mut written: HashSet<(String, i64)> = s
        .rows::<Hour>(format!(
            "SELECT app, hour FROM rollup_marks WHERE rolled = 0 AND version >= {busy_since} \
             AND hour < {cutoff} GROUP BY app, hour"
        ))
        .await?
        .into_iter()
        .map(|h| (h.app, h.hour))
        .collect();
    // Late copies: an hour with copies under its generation is rolled up
    // again to fold them in, once no copy came since `busy_since`.
    #[derive(Deserialize)]
    struct Late {
        app: String,
        hour: i64,
        generation: u64,
        at: i64,
    }
    let late: Vec<Late> = s
        .rows(format!(
            "SELECT app, hour, generation, max(at) AS at FROM {LATE_TABLE} \
             WHERE hour < {cutoff} GROUP BY app, hour, generation"
        ))
        .await?;
    for l in late {
        let key = (l.app, l.hour);
        if done.get(&key) == Some(&l.generation) {
            done.remove(&key);
            if l.at >= busy_since {
                written.insert(key);
            }
        }
    }
    let mut rolled = 0;
    for h in with_views
        .iter()
        .filter(|h| {
            let key = (h.app.clone(), h.hour);
            !done.contains_key(&key) && !written.contains(&key)
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
            if !busy.contains(&(app, hour)) && !done.contains_key(&(app.to_string(), hour)) {
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
    // The copies before reading, compared with after publishing (see the
    // invariants).
    let copies = late_fingerprint(s, app, hour).await?;
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
    .await?;
    if late_fingerprint(s, app, hour).await? != copies {
        mark_stale(s, HashSet::from([(app, hour)])).await?;
    }
    Ok(())
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
    // The roll-up rows' query (none without a rolled-up hour).
    let rolled_sql = generations_sql(&marked).map(|generations| {
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
        sql
    });
    #[derive(Deserialize)]
    struct Raw {
        key: Option<String>,
        min: f64,
        max: f64,
        good: u64,
        ni: u64,
        poor: u64,
    }
    // Every raw range and the late copies under the marked generations in
    // one query, grouped by key and sketch bucket.
    let v = format!("assumeNotNull({m})");
    // No grouping: a key that is NULL but not a constant, which 18.16
    // refuses in a union over a Distributed table (its stream is not
    // constant).
    let key = match q.by.column() {
        Some(_) => group_key_sql(q.by),
        None => "nullIf(app, app)".to_string(),
    };
    let select = |table: &str, bounds: &fovea_query::Filters, within: String| {
        format!(
            "SELECT {key} AS key, {v} AS v FROM {table} FINAL \
             WHERE {} AND {within} AND {m} IS NOT NULL",
            scope(app, bounds),
        )
    };
    let mut parts = Vec::new();
    if let Some((from, to, hours)) = raw_hours(&raw) {
        let bounds = fovea_query::Filters {
            from,
            to,
            ..f.clone()
        };
        parts.push(select(
            "views",
            &bounds,
            format!("intDiv(ts, {HOUR_MS}) IN ({hours})"),
        ));
    }
    if !marked.is_empty() {
        // Quiet hours' marks (generation 0) have copies too.
        let under = (marked.iter())
            .map(|m| format!("({}, {})", m.hour, m.generation))
            .collect::<Vec<_>>()
            .join(", ");
        parts.push(select(
            LATE_TABLE,
            f,
            format!("(hour, generation) IN ({under})"),
        ));
    }
    let t = q.metric.thresholds();
    let raw_sql = (!parts.is_empty()).then(|| {
        format!(
            "SELECT key, min(v) AS min, max(v) AS max, countIf(v <= {g}) AS good, \
             countIf(v > {g} AND v <= {ni}) AS ni, countIf(v > {ni}) AS poor \
             FROM ({}) GROUP BY key, {}",
            parts.join(" UNION ALL "),
            bucket_sql("v", "log"),
            g = t.good,
            ni = t.ni,
        )
    });
    // Both at once: ClickHouse answers them in parallel.
    let rolled = async {
        let Some(sql) = &rolled_sql else {
            return Ok(None);
        };
        s.on_any(|url| async move { s.client.rows_binary(&url, sql).await })
            .await
            .map(Some)
    };
    let raw_rows = async {
        match raw_sql {
            Some(sql) => s.rows::<Raw>(sql).await,
            None => Ok(Vec::new()),
        }
    };
    let (rolled, raw_rows) = tokio::try_join!(rolled, raw_rows)?;
    let mut merged = VitalsMerge::default();
    if let Some(answer) = rolled {
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
    for r in raw_rows {
        merged.add_raw(r.key, r.min, r.max, [r.good, r.ni, r.poor]);
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
