//! The writer: drains the spool into the store. It reads what the intake
//! made durable, runs the pipeline (user agent, sampling, scrubbing, issue
//! grouping), commits the events in one store write, and only then moves
//! the spool's cursor. A crash between the two replays the batch, which the
//! store deduplicates by event id.
//!
//! A store that is down is retried with backoff while the spool grows. A
//! store that refuses a batch for good (`StoreError::is_retryable` is
//! false) would block the spool forever, so the writer retries the batch's
//! spool records one by one and moves each one the store still refuses to
//! `<data dir>/quarantine/` (the record as spooled, for an operator to
//! inspect or replay), counts it in `/metrics` and logs it once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fovea_intake::{Batch, Format, IntakeError};
use fovea_pipeline::ReplayOutput;
use fovea_schema::{Event, ReplaySegment, Span};
use fovea_spool::{Cursor, Mark, Reader};
use tokio::runtime::Handle;

use crate::clock::now_ms;
use crate::metrics::Reason;
use crate::quota::Tally;
use crate::usage::DropReason;
use crate::AppState;

/// Spooled bytes read into one store write at most. 2 MiB (≈ 8k events) is
/// past the point where bigger batches get cheaper per event; two batches
/// of parsed events (one decoded, one being stored) hold ~50 MB at 2 MiB,
/// 16 MiB held ~150 MB. 1 MiB stored as fast while the dedupe filters
/// answer, but each write pays one window scan once they saturate
/// (`bench/README.md`, "Memory").
const MAX_BATCH_BYTES: usize = 2 << 20;
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Store attempts per batch once shutting down; the spool keeps the rest.
const SHUTDOWN_ATTEMPTS: u32 = 3;
/// How long a stopping writer goes on storing the spool's backlog. The
/// spool is durable and replayed at the next start, so a stop need not
/// wait for a backlog of minutes to drain.
pub const SHUTDOWN_DRAIN: Duration = Duration::from_secs(10);

pub struct Writer {
    store: JoinHandle<()>,
    decode: JoinHandle<()>,
    stop: Arc<AtomicBool>,
}

/// Spool records read and processed, on their way to the store.
struct Decoded {
    records: Vec<Vec<u8>>,
    work: Work,
    /// Where these records end in the spool.
    mark: Mark,
}

impl Writer {
    /// Starts the writer's two threads, one decoding the next records while
    /// the other stores the last ones; must be called inside the tokio
    /// runtime.
    pub fn spawn(reader: Reader, state: AppState) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let rt = Handle::current();
        // A rendezvous: at most one batch waits while one is stored.
        let (tx, rx) = std::sync::mpsc::sync_channel(0);
        let cursor = reader.cursor();
        let (decode_state, decode_stop) = (state.clone(), stop.clone());
        let decode = std::thread::Builder::new()
            .name("fovea-decoder".into())
            .spawn(move || decode(reader, decode_state, decode_stop, tx))
            .expect("spawn the decoder thread");
        let store_stop = stop.clone();
        let store = std::thread::Builder::new()
            .name("fovea-writer".into())
            .spawn(move || store(cursor, state, rt, store_stop, rx))
            .expect("spawn the writer thread");
        Writer {
            store,
            decode,
            stop,
        }
    }

    /// Stores what the spool holds for up to [`SHUTDOWN_DRAIN`], then stops;
    /// what is left is stored at the next start.
    pub async fn shutdown(self) {
        self.stop.store(true, Ordering::SeqCst);
        let (store, decode) = (self.store, self.decode);
        let _ = tokio::task::spawn_blocking(move || {
            let _ = store.join();
            let _ = decode.join();
        })
        .await;
    }
}

/// Reads and processes spool records, handing each batch to the store
/// thread; ends when the spool is drained while stopping, or when the store
/// thread has stopped.
fn decode(mut reader: Reader, state: AppState, stop: Arc<AtomicBool>, tx: SyncSender<Decoded>) {
    // Decoding and normalising yield to the intake under load, like the
    // store's own bulk work: the spool holds what is not stored yet.
    fovea_store::lower_thread_priority();
    let flush = state.settings.writer_flush;
    // Two batches are out of the spool's room at once (one decoded, one
    // being stored): with a small spool, smaller batches leave the intake
    // room to accept while they are.
    let batch_bytes = usize::try_from(state.settings.spool_max_bytes / 8)
        .unwrap_or(usize::MAX)
        .clamp(64 << 10, MAX_BATCH_BYTES);
    loop {
        let started = Instant::now();
        let records = match reader.read(batch_bytes, flush) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "spool read failed");
                std::thread::sleep(MAX_BACKOFF);
                continue;
            }
        };
        if records.is_empty() {
            if stop.load(Ordering::SeqCst) {
                tracing::info!("writer drained the spool");
                return;
            }
            continue;
        }
        // A short read under overload is no sign of being caught up: the
        // spool is short only because the intake refuses until this
        // writer frees room.
        let caught_up =
            records.iter().map(Vec::len).sum::<usize>() < batch_bytes && !state.spool_refusing();
        let work = process(&state, &records, true);
        let mark = reader.mark();
        if tx
            .send(Decoded {
                records,
                work,
                mark,
            })
            .is_err()
        {
            return;
        }
        if caught_up && !stop.load(Ordering::SeqCst) {
            // Once caught up, at most one store write per flush period:
            // bigger, cheaper batches. Behind, it writes back to back.
            std::thread::sleep(flush.saturating_sub(started.elapsed()));
        }
    }
}

/// Stores each decoded batch, then moves the spool's cursor past it.
fn store(
    cursor: Cursor,
    state: AppState,
    rt: Handle,
    stop: Arc<AtomicBool>,
    rx: Receiver<Decoded>,
) {
    fovea_store::lower_thread_priority();
    let mut stopping_since = None;
    loop {
        if stop.load(Ordering::SeqCst) {
            let since = *stopping_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= SHUTDOWN_DRAIN {
                tracing::info!(
                    pending_bytes = state.spool.pending_bytes(),
                    "writer stopped with a backlog in the spool; it is stored at the next start"
                );
                return;
            }
        }
        let Decoded {
            records,
            work,
            mark,
        } = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(d) => d,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let (n, span) = (work.count(), work.span);
        let stored = match commit(&state, &rt, &records, work, &stop) {
            Commit::Stored => n,
            Commit::Rejected(e) => {
                tracing::warn!(error = %e, records = records.len(), "the store rejected a batch; storing its records one by one");
                match store_one_by_one(&state, &rt, &records, &stop) {
                    Some(n) => n,
                    None => return stopped_with_events_left(),
                }
            }
            Commit::Stopped => return stopped_with_events_left(),
        };
        if let Err(e) = cursor.commit(mark) {
            // The events are in the store; a replay would be deduplicated.
            tracing::error!(error = %e, "spool cursor could not be saved");
        }
        // The room just freed ends the intake's refusals (and their holds)
        // now, not at the next request.
        state.spool_refusing();
        state.metrics.events_stored.inc_by(stored.events);
        state.metrics.replay_segments_stored.inc_by(stored.segments);
        state.metrics.spans_stored.inc_by(stored.spans);
        state
            .metrics
            .writer_lag_seconds
            .set((now_ms() - span.1) as f64 / 1000.0);
    }
}

fn stopped_with_events_left() {
    tracing::warn!("writer stopped with events left in the spool; they are replayed at next start");
}

/// What a run of spool records holds for the store.
struct Work {
    events: Vec<Event>,
    segments: Vec<ReplaySegment>,
    spans: Vec<Span>,
    /// What became of each app's events and segments, for its quotas.
    tally: HashMap<String, Tally>,
    /// The oldest and newest receive time among the records.
    span: (i64, i64),
}

/// Events, replay segments and spans stored.
#[derive(Debug, Default, Clone, Copy)]
struct Stored {
    events: u64,
    segments: u64,
    spans: u64,
}

impl std::ops::AddAssign for Stored {
    fn add_assign(&mut self, o: Stored) {
        self.events += o.events;
        self.segments += o.segments;
        self.spans += o.spans;
    }
}

impl Work {
    fn count(&self) -> Stored {
        Stored {
            events: self.events.len() as u64,
            segments: self.segments.len() as u64,
            spans: self.spans.len() as u64,
        }
    }
}

/// Decodes and normalises spooled records: event batches into events,
/// replay segments into stored segments. `count_drops` adds what was left
/// out (bots, sampling) to the metrics.
/// Runs the pipeline on one record, a panic becoming that record's error:
/// a record the pipeline cannot handle is skipped like one that no longer
/// parses, instead of stopping the writer (and again at every restart, as
/// the record would be replayed).
fn unpanicked<T>(f: impl FnOnce() -> Result<T, IntakeError>) -> Result<T, IntakeError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(IntakeError::InvalidEvent(format!(
            "the pipeline failed on this record: {why}"
        )))
    })
}

fn process(state: &AppState, records: &[Vec<u8>], count_drops: bool) -> Work {
    let mut events = Vec::new();
    let mut segments = Vec::new();
    let mut spans = Vec::new();
    let mut tally: HashMap<String, Tally> = HashMap::new();
    let (mut oldest, mut newest) = (i64::MAX, 0);
    for rec in records {
        let batch = match Batch::decode(rec) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(error = %e, "skipping an unreadable spool record");
                continue;
            }
        };
        oldest = oldest.min(batch.meta.received_at);
        newest = newest.max(batch.meta.received_at);
        let t = tally.entry(batch.meta.app_id.clone()).or_default();
        t.spool_bytes += rec.len() as u64;
        let policy = state.policy(&batch.meta.app_id);
        if batch.format == Format::Spans {
            match unpanicked(|| state.pipeline.spans(&batch, &policy)) {
                Ok(s) => spans.extend(s),
                Err(e) => {
                    tracing::error!(error = %e, app = %batch.meta.app_id, "skipping a spooled trace request that no longer parses")
                }
            }
            continue;
        }
        if batch.format == Format::Replay {
            t.replay_bytes += batch.body.len() as u64;
            match unpanicked(|| state.pipeline.replay(&batch, &policy)) {
                Ok(ReplayOutput::Kept(seg)) => {
                    t.kept_replay_bytes += seg.data.len() as u64;
                    segments.push(seg)
                }
                Ok(dropped) => {
                    if count_drops {
                        let reason = match dropped {
                            ReplayOutput::Bot => "bot",
                            _ => "sampled",
                        };
                        state
                            .metrics
                            .replay_segments_dropped
                            .get_or_create(&Reason { reason })
                            .inc();
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, app = %batch.meta.app_id, "skipping a spooled replay segment that no longer parses")
                }
            }
            continue;
        }
        match unpanicked(|| state.pipeline.process(&batch, &policy)) {
            Ok(out) => {
                t.events += (out.events.len() + out.bots + out.sampled_out + out.excluded) as u64;
                t.kept_events += out.events.len() as u64;
                if count_drops {
                    let (app, at) = (&batch.meta.app_id, batch.meta.received_at);
                    for (reason, name, n) in [
                        (DropReason::Bot, "bot", out.bots),
                        (DropReason::Sampled, "sampled", out.sampled_out),
                        (DropReason::Excluded, "excluded", out.excluded),
                    ] {
                        state
                            .metrics
                            .events_dropped
                            .get_or_create(&Reason { reason: name })
                            .inc_by(n as u64);
                        state.drops.add(app, at, reason, n);
                    }
                }
                events.extend(out.events);
            }
            Err(e) => {
                tracing::error!(error = %e, app = %batch.meta.app_id, "skipping a spooled batch that no longer parses")
            }
        }
    }
    Work {
        events,
        segments,
        spans,
        tally,
        span: (oldest.min(newest), newest),
    }
}

enum Commit {
    Stored,
    /// The store will never take these events as they are.
    Rejected(fovea_store::StoreError),
    /// Gave up on a store that is down because the node is stopping.
    Stopped,
}

/// Writes the events and segments, retrying with backoff while the store
/// is down (the spool grows meanwhile, and the lag metric shows the oldest
/// batch waiting). A retry writes both again: the store keeps one copy.
/// The first attempt hands the decoded batch to the store; a retry decodes
/// `records` again (decoding is deterministic) rather than every batch
/// holding a copy in case of one.
fn commit(
    state: &AppState,
    rt: &Handle,
    records: &[Vec<u8>],
    work: Work,
    stop: &AtomicBool,
) -> Commit {
    let Work {
        events,
        segments,
        spans,
        tally,
        span,
    } = work;
    let mut decoded = Some((events, segments, spans));
    let mut backoff = Duration::from_millis(100);
    let mut attempts_while_stopping = 0;
    loop {
        let t = Instant::now();
        let (events, segments, spans) = decoded.take().unwrap_or_else(|| {
            // The drops were counted when the batch was first processed.
            let w = process(state, records, false);
            (w.events, w.segments, w.spans)
        });
        let sizes = (events.len(), segments.len(), spans.len());
        let write = async {
            state.store.insert(events).await?;
            if !segments.is_empty() {
                state.store.insert_replay(segments).await?;
            }
            if !spans.is_empty() {
                state.store.insert_spans(spans).await?;
            }
            Ok::<(), fovea_store::StoreError>(())
        };
        match rt.block_on(write) {
            Ok(()) => {
                let now = now_ms();
                for (app, t) in &tally {
                    state.quotas.committed(app, now, t);
                    state.spool_shares.release(app, t.spool_bytes);
                }
                state
                    .metrics
                    .writer_batch_seconds
                    .observe(t.elapsed().as_secs_f64());
                tracing::debug!(
                    events = sizes.0,
                    segments = sizes.1,
                    spans = sizes.2,
                    ms = t.elapsed().as_millis() as u64,
                    "writer batch committed"
                );
                return Commit::Stored;
            }
            Err(e) if !e.is_retryable() => {
                state.metrics.store_errors.inc();
                return Commit::Rejected(e);
            }
            Err(e) => {
                state.metrics.store_errors.inc();
                state
                    .metrics
                    .writer_lag_seconds
                    .set((now_ms() - span.0) as f64 / 1000.0);
                tracing::warn!(error = %e, retry_in_ms = backoff.as_millis() as u64, "store write failed");
                if stop.load(Ordering::SeqCst) {
                    attempts_while_stopping += 1;
                    if attempts_while_stopping >= SHUTDOWN_ATTEMPTS {
                        return Commit::Stopped;
                    }
                }
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Stores each record of a rejected batch on its own and quarantines the
/// ones the store still refuses; returns what was stored, or `None` if
/// the node stopped first. When every record of a batch is refused, the
/// fault is more likely the statement or the schema than the data (an
/// upgrade half done, a column changed by hand), so nothing is set aside:
/// the batch is retried with backoff, as for a store that is down.
fn store_one_by_one(
    state: &AppState,
    rt: &Handle,
    records: &[Vec<u8>],
    stop: &AtomicBool,
) -> Option<Stored> {
    let mut backoff = Duration::from_millis(500);
    loop {
        let mut stored = Stored::default();
        let mut refused = Vec::new();
        for record in records {
            // The drops were counted when the whole batch was processed.
            let work = process(state, std::slice::from_ref(record), false);
            let n = work.count();
            match commit(state, rt, std::slice::from_ref(record), work, stop) {
                Commit::Stored => stored += n,
                Commit::Rejected(e) => refused.push((record, n.events, e)),
                Commit::Stopped => return None,
            }
        }
        if refused.len() == records.len() && records.len() > 1 {
            tracing::error!(
                error = %refused[0].2,
                records = records.len(),
                retry_in_ms = backoff.as_millis() as u64,
                "the store refuses every record of a batch: is its schema what this version expects? retrying"
            );
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(MAX_BACKOFF);
            continue;
        }
        for (record, n, e) in refused {
            if !quarantine(state, record, n, &e, stop) {
                return None;
            }
        }
        return Some(stored);
    }
}

/// Moves a spool record aside, as it was spooled, durably (written, synced,
/// renamed into place, directory synced) before the spool cursor may pass
/// it; says so once. Retries while the disk refuses; false if the node
/// stopped first (the record stays in the spool).
fn quarantine(
    state: &AppState,
    record: &[u8],
    events: u64,
    error: &fovea_store::StoreError,
    stop: &AtomicBool,
) -> bool {
    let dir = state.settings.data_dir.join("quarantine");
    let name = format!("{}-{}.batch", now_ms(), uuid::Uuid::new_v4());
    let mut backoff = Duration::from_millis(100);
    loop {
        match write_durably(&dir, &name, record) {
            Ok(path) => {
                state.metrics.quarantined_batches.inc();
                state.metrics.quarantined_events.inc_by(events);
                tracing::error!(
                    error = %error,
                    events,
                    path = %path.display(),
                    "the store rejected a spooled batch for good; it was moved to quarantine"
                );
                return true;
            }
            Err(io) => {
                tracing::error!(error = %io, dir = %dir.display(), "a rejected batch could not be written to quarantine; retrying");
                if stop.load(Ordering::SeqCst) {
                    return false;
                }
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn write_durably(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record that made the pipeline panic (a 1e300 ms send time once
    /// did) stopped the writer for good, and again after every restart.
    #[test]
    fn a_panic_in_the_pipeline_is_that_records_error() {
        let out = unpanicked::<()>(|| panic!("attempt to add with overflow"));
        let e = out.unwrap_err().to_string();
        assert!(e.contains("attempt to add with overflow"), "{e}");
        assert_eq!(unpanicked(|| Ok(7)).unwrap(), 7);
    }
}
