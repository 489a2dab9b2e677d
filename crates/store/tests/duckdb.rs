//! The DuckDB backend on a real database file: the store suite.

mod suite;

use std::sync::Arc;

use fovea_store::{DuckStore, EventStore, Store};
use suite::{lcp_by_page, six_hours_of_views, views_counted, HOUR, T0};

async fn open_suite() -> Option<(tempfile::TempDir, Arc<dyn Store>)> {
    let dir = tempfile::tempdir().unwrap();
    let store = DuckStore::open(&dir.path().join("fovea.duckdb"), "256MB").unwrap();
    Some((dir, Arc::new(store)))
}

store_suite!(open_suite);

/// DuckDB deletes to the millisecond; an hour cut in two is rolled up
/// again from what is left of it.
#[tokio::test]
async fn retention_inside_a_rolled_up_hour_rolls_it_up_again() {
    let Some((_dir, store)) = open_suite().await else {
        return;
    };
    let store = store.as_ref();
    store.insert(six_hours_of_views()).await.unwrap();
    assert_eq!(store.roll_up(T0 + 6 * HOUR, i64::MAX).await.unwrap(), 6);
    store.expire("app", T0 + 2 * HOUR + 1).await.unwrap();
    let q = lcp_by_page(T0 - HOUR, T0 + 7 * HOUR, 75);
    let left = views_counted(store, &q).await;
    assert_eq!(
        left,
        3000 - 1000 - 1,
        "two hours and one view of the third are gone"
    );
    assert_eq!(store.roll_up(T0 + 6 * HOUR, i64::MAX).await.unwrap(), 1);
    assert_eq!(views_counted(store, &q).await, left);
}

/// The writer's dedupe filters start empty at every open: copies of what
/// an earlier process stored (a spool replayed after a crash) are found by
/// reading each hour's keys from the table at its first use.
#[tokio::test]
async fn copies_of_what_an_earlier_process_stored_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fovea.duckdb");
    // The last seconds of an hour, so the copies' window spans two hours.
    let ts = T0 + HOUR - 2_000;
    let batch = vec![
        suite::view("s", "v1", ts, "/", 1, 100.0),
        suite::error("s", ts + 10, "boom", "fp1"),
    ];
    {
        let store = DuckStore::open(&path, "256MB").unwrap();
        store.insert(batch.clone()).await.unwrap();
    }
    let store = DuckStore::open(&path, "256MB").unwrap();
    let mut copy = batch[1].clone();
    copy.ctx.ts += 3_000; // a retry, its drift-corrected time in the next hour
    store
        .insert(vec![
            batch[0].clone(),
            copy,
            suite::view("s", "v1", ts, "/", 2, 200.0),
        ])
        .await
        .unwrap();
    let detail = store.session("app", "s").await.unwrap().unwrap();
    assert_eq!(detail.events.len(), 2, "one view and one error");
    assert_eq!(suite::lcp_of(&detail), vec![200.0]);
}

/// Hours rolled up before filters were crossed (migration 11) keep
/// answering unfiltered questions, are rolled up again, oldest first, and
/// then answer filtered ones; quiet hours need not be.
#[tokio::test]
async fn hours_rolled_up_before_filters_were_crossed_are_rolled_up_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fovea.duckdb");
    let q = lcp_by_page(T0 - HOUR, T0 + 9 * HOUR, 75);
    {
        let store = DuckStore::open(&path, "256MB").unwrap();
        let store: &dyn Store = &store;
        store.insert(six_hours_of_views()).await.unwrap();
        assert_eq!(store.roll_up(T0 + 8 * HOUR, i64::MAX).await.unwrap(), 6);
    }
    {
        // What an older version left: no crossed rows, no crossed marks.
        let c = duckdb::Connection::open(&path).unwrap();
        c.execute_batch(
            "DELETE FROM vitals_crossed;
             UPDATE rollup_hours SET crossed = NULL
             WHERE hour IN (SELECT hour FROM vitals_hourly);",
        )
        .unwrap();
    }
    let store = DuckStore::open(&path, "256MB").unwrap();
    let store: &dyn Store = &store;
    assert_eq!(views_counted(store, &q).await, 3000);
    // Only the hours with views: none of them crossed, all read exactly.
    let mut chrome = lcp_by_page(T0, T0 + 6 * HOUR, 75);
    chrome.filters.browser = Some("Chrome".into());
    let exact = store.vitals("app", &chrome).await.unwrap();
    assert_eq!(
        store.roll_up(T0 + 8 * HOUR, i64::MAX).await.unwrap(),
        6,
        "the six hours with views"
    );
    assert_eq!(store.roll_up(T0 + 8 * HOUR, i64::MAX).await.unwrap(), 0);
    let rolled = store.vitals("app", &chrome).await.unwrap();
    assert_eq!(rolled.len(), exact.len());
    for (r, e) in rolled.iter().zip(&exact) {
        assert_eq!((&r.key, r.count), (&e.key, e.count));
        assert!((r.value - e.value).abs() / e.value < 0.015);
    }
    assert_ne!(rolled, exact, "answered from the roll-ups");
    assert_eq!(views_counted(store, &q).await, 3000);
}

/// Regression: a view id with two rows in a rolled-up hour (a sender that
/// reuses ids, more than the dedupe window apart), one counted by the
/// roll-up and one a late copy, both replaced by one later version: the
/// late copy's deletion hid the counted one's, the roll-up stayed, and the
/// view was counted twice.
#[tokio::test]
async fn replacing_a_counted_row_and_a_late_copy_of_one_view_drops_the_roll_up() {
    let Some((_dir, store)) = open_suite().await else {
        return;
    };
    let store = store.as_ref();
    let minute = 60_000;
    store
        .insert(vec![suite::view("s", "x", T0 + 5 * minute, "/", 1, 1000.0)])
        .await
        .unwrap();
    assert_eq!(store.roll_up(T0 + 2 * HOUR, i64::MAX).await.unwrap(), 1);
    // Fifteen minutes later: no copy within the window, so a late row.
    store
        .insert(vec![suite::view(
            "s",
            "x",
            T0 + 20 * minute,
            "/",
            1,
            2000.0,
        )])
        .await
        .unwrap();
    let q = lcp_by_page(T0, T0 + HOUR, 75);
    assert_eq!(views_counted(store, &q).await, 2);
    // A later version whose window covers both rows replaces them.
    store
        .insert(vec![suite::view(
            "s",
            "x",
            T0 + 12 * minute,
            "/",
            2,
            3000.0,
        )])
        .await
        .unwrap();
    let g = store.vitals("app", &q).await.unwrap().remove(0);
    assert_eq!((g.count, g.value), (1, 3000.0));
    assert_eq!(store.roll_up(T0 + 2 * HOUR, i64::MAX).await.unwrap(), 1);
    assert_eq!(views_counted(store, &q).await, 1);
}
