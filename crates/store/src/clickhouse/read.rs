//! The query API's questions in ClickHouse SQL (as old as 18.16: no CTEs,
//! no query parameters). Column names and numbers come from enums and
//! thresholds; every value from a request goes through [`quote`].
//!
//! Views and events are read with `FINAL`, so each counts once whatever
//! the merges have done. Vitals come from roll-ups where they cover whole
//! hours (`rollup.rs`). Percentiles follow the DuckDB backend's rule:
//! exact (interpolated between neighbouring ranks) while a question matches
//! at most [`EXACT_VALUES`] values, a t-digest estimate past that.

use std::collections::BTreeMap;

use fovea_query::{
    crash_free, histogram_edges, ActionOrder, ActionRow, ActionsQuery, Bucket, Dimension, Filters,
    IssueDetail, IssueRow, IssuesQuery, KeyCount, MetricSummary, Point, ResourceOrder, ResourceRow,
    ResourcesQuery, Series, SessionRef, SessionRow, SessionsQuery, Summary, TimeseriesQuery,
    ViewRow, VitalsGroup, VitalsQuery, Weighted, WEIGHT_SQL,
};
use fovea_schema::{Event, Metric};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::quote;
use super::columns::{select_list, JsonRow};
use super::{ClickHouseStore, Count};
use crate::columns::{event_columns, event_from, view_columns, view_from};
use crate::issues::{self, BucketCount, ReleaseSeen};
use crate::{session, Result};

/// An error event that crashed its session: unhandled, from the page's code.
const CRASHED: &str = "type = 'error' AND source = 'source' AND ifNull(handled, 0) = 0";

/// Values an exact percentile may hold at once: 8 bytes each in one array
/// per group, sorted in place; 4 M values is 32 MB, far under ClickHouse's
/// default per-query limit, and the same budget as DuckDB's default.
pub const EXACT_VALUES: u64 = 4_000_000;

/// `app = '…' AND ts >= … AND ts < … AND <dimension> = '…'…`
pub(super) fn scope(app: &str, f: &Filters) -> String {
    let mut sql = format!(
        "app = {} AND ts >= {} AND ts < {}",
        quote(app),
        f.from,
        f.to
    );
    for (col, v) in f.dimensions() {
        sql.push_str(&format!(" AND `{col}` = {}", quote(v)));
    }
    for pattern in f.attr_patterns() {
        sql.push_str(&format!(
            " AND match(ifNull(attrs, ''), {})",
            quote(&pattern)
        ));
    }
    sql
}

/// The group key of a vitals question (`NULL` for no grouping).
pub(super) fn group_key_sql(by: Dimension) -> String {
    by.column()
        .map_or("CAST(NULL AS Nullable(String))".to_string(), |k| {
            format!("`{k}`")
        })
}

/// The `p` quantile of `expr`: exact below the budget, like DuckDB's
/// `quantile_cont` (linear interpolation between the closest ranks), or a
/// t-digest estimate. `NULL` when the group has no value.
pub(super) async fn quantile_sql(
    s: &ClickHouseStore,
    from_where: &str,
    expr: &str,
    p: f64,
) -> Result<String> {
    let n: Vec<Count> = s
        .rows(format!("SELECT count({expr}) AS n FROM {from_where}"))
        .await?;
    Ok(if n.first().map_or(0, |c| c.n) > EXACT_VALUES {
        format!("quantileTDigest({p})({expr})")
    } else {
        // With r = p·(n-1), k = floor(r): s[k] + (s[k+1] - s[k])·(r - k),
        // arrays counting from 1.
        let sorted = format!("arraySort(groupArray(toFloat64({expr})))");
        let r = format!("({p} * (count({expr}) - 1))");
        let k = format!("toUInt64(floor({r}))");
        format!(
            "if(count({expr}) = 0, CAST(NULL AS Nullable(Float64)), \
             arrayElement({sorted}, {k} + 1) + \
             (arrayElement({sorted}, {k} + 2) - arrayElement({sorted}, {k} + 1)) * ({r} - {k}))"
        )
    })
}

/// Shares of good / needs-improvement / poor values of a metric column,
/// over rows where it is not NULL.
fn rating_sql(m: Metric) -> String {
    let t = m.thresholds();
    let c = format!("assumeNotNull({})", m.name());
    format!(
        "countIf({c} <= {g}) / count() AS good, \
         countIf({c} > {g} AND {c} <= {n}) / count() AS ni, \
         countIf({c} > {n}) / count() AS poor",
        g = t.good,
        n = t.ni
    )
}

#[derive(Deserialize)]
struct Group {
    key: Option<String>,
    value: Option<f64>,
    n: u64,
    good: f64,
    ni: f64,
    poor: f64,
}

/// From the roll-ups where they cover whole hours of the range, otherwise
/// from the rows.
pub async fn vitals(s: &ClickHouseStore, app: &str, q: &VitalsQuery) -> Result<Vec<VitalsGroup>> {
    if let Some(groups) = super::rollup::vitals(s, app, q).await? {
        return Ok(groups);
    }
    let m = q.metric.name();
    let from_where = format!(
        "views FINAL WHERE {} AND {m} IS NOT NULL",
        scope(app, &q.filters)
    );
    let quantile = quantile_sql(s, &from_where, m, f64::from(q.p) / 100.0).await?;
    let rows: Vec<Group> = s
        .rows(format!(
            "SELECT {key} AS key, {quantile} AS value, count() AS n, {ratings}
             FROM {from_where} GROUP BY key HAVING n > 0 ORDER BY n DESC, key LIMIT 50",
            key = group_key_sql(q.by),
            ratings = rating_sql(q.metric),
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|g| VitalsGroup {
            key: g.key,
            value: g.value.unwrap_or_default(),
            count: g.n,
            good: g.good,
            ni: g.ni,
            poor: g.poor,
        })
        .collect())
}

pub async fn summary(s: &ClickHouseStore, app: &str, f: &Filters) -> Result<Summary> {
    let mut by_metric = BTreeMap::new();
    for m in Metric::ALL {
        let groups = vitals(s, app, &VitalsQuery::overview(m, f)).await?;
        by_metric.insert(m.name().to_string(), MetricSummary::of(groups.first()));
    }
    #[derive(Deserialize)]
    struct Totals {
        views: u64,
        sessions: u64,
        with_errors: u64,
        w_views: f64,
        w_sessions: f64,
    }
    #[derive(Deserialize)]
    struct Errors {
        n: u64,
        w: f64,
    }
    let where_sql = scope(app, f);
    let totals: Vec<Totals> = s
        .rows(format!(
            "SELECT toUInt64(sum(n)) AS views, count() AS sessions, toUInt64(sum(e)) AS with_errors, \
             toFloat64(sum(n * w)) AS w_views, toFloat64(sum(w)) AS w_sessions FROM \
             (SELECT count() AS n, countIf(error_count > 0) AS e, max({WEIGHT_SQL}) AS w \
              FROM views FINAL WHERE {where_sql} GROUP BY session_id)"
        ))
        .await?;
    let errors: Vec<Errors> = s
        .rows(format!(
            "SELECT count() AS n, toFloat64(sum({WEIGHT_SQL})) AS w FROM events FINAL WHERE {where_sql} AND type = 'error'"
        ))
        .await?;
    let crashed: Vec<Count> = s
        .rows(format!(
            "SELECT uniqExact(session_id) AS n FROM events FINAL WHERE {where_sql} AND {CRASHED}"
        ))
        .await?;
    let t = totals
        .first()
        .map_or((0, 0, 0), |t| (t.views, t.sessions, t.with_errors));
    let (w_views, w_sessions) = totals
        .first()
        .map_or((0.0, 0.0), |t| (t.w_views, t.w_sessions));
    let (errors, w_errors) = errors.first().map_or((0, 0.0), |e| (e.n, e.w));
    Ok(Summary {
        views: t.0,
        sessions: t.1,
        errors,
        error_rate: if t.0 == 0 {
            0.0
        } else {
            t.2 as f64 / t.0 as f64
        },
        crash_free_sessions: crash_free(t.1, crashed.first().map_or(0, |c| c.n)),
        vitals: by_metric,
        extrapolated: false,
        weighted: Weighted {
            views: w_views,
            sessions: w_sessions,
            errors: w_errors,
        },
    })
}

pub async fn timeseries(s: &ClickHouseStore, app: &str, q: &TimeseriesQuery) -> Result<Vec<Point>> {
    let where_sql = scope(app, &q.filters);
    let i = q.interval_ms;
    let (table, value, count, extra) = match q.series {
        Series::Vital(m, p) => {
            let name = m.name();
            let from_where = format!("views FINAL WHERE {where_sql} AND {name} IS NOT NULL");
            (
                "views",
                quantile_sql(s, &from_where, name, f64::from(p) / 100.0).await?,
                format!("count({name})"),
                format!("AND {name} IS NOT NULL"),
            )
        }
        Series::Views => ("views", "count()".into(), "count()".into(), String::new()),
        Series::Sessions => (
            "views",
            "uniqExact(session_id)".into(),
            "uniqExact(session_id)".into(),
            String::new(),
        ),
        Series::Errors => (
            "events",
            "count()".into(),
            "count()".into(),
            "AND type = 'error'".into(),
        ),
        Series::Actions => (
            "events",
            "count()".into(),
            "count()".into(),
            "AND type = 'action'".into(),
        ),
        Series::CrashFree => return crash_free_series(s, &where_sql, i).await,
    };
    #[derive(Deserialize)]
    struct P {
        t: i64,
        value: Option<f64>,
        count: u64,
    }
    let rows: Vec<P> = s
        .rows(format!(
            "SELECT intDiv(ts, {i}) * {i} AS t, toFloat64({value}) AS value, {count} AS count \
             FROM {table} FINAL WHERE {where_sql} {extra} GROUP BY t ORDER BY t"
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|p| Point {
            t: p.t,
            value: p.value.unwrap_or_default(),
            count: p.count,
        })
        .collect())
}

/// Per bucket: the share of the sessions seen (in views) without an
/// unhandled error (in error events), and how many sessions were seen.
async fn crash_free_series(s: &ClickHouseStore, where_sql: &str, i: i64) -> Result<Vec<Point>> {
    #[derive(Deserialize)]
    struct P {
        t: i64,
        n: u64,
        crashed: u64,
    }
    let rows: Vec<P> = s
        .rows(format!(
            "SELECT t, n, crashed FROM
               (SELECT intDiv(ts, {i}) * {i} AS t, uniqExact(session_id) AS n
                FROM views FINAL WHERE {where_sql} GROUP BY t)
             ANY LEFT JOIN
               (SELECT intDiv(ts, {i}) * {i} AS t, uniqExact(session_id) AS crashed
                FROM events FINAL WHERE {where_sql} AND {CRASHED} GROUP BY t)
             USING t ORDER BY t"
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|p| Point {
            t: p.t,
            value: crash_free(p.n, p.crashed),
            count: p.n,
        })
        .collect())
}

pub async fn histogram(
    s: &ClickHouseStore,
    app: &str,
    metric: Metric,
    f: &Filters,
) -> Result<Vec<Bucket>> {
    let edges = histogram_edges(metric);
    let m = metric.name();
    let parts: Vec<String> = edges
        .iter()
        .enumerate()
        .map(|(i, lo)| match edges.get(i + 1) {
            Some(hi) => format!("countIf({m} >= {lo} AND {m} < {hi}) AS b{i}"),
            None => format!("countIf({m} >= {lo}) AS b{i}"),
        })
        .collect();
    let rows: Vec<Map<String, Value>> = s
        .rows(format!(
            "SELECT {} FROM views FINAL WHERE {} AND {m} IS NOT NULL",
            parts.join(", "),
            scope(app, f)
        ))
        .await?;
    let row = rows.into_iter().next().unwrap_or_default();
    Ok((0..edges.len())
        .map(|i| Bucket {
            lo: edges[i],
            hi: edges.get(i + 1).copied(),
            count: row
                .get(&format!("b{i}"))
                .and_then(Value::as_u64)
                .unwrap_or(0),
        })
        .collect())
}

pub(super) async fn events_of(
    s: &ClickHouseStore,
    sql: String,
    decode: fn(&JsonRow) -> Result<Event>,
) -> Result<Vec<Event>> {
    let rows: Vec<Map<String, Value>> = s.rows(sql).await?;
    rows.into_iter().map(|r| decode(&JsonRow(r))).collect()
}

pub async fn slow_views(
    s: &ClickHouseStore,
    app: &str,
    metric: Metric,
    f: &Filters,
    limit: u32,
) -> Result<Vec<ViewRow>> {
    let m = metric.name();
    let views = events_of(
        s,
        format!(
            "SELECT {} FROM views FINAL WHERE {} AND {m} IS NOT NULL ORDER BY {m} DESC, ts DESC LIMIT {limit}",
            select_list(view_columns()),
            scope(app, f)
        ),
        view_from,
    )
    .await?;
    Ok(views.into_iter().map(ViewRow::from_event).collect())
}

/// Sessions that had a view in the range (and matching the filters), with
/// their activity over the whole range; the same as DuckDB's, as joined
/// subqueries.
pub async fn sessions(
    s: &ClickHouseStore,
    app: &str,
    q: &SessionsQuery,
) -> Result<Vec<SessionRow>> {
    let f = &q.filters;
    let mut having = vec!["1".to_string()];
    if q.has_errors {
        having.push("errors > 0".into());
    }
    if q.frustrated {
        having.push("frustrations > 0".into());
    }
    #[derive(Deserialize)]
    struct S {
        session_id: String,
        start: i64,
        end: i64,
        user_id: Option<String>,
        views: u64,
        actions: u64,
        errors: u64,
        frustrations: u64,
        first_url: Option<String>,
        browser: Option<String>,
        os: Option<String>,
        device: Option<String>,
        country: Option<String>,
    }
    let rows: Vec<S> = s
        .rows(format!(
            "SELECT session_id, start, greatest(last, e_last) AS end, s_user AS user_id, views,
                    actions, errors, frustrations, first_url, s_browser AS browser, s_os AS os,
                    s_device AS device, s_country AS country
             FROM (
                -- aliases that are not column names: ClickHouse would read an
                -- alias named like a column in WHERE as the aggregate
                SELECT session_id, min(ts) AS start, max(ts) AS last, count() AS views,
                       argMin(url, ts) AS first_url, max(user_id) AS s_user,
                       argMin(browser, ts) AS s_browser, argMin(os, ts) AS s_os,
                       argMin(device, ts) AS s_device, argMin(country, ts) AS s_country
                FROM views FINAL WHERE {views_scope} GROUP BY session_id
             ) ANY LEFT JOIN (
                SELECT session_id, max(ts) AS e_last,
                       countIf(type = 'action') AS actions, countIf(type = 'error') AS errors,
                       countIf(type = 'action' AND ifNull(frustration, '') != '') AS frustrations
                FROM events FINAL WHERE app = {app} AND ts >= {from} AND ts < {to}
                GROUP BY session_id
             ) USING session_id
             WHERE {having}
             ORDER BY start DESC, session_id LIMIT {limit}",
            views_scope = scope(app, f),
            app = quote(app),
            from = f.from,
            to = f.to,
            having = having.join(" AND "),
            limit = q.limit,
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionRow {
            id: r.session_id,
            start: r.start,
            end: r.end,
            user_id: r.user_id,
            views: r.views,
            actions: r.actions,
            errors: r.errors,
            frustrations: r.frustrations,
            first_url: r.first_url,
            browser: r.browser,
            os: r.os,
            device: r.device,
            country: r.country,
            has_replay: false,
        })
        .collect())
}

/// Every event of a session in time order (views first at equal times).
pub async fn session_events(s: &ClickHouseStore, app: &str, id: &str) -> Result<Vec<Event>> {
    let scope = format!("app = {} AND session_id = {}", quote(app), quote(id));
    let mut all = events_of(
        s,
        format!(
            "SELECT {} FROM views FINAL WHERE {scope} ORDER BY ts LIMIT {}",
            select_list(view_columns()),
            session::MAX_SESSION_EVENTS
        ),
        view_from,
    )
    .await?;
    all.extend(
        events_of(
            s,
            format!(
                "SELECT {} FROM events FINAL WHERE {scope} ORDER BY ts LIMIT {}",
                select_list(event_columns()),
                session::MAX_SESSION_EVENTS
            ),
            event_from,
        )
        .await?,
    );
    session::sort_events(&mut all);
    Ok(all)
}

pub async fn issues(
    s: &ClickHouseStore,
    app: &str,
    q: &IssuesQuery,
    fingerprint: Option<&str>,
) -> Result<Vec<IssueRow>> {
    let f = &q.filters;
    let extra = fingerprint.map_or(String::new(), |fp| {
        format!(" AND fingerprint = {}", quote(fp))
    });
    #[derive(Deserialize)]
    struct I {
        fingerprint: Option<String>,
        kind: Option<String>,
        message: Option<String>,
        source: Option<String>,
        top_frame: Option<String>,
        n: u64,
        sessions: u64,
        users: u64,
        first_seen: i64,
        last_seen: i64,
        last_release: Option<String>,
    }
    let rows: Vec<I> = s
        .rows(format!(
            "SELECT fingerprint, argMax(kind, ts) AS kind, argMax(message, ts) AS message,
                    argMax(source, ts) AS source, argMax(top_frame, ts) AS top_frame,
                    count() AS n, uniqExact(session_id) AS sessions,
                    uniqExact(ifNull(concat('u:', user_id), concat('s:', session_id))) AS users,
                    min(ts) AS first_seen, max(ts) AS last_seen, argMax(release, ts) AS last_release
             FROM events FINAL WHERE {} AND type = 'error'{extra}
             GROUP BY fingerprint ORDER BY {} DESC, last_seen DESC LIMIT {}",
            scope(app, f),
            issues::order_column(q.sort),
            q.limit
        ))
        .await?;
    let mut rows: Vec<IssueRow> = rows
        .into_iter()
        .map(|r| {
            issues::row(
                r.fingerprint.unwrap_or_default(),
                r.kind,
                r.message,
                r.source,
                r.top_frame,
                (r.n, r.sessions, r.users),
                (r.first_seen, r.last_seen),
                r.last_release,
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(rows);
    }
    let fps = rows
        .iter()
        .map(|r| quote(&r.fingerprint))
        .collect::<Vec<_>>()
        .join(", ");
    // Over all time: the app (and environment) only, not the range.
    let env = f
        .env
        .as_ref()
        .map_or(String::new(), |e| format!(" AND env = {}", quote(e)));
    #[derive(Deserialize)]
    struct H {
        fingerprint: String,
        release: Option<String>,
        first_seen: i64,
        last_seen: i64,
        n: u64,
    }
    let history: Vec<H> = s
        .rows(format!(
            "SELECT fingerprint, release, min(ts) AS first_seen, max(ts) AS last_seen, count() AS n
             FROM events FINAL WHERE app = {}{env} AND type = 'error' AND fingerprint IN ({fps})
             GROUP BY fingerprint, release",
            quote(app)
        ))
        .await?;
    #[derive(Deserialize)]
    struct B {
        fingerprint: String,
        t: i64,
        n: u64,
    }
    let i = q.interval_ms;
    let buckets: Vec<B> = s
        .rows(format!(
            "SELECT fingerprint, intDiv(ts, {i}) * {i} AS t, count() AS n
             FROM events FINAL WHERE {} AND type = 'error' AND fingerprint IN ({fps})
             GROUP BY fingerprint, t",
            scope(app, f)
        ))
        .await?;
    issues::complete(
        &mut rows,
        history
            .into_iter()
            .map(|h| ReleaseSeen {
                fingerprint: h.fingerprint,
                release: h.release,
                first_seen: h.first_seen,
                last_seen: h.last_seen,
                count: h.n,
            })
            .collect(),
        buckets
            .into_iter()
            .map(|b| BucketCount {
                fingerprint: b.fingerprint,
                t: b.t,
                count: b.n,
            })
            .collect(),
        q,
    );
    Ok(rows)
}

pub async fn issue(
    s: &ClickHouseStore,
    app: &str,
    fp: &str,
    q: &IssuesQuery,
) -> Result<Option<IssueDetail>> {
    let Some(row) = issues(s, app, q, Some(fp)).await?.into_iter().next() else {
        return Ok(None);
    };
    let f = &q.filters;
    let base = format!(
        "FROM events FINAL WHERE {} AND type = 'error' AND fingerprint = {}",
        scope(app, f),
        quote(fp)
    );
    let latest = events_of(
        s,
        format!(
            "SELECT {} {base} ORDER BY ts DESC LIMIT 1",
            select_list(event_columns())
        ),
        event_from,
    )
    .await?;
    let Some(latest) = latest.into_iter().next() else {
        return Ok(None);
    };
    #[derive(Deserialize)]
    struct B {
        key: Option<String>,
        n: u64,
    }
    let browsers: Vec<B> = s
        .rows(format!(
            "SELECT browser AS key, count() AS n {base} GROUP BY browser ORDER BY n DESC LIMIT 20"
        ))
        .await?;
    #[derive(Deserialize)]
    struct R {
        session_id: String,
        last: i64,
        trace: String,
    }
    let sessions: Vec<R> = s
        .rows(format!(
            "SELECT session_id, max(ts) AS last, argMaxIf(ifNull(trace_id, ''), ts, isNotNull(trace_id)) AS trace {base} \
             GROUP BY session_id ORDER BY last DESC LIMIT 20"
        ))
        .await?;
    let events = session_events(s, app, &latest.ctx.session_id).await?;
    let browsers = browsers
        .into_iter()
        .map(|b| KeyCount {
            key: b.key,
            count: b.n,
        })
        .collect();
    let sessions = sessions
        .into_iter()
        .map(|r| SessionRef {
            id: r.session_id,
            ts: r.last,
            trace_id: Some(r.trace).filter(|t| !t.is_empty()),
        })
        .collect();
    Ok(Some(session::issue_detail(
        row, &latest, browsers, sessions, events,
    )))
}

pub async fn actions(s: &ClickHouseStore, app: &str, q: &ActionsQuery) -> Result<Vec<ActionRow>> {
    let (having, order) = match q.order {
        ActionOrder::Count => ("", "n DESC, frustrated DESC"),
        ActionOrder::Frustration => ("HAVING frustrated > 0", "frustrated DESC, n DESC"),
        ActionOrder::FrustrationRate => (
            "HAVING frustrated > 0",
            "frustrated / n DESC, frustrated DESC",
        ),
    };
    let kind =
        |k: &str| format!("countIf(has(splitByChar(',', ifNull(frustration, '')), '{k}')) AS {k}");
    #[derive(Deserialize)]
    struct A {
        route: String,
        action_type: Option<String>,
        name: Option<String>,
        target: Option<String>,
        n: u64,
        sessions: u64,
        frustrated: u64,
        rage: u64,
        dead: u64,
        error: u64,
        fx: Vec<String>,
        ex: Vec<String>,
    }
    // 18.16 has no groupUniqArray(N): a bounded sample, made distinct by
    // `ActionRow::examples`.
    let n = fovea_query::EXAMPLE_POOL;
    let rows: Vec<A> = s
        .rows(format!(
            "SELECT route, action_type, name, target, count() AS n, uniqExact(session_id) AS sessions,
                    countIf(ifNull(frustration, '') != '') AS frustrated, {}, {}, {},
                    groupArrayIf({n})(session_id, ifNull(frustration, '') != '') AS fx,
                    groupArray({n})(session_id) AS ex
             FROM events FINAL WHERE {} AND type = 'action'
             GROUP BY route, action_type, name, target {having}
             ORDER BY {order}, route, name LIMIT {}",
            kind("rage"),
            kind("dead"),
            kind("error"),
            scope(app, &q.filters),
            q.limit
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|a| ActionRow {
            route: a.route,
            action_type: a.action_type.unwrap_or_default(),
            name: a.name,
            target: a.target,
            count: a.n,
            sessions: a.sessions,
            frustrated: a.frustrated,
            rage: a.rage,
            dead: a.dead,
            error: a.error,
            frustration_rate: ActionRow::rate(a.frustrated, a.n),
            example_sessions: ActionRow::examples(a.fx, a.ex),
        })
        .collect())
}

pub async fn resources(
    s: &ClickHouseStore,
    app: &str,
    q: &ResourcesQuery,
) -> Result<Vec<ResourceRow>> {
    let mut from_where = format!(
        "events FINAL WHERE {} AND type = 'resource'",
        scope(app, &q.filters)
    );
    if let Some(kind) = &q.kind {
        from_where.push_str(&format!(" AND kind = {}", quote(kind)));
    }
    let (having, order) = match q.order {
        ResourceOrder::Slowest => ("", "p75 DESC NULLS LAST, n DESC"),
        ResourceOrder::Failing => ("HAVING failures > 0", "failures DESC, n DESC"),
    };
    let p75 = quantile_sql(s, &from_where, "duration", 0.75).await?;
    #[derive(Deserialize)]
    struct R {
        u: String,
        kind: Option<String>,
        method: Option<String>,
        n: u64,
        p75: Option<f64>,
        failures: u64,
    }
    let rows: Vec<R> = s
        .rows(format!(
            "SELECT splitByChar('?', ifNull(resource_url, ''))[1] AS u, kind, method, count() AS n,
                    {p75} AS p75, countIf(status = 0 OR status >= 400) AS failures
             FROM {from_where}
             GROUP BY u, kind, method {having} ORDER BY {order}, u LIMIT {limit}",
            limit = q.limit
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ResourceRow {
            url: r.u,
            kind: r.kind.unwrap_or_default(),
            method: r.method,
            count: r.n,
            p75_duration: r.p75,
            failures: r.failures,
            failure_rate: if r.n == 0 {
                0.0
            } else {
                r.failures as f64 / r.n as f64
            },
        })
        .collect())
}
