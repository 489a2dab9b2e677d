//! Erasure of a user's or a session's data, in one transaction.

use duckdb::types::Value;
use duckdb::{params_from_iter, Connection};

use super::rollup;
use crate::rollup::hour_of;
use crate::Subject;

/// `?, ?, …` for `n` bound values.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn strings(c: &Connection, sql: &str, params: Vec<Value>) -> duckdb::Result<Vec<String>> {
    let mut st = c.prepare(sql)?;
    let rows = st.query_map(params_from_iter(params), |r| r.get(0))?;
    rows.collect()
}

pub fn erase(c: &mut Connection, app: &str, subject: &Subject) -> duckdb::Result<u64> {
    let tx = c.transaction()?;
    let text = |s: &str| Value::Text(s.to_string());
    // A user's sessions whole: the views before the sign-in belong to them too.
    let sessions = match subject {
        Subject::Session(id) => vec![id.clone()],
        Subject::User(user) => strings(
            &tx,
            "SELECT session_id FROM views WHERE app = ? AND user_id = ? \
             UNION SELECT session_id FROM events WHERE app = ? AND user_id = ?",
            vec![text(app), text(user), text(app), text(user)],
        )?,
    };
    if sessions.is_empty() {
        return Ok(0);
    }
    let mut params = vec![text(app)];
    params.extend(sessions.iter().map(|s| text(s)));
    let of_sessions = format!("app = ? AND session_id IN ({})", marks(sessions.len()));
    let traces = strings(
        &tx,
        &format!(
            "SELECT trace_id FROM views WHERE {of_sessions} AND trace_id IS NOT NULL \
             UNION SELECT trace_id FROM events WHERE {of_sessions} AND trace_id IS NOT NULL"
        ),
        [params.clone(), params.clone()].concat(),
    )?;
    let hours: Vec<(String, i64)> = {
        let mut st = tx.prepare(&format!(
            "SELECT DISTINCT ts FROM views WHERE {of_sessions}"
        ))?;
        let rows = st.query_map(params_from_iter(params.clone()), |r| {
            Ok((app.to_string(), hour_of(r.get(0)?)))
        })?;
        rows.collect::<duckdb::Result<_>>()?
    };
    let mut removed = 0;
    for table in ["views", "events", "replay_segments"] {
        removed += tx.execute(
            &format!("DELETE FROM {table} WHERE {of_sessions}"),
            params_from_iter(params.clone()),
        )?;
    }
    if !traces.is_empty() {
        let mut p = vec![text(app)];
        p.extend(traces.iter().map(|t| text(t)));
        removed += tx.execute(
            &format!(
                "DELETE FROM spans WHERE app = ? AND trace_id IN ({})",
                marks(traces.len())
            ),
            params_from_iter(p),
        )?;
    }
    rollup::invalidate(&tx, &hours)?;
    tx.commit()?;
    Ok(removed as u64)
}
