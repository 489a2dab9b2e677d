//! Segment files and the cursor file.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use crate::Position;

pub const HEADER: u64 = 8;

pub fn path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{segment:020}.seg"))
}

/// Segment numbers present in `dir`, ascending.
pub fn list(dir: &Path) -> io::Result<Vec<u64>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name.strip_suffix(".seg").and_then(|s| s.parse().ok()) {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

pub fn frame(payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Reads the record at the reader's position; `None` at a clean end, a
/// torn record (crash mid-write) or a checksum mismatch.
pub fn read_record(reader: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; HEADER as usize];
    match reader.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
    let mut payload = vec![0; len];
    match reader.read_exact(&mut payload) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    Ok((crc32fast::hash(&payload) == crc).then_some(payload))
}

/// Truncates a segment after its last whole, intact record and returns its
/// valid length. Only the tail can be torn: a record is acknowledged after
/// it and everything before it is synced.
pub fn recover(dir: &Path, segment: u64) -> io::Result<u64> {
    let p = path(dir, segment);
    let len = std::fs::metadata(&p)?.len();
    let mut reader = BufReader::new(File::open(&p)?);
    let mut valid = 0;
    while let Some(rec) = read_record(&mut reader)? {
        valid += HEADER + rec.len() as u64;
    }
    if valid < len {
        tracing::warn!(
            segment,
            valid,
            len,
            "spool segment has a torn tail; truncating it"
        );
        let f = OpenOptions::new().write(true).open(&p)?;
        f.set_len(valid)?;
        f.sync_all()?;
    }
    Ok(valid)
}

pub fn read_cursor(dir: &Path) -> io::Result<Position> {
    match std::fs::read_to_string(dir.join("cursor")) {
        Ok(s) => {
            let mut it = s.split_whitespace().map(str::parse::<u64>);
            match (it.next(), it.next()) {
                (Some(Ok(segment)), Some(Ok(offset))) => Ok(Position { segment, offset }),
                _ => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "spool cursor is malformed",
                )),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Position::default()),
        Err(e) => Err(e),
    }
}

/// Replaces the cursor file atomically (write, sync, rename, sync the dir).
pub fn write_cursor(dir: &Path, pos: Position) -> io::Result<()> {
    let tmp = dir.join("cursor.tmp");
    let mut f = File::create(&tmp)?;
    writeln!(f, "{} {}", pos.segment, pos.offset)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join("cursor"))?;
    sync_dir(dir)
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
