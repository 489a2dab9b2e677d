//! Tables and migrations. A migration is appended, never edited: the
//! `fovea_migrations` table records which ones a database file has run.

use duckdb::Connection;

use super::columns::{event_columns, sql_type, view_columns};
use crate::columns::Column;

fn create_table(name: &str, cols: impl Iterator<Item = &'static Column>) -> String {
    let cols: Vec<String> = cols
        .map(|(n, t)| format!("\"{n}\" {}", sql_type(*t)))
        .collect();
    format!("CREATE TABLE IF NOT EXISTS {name} ({});", cols.join(", "))
}

/// Migration 1: the whole initial schema.
///
/// Event tables have no primary key on purpose: an ART index over tens of
/// millions of ids would cost more memory than the rest of the server.
/// Deduplication is done by the writer against a ±10 minute window of `ts`
/// instead, which the tables' insertion order (≈ time order) makes a scan of
/// a few row groups.
fn initial() -> String {
    [
        "CREATE TABLE IF NOT EXISTS apps (id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, \
         ingest_key VARCHAR NOT NULL UNIQUE, origins VARCHAR NOT NULL, sample_rate DOUBLE NOT NULL, \
         retention_days UINTEGER NOT NULL, created_at BIGINT NOT NULL);"
            .to_string(),
        "CREATE TABLE IF NOT EXISTS users (username VARCHAR PRIMARY KEY, password_hash VARCHAR NOT NULL);"
            .to_string(),
        "CREATE TABLE IF NOT EXISTS login_sessions (token_hash VARCHAR PRIMARY KEY, \
         username VARCHAR NOT NULL, expires_at BIGINT NOT NULL);"
            .to_string(),
        create_table("views", view_columns()),
        create_table("events", event_columns()),
    ]
    .join("\n")
}

pub fn migrate(conn: &Connection) -> duckdb::Result<()> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS fovea_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP DEFAULT current_timestamp);")?;
    let migrations = [
        initial(),
        super::rollup::tables(),
        super::replay::table(),
        super::sources::table(),
        super::issues::table(),
        super::issues::frames_table(),
        super::traces::tables(),
    ];
    let done: i64 = conn.query_row("SELECT count(*) FROM fovea_migrations", [], |r| r.get(0))?;
    for (i, sql) in migrations.iter().enumerate().skip(done as usize) {
        let version = i as i64 + 1;
        conn.execute_batch(&format!(
            "BEGIN; {sql}\nINSERT INTO fovea_migrations (version) VALUES ({version}); COMMIT;"
        ))?;
        tracing::info!(version, "duckdb migration applied");
    }
    Ok(())
}

/// The staging tables for the keys of the writer's batches; temporary, so
/// per connection.
pub fn staging(conn: &Connection) -> duckdb::Result<()> {
    conn.execute_batch(
        "CREATE TEMP TABLE event_keys (app VARCHAR, event_id UUID);
         CREATE TEMP TABLE view_keys (app VARCHAR, view_id VARCHAR, version UBIGINT);
         CREATE TEMP TABLE span_keys (app VARCHAR, trace_id VARCHAR, span_id VARCHAR);",
    )
}
