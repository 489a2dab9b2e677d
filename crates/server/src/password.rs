//! Password hashes: Argon2id with the crate's default (OWASP-recommended)
//! parameters. Slow on purpose, so both directions run on the blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use std::sync::LazyLock;

use argon2::Argon2;
use rand::RngCore;
use tokio::sync::Semaphore;

pub async fn hash(password: String) -> String {
    tokio::task::spawn_blocking(move || {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .expect("argon2 hashing with valid parameters")
            .to_string()
    })
    .await
    .expect("hashing task")
}

/// Argon2 checks running at once at most: each takes ~19 MiB and a core
/// for tens of milliseconds, so a flood of logins must queue, not pile up.
const CONCURRENT_CHECKS: usize = 2;

static CHECKS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(CONCURRENT_CHECKS));

pub async fn verify(password: String, hash: String) -> bool {
    let Ok(_permit) = CHECKS.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}
