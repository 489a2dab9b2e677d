//! Erasure of a user's or a session's data: `ALTER TABLE … DELETE`
//! mutations on every server's local tables, awaited until done.

use std::time::Duration;

use serde::Deserialize;

use super::client::quote;
use super::{rollup, ClickHouseStore, Count};
use crate::rollup::LATE_TABLE;
use crate::{Result, StoreError, Subject};

/// How long an erasure waits for its mutations before it fails (and is
/// run again: deleting what is gone is harmless).
const MUTATION_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Deserialize)]
struct Value {
    v: String,
}

#[derive(Deserialize)]
struct Hour {
    hour: i64,
}

fn list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| quote(v))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn erase(s: &ClickHouseStore, app: &str, subject: &Subject) -> Result<u64> {
    let app_q = quote(app);
    let sessions: Vec<String> = match subject {
        Subject::Session(id) => vec![id.clone()],
        Subject::User(user) => {
            let user = quote(user);
            let rows: Vec<Value> = s
                .rows(format!(
                    "SELECT DISTINCT session_id AS v FROM views WHERE app = {app_q} AND user_id = {user} \
                     UNION ALL SELECT DISTINCT session_id AS v FROM events WHERE app = {app_q} AND user_id = {user}"
                ))
                .await?;
            let mut ids: Vec<String> = rows.into_iter().map(|r| r.v).collect();
            ids.sort();
            ids.dedup();
            ids
        }
    };
    if sessions.is_empty() {
        return Ok(0);
    }
    let of_sessions = format!("app = {app_q} AND session_id IN ({})", list(&sessions));
    let traces: Vec<String> = s
        .rows::<Value>(format!(
            "SELECT DISTINCT assumeNotNull(trace_id) AS v FROM views WHERE {of_sessions} AND isNotNull(trace_id) \
             UNION ALL SELECT DISTINCT assumeNotNull(trace_id) AS v FROM events WHERE {of_sessions} AND isNotNull(trace_id)"
        ))
        .await?
        .into_iter()
        .map(|r| r.v)
        .collect();
    let hours: Vec<Hour> = s
        .rows(format!(
            "SELECT DISTINCT intDiv(ts, 3600000) * 3600000 AS hour FROM views WHERE {of_sessions}"
        ))
        .await?;
    let mut deletes = vec![
        ("views", of_sessions.clone()),
        ("events", of_sessions.clone()),
        ("replay_segments", of_sessions.clone()),
    ];
    if !traces.is_empty() {
        deletes.push((
            "spans",
            format!("app = {app_q} AND trace_id IN ({})", list(&traces)),
        ));
    }
    let mut removed = 0;
    for (table, filter) in &deletes {
        let n: Vec<Count> = s
            .rows(format!(
                "SELECT count() AS n FROM {table} FINAL WHERE {filter}"
            ))
            .await?;
        removed += n.first().map_or(0, |c| c.n);
    }
    let locals = s.layout.day_tables();
    for url in &s.urls {
        for (table, filter) in &deletes {
            let (_, local) = locals
                .iter()
                .find(|(t, _)| t == table)
                .expect("every erased table is a day table");
            s.client
                .exec(url, &format!("ALTER TABLE {local} DELETE WHERE {filter}"))
                .await?;
        }
    }
    // The late copies of those views: on every server in full.
    for url in &s.urls {
        s.client
            .exec(
                url,
                &format!("ALTER TABLE {LATE_TABLE} DELETE WHERE {of_sessions}"),
            )
            .await?;
    }
    wait_for_mutations(s).await?;
    rollup::invalidate(s, hours.iter().map(|h| (app, h.hour))).await?;
    Ok(removed)
}

/// Mutations run in the background: the erasure is done only when every
/// server has finished its own.
async fn wait_for_mutations(s: &ClickHouseStore) -> Result<()> {
    let deadline = tokio::time::Instant::now() + MUTATION_TIMEOUT;
    for url in &s.urls {
        loop {
            let n: Vec<Count> = s
                .client
                .rows(
                    url,
                    &format!(
                        "SELECT count() AS n FROM system.mutations WHERE database = {} AND is_done = 0",
                        quote(&s.layout.database)
                    ),
                )
                .await?;
            if n.first().is_none_or(|c| c.n == 0) {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(StoreError::Unavailable(
                    "erasure mutations did not finish in time".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}
