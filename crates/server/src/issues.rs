//! The issue workflow: resolve, ignore, reopen
//! (`PATCH /api/v1/apps/{app}/issues/{fingerprint}`), and the stored states
//! applied to the issue rows the store answers, regressions included.

use axum::extract::{Path, State};
use axum::Json;
use std::cmp::Ordering;

use fovea_query::{IssueRelease, IssueRow};
use fovea_schema::{IssueState, IssueStatus};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::apps::find;
use crate::auth::Principal;
use crate::clock::now_ms;
use crate::error::{ApiError, ApiJson};
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuePatch {
    /// `open`, `resolved` or `ignored`.
    pub status: String,
    /// With `resolved`: the release it is resolved in (the dashboard
    /// offers the latest release it occurred in). An occurrence after the
    /// resolution in a newer release is a regression, one in this or an
    /// older release (a tab not reloaded yet) is not; without a release,
    /// any later occurrence is.
    pub resolved_in_release: Option<String>,
}

#[utoipa::path(operation_id = "update_issue", patch, path = "/api/v1/apps/{app}/issues/{fingerprint}", tag = "query",
    params(("app" = String, Path), ("fingerprint" = String, Path)),
    request_body = IssuePatch, responses((status = 200, body = IssueState), (status = 400), (status = 404)))]
pub async fn update(
    State(s): State<AppState>,
    _who: Principal,
    Path((app, fingerprint)): Path<(String, String)>,
    ApiJson(patch): ApiJson<IssuePatch>,
) -> Result<Json<IssueState>, ApiError> {
    let app = find(&s, &app)?;
    let status = IssueStatus::parse(&patch.status).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "status {:?}: send open, resolved or ignored",
            patch.status
        ))
    })?;
    if fingerprint.is_empty() || fingerprint.len() > 128 {
        return Err(ApiError::BadRequest(
            "fingerprint must be 1 to 128 characters".into(),
        ));
    }
    let release = patch
        .resolved_in_release
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if release.is_some() && status != IssueStatus::Resolved {
        return Err(ApiError::BadRequest(
            "resolved_in_release goes with status resolved".into(),
        ));
    }
    if release.as_ref().is_some_and(|r| r.len() > 200) {
        return Err(ApiError::BadRequest(
            "resolved_in_release is over 200 characters".into(),
        ));
    }
    let now = now_ms();
    let state = IssueState {
        app_id: app.id.clone(),
        fingerprint,
        status,
        resolved_at: (status == IssueStatus::Resolved).then_some(now),
        resolved_in_release: release,
        updated_at: now,
    };
    s.store.put_issue_state(&state).await?;
    Ok(Json(state))
}

/// Sets each row's status from the stored states. A resolved issue is open
/// again, and marked regressed, when it occurred after its resolution: in
/// any release when none was named, else in a release newer than the
/// named one (see [`newer`]).
pub fn apply<'a>(rows: impl IntoIterator<Item = &'a mut IssueRow>, states: &[IssueState]) {
    for row in rows {
        let Some(st) = states.iter().find(|s| s.fingerprint == row.fingerprint) else {
            continue;
        };
        row.resolved_in_release = st.resolved_in_release.clone();
        let regressed = match (st.status, st.resolved_at) {
            (IssueStatus::Resolved, Some(at)) => match &st.resolved_in_release {
                None => row.last_seen > at,
                Some(fixed) => row
                    .releases
                    .iter()
                    .filter(|r| r.last_seen > at)
                    .any(|r| newer(r.release.as_deref(), fixed, &row.releases, at)),
            },
            _ => false,
        };
        row.regressed = regressed;
        row.status = if regressed {
            IssueStatus::Open
        } else {
            st.status
        };
    }
}

/// Whether `release` is newer than `fixed`. Versions (`1.2.3`, `v2.0`,
/// `app@1.4.0-beta.2`, a build number) compare as versions; other names
/// (commit hashes) by when the issue first occurred in each, or, when it
/// never occurred in `fixed`, by whether `release` first occurred after the
/// resolution at `resolved_at`. An occurrence without a release is no
/// evidence either way.
fn newer(release: Option<&str>, fixed: &str, seen: &[IssueRelease], resolved_at: i64) -> bool {
    let Some(release) = release else {
        return false;
    };
    if release == fixed {
        return false;
    }
    if let Some(order) = compare_versions(release, fixed) {
        return order == Ordering::Greater;
    }
    let first = |name: &str| {
        seen.iter()
            .find(|r| r.release.as_deref() == Some(name))
            .map(|r| r.first_seen)
    };
    match (first(release), first(fixed)) {
        (Some(r), Some(f)) => r > f,
        (Some(r), None) => r > resolved_at,
        (None, _) => false,
    }
}

/// A release name as a version: the numbers and the pre-release, after an
/// optional `name@` and `v`, without `+build` metadata.
fn version(release: &str) -> Option<(Vec<u64>, Option<&str>)> {
    let r = release.rsplit('@').next().unwrap_or(release);
    let r = r.strip_prefix(['v', 'V']).unwrap_or(r);
    let r = r.split('+').next().unwrap_or(r);
    let (core, pre) = match r.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (r, None),
    };
    let numbers = core
        .split('.')
        .map(|p| p.parse::<u64>().ok())
        .collect::<Option<Vec<_>>>()?;
    (1..=4).contains(&numbers.len()).then_some((numbers, pre))
}

/// Orders two releases that both read as versions, semver-like: missing
/// numbers are 0, a pre-release comes before its release.
fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let (an, ap) = version(a)?;
    let (bn, bp) = version(b)?;
    let at = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    let numbers = (0..an.len().max(bn.len()))
        .map(|i| at(&an, i).cmp(&at(&bn, i)))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal);
    Some(numbers.then_with(|| match (ap, bp) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => compare_pre(x, y),
    }))
}

/// Pre-release identifiers, dot by dot: numbers numerically and before
/// words, words alphabetically.
fn compare_pre(a: &str, b: &str) -> Ordering {
    let mut xs = a.split('.');
    let mut ys = b.split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o.is_ne() {
                    return o;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An issue last seen at `last_seen`, in `releases` (name, first, last).
    fn row(last_seen: i64, releases: &[(Option<&str>, i64, i64)]) -> IssueRow {
        let mut r = IssueRow {
            releases: releases
                .iter()
                .map(|&(name, first_seen, last_seen)| IssueRelease {
                    release: name.map(str::to_string),
                    first_seen,
                    last_seen,
                    count: 1,
                })
                .collect(),
            ..empty_row()
        };
        r.last_seen = last_seen;
        r
    }

    fn empty_row() -> IssueRow {
        IssueRow {
            fingerprint: "fp".into(),
            kind: None,
            message: "m".into(),
            source: "source".into(),
            top_frame: None,
            count: 1,
            sessions: 1,
            users: 1,
            first_seen: 0,
            last_seen: 0,
            first_release: None,
            last_release: None,
            releases: Vec::new(),
            trend: Default::default(),
            status: IssueStatus::Open,
            regressed: false,
            resolved_in_release: None,
        }
    }

    fn resolved(at: i64, release: Option<&str>) -> IssueState {
        IssueState {
            app_id: "a".into(),
            fingerprint: "fp".into(),
            status: IssueStatus::Resolved,
            resolved_in_release: release.map(str::to_string),
            resolved_at: Some(at),
            updated_at: at,
        }
    }

    fn after(r: &mut IssueRow, state: IssueState) -> (IssueStatus, bool) {
        apply([&mut *r], &[state]);
        (r.status, r.regressed)
    }

    #[test]
    fn a_resolved_issue_regresses_only_in_a_newer_release() {
        let fixed = || resolved(200, Some("1.1.0"));
        let mut r = row(100, &[(Some("1.0.0"), 0, 100)]);
        assert_eq!(
            after(&mut r, fixed()),
            (IssueStatus::Resolved, false),
            "not seen since"
        );
        let mut r = row(300, &[(Some("1.1.0"), 0, 300)]);
        assert_eq!(
            after(&mut r, fixed()),
            (IssueStatus::Resolved, false),
            "the resolved release itself"
        );
        let mut r = row(300, &[(Some("1.0.0"), 0, 300)]);
        assert_eq!(
            after(&mut r, fixed()),
            (IssueStatus::Resolved, false),
            "an older release still in users' tabs"
        );
        let mut r = row(300, &[(Some("1.0.0"), 0, 300), (Some("1.2.0"), 250, 260)]);
        assert_eq!(after(&mut r, fixed()), (IssueStatus::Open, true));
        let mut r = row(300, &[(None, 0, 300)]);
        assert_eq!(
            after(&mut r, resolved(200, None)),
            (IssueStatus::Open, true),
            "without a release, any later occurrence"
        );
        let mut r = row(300, &[(None, 250, 300)]);
        assert!(!after(&mut r, fixed()).1, "no release: no evidence");
    }

    #[test]
    fn releases_that_are_not_versions_order_by_when_they_appeared() {
        let fixed = || resolved(200, Some("a1b2c3d"));
        let mut r = row(
            300,
            &[(Some("a1b2c3d"), 50, 300), (Some("ffe0123"), 10, 290)],
        );
        assert!(!after(&mut r, fixed()).1, "ffe0123 appeared before the fix");
        let mut r = row(
            300,
            &[(Some("a1b2c3d"), 50, 150), (Some("0c0ffee"), 220, 300)],
        );
        assert!(after(&mut r, fixed()).1);
        // The resolved release never had the issue: newer means first seen after the resolution.
        let mut r = row(300, &[(Some("deadbee"), 100, 300)]);
        assert!(!after(&mut r, fixed()).1);
        let mut r = row(300, &[(Some("deadbee"), 250, 300)]);
        assert!(after(&mut r, fixed()).1);
    }

    #[test]
    fn versions_compare_like_semver() {
        let cmp = |a, b| compare_versions(a, b);
        assert_eq!(cmp("1.10.0", "1.9.3"), Some(Ordering::Greater));
        assert_eq!(cmp("v2", "1.99"), Some(Ordering::Greater));
        assert_eq!(
            cmp("shop@1.2.3", "shop@1.2.3+build.7"),
            Some(Ordering::Equal)
        );
        assert_eq!(cmp("1.2.0-beta.2", "1.2.0-beta.10"), Some(Ordering::Less));
        assert_eq!(cmp("1.2.0-rc.1", "1.2.0"), Some(Ordering::Less));
        assert_eq!(cmp("1.2.0-alpha", "1.2.0-1"), Some(Ordering::Greater));
        assert_eq!(cmp("20261206", "20261130"), Some(Ordering::Greater));
        assert_eq!(cmp("a1b2c3d", "1.0"), None);
        assert_eq!(cmp("1.2.3.4.5", "1.0"), None);
    }

    #[test]
    fn ignored_issues_stay_ignored_and_unknown_ones_open() {
        let mut r = row(300, &[]);
        let mut ignored = resolved(200, None);
        ignored.status = IssueStatus::Ignored;
        ignored.resolved_at = None;
        assert_eq!(after(&mut r, ignored), (IssueStatus::Ignored, false));
        let mut r = row(300, &[]);
        apply([&mut r], &[]);
        assert_eq!(r.status, IssueStatus::Open);
    }
}
