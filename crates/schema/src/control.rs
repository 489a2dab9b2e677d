//! Control data: the apps Fovea monitors and the people who look at them.
//! Every backend stores these next to the events, so that all nodes of a
//! cluster see the same ones.

use serde::{Deserialize, Serialize};

use crate::sampling::Traffic;
use utoipa::ToSchema;

/// A monitored site or application.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
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
    /// SHA-256 (hex) of the secret key backends send spans with
    /// (`x-fovea-key`); the key itself is shown once and never stored.
    /// The API says only whether there is one.
    #[serde(
        rename = "has_server_key",
        serialize_with = "is_some",
        deserialize_with = "ignored",
        default
    )]
    #[schema(value_type = bool, required = true)]
    pub server_key_hash: Option<String>,
    /// An outbound link to a trace in the team's tracing tool, with
    /// `{trace_id}` where the id goes.
    #[serde(default)]
    pub trace_url_template: Option<String>,
    /// Events stored per UTC day at most; past it the intake answers 429
    /// until the next day. `None`: unlimited.
    #[serde(default)]
    #[schema(maximum = 9_007_199_254_740_991.0)]
    pub daily_event_quota: Option<u64>,
    /// Session replay bytes (compressed) stored per UTC day at most.
    #[serde(default)]
    #[schema(maximum = 9_007_199_254_740_991.0)]
    pub daily_replay_bytes_quota: Option<u64>,
    /// What the app keeps of personal data beyond the built-in scrubbing.
    #[serde(flatten)]
    pub privacy: Privacy,
    /// The secret `hash` mode keys user ids with (hex); never shown.
    #[serde(skip)]
    pub user_id_key: Option<String>,
    /// Sampling rules and exclusions; its default session rate is
    /// `sample_rate` (read them with [`App::traffic`]). Served by
    /// `/apps/{app}/sampling`, not with the app.
    #[serde(skip)]
    pub traffic_rules: Traffic,
}

impl App {
    /// The app's sampling rules and exclusions, its `sample_rate` as the
    /// default rule's session rate.
    pub fn traffic(&self) -> Traffic {
        let mut t = self.traffic_rules.clone();
        t.default.session_rate = self.sample_rate;
        t
    }

    /// Replaces the rules; the default session rate becomes `sample_rate`.
    pub fn set_traffic(&mut self, traffic: Traffic) {
        self.sample_rate = traffic.default.session_rate;
        self.traffic_rules = traffic;
    }
}

/// What is stored of the user ids pages set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserIdModeName {
    /// As sent.
    #[default]
    Raw,
    /// Keyed with the app's secret: ids still count users but cannot be
    /// read.
    Hash,
    /// Not stored.
    Drop,
}

/// An app's privacy settings: in its API shape (flattened into [`App`])
/// and, as JSON, in one store column.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Privacy {
    /// What is stored of the user ids pages set.
    #[serde(default)]
    pub user_id_mode: UserIdModeName,
    /// Regular expressions whose matches are scrubbed from every stored
    /// text of the app, besides the built-in patterns.
    #[serde(default)]
    pub scrub_patterns: Vec<String>,
    /// Query keys whose values are scrubbed from URLs, besides the
    /// built-in list (exact, case-insensitive).
    #[serde(default)]
    pub scrub_keys: Vec<String>,
}

impl Privacy {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("privacy settings serialize")
    }

    /// From the store's column; the defaults when absent (an app made
    /// before privacy settings existed).
    pub fn from_json(json: Option<&str>) -> Privacy {
        json.and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }
}

fn is_some<S: serde::Serializer>(v: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(v.is_some())
}

/// Reads nothing from a value (the API's `has_server_key` never sets the
/// hash), as `skip_deserializing` would, but keeps the field in the
/// OpenAPI document, which that attribute removes it from.
fn ignored<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    serde::de::IgnoredAny::deserialize(d)?;
    Ok(None)
}

/// What a dashboard user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, every app, users and the audit log included.
    Admin,
    /// Reads and manages the apps it is given.
    Member,
    /// Reads the apps it is given.
    Viewer,
}

/// A dashboard user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    /// PHC string (argon2id).
    pub password_hash: String,
    pub role: Role,
    /// The app ids a member or viewer may see; admins see every app.
    #[serde(default)]
    pub apps: Vec<String>,
    #[serde(default)]
    pub created_at: i64,
    /// Login sessions and tokens older than this are void (ms).
    #[serde(default)]
    pub password_changed_at: i64,
}

/// Where an issue stands in its team's workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IssueStatus {
    #[default]
    Open,
    Resolved,
    Ignored,
}

impl IssueStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IssueStatus::Open => "open",
            IssueStatus::Resolved => "resolved",
            IssueStatus::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> Option<IssueStatus> {
        match s {
            "open" => Some(IssueStatus::Open),
            "resolved" => Some(IssueStatus::Resolved),
            "ignored" => Some(IssueStatus::Ignored),
            _ => None,
        }
    }
}

/// What a team said about an issue (`PATCH …/issues/{fingerprint}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IssueState {
    #[serde(skip)]
    pub app_id: String,
    pub fingerprint: String,
    pub status: IssueStatus,
    /// The release the fix shipped in: an occurrence in another release
    /// after `resolved_at` is a regression.
    pub resolved_in_release: Option<String>,
    /// When it was marked resolved (ms).
    pub resolved_at: Option<i64>,
    pub updated_at: i64,
}
