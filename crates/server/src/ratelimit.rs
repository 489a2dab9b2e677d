use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Token buckets by key: `rate` tokens a second, holding at most `burst`.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// Keys remembered before full buckets are forgotten.
const MAX_KEYS: usize = 10_000;

impl RateLimiter {
    pub fn new(rate: f64, burst: f64) -> RateLimiter {
        RateLimiter {
            rate,
            burst,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refill(&self, tokens: f64, since: Instant, now: Instant) -> f64 {
        (tokens + now.duration_since(since).as_secs_f64() * self.rate).min(self.burst)
    }

    /// Takes `n` tokens, or says in how many seconds they will be there.
    pub fn take(&self, key: &str, n: f64) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate limiter");
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            buckets.retain(|_, (t, since)| self.refill(*t, *since, now) < self.burst);
            // Still full (many keys busy at once): forget the longest idle,
            // so the map stays bounded whatever the keys.
            while buckets.len() >= MAX_KEYS {
                let idle = buckets
                    .iter()
                    .min_by_key(|(_, (_, since))| *since)
                    .map(|(k, _)| k.clone())
                    .expect("not empty");
                buckets.remove(&idle);
            }
        }
        let (tokens, since) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        let available = self.refill(*tokens, *since, now);
        *since = now;
        if available >= n {
            *tokens = available - n;
            Ok(())
        } else {
            *tokens = available;
            Err(((n - available) / self.rate).ceil().max(1.0) as u64)
        }
    }

    /// Returns `n` tokens taken for an attempt that turned out not to count
    /// (a successful login).
    pub fn give_back(&self, key: &str, n: f64) {
        let mut buckets = self.buckets.lock().expect("rate limiter");
        if let Some((tokens, _)) = buckets.get_mut(key) {
            *tokens = (*tokens + n).min(self.burst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_wait() {
        let rl = RateLimiter::new(1.0, 3.0);
        for _ in 0..3 {
            assert_eq!(rl.take("a", 1.0), Ok(()));
        }
        assert_eq!(rl.take("a", 1.0), Err(1));
        assert_eq!(rl.take("b", 1.0), Ok(()), "keys are independent");
        rl.give_back("a", 1.0);
        assert_eq!(rl.take("a", 1.0), Ok(()), "a token given back");
    }

    #[test]
    fn the_map_stays_bounded_whatever_the_keys() {
        let rl = RateLimiter::new(0.001, 1.0);
        for i in 0..MAX_KEYS + 500 {
            let _ = rl.take(&format!("k{i}"), 1.0);
        }
        assert!(rl.buckets.lock().unwrap().len() <= MAX_KEYS);
        assert_eq!(
            rl.take(&format!("k{}", MAX_KEYS + 499), 1.0),
            Err(1000),
            "the newest keys are kept"
        );
    }
}
