//! Browser ↔ backend correlation that no backend needs SQL for: which copy
//! of a span a batch keeps, where a backend trace spent its time under a
//! browser request, a trace's answer, and the slow-requests list built from
//! the [`EventStore`] primitives every backend answers.

use std::collections::HashMap;

use fovea_query::{EventJson, Filters, SlowRequest, SpanRef, TraceDetail};
use fovea_schema::{Event, EventKind, Span, SpanJson};

use crate::{session, EventStore, Result};

/// Spans read for one question at most (a trace, the traces of the slow
/// requests): a client that reuses one trace id cannot make a read
/// unbounded.
pub const MAX_SPANS: usize = 10_000;

/// The spans of a batch, one per (app, trace, span id). Copies of a span
/// come from an exporter's retry or a replayed spool record and are equal,
/// so the first is kept.
pub fn unique_spans(spans: Vec<Span>) -> Vec<Span> {
    let mut seen = std::collections::HashSet::new();
    spans
        .into_iter()
        .filter(|s| seen.insert((s.app_id.clone(), s.trace_id.clone(), s.span_id.clone())))
        .collect()
}

/// What a span spent itself: its duration minus the union of its
/// children's intervals, clipped to its own (children running in parallel
/// count once; a child outliving its parent counts only inside it).
fn self_time_ns(span: &Span, children: &[&Span]) -> i64 {
    let (start, end) = (span.start_ns, span.start_ns + span.duration_ns);
    let mut parts: Vec<(i64, i64)> = children
        .iter()
        .map(|c| {
            (
                c.start_ns.clamp(start, end),
                (c.start_ns + c.duration_ns).clamp(start, end),
            )
        })
        .filter(|(a, b)| b > a)
        .collect();
    parts.sort_unstable();
    let mut covered = 0;
    let mut reach = start;
    for (a, b) in parts {
        let a = a.max(reach);
        if b > a {
            covered += b - a;
            reach = b;
        }
    }
    span.duration_ns - covered
}

fn span_ref(span: &Span, self_ns: i64) -> SpanRef {
    SpanRef {
        service: span.service.clone(),
        name: span.name.clone(),
        duration: span.duration_ns as f64 / 1e6,
        self_time: self_ns as f64 / 1e6,
        status: span.status.clone(),
    }
}

/// Where a trace's backend spent its time under a browser request: the
/// entry span (the child of `browser_span`, else the trace's earliest
/// root) and, among it and its descendants, the span with the largest
/// self time.
pub fn backend_of(
    browser_span: Option<&str>,
    spans: &[Span],
) -> (Option<SpanRef>, Option<SpanRef>) {
    let ids: HashMap<&str, &Span> = spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    let mut children: HashMap<&str, Vec<&Span>> = HashMap::new();
    for s in spans {
        if let Some(p) = s.parent_span_id.as_deref() {
            if p != s.span_id {
                children.entry(p).or_default().push(s);
            }
        }
    }
    let entry = browser_span
        .and_then(|b| {
            earliest(
                spans
                    .iter()
                    .filter(|s| s.parent_span_id.as_deref() == Some(b)),
            )
        })
        .or_else(|| {
            earliest(spans.iter().filter(|s| {
                s.parent_span_id
                    .as_deref()
                    .is_none_or(|p| !ids.contains_key(p))
            }))
        });
    let Some(entry) = entry else {
        return (None, None);
    };
    let self_of = |s: &Span| {
        self_time_ns(
            s,
            children.get(s.span_id.as_str()).map_or(&[], Vec::as_slice),
        )
    };
    // Walk the entry's subtree without recursion; `seen` guards against a
    // cycle of parent ids a client could send.
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![entry];
    let mut worst: Option<(&Span, i64)> = None;
    while let Some(s) = stack.pop() {
        if !seen.insert(s.span_id.as_str()) {
            continue;
        }
        let own = self_of(s);
        if worst.is_none_or(|(_, w)| own > w) {
            worst = Some((s, own));
        }
        if let Some(cs) = children.get(s.span_id.as_str()) {
            stack.extend(cs.iter().copied());
        }
    }
    (
        Some(span_ref(entry, self_of(entry))),
        worst.map(|(s, own)| span_ref(s, own)),
    )
}

/// The first span to start; a server span first among equals.
fn earliest<'a>(spans: impl Iterator<Item = &'a Span>) -> Option<&'a Span> {
    spans.min_by_key(|s| (s.start_ns, s.kind != "server"))
}

/// The answer of `GET …/traces/{id}`: spans in start order, browser events
/// in time order; `None` when the trace has neither.
pub fn detail(
    trace_id: &str,
    mut spans: Vec<Span>,
    mut rum: Vec<Event>,
    link: Option<String>,
) -> Option<TraceDetail> {
    if spans.is_empty() && rum.is_empty() {
        return None;
    }
    spans.sort_by(|a, b| (a.start_ns, &a.span_id).cmp(&(b.start_ns, &b.span_id)));
    session::sort_events(&mut rum);
    Some(TraceDetail {
        trace_id: trace_id.to_string(),
        link,
        spans: spans.into_iter().map(SpanJson::from).collect(),
        rum: rum.into_iter().map(EventJson).collect(),
    })
}

/// The slowest traced browser requests of the filters, each with the
/// backend span that took its time.
pub async fn slow_requests<S: EventStore + ?Sized>(
    store: &S,
    app_id: &str,
    f: &Filters,
    limit: u32,
) -> Result<Vec<SlowRequest>> {
    let requests = store.traced_requests(app_id, f, limit).await?;
    let mut trace_ids: Vec<String> = requests.iter().filter_map(trace_of).collect();
    trace_ids.sort();
    trace_ids.dedup();
    let mut by_trace: HashMap<String, Vec<Span>> = HashMap::new();
    for s in store.spans(app_id, &trace_ids).await? {
        by_trace.entry(s.trace_id.clone()).or_default().push(s);
    }
    Ok(requests
        .into_iter()
        .filter_map(|e| {
            let EventKind::Resource(r) = e.kind else {
                return None;
            };
            let trace_id = r.trace_id?;
            let spans = by_trace.get(&trace_id).map_or(&[][..], Vec::as_slice);
            let (server, bottleneck) = backend_of(r.span_id.as_deref(), spans);
            Some(SlowRequest {
                ts: e.ctx.ts,
                session_id: e.ctx.session_id,
                view_id: e.ctx.view_id,
                route: Some(e.ctx.route).filter(|r| !r.is_empty()),
                method: r.method,
                url: r.resource_url,
                status: r.status,
                duration: r.duration,
                trace_id,
                span_id: r.span_id,
                server,
                bottleneck,
            })
        })
        .collect())
}

fn trace_of(e: &Event) -> Option<String> {
    match &e.kind {
        EventKind::Resource(r) => r.trace_id.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: Option<&str>, start_ms: i64, dur_ms: i64) -> Span {
        Span {
            app_id: "a".into(),
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: id.into(),
            parent_span_id: parent.map(str::to_string),
            name: format!("op-{id}"),
            service: "api".into(),
            env: None,
            kind: if parent == Some("b") {
                "server"
            } else {
                "internal"
            }
            .into(),
            start_ns: start_ms * 1_000_000,
            duration_ns: dur_ms * 1_000_000,
            status: "unset".into(),
            status_message: None,
            attributes: "{}".into(),
            resource: "{}".into(),
        }
    }

    #[test]
    fn the_bottleneck_is_the_span_with_the_most_self_time() {
        // server 0..600 with db 50..450 and cache 460..500: db spent 400 ms
        // itself, the server 600 - 440 = 160 ms.
        let spans = vec![
            span("s", Some("b"), 0, 600),
            span("db", Some("s"), 50, 400),
            span("cache", Some("s"), 460, 40),
        ];
        let (server, worst) = backend_of(Some("b"), &spans);
        let server = server.unwrap();
        assert_eq!(server.name, "op-s");
        assert_eq!(server.self_time, 160.0);
        let worst = worst.unwrap();
        assert_eq!((worst.name.as_str(), worst.self_time), ("op-db", 400.0));
    }

    #[test]
    fn parallel_and_overflowing_children_count_once_inside_the_parent() {
        let spans = vec![
            span("s", None, 0, 100),
            span("x", Some("s"), 10, 50),
            span("y", Some("s"), 30, 50),
            span("z", Some("s"), 90, 40),
        ];
        // Covered: 10..80 and 90..100 = 80 ms.
        let (server, _) = backend_of(None, &spans);
        assert_eq!(server.unwrap().self_time, 20.0);
    }

    #[test]
    fn without_the_browser_parent_the_earliest_root_is_the_entry() {
        let spans = vec![
            span("late", None, 5, 10),
            span("early", Some("gone"), 1, 10),
        ];
        let (server, _) = backend_of(Some("b"), &spans);
        assert_eq!(server.unwrap().name, "op-early");
        assert_eq!(backend_of(Some("b"), &[]), (None, None));
    }

    #[test]
    fn a_cycle_of_parent_ids_ends() {
        let spans = vec![span("p", Some("q"), 0, 10), span("q", Some("p"), 0, 10)];
        let (server, worst) = backend_of(Some("p"), &spans);
        assert!(server.is_some() && worst.is_some());
    }

    #[test]
    fn a_batch_keeps_one_copy_of_a_span() {
        let kept = unique_spans(vec![
            span("s", None, 0, 10),
            span("t", None, 0, 1),
            span("s", None, 0, 10),
        ]);
        assert_eq!(kept.len(), 2);
    }
}
