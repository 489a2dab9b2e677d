use std::path::PathBuf;

/// Which backend a node uses, chosen once at start.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreConfig {
    /// The embedded default: one DuckDB file.
    DuckDb {
        path: PathBuf,
        /// DuckDB's memory limit, e.g. `256MB`.
        memory_limit: String,
    },
    ClickHouse(ClickHouseConfig),
}

/// A ClickHouse server, or the shards of a cluster, over HTTP.
#[derive(Clone, PartialEq)]
pub struct ClickHouseConfig {
    /// HTTP endpoints, e.g. `http://127.0.0.1:8123`. The first one that
    /// answers takes reads and writes; with a cluster, list one per shard
    /// so that each gets its local tables (no `ON CLUSTER`, which needs
    /// ZooKeeper).
    pub urls: Vec<String>,
    pub database: String,
    pub user: String,
    pub password: Option<String>,
    /// A `remote_servers` cluster: events go to `Distributed` tables over
    /// its shards, sharded by session.
    pub cluster: Option<String>,
}

/// The password stays out of logs and panics.
impl std::fmt::Debug for ClickHouseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseConfig")
            .field("urls", &self.urls)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("cluster", &self.cluster)
            .finish()
    }
}
