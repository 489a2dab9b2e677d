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

/// Migration 8: small control records as JSON by kind and id (users with
/// roles, login sessions, API tokens, audit entries, erasures), and the
/// apps' privacy settings. The users of the first schema move over as
/// admins; their login sessions end.
fn control_docs() -> String {
    // No json extension here: the names and PHC hashes were made by Fovea
    // (no quotes or backslashes), escaped all the same.
    let esc = |col: &str| format!("replace(replace({col}, '\\', '\\\\'), '\"', '\\\"')");
    format!(
        "CREATE TABLE IF NOT EXISTS control_docs (kind VARCHAR, id VARCHAR, body VARCHAR NOT NULL, \
         PRIMARY KEY (kind, id));
         INSERT OR REPLACE INTO control_docs SELECT 'user', username, \
         '{{\"username\":\"' || {name} || '\",\"password_hash\":\"' || {hash} || \
         '\",\"role\":\"admin\",\"apps\":[],\"created_at\":0,\"password_changed_at\":0}}' FROM users;
         DROP TABLE users; DROP TABLE login_sessions;
         ALTER TABLE app_settings ADD COLUMN privacy VARCHAR;
         ALTER TABLE app_settings ADD COLUMN user_id_key VARCHAR;",
        name = esc("username"),
        hash = esc("password_hash"),
    )
}

/// Migration 9: the rate each session was kept at and its automation
/// signals on every event, and the apps' sampling rules.
fn sampling() -> String {
    let mut out = String::new();
    for table in ["views", "events"] {
        for (column, ty) in crate::columns::CONTEXT_TAIL {
            out.push_str(&format!(
                "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS \"{column}\" {};\n",
                sql_type(*ty)
            ));
        }
    }
    out + "ALTER TABLE app_settings ADD COLUMN traffic VARCHAR;"
}

/// Migration 10: the views' timing breakdowns and custom context.
fn view_phases() -> String {
    crate::columns::VIEW_TAIL
        .iter()
        .map(|(column, ty)| {
            format!(
                "ALTER TABLE views ADD COLUMN IF NOT EXISTS \"{column}\" {};\n",
                sql_type(*ty)
            )
        })
        .collect()
}

/// Migration 12: copies of the views stored into an hour after it was
/// rolled up (see `super::rollup`), so that a question adds them to the
/// roll-up instead of reading the whole hour again. Its columns are the
/// views' own: a migration that adds a column to `views` adds it here too.
fn late_views() -> String {
    create_table(crate::rollup::LATE_TABLE, view_columns())
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
        control_docs(),
        sampling(),
        view_phases(),
        super::rollup::crossed_table(),
        late_views(),
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
