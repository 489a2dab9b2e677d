use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::segment;
use crate::{Options, Position, Shared, SpoolError};

/// Records waiting for one fsync are capped so that an ack is never held
/// back by an unbounded write.
const MAX_GROUP_BYTES: usize = 32 << 20;

struct Request {
    payload: Vec<u8>,
    ack: oneshot::Sender<Result<(), String>>,
}

/// The appending side of the spool; cheap to share between request handlers.
#[derive(Debug, Clone)]
pub struct Spool {
    tx: mpsc::Sender<Request>,
    shared: Arc<Shared>,
    max_pending: u64,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Request({} bytes)", self.payload.len())
    }
}

impl Spool {
    pub(crate) fn start(
        shared: Arc<Shared>,
        first_segment: u64,
        options: Options,
    ) -> Result<Spool, SpoolError> {
        let file = create_segment(&shared, first_segment)?;
        let (tx, rx) = mpsc::channel();
        let thread_shared = shared.clone();
        let (segment_bytes, interval) = (options.segment_bytes, options.commit_interval);
        std::thread::Builder::new()
            .name("fovea-spool".into())
            .spawn(move || {
                run(
                    rx,
                    thread_shared,
                    first_segment,
                    file,
                    segment_bytes,
                    interval,
                )
            })?;
        Ok(Spool {
            tx,
            shared,
            max_pending: options.max_pending_bytes,
        })
    }

    /// Appends one record and resolves once it is on disk.
    pub async fn append(&self, payload: Vec<u8>) -> Result<(), SpoolError> {
        let pending = self.pending_bytes();
        if pending > self.max_pending {
            return Err(SpoolError::Full {
                pending,
                cap: self.max_pending,
            });
        }
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Request { payload, ack })
            .map_err(|_| SpoolError::Closed)?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(msg)) => Err(SpoolError::Io(std::io::Error::other(msg))),
            Err(_) => Err(SpoolError::Closed),
        }
    }

    /// Bytes on disk that the store does not hold yet.
    pub fn pending_bytes(&self) -> u64 {
        self.shared.pending.load(Ordering::Relaxed)
    }

    /// Records appended since the spool was opened.
    pub fn appended_records(&self) -> u64 {
        self.shared.appended_records.load(Ordering::Relaxed)
    }

    /// Successful group commits (one write and one fsync each) since the
    /// spool was opened.
    pub fn syncs(&self) -> u64 {
        self.shared.syncs.load(Ordering::Relaxed)
    }
}

fn create_segment(shared: &Shared, seg: u64) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(segment::path(&shared.dir, seg))?;
    segment::sync_dir(&shared.dir)?;
    Ok(file)
}

/// The appender thread: group commit. Each turn takes every request that
/// is waiting, writes them with one `write` and one `fsync`, then acks all.
/// A turn starts no sooner than `interval` after the previous one started.
fn run(
    rx: mpsc::Receiver<Request>,
    shared: Arc<Shared>,
    mut seg: u64,
    mut file: File,
    segment_bytes: u64,
    interval: Duration,
) {
    let mut offset = 0u64;
    let mut buf = Vec::new();
    let mut last_start: Option<Instant> = None;
    while let Ok(first) = rx.recv() {
        if let Some(wait) = last_start.and_then(|t| interval.checked_sub(t.elapsed())) {
            std::thread::sleep(wait);
        }
        last_start = Some(Instant::now());
        let mut group = vec![first];
        let mut size = group[0].payload.len();
        while size < MAX_GROUP_BYTES {
            match rx.try_recv() {
                Ok(r) => {
                    size += r.payload.len();
                    group.push(r);
                }
                Err(_) => break,
            }
        }
        buf.clear();
        for r in &group {
            segment::frame(&r.payload, &mut buf);
        }
        let written = file.write_all(&buf).and_then(|()| file.sync_data());
        match written {
            Ok(()) => {
                shared.syncs.fetch_add(1, Ordering::Relaxed);
                offset += buf.len() as u64;
                shared.publish(
                    Position {
                        segment: seg,
                        offset,
                    },
                    buf.len() as u64,
                    group.len() as u64,
                );
                for r in group {
                    let _ = r.ack.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, records = group.len(), "spool write failed");
                // Cut off whatever part of the group reached the file, so
                // that the next group does not follow a torn record.
                if let Err(e) = file.set_len(offset) {
                    tracing::error!(error = %e, "spool segment could not be truncated");
                }
                for r in group {
                    let _ = r.ack.send(Err(e.to_string()));
                }
            }
        }
        if offset >= segment_bytes {
            match create_segment(&shared, seg + 1) {
                Ok(f) => {
                    seg += 1;
                    file = f;
                    offset = 0;
                    shared.publish(
                        Position {
                            segment: seg,
                            offset,
                        },
                        0,
                        0,
                    );
                }
                Err(e) => tracing::error!(error = %e, "spool segment could not be created"),
            }
        }
    }
}
