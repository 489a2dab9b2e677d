//! The ClickHouse backend against a real `clickhouse-server` (Debian's,
//! started per test on free ports): the store suite, and what only a
//! shared, remote database has to get right.

mod suite;

use std::sync::Arc;

use fovea_store::{ClickHouseConfig, ClickHouseStore, EventStore, Store};
use fovea_testkit::{unique_database, ClickHouse};

fn config(urls: Vec<String>, cluster: Option<&str>) -> ClickHouseConfig {
    ClickHouseConfig {
        urls,
        database: unique_database("fovea_test"),
        user: "default".into(),
        password: None,
        cluster: cluster.map(str::to_string),
    }
}

async fn open_suite() -> Option<((), Arc<dyn Store>)> {
    let server = ClickHouse::shared()?;
    let store = ClickHouseStore::open(config(vec![server.url()], None))
        .await
        .unwrap();
    Some(((), Arc::new(store)))
}

store_suite!(open_suite);

/// The whole suite again on a cluster: two `clickhouse-server`s as two
/// shards of a `Distributed` table, sharded by session.
mod two_shards {
    use super::*;

    async fn open_cluster() -> Option<((), Arc<dyn Store>)> {
        let servers = ClickHouse::shared_cluster()?;
        let urls = servers.iter().map(ClickHouse::url).collect();
        let store = ClickHouseStore::open(config(urls, Some("fovea")))
            .await
            .unwrap();
        Some(((), Arc::new(store)))
    }

    store_suite!(open_cluster);
}

/// Two nodes, each listing the shards in its own order, see the same data
/// whichever wrote it, and the rows are spread over both shards.
#[tokio::test]
async fn two_nodes_on_two_shards_answer_alike() {
    let Some(servers) = ClickHouse::shared_cluster() else {
        return;
    };
    let urls: Vec<String> = servers.iter().map(ClickHouse::url).collect();
    let config_a = config(urls.clone(), Some("fovea"));
    let config_b = ClickHouseConfig {
        urls: urls.iter().rev().cloned().collect(),
        ..config_a.clone()
    };
    let db = config_a.database.clone();
    let a = ClickHouseStore::open(config_a).await.unwrap();
    let b = ClickHouseStore::open(config_b).await.unwrap();
    let views: Vec<_> = (0..200)
        .map(|i| {
            suite::view(
                &format!("s{i}"),
                &format!("v{i}"),
                suite::T0 + i,
                "/",
                1,
                100.0,
            )
        })
        .collect();
    a.insert(views[..100].to_vec()).await.unwrap();
    b.insert(views[100..].to_vec()).await.unwrap();
    let f = suite::range();
    let (sa, sb) = (
        a.summary("app", &f).await.unwrap(),
        b.summary("app", &f).await.unwrap(),
    );
    assert_eq!(sa, sb);
    assert_eq!(sa.views, 200);
    for s in servers {
        let local: u64 = s
            .query(&format!("SELECT count() FROM {db}.views_local"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(
            (40..160).contains(&local),
            "a shard holds {local} of 200 views"
        );
    }
}

/// A batch ClickHouse can never store (here: a column whose type no longer
/// fits the data) is a permanent error, not one to retry forever.
#[tokio::test]
async fn a_batch_the_server_cannot_parse_is_rejected_not_retried() {
    let Some(server) = ClickHouse::start() else {
        return;
    };
    let config = config(vec![server.url()], None);
    let db = config.database.clone();
    let store = ClickHouseStore::open(config).await.unwrap();
    server
        .query(&format!(
            "ALTER TABLE {db}.events MODIFY COLUMN message Nullable(UInt8)"
        ))
        .unwrap();
    let err = store
        .insert(vec![suite::error("s1", suite::T0, "boom", "fp")])
        .await
        .unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    // An unreachable server, by contrast, is worth retrying.
    drop(server);
    let err = store
        .insert(vec![suite::error("s1", suite::T0, "boom", "fp")])
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
}
