use sha2::{Digest, Sha256};

/// Whether a session is kept at `rate` percent. The decision is a pure
/// function of the session id, so every event of a session, on every node
/// and on replay, gets the same answer.
pub fn keep_session(session_id: &str, rate: f64) -> bool {
    if rate >= 100.0 {
        return true;
    }
    if rate <= 0.0 {
        return false;
    }
    let digest = Sha256::digest(session_id.as_bytes());
    let bucket = u32::from_be_bytes(digest[..4].try_into().expect("4 bytes")) % 10_000;
    f64::from(bucket) < rate * 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_share_follows_the_rate() {
        for rate in [1.0, 25.0, 50.0, 90.0] {
            let kept = (0..20_000)
                .filter(|i| keep_session(&format!("session-{i}"), rate))
                .count() as f64;
            let share = kept / 20_000.0 * 100.0;
            assert!((share - rate).abs() < 1.5, "rate {rate}: kept {share}%");
        }
    }

    #[test]
    fn the_decision_is_stable_and_bounded() {
        assert!(keep_session("s", 100.0));
        assert!(!keep_session("s", 0.0));
        let first = keep_session("abc", 37.0);
        assert!((0..10).all(|_| keep_session("abc", 37.0) == first));
    }
}
