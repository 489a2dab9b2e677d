//! The usage figures on ClickHouse.

use serde::Deserialize;

use super::client::quote;
use super::ClickHouseStore;
use crate::usage::{mix_sql, usage_sql, Dialect, MixRow, StoredBytes, UsageRow};
use crate::Result;

const CLICKHOUSE: Dialect = Dialect {
    final_: " FINAL",
    div: |e, d| format!("intDiv({e}, {d})"),
    u64: |e| format!("toUInt64({e})"),
    f64: |e| format!("toFloat64({e})"),
    arg_min: "argMin",
};

pub async fn usage(s: &ClickHouseStore, app: &str, from: i64, to: i64) -> Result<Vec<UsageRow>> {
    s.rows(usage_sql(&CLICKHOUSE, &quote(app), from, to)).await
}

pub async fn session_mix(
    s: &ClickHouseStore,
    app: &str,
    from: i64,
    to: i64,
) -> Result<Vec<MixRow>> {
    s.rows(mix_sql(&CLICKHOUSE, &quote(app), from, to)).await
}

/// The active parts of the app's partitions (they are by app and day) on
/// every server, compressed bytes on disk.
pub async fn stored_bytes(s: &ClickHouseStore, app: &str) -> Result<StoredBytes> {
    #[derive(Deserialize)]
    struct Part {
        table: String,
        b: u64,
        r: u64,
    }
    let locals: Vec<String> = s
        .layout
        .day_tables()
        .iter()
        .map(|(_, local)| quote(local))
        .collect();
    // The partition's name is the key tuple as literals: ('app',20261129).
    let prefix = format!("({},", quote(app));
    let sql = format!(
        "SELECT table, toUInt64(sum(bytes_on_disk)) AS b, toUInt64(sum(rows)) AS r FROM system.parts \
         WHERE active AND database = {db} AND table IN ({tables}) \
         AND substring(partition, 1, {len}) = {prefix} GROUP BY table",
        db = quote(&s.layout.database),
        tables = locals.join(", "),
        len = prefix.len(),
        prefix = quote(&prefix),
    );
    let mut out = StoredBytes::default();
    for url in &s.urls {
        for p in s.client.rows::<Part>(url, &sql).await? {
            out.add(&p.table, p.b, p.r);
        }
    }
    Ok(out)
}
