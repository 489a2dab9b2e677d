use std::io::Write;
use std::time::Duration;

use fovea_spool::{open, Options, SpoolError};

const WAIT: Duration = Duration::from_millis(200);

fn record(i: usize) -> Vec<u8> {
    format!("record-{i}").into_bytes()
}

fn drain(reader: &mut fovea_spool::Reader) -> Vec<Vec<u8>> {
    let mut all = Vec::new();
    loop {
        let got = reader.read(1 << 20, WAIT).unwrap();
        if got.is_empty() {
            return all;
        }
        all.extend(got);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_are_all_read_back_once() {
    let dir = tempfile::tempdir().unwrap();
    let (spool, mut reader) = open(dir.path(), Options::default()).unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let spool = spool.clone();
        tasks.push(tokio::spawn(async move { spool.append(record(i)).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(spool.appended_records(), 200);
    let got = tokio::task::spawn_blocking(move || {
        let got = drain(&mut reader);
        reader.cursor().commit(reader.mark()).unwrap();
        got
    })
    .await
    .unwrap();
    let mut got: Vec<String> = got
        .into_iter()
        .map(|r| String::from_utf8(r).unwrap())
        .collect();
    got.sort();
    let mut want: Vec<String> = (0..200).map(|i| format!("record-{i}")).collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(spool.pending_bytes(), 0);
}

#[tokio::test]
async fn uncommitted_records_are_replayed_and_committed_ones_are_not() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (spool, mut reader) = open(dir.path(), Options::default()).unwrap();
        for i in 0..3 {
            spool.append(record(i)).await.unwrap();
        }
        let first = reader.read(1, WAIT).unwrap();
        assert_eq!(first, vec![record(0)]);
        reader.cursor().commit(reader.mark()).unwrap();
    }
    let (spool, mut reader) = open(dir.path(), Options::default()).unwrap();
    assert!(spool.pending_bytes() > 0);
    assert_eq!(drain(&mut reader), vec![record(1), record(2)]);
    spool.append(record(3)).await.unwrap();
    assert_eq!(drain(&mut reader), vec![record(3)]);
}

#[tokio::test]
async fn a_torn_tail_is_dropped_on_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (spool, _reader) = open(dir.path(), Options::default()).unwrap();
        spool.append(record(0)).await.unwrap();
        spool.append(record(1)).await.unwrap();
    }
    // A crash mid-write leaves a partial record (never acknowledged).
    let seg = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "seg"))
        .unwrap();
    let mut f = std::fs::OpenOptions::new().append(true).open(&seg).unwrap();
    f.write_all(&[200, 0, 0, 0, 1, 2, 3, 4, b'x']).unwrap();
    drop(f);
    let (spool, mut reader) = open(dir.path(), Options::default()).unwrap();
    assert_eq!(drain(&mut reader), vec![record(0), record(1)]);
    spool.append(record(2)).await.unwrap();
    assert_eq!(drain(&mut reader), vec![record(2)]);
}

#[tokio::test]
async fn segments_roll_and_committed_ones_are_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        segment_bytes: 64,
        ..Options::default()
    };
    let (spool, mut reader) = open(dir.path(), options).unwrap();
    for i in 0..20 {
        spool.append(record(i)).await.unwrap();
    }
    let segs = |d: &std::path::Path| {
        std::fs::read_dir(d)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "seg")
            })
            .count()
    };
    assert!(segs(dir.path()) > 3);
    assert_eq!(drain(&mut reader), (0..20).map(record).collect::<Vec<_>>());
    reader.cursor().commit(reader.mark()).unwrap();
    assert_eq!(segs(dir.path()), 1, "only the open segment is left");
}

#[tokio::test]
async fn appends_are_refused_past_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        max_pending_bytes: 10,
        ..Options::default()
    };
    let (spool, mut reader) = open(dir.path(), options).unwrap();
    spool.append(vec![0; 32]).await.unwrap();
    assert!(matches!(
        spool.append(vec![0; 32]).await,
        Err(SpoolError::Full { .. })
    ));
    drain(&mut reader);
    reader.cursor().commit(reader.mark()).unwrap();
    spool.append(vec![0; 32]).await.unwrap();
}

/// Appends record `i` and checks it did not wait out a 1 s commit interval.
async fn append_at_once(spool: &fovea_spool::Spool, i: usize) {
    let t = std::time::Instant::now();
    spool.append(record(i)).await.unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_arriving_within_the_commit_interval_share_one_sync() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        commit_interval: Duration::from_secs(1),
        ..Options::default()
    };
    let (spool, _reader) = open(dir.path(), options).unwrap();
    // After a quiet spell an append is synced at once, not an interval later.
    append_at_once(&spool, 0).await;
    assert_eq!(spool.syncs(), 1);
    // Ten appends 10 ms apart, all within the interval: one more sync.
    let mut tasks = Vec::new();
    for i in 1..=10 {
        let spool = spool.clone();
        tasks.push(tokio::spawn(async move { spool.append(record(i)).await }));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(spool.appended_records(), 11);
    assert_eq!(spool.syncs(), 2);
    // Once the interval has passed since the last sync, at once again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    append_at_once(&spool, 11).await;
    assert_eq!(spool.syncs(), 3);
}

/// The writer reads the next records while the store takes the last ones:
/// a mark commits only what was read before it, from another thread.
#[tokio::test]
async fn a_mark_commits_only_what_was_read_before_it() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (spool, mut reader) = open(dir.path(), Options::default()).unwrap();
        for i in 0..4 {
            spool.append(record(i)).await.unwrap();
        }
        let cursor = reader.cursor();
        let first = reader.read(1, WAIT).unwrap();
        assert_eq!(first, vec![record(0)]);
        let mark = reader.mark();
        assert_eq!(drain(&mut reader).len(), 3, "read, not stored");
        std::thread::spawn(move || cursor.commit(mark).unwrap())
            .join()
            .unwrap();
        assert_eq!(
            spool.pending_bytes(),
            3 * (record(1).len() as u64 + 8),
            "the three records after the mark are still pending"
        );
    }
    let (_spool, mut reader) = open(dir.path(), Options::default()).unwrap();
    assert_eq!(drain(&mut reader), (1..4).map(record).collect::<Vec<_>>());
}
