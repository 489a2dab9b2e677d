//! `fovea-bench replay`: where the embedded backend keeps replay segments.
//! The same segments, in the writer's batches, go once into DuckDB's
//! `replay_segments` table (through `EventStore::insert_replay`, committed
//! with the WAL) and once into one file per segment in a directory per
//! session (written, synced, renamed, directories synced per batch: the
//! same durability). Then both read whole sessions back the way the
//! player does (index, then every segment). Sizes follow a recording: a
//! full snapshot of ~30 KB gzip per page load, then ~1.5 KB every 5 s.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use fovea_schema::ReplaySegment;
use fovea_store::{DuckStore, EventStore};

use crate::arg;

const BATCH: usize = 50;
const SEGMENTS_PER_SESSION: u32 = 24;

fn segments(n: usize) -> Vec<ReplaySegment> {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // Sessions record at the same time: consecutive segments belong to
    // different sessions, as they reach the writer.
    let sessions = (n as u32 / SEGMENTS_PER_SESSION).max(1);
    (0..n)
        .map(|i| {
            let index = i as u32 / sessions;
            let full = index.is_multiple_of(12);
            let len = if full { 30_000 } else { 1_500 };
            // Gzip output does not compress further: random bytes.
            let data = (0..len).map(|_| next() as u8).collect();
            let start = 1_764_000_000_000 + i64::from(index) * 5_000;
            ReplaySegment {
                app_id: "bench".into(),
                session_id: format!("session-{}", i as u32 % sessions),
                view_id: None,
                index,
                start,
                end: start + 5_000,
                events: 40,
                full_snapshot: full,
                data,
                received_at: start + 5_100,
            }
        })
        .collect()
}

fn write_files(root: &Path, batch: &[ReplaySegment]) -> std::io::Result<()> {
    let mut dirs = std::collections::BTreeSet::new();
    for s in batch {
        let dir = root.join(&s.app_id).join(&s.session_id);
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!(".{}.tmp", s.index));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&s.data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(format!("{}.gz", s.index)))?;
        dirs.insert(dir);
    }
    for d in dirs {
        std::fs::File::open(d)?.sync_all()?;
    }
    Ok(())
}

fn read_files(root: &Path, session: &str) -> std::io::Result<usize> {
    let dir = root.join("bench").join(session);
    let mut names: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    names.sort();
    let mut bytes = 0;
    for n in names {
        bytes += std::fs::read(dir.join(n))?.len();
    }
    Ok(bytes)
}

fn disk_bytes(path: &Path) -> u64 {
    // Allocated blocks, not lengths: small files cost a whole block each.
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).unwrap();
    if meta.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| disk_bytes(&e.unwrap().path()))
            .sum::<u64>()
            + meta.blocks() * 512
    } else {
        meta.blocks() * 512
    }
}

fn rate(n: usize, mb: f64, d: Duration) -> String {
    format!(
        "{:>8.0} segments/s {:>6.1} MB/s",
        n as f64 / d.as_secs_f64(),
        mb / d.as_secs_f64()
    )
}

pub async fn replay() {
    let n = arg("--segments", 24_000) as usize;
    let all = segments(n);
    let mb = all.iter().map(|s| s.data.len()).sum::<usize>() as f64 / 1e6;
    let sessions = n / SEGMENTS_PER_SESSION as usize;
    println!(
        "replay storage: {n} segments ({mb:.1} MB) of {sessions} sessions, batches of {BATCH}"
    );

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fovea.duckdb");
    let store = DuckStore::open(&db, "256MB").unwrap();
    let t = Instant::now();
    for batch in all.chunks(BATCH) {
        store.insert_replay(batch.to_vec()).await.unwrap();
    }
    let duck_write = t.elapsed();
    let files = dir.path().join("replay");
    let t = Instant::now();
    for batch in all.chunks(BATCH) {
        write_files(&files, batch).unwrap();
    }
    let file_write = t.elapsed();

    let reads = 200.min(sessions);
    let t = Instant::now();
    for i in 0..reads {
        let id = format!("session-{}", i * sessions / reads);
        for s in store.replay_segments("bench", &id).await.unwrap() {
            store.replay_segment("bench", &id, s.index).await.unwrap();
        }
    }
    let duck_read = t.elapsed() / reads as u32;
    let t = Instant::now();
    for i in 0..reads {
        let id = format!("session-{}", i * sessions / reads);
        store.replay_segments("bench", &id).await.unwrap();
    }
    let duck_index = t.elapsed() / reads as u32;
    let t = Instant::now();
    for i in 0..reads {
        read_files(&files, &format!("session-{}", i * sessions / reads)).unwrap();
    }
    let file_read = t.elapsed() / reads as u32;
    drop(store);
    let duck_disk = disk_bytes(&db) as f64 / 1e6;
    let file_disk = disk_bytes(&files) as f64 / 1e6;

    println!(
        "  write  duckdb table: {}   files: {}",
        rate(n, mb, duck_write),
        rate(n, mb, file_write)
    );
    println!(
        "  read a session ({SEGMENTS_PER_SESSION} segments)  duckdb: {:.2} ms (its index alone {:.2} ms)   files: {:.2} ms",
        duck_read.as_secs_f64() * 1e3,
        duck_index.as_secs_f64() * 1e3,
        file_read.as_secs_f64() * 1e3
    );
    println!("  on disk  duckdb: {duck_disk:.1} MB   files: {file_disk:.1} MB (data {mb:.1} MB)");
}
