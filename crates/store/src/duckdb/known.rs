//! Which events and views the tables may already hold, slice by slice, kept
//! in memory by the one writer so that a batch of new keys skips the
//! lookups that would find nothing. Those lookups scan the dedupe window
//! of a table that grows, and took a third of a write's time
//! (bench/README.md, "Where a write's time goes").
//!
//! A filter answers "maybe stored" or "certainly not". Every key the
//! tables hold in a slice the filter has loaded is in it: the slice is read
//! from the table at its first use and added to after each commit. So only
//! the "maybe" keys (true copies and about one in a million others) go on to the
//! exact lookup. Deletions (retention, erasure) leave stale keys behind,
//! which only cost a lookup.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use fastbloom::BloomFilter;

use crate::batch::DEDUP_WINDOW_MS;

/// The filters' unit of time: an event's copies are searched within the
/// dedupe window around it, so a key's slice and its neighbours; a slice
/// that no batch uses any more is the first to go.
pub const SLICE_MS: i64 = DEDUP_WINDOW_MS;

fn slice_of(ts: i64) -> i64 {
    ts.div_euclid(SLICE_MS) * SLICE_MS
}

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

/// A slice's first filter holds this many keys; each next one twice as
/// many, so a slice of a few rows costs a few kilobytes.
const FIRST_CAPACITY: usize = 4096;
/// The first filter's false-positive rate, halved for each next one, so an
/// slice's chain stays under twice this. Low, because a batch with a single
/// "maybe" key pays for the exact lookup's scan of its window: at 8 000 new
/// keys a batch, about one batch in 60 does (about 30 bits a key).
const FALSE_POSITIVE_RATE: f64 = 1e-6;

enum Slice {
    Filters {
        filters: Vec<BloomFilter>,
        /// Keys in the last filter.
        len: usize,
        /// What the last filter was sized for.
        capacity: usize,
        bytes: usize,
    },
    /// Too many keys for the memory allowed to one slice: every key of it
    /// is "maybe", and the exact lookup decides, as without a filter.
    Saturated,
}

impl Slice {
    fn empty() -> Slice {
        Slice::Filters {
            filters: Vec::new(),
            len: 0,
            capacity: 0,
            bytes: 0,
        }
    }

    fn bytes(&self) -> usize {
        match self {
            Slice::Filters { bytes, .. } => *bytes,
            Slice::Saturated => 0,
        }
    }

    fn may_hold(&self, hash: u64) -> bool {
        match self {
            Slice::Filters { filters, .. } => filters.iter().any(|f| f.contains_hash(hash)),
            Slice::Saturated => true,
        }
    }

    /// Adds a key; saturates the slice once it outgrows `limit` bytes.
    fn add(&mut self, hash: u64, limit: usize) {
        let Slice::Filters {
            filters,
            len,
            capacity,
            bytes,
        } = self
        else {
            return;
        };
        if filters.is_empty() || *len >= *capacity {
            let next = (*capacity * 2).max(FIRST_CAPACITY);
            let rate = FALSE_POSITIVE_RATE / f64::from(1u32 << filters.len().min(20));
            let f = BloomFilter::with_false_pos(rate).expected_items(next);
            let size = f.num_bits() / 8;
            if *bytes + size > limit {
                *self = Slice::Saturated;
                return;
            }
            *bytes += size;
            *capacity = next;
            *len = 0;
            filters.push(f);
        }
        filters.last_mut().expect("pushed").insert_hash(hash);
        *len += 1;
    }
}

/// The filters of the slices in use, within a memory budget: the slices
/// used least recently go first, and one slice may take at most half.
pub struct Known {
    slices: HashMap<(Table, i64), (Slice, u64)>,
    budget: usize,
    bytes: usize,
    /// Counts batches, to find the slices used least recently.
    clock: u64,
}

impl Known {
    pub fn new(budget: usize) -> Known {
        Known {
            slices: HashMap::new(),
            budget,
            bytes: 0,
            clock: 0,
        }
    }

    /// Starts a batch: the slices it uses count as recent.
    pub fn tick(&mut self) {
        self.clock += 1;
    }

    /// The slices a key stored at `ts` may have a copy in: those within the
    /// dedupe window around it.
    pub fn slices_around(ts: i64) -> impl Iterator<Item = i64> {
        let first = slice_of(ts.saturating_sub(DEDUP_WINDOW_MS));
        let last = slice_of(ts.saturating_add(DEDUP_WINDOW_MS));
        (0..)
            .map(move |i| first + i * SLICE_MS)
            .take_while(move |h| *h <= last)
    }

    /// Whether the slice is loaded (or saturated); marks it used.
    pub fn has(&mut self, table: Table, slice: i64) -> bool {
        match self.slices.get_mut(&(table, slice)) {
            Some((_, used)) => {
                *used = self.clock;
                true
            }
            None => false,
        }
    }

    /// Starts a slice about to be read from its table, key by key with
    /// [`Known::add`]; [`Known::forget`] it if the read fails.
    pub fn begin(&mut self, table: Table, slice: i64) {
        self.slices
            .insert((table, slice), (Slice::empty(), self.clock));
    }

    pub fn forget(&mut self, table: Table, slice: i64) {
        if let Some((h, _)) = self.slices.remove(&(table, slice)) {
            self.bytes -= h.bytes();
        }
    }

    /// False only when no copy of the key can be stored around `ts`. The
    /// slices around `ts` must have been loaded ([`Known::has`]).
    pub fn may_hold(&self, table: Table, ts: i64, hash: u64) -> bool {
        Self::slices_around(ts).any(|slice| {
            self.slices
                .get(&(table, slice))
                .is_none_or(|(h, _)| h.may_hold(hash))
        })
    }

    /// Records a key stored at `ts`; a key in a slice not loaded needs
    /// nothing (the slice is read whole at its first use).
    pub fn add(&mut self, table: Table, ts: i64, hash: u64) {
        let limit = self.budget / 2;
        let slice = slice_of(ts);
        if let Some((h, _)) = self.slices.get_mut(&(table, slice)) {
            let (before, was_saturated) = (h.bytes(), matches!(h, Slice::Saturated));
            h.add(hash, limit);
            self.bytes = self.bytes + h.bytes() - before;
            if !was_saturated && matches!(h, Slice::Saturated) {
                tracing::warn!(
                    ?table,
                    slice,
                    limit_bytes = limit,
                    "too many keys in ten minutes for the dedupe filter's memory: this slice's copies are looked up in the table"
                );
            }
        }
    }

    /// Drops the least recently used slices, never those of the current
    /// batch, until the filters fit the budget.
    pub fn evict(&mut self) {
        while self.bytes > self.budget {
            let oldest = self
                .slices
                .iter()
                .filter(|(_, (_, used))| *used < self.clock)
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k);
            let Some(k) = oldest else { return };
            if let Some((h, _)) = self.slices.remove(&k) {
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

    const H: i64 = 100 * SLICE_MS;

    fn loaded(budget: usize, slices: &[i64]) -> Known {
        let mut k = Known::new(budget);
        k.tick();
        for &h in slices {
            k.begin(Table::Events, h);
        }
        k
    }

    #[test]
    fn a_key_added_is_always_maybe_and_most_others_are_not() {
        let mut k = loaded(1 << 24, &[H - SLICE_MS, H, H + SLICE_MS, H + 2 * SLICE_MS]);
        for i in 0..50_000u64 {
            k.add(Table::Events, H + SLICE_MS / 2, key("a", i));
        }
        assert!((0..50_000u64).all(|i| k.may_hold(Table::Events, H + SLICE_MS / 2, key("a", i))));
        let false_positives = (50_000..150_000u64)
            .filter(|i| k.may_hold(Table::Events, H + SLICE_MS / 2, key("a", i)))
            .count();
        // Under 2e-6 in all: none expected among 100 000.
        assert!(false_positives <= 2, "{false_positives}");
        // Another app's key with the same id is another key.
        assert_ne!(key("a", 1u64), key("b", 1u64));
    }

    #[test]
    fn a_copy_near_the_slice_edge_is_found_from_the_next_slice() {
        let mut k = loaded(1 << 24, &[H - SLICE_MS, H, H + SLICE_MS, H + 2 * SLICE_MS]);
        k.add(Table::Events, H + SLICE_MS - 1_000, key("a", 7u64));
        // The copy arrives with a ts a few seconds later, in the next slice.
        assert!(k.may_hold(Table::Events, H + SLICE_MS + 2_000, key("a", 7u64)));
        let around: Vec<i64> = Known::slices_around(H + 2_000).collect();
        assert_eq!(around, vec![H - SLICE_MS, H, H + SLICE_MS]);
    }

    #[test]
    fn a_loaded_slice_holds_its_keys_and_an_unloaded_one_is_maybe() {
        let mut k = Known::new(1 << 24);
        k.tick();
        assert!(!k.has(Table::Views, H));
        k.begin(Table::Views, H);
        (0..10u64).for_each(|i| k.add(Table::Views, H, key("a", i)));
        assert!(k.has(Table::Views, H));
        assert!(k.may_hold(Table::Views, H + SLICE_MS / 2, key("a", 3u64)));
        // Never loaded, or forgotten after a failed read: nothing can be
        // ruled out.
        assert!(k.may_hold(Table::Views, H + 10 * SLICE_MS, key("a", 3u64)));
        k.forget(Table::Views, H);
        assert!(k.may_hold(Table::Views, H + SLICE_MS / 2, key("a", 99u64)));
    }

    #[test]
    fn a_slice_past_its_share_of_memory_saturates_to_maybe() {
        // 64 KB budget: a slice may take 32 KB, about 8 k keys.
        let mut k = loaded(64 << 10, &[H]);
        for i in 0..100_000u64 {
            k.add(Table::Events, H, key("a", i));
        }
        assert!(k.bytes() <= 32 << 10);
        assert!(k.may_hold(Table::Events, H + SLICE_MS / 2, key("b", 1u64)));
    }

    #[test]
    fn the_least_recently_used_slices_make_room() {
        let mut k = Known::new(64 << 10);
        for i in 0..40 {
            k.tick();
            k.begin(Table::Events, H + i * SLICE_MS);
            (0..3_000u64).for_each(|j| k.add(Table::Events, H + i * SLICE_MS, key("a", j)));
            k.evict();
        }
        assert!(k.bytes() <= 64 << 10);
        assert!(k.has(Table::Events, H + 39 * SLICE_MS));
        assert!(!k.has(Table::Events, H));
    }
}
