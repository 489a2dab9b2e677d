//! Files of a release's JavaScript bundles, uploaded so that minified error
//! stacks can be mapped back to the original source.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// What an uploaded file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A source map (`.js.map`).
    Map,
    /// A minified bundle (`.js`): its `debugId` and `sourceMappingURL`
    /// comments lead to its map, its text gives original function names.
    Source,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Map => "map",
            SourceKind::Source => "source",
        }
    }

    pub fn parse(s: &str) -> Option<SourceKind> {
        match s {
            "map" => Some(SourceKind::Map),
            "source" => Some(SourceKind::Source),
            _ => None,
        }
    }
}

/// An uploaded file without its bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SourceFileInfo {
    /// Stable for (release, kind, url): uploading the file again replaces it.
    pub id: String,
    pub release: String,
    /// The URL the browser loads the file from, or `~/path` for any host.
    pub url: String,
    pub kind: SourceKind,
    /// The debug id shared by a bundle and its map, when they carry one.
    pub debug_id: Option<String>,
    pub sha256: String,
    pub bytes: u64,
    pub uploaded_at: i64,
}

/// An uploaded file.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFile {
    pub app_id: String,
    pub info: SourceFileInfo,
    pub data: Vec<u8>,
}

impl SourceFileInfo {
    /// The id of the file of `release` at `url`.
    pub fn id_for(release: &str, kind: SourceKind, url: &str) -> String {
        let mut h = Sha256::new();
        for part in [release, kind.as_str(), url] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A stack's frames as symbolicated when its issue was read, kept so that
/// later reads need no map and the result outlives the Symbols cache.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFrames {
    pub app_id: String,
    pub release: String,
    /// [`sha256_hex`] of the stack as the browser wrote it.
    pub stack_hash: String,
    /// A digest of the release's uploaded files the frames were computed
    /// with: once it changes (an upload, a delete), they are computed again.
    pub sources: String,
    /// The frames, JSON.
    pub frames: String,
    pub stored_at: i64,
}

/// The hex SHA-256 of a file's bytes.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Truncates to at most `max` bytes on a character boundary.
pub fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}
