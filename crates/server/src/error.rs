use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fovea_intake::IntakeError;
use fovea_query::{Params, QueryError};
use fovea_store::StoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// Errors of the query and admin API, each with its status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in or send a bearer token")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// A 400 with its own code, e.g. `invalid_sourcemap`.
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again later")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the store failed: {0}")]
    Store(StoreError),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => ApiError::Conflict(format!("{what} already exists")),
            e => ApiError::Store(e),
        }
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Invalid(code, _) => (StatusCode::BAD_REQUEST, code),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Store(e) if e.is_retryable() => {
                (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable")
            }
            ApiError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store_error"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "api request failed");
        } else {
            tracing::debug!(error = %self, status = status.as_u16(), "api request refused");
        }
        // A database's error text is for the log: it can name tables,
        // queries and hosts.
        let message = match &self {
            ApiError::Store(e) if e.is_retryable() => {
                "the store is unavailable; try again shortly".to_string()
            }
            ApiError::Store(_) => "the store failed; the server log has the details".to_string(),
            other => other.to_string(),
        };
        let mut res = error_body(status, code, &message);
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, retry_after_secs.into());
        }
        res
    }
}

/// Every error answer's body.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code, e.g. `bad_request`, `unauthorized`, `rate_limited`.
    pub error: String,
    /// What went wrong and what to do.
    pub message: String,
}

/// `Query` whose refusals are the API's JSON 400s, not axum's plain text.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}

/// The query API's [`Params`], with the custom attribute filters
/// (`attrs.<key>=<value>`, any number of keys) taken out of the query
/// string before the typed parameters are read from the rest.
pub struct FilterQuery(pub Params);

impl<S: Send + Sync> FromRequestParts<S> for FilterQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let bad = |e: &dyn std::fmt::Display| ApiError::BadRequest(format!("bad query: {e}"));
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).map_err(|e| bad(&e))?;
        let (attrs, rest): (Vec<_>, Vec<_>) = pairs
            .into_iter()
            .partition(|(k, _)| k.starts_with("attrs."));
        let rest = serde_urlencoded::to_string(rest).map_err(|e| bad(&e))?;
        // axum's reader names the parameter it could not read
        let uri = format!("/?{rest}").parse().map_err(|e| bad(&e))?;
        let Query(mut p) =
            Query::<Params>::try_from_uri(&uri).map_err(|e| ApiError::BadRequest(e.body_text()))?;
        p.attrs = attrs
            .into_iter()
            .map(|(k, v)| (k["attrs.".len()..].to_string(), v))
            .collect();
        Ok(FilterQuery(p))
    }
}

/// `Json` whose refusals (a wrong content type, bad JSON, a wrong field)
/// are the API's JSON 400s.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Json::<T>::from_request(req, state)
            .await
            .map(|j| ApiJson(j.0))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}

pub fn error_body(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": code, "message": message}))).into_response()
}

/// An intake refusal as an HTTP response.
pub struct IntakeReply(pub IntakeError);

impl IntoResponse for IntakeReply {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = e.status();
        log_refusal(&e);
        let mut res = error_body(status, e.code(), &e.to_string());
        if let Some(secs) = e.retry_after_secs() {
            res.headers_mut().insert(header::RETRY_AFTER, secs.into());
        }
        res
    }
}

/// Logs an intake refusal: a full spool is logged when it fills and when
/// it has room again (`AppState::spool_full`), not once per refused
/// request; client errors only at debug level.
pub fn log_refusal(e: &IntakeError) {
    let status = e.status();
    let room = matches!(
        e,
        IntakeError::SpoolFull { .. } | IntakeError::SpoolShare { .. }
    );
    if status.is_server_error() && !room {
        tracing::warn!(error = %e, "intake refused a batch");
    } else {
        tracing::debug!(error = %e, status = status.as_u16(), "intake refused a batch");
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such API route".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn body_of(e: ApiError) -> (StatusCode, String) {
        let res = e.into_response();
        let status = res.status();
        let bytes = to_bytes(res.into_body(), 1 << 16).await.expect("body");
        (status, String::from_utf8(bytes.to_vec()).expect("utf-8"))
    }

    #[tokio::test]
    async fn database_error_texts_stay_in_the_log() {
        let secret =
            "Code: 60. DB::Exception: Table fovea_prod.events doesn't exist on ch-3.internal";
        for (e, status) in [
            (
                StoreError::Rejected(secret.into()),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                StoreError::Unavailable(secret.into()),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
        ] {
            let (got, body) = body_of(ApiError::from(e)).await;
            assert_eq!(got, status);
            assert!(
                !body.contains("fovea_prod") && !body.contains("ch-3"),
                "{body}"
            );
            assert!(body.contains("\"error\":\"store_"), "{body}");
        }
        let (_, body) = body_of(ApiError::BadRequest("from must be before to".into())).await;
        assert!(
            body.contains("from must be before to"),
            "client errors keep their message"
        );
    }
}
