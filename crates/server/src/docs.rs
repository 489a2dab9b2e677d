//! Typed access to the store's control records (`ControlStore::doc`):
//! each kind is a serde type kept as JSON under one kind name.

use fovea_store::{Store, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The kinds of control record, by the name they are stored under.
pub mod kind {
    pub const USER: &str = "user";
    pub const LOGIN: &str = "login";
    pub const TOKEN: &str = "token";
    pub const AUDIT: &str = "audit";
    pub const ERASURE: &str = "erasure";
    /// An app's replaced ingest key, valid until its grace period ends.
    pub const OLD_KEY: &str = "old_ingest_key";
}

fn corrupt(kind: &str, e: serde_json::Error) -> StoreError {
    StoreError::Rejected(format!("a stored {kind} record: {e}"))
}

pub async fn get<T: DeserializeOwned>(
    store: &dyn Store,
    kind: &str,
    id: &str,
) -> Result<Option<T>, StoreError> {
    store
        .doc(kind, id)
        .await?
        .map(|body| serde_json::from_str(&body).map_err(|e| corrupt(kind, e)))
        .transpose()
}

/// The records of a kind, greatest ids first, at most `limit`.
pub async fn list<T: DeserializeOwned>(
    store: &dyn Store,
    kind: &str,
    limit: u32,
) -> Result<Vec<T>, StoreError> {
    store
        .docs(kind, limit)
        .await?
        .iter()
        .map(|body| serde_json::from_str(body).map_err(|e| corrupt(kind, e)))
        .collect()
}

pub async fn put<T: Serialize>(
    store: &dyn Store,
    kind: &str,
    id: &str,
    value: &T,
) -> Result<(), StoreError> {
    let body = serde_json::to_string(value).expect("control records serialize");
    store.put_doc(kind, id, &body).await
}
