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

impl ClickHouseConfig {
    /// Why these settings cannot work, if they cannot (checked when the
    /// store opens; the binary asks first to name the flag at fault).
    pub fn problem(&self) -> Option<String> {
        let identifier = |s: &str| {
            !s.is_empty()
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !s.starts_with(|c: char| c.is_ascii_digit())
        };
        if self.urls.is_empty() {
            return Some("no clickhouse url".into());
        }
        if let Some(u) = self.urls.iter().find(|u| !u.starts_with("http://")) {
            return Some(format!(
                "clickhouse url {u:?}: only http:// is spoken (ClickHouse's HTTP interface, port 8123 by default; terminate TLS in front of remote servers)"
            ));
        }
        // Without a cluster each server would hold only what it happened to
        // take: several URLs are the shards of one.
        if self.urls.len() > 1 && self.cluster.is_none() {
            return Some(
                "several clickhouse urls are the shards of a cluster: name the cluster".into(),
            );
        }
        // Both are spliced into DDL, so they are held to identifiers.
        if !identifier(&self.database) {
            return Some(format!(
                "clickhouse database {:?} must be letters, digits and _",
                self.database
            ));
        }
        match &self.cluster {
            Some(c) if !identifier(c) => Some(format!(
                "clickhouse cluster {c:?} must be letters, digits and _"
            )),
            _ => None,
        }
    }
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
