//! A session and an issue's breadcrumbs, built from events a backend read.

use fovea_query::{
    EventJson, IssueDetail, IssueRow, KeyCount, SessionDetail, SessionRef, SessionRow,
};
use fovea_schema::{Event, EventKind};

/// How many views and actions before an error an issue shows.
pub const BREADCRUMBS: usize = 20;

/// Views, and other events, a session's timeline holds at most (the first
/// ones): a client can send any number under one session id, and a read
/// must stay bounded.
pub const MAX_SESSION_EVENTS: usize = 10_000;

/// Puts a session's events in time order, views first at equal times.
pub fn sort_events(events: &mut [Event]) {
    events.sort_by_key(|e| (e.ctx.ts, !matches!(e.kind, EventKind::View(_))));
}

/// A session's summary and timeline from all its events in time order;
/// `None` when there are none.
pub fn detail(id: &str, events: Vec<Event>) -> Option<SessionDetail> {
    let first = events.first()?;
    let first_view = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::View(_)))
        .unwrap_or(first);
    let count = |f: fn(&EventKind) -> bool| events.iter().filter(|e| f(&e.kind)).count() as u64;
    let session = SessionRow {
        id: id.to_string(),
        start: first.ctx.ts,
        end: events
            .iter()
            .map(|e| e.ctx.ts)
            .max()
            .unwrap_or(first.ctx.ts),
        user_id: events.iter().find_map(|e| e.ctx.user_id.clone()),
        views: count(|k| matches!(k, EventKind::View(_))),
        actions: count(|k| matches!(k, EventKind::Action(_))),
        errors: count(|k| matches!(k, EventKind::Error(_))),
        frustrations: count(|k| matches!(k, EventKind::Action(a) if !a.frustration.is_empty())),
        first_url: Some(first_view.ctx.url.clone()),
        browser: first_view.ctx.browser.clone(),
        os: first_view.ctx.os.clone(),
        device: first_view.ctx.device.clone(),
        country: first_view.ctx.country.clone(),
        has_replay: false,
    };
    Some(SessionDetail {
        session,
        events: events.into_iter().map(EventJson).collect(),
    })
}

/// Sets `has_replay` on the rows whose session is in `with_replay`.
pub fn mark_replays<'a>(
    rows: impl IntoIterator<Item = &'a mut SessionRow>,
    with_replay: &std::collections::HashSet<String>,
) {
    for row in rows {
        row.has_replay = with_replay.contains(&row.id);
    }
}

/// The last [`BREADCRUMBS`] views and actions of a session (in time order)
/// up to `until`.
pub fn breadcrumbs(events: Vec<Event>, until: i64) -> Vec<EventJson> {
    let before: Vec<Event> = events
        .into_iter()
        .filter(|e| {
            e.ctx.ts <= until && matches!(e.kind, EventKind::View(_) | EventKind::Action(_))
        })
        .collect();
    let skip = before.len().saturating_sub(BREADCRUMBS);
    before.into_iter().skip(skip).map(EventJson).collect()
}

/// An issue's detail: its row, its latest occurrence's stack, where it
/// happens, and the breadcrumbs from that occurrence's session.
pub fn issue_detail(
    issue: IssueRow,
    latest: &Event,
    browsers: Vec<KeyCount>,
    sessions: Vec<SessionRef>,
    session_events: Vec<Event>,
) -> IssueDetail {
    let stack = match &latest.kind {
        EventKind::Error(e) => e.stack.clone(),
        _ => None,
    };
    IssueDetail {
        issue,
        stack,
        frames: Vec::new(), // the server symbolicates them (it has the maps)
        release: latest.ctx.release.clone(),
        browsers,
        sessions,
        breadcrumbs: breadcrumbs(session_events, latest.ctx.ts),
    }
}
