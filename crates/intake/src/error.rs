use http::StatusCode;

/// Why an intake request was refused. Each maps to one status and a stable
/// machine-readable code (`docs/intake.md`).
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("no ingest key: pass ?key= or the x-fovea-key header")]
    MissingKey,
    #[error("no app has this ingest key")]
    UnknownKey,
    /// A backend's key is missing or wrong (`x-fovea-key`).
    #[error("{0}")]
    ServerKey(&'static str),
    #[error("origin {0:?} is not allowed for this key")]
    OriginNotAllowed(String),
    #[error("{0}")]
    BadJson(String),
    #[error("{0}")]
    InvalidEvent(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("content-type {0:?} is not accepted: use {1}")]
    UnsupportedMediaType(String, &'static str),
    #[error("content-encoding {0:?} is not accepted: use gzip, deflate or none")]
    UnsupportedEncoding(String),
    #[error("too many requests for this app")]
    RateLimited { retry_after_secs: u64 },
    #[error("the app's daily {what} quota is used up until the next UTC day")]
    QuotaExceeded {
        what: &'static str,
        retry_after_secs: u64,
    },
    #[error("the spool is full: the store is behind; retry later")]
    SpoolFull { retry_after_secs: u64 },
    #[error("this app holds half the spool: the store is behind on its data; retry later")]
    SpoolShare { retry_after_secs: u64 },
    #[error("the batch could not be made durable")]
    Spool,
}

impl IntakeError {
    pub fn status(&self) -> StatusCode {
        match self {
            IntakeError::MissingKey | IntakeError::BadJson(_) | IntakeError::InvalidEvent(_) => {
                StatusCode::BAD_REQUEST
            }
            IntakeError::UnknownKey | IntakeError::ServerKey(_) => StatusCode::UNAUTHORIZED,
            IntakeError::OriginNotAllowed(_) => StatusCode::FORBIDDEN,
            IntakeError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            IntakeError::UnsupportedMediaType(..) | IntakeError::UnsupportedEncoding(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            IntakeError::RateLimited { .. } | IntakeError::QuotaExceeded { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            IntakeError::SpoolFull { .. } | IntakeError::SpoolShare { .. } | IntakeError::Spool => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        }
    }

    /// The stable code in the JSON error body and the `reason` label of the
    /// rejected-events metric.
    pub fn code(&self) -> &'static str {
        match self {
            IntakeError::MissingKey => "missing_key",
            IntakeError::UnknownKey => "unknown_key",
            IntakeError::ServerKey(_) => "invalid_server_key",
            IntakeError::OriginNotAllowed(_) => "origin_not_allowed",
            IntakeError::BadJson(_) => "bad_json",
            IntakeError::InvalidEvent(_) => "invalid_event",
            IntakeError::TooLarge(_) => "too_large",
            IntakeError::UnsupportedMediaType(..) => "unsupported_media_type",
            IntakeError::UnsupportedEncoding(_) => "unsupported_encoding",
            IntakeError::RateLimited { .. } => "rate_limited",
            IntakeError::QuotaExceeded { .. } => "quota_exceeded",
            IntakeError::SpoolFull { .. } => "spool_full",
            IntakeError::SpoolShare { .. } => "spool_share",
            IntakeError::Spool => "spool_error",
        }
    }

    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            IntakeError::RateLimited { retry_after_secs }
            | IntakeError::QuotaExceeded {
                retry_after_secs, ..
            }
            | IntakeError::SpoolFull { retry_after_secs }
            | IntakeError::SpoolShare { retry_after_secs } => Some(*retry_after_secs),
            IntakeError::Spool => Some(1),
            _ => None,
        }
    }
}
