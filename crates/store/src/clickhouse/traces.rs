//! Backend spans in ClickHouse and the browser events that share their
//! trace ids. `spans` is sorted by (app, trace, span id), so a trace is one
//! key range and a span stored again is merged away (`FINAL`).

use fovea_query::{Filters, ServiceRow};
use fovea_schema::{Event, Span};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::client::quote;
use super::columns::{push_row, select_list, JsonRow};
use super::read::{events_of, quantile_sql, scope};
use super::ClickHouseStore;
use crate::columns::{
    event_columns, event_from, span_cells, span_from, view_columns, view_from, SPAN_COLUMNS,
};
use crate::traces::unique_spans;
use crate::Result;

pub async fn insert(s: &ClickHouseStore, spans: Vec<Span>) -> Result<()> {
    let spans = unique_spans(spans);
    if spans.is_empty() {
        return Ok(());
    }
    let mut rows = String::new();
    for span in &spans {
        push_row(&mut rows, SPAN_COLUMNS.iter(), span_cells(span));
    }
    s.insert_rows("spans", rows).await
}

pub async fn spans(s: &ClickHouseStore, app: &str, trace_ids: &[String]) -> Result<Vec<Span>> {
    if trace_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = trace_ids.iter().map(|t| quote(t)).collect();
    let rows: Vec<Map<String, Value>> = s
        .rows(format!(
            "SELECT {} FROM spans FINAL WHERE app = {} AND trace_id IN ({}) ORDER BY start_ns LIMIT {}",
            select_list(SPAN_COLUMNS.iter()),
            quote(app),
            ids.join(", "),
            crate::traces::MAX_SPANS
        ))
        .await?;
    // A copy whose start moved to another day sits in another partition,
    // which `FINAL` does not merge.
    let spans: Vec<Span> = rows
        .into_iter()
        .map(|r| span_from(&JsonRow(r)))
        .collect::<Result<_>>()?;
    Ok(unique_spans(spans))
}

pub async fn trace_events(s: &ClickHouseStore, app: &str, trace_id: &str) -> Result<Vec<Event>> {
    let scope = format!("app = {} AND trace_id = {}", quote(app), quote(trace_id));
    let mut all = events_of(
        s,
        format!(
            "SELECT {} FROM views FINAL WHERE {scope} ORDER BY ts LIMIT 1000",
            select_list(view_columns())
        ),
        view_from,
    )
    .await?;
    all.extend(
        events_of(
            s,
            format!(
                "SELECT {} FROM events FINAL WHERE {scope} ORDER BY ts LIMIT 1000",
                select_list(event_columns())
            ),
            event_from,
        )
        .await?,
    );
    Ok(all)
}

pub async fn traced_requests(
    s: &ClickHouseStore,
    app: &str,
    f: &Filters,
    limit: u32,
) -> Result<Vec<Event>> {
    events_of(
        s,
        format!(
            "SELECT {} FROM events FINAL WHERE {} AND type = 'resource' \
             AND kind IN ('fetch', 'xhr') AND trace_id IS NOT NULL \
             ORDER BY duration DESC NULLS LAST, ts DESC LIMIT {limit}",
            select_list(event_columns()),
            scope(app, f)
        ),
        event_from,
    )
    .await
}

pub async fn services(s: &ClickHouseStore, app: &str, f: &Filters) -> Result<Vec<ServiceRow>> {
    let mut cond = format!(
        "app = {} AND ts >= {} AND ts < {} AND kind IN ('server', 'consumer')",
        quote(app),
        f.from,
        f.to
    );
    if let Some(env) = &f.env {
        cond.push_str(&format!(" AND env = {}", quote(env)));
    }
    #[derive(Deserialize)]
    struct R {
        service: String,
        n: u64,
        errors: u64,
        p75: Option<f64>,
        p95: Option<f64>,
    }
    let from_where = format!("spans FINAL WHERE {cond}");
    let ms = "duration_ns / 1e6";
    let p75 = quantile_sql(s, &from_where, ms, 0.75).await?;
    let p95 = quantile_sql(s, &from_where, ms, 0.95).await?;
    let rows: Vec<R> = s
        .rows(format!(
            "SELECT service, count() AS n, countIf(status = 'error') AS errors,
                    {p75} AS p75, {p95} AS p95
             FROM {from_where}
             GROUP BY service ORDER BY n DESC, service LIMIT 500"
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ServiceRow::new(r.service, r.n, r.errors, r.p75, r.p95))
        .collect())
}
