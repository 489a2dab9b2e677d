//! What the pipeline does differently per app: the share of sessions kept,
//! what is scrubbed beyond the built-in patterns, and what becomes of user
//! ids. The server builds one [`AppPolicy`] per app from its settings, when
//! they change, and passes it with each of the app's batches.

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use fovea_schema::sampling::{keep_session, Traffic};

use crate::Scrubber;

/// An app's processing settings, for [`Pipeline::process`],
/// [`Pipeline::replay`] and [`Pipeline::spans`].
///
/// [`Pipeline::process`]: crate::Pipeline::process
/// [`Pipeline::replay`]: crate::Pipeline::replay
/// [`Pipeline::spans`]: crate::Pipeline::spans
#[derive(Debug, Clone)]
pub struct AppPolicy {
    /// Sampling rules and exclusions, its default session rate the app's
    /// `sample_rate`. Events and replay segments only: backend spans
    /// follow the SDK's sampled flag.
    pub traffic: Arc<Traffic>,
    /// Scrubs every stored string of the app's events, segments and spans.
    pub scrubber: Scrubber,
    /// What is stored of the user id the page set.
    pub user_id: UserIdMode,
}

/// Everything kept, built-in scrubbing, user ids as sent.
impl Default for AppPolicy {
    fn default() -> Self {
        AppPolicy {
            traffic: Arc::default(),
            scrubber: Scrubber::default(),
            user_id: UserIdMode::Raw,
        }
    }
}

impl AppPolicy {
    /// Every event's rules at `rate` percent.
    pub fn sampled_at(rate: f64) -> AppPolicy {
        let mut traffic = Traffic::default();
        traffic.default.session_rate = rate;
        AppPolicy {
            traffic: Arc::new(traffic),
            ..AppPolicy::default()
        }
    }

    /// Whether some context of the app keeps the session: replay segments
    /// carry no route to match rules on, so only sessions no rule could
    /// keep lose them.
    pub fn may_keep(&self, session_id: &str) -> bool {
        self.traffic.has_key_pages() || keep_session(session_id, self.traffic.max_session_rate())
    }
}

/// What is stored of the user id a page sets (`context.user_id`).
#[derive(Clone, Default)]
pub enum UserIdMode {
    /// As sent. Pick [`UserIdMode::Hash`] when ids are emails or names.
    #[default]
    Raw,
    /// HMAC-SHA-256 under the app's secret `key`, as 32 hex digits: one
    /// user is still one id (distinct users still count), but ids cannot
    /// be read, nor found by hashing a guessed email without the key. The
    /// key should be at least 32 random bytes, kept for as long as users
    /// should stay the same across sessions.
    Hash { key: Arc<[u8]> },
    /// Not stored.
    Drop,
}

/// The key never reaches a log.
impl fmt::Debug for UserIdMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserIdMode::Raw => f.write_str("Raw"),
            UserIdMode::Hash { .. } => f.write_str("Hash { key: <secret> }"),
            UserIdMode::Drop => f.write_str("Drop"),
        }
    }
}

/// Hex digits of a hashed user id: 128 bits, no collision among any
/// realistic number of users.
const HASHED_ID_HEX: usize = 32;

impl UserIdMode {
    /// [`UserIdMode::Hash`] under `key`.
    pub fn hash(key: impl Into<Vec<u8>>) -> UserIdMode {
        UserIdMode::Hash {
            key: Arc::from(key.into()),
        }
    }

    /// The user id to store for `id`.
    pub fn apply(&self, id: String) -> Option<String> {
        match self {
            UserIdMode::Raw => Some(id),
            UserIdMode::Hash { key } => {
                let mut hex = fovea_schema::hex(&hmac_sha256(key, id.as_bytes()));
                hex.truncate(HASHED_ID_HEX);
                Some(hex)
            }
            UserIdMode::Drop => None,
        }
    }
}

/// HMAC-SHA-256 (RFC 2104) from RustCrypto's `hmac`.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test cases 2 (short key) and 6 (key longer than a block).
        assert_eq!(
            fovea_schema::hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            fovea_schema::hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn hashed_ids_count_users_but_cannot_be_read() {
        let a = UserIdMode::hash(*b"app A's secret key, 32 bytes....");
        let b = UserIdMode::hash(*b"app B's secret key, 32 bytes....");
        let jane = a.apply("jane@example.com".into()).unwrap();
        assert_eq!(jane.len(), 32);
        assert!(jane.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a.apply("jane@example.com".into()).unwrap(), jane);
        assert_ne!(a.apply("john@example.com".into()).unwrap(), jane);
        assert_ne!(b.apply("jane@example.com".into()).unwrap(), jane);
        assert_eq!(UserIdMode::Drop.apply("jane".into()), None);
        assert_eq!(
            UserIdMode::Raw.apply("jane".into()).as_deref(),
            Some("jane")
        );
        assert!(
            !format!("{a:?}").contains("app A"),
            "the key stays out of logs"
        );
    }
}
