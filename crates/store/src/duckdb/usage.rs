//! The usage figures on DuckDB.

use duckdb::Connection;

use crate::usage::{mix_sql, usage_sql, Dialect, MixRow, StoredBytes, UsageRow, BYTE_TABLES};

const DUCK: Dialect = Dialect {
    final_: "",
    div: |e, d| format!("({e} // {d})"),
    u64: |e| format!("({e})::UBIGINT"),
    f64: |e| format!("({e})::DOUBLE"),
    arg_min: "arg_min",
};

/// A string literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub fn usage(c: &Connection, app: &str, from: i64, to: i64) -> duckdb::Result<Vec<UsageRow>> {
    let mut st = c.prepare(&usage_sql(&DUCK, &lit(app), from, to))?;
    let rows = st.query_map([], |r| {
        Ok(UsageRow {
            day: r.get(0)?,
            kind: r.get(1)?,
            n: r.get(2)?,
            weighted: r.get(3)?,
        })
    })?;
    rows.collect()
}

pub fn session_mix(c: &Connection, app: &str, from: i64, to: i64) -> duckdb::Result<Vec<MixRow>> {
    let mut st = c.prepare(&mix_sql(&DUCK, &lit(app), from, to))?;
    let rows = st.query_map([], |r| {
        Ok(MixRow {
            route: r.get(0)?,
            env: r.get(1)?,
            release: r.get(2)?,
            device: r.get(3)?,
            country: r.get(4)?,
            sample_rate: r.get(5)?,
            sessions: r.get(6)?,
            views: r.get(7)?,
        })
    })?;
    rows.collect()
}

/// Each table's blocks in the database file, shared out by the app's share
/// of the table's rows: what the last checkpoint wrote (`DuckStore`
/// checkpoints first).
pub fn stored_bytes(c: &Connection, app: &str) -> duckdb::Result<StoredBytes> {
    let block_size: u64 =
        c.query_row("SELECT block_size FROM pragma_database_size()", [], |r| {
            r.get::<_, i64>(0).map(|b| b as u64)
        })?;
    let mut out = StoredBytes::default();
    for table in BYTE_TABLES {
        let (blocks, mine, all): (u64, u64, u64) = c.query_row(
            &format!(
                "SELECT (SELECT count(DISTINCT block_id) FROM pragma_storage_info('{table}') \
                   WHERE persistent AND block_id >= 0)::UBIGINT, \
                 (SELECT count(*) FILTER (WHERE app = ?) FROM {table})::UBIGINT, \
                 (SELECT count(*) FROM {table})::UBIGINT"
            ),
            [app],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        if all > 0 {
            let bytes = u128::from(blocks * block_size) * u128::from(mine) / u128::from(all);
            out.add(table, bytes as u64, mine);
        }
    }
    Ok(out)
}
