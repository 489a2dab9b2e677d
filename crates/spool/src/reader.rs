use std::fs::File;
use std::io::{self, BufReader, Seek, SeekFrom};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::segment;
use crate::{Position, Shared};

/// Follows the durable end of the spool, for the writer that drains it.
#[derive(Debug)]
pub struct Reader {
    shared: Arc<Shared>,
    pos: Position,
    file: Option<BufReader<File>>,
    /// Spool bytes read (records and skipped corruption) since opening.
    read: u64,
    cursor: Cursor,
}

/// Where the records read so far end (see [`Reader::mark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pos: Position,
    read: u64,
}

/// Persists how far the store holds the spool, deleting the segments
/// before that point. A clone may live on another thread than the
/// [`Reader`], so that reading the next records overlaps storing the last.
#[derive(Debug, Clone)]
pub struct Cursor {
    shared: Arc<Shared>,
    /// The `read` of the last committed mark.
    committed: Arc<Mutex<u64>>,
}

impl Cursor {
    /// The store holds every record read before `mark`.
    pub fn commit(&self, mark: Mark) -> io::Result<()> {
        segment::write_cursor(&self.shared.dir, mark.pos)?;
        for seg in segment::list(&self.shared.dir)? {
            if seg < mark.pos.segment {
                std::fs::remove_file(segment::path(&self.shared.dir, seg))?;
            }
        }
        let done = {
            let mut committed = self.committed.lock().expect("cursor lock");
            let done = mark.read.saturating_sub(*committed);
            *committed = (*committed).max(mark.read);
            done
        };
        let _ = self
            .shared
            .pending
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| {
                Some(p.saturating_sub(done))
            });
        Ok(())
    }
}

impl Reader {
    pub(crate) fn new(shared: Arc<Shared>, pos: Position) -> Reader {
        let cursor = Cursor {
            shared: shared.clone(),
            committed: Arc::new(Mutex::new(0)),
        };
        Reader {
            shared,
            pos,
            file: None,
            read: 0,
            cursor,
        }
    }

    /// Where the records read so far end: once the store holds them,
    /// [`Cursor::commit`] it.
    pub fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            read: self.read,
        }
    }

    /// The cursor, for a thread that commits what this reader read.
    pub fn cursor(&self) -> Cursor {
        self.cursor.clone()
    }

    /// Returns the records after the position, up to about `max_bytes`,
    /// waiting up to `wait` for the first one. An empty result means none
    /// arrived in time.
    pub fn read(&mut self, max_bytes: usize, wait: Duration) -> io::Result<Vec<Vec<u8>>> {
        let durable = {
            let guard = self.shared.durable.lock().expect("spool lock");
            let (guard, _) = self
                .shared
                .grew
                .wait_timeout_while(guard, wait, |d| self.pos >= *d)
                .expect("spool lock");
            *guard
        };
        let mut out = Vec::new();
        let mut bytes = 0;
        while self.pos < durable && bytes < max_bytes {
            let sealed = self.pos.segment < durable.segment;
            if self.file.is_none() {
                match File::open(segment::path(&self.shared.dir, self.pos.segment)) {
                    Ok(mut f) => {
                        f.seek(SeekFrom::Start(self.pos.offset))?;
                        self.file = Some(BufReader::new(f));
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound && sealed => {
                        self.next_segment();
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let file = self.file.as_mut().expect("opened above");
            match segment::read_record(file)? {
                Some(rec) => {
                    let size = segment::HEADER + rec.len() as u64;
                    self.pos.offset += size;
                    self.read += size;
                    bytes += rec.len();
                    out.push(rec);
                }
                None if sealed => {
                    let len = file.get_ref().metadata()?.len();
                    if self.pos.offset < len {
                        tracing::error!(
                            segment = self.pos.segment,
                            offset = self.pos.offset,
                            skipped = len - self.pos.offset,
                            "spool record is corrupt; skipping the rest of the segment"
                        );
                        self.read += len - self.pos.offset;
                    }
                    self.next_segment();
                }
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "spool record before the durable end is unreadable",
                    ))
                }
            }
        }
        Ok(out)
    }

    fn next_segment(&mut self) {
        self.pos = Position {
            segment: self.pos.segment + 1,
            offset: 0,
        };
        self.file = None;
    }
}
