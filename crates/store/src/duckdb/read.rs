//! The query API's questions in DuckDB SQL. Column names and numbers come
//! from enums and thresholds, never from a request; request values are
//! always bound parameters.

use std::collections::BTreeMap;

use duckdb::types::Value;
use duckdb::{params_from_iter, Connection};
use fovea_query::{
    crash_free, histogram_edges, ActionOrder, ActionRow, ActionsQuery, Bucket, Filters,
    IssueDetail, IssueRow, IssuesQuery, KeyCount, MetricSummary, Point, ResourceOrder, ResourceRow,
    ResourcesQuery, Series, SessionDetail, SessionRef, SessionRow, SessionsQuery, Summary,
    TimeseriesQuery, ViewRow, VitalsGroup, VitalsQuery, Weighted, EXAMPLE_POOL, WEIGHT_SQL,
};
use fovea_schema::{Event, Metric};

use super::columns::{event_columns, event_from_row, select_list, view_columns, view_from_row};
use super::rollup;
use crate::issues::{self, BucketCount, ReleaseSeen};
use crate::session;

/// An error event that crashed its session: unhandled, from the page's code.
const CRASHED: &str = "type = 'error' AND source = 'source' AND NOT coalesce(handled, false)";

/// `app = ? AND ts >= ? AND ts < ? AND <dimension> = ?...` and its values.
pub(super) fn scope(app: &str, f: &Filters, alias: &str) -> (String, Vec<Value>) {
    let dot = if alias.is_empty() {
        String::new()
    } else {
        format!("{alias}.")
    };
    let mut sql = format!("{dot}app = ? AND {dot}ts >= ? AND {dot}ts < ?");
    let mut values = vec![
        Value::Text(app.into()),
        Value::BigInt(f.from),
        Value::BigInt(f.to),
    ];
    for (col, v) in f.dimensions() {
        sql.push_str(&format!(" AND {dot}\"{col}\" = ?"));
        values.push(Value::Text(v.into()));
    }
    for pattern in f.attr_patterns() {
        sql.push_str(&format!(" AND regexp_matches({dot}attrs, ?)"));
        values.push(Value::Text(pattern));
    }
    (sql, values)
}

/// Shares of good / needs-improvement / poor values of a metric column;
/// NULLs are left out of the averages.
fn rating_sql(m: Metric) -> String {
    let t = m.thresholds();
    let c = m.name();
    format!(
        "avg(CASE WHEN {c} IS NULL THEN NULL WHEN {c} <= {g} THEN 1.0 ELSE 0.0 END), \
         avg(CASE WHEN {c} IS NULL THEN NULL WHEN {c} > {g} AND {c} <= {n} THEN 1.0 ELSE 0.0 END), \
         avg(CASE WHEN {c} IS NULL THEN NULL WHEN {c} > {n} THEN 1.0 ELSE 0.0 END)",
        g = t.good,
        n = t.ni
    )
}

/// An exact percentile holds every value the question matches in memory at
/// once (`quantile_cont` keeps each group's values in a buffer that grows by
/// doubling): 10 M LCP values asked for 128 MiB and failed under a 256 MB
/// limit. Past `exact_values` matched values, percentiles are estimated
/// with `approx_quantile` (a t-digest per group, constant memory) instead.
pub(super) fn quantile_sql(
    c: &Connection,
    from_where: &str,
    values: &[Value],
    expr: &str,
    p: f64,
    exact_values: u64,
) -> duckdb::Result<String> {
    let n: u64 = c.query_row(
        &format!("SELECT count({expr}) FROM {from_where}"),
        params_from_iter(values),
        |r| r.get(0),
    )?;
    Ok(if n > exact_values {
        format!("approx_quantile({expr}, {p})")
    } else {
        format!("quantile_cont({expr}, {p})")
    })
}

/// From the roll-ups where they cover whole hours of the range, otherwise
/// exact.
pub fn vitals(
    c: &Connection,
    app: &str,
    q: &VitalsQuery,
    exact_values: u64,
) -> duckdb::Result<Vec<VitalsGroup>> {
    let rolled = rollup::vitals(c, app, q, |from, to| {
        scope(
            app,
            &Filters {
                from,
                to,
                ..q.filters.clone()
            },
            "",
        )
    })?;
    if let Some(groups) = rolled {
        return Ok(groups);
    }
    let (where_sql, values) = scope(app, &q.filters, "");
    let m = q.metric.name();
    let key = rollup::group_key_sql(q.by);
    let from_where = format!("views WHERE {where_sql}");
    let quantile = quantile_sql(
        c,
        &from_where,
        &values,
        m,
        f64::from(q.p) / 100.0,
        exact_values,
    )?;
    let sql = format!(
        "SELECT {key} AS key, {quantile} AS value, count(*) AS n, {ratings}
         FROM {from_where} AND {m} IS NOT NULL
         GROUP BY ALL HAVING count(*) > 0 ORDER BY n DESC, key LIMIT 50",
        ratings = rating_sql(q.metric),
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params_from_iter(values), |r| {
        Ok(VitalsGroup {
            key: r.get(0)?,
            value: r.get(1)?,
            count: r.get(2)?,
            good: r.get(3)?,
            ni: r.get(4)?,
            poor: r.get(5)?,
        })
    })?;
    rows.collect()
}

pub fn summary(
    c: &Connection,
    app: &str,
    f: &Filters,
    exact_values: u64,
) -> duckdb::Result<Summary> {
    // One metric at a time, like `vitals`: from the roll-ups when they
    // cover the range, and an exact pass keeps one metric's values in
    // memory, not seven (seven ran out of 256 MB over 10 M views).
    let mut by_metric = BTreeMap::new();
    for m in Metric::ALL {
        let groups = vitals(c, app, &VitalsQuery::overview(m, f), exact_values)?;
        by_metric.insert(m.name().to_string(), MetricSummary::of(groups.first()));
    }
    let (where_sql, values) = scope(app, f, "");
    let (views, sessions, with_errors, w_views, w_sessions) = c.query_row(
        &format!(
            "SELECT coalesce(sum(n), 0)::UBIGINT, count(*), coalesce(sum(e), 0)::UBIGINT, \
                    coalesce(sum(n * w), 0), coalesce(sum(w), 0) FROM \
             (SELECT count(*) AS n, count(*) FILTER (WHERE error_count > 0) AS e, \
                     max({WEIGHT_SQL}) AS w FROM views WHERE {where_sql} GROUP BY session_id)"
        ),
        params_from_iter(values.clone()),
        |r| {
            Ok((
                r.get::<_, u64>(0)?,
                r.get::<_, u64>(1)?,
                r.get::<_, u64>(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        },
    )?;
    let (errors, w_errors): (u64, f64) = c.query_row(
        &format!("SELECT count(*), coalesce(sum({WEIGHT_SQL}), 0) FROM events WHERE {where_sql} AND type = 'error'"),
        params_from_iter(values.clone()),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let crashed: u64 = c.query_row(
        &format!("SELECT count(DISTINCT session_id) FROM events WHERE {where_sql} AND {CRASHED}"),
        params_from_iter(values),
        |r| r.get(0),
    )?;
    Ok(Summary {
        views,
        sessions,
        errors,
        error_rate: if views == 0 {
            0.0
        } else {
            with_errors as f64 / views as f64
        },
        crash_free_sessions: crash_free(sessions, crashed),
        vitals: by_metric,
        extrapolated: false,
        weighted: Weighted {
            views: w_views,
            sessions: w_sessions,
            errors: w_errors,
        },
    })
}

pub fn timeseries(
    c: &Connection,
    app: &str,
    q: &TimeseriesQuery,
    exact_values: u64,
) -> duckdb::Result<Vec<Point>> {
    let (where_sql, values) = scope(app, &q.filters, "");
    let i = q.interval_ms;
    let (table, value, count, extra) = match q.series {
        Series::Vital(m, p) => (
            "views",
            quantile_sql(
                c,
                &format!("views WHERE {where_sql}"),
                &values,
                m.name(),
                f64::from(p) / 100.0,
                exact_values,
            )?,
            format!("count({})", m.name()),
            format!("AND {} IS NOT NULL", m.name()),
        ),
        Series::Views => ("views", "count(*)".into(), "count(*)".into(), String::new()),
        Series::Sessions => (
            "views",
            "count(DISTINCT session_id)".into(),
            "count(DISTINCT session_id)".into(),
            String::new(),
        ),
        Series::Errors => (
            "events",
            "count(*)".into(),
            "count(*)".into(),
            "AND type = 'error'".into(),
        ),
        Series::Actions => (
            "events",
            "count(*)".into(),
            "count(*)".into(),
            "AND type = 'action'".into(),
        ),
        Series::CrashFree => return crash_free_series(c, &where_sql, values, i),
    };
    let sql = format!(
        "SELECT (ts // {i}) * {i} AS t, ({value})::DOUBLE, {count} FROM {table}
         WHERE {where_sql} {extra} GROUP BY t ORDER BY t"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params_from_iter(values), |r| {
        Ok(Point {
            t: r.get(0)?,
            value: r.get(1)?,
            count: r.get(2)?,
        })
    })?;
    rows.collect()
}

/// Per bucket: the share of the sessions seen (in views) without an
/// unhandled error (in error events), and how many sessions were seen.
fn crash_free_series(
    c: &Connection,
    where_sql: &str,
    mut values: Vec<Value>,
    i: i64,
) -> duckdb::Result<Vec<Point>> {
    values.extend(values.clone());
    let sql = format!(
        "WITH s AS (SELECT (ts // {i}) * {i} AS t, count(DISTINCT session_id) AS n
                    FROM views WHERE {where_sql} GROUP BY t),
              c AS (SELECT (ts // {i}) * {i} AS t, count(DISTINCT session_id) AS n
                    FROM events WHERE {where_sql} AND {CRASHED} GROUP BY t)
         SELECT s.t, s.n, coalesce(c.n, 0) FROM s LEFT JOIN c ON c.t = s.t ORDER BY s.t"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params_from_iter(values), |r| {
        let sessions: u64 = r.get(1)?;
        Ok(Point {
            t: r.get(0)?,
            value: crash_free(sessions, r.get(2)?),
            count: sessions,
        })
    })?;
    rows.collect()
}

pub fn histogram(
    c: &Connection,
    app: &str,
    metric: Metric,
    f: &Filters,
) -> duckdb::Result<Vec<Bucket>> {
    let (where_sql, values) = scope(app, f, "");
    let edges = histogram_edges(metric);
    let m = metric.name();
    let mut parts = Vec::new();
    for (i, lo) in edges.iter().enumerate() {
        parts.push(match edges.get(i + 1) {
            Some(hi) => format!("count(*) FILTER (WHERE {m} >= {lo} AND {m} < {hi})"),
            None => format!("count(*) FILTER (WHERE {m} >= {lo})"),
        });
    }
    let sql = format!(
        "SELECT {} FROM views WHERE {where_sql} AND {m} IS NOT NULL",
        parts.join(", ")
    );
    c.query_row(&sql, params_from_iter(values), |r| {
        (0..edges.len())
            .map(|i| {
                Ok(Bucket {
                    lo: edges[i],
                    hi: edges.get(i + 1).copied(),
                    count: r.get(i)?,
                })
            })
            .collect()
    })
}

pub fn slow_views(
    c: &Connection,
    app: &str,
    metric: Metric,
    f: &Filters,
    limit: u32,
) -> duckdb::Result<Vec<ViewRow>> {
    let (where_sql, mut values) = scope(app, f, "");
    let m = metric.name();
    values.push(Value::UInt(limit));
    let sql = format!(
        "SELECT {} FROM views WHERE {where_sql} AND {m} IS NOT NULL ORDER BY {m} DESC, ts DESC LIMIT ?",
        select_list(view_columns(), "")
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params_from_iter(values), view_from_row)?;
    rows.map(|e| e.map(ViewRow::from_event)).collect()
}

fn session_row(r: &duckdb::Row) -> duckdb::Result<SessionRow> {
    Ok(SessionRow {
        id: r.get(0)?,
        start: r.get(1)?,
        end: r.get(2)?,
        user_id: r.get(3)?,
        views: r.get(4)?,
        actions: r.get(5)?,
        errors: r.get(6)?,
        frustrations: r.get(7)?,
        first_url: r.get(8)?,
        browser: r.get(9)?,
        os: r.get(10)?,
        device: r.get(11)?,
        country: r.get(12)?,
        has_replay: false,
    })
}

/// Sessions that had a view in the range (and matching the filters), with
/// their activity over the whole range.
const SESSIONS_SQL: &str = "
    WITH v AS (
        SELECT session_id, min(ts) AS start, max(ts) AS last, count(*) AS views,
               arg_min(url, ts) AS first_url, max(user_id) AS user_id, arg_min(browser, ts) AS browser,
               arg_min(os, ts) AS os, arg_min(device, ts) AS device, arg_min(country, ts) AS country
        FROM views WHERE {views_scope} GROUP BY session_id
    ), e AS (
        SELECT session_id, max(ts) AS last,
               count(*) FILTER (WHERE type = 'action') AS actions,
               count(*) FILTER (WHERE type = 'error') AS errors,
               count(*) FILTER (WHERE type = 'action' AND frustration <> '') AS frustrations
        FROM events WHERE app = ? AND ts >= ? AND ts < ? AND session_id IN (SELECT session_id FROM v)
        GROUP BY session_id
    )
    SELECT v.session_id, v.start, greatest(v.last, coalesce(e.last, v.last)), v.user_id, v.views,
           coalesce(e.actions, 0), coalesce(e.errors, 0), coalesce(e.frustrations, 0),
           v.first_url, v.browser, v.os, v.device, v.country
    FROM v LEFT JOIN e USING (session_id)
    WHERE {having}
    ORDER BY v.start DESC, v.session_id LIMIT ?";

pub fn sessions(c: &Connection, app: &str, q: &SessionsQuery) -> duckdb::Result<Vec<SessionRow>> {
    let (views_scope, mut values) = scope(app, &q.filters, "");
    values.extend([
        Value::Text(app.into()),
        Value::BigInt(q.filters.from),
        Value::BigInt(q.filters.to),
    ]);
    let mut having = vec!["TRUE".to_string()];
    if q.has_errors {
        having.push("coalesce(e.errors, 0) > 0".into());
    }
    if q.frustrated {
        having.push("coalesce(e.frustrations, 0) > 0".into());
    }
    values.push(Value::UInt(q.limit));
    let sql = SESSIONS_SQL
        .replace("{views_scope}", &views_scope)
        .replace("{having}", &having.join(" AND "));
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params_from_iter(values), session_row)?;
    rows.collect()
}

/// Every event of a session in time order (views first at equal times).
fn session_events(c: &Connection, app: &str, session_id: &str) -> duckdb::Result<Vec<Event>> {
    let params = [Value::Text(app.into()), Value::Text(session_id.into())];
    let mut st = c.prepare(&format!(
        "SELECT {} FROM views WHERE app = ? AND session_id = ? ORDER BY ts LIMIT {}",
        select_list(view_columns(), ""),
        session::MAX_SESSION_EVENTS
    ))?;
    let mut all: Vec<Event> = st
        .query_map(params_from_iter(params.clone()), view_from_row)?
        .collect::<duckdb::Result<_>>()?;
    let mut st = c.prepare(&format!(
        "SELECT {} FROM events WHERE app = ? AND session_id = ? ORDER BY ts LIMIT {}",
        select_list(event_columns(), ""),
        session::MAX_SESSION_EVENTS
    ))?;
    all.extend(
        st.query_map(params_from_iter(params), event_from_row)?
            .collect::<duckdb::Result<Vec<_>>>()?,
    );
    session::sort_events(&mut all);
    Ok(all)
}

pub fn session(c: &Connection, app: &str, id: &str) -> duckdb::Result<Option<SessionDetail>> {
    Ok(session::detail(id, session_events(c, app, id)?))
}

pub fn issues(
    c: &Connection,
    app: &str,
    q: &IssuesQuery,
    fingerprint: Option<&str>,
) -> duckdb::Result<Vec<IssueRow>> {
    let f = &q.filters;
    let (where_sql, mut values) = scope(app, f, "");
    let mut extra = String::new();
    if let Some(fp) = fingerprint {
        extra.push_str(" AND fingerprint = ?");
        values.push(Value::Text(fp.into()));
    }
    values.push(Value::UInt(q.limit));
    let sql = format!(
        "SELECT fingerprint, arg_max(kind, ts), arg_max(message, ts), arg_max(source, ts), arg_max(top_frame, ts),
                count(*) AS n, count(DISTINCT session_id) AS sessions,
                count(DISTINCT coalesce('u:' || user_id, 's:' || session_id)) AS users,
                min(ts) AS first_seen, max(ts) AS last_seen, arg_max(release, ts)
         FROM events WHERE {where_sql} AND type = 'error'{extra}
         GROUP BY fingerprint ORDER BY {} DESC, last_seen DESC LIMIT ?",
        issues::order_column(q.sort)
    );
    let mut st = c.prepare(&sql)?;
    let mut rows = st
        .query_map(params_from_iter(values), |r| {
            Ok(issues::row(
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                (r.get(5)?, r.get(6)?, r.get(7)?),
                (r.get(8)?, r.get(9)?),
                r.get(10)?,
            ))
        })?
        .collect::<duckdb::Result<Vec<_>>>()?;
    if rows.is_empty() {
        return Ok(rows);
    }
    // Over all time: the app (and environment) only, not the range.
    let fps: Vec<Value> = rows
        .iter()
        .map(|r| Value::Text(r.fingerprint.clone()))
        .collect();
    let marks = vec!["?"; fps.len()].join(", ");
    let mut values = vec![Value::Text(app.into())];
    let mut env = String::new();
    if let Some(e) = &f.env {
        env.push_str(" AND env = ?");
        values.push(Value::Text(e.clone()));
    }
    values.extend(fps.iter().cloned());
    let mut st = c.prepare(&format!(
        "SELECT fingerprint, release, min(ts), max(ts), count(*) FROM events
         WHERE app = ?{env} AND type = 'error' AND fingerprint IN ({marks})
         GROUP BY fingerprint, release"
    ))?;
    let history = st
        .query_map(params_from_iter(values), |r| {
            Ok(ReleaseSeen {
                fingerprint: r.get(0)?,
                release: r.get(1)?,
                first_seen: r.get(2)?,
                last_seen: r.get(3)?,
                count: r.get(4)?,
            })
        })?
        .collect::<duckdb::Result<Vec<_>>>()?;
    let (where_sql, mut values) = scope(app, f, "");
    values.extend(fps);
    let i = q.interval_ms;
    let mut st = c.prepare(&format!(
        "SELECT fingerprint, (ts // {i}) * {i} AS t, count(*) FROM events
         WHERE {where_sql} AND type = 'error' AND fingerprint IN ({marks})
         GROUP BY fingerprint, t"
    ))?;
    let buckets = st
        .query_map(params_from_iter(values), |r| {
            Ok(BucketCount {
                fingerprint: r.get(0)?,
                t: r.get(1)?,
                count: r.get(2)?,
            })
        })?
        .collect::<duckdb::Result<Vec<_>>>()?;
    issues::complete(&mut rows, history, buckets, q);
    Ok(rows)
}

pub fn issue(
    c: &Connection,
    app: &str,
    fp: &str,
    q: &IssuesQuery,
) -> duckdb::Result<Option<IssueDetail>> {
    let Some(row) = issues(c, app, q, Some(fp))?.into_iter().next() else {
        return Ok(None);
    };
    let f = &q.filters;
    let (where_sql, mut values) = scope(app, f, "");
    values.push(Value::Text(fp.into()));
    let base = format!("FROM events WHERE {where_sql} AND type = 'error' AND fingerprint = ?");
    let mut st = c.prepare(&format!(
        "SELECT {} {base} ORDER BY ts DESC LIMIT 1",
        select_list(event_columns(), "")
    ))?;
    let latest = st.query_row(params_from_iter(values.clone()), event_from_row)?;
    let mut st = c.prepare(&format!(
        "SELECT browser, count(*) AS n {base} GROUP BY browser ORDER BY n DESC LIMIT 20"
    ))?;
    let browsers = st
        .query_map(params_from_iter(values.clone()), |r| {
            Ok(KeyCount {
                key: r.get(0)?,
                count: r.get(1)?,
            })
        })?
        .collect::<duckdb::Result<_>>()?;
    let mut st = c.prepare(&format!(
        "SELECT session_id, max(ts) AS last, arg_max(trace_id, ts) {base} GROUP BY session_id ORDER BY last DESC LIMIT 20"
    ))?;
    let sessions = st
        .query_map(params_from_iter(values), |r| {
            Ok(SessionRef {
                id: r.get(0)?,
                ts: r.get(1)?,
                trace_id: r.get(2)?,
            })
        })?
        .collect::<duckdb::Result<_>>()?;
    let events = session_events(c, app, &latest.ctx.session_id)?;
    Ok(Some(session::issue_detail(
        row, &latest, browsers, sessions, events,
    )))
}

pub fn actions(c: &Connection, app: &str, q: &ActionsQuery) -> duckdb::Result<Vec<ActionRow>> {
    let (where_sql, mut values) = scope(app, &q.filters, "");
    // Written out, not by alias: DuckDB binds an expression in ORDER BY
    // to the table's columns.
    const FRUSTRATED: &str = "count(*) FILTER (WHERE frustration <> '')";
    let (having, order) = match q.order {
        ActionOrder::Count => (String::new(), format!("count(*) DESC, {FRUSTRATED} DESC")),
        ActionOrder::Frustration => (
            format!("HAVING {FRUSTRATED} > 0"),
            format!("{FRUSTRATED} DESC, count(*) DESC"),
        ),
        ActionOrder::FrustrationRate => (
            format!("HAVING {FRUSTRATED} > 0"),
            format!("{FRUSTRATED} / count(*) DESC, {FRUSTRATED} DESC"),
        ),
    };
    let kind = |k: &str| {
        format!("count(*) FILTER (WHERE list_contains(string_split(frustration, ','), '{k}'))")
    };
    values.push(Value::UInt(q.limit));
    let sql = format!(
        "SELECT route, action_type, name, target, count(*) AS n, count(DISTINCT session_id),
                {FRUSTRATED}, {}, {}, {},
                list_distinct(arg_max(session_id, ts, {EXAMPLE_POOL})
                    FILTER (WHERE frustration <> '')),
                list_distinct(arg_max(session_id, ts, {EXAMPLE_POOL}))
         FROM events WHERE {where_sql} AND type = 'action'
         GROUP BY route, action_type, name, target {having}
         ORDER BY {order}, route, name LIMIT ?",
        kind("rage"),
        kind("dead"),
        kind("error"),
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params_from_iter(values), |r| {
        let list = |i: usize| -> duckdb::Result<Vec<String>> {
            Ok(match r.get::<_, Value>(i)? {
                Value::List(items) => items
                    .into_iter()
                    .filter_map(|v| match v {
                        Value::Text(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            })
        };
        let count: u64 = r.get(4)?;
        let frustrated: u64 = r.get(6)?;
        Ok(ActionRow {
            route: r.get(0)?,
            action_type: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            name: r.get(2)?,
            target: r.get(3)?,
            count,
            sessions: r.get(5)?,
            frustrated,
            rage: r.get(7)?,
            dead: r.get(8)?,
            error: r.get(9)?,
            frustration_rate: ActionRow::rate(frustrated, count),
            example_sessions: ActionRow::examples(list(10)?, list(11)?),
        })
    })?;
    rows.collect()
}

pub fn resources(
    c: &Connection,
    app: &str,
    q: &ResourcesQuery,
    exact_values: u64,
) -> duckdb::Result<Vec<ResourceRow>> {
    let (where_sql, mut values) = scope(app, &q.filters, "");
    let mut extra = String::new();
    if let Some(kind) = &q.kind {
        extra.push_str(" AND kind = ?");
        values.push(Value::Text(kind.clone()));
    }
    let (having, order) = match q.order {
        ResourceOrder::Slowest => ("", "p75 DESC NULLS LAST, n DESC"),
        ResourceOrder::Failing => ("HAVING failures > 0", "failures DESC, n DESC"),
    };
    let from_where = format!("events WHERE {where_sql} AND type = 'resource'{extra}");
    let p75 = quantile_sql(c, &from_where, &values, "duration", 0.75, exact_values)?;
    values.push(Value::UInt(q.limit));
    let sql = format!(
        "SELECT split_part(resource_url, '?', 1) AS u, kind, method, count(*) AS n,
                {p75} AS p75,
                count(*) FILTER (WHERE status = 0 OR status >= 400) AS failures
         FROM {from_where}
         GROUP BY ALL {having} ORDER BY {order}, u LIMIT ?"
    );
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map(params_from_iter(values), |r| {
        let n: u64 = r.get(3)?;
        let failures: u64 = r.get(5)?;
        Ok(ResourceRow {
            url: r.get(0)?,
            kind: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            method: r.get(2)?,
            count: n,
            p75_duration: r.get(4)?,
            failures,
            failure_rate: if n == 0 {
                0.0
            } else {
                failures as f64 / n as f64
            },
        })
    })?;
    rows.collect()
}
