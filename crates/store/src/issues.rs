//! The issues list, the same on every backend: a backend reads the issues
//! of the range, then each issue's occurrences per release over all time
//! and per trend bucket in the range; [`complete`] merges them.

use std::collections::HashMap;

use fovea_query::{IssueRelease, IssueRow, IssueSort, IssuesQuery, Trend, MAX_ISSUE_RELEASES};

/// An issue's occurrences in one release (all time).
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseSeen {
    pub fingerprint: String,
    pub release: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub count: u64,
}

/// An issue's occurrences in the trend bucket starting at `t`.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketCount {
    pub fingerprint: String,
    pub t: i64,
    pub count: u64,
}

/// The column alias of the range aggregate `sort` orders by; the
/// backends' issue queries name their columns so.
pub fn order_column(sort: IssueSort) -> &'static str {
    match sort {
        IssueSort::Events => "n",
        IssueSort::Users => "users",
        IssueSort::Sessions => "sessions",
        IssueSort::LastSeen => "last_seen",
        IssueSort::FirstSeen => "first_seen",
    }
}

/// An issue row as the range query reads it; [`complete`] fills in the
/// all-time and trend fields.
#[allow(clippy::too_many_arguments)]
pub fn row(
    fingerprint: String,
    kind: Option<String>,
    message: Option<String>,
    source: Option<String>,
    top_frame: Option<String>,
    (count, sessions, users): (u64, u64, u64),
    (first_seen, last_seen): (i64, i64),
    last_release: Option<String>,
) -> IssueRow {
    IssueRow {
        fingerprint,
        kind,
        message: message.unwrap_or_default(),
        source: source.unwrap_or_default(),
        top_frame,
        count,
        sessions,
        users,
        first_seen,
        last_seen,
        first_release: None,
        last_release,
        releases: Vec::new(),
        trend: Trend::default(),
        status: Default::default(),
        regressed: false,
        resolved_in_release: None,
    }
}

/// Gives each row its all-time first and last occurrence and release, its
/// releases and its trend, then orders the rows as asked.
pub fn complete(
    rows: &mut [IssueRow],
    history: Vec<ReleaseSeen>,
    buckets: Vec<BucketCount>,
    q: &IssuesQuery,
) {
    let mut by_issue: HashMap<String, Vec<IssueRelease>> = HashMap::new();
    for h in history {
        by_issue
            .entry(h.fingerprint)
            .or_default()
            .push(IssueRelease {
                release: h.release,
                first_seen: h.first_seen,
                last_seen: h.last_seen,
                count: h.count,
            });
    }
    let mut trends: HashMap<String, Trend> = HashMap::new();
    for b in buckets {
        trends
            .entry(b.fingerprint)
            .or_insert_with(|| Trend::zeros(q.filters.from, q.filters.to, q.interval_ms))
            .add(b.t, b.count);
    }
    for row in rows.iter_mut() {
        row.trend = trends
            .remove(&row.fingerprint)
            .unwrap_or_else(|| Trend::zeros(q.filters.from, q.filters.to, q.interval_ms));
        let Some(mut releases) = by_issue.remove(&row.fingerprint) else {
            continue;
        };
        if let Some(first) = releases.iter().min_by_key(|r| r.first_seen) {
            row.first_seen = row.first_seen.min(first.first_seen);
            row.first_release = first.release.clone();
        }
        if let Some(last) = releases.iter().max_by_key(|r| r.last_seen) {
            if last.last_seen >= row.last_seen {
                row.last_seen = last.last_seen;
                row.last_release = last.release.clone();
            }
        }
        // The latest releases, listed oldest first.
        releases.sort_by_key(|r| std::cmp::Reverse(r.last_seen));
        releases.truncate(MAX_ISSUE_RELEASES);
        releases.sort_by_key(|r| r.first_seen);
        row.releases = releases;
    }
    let key = |r: &IssueRow| -> (i64, i64) {
        let primary = match q.sort {
            IssueSort::Events => r.count as i64,
            IssueSort::Users => r.users as i64,
            IssueSort::Sessions => r.sessions as i64,
            IssueSort::LastSeen => r.last_seen,
            IssueSort::FirstSeen => r.first_seen,
        };
        (primary, r.last_seen)
    };
    rows.sort_by_key(|r| std::cmp::Reverse(key(r)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use fovea_query::Filters;

    const H: i64 = 3_600_000;

    fn query(sort: IssueSort) -> IssuesQuery {
        let mut filters = Filters::last_day(10 * 24 * H);
        filters.from = 9 * 24 * H;
        IssuesQuery {
            filters,
            sort,
            interval_ms: H,
            limit: 200,
        }
    }

    fn seen(fp: &str, release: &str, first: i64, last: i64) -> ReleaseSeen {
        ReleaseSeen {
            fingerprint: fp.into(),
            release: Some(release.into()),
            first_seen: first,
            last_seen: last,
            count: 1,
        }
    }

    #[test]
    fn first_and_last_seen_cover_all_time_not_the_range() {
        let q = query(IssueSort::Events);
        let from = q.filters.from;
        let mut rows = vec![row(
            "a".into(),
            None,
            None,
            None,
            None,
            (3, 2, 2),
            (from + H, from + 2 * H),
            Some("2.0".into()),
        )];
        let history = vec![
            seen("a", "1.0", from - 5 * 24 * H, from - 4 * 24 * H),
            seen("a", "2.0", from + H, from + 2 * H),
        ];
        let buckets = vec![
            BucketCount {
                fingerprint: "a".into(),
                t: from + H,
                count: 2,
            },
            BucketCount {
                fingerprint: "a".into(),
                t: from + 2 * H,
                count: 1,
            },
        ];
        complete(&mut rows, history, buckets, &q);
        let r = &rows[0];
        assert_eq!(r.first_seen, from - 5 * 24 * H);
        assert_eq!(r.first_release.as_deref(), Some("1.0"));
        assert_eq!(r.last_seen, from + 2 * H);
        assert_eq!(r.last_release.as_deref(), Some("2.0"));
        assert_eq!(r.releases.len(), 2);
        assert_eq!(r.releases[0].release.as_deref(), Some("1.0"));
        assert_eq!(r.trend.counts.len(), 24);
        assert_eq!(r.trend.counts[1], 2);
        assert_eq!(r.trend.counts[2], 1);
        assert_eq!(r.trend.counts.iter().sum::<u64>(), 3);
    }

    #[test]
    fn rows_follow_the_chosen_order() {
        let q = query(IssueSort::Users);
        let mk = |fp: &str, n, users, last| {
            row(
                fp.into(),
                None,
                None,
                None,
                None,
                (n, users, users),
                (0, last),
                None,
            )
        };
        let mut rows = vec![mk("many-events", 50, 1, 5), mk("many-users", 5, 9, 1)];
        complete(&mut rows, vec![], vec![], &q);
        assert_eq!(rows[0].fingerprint, "many-users");
        complete(&mut rows, vec![], vec![], &query(IssueSort::LastSeen));
        assert_eq!(rows[0].fingerprint, "many-events");
        // An issue without occurrences in a bucket still has a full, empty trend.
        assert_eq!(rows[0].trend.counts, vec![0; 24]);
    }
}
