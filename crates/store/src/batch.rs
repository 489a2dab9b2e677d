//! What a batch keeps before any backend sees it: the first copy of each
//! event, the highest version of each view, the last copy of each replay
//! segment.

use std::collections::{HashMap, HashSet};

use fovea_schema::{Event, EventKind, ReplaySegment, ViewEvent};

/// How far around a batch's timestamps a backend looks for earlier copies
/// of its events (client retries, spool replays) and older versions of its
/// views. A copy's `ts` is the same client time corrected by the drift
/// measured at its own send, so copies differ by network jitter, seconds at
/// most; a view's versions all carry its start time. The window bounds the
/// scan each batch makes, so it is kept to minutes, not days.
pub const DEDUP_WINDOW_MS: i64 = 10 * 60_000;

/// A batch reduced to what it can store.
pub struct Deduped<'a> {
    /// One per (app, view id): the highest version in the batch.
    pub views: Vec<(&'a Event, &'a ViewEvent)>,
    /// Everything else, each event id once per app.
    pub others: Vec<&'a Event>,
}

/// The range a backend searches for earlier copies of keys stored at `ts`:
/// their time range widened by [`DEDUP_WINDOW_MS`] on each side.
pub fn window(ts: impl Iterator<Item = i64>) -> (i64, i64) {
    let (lo, hi) = ts.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    if lo > hi {
        return (0, 0);
    }
    (
        lo.saturating_sub(DEDUP_WINDOW_MS),
        hi.saturating_add(DEDUP_WINDOW_MS),
    )
}

impl Deduped<'_> {
    pub fn is_empty(&self) -> bool {
        self.views.is_empty() && self.others.is_empty()
    }
}

/// Keeps the last copy of each (app, session, index): a retried upload
/// replaces the segment.
pub fn latest_segments(segments: Vec<ReplaySegment>) -> Vec<ReplaySegment> {
    let mut slot: HashMap<(String, String, u32), usize> = HashMap::new();
    let mut out: Vec<ReplaySegment> = Vec::with_capacity(segments.len());
    for seg in segments {
        let key = (seg.app_id.clone(), seg.session_id.clone(), seg.index);
        match slot.get(&key) {
            Some(&i) => out[i] = seg,
            None => {
                slot.insert(key, out.len());
                out.push(seg);
            }
        }
    }
    out
}

/// Keeps the first copy of each (app, event id) and, of the views, the
/// highest version of each (app, view id), in the batch's order.
pub fn dedupe(events: &[Event]) -> Deduped<'_> {
    let mut seen = HashSet::new();
    let mut views: Vec<(&Event, &ViewEvent)> = Vec::new();
    let mut view_slot: HashMap<(&str, &str), usize> = HashMap::new();
    let mut others = Vec::new();
    for e in events {
        if !seen.insert((e.ctx.app_id.as_str(), e.event_id)) {
            continue;
        }
        match &e.kind {
            EventKind::View(v) => {
                let key = (e.ctx.app_id.as_str(), view_id(e));
                match view_slot.get(&key) {
                    Some(&i) if views[i].1.version >= v.version => {}
                    Some(&i) => views[i] = (e, v),
                    None => {
                        view_slot.insert(key, views.len());
                        views.push((e, v));
                    }
                }
            }
            _ => others.push(e),
        }
    }
    Deduped { views, others }
}

/// A view's id as stored (views without one share the empty id).
pub fn view_id(e: &Event) -> &str {
    e.ctx.view_id.as_deref().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use fovea_schema::Context;

    use super::*;

    fn view(id: &str, version: u64, ts: i64) -> Event {
        Event {
            event_id: uuid::Uuid::new_v4(),
            ctx: Context {
                app_id: "a".into(),
                view_id: Some(id.into()),
                ts,
                ..Context::default()
            },
            kind: EventKind::View(ViewEvent {
                version,
                ..ViewEvent::default()
            }),
        }
    }

    #[test]
    fn keeps_the_highest_version_and_the_first_copy() {
        let v1 = view("v", 1, 10);
        let v3 = view("v", 3, 10);
        let v2 = view("v", 2, 10);
        let w = view("w", 1, 20);
        let events = vec![v1, v3.clone(), v2, w.clone(), w.clone()];
        let d = dedupe(&events);
        let kept: Vec<_> = d
            .views
            .iter()
            .map(|(e, v)| (e.event_id, v.version))
            .collect();
        assert_eq!(kept, vec![(v3.event_id, 3), (w.event_id, 1)]);
        assert!(d.others.is_empty());
        let ts = d.views.iter().map(|(e, _)| e.ctx.ts);
        assert_eq!(window(ts), (10 - DEDUP_WINDOW_MS, 20 + DEDUP_WINDOW_MS));
    }
}
