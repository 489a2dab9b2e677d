//! The DuckDB backend on a real database file: the store suite.

mod suite;

use std::sync::Arc;

use fovea_store::{DuckStore, Store};
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
    assert_eq!(store.roll_up(T0 + 6 * HOUR).await.unwrap(), 6);
    store.expire("app", T0 + 2 * HOUR + 1).await.unwrap();
    let q = lcp_by_page(T0 - HOUR, T0 + 7 * HOUR, 75);
    let left = views_counted(store, &q).await;
    assert_eq!(
        left,
        3000 - 1000 - 1,
        "two hours and one view of the third are gone"
    );
    assert_eq!(store.roll_up(T0 + 6 * HOUR).await.unwrap(), 1);
    assert_eq!(views_counted(store, &q).await, left);
}
