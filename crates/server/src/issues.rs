//! The issue workflow: resolve, ignore, reopen
//! (`PATCH /api/v1/apps/{app}/issues/{fingerprint}`), and the stored states
//! applied to the issue rows the store answers, regressions included.

use axum::extract::{Path, State};
use axum::Json;
use fovea_query::IssueRow;
use fovea_schema::{IssueState, IssueStatus};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::apps::find;
use crate::auth::Principal;
use crate::clock::now_ms;
use crate::error::ApiError;
use crate::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssuePatch {
    /// `open`, `resolved` or `ignored`.
    pub status: String,
    /// With `resolved`: the release the fix ships in. An occurrence in
    /// another release after the resolution is a regression; without it,
    /// any later occurrence is.
    pub resolved_in_release: Option<String>,
}

#[utoipa::path(patch, path = "/api/v1/apps/{app}/issues/{fingerprint}", tag = "query",
    params(("app" = String, Path), ("fingerprint" = String, Path)),
    request_body = IssuePatch, responses((status = 200, body = IssueState), (status = 400), (status = 404)))]
pub async fn update(
    State(s): State<AppState>,
    _who: Principal,
    Path((app, fingerprint)): Path<(String, String)>,
    Json(patch): Json<IssuePatch>,
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

/// Sets each row's status from the stored states. A resolved issue seen
/// after its resolution (in another release than the one it was resolved
/// in, when one was named) is open again and marked regressed.
pub fn apply<'a>(rows: impl IntoIterator<Item = &'a mut IssueRow>, states: &[IssueState]) {
    for row in rows {
        let Some(st) = states.iter().find(|s| s.fingerprint == row.fingerprint) else {
            continue;
        };
        row.resolved_in_release = st.resolved_in_release.clone();
        let regressed = st.status == IssueStatus::Resolved
            && st.resolved_at.is_some_and(|at| row.last_seen > at)
            && st
                .resolved_in_release
                .as_ref()
                .is_none_or(|r| row.last_release.as_ref() != Some(r));
        row.regressed = regressed;
        row.status = if regressed {
            IssueStatus::Open
        } else {
            st.status
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(last_seen: i64, release: Option<&str>) -> IssueRow {
        IssueRow {
            fingerprint: "fp".into(),
            kind: None,
            message: "m".into(),
            source: "source".into(),
            top_frame: None,
            count: 1,
            sessions: 1,
            users: 0,
            first_seen: 0,
            last_seen,
            last_release: release.map(str::to_string),
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

    #[test]
    fn a_resolved_issue_regresses_when_it_comes_back_in_another_release() {
        let mut r = row(100, Some("1.0"));
        apply([&mut r], &[resolved(200, Some("1.1"))]);
        assert_eq!(
            (r.status, r.regressed),
            (IssueStatus::Resolved, false),
            "not seen since"
        );

        let mut r = row(300, Some("1.1"));
        apply([&mut r], &[resolved(200, Some("1.1"))]);
        assert_eq!(
            (r.status, r.regressed),
            (IssueStatus::Resolved, false),
            "the fixed release itself"
        );

        let mut r = row(300, Some("1.2"));
        apply([&mut r], &[resolved(200, Some("1.1"))]);
        assert_eq!((r.status, r.regressed), (IssueStatus::Open, true));

        let mut r = row(300, None);
        apply([&mut r], &[resolved(200, None)]);
        assert!(r.regressed, "without a release, any later occurrence");
    }

    #[test]
    fn ignored_issues_stay_ignored_and_unknown_ones_open() {
        let mut r = row(300, None);
        let mut ignored = resolved(200, None);
        ignored.status = IssueStatus::Ignored;
        ignored.resolved_at = None;
        apply([&mut r], &[ignored]);
        assert_eq!((r.status, r.regressed), (IssueStatus::Ignored, false));
        let mut r = row(300, None);
        apply([&mut r], &[]);
        assert_eq!(r.status, IssueStatus::Open);
    }
}
