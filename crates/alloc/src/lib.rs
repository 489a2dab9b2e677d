//! The allocator of Fovea's processes, the `fovea` binary and the
//! benchmarks that run its server in-process: linking this crate
//! (`extern crate fovea_alloc;`) makes jemalloc the allocator of every
//! allocation.

/// jemalloc serves every allocation of the process: on Linux it replaces
/// `malloc` itself, so DuckDB's C++ allocations go to it too. glibc's
/// malloc, with its arenas capped to keep the peak RSS down, made the
/// threads wait on each other: the drain stored ~30 % more with jemalloc at
/// a peak ~20 MB higher (bench/README.md, "The allocator").
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read at its first allocation (`MALLOC_CONF` in the
/// environment adds to them): four arenas, not one per thread; freed pages
/// handed back within a second by a background thread, not within ten
/// seconds by whichever thread next allocates (those ten seconds of freed
/// batches put ~90 MB on the peak).
#[cfg(target_os = "linux")]
#[export_name = "malloc_conf"]
pub static MALLOC_CONF: &[u8; 70] =
    b"narenas:4,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";
