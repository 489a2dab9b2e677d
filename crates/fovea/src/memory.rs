//! The process's own memory, as the kernel counts it: what of the binary
//! stays resident (the allocator is `fovea-alloc`'s). Linux only; elsewhere
//! this does nothing.

/// Start-up runs code that never runs again (DuckDB registers its whole
/// catalogue, the user-agent rules compile, the migrations run), and the
/// kernel maps the binary in 64 KB windows around every page it runs: once
/// up, ~40 of the ~45 MB of the binary an idle node has resident are code it
/// does not need (bench/README.md, "Memory"). They are clean file pages, so
/// `MADV_PAGEOUT` (Linux 5.4+) hands them back at no risk: what runs later
/// faults back in from the page cache (under load, most of it). On an older
/// kernel it fails and nothing changes.
pub fn release_startup_pages() {
    #[cfg(target_os = "linux")]
    {
        let (Ok(exe), Ok(maps)) = (
            std::fs::read_link("/proc/self/exe"),
            std::fs::read_to_string("/proc/self/maps"),
        ) else {
            return;
        };
        let mut released = 0usize;
        for (start, end) in binary_read_only(&maps, &exe.to_string_lossy()) {
            // SAFETY: the range is a mapping of this process (just read from
            // /proc/self/maps) that nothing writes to; paging a clean file
            // mapping out changes no content, the next access faults it in.
            let r = unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_PAGEOUT)
            };
            if r == 0 {
                released += end - start;
            }
        }
        tracing::debug!(
            mapped_bytes = released,
            "paged out the binary's start-up code"
        );
    }
}

/// The read-only mappings of `exe` in a `/proc/<pid>/maps` text: (start, end).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn binary_read_only<'a>(maps: &'a str, exe: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
    // "start-end perms offset dev inode      path"
    maps.lines().filter_map(move |line| {
        let mut fields = line.split_whitespace();
        let (range, perms) = (fields.next()?, fields.next()?);
        let path = &line[line.find('/')?..];
        if path != exe || perms.contains('w') {
            return None;
        }
        let (start, end) = range.split_once('-')?;
        Some((
            usize::from_str_radix(start, 16).ok()?,
            usize::from_str_radix(end, 16).ok()?,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_binarys_read_only_mappings_are_released() {
        let maps = "\
55fc6b293000-55fc6c369000 r--p 00000000 fe:00 10118572                   /opt/fovea bin/fovea
55fc6c369000-55fc6fd2a000 r-xp 010d5000 fe:00 10118572                   /opt/fovea bin/fovea
55fc6fea8000-55fc6feab000 rw-p 04a95000 fe:00 10118572                   /opt/fovea bin/fovea
55fc7763e000-55fc792cc000 rw-p 00000000 00:00 0                          [heap]
7fe98eb64000-7fe98ecba000 r-xp 00026000 fe:00 326279                     /usr/lib/x86_64-linux-gnu/libc.so.6
7fe98ecba000-7fe98ecbb000 r-xp 00026000 fe:00 326279                     /opt/fovea bin/fovea (deleted)
";
        let got: Vec<_> = binary_read_only(maps, "/opt/fovea bin/fovea").collect();
        assert_eq!(
            got,
            [
                (0x55fc6b293000, 0x55fc6c369000),
                (0x55fc6c369000, 0x55fc6fd2a000)
            ]
        );
    }

    /// The process's resident file pages, from /proc/self/status (kB).
    #[cfg(target_os = "linux")]
    fn rss_file() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("RssFile:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn releasing_the_start_up_pages_shrinks_the_resident_binary() {
        let before = rss_file();
        release_startup_pages();
        let after = rss_file();
        assert!(
            after < before,
            "RssFile {before} kB before, {after} kB after"
        );
    }
}
