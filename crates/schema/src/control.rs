//! Control data: the apps Fovea monitors and the people who look at them.
//! Every backend stores these next to the events, so that all nodes of a
//! cluster see the same ones.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A monitored site or application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct App {
    pub id: String,
    pub name: String,
    /// Public, write-only key that ships in web pages.
    pub ingest_key: String,
    /// Origins allowed to send with the key; `*` allows any.
    pub origins: Vec<String>,
    /// Percentage of sessions kept, 0..100.
    pub sample_rate: f64,
    pub retention_days: u32,
    pub created_at: i64,
}

/// A dashboard user.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub username: String,
    /// PHC string (argon2id).
    pub password_hash: String,
}

/// A signed-in browser: the SHA-256 of its cookie token, never the token.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginSession {
    pub token_hash: String,
    pub username: String,
    pub expires_at: i64,
}
