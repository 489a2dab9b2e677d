//! Random secrets (session tokens, ingest keys, generated passwords) and
//! the hash a session token is stored under.

use fovea_schema::hex;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// `bytes` random bytes as lowercase hex.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex(&buf)
}

/// What the store keeps of a session token: a leaked table does not log
/// anyone in. A fast hash is enough because tokens are random, unlike
/// passwords.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}
