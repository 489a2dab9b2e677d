//! The store suite: one set of tests every backend must pass, written once.
//! A backend's test file calls [`store_suite!`] with a function that opens
//! a fresh, empty store (and returns `None` to skip when its database is
//! not installed).

use fovea_query::{
    ActionOrder, ActionsQuery, Dimension, Filters, IssueSort, IssuesQuery, ResourceOrder,
    ResourcesQuery, Series, SessionsQuery, TimeseriesQuery, VitalsQuery,
};
use fovea_schema::IssueStatus;
use fovea_schema::{
    sha256_hex, ActionEvent, Context, ErrorEvent, Event, EventKind, Metric, ReplaySegment,
    ResourceEvent, SourceFile, SourceFileInfo, SourceKind, Span, StoredFrames, ViewEvent,
};
use fovea_store::{App, IssueState, SourceKey, Store, Subject};
use uuid::Uuid;

pub const T0: i64 = 1_764_000_000_000;

pub fn ctx(session: &str, view: &str, ts: i64, route: &str) -> Context {
    Context {
        app_id: "app".into(),
        session_id: session.into(),
        view_id: Some(view.into()),
        ts,
        url: format!("https://shop.example{route}"),
        route: route.into(),
        browser: Some(if ts % 2 == 0 { "Chrome" } else { "Firefox" }.into()),
        device: Some("desktop".into()),
        country: Some("DE".into()),
        ..Context::default()
    }
}

pub fn view(session: &str, view_id: &str, ts: i64, route: &str, version: u64, lcp: f64) -> Event {
    Event {
        event_id: Uuid::new_v4(),
        ctx: ctx(session, view_id, ts, route),
        kind: EventKind::View(ViewEvent {
            version,
            lcp: Some(lcp),
            ..ViewEvent::default()
        }),
    }
}

pub fn error(session: &str, ts: i64, message: &str, fingerprint: &str) -> Event {
    Event {
        event_id: Uuid::new_v4(),
        ctx: ctx(session, "v1", ts, "/cart"),
        kind: EventKind::Error(ErrorEvent {
            source: "source".into(),
            kind: Some("TypeError".into()),
            message: message.into(),
            stack: Some("TypeError: x\n    at buy (https://shop.example/app.js:1:2)".into()),
            fingerprint: fingerprint.into(),
            ..ErrorEvent::default()
        }),
    }
}

pub fn range() -> Filters {
    Filters {
        from: T0 - 3_600_000,
        to: T0 + 3_600_000,
        ..Filters::last_day(T0)
    }
}

/// Every session of [`range`], at most 10.
pub fn all_sessions() -> SessionsQuery {
    SessionsQuery {
        filters: range(),
        has_errors: false,
        frustrated: false,
        limit: 10,
    }
}

/// The issues of `filters`, most events first, in hourly trend buckets.
pub fn issues_of(filters: Filters) -> IssuesQuery {
    IssuesQuery {
        filters,
        sort: IssueSort::Events,
        interval_ms: 3_600_000,
        limit: 200,
    }
}

pub fn lcp_of(detail: &fovea_query::SessionDetail) -> Vec<f64> {
    detail
        .events
        .iter()
        .filter_map(|e| match &e.0.kind {
            EventKind::View(v) => v.lcp,
            _ => None,
        })
        .collect()
}

pub async fn views_keep_their_highest_version(store: &dyn Store) {
    store
        .insert(vec![view("s", "v1", T0, "/", 1, 100.0)])
        .await
        .unwrap();
    // Two versions in one batch, then an older one arriving late.
    store
        .insert(vec![
            view("s", "v1", T0, "/", 3, 300.0),
            view("s", "v1", T0, "/", 2, 200.0),
        ])
        .await
        .unwrap();
    store
        .insert(vec![view("s", "v1", T0 + 5, "/", 2, 250.0)])
        .await
        .unwrap();
    let detail = store.session("app", "s").await.unwrap().unwrap();
    assert_eq!(lcp_of(&detail), vec![300.0]);
    assert_eq!(detail.session.views, 1);
}

pub async fn a_replayed_batch_is_stored_once(store: &dyn Store) {
    let batch = vec![
        view("s", "v1", T0, "/", 1, 100.0),
        error("s", T0 + 10, "boom", "fp1"),
        error("s", T0 + 20, "boom", "fp1"),
    ];
    store.insert(batch.clone()).await.unwrap();
    store.insert(batch.clone()).await.unwrap();
    // A duplicate inside one batch, too.
    store
        .insert(vec![batch[1].clone(), batch[1].clone()])
        .await
        .unwrap();
    let detail = store.session("app", "s").await.unwrap().unwrap();
    assert_eq!(detail.events.len(), 3);
    let issues = store.issues("app", &issues_of(range())).await.unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!((issues[0].count, issues[0].sessions), (2, 1));
}

pub async fn retention_deletes_only_old_events_of_the_app(store: &dyn Store) {
    store
        .insert(vec![
            view("s1", "old", T0 - 40 * 86_400_000, "/", 1, 1.0),
            view("s2", "new", T0, "/", 1, 2.0),
            error("s1", T0 - 40 * 86_400_000, "old", "fp"),
        ])
        .await
        .unwrap();
    let deleted = store.expire("app", T0 - 30 * 86_400_000).await.unwrap();
    assert_eq!(deleted, 2);
    assert!(store.session("app", "s1").await.unwrap().is_none());
    assert!(store.session("app", "s2").await.unwrap().is_some());
}

/// Percentile with linear interpolation between closest ranks, as
/// `quantile_cont` defines it, computed independently of the store.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let pos = p * (values.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    values[lo] + (values[hi] - values[lo]) * (pos - lo as f64)
}

pub async fn percentiles_and_ratings_match_an_independent_computation(store: &dyn Store) {
    // A deterministic spread of LCP values over three pages.
    let mut seed: u64 = 42;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as f64 / (1u64 << 31) as f64
    };
    let routes = ["/", "/cart", "/product"];
    let mut by_route: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut events = Vec::new();
    for i in 0..3000 {
        let r = i % 3;
        let lcp = (next() * 6000.0).round();
        by_route[r].push(lcp);
        events.push(view(
            &format!("s{i}"),
            &format!("v{i}"),
            T0 + i as i64,
            routes[r],
            1,
            lcp,
        ));
    }
    store.insert(events).await.unwrap();
    for p in [50u8, 75, 95] {
        let groups = store
            .vitals(
                "app",
                &VitalsQuery {
                    metric: Metric::Lcp,
                    p,
                    by: Dimension::Page,
                    filters: range(),
                },
            )
            .await
            .unwrap();
        assert_eq!(groups.len(), 3);
        for g in groups {
            let r = routes
                .iter()
                .position(|x| Some(*x) == g.key.as_deref())
                .unwrap();
            let mut values = by_route[r].clone();
            let want = percentile(&mut values, f64::from(p) / 100.0);
            assert!(
                (g.value - want).abs() < 1e-6,
                "p{p} {:?}: {} vs {want}",
                g.key,
                g.value
            );
            assert_eq!(g.count, 1000);
            let share =
                |f: &dyn Fn(f64) -> bool| values.iter().filter(|v| f(**v)).count() as f64 / 1000.0;
            assert!((g.good - share(&|v| v <= 2500.0)).abs() < 1e-9);
            assert!((g.ni - share(&|v| v > 2500.0 && v <= 4000.0)).abs() < 1e-9);
            assert!((g.poor - share(&|v| v > 4000.0)).abs() < 1e-9);
        }
    }
    let summary = store.summary("app", &range()).await.unwrap();
    let mut all: Vec<f64> = by_route.concat();
    assert_eq!((summary.views, summary.sessions), (3000, 3000));
    let lcp = &summary.vitals["lcp"];
    assert!((lcp.value.unwrap() - percentile(&mut all, 0.75)).abs() < 1e-6);
    let hist = store.histogram("app", Metric::Lcp, &range()).await.unwrap();
    assert_eq!(hist.iter().map(|b| b.count).sum::<u64>(), 3000);
    let slow = store
        .slow_views("app", Metric::Lcp, &range(), 5)
        .await
        .unwrap();
    assert_eq!(slow[0].lcp, all.iter().copied().reduce(f64::max));
}

pub async fn filters_restrict_every_query(store: &dyn Store) {
    store
        .insert(vec![
            view("s1", "v1", T0, "/a", 1, 1000.0),
            view("s2", "v2", T0 + 1, "/b", 1, 5000.0),
        ])
        .await
        .unwrap();
    let q = |browser: &str| VitalsQuery {
        metric: Metric::Lcp,
        p: 75,
        by: Dimension::None,
        filters: Filters {
            browser: Some(browser.into()),
            ..range()
        },
    };
    let chrome = store.vitals("app", &q("Chrome")).await.unwrap();
    assert_eq!((chrome[0].count, chrome[0].value), (1, 1000.0));
    assert!(store.vitals("app", &q("Safari")).await.unwrap().is_empty());
    assert!(store
        .vitals("other-app", &q("Chrome"))
        .await
        .unwrap()
        .is_empty());
}

/// Custom attributes filter views (vitals, slow views) and events
/// (issues); a number matches its JSON text; the timing breakdowns of a
/// view come back as stored.
pub async fn attribute_filters_and_view_phases(store: &dyn Store) {
    let with = |mut e: Event, attrs: &str| {
        match &mut e.kind {
            EventKind::View(v) => v.attrs = Some(attrs.into()),
            EventKind::Error(x) => x.attrs = Some(attrs.into()),
            _ => unreachable!(),
        }
        e
    };
    let mut pro = with(
        view("s1", "v1", T0, "/a", 1, 1000.0),
        r#"{"plan":"pro","seats":3}"#,
    );
    if let EventKind::View(v) = &mut pro.kind {
        *v.phases = fovea_schema::ViewPhases {
            lcp_ttfb: Some(100.0),
            lcp_load_delay: Some(200.0),
            lcp_load_time: Some(300.0),
            lcp_render_delay: Some(400.0),
            route_change_duration: Some(55.5),
            ..Default::default()
        };
    }
    store
        .insert(vec![
            pro,
            with(
                view("s2", "v2", T0 + 1, "/b", 1, 5000.0),
                r#"{"plan":"free"}"#,
            ),
            // as another SDK may send it: spaced, nested, escaped
            with(
                view("s3", "v3", T0 + 2, "/b", 1, 7000.0),
                r#"{"org": {"plan": "x"}, "plan" : "a \"b\"", "beta": true}"#,
            ),
            with(error("s1", T0, "boom", "fp-pro"), r#"{"plan":"pro"}"#),
            with(error("s2", T0 + 1, "bang", "fp-free"), r#"{"plan":"free"}"#),
        ])
        .await
        .unwrap();
    let f = |attrs: &[(&str, &str)]| Filters {
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..range()
    };
    let vitals = |filters: Filters| VitalsQuery {
        metric: Metric::Lcp,
        p: 75,
        by: Dimension::None,
        filters,
    };
    let lcp =
        |g: Vec<fovea_query::VitalsGroup>| g.iter().map(|g| (g.count, g.value)).collect::<Vec<_>>();
    assert_eq!(
        lcp(store
            .vitals("app", &vitals(f(&[("plan", "pro")])))
            .await
            .unwrap()),
        [(1, 1000.0)]
    );
    assert_eq!(
        lcp(store
            .vitals("app", &vitals(f(&[("plan", "free")])))
            .await
            .unwrap()),
        [(1, 5000.0)]
    );
    assert_eq!(
        lcp(store
            .vitals("app", &vitals(f(&[("seats", "3")])))
            .await
            .unwrap()),
        [(1, 1000.0)]
    );
    assert!(store
        .vitals("app", &vitals(f(&[("plan", "pro"), ("seats", "4")])))
        .await
        .unwrap()
        .is_empty());
    let spaced = |k: &'static str, v: &'static str| async move {
        lcp(store.vitals("app", &vitals(f(&[(k, v)]))).await.unwrap())
    };
    assert_eq!(spaced("plan", "a \"b\"").await, [(1, 7000.0)]);
    assert_eq!(spaced("beta", "true").await, [(1, 7000.0)]);
    assert!(
        spaced("plan", "pr").await.is_empty(),
        "a prefix is no match"
    );
    assert!(store
        .vitals("app", &vitals(f(&[("plan", "'; DROP TABLE views; --")])))
        .await
        .unwrap()
        .is_empty());
    let issues = store
        .issues("app", &issues_of(f(&[("plan", "pro")])))
        .await
        .unwrap();
    assert_eq!(
        issues
            .iter()
            .map(|i| i.fingerprint.as_str())
            .collect::<Vec<_>>(),
        ["fp-pro"]
    );
    let slow = store
        .slow_views("app", Metric::Lcp, &f(&[("plan", "pro")]), 10)
        .await
        .unwrap();
    assert_eq!(slow.len(), 1);
    assert_eq!(
        (
            slow[0].phases.lcp_ttfb,
            slow[0].phases.lcp_render_delay,
            slow[0].phases.route_change_duration,
            slow[0].phases.inp_processing
        ),
        (Some(100.0), Some(400.0), Some(55.5), None)
    );
}

pub async fn sessions_issues_resources_and_series(store: &dyn Store) {
    let mut click = Event {
        event_id: Uuid::new_v4(),
        ctx: ctx("s1", "v1", T0 + 5, "/cart"),
        kind: EventKind::Action(ActionEvent {
            action_type: "click".into(),
            name: Some("Buy".into()),
            frustration: vec!["rage".into()],
            ..ActionEvent::default()
        }),
    };
    click.ctx.user_id = Some("u1".into());
    let resource = |url: &str, status: u16, duration: f64| Event {
        event_id: Uuid::new_v4(),
        ctx: ctx("s1", "v1", T0 + 6, "/cart"),
        kind: EventKind::Resource(ResourceEvent {
            resource_url: url.into(),
            kind: "fetch".into(),
            method: Some("GET".into()),
            status: Some(status),
            duration: Some(duration),
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            ..ResourceEvent::default()
        }),
    };
    store
        .insert(vec![
            view("s1", "v1", T0, "/cart", 1, 100.0),
            view("s2", "v2", T0 + 100, "/", 1, 100.0),
            click,
            error("s1", T0 + 10, "boom", "fp1"),
            resource("https://api.example/cart?id=1", 200, 100.0),
            resource("https://api.example/cart?id=2", 500, 900.0),
            resource("https://api.example/user", 200, 50.0),
        ])
        .await
        .unwrap();
    let all = SessionsQuery {
        filters: range(),
        has_errors: false,
        frustrated: false,
        limit: 50,
    };
    let sessions = store.sessions("app", &all).await.unwrap();
    assert_eq!(
        sessions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        ["s2", "s1"]
    );
    let s1 = &sessions[1];
    assert_eq!(
        (s1.views, s1.actions, s1.errors, s1.frustrations),
        (1, 1, 1, 1)
    );
    let errs = store
        .sessions(
            "app",
            &SessionsQuery {
                has_errors: true,
                ..all.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(errs.len(), 1);
    let user = store
        .sessions(
            "app",
            &SessionsQuery {
                filters: Filters {
                    user: Some("u1".into()),
                    ..range()
                },
                ..all.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(user.len(), 0, "user_id is on the click only, not the view");
    // Regression: ClickHouse read an alias named like a filtered column
    // (`max(user_id) AS user_id`, the query above) as the aggregate in
    // WHERE; the browser filter has the same shape.
    let chrome = store
        .sessions(
            "app",
            &SessionsQuery {
                filters: Filters {
                    browser: Some("Chrome".into()),
                    ..range()
                },
                ..all.clone()
            },
        )
        .await
        .unwrap();
    let ids: Vec<&str> = chrome.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["s2", "s1"],
        "both views were in Chrome (even timestamps)"
    );
    // The user filter applies to every question: the user's click is an action.
    let actions = |user: &str| ActionsQuery {
        filters: Filters {
            user: Some(user.into()),
            ..range()
        },
        order: ActionOrder::Count,
        limit: 50,
    };
    assert_eq!(store.actions("app", &actions("u1")).await.unwrap().len(), 1);
    assert!(store
        .actions("app", &actions("u2"))
        .await
        .unwrap()
        .is_empty());

    let issue = store
        .issue("app", "fp1", &issues_of(range()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issue.issue.message, "boom");
    assert!(issue.stack.unwrap().contains("at buy"));
    assert_eq!(issue.sessions[0].id, "s1");
    assert_eq!(
        issue.breadcrumbs.len(),
        2,
        "the view and the click before the error"
    );
    assert!(store
        .issue("app", "nope", &issues_of(range()))
        .await
        .unwrap()
        .is_none());

    let q = ResourcesQuery {
        filters: range(),
        order: ResourceOrder::Failing,
        kind: Some("fetch".into()),
        limit: 10,
    };
    let failing = store.resources("app", &q).await.unwrap();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0].url, "https://api.example/cart");
    assert_eq!((failing[0].count, failing[0].failures), (2, 1));
    let slowest = store
        .resources(
            "app",
            &ResourcesQuery {
                order: ResourceOrder::Slowest,
                ..q
            },
        )
        .await
        .unwrap();
    assert_eq!(slowest[0].url, "https://api.example/cart");
    assert_eq!(slowest.len(), 2);

    let series = store
        .timeseries(
            "app",
            &TimeseriesQuery {
                series: Series::Views,
                interval_ms: 3_600_000,
                filters: range(),
            },
        )
        .await
        .unwrap();
    assert_eq!(series.iter().map(|p| p.count).sum::<u64>(), 2);
    let detail = store.session("app", "s1").await.unwrap().unwrap();
    let json = serde_json::to_value(&detail).unwrap();
    let types: Vec<&str> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["view", "action", "resource", "resource", "resource", "error"]
    );
}

pub async fn apps_round_trip_and_keys_are_unique(store: &dyn Store) {
    let app = App {
        id: "a1".into(),
        name: "shop".into(),
        ingest_key: "k1".into(),
        origins: vec!["https://shop.example".into()],
        sample_rate: 100.0,
        retention_days: 30,
        created_at: T0,
        server_key_hash: Some("h1".into()),
        trace_url_template: None,
        daily_event_quota: None,
        daily_replay_bytes_quota: Some(5_000_000),
        privacy: fovea_schema::Privacy {
            user_id_mode: fovea_schema::UserIdModeName::Hash,
            scrub_patterns: vec![r"ORD-\d+".into()],
            scrub_keys: vec!["voucher".into()],
        },
        user_id_key: Some("k3y".into()),
        traffic_rules: serde_json::from_str(
            r#"{"rules":[{"match":{"route":"/checkout*"},"session_rate":100,"replay_rate":20,"keep":true}],
                "default":{"session_rate":10,"replay_rate":0},"exclude":{"ip_ranges":["10.0.0.0/8"]},"bots":"tag"}"#,
        )
        .unwrap(),
    };
    store.create_app(&app).await.unwrap();
    let dup = App {
        id: "a2".into(),
        ..app.clone()
    };
    assert!(matches!(
        store.create_app(&dup).await,
        Err(fovea_store::StoreError::Conflict(_))
    ));
    let changed = App {
        sample_rate: 10.0,
        origins: vec!["*".into()],
        server_key_hash: Some("h2".into()),
        trace_url_template: Some("https://jaeger.example/trace/{trace_id}".into()),
        daily_event_quota: Some(1_000_000),
        privacy: fovea_schema::Privacy {
            user_id_mode: fovea_schema::UserIdModeName::Drop,
            ..app.privacy.clone()
        },
        ..app.clone()
    };
    store.update_app(&changed).await.unwrap();
    assert_eq!(store.apps().await.unwrap(), vec![changed]);
}

pub const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

pub fn span(trace: &str, id: &str, parent: Option<&str>, start_ms: i64, ms: i64) -> Span {
    Span {
        app_id: "app".into(),
        trace_id: trace.into(),
        span_id: id.into(),
        parent_span_id: parent.map(str::to_string),
        name: format!("op {id}"),
        service: "api".into(),
        env: Some("prod".into()),
        kind: if parent == Some("b000000000000001") {
            "server"
        } else {
            "client"
        }
        .into(),
        start_ns: start_ms * 1_000_000 + 250,
        duration_ns: ms * 1_000_000,
        status: "unset".into(),
        status_message: None,
        attributes: r#"{"http.route":"/api/checkout","n":3}"#.into(),
        resource: r#"{"service.name":"api"}"#.into(),
    }
}

fn traced_request(session: &str, ts: i64, trace: &str, span: &str, duration: f64) -> Event {
    Event {
        event_id: Uuid::new_v4(),
        ctx: ctx(session, "v1", ts, "/cart"),
        kind: EventKind::Resource(ResourceEvent {
            resource_url: "https://shop.example/api/checkout".into(),
            kind: "fetch".into(),
            method: Some("GET".into()),
            status: Some(200),
            duration: Some(duration),
            trace_id: Some(trace.into()),
            span_id: Some(span.into()),
            ..ResourceEvent::default()
        }),
    }
}

pub async fn spans_join_the_browser_events_of_their_trace(store: &dyn Store) {
    let server = span(
        TRACE,
        "5000000000000001",
        Some("b000000000000001"),
        T0 + 10,
        600,
    );
    let db = span(
        TRACE,
        "5000000000000002",
        Some("5000000000000001"),
        T0 + 20,
        450,
    );
    let mut failed = server.clone();
    failed.status = "error".into();
    failed.status_message = Some("deadlock".into());
    // A retried export carries the same spans: stored once.
    store
        .insert_spans(vec![failed.clone(), db.clone(), db.clone()])
        .await
        .unwrap();
    store
        .insert_spans(vec![failed.clone(), db.clone()])
        .await
        .unwrap();
    let mut page = view("s1", "v1", T0, "/cart", 1, 900.0);
    if let EventKind::View(v) = &mut page.kind {
        v.trace_id = Some(TRACE.into());
        v.span_id = Some("c000000000000001".into());
    }
    let mut network_error = error("s1", T0 + 700, "GET /api/checkout 500", "net");
    if let EventKind::Error(e) = &mut network_error.kind {
        e.trace_id = Some(TRACE.into());
        e.span_id = Some("b000000000000001".into());
    }
    store
        .insert(vec![
            page,
            traced_request("s1", T0 + 5, TRACE, "b000000000000001", 640.0),
            network_error,
            error("s1", T0 + 800, "unrelated", "x"),
        ])
        .await
        .unwrap();

    let mut spans = store.spans("app", &[TRACE.to_string()]).await.unwrap();
    spans.sort_by(|a, b| a.span_id.cmp(&b.span_id));
    assert_eq!(spans, vec![failed.clone(), db.clone()]);
    assert!(store
        .spans("other", &[TRACE.to_string()])
        .await
        .unwrap()
        .is_empty());
    assert!(store.spans("app", &[]).await.unwrap().is_empty());

    let rum = store.trace_events("app", TRACE).await.unwrap();
    let mut types: Vec<&str> = rum.iter().map(|e| e.kind.name()).collect();
    types.sort();
    assert_eq!(types, ["error", "resource", "view"]);
    let view_span = rum.iter().find_map(|e| match &e.kind {
        EventKind::View(v) => v.span_id.clone(),
        _ => None,
    });
    assert_eq!(view_span.as_deref(), Some("c000000000000001"));

    // The issue of the failed request leads to its trace.
    let issue = store
        .issue("app", "net", &issues_of(range()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issue.sessions[0].trace_id.as_deref(), Some(TRACE));

    let slow = fovea_store::traces::slow_requests(store, "app", &range(), 10)
        .await
        .unwrap();
    assert_eq!(slow.len(), 1);
    let server_ref = slow[0].server.as_ref().unwrap();
    assert_eq!(
        (server_ref.name.as_str(), server_ref.status.as_str()),
        ("op 5000000000000001", "error")
    );
    let worst = slow[0].bottleneck.as_ref().unwrap();
    assert_eq!(worst.name, "op 5000000000000002");
    assert_eq!(worst.self_time, 450.0);
    assert_eq!(slow[0].duration, Some(640.0));

    let services = store.services("app", &range()).await.unwrap();
    assert_eq!(services.len(), 1);
    assert_eq!(services[0].service, "api");
    assert_eq!((services[0].requests, services[0].errors), (1, 1));
    assert_eq!(services[0].p75, Some(600.0));
    let other_env = Filters {
        env: Some("staging".into()),
        ..range()
    };
    assert!(store.services("app", &other_env).await.unwrap().is_empty());
}

pub async fn services_percentiles_interpolate_like_vitals(store: &dyn Store) {
    let spans: Vec<Span> = (1..=4)
        .map(|i| {
            span(
                &format!("{i:032x}"),
                &format!("{i:016x}"),
                Some("b000000000000001"),
                T0 + i,
                i * 100,
            )
        })
        .collect();
    store.insert_spans(spans).await.unwrap();
    let s = store.services("app", &range()).await.unwrap();
    // 100, 200, 300, 400: p75 at rank 2.25 → 325; p95 at 2.85 → 385.
    assert_eq!(s[0].p75, Some(325.0));
    assert!((s[0].p95.unwrap() - 385.0).abs() < 1e-6);
}

pub async fn stored_since_counts_each_apps_day(store: &dyn Store) {
    let mut other = error("s9", T0, "x", "f");
    other.ctx.app_id = "other".into();
    store
        .insert(vec![
            view("s1", "v1", T0, "/", 1, 100.0),
            view("s1", "v1", T0, "/", 2, 120.0),
            error("s1", T0 + 1, "x", "f"),
            error("s1", T0 - 2 * 86_400_000, "yesterday", "f"),
            other,
        ])
        .await
        .unwrap();
    store
        .insert_replay(vec![segment("app", "s1", 0, T0, &[7u8; 300])])
        .await
        .unwrap();
    let mut got = store.stored_since(T0 - 3_600_000).await.unwrap();
    got.sort_by(|a, b| a.app_id.cmp(&b.app_id));
    assert_eq!(got.len(), 2, "{got:?}");
    // The view counts once whatever its versions; yesterday's error not at all.
    assert_eq!((got[0].app_id.as_str(), got[0].events), ("app", 2));
    assert_eq!(got[0].replay_bytes, 300);
    assert_eq!(
        (got[1].app_id.as_str(), got[1].events, got[1].replay_bytes),
        ("other", 1, 0)
    );
}

/// Sessions kept at 25 % weigh 4 in the extrapolated counts; each day
/// counts its own rows; another app's rows are not counted.
pub async fn usage_counts_each_day_raw_and_extrapolated(store: &dyn Store) {
    let sampled = |mut e: Event| {
        e.ctx.sample_rate = Some(25.0);
        e
    };
    let day = 86_400_000;
    let day0 = T0 / day * day;
    let mut other = view("o1", "ov", T0, "/", 1, 1.0);
    other.ctx.app_id = "other".into();
    store
        .insert(vec![
            sampled(view("s1", "v1", T0, "/cart", 1, 100.0)),
            sampled(view("s1", "v1", T0, "/cart", 2, 100.0)),
            sampled(view("s1", "v2", T0 + 1, "/pay", 1, 100.0)),
            sampled(error("s1", T0 + 2, "x", "f")),
            view("s2", "v3", T0, "/", 1, 100.0),
            error("s2", T0 + 3, "y", "f"),
            view("s3", "v4", T0 + day, "/", 1, 100.0),
            other,
        ])
        .await
        .unwrap();
    store
        .insert_replay(vec![segment("app", "s2", 0, T0, &[7u8; 300])])
        .await
        .unwrap();
    store
        .insert_spans(vec![span(TRACE, "5000000000000001", None, T0, 10)])
        .await
        .unwrap();
    let mut rows = store.usage("app", day0, day0 + 2 * day).await.unwrap();
    rows.sort_by(|a, b| (a.day, &a.kind).cmp(&(b.day, &b.kind)));
    let got: Vec<(i64, &str, u64, f64)> = rows
        .iter()
        .map(|r| (r.day - day0, r.kind.as_str(), r.n, r.weighted))
        .collect();
    assert_eq!(
        got,
        [
            (0, "error", 2, 5.0),
            (0, "replay_bytes", 300, 300.0),
            (0, "replay_segments", 1, 1.0),
            (0, "sessions", 2, 5.0),
            (0, "spans", 1, 1.0),
            (0, "views", 3, 9.0),
            (day, "sessions", 1, 1.0),
            (day, "views", 1, 1.0),
        ]
    );
    let mut mix = store.session_mix("app", day0, day0 + day).await.unwrap();
    mix.sort_by(|a, b| a.route.cmp(&b.route));
    let mix: Vec<(Option<&str>, Option<f64>, u64, u64)> = mix
        .iter()
        .map(|m| (m.route.as_deref(), m.sample_rate, m.sessions, m.views))
        .collect();
    assert_eq!(
        mix,
        [(Some("/"), None, 1, 1), (Some("/cart"), Some(25.0), 1, 2)]
    );
    // The summary's counts, weighted: s1 (3 views, 1 error) stands for 4 sessions.
    let day_range = Filters {
        from: day0,
        to: day0 + day,
        ..range()
    };
    let summary = store.summary("app", &day_range).await.unwrap();
    assert_eq!((summary.views, summary.sessions, summary.errors), (3, 2, 2));
    let w = summary.extrapolated();
    assert_eq!(
        (w.views, w.sessions, w.errors, w.extrapolated),
        (9, 5, 5, true)
    );
    let bytes = store.stored_bytes("app").await.unwrap();
    assert!(
        bytes.views > 0 && bytes.events > 0 && bytes.replay > 0,
        "{bytes:?}"
    );
    assert_eq!(
        store.stored_bytes("nobody").await.unwrap(),
        Default::default()
    );
}

pub async fn retention_deletes_old_spans(store: &dyn Store) {
    let old = span(TRACE, "5000000000000001", None, T0 - 3 * 86_400_000, 10);
    let new = span(TRACE, "5000000000000002", None, T0, 10);
    store.insert_spans(vec![old, new.clone()]).await.unwrap();
    store.expire("app", T0 - 86_400_000).await.unwrap();
    assert_eq!(
        store.spans("app", &[TRACE.into()]).await.unwrap(),
        vec![new]
    );
}

pub async fn control_docs_round_trip_by_kind(store: &dyn Store) {
    assert!(store.doc("user", "ada").await.unwrap().is_none());
    store.put_doc("user", "ada", r#"{"v":1}"#).await.unwrap();
    store.put_doc("user", "ada", r#"{"v":2}"#).await.unwrap();
    store.put_doc("token", "ada", r#"{"t":1}"#).await.unwrap();
    assert_eq!(
        store.doc("user", "ada").await.unwrap().as_deref(),
        Some(r#"{"v":2}"#),
        "the latest put wins"
    );
    for i in 0..5 {
        store
            .put_doc("audit", &format!("{i:03}"), &format!("{{\"n\":{i}}}"))
            .await
            .unwrap();
    }
    assert_eq!(
        store.docs("audit", 3).await.unwrap(),
        vec![r#"{"n":4}"#, r#"{"n":3}"#, r#"{"n":2}"#],
        "the greatest ids first, limited"
    );
    store.delete_doc("user", "ada").await.unwrap();
    assert!(store.doc("user", "ada").await.unwrap().is_none());
    assert!(store.docs("user", 10).await.unwrap().is_empty());
    assert!(
        store.doc("token", "ada").await.unwrap().is_some(),
        "kinds are apart"
    );
    store.put_doc("user", "ada", r#"{"v":3}"#).await.unwrap();
    assert_eq!(
        store.doc("user", "ada").await.unwrap().as_deref(),
        Some(r#"{"v":3}"#),
        "an id can come back after a delete"
    );
}

pub async fn erasure_removes_a_users_sessions_and_nothing_else(store: &dyn Store) {
    const TRACE_A: &str = "0af7651916cd43dd8448eb211c80319c";
    const TRACE_B: &str = "1af7651916cd43dd8448eb211c80319c";
    // Ann's session: a view before she signs in, a click after, an error
    // with a backend trace, and a replay segment.
    let before_login = view("s-ann", "v1", T0, "/", 1, 100.0);
    let mut click = view("s-ann", "v2", T0 + 1000, "/cart", 1, 200.0);
    click.ctx.user_id = Some("ann".into());
    let mut err = error("s-ann", T0 + 2000, "boom", "fp");
    err.ctx.user_id = Some("ann".into());
    if let EventKind::Error(e) = &mut err.kind {
        e.trace_id = Some(TRACE_A.into());
    }
    let mut other = error("s-bob", T0 + 3000, "boom", "fp");
    other.ctx.user_id = Some("bob".into());
    if let EventKind::Error(e) = &mut other.kind {
        e.trace_id = Some(TRACE_B.into());
    }
    let bob_view = view("s-bob", "v9", T0 + 3000, "/", 1, 300.0);
    store
        .insert(vec![before_login, click, err, other, bob_view])
        .await
        .unwrap();
    store
        .insert_replay(vec![
            segment("app", "s-ann", 0, T0, b"ann"),
            segment("app", "s-bob", 0, T0, b"bob"),
        ])
        .await
        .unwrap();
    store
        .insert_spans(vec![
            span(TRACE_A, "a000000000000001", None, T0 + 2000, 10),
            span(TRACE_B, "b000000000000001", None, T0 + 3000, 10),
        ])
        .await
        .unwrap();
    store.roll_up(T0 + 3 * 3_600_000, i64::MAX).await.unwrap();

    let removed = store
        .erase("app", &Subject::User("ann".into()))
        .await
        .unwrap();
    assert_eq!(removed, 5, "2 views, 1 error, 1 segment, 1 span");
    assert!(store.session("app", "s-ann").await.unwrap().is_none());
    assert!(store
        .replay_segments("app", "s-ann")
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .spans("app", &[TRACE_A.into()])
        .await
        .unwrap()
        .is_empty());
    let sessions = store.sessions("app", &all_sessions()).await.unwrap();
    assert_eq!(
        sessions.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
        vec!["s-bob"],
        "bob's data stays"
    );
    assert_eq!(
        store.spans("app", &[TRACE_B.into()]).await.unwrap().len(),
        1
    );
    assert_eq!(
        store.replay_segments("app", "s-bob").await.unwrap().len(),
        1
    );
    store.roll_up(T0 + 3 * 3_600_000, i64::MAX).await.unwrap();
    let lcp = store
        .vitals(
            "app",
            &VitalsQuery {
                metric: Metric::Lcp,
                p: 75,
                by: Dimension::None,
                filters: Filters {
                    from: T0 - 3_600_000,
                    to: T0 + 3 * 3_600_000,
                    ..range()
                },
            },
        )
        .await
        .unwrap();
    assert_eq!(lcp[0].count, 1, "roll-ups forget the erased views: {lcp:?}");

    assert_eq!(
        store
            .erase("app", &Subject::User("ann".into()))
            .await
            .unwrap(),
        0,
        "idempotent"
    );
    assert_eq!(
        store
            .erase("app", &Subject::Session("s-bob".into()))
            .await
            .unwrap(),
        4
    );
    assert!(store.session("app", "s-bob").await.unwrap().is_none());
}

/// Values reach SQL bound or quoted: quotes, backslashes and SQL in
/// messages and filters are data, nothing else.
pub async fn hostile_strings_are_data(store: &dyn Store) {
    let nasty = "it's \\' OR 1=1 -- \"; DROP TABLE views; ünïcödé \u{1F600}";
    let mut e = error("s1", T0, nasty, "fp'\\");
    e.ctx.browser = Some(nasty.into());
    store
        .insert(vec![view("s1", "v'1", T0, "/a'b", 1, 10.0), e])
        .await
        .unwrap();
    let issues = store.issues("app", &issues_of(range())).await.unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].message, nasty);
    assert_eq!(issues[0].fingerprint, "fp'\\");
    let detail = store
        .issue("app", "fp'\\", &issues_of(range()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.browsers[0].key.as_deref(), Some(nasty));
    let f = Filters {
        page: Some("/a'b".into()),
        ..range()
    };
    let groups = store
        .vitals(
            "app",
            &VitalsQuery {
                metric: Metric::Lcp,
                p: 75,
                by: Dimension::Page,
                filters: f,
            },
        )
        .await
        .unwrap();
    assert_eq!(groups[0].key.as_deref(), Some("/a'b"));
    let f = Filters {
        browser: Some(nasty.into()),
        ..range()
    };
    assert_eq!(store.issues("app", &issues_of(f)).await.unwrap().len(), 1);
    assert!(store
        .session("app", "s1' OR '1'='1")
        .await
        .unwrap()
        .is_none());
}

/// Every version of a view in separate batches, in any order, and every
/// batch twice: one view, at its highest version, in every answer.
pub async fn versions_and_copies_across_batches_count_once(store: &dyn Store) {
    let versions: Vec<Event> = (1..=4)
        .map(|v| view("s1", "v1", T0, "/", v, 100.0 * v as f64))
        .collect();
    for i in [2, 0, 3, 1, 3, 0] {
        store.insert(vec![versions[i].clone()]).await.unwrap();
    }
    let click = Event {
        event_id: Uuid::new_v4(),
        ctx: ctx("s1", "v1", T0 + 1, "/"),
        kind: EventKind::Action(ActionEvent {
            action_type: "click".into(),
            ..ActionEvent::default()
        }),
    };
    // A client's retry carries the same event id with a slightly different
    // drift-corrected time.
    let mut retried = click.clone();
    retried.ctx.ts += 40;
    store.insert(vec![click]).await.unwrap();
    store.insert(vec![retried]).await.unwrap();
    let summary = store.summary("app", &range()).await.unwrap();
    assert_eq!((summary.views, summary.sessions), (1, 1));
    assert_eq!(summary.vitals["lcp"].value, Some(400.0));
    let sessions = store.sessions("app", &all_sessions()).await.unwrap();
    assert_eq!((sessions[0].views, sessions[0].actions), (1, 1));
    let detail = store.session("app", "s1").await.unwrap().unwrap();
    assert_eq!(lcp_of(&detail), vec![400.0]);
    assert_eq!(detail.events.len(), 2);
}

/// The stored row is the highest version's, whole: a metric an older
/// version had and the newest lacks is not counted (a regression test for
/// ClickHouse filtering rows before `FINAL` picks the newest).
pub async fn the_newest_version_wins_even_without_a_metric(store: &dyn Store) {
    store
        .insert(vec![view("s1", "v1", T0, "/", 1, 100.0)])
        .await
        .unwrap();
    let mut newer = view("s1", "v1", T0, "/", 2, 0.0);
    if let EventKind::View(v) = &mut newer.kind {
        v.lcp = None;
        v.cls = Some(0.2);
    }
    store.insert(vec![newer]).await.unwrap();
    let q = |metric| VitalsQuery {
        metric,
        p: 75,
        by: Dimension::Page,
        filters: range(),
    };
    assert!(store
        .vitals("app", &q(Metric::Lcp))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.vitals("app", &q(Metric::Cls)).await.unwrap()[0].count,
        1
    );
    assert!(store
        .slow_views("app", Metric::Lcp, &range(), 5)
        .await
        .unwrap()
        .is_empty());
    let hist = store.histogram("app", Metric::Lcp, &range()).await.unwrap();
    assert_eq!(hist.iter().map(|b| b.count).sum::<u64>(), 0);
}

pub const HOUR: i64 = 3_600_000;

pub fn lcp_by_page(from: i64, to: i64, p: u8) -> VitalsQuery {
    VitalsQuery {
        metric: Metric::Lcp,
        p,
        by: Dimension::Page,
        filters: Filters {
            from,
            to,
            ..Filters::last_day(to)
        },
    }
}

/// How many views a vitals question counted, over all its groups.
pub async fn views_counted(store: &dyn Store, q: &VitalsQuery) -> u64 {
    store
        .vitals("app", q)
        .await
        .unwrap()
        .iter()
        .map(|g| g.count)
        .sum()
}

/// 3000 views over six hours from T0 on three pages.
pub fn six_hours_of_views() -> Vec<Event> {
    let mut seed: u64 = 7;
    (0..3000)
        .map(|i| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let lcp = 200.0 + ((seed >> 33) % 6000) as f64;
            let route = ["/", "/cart", "/product"][i % 3];
            view(
                &format!("s{i}"),
                &format!("v{i}"),
                T0 + i as i64 * 7_200,
                route,
                1,
                lcp,
            )
        })
        .collect()
}

pub async fn rolled_up_hours_answer_like_the_rows(store: &dyn Store) {
    store.insert(six_hours_of_views()).await.unwrap();
    let mut questions = Vec::new();
    for (from, to) in [
        (T0 - HOUR, T0 + 7 * HOUR),
        (T0 + HOUR / 2, T0 + 3 * HOUR + 5),
    ] {
        for p in [50u8, 75, 95] {
            let q = lcp_by_page(from, to, p);
            let exact = store.vitals("app", &q).await.unwrap();
            questions.push((q, exact));
        }
    }
    let range = Filters {
        from: T0 - HOUR,
        to: T0 + 7 * HOUR,
        ..Filters::last_day(T0)
    };
    let exact_summary = store.summary("app", &range).await.unwrap();
    // Hours 0..=3 end before the cut-off; 4 and 5 stay raw.
    assert_eq!(
        store
            .roll_up(T0 + 4 * HOUR + 60_000, i64::MAX)
            .await
            .unwrap(),
        4
    );
    let summary = store.summary("app", &range).await.unwrap();
    assert_eq!(
        (summary.views, summary.sessions, summary.errors),
        (
            exact_summary.views,
            exact_summary.sessions,
            exact_summary.errors
        )
    );
    let (r, e) = (&summary.vitals["lcp"], &exact_summary.vitals["lcp"]);
    assert_eq!((r.count, r.good, r.poor), (e.count, e.good, e.poor));
    let (rv, ev) = (r.value.unwrap(), e.value.unwrap());
    assert!((rv - ev).abs() / ev < 0.015, "summary p75 {rv} vs {ev}");
    assert_eq!(
        summary.vitals["inp"].count, 0,
        "no INP values: none made up"
    );
    for (q, exact) in questions {
        let rolled = store.vitals("app", &q).await.unwrap();
        assert_eq!(rolled.len(), exact.len());
        for (r, e) in rolled.iter().zip(&exact) {
            assert_eq!(
                (&r.key, r.count),
                (&e.key, e.count),
                "same groups, same order"
            );
            for (a, b) in [(r.good, e.good), (r.ni, e.ni), (r.poor, e.poor)] {
                assert!((a - b).abs() < 1e-9, "shares are exact");
            }
            // DDSketch's 1% plus the interpolation quantile_cont does.
            let err = (r.value - e.value).abs() / e.value;
            assert!(
                err < 0.015,
                "p{} {:?}: {} vs {}",
                q.p,
                r.key,
                r.value,
                e.value
            );
        }
    }
}

/// 3000 views over six hours from T0 (three pages, browsers, countries,
/// two devices and releases), and in the third hour 1100 more on as many
/// pages, past what a roll-up keeps of one dimension (in a browser, device
/// and country of their own, so that only questions about them meet the
/// "(other)" page).
fn six_hours_of_varied_views() -> Vec<Event> {
    let mut views = six_hours_of_views();
    for (i, e) in views.iter_mut().enumerate() {
        e.ctx.browser = Some(["Chrome", "Firefox", "Safari"][i % 3 / 2 + i % 2].into());
        e.ctx.device = Some(["desktop", "mobile"][i / 7 % 2].into());
        e.ctx.country = Some(["DE", "FR", "US"][i / 5 % 3].into());
        e.ctx.release = Some(["1.0", "1.1"][i / 11 % 2].into());
    }
    views.extend((0..1100).map(|i| {
        let mut e = view(
            &format!("t{i}"),
            &format!("t{i}"),
            T0 + 2 * HOUR + i as i64 * 3_000,
            &format!("/t/{i}"),
            1,
            300.0 + i as f64,
        );
        e.ctx.browser = Some("Opera".into());
        e.ctx.device = Some("tablet".into());
        e.ctx.country = Some("FR".into());
        e
    }));
    views
}

/// Answers a question from roll-ups within their 1% of `exact` (plus the
/// interpolation between ranks), with the same groups, counts and shares;
/// returns whether any percentile differs (an exact answer would not).
fn assert_close(
    q: &VitalsQuery,
    exact: &[fovea_query::VitalsGroup],
    got: &[fovea_query::VitalsGroup],
) -> bool {
    assert_eq!(got.len(), exact.len(), "{q:?}");
    let mut differs = false;
    for (r, e) in got.iter().zip(exact) {
        assert_eq!(
            (&r.key, r.count),
            (&e.key, e.count),
            "{q:?}: same groups, same order"
        );
        for (a, b) in [(r.good, e.good), (r.ni, e.ni), (r.poor, e.poor)] {
            assert!((a - b).abs() < 1e-9, "{q:?}: shares are exact");
        }
        let err = (r.value - e.value).abs() / e.value;
        assert!(err < 0.015, "{q:?} {:?}: {} vs {}", r.key, r.value, e.value);
        differs |= r.value != e.value;
    }
    differs
}

/// A question filtered on page, browser, device or country reads the
/// crossed roll-ups (it read every raw row before); two filters, a user
/// filter and an hour whose pages were folded into "(other)" read rows.
pub async fn filtered_questions_read_the_crossed_roll_ups(store: &dyn Store) {
    store.insert(six_hours_of_varied_views()).await.unwrap();
    let all = Filters {
        from: T0 - HOUR,
        to: T0 + 7 * HOUR,
        ..Filters::last_day(T0)
    };
    let ask = |by, p, f: Filters| VitalsQuery {
        metric: Metric::Lcp,
        p,
        by,
        filters: f,
    };
    let one = [
        ask(
            Dimension::Page,
            75,
            Filters {
                browser: Some("Chrome".into()),
                ..all.clone()
            },
        ),
        ask(
            Dimension::Browser,
            95,
            Filters {
                page: Some("/cart".into()),
                ..all.clone()
            },
        ),
        ask(
            Dimension::Country,
            50,
            Filters {
                device: Some("mobile".into()),
                ..all.clone()
            },
        ),
        ask(
            Dimension::None,
            75,
            Filters {
                country: Some("US".into()),
                ..all.clone()
            },
        ),
        ask(
            Dimension::Release,
            75,
            Filters {
                page: Some("/".into()),
                ..all.clone()
            },
        ),
        ask(
            Dimension::Browser,
            75,
            Filters {
                browser: Some("Safari".into()),
                ..all.clone()
            },
        ),
        ask(
            Dimension::Connection,
            75,
            Filters {
                device: Some("desktop".into()),
                ..all.clone()
            },
        ),
        ask(
            Dimension::Device,
            75,
            Filters {
                page: Some("/product".into()),
                release: Some("1.1".into()),
                ..all.clone()
            },
        ),
        // The third hour folded pages into "(other)": read from its rows.
        ask(
            Dimension::Browser,
            75,
            Filters {
                page: Some("/t/7".into()),
                ..all.clone()
            },
        ),
        ask(
            Dimension::Page,
            75,
            Filters {
                country: Some("DE".into()),
                ..all.clone()
            },
        ),
    ];
    let rows_only = [
        ask(
            Dimension::Page,
            75,
            Filters {
                browser: Some("Chrome".into()),
                device: Some("mobile".into()),
                ..all.clone()
            },
        ),
        ask(
            Dimension::Page,
            75,
            Filters {
                user: Some("nobody".into()),
                ..all.clone()
            },
        ),
    ];
    let mut exact = Vec::new();
    for q in one.iter().chain(&rows_only) {
        exact.push(store.vitals("app", q).await.unwrap());
    }
    assert!(exact[0].iter().map(|g| g.count).sum::<u64>() > 0);
    assert_eq!(exact[8].iter().map(|g| g.count).sum::<u64>(), 1);
    assert_eq!(store.roll_up(T0 + 6 * HOUR, i64::MAX).await.unwrap(), 6);
    let mut differs = false;
    for (q, e) in one.iter().zip(&exact) {
        differs |= assert_close(q, e, &store.vitals("app", q).await.unwrap());
    }
    assert!(
        differs,
        "the filtered questions were answered from roll-ups"
    );
    for (q, e) in rows_only.iter().zip(&exact[one.len()..]) {
        assert_eq!(&store.vitals("app", q).await.unwrap(), e, "{q:?}: exact");
    }
}

/// Late views into a rolled-up hour are added to its roll-up, not a reason
/// to read the whole hour raw again: a question right after a backfill
/// stays as fast as before it (bench/README.md, "Right after late views").
/// A roll-up answers a middle percentile from its sketch, within 1 % but
/// not exactly, which tells which path answered.
pub async fn late_views_are_added_to_the_roll_up_until_it_is_rolled_up_again(store: &dyn Store) {
    let mut lcp: Vec<f64> = (0..100).map(|i| 1000.0 + f64::from(i) * 7.0).collect();
    let views = (0..100)
        .map(|i| {
            view(
                "s",
                &format!("v{i}"),
                T0 + i * 1000,
                "/",
                1,
                lcp[i as usize],
            )
        })
        .collect();
    store.insert(views).await.unwrap();
    assert_eq!(store.roll_up(T0 + 2 * HOUR, i64::MAX).await.unwrap(), 1);
    let q = lcp_by_page(T0, T0 + HOUR, 50);
    let answer = |lcp: &[f64]| {
        let mut lcp = lcp.to_vec();
        let q = q.clone();
        async move {
            let g = store.vitals("app", &q).await.unwrap().remove(0);
            (g, percentile(&mut lcp, 0.5))
        }
    };
    let from_roll_up = |(g, exact): &(fovea_query::VitalsGroup, f64)| {
        g.value != *exact && (g.value - exact).abs() <= exact * 0.01
    };

    // A late view, then a later version of it, in the rolled-up hour.
    let late = |version, v| view("late", "late", T0 + 30 * 60_000, "/", version, v);
    store.insert(vec![late(1, 5000.0)]).await.unwrap();
    lcp.push(5000.0);
    let a = answer(&lcp).await;
    assert_eq!((a.0.count, a.0.poor), (101, 1.0 / 101.0));
    assert!(from_roll_up(&a), "{a:?}");
    store.insert(vec![late(2, 1100.0)]).await.unwrap();
    *lcp.last_mut().unwrap() = 1100.0;
    let a = answer(&lcp).await;
    assert_eq!(
        (a.0.count, a.0.poor),
        (101, 0.0),
        "the later version replaced it"
    );
    assert!(from_roll_up(&a), "{a:?}");

    // Rolled up again: the late view is in the roll-up, counted once.
    assert_eq!(store.roll_up(T0 + 2 * HOUR, i64::MAX).await.unwrap(), 1);
    assert_eq!(store.roll_up(T0 + 2 * HOUR, i64::MAX).await.unwrap(), 0);
    let a = answer(&lcp).await;
    assert_eq!(a.0.count, 101);
    assert!(from_roll_up(&a), "{a:?}");

    // A later version of a view the roll-up counted: the hour is read raw
    // (exact) until it is rolled up again.
    store.insert(vec![late(3, 5000.0)]).await.unwrap();
    *lcp.last_mut().unwrap() = 5000.0;
    let a = answer(&lcp).await;
    assert_eq!((a.0.count, a.0.value), (101, a.1));
    // (ClickHouse's exact path computes the share in SQL: the last digit differs)
    assert!((a.0.poor - 1.0 / 101.0).abs() < 1e-12, "{a:?}");
    assert_eq!(store.roll_up(T0 + 2 * HOUR, i64::MAX).await.unwrap(), 1);

    // Erasing a late view's session takes its copy with it.
    store
        .insert(vec![view("gone", "gone", T0 + 60_000, "/", 1, 9000.0)])
        .await
        .unwrap();
    assert_eq!(answer(&lcp).await.0.count, 102);
    store
        .erase("app", &Subject::Session("gone".into()))
        .await
        .unwrap();
    assert_eq!(answer(&lcp).await.0.count, 101);
    assert_eq!(store.roll_up(T0 + 2 * HOUR, i64::MAX).await.unwrap(), 1);
    let a = answer(&lcp).await;
    assert_eq!(a.0.count, 101);
    assert!(from_roll_up(&a), "{a:?}");
}

/// Late views in many rolled-up hours leave holes until the next roll-up:
/// more than the roll-ups were once used with (8). The other hours still
/// answer from them and the holes are read in one grouped query.
pub async fn late_views_in_many_rolled_up_hours_leave_the_others_rolled_up(store: &dyn Store) {
    let routes = ["/", "/cart", "/product"];
    let mut seed: u64 = 3;
    let mut views: Vec<Event> = (0..2400)
        .map(|i| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let lcp = 200.0 + ((seed >> 33) % 6000) as f64;
            view(
                &format!("s{i}"),
                &format!("v{i}"),
                T0 + i as i64 * 36_000,
                routes[i % 3],
                1,
                lcp,
            )
        })
        .collect();
    store.insert(views.clone()).await.unwrap();
    assert_eq!(store.roll_up(T0 + 24 * HOUR, i64::MAX).await.unwrap(), 24);
    let late: Vec<Event> = (0..24)
        .step_by(2)
        .map(|h| {
            view(
                "late",
                &format!("late{h}"),
                T0 + h * HOUR + 5,
                "/cart",
                1,
                1234.0,
            )
        })
        .collect();
    store.insert(late.clone()).await.unwrap();
    views.extend(late);
    let got = store
        .vitals("app", &lcp_by_page(T0, T0 + 24 * HOUR, 75))
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
    let mut differs = false;
    for g in &got {
        let mut values: Vec<f64> = views
            .iter()
            .filter(|e| Some(e.ctx.route.as_str()) == g.key.as_deref())
            .filter_map(|e| match &e.kind {
                EventKind::View(v) => v.lcp,
                _ => None,
            })
            .collect();
        assert_eq!(g.count, values.len() as u64, "{:?}", g.key);
        let want = percentile(&mut values, 0.75);
        assert!(
            (g.value - want).abs() / want < 0.015,
            "{:?}: {} vs {want}",
            g.key,
            g.value
        );
        differs |= g.value != want;
    }
    assert!(differs, "answered from the roll-ups of the other hours");
}

/// The clock, ms since the epoch, one ms after the last write's.
async fn clock_after_writes() -> i64 {
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.unwrap().as_millis() as i64
}

/// Regression: a backfill into past hours (or a spool replayed after an
/// outage) had each of them rolled up every minute, and every roll-up
/// dropped again by the next insert. An hour written to since `busy_since`
/// waits; the others do not.
pub async fn hours_still_written_to_wait_to_be_rolled_up(store: &dyn Store) {
    let views = |from: usize| -> Vec<Event> {
        (from..from + 20)
            .map(|i| {
                view(
                    "s",
                    &format!("v{i}"),
                    T0 + (i as i64 % 2) * HOUR + i as i64,
                    "/",
                    1,
                    900.0,
                )
            })
            .collect()
    };
    let start = clock_after_writes().await;
    store.insert(views(0)).await.unwrap();
    assert_eq!(
        store.roll_up(T0 + 3 * HOUR, start).await.unwrap(),
        0,
        "both hours busy"
    );
    let quiet = clock_after_writes().await;
    assert_eq!(store.roll_up(T0 + 3 * HOUR, quiet).await.unwrap(), 2);

    // Late views into the first hour only: it waits, the second stays rolled up.
    let late: Vec<Event> = views(20)
        .into_iter()
        .filter(|e| e.ctx.ts < T0 + HOUR)
        .collect();
    store.insert(late).await.unwrap();
    assert_eq!(store.roll_up(T0 + 3 * HOUR, quiet).await.unwrap(), 0);
    let q = lcp_by_page(T0, T0 + 2 * HOUR, 75);
    assert_eq!(
        store.vitals("app", &q).await.unwrap()[0].count,
        30,
        "answered exactly meanwhile"
    );
    let quiet = clock_after_writes().await;
    assert_eq!(store.roll_up(T0 + 3 * HOUR, quiet).await.unwrap(), 1);
    assert_eq!(store.vitals("app", &q).await.unwrap()[0].count, 30);
}

pub async fn a_new_version_in_a_rolled_up_hour_replaces_the_old_one(store: &dyn Store) {
    let views: Vec<Event> = (0..100)
        .map(|i| view("s", &format!("v{i}"), T0 + i * 1000, "/", 1, 1000.0))
        .collect();
    store.insert(views).await.unwrap();
    assert_eq!(store.roll_up(T0 + 2 * HOUR, i64::MAX).await.unwrap(), 1);
    let q = lcp_by_page(T0 - HOUR, T0 + 2 * HOUR, 75);
    assert_eq!(store.vitals("app", &q).await.unwrap()[0].poor, 0.0);

    // The view's final version arrives after its hour was rolled up.
    store
        .insert(vec![view("s", "v0", T0, "/", 2, 9000.0)])
        .await
        .unwrap();
    let after = store.vitals("app", &q).await.unwrap();
    assert_eq!((after[0].count, after[0].poor), (100, 0.01));
    assert_eq!(
        store.roll_up(T0 + 2 * HOUR, i64::MAX).await.unwrap(),
        1,
        "rolled up again"
    );
    let again = store.vitals("app", &q).await.unwrap();
    assert_eq!((again[0].count, again[0].poor), (100, 0.01));
    assert!(
        (again[0].value - 1000.0).abs() <= 10.0,
        "within the sketch's 1%"
    );
}

/// Retention at a day's start: every backend drops whole days at least
/// (ClickHouse drops nothing finer), and the roll-ups go with the rows.
pub async fn retention_drops_the_roll_ups_with_the_rows(store: &dyn Store) {
    let day = 86_400_000;
    let yesterday: Vec<Event> = (0..500)
        .map(|i| {
            view(
                &format!("y{i}"),
                &format!("y{i}"),
                T0 - day + i * 1000,
                "/",
                1,
                500.0,
            )
        })
        .collect();
    store.insert(yesterday).await.unwrap();
    store.insert(six_hours_of_views()).await.unwrap();
    assert_eq!(store.roll_up(T0 + 6 * HOUR, i64::MAX).await.unwrap(), 7);
    let q = lcp_by_page(T0 - 2 * day, T0 + 7 * HOUR, 75);
    assert_eq!(views_counted(store, &q).await, 3500);
    let today = T0 - T0.rem_euclid(day);
    store.expire("app", today).await.unwrap();
    assert_eq!(views_counted(store, &q).await, 3000, "yesterday is gone");
    assert_eq!(store.roll_up(T0 + 6 * HOUR, i64::MAX).await.unwrap(), 0);
    assert_eq!(views_counted(store, &q).await, 3000);
}

pub async fn small_groups_interpolate_like_the_exact_path(store: &dyn Store) {
    let lcp = [1000.0, 2000.0, 3000.0];
    let views: Vec<Event> = lcp
        .iter()
        .enumerate()
        .map(|(i, v)| view("s", &format!("v{i}"), T0 + i as i64, "/three", 1, *v))
        .chain([
            view("s", "w0", T0 + 10, "/two", 1, 1000.0),
            view("s", "w1", T0 + 11, "/two", 1, 3000.0),
        ])
        .collect();
    store.insert(views).await.unwrap();
    let exact = store
        .vitals("app", &lcp_by_page(T0, T0 + HOUR, 75))
        .await
        .unwrap();
    assert_eq!(store.roll_up(T0 + 2 * HOUR, i64::MAX).await.unwrap(), 1);
    for p in [50u8, 75, 90] {
        let q = lcp_by_page(T0, T0 + HOUR, p);
        for g in store.vitals("app", &q).await.unwrap() {
            let mut values: Vec<f64> = match g.key.as_deref() {
                Some("/three") => lcp.to_vec(),
                _ => vec![1000.0, 3000.0],
            };
            let want = percentile(&mut values, f64::from(p) / 100.0);
            assert!(
                (g.value - want).abs() <= want * 0.01,
                "p{p} {:?}: {} vs {want}",
                g.key,
                g.value
            );
        }
    }
    // The ends of a group are exact; a middle value comes from the sketch,
    // which shows that the roll-up answered.
    let rolled = store
        .vitals("app", &lcp_by_page(T0, T0 + HOUR, 75))
        .await
        .unwrap();
    let two = |gs: &[fovea_query::VitalsGroup]| {
        gs.iter()
            .find(|g| g.key.as_deref() == Some("/two"))
            .unwrap()
            .value
    };
    assert_eq!(two(&rolled), 2500.0);
    assert_eq!(two(&exact), 2500.0);
    let p50 = store
        .vitals("app", &lcp_by_page(T0, T0 + HOUR, 50))
        .await
        .unwrap();
    let middle = p50
        .iter()
        .find(|g| g.key.as_deref() == Some("/three"))
        .unwrap()
        .value;
    assert!(
        middle != 2000.0 && (middle - 2000.0).abs() <= 20.0,
        "{middle}"
    );
}

pub async fn quiet_hours_count_as_rolled_up(store: &dyn Store) {
    // Views at hours 0 and 5; hours 1..=4 are empty.
    store
        .insert(vec![
            view("s", "a", T0, "/", 1, 1000.0),
            view("s", "b", T0 + 5 * HOUR, "/", 1, 3000.0),
        ])
        .await
        .unwrap();
    assert_eq!(store.roll_up(T0 + 6 * HOUR, i64::MAX).await.unwrap(), 2);
    // A late view into a quiet hour drops its mark like any roll-up.
    store
        .insert(vec![view("s", "c", T0 + 2 * HOUR, "/", 1, 2000.0)])
        .await
        .unwrap();
    let q = lcp_by_page(T0, T0 + 6 * HOUR, 50);
    let g = &store.vitals("app", &q).await.unwrap()[0];
    assert_eq!(g.count, 3);
    assert_eq!(store.roll_up(T0 + 6 * HOUR, i64::MAX).await.unwrap(), 1);
    assert_eq!(store.vitals("app", &q).await.unwrap()[0].count, 3);
}

pub fn segment(app: &str, session: &str, index: u32, start: i64, data: &[u8]) -> ReplaySegment {
    ReplaySegment {
        app_id: app.into(),
        session_id: session.into(),
        view_id: Some("v1".into()),
        index,
        start,
        end: start + 4_000,
        events: 10 + index,
        full_snapshot: index == 0,
        data: data.to_vec(),
        received_at: start + 5_000,
    }
}

pub async fn replay_segments_round_trip_and_a_retry_replaces_the_segment(store: &dyn Store) {
    // Bytes that are not UTF-8, as gzip output is.
    let first = [0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, b'\'', 0x00];
    // A segment whose retried upload was drift-corrected onto the next UTC
    // day (another partition on ClickHouse).
    let midnight = (T0 / 86_400_000 + 1) * 86_400_000;
    store
        .insert(vec![
            view("s1", "v1", T0, "/", 1, 1.0),
            view("s3", "v3", T0, "/", 1, 1.0),
        ])
        .await
        .unwrap();
    store
        .insert_replay(vec![
            segment("app", "s1", 1, midnight - 1_000, b"one"),
            segment("app", "s1", 0, T0, &first),
            segment("other", "s1", 0, T0, b"other app"),
            segment("app", "s2", 0, T0, b"s2"),
        ])
        .await
        .unwrap();
    let mut retry = segment("app", "s1", 1, midnight + 500, b"one, again");
    retry.received_at += 60_000;
    store
        .insert_replay(vec![segment("app", "s1", 1, midnight, b"dup"), retry])
        .await
        .unwrap();

    let list = store.replay_segments("app", "s1").await.unwrap();
    let indexes: Vec<u32> = list.iter().map(|s| s.index).collect();
    assert_eq!(indexes, [0, 1]);
    assert_eq!(
        (list[0].start, list[0].end, list[0].events),
        (T0, T0 + 4_000, 10)
    );
    assert!(list[0].full_snapshot && !list[1].full_snapshot);
    assert_eq!(list[0].bytes, first.len() as u64);
    assert_eq!(list[1].bytes, b"one, again".len() as u64);
    assert_eq!(
        store.replay_segment("app", "s1", 0).await.unwrap().unwrap(),
        first
    );
    assert_eq!(
        store.replay_segment("app", "s1", 1).await.unwrap().unwrap(),
        b"one, again"
    );
    assert_eq!(store.replay_segment("app", "s1", 2).await.unwrap(), None);
    assert_eq!(
        store.replay_segment("app", "nobody", 0).await.unwrap(),
        None
    );
    assert!(store
        .replay_segments("app", "nobody")
        .await
        .unwrap()
        .is_empty());

    let rows = store.sessions("app", &all_sessions()).await.unwrap();
    let flags: Vec<(&str, bool)> = rows.iter().map(|r| (r.id.as_str(), r.has_replay)).collect();
    assert!(
        flags.contains(&("s1", true)) && flags.contains(&("s3", false)),
        "{flags:?}"
    );
    assert!(
        store
            .session("app", "s1")
            .await
            .unwrap()
            .unwrap()
            .session
            .has_replay
    );
    assert!(
        !store
            .session("app", "s3")
            .await
            .unwrap()
            .unwrap()
            .session
            .has_replay
    );
}

pub async fn retention_deletes_old_replay_segments(store: &dyn Store) {
    let old = T0 - 40 * 86_400_000;
    store
        .insert_replay(vec![
            segment("app", "s1", 0, old, b"old"),
            segment("app", "s2", 0, T0, b"new"),
            segment("other", "s3", 0, old, b"other app"),
        ])
        .await
        .unwrap();
    store.expire("app", T0 - 30 * 86_400_000).await.unwrap();
    assert!(store.replay_segments("app", "s1").await.unwrap().is_empty());
    assert_eq!(store.replay_segments("app", "s2").await.unwrap().len(), 1);
    assert_eq!(store.replay_segments("other", "s3").await.unwrap().len(), 1);
}

pub fn source_file(
    app: &str,
    release: &str,
    kind: SourceKind,
    url: &str,
    data: &[u8],
    at: i64,
) -> SourceFile {
    SourceFile {
        app_id: app.into(),
        info: SourceFileInfo {
            id: SourceFileInfo::id_for(release, kind, url),
            release: release.into(),
            url: url.into(),
            kind,
            debug_id: (kind == SourceKind::Map).then(|| format!("{release}-debug-id")),
            sha256: sha256_hex(data),
            bytes: data.len() as u64,
            uploaded_at: at,
        },
        data: data.to_vec(),
    }
}

pub async fn source_files_are_found_by_url_or_debug_id_replaced_and_deleted(store: &dyn Store) {
    let map = SourceKind::Map;
    // Bytes that are not UTF-8 survive.
    let bytes = [0xff, 0x00, b'{', 0x80];
    for f in [
        source_file("app", "1.0", map, "~/assets/app.js.map", b"v1 map", 1),
        source_file(
            "app",
            "1.0",
            SourceKind::Source,
            "~/assets/app.js",
            &bytes,
            2,
        ),
        source_file("app", "2.0", map, "~/assets/app.js.map", b"v2 map", 3),
        source_file("other", "1.0", map, "~/assets/app.js.map", b"other app", 4),
    ] {
        store.put_source_file(&f).await.unwrap();
    }
    // Uploading again replaces the file.
    store
        .put_source_file(&source_file(
            "app",
            "1.0",
            map,
            "~/assets/app.js.map",
            b"v1 map, fixed",
            5,
        ))
        .await
        .unwrap();

    let all = store.source_files("app", None).await.unwrap();
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(
        store.source_files("app", Some("2.0")).await.unwrap().len(),
        1
    );
    let key = SourceKey::Url {
        release: "1.0",
        kind: map,
        url: "~/assets/app.js.map",
    };
    let got = store.source_file("app", &key).await.unwrap().unwrap();
    assert_eq!(got.data, b"v1 map, fixed");
    assert_eq!(got.info.bytes, 13);
    let bundle = SourceKey::Url {
        release: "1.0",
        kind: SourceKind::Source,
        url: "~/assets/app.js",
    };
    assert_eq!(
        store
            .source_file("app", &bundle)
            .await
            .unwrap()
            .unwrap()
            .data,
        bytes
    );
    let by_id = SourceKey::DebugId {
        kind: map,
        debug_id: "2.0-debug-id",
    };
    assert_eq!(
        store
            .source_file("app", &by_id)
            .await
            .unwrap()
            .unwrap()
            .data,
        b"v2 map"
    );
    assert!(
        store.source_file("other", &by_id).await.unwrap().is_none(),
        "apps do not share files"
    );
    let missing = SourceKey::Url {
        release: "3.0",
        kind: map,
        url: "~/assets/app.js.map",
    };
    assert!(store.source_file("app", &missing).await.unwrap().is_none());

    assert_eq!(
        store
            .delete_source_files("app", None, Some("1.0"))
            .await
            .unwrap(),
        2
    );
    assert!(store.source_file("app", &key).await.unwrap().is_none());
    let id = SourceFileInfo::id_for("2.0", map, "~/assets/app.js.map");
    assert_eq!(
        store
            .delete_source_files("app", Some(&id), None)
            .await
            .unwrap(),
        1
    );
    assert!(store.source_files("app", None).await.unwrap().is_empty());
    assert_eq!(store.source_files("other", None).await.unwrap().len(), 1);
}

pub async fn issue_states_round_trip_and_the_latest_wins(store: &dyn Store) {
    let state = |app: &str, fp: &str, status: IssueStatus, at: i64| IssueState {
        app_id: app.into(),
        fingerprint: fp.into(),
        status,
        resolved_in_release: (status == IssueStatus::Resolved).then(|| "1.2".to_string()),
        resolved_at: (status == IssueStatus::Resolved).then_some(at),
        updated_at: at,
    };
    store
        .put_issue_state(&state("app", "fp1", IssueStatus::Resolved, 10))
        .await
        .unwrap();
    store
        .put_issue_state(&state("app", "fp2", IssueStatus::Ignored, 11))
        .await
        .unwrap();
    store
        .put_issue_state(&state("other", "fp1", IssueStatus::Ignored, 12))
        .await
        .unwrap();
    store
        .put_issue_state(&state("app", "fp2", IssueStatus::Open, 13))
        .await
        .unwrap();
    let mut got = store.issue_states("app").await.unwrap();
    got.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    assert_eq!(
        got,
        vec![
            state("app", "fp1", IssueStatus::Resolved, 10),
            state("app", "fp2", IssueStatus::Open, 13)
        ]
    );
    assert_eq!(store.issue_states("other").await.unwrap().len(), 1);
    // The issue rows carry the release of the latest occurrence.
    let mut e = error("s1", T0, "boom", "fp9");
    e.ctx.release = Some("2.0".into());
    store
        .insert(vec![error("s1", T0 - 1000, "boom", "fp9"), e])
        .await
        .unwrap();
    let rows = store.issues("app", &issues_of(range())).await.unwrap();
    assert_eq!(rows[0].last_release.as_deref(), Some("2.0"));
}

pub async fn crash_free_sessions_count_only_unhandled_errors(store: &dyn Store) {
    let mut events: Vec<Event> = ["s1", "s2", "s3", "s4"]
        .iter()
        .map(|s| view(s, &format!("{s}-v"), T0, "/", 1, 1.0))
        .collect();
    events.push(error("s1", T0 + 1, "uncaught", "fp1"));
    let mut handled = error("s2", T0 + 1, "caught", "fp2");
    let mut network = error("s3", T0 + 1, "GET /api 500", "fp3");
    if let EventKind::Error(e) = &mut handled.kind {
        e.handled = Some(true);
    }
    if let EventKind::Error(e) = &mut network.kind {
        e.source = "network".into();
    }
    events.extend([handled, network]);
    store.insert(events).await.unwrap();
    let s = store.summary("app", &range()).await.unwrap();
    assert_eq!(s.sessions, 4);
    assert!(
        (s.crash_free_sessions - 0.75).abs() < 1e-9,
        "{}",
        s.crash_free_sessions
    );
    let empty = store.summary("nobody", &range()).await.unwrap();
    assert_eq!(empty.crash_free_sessions, 1.0);
    // The trend: one hourly bucket holds every session.
    let points = store
        .timeseries(
            "app",
            &TimeseriesQuery {
                series: Series::CrashFree,
                interval_ms: 3_600_000,
                filters: range(),
            },
        )
        .await
        .unwrap();
    assert_eq!(points.len(), 1);
    assert_eq!((points[0].t, points[0].count), (T0, 4));
    assert!((points[0].value - 0.75).abs() < 1e-9, "{}", points[0].value);
}

/// An issue's first and last occurrence and releases are all time, its
/// counts and trend the range's; users count each session without a user
/// id once; the list follows the asked order.
pub async fn issues_have_history_trend_users_and_order(store: &dyn Store) {
    let day = 86_400_000;
    let mut old = error("s0", T0 - 10 * day, "boom", "fp1");
    old.ctx.release = Some("1.0".into());
    let mut a = error("s1", T0 - 1_800_000, "boom", "fp1");
    a.ctx.user_id = Some("ann".into());
    let mut b = error("s2", T0 - 1_700_000, "boom", "fp1");
    b.ctx.user_id = Some("ann".into());
    let c = error("s3", T0 + 60_000, "boom", "fp1");
    let mut events = vec![old, a, b, c];
    for e in &mut events[1..] {
        e.ctx.release = Some("2.0".into());
    }
    // Another issue: fewer events, more users, seen later.
    for (i, s) in ["s4", "s5"].iter().enumerate() {
        let mut e = error(s, T0 + 600_000 + i as i64, "other", "fp2");
        e.ctx.user_id = Some(format!("user{i}"));
        events.push(e);
    }
    store.insert(events).await.unwrap();

    let rows = store.issues("app", &issues_of(range())).await.unwrap();
    let fps: Vec<&str> = rows.iter().map(|r| r.fingerprint.as_str()).collect();
    assert_eq!(fps, ["fp1", "fp2"]);
    let r = &rows[0];
    assert_eq!(
        (r.count, r.sessions, r.users),
        (3, 3, 2),
        "ann once, s3 as a user"
    );
    assert_eq!(r.first_seen, T0 - 10 * day);
    assert_eq!(r.first_release.as_deref(), Some("1.0"));
    assert_eq!(r.last_seen, T0 + 60_000);
    assert_eq!(r.last_release.as_deref(), Some("2.0"));
    let releases: Vec<(Option<&str>, u64)> = r
        .releases
        .iter()
        .map(|x| (x.release.as_deref(), x.count))
        .collect();
    assert_eq!(releases, [(Some("1.0"), 1), (Some("2.0"), 3)]);
    assert_eq!(r.trend.interval_ms, 3_600_000);
    assert_eq!(r.trend.counts.iter().sum::<u64>(), 3, "the range's only");
    let hour = |t: i64| ((t - r.trend.from) / r.trend.interval_ms) as usize;
    assert_eq!(r.trend.counts[hour(T0 - 1_800_000)], 2);
    assert_eq!(r.trend.counts[hour(T0 + 60_000)], 1);

    let by = |sort| IssuesQuery {
        sort,
        ..issues_of(range())
    };
    let first = |rows: Vec<fovea_query::IssueRow>| rows[0].fingerprint.clone();
    let users = store.issues("app", &by(IssueSort::Users)).await.unwrap();
    assert_eq!(
        users[0].users, users[1].users,
        "2 and 2: the later one first"
    );
    assert_eq!(first(users), "fp2");
    let last = store.issues("app", &by(IssueSort::LastSeen)).await.unwrap();
    assert_eq!(first(last), "fp2");
    let oldest = store
        .issues("app", &by(IssueSort::FirstSeen))
        .await
        .unwrap();
    assert_eq!(first(oldest), "fp2", "first seen most recently first");
    let one = IssuesQuery {
        limit: 1,
        ..by(IssueSort::Sessions)
    };
    assert_eq!(store.issues("app", &one).await.unwrap().len(), 1);
    let detail = store
        .issue("app", "fp1", &issues_of(range()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(detail.issue.first_release.as_deref(), Some("1.0"));
}

/// A symbolication stored by the issue API reads back; a newer one of the
/// same stack replaces it, other apps and releases do not see it.
pub async fn stored_frames_round_trip(store: &dyn Store) {
    let frames = |sources: &str, at: i64| StoredFrames {
        app_id: "app".into(),
        release: "1.0".into(),
        stack_hash: "h'1".into(),
        sources: sources.into(),
        frames: r#"[{"function":"applyDiscount"}]"#.into(),
        stored_at: at,
    };
    assert!(store
        .stored_frames("app", "1.0", "h'1")
        .await
        .unwrap()
        .is_none());
    store.put_stored_frames(&frames("s1", 10)).await.unwrap();
    store.put_stored_frames(&frames("s2", 20)).await.unwrap();
    let got = store.stored_frames("app", "1.0", "h'1").await.unwrap();
    assert_eq!(got, Some(frames("s2", 20)));
    assert!(store
        .stored_frames("app", "2.0", "h'1")
        .await
        .unwrap()
        .is_none());
    assert!(store
        .stored_frames("other", "1.0", "h'1")
        .await
        .unwrap()
        .is_none());
}

/// Actions group by page and element with their frustrations; the orders
/// put the most used, the most frustrated and the highest rate first.
pub async fn actions_group_by_page_and_element_with_frustrations(store: &dyn Store) {
    let click = |session: &str, t: i64, name: &str, frustration: &[&str]| Event {
        event_id: Uuid::new_v4(),
        ctx: ctx(session, "v1", T0 + t, "/cart"),
        kind: EventKind::Action(ActionEvent {
            action_type: "click".into(),
            name: Some(name.into()),
            target: Some(format!("button#{}", name.to_lowercase())),
            frustration: frustration.iter().map(|f| f.to_string()).collect(),
            ..ActionEvent::default()
        }),
    };
    store
        .insert(vec![
            // "Buy": 4 clicks, one rage+error in s2, one dead in s3.
            click("s1", 1, "Buy", &[]),
            click("s1", 2, "Buy", &[]),
            click("s2", 3, "Buy", &["rage", "error"]),
            click("s3", 4, "Buy", &["dead"]),
            // "Help": 1 click, dead: the highest rate.
            click("s4", 5, "Help", &["dead"]),
            // "Next": 2 calm clicks.
            click("s5", 6, "Next", &[]),
            click("s5", 7, "Next", &[]),
        ])
        .await
        .unwrap();
    let q = |order| ActionsQuery {
        filters: range(),
        order,
        limit: 50,
    };
    let names = |rows: &[fovea_query::ActionRow]| -> Vec<String> {
        rows.iter().map(|r| r.name.clone().unwrap()).collect()
    };
    let by_count = store.actions("app", &q(ActionOrder::Count)).await.unwrap();
    assert_eq!(names(&by_count), ["Buy", "Next", "Help"]);
    let buy = &by_count[0];
    assert_eq!(
        (buy.route.as_str(), buy.action_type.as_str()),
        ("/cart", "click")
    );
    assert_eq!(buy.target.as_deref(), Some("button#buy"));
    assert_eq!((buy.count, buy.sessions, buy.frustrated), (4, 3, 2));
    assert_eq!((buy.rage, buy.dead, buy.error), (1, 1, 1));
    assert!((buy.frustration_rate - 0.5).abs() < 1e-9);
    let examples = &buy.example_sessions;
    assert_eq!(examples.len(), 3, "{examples:?}");
    let mut frustrated = examples[..2].to_vec();
    frustrated.sort();
    assert_eq!(frustrated, ["s2", "s3"], "frustrated first: {examples:?}");

    let hot = store
        .actions("app", &q(ActionOrder::Frustration))
        .await
        .unwrap();
    assert_eq!(names(&hot), ["Buy", "Help"], "only frustrated ones");
    let rate = store
        .actions("app", &q(ActionOrder::FrustrationRate))
        .await
        .unwrap();
    assert_eq!(names(&rate), ["Help", "Buy"]);
    let one = ActionsQuery {
        limit: 1,
        ..q(ActionOrder::Count)
    };
    assert_eq!(store.actions("app", &one).await.unwrap().len(), 1);
}

/// A client can send any number of events under one session id; reading
/// the session stays bounded.
pub async fn a_session_read_is_bounded(store: &dyn Store) {
    let max = fovea_store::session::MAX_SESSION_EVENTS;
    let events: Vec<Event> = (0..max + 5)
        .map(|i| error("flood", T0 + i as i64, "x", "fp"))
        .collect();
    store.insert(events).await.unwrap();
    let detail = store.session("app", "flood").await.unwrap().unwrap();
    assert_eq!(detail.events.len(), max);
    assert_eq!(detail.session.errors, max as u64, "the first ones");
}

/// Defines one `#[tokio::test]` per suite test for a backend: `$open` is an
/// async fn returning `Option<(guard, Arc<dyn Store>)>`, `None` to skip.
#[macro_export]
macro_rules! store_suite {
    ($open:path) => {
        $crate::store_suite!(@each $open;
            spans_join_the_browser_events_of_their_trace,
            services_percentiles_interpolate_like_vitals,
            retention_deletes_old_spans,
            stored_since_counts_each_apps_day,
            usage_counts_each_day_raw_and_extrapolated,
            views_keep_their_highest_version,
            a_replayed_batch_is_stored_once,
            retention_deletes_only_old_events_of_the_app,
            percentiles_and_ratings_match_an_independent_computation,
            filters_restrict_every_query,
            sessions_issues_resources_and_series,
            apps_round_trip_and_keys_are_unique,
            control_docs_round_trip_by_kind,
            erasure_removes_a_users_sessions_and_nothing_else,
            hostile_strings_are_data,
            versions_and_copies_across_batches_count_once,
            the_newest_version_wins_even_without_a_metric,
            rolled_up_hours_answer_like_the_rows,
            filtered_questions_read_the_crossed_roll_ups,
            late_views_in_many_rolled_up_hours_leave_the_others_rolled_up,
            late_views_are_added_to_the_roll_up_until_it_is_rolled_up_again,
            a_new_version_in_a_rolled_up_hour_replaces_the_old_one,
            hours_still_written_to_wait_to_be_rolled_up,
            retention_drops_the_roll_ups_with_the_rows,
            small_groups_interpolate_like_the_exact_path,
            quiet_hours_count_as_rolled_up,
            replay_segments_round_trip_and_a_retry_replaces_the_segment,
            retention_deletes_old_replay_segments,
            source_files_are_found_by_url_or_debug_id_replaced_and_deleted,
            issue_states_round_trip_and_the_latest_wins,
            crash_free_sessions_count_only_unhandled_errors,
            issues_have_history_trend_users_and_order,
            stored_frames_round_trip,
            actions_group_by_page_and_element_with_frustrations,
            a_session_read_is_bounded,
            attribute_filters_and_view_phases
        );
    };
    (@each $open:path; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some((_guard, store)) = $open().await else {
                    return;
                };
                suite::$name(store.as_ref()).await;
            }
        )*
    };
}
