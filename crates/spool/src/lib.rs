//! The write-ahead spool between the intake and the store.
//!
//! The intake appends a record and answers only once the record is on disk
//! (fsync'd). Concurrent appends share one fsync: a single appender thread
//! takes every record waiting, writes them, syncs once and acknowledges them
//! all (group commit). Under load, syncs start at most once per
//! [`Options::commit_interval`], so groups grow with the load instead of the
//! sync rate. A [`Reader`] follows the durable end; once the store holds
//! what it read up to a [`Mark`], [`Cursor::commit`] persists that point
//! and deletes the segments behind it. On open, whatever lies past the cursor is replayed.
//!
//! On disk: `NNNNNNNNNNNNNNNNNNNN.seg` files of records
//! `[len u32 LE][crc32 u32 LE][payload]`, and a `cursor` file.

mod appender;
mod reader;
mod segment;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

pub use appender::Spool;
pub use reader::{Cursor, Mark, Reader};

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("spool io: {0}")]
    Io(#[from] std::io::Error),
    #[error("the spool holds {pending} bytes, over its cap of {cap}")]
    Full { pending: u64, cap: u64 },
    #[error("the spool's appender has stopped")]
    Closed,
}

/// A place in the spool: a segment and a byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub segment: u64,
    pub offset: u64,
}

#[derive(Debug, Clone)]
pub struct Options {
    /// A segment is closed and a new one started past this size.
    pub segment_bytes: u64,
    /// Appends are refused (the intake answers 503) while the spool holds
    /// more than this many bytes not yet in the store.
    pub max_pending_bytes: u64,
    /// Least time between the starts of two syncs. Each sync costs CPU
    /// whatever it carries (on a VM, an exit per I/O request), so when
    /// records arrive faster than syncs complete, waiting out the rest of
    /// the interval lets one sync carry many. An append after a quiet spell
    /// is synced at once.
    pub commit_interval: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            segment_bytes: 64 << 20,
            max_pending_bytes: 1 << 30,
            commit_interval: Duration::from_millis(2),
        }
    }
}

/// State the appender and the reader share.
#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    /// The durable end: everything before it is fsync'd.
    durable: Mutex<Position>,
    grew: Condvar,
    /// Bytes appended but not yet committed to the store.
    pending: AtomicU64,
    appended_records: AtomicU64,
    syncs: AtomicU64,
}

impl Shared {
    fn publish(&self, end: Position, bytes: u64, records: u64) {
        self.pending.fetch_add(bytes, Ordering::Relaxed);
        self.appended_records.fetch_add(records, Ordering::Relaxed);
        *self.durable.lock().expect("spool lock") = end;
        self.grew.notify_all();
    }
}

/// Opens the spool in `dir`: recovers from a crash (drops a torn tail),
/// and returns the appender and a reader positioned at the first record not
/// yet committed to the store.
pub fn open(dir: &Path, options: Options) -> Result<(Spool, Reader), SpoolError> {
    std::fs::create_dir_all(dir)?;
    let cursor = segment::read_cursor(dir)?;
    let mut segments = segment::list(dir)?;
    for &seg in segments.iter().filter(|&&s| s < cursor.segment) {
        std::fs::remove_file(segment::path(dir, seg))?;
    }
    segments.retain(|&s| s >= cursor.segment);
    let mut pending = 0;
    for &seg in &segments {
        let valid = segment::recover(dir, seg)?;
        let start = if seg == cursor.segment {
            cursor.offset
        } else {
            0
        };
        pending += valid.saturating_sub(start);
    }
    // Appends always go to a fresh segment, so a recovered one is never
    // written again.
    let next = segments.last().map_or(cursor.segment.max(1), |s| s + 1);
    let shared = Arc::new(Shared {
        dir: dir.to_path_buf(),
        durable: Mutex::new(Position {
            segment: next,
            offset: 0,
        }),
        grew: Condvar::new(),
        pending: AtomicU64::new(pending),
        appended_records: AtomicU64::new(0),
        syncs: AtomicU64::new(0),
    });
    let start = if segments.first() == Some(&cursor.segment) || segments.is_empty() {
        cursor
    } else {
        Position {
            segment: segments[0],
            offset: 0,
        }
    };
    tracing::info!(dir = %dir.display(), pending_bytes = pending, segments = segments.len(), "spool opened");
    let spool = Spool::start(shared.clone(), next, options)?;
    Ok((spool, Reader::new(shared, start)))
}
