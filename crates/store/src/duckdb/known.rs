//! Which events and views the tables may already hold, hour by hour, kept
//! in memory by the one writer so that a batch of new keys skips the
//! lookups that would find nothing. Those lookups scan the dedupe window
//! of a table that grows, and took a third of a write's time
//! (bench/README.md, "Where a write's time goes").
//!
//! A filter answers "maybe stored" or "certainly not". Every key the
//! tables hold in an hour the filter has loaded is in it: the hour is read
//! from the table at its first use and added to after each commit. So only
//! the "maybe" keys (true copies and ~1 % false positives) go on to the
//! exact lookup. Deletions (retention, erasure) leave stale keys behind,
//! which only cost a lookup.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use fastbloom::BloomFilter;

use crate::batch::DEDUP_WINDOW_MS;
use crate::rollup::{hour_of, HOUR_MS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    Events,
    Views,
}

/// The filter's hash of a key: an app and the id within it.
pub fn key(app: &str, id: impl Hash) -> u64 {
    // SipHash with fixed keys: the same key hashes the same in every
    // batch and at every load.
    let mut h = std::hash::DefaultHasher::new();
    app.hash(&mut h);
    id.hash(&mut h);
    h.finish()
}

/// An hour's first filter holds this many keys; each next one twice as
/// many, so an hour of a few rows costs a few kilobytes.
const FIRST_CAPACITY: usize = 4096;
/// The first filter's false-positive rate, halved for each next one, so an
/// hour's chain stays under twice this. Low, because a batch with a single
/// "maybe" key pays for the exact lookup's scan of its window: at 8 000 new
/// keys a batch, about one batch in 60 does (about 30 bits a key).
const FALSE_POSITIVE_RATE: f64 = 1e-6;

enum Hour {
    Filters {
        filters: Vec<BloomFilter>,
        /// Keys in the last filter.
        len: usize,
        /// What the last filter was sized for.
        capacity: usize,
        bytes: usize,
    },
    /// Too many keys for the memory allowed to one hour: every key of it
    /// is "maybe", and the exact lookup decides, as without a filter.
    Saturated,
}

impl Hour {
    fn empty() -> Hour {
        Hour::Filters {
            filters: Vec::new(),
            len: 0,
            capacity: 0,
            bytes: 0,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Hour::Filters { bytes, .. } => *bytes,
            Hour::Saturated => 0,
        }
    }

    fn may_hold(&self, hash: u64) -> bool {
        match self {
            Hour::Filters { filters, .. } => filters.iter().any(|f| f.contains_hash(hash)),
            Hour::Saturated => true,
        }
    }

    /// Adds a key; false when the hour has outgrown `limit` bytes and
    /// saturated.
    fn add(&mut self, hash: u64, limit: usize) -> bool {
        let Hour::Filters {
            filters,
            len,
            capacity,
            bytes,
        } = self
        else {
            return true;
        };
        if filters.is_empty() || *len >= *capacity {
            let next = (*capacity * 2).max(FIRST_CAPACITY);
            let rate = FALSE_POSITIVE_RATE / f64::from(1u32 << filters.len().min(20));
            let f = BloomFilter::with_false_pos(rate).expected_items(next);
            let size = f.num_bits() / 8;
            if *bytes + size > limit {
                *self = Hour::Saturated;
                return false;
            }
            *bytes += size;
            *capacity = next;
            *len = 0;
            filters.push(f);
        }
        filters.last_mut().expect("pushed").insert_hash(hash);
        *len += 1;
        true
    }
}

/// The filters of the hours in use, within a memory budget: the hours
/// used least recently go first, and one hour may take at most half.
pub struct Known {
    hours: HashMap<(Table, i64), (Hour, u64)>,
    budget: usize,
    bytes: usize,
    /// Counts batches, to find the hours used least recently.
    clock: u64,
}

impl Known {
    pub fn new(budget: usize) -> Known {
        Known {
            hours: HashMap::new(),
            budget,
            bytes: 0,
            clock: 0,
        }
    }

    /// Starts a batch: the hours it uses count as recent.
    pub fn tick(&mut self) {
        self.clock += 1;
    }

    /// The hours a key stored at `ts` may have a copy in: those within the
    /// dedupe window around it.
    pub fn hours_around(ts: i64) -> impl Iterator<Item = i64> {
        let first = hour_of(ts.saturating_sub(DEDUP_WINDOW_MS));
        let last = hour_of(ts.saturating_add(DEDUP_WINDOW_MS));
        (0..)
            .map(move |i| first + i * HOUR_MS)
            .take_while(move |h| *h <= last)
    }

    /// Whether the hour is loaded (or saturated); marks it used.
    pub fn has(&mut self, table: Table, hour: i64) -> bool {
        match self.hours.get_mut(&(table, hour)) {
            Some((_, used)) => {
                *used = self.clock;
                true
            }
            None => false,
        }
    }

    /// Records an hour's keys as read from its table.
    pub fn load(&mut self, table: Table, hour: i64, keys: impl IntoIterator<Item = u64>) {
        let limit = self.budget / 2;
        let mut h = Hour::empty();
        for k in keys {
            if !h.add(k, limit) {
                break;
            }
        }
        self.bytes += h.bytes();
        self.hours.insert((table, hour), (h, self.clock));
        self.evict();
    }

    /// False only when no copy of the key can be stored around `ts`. The
    /// hours around `ts` must have been loaded ([`Known::has`]).
    pub fn may_hold(&self, table: Table, ts: i64, hash: u64) -> bool {
        Self::hours_around(ts).any(|hour| {
            self.hours
                .get(&(table, hour))
                .is_none_or(|(h, _)| h.may_hold(hash))
        })
    }

    /// Records a key just stored at `ts`; a key in an hour not loaded
    /// needs nothing (the hour is read whole at its first use).
    pub fn add(&mut self, table: Table, ts: i64, hash: u64) {
        let limit = self.budget / 2;
        if let Some((h, _)) = self.hours.get_mut(&(table, hour_of(ts))) {
            let before = h.bytes();
            h.add(hash, limit);
            self.bytes = self.bytes + h.bytes() - before;
        }
    }

    /// Drops the least recently used hours, never those of the current
    /// batch, until the filters fit the budget.
    pub fn evict(&mut self) {
        while self.bytes > self.budget {
            let oldest = self
                .hours
                .iter()
                .filter(|(_, (_, used))| *used < self.clock)
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k);
            let Some(k) = oldest else { return };
            if let Some((h, _)) = self.hours.remove(&k) {
                self.bytes -= h.bytes();
            }
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 100 * HOUR_MS;

    fn loaded(budget: usize, hours: &[i64]) -> Known {
        let mut k = Known::new(budget);
        k.tick();
        for &h in hours {
            k.load(Table::Events, h, []);
        }
        k
    }

    #[test]
    fn a_key_added_is_always_maybe_and_most_others_are_not() {
        let mut k = loaded(1 << 24, &[H, H + HOUR_MS]);
        for i in 0..50_000u64 {
            k.add(Table::Events, H + HOUR_MS / 2, key("a", i));
        }
        assert!((0..50_000u64).all(|i| k.may_hold(Table::Events, H + HOUR_MS / 2, key("a", i))));
        let false_positives = (50_000..150_000u64)
            .filter(|i| k.may_hold(Table::Events, H + HOUR_MS / 2, key("a", i)))
            .count();
        // Under 2e-6 in all: none expected among 100 000.
        assert!(false_positives <= 2, "{false_positives}");
        // Another app's key with the same id is another key.
        assert_ne!(key("a", 1u64), key("b", 1u64));
    }

    #[test]
    fn a_copy_near_the_hour_edge_is_found_from_the_next_hour() {
        let mut k = loaded(1 << 24, &[H, H + HOUR_MS]);
        k.add(Table::Events, H + HOUR_MS - 1_000, key("a", 7u64));
        // The copy arrives with a ts a few seconds later, in the next hour.
        assert!(k.may_hold(Table::Events, H + HOUR_MS + 2_000, key("a", 7u64)));
        assert_eq!(Known::hours_around(H + HOUR_MS / 2).count(), 1);
        assert_eq!(Known::hours_around(H + HOUR_MS + 2_000).count(), 2);
    }

    #[test]
    fn a_loaded_hour_holds_its_keys_and_an_unloaded_one_is_maybe() {
        let mut k = Known::new(1 << 24);
        k.tick();
        assert!(!k.has(Table::Views, H));
        k.load(Table::Views, H, (0..10u64).map(|i| key("a", i)));
        assert!(k.has(Table::Views, H));
        assert!(k.may_hold(Table::Views, H + HOUR_MS / 2, key("a", 3u64)));
        // Never loaded: nothing can be ruled out.
        assert!(k.may_hold(Table::Views, H + 10 * HOUR_MS, key("a", 3u64)));
    }

    #[test]
    fn an_hour_past_its_share_of_memory_saturates_to_maybe() {
        // 64 KB budget: an hour may take 32 KB, about 8 k keys.
        let mut k = loaded(64 << 10, &[H]);
        for i in 0..100_000u64 {
            k.add(Table::Events, H, key("a", i));
        }
        assert!(k.bytes() <= 32 << 10);
        assert!(k.may_hold(Table::Events, H + HOUR_MS / 2, key("b", 1u64)));
    }

    #[test]
    fn the_least_recently_used_hours_make_room() {
        let mut k = Known::new(64 << 10);
        for i in 0..40 {
            k.tick();
            k.load(
                Table::Events,
                H + i * HOUR_MS,
                (0..3_000u64).map(|j| key("a", j)),
            );
        }
        assert!(k.bytes() <= 64 << 10);
        assert!(k.has(Table::Events, H + 39 * HOUR_MS));
        assert!(!k.has(Table::Events, H));
    }
}
