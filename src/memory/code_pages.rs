//! Unmapping the program's code while it waits in the tray (Linux).
//!
//! Most of the app's resident memory is not its data but its code: the pages of the
//! binary and the shared libraries that ran since start-up, or while the window was
//! open, stay mapped for good, and the kernel maps them 64 KB around each page that
//! ran (fault-around). They are clean pages of files: the page cache holds them
//! whether or not the app maps them, shared and reclaimable. Once the app has been
//! quiet in the tray for a while, `MADV_DONTNEED` on those mappings unmaps them;
//! the pages stay in the page cache, and the code that runs next (the push
//! connection's heartbeat, a request's notification, the window) maps its pages
//! again with a minor fault each (BENCHMARKS.md has the cost).
//!
//! Only mappings that are exactly a file's contents are touched: read-only, backed
//! by a file, with no page the process changed (`Anonymous: 0 kB`: this leaves out
//! relocated data, and code a debugger or uprobe patched) and not locked. On a
//! private mapping `MADV_DONTNEED` would throw changed pages away; on these there
//! are none, so what the process sees is the same before and after. Anonymous
//! memory (the heap, where the keys and the PIN live, zeroized on drop) is never
//! touched. Not `MADV_PAGEOUT`: for a file the user may not write (an installed
//! binary is root's) it pages out only anonymous memory, which would push heap
//! pages to swap; and where it does act on files it evicts them from the page
//! cache, so they come back from disk.

// The smaps reading is used on Linux with glibc only (and tested everywhere).
#![cfg_attr(
    not(all(target_os = "linux", target_env = "gnu")),
    allow(dead_code, reason = "only the Linux (glibc) release reads smaps")
)]

use std::ops::Range;

/// What one release did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Released {
    /// Mappings unmapped.
    pub mappings: usize,
    /// Their resident pages before, in kB.
    pub resident_kb: u64,
    /// Mappings the kernel refused (`madvise` failed); left as they were.
    pub refused: usize,
}

/// One mapping of `/proc/self/smaps` that holds nothing but a file's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePages {
    pub addresses: Range<usize>,
    pub resident_kb: u64,
}

/// The mappings in `smaps` (the text of `/proc/PID/smaps`) that may be unmapped
/// without changing what the process sees: read-only, backed by a file still on
/// disk, with no changed (anonymous) page, not locked, not device memory.
pub fn clean_file_mappings(smaps: &str) -> Vec<FilePages> {
    let mut found = Vec::new();
    let mut current: Option<Mapping> = None;
    for line in smaps.lines() {
        if let Some(mapping) = Mapping::from_header(line) {
            found.extend(current.take().and_then(Mapping::into_clean));
            current = Some(mapping);
        } else if let Some(mapping) = &mut current {
            mapping.read_field(line);
        }
    }
    found.extend(current.and_then(Mapping::into_clean));
    found
}

/// A mapping as smaps describes it, while its fields are read.
struct Mapping {
    addresses: Range<usize>,
    read_only_file: bool,
    resident_kb: u64,
    /// Pages this process changed or that never came from the file; `None` until
    /// read, and a mapping whose count is unknown is left alone.
    anonymous_kb: Option<u64>,
    /// Locked (`lo`), or I/O or raw page memory (`io`, `pf`): not plain file pages.
    special: bool,
}

impl Mapping {
    /// `start-end perms offset dev inode [path]`, or `None` for a field line.
    fn from_header(line: &str) -> Option<Mapping> {
        let mut parts = line.splitn(6, ' ');
        let (start, end) = parts.next()?.split_once('-')?;
        let addresses =
            usize::from_str_radix(start, 16).ok()?..usize::from_str_radix(end, 16).ok()?;
        let perms = parts.next()?;
        let (_offset, _device, _inode) = (parts.next()?, parts.next()?, parts.next()?);
        let path = parts.next().unwrap_or_default().trim();
        let read_only_file = perms.len() == 4
            && perms.starts_with('r')
            && !perms.contains('w')
            && path.starts_with('/')
            // Devices, shared memory and unlinked files are not plain file pages.
            && !path.starts_with("/dev/")
            && !path.starts_with("/memfd:")
            && !path.starts_with("/SYSV")
            && !path.ends_with("(deleted)");
        Some(Mapping {
            addresses,
            read_only_file,
            resident_kb: 0,
            anonymous_kb: None,
            special: false,
        })
    }

    fn read_field(&mut self, line: &str) {
        let kb = |value: &str| value.split_whitespace().next()?.parse::<u64>().ok();
        if let Some(value) = line.strip_prefix("Rss:") {
            self.resident_kb = kb(value).unwrap_or_default();
        } else if let Some(value) = line.strip_prefix("Anonymous:") {
            self.anonymous_kb = kb(value);
        } else if let Some(flags) = line.strip_prefix("VmFlags:") {
            self.special = flags
                .split_whitespace()
                .any(|flag| matches!(flag, "lo" | "io" | "pf"));
        }
    }

    fn into_clean(self) -> Option<FilePages> {
        (self.read_only_file && self.anonymous_kb == Some(0) && !self.special).then_some(
            FilePages {
                addresses: self.addresses,
                resident_kb: self.resident_kb,
            },
        )
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(
    unsafe_code,
    reason = "the dynamic loader's lock and madvise have no safe wrapper"
)]
mod platform {
    use std::ops::Range;

    use super::{Released, clean_file_mappings};

    /// Reads the process's mappings and unmaps the clean file ones, all while the
    /// dynamic loader's lock is held: no library can be loaded or unloaded in
    /// between (a library unloaded and another loaded at the same addresses could
    /// otherwise have its relocated data thrown away).
    pub(in crate::memory) fn release() -> Released {
        let mut released = Released::default();
        // SAFETY: `under_loader_lock` matches dl_iterate_phdr's callback type and
        // only writes the `Released` that `data` points to, which outlives the call.
        unsafe {
            libc::dl_iterate_phdr(
                Some(under_loader_lock),
                (&raw mut released).cast::<libc::c_void>(),
            );
        }
        released
    }

    /// Called for the first loaded object, with glibc's loader lock held; returns 1
    /// to stop there (the work is for the whole process, once).
    unsafe extern "C" fn under_loader_lock(
        _object: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // A panic must not unwind into C: it is caught, and nothing is released.
        let result = std::panic::catch_unwind(unmap_clean_file_pages);
        // SAFETY: `data` is the `&mut Released` that `release` passed.
        let released = unsafe { &mut *data.cast::<Released>() };
        *released = result.unwrap_or_default();
        1
    }

    fn unmap_clean_file_pages() -> Released {
        let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
            return Released::default();
        };
        let mut released = Released::default();
        for mapping in clean_file_mappings(&smaps) {
            let Range { start, end } = mapping.addresses;
            // SAFETY: the range is one whole mapping of this process, read-only and
            // holding only the file's own pages (clean_file_mappings); MADV_DONTNEED
            // unmaps them and the next access maps the same contents again from the
            // page cache. No Rust reference into it can see a change.
            let refused = unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED)
            } != 0;
            if refused {
                released.refused += 1;
            } else {
                released.mappings += 1;
                released.resident_kb += mapping.resident_kb;
            }
        }
        released
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod platform {
    pub(in crate::memory) fn release() -> super::Released {
        super::Released::default()
    }
}

/// Unmaps the clean file pages (code, read-only data, fonts) of this process; a
/// no-op but on Linux with glibc.
pub fn release() -> Released {
    platform::release()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parts of a real smaps: the binary's code, its relocated read-only data, its
    /// writable data, the heap, a font, a locked file, a deleted file, the vDSO.
    const SMAPS: &str = "\
5581a0000000-5581a0100000 r--p 00000000 08:01 1234 /usr/bin/godkend
Rss:                 512 kB
Anonymous:             0 kB
VmFlags: rd mr mw me
5581a0100000-5581a1000000 r-xp 00100000 08:01 1234 /usr/bin/godkend
Rss:               16384 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me
5581a1000000-5581a1100000 r--p 01000000 08:01 1234 /usr/bin/godkend
Rss:                 840 kB
Anonymous:           840 kB
VmFlags: rd mr mw me ac
5581a1100000-5581a1110000 rw-p 01100000 08:01 1234 /usr/bin/godkend
Rss:                  64 kB
Anonymous:            64 kB
VmFlags: rd wr mr mw me ac
5581a2000000-5581a2400000 rw-p 00000000 00:00 0 [heap]
Rss:                 900 kB
Anonymous:           900 kB
VmFlags: rd wr mr mw me ac
7f0000000000-7f0000060000 r--s 00000000 08:01 99 /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
Rss:                 384 kB
Anonymous:             0 kB
VmFlags: rd sh mr mw me ms
7f0000100000-7f0000110000 r--p 00000000 08:01 98 /usr/lib/locked.so
Rss:                  64 kB
Anonymous:             0 kB
VmFlags: rd mr mw me lo
7f0000200000-7f0000210000 r-xp 00000000 08:01 97 /tmp/gone.so (deleted)
Rss:                  64 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me
7fff00000000-7fff00002000 r-xp 00000000 00:00 0 [vdso]
Rss:                   8 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me de
";

    #[test]
    fn only_read_only_file_pages_the_process_never_changed_are_released() {
        let clean = clean_file_mappings(SMAPS);
        assert_eq!(
            clean,
            vec![
                FilePages {
                    addresses: 0x5581_a000_0000..0x5581_a010_0000,
                    resident_kb: 512
                },
                FilePages {
                    addresses: 0x5581_a010_0000..0x5581_a100_0000,
                    resident_kb: 16384
                },
                FilePages {
                    addresses: 0x7f00_0000_0000..0x7f00_0006_0000,
                    resident_kb: 384
                },
            ],
            "the relocated data, writable data, heap, locked and deleted files and \
             the vDSO stay"
        );
    }

    #[test]
    fn a_mapping_whose_changed_pages_are_not_known_stays() {
        let no_anonymous_field = "\
5581a0100000-5581a1000000 r-xp 00100000 08:01 1234 /usr/bin/godkend
Rss:               16384 kB
VmFlags: rd ex mr mw me
";
        assert!(clean_file_mappings(no_anonymous_field).is_empty());
        assert!(clean_file_mappings("not smaps at all\n").is_empty());
    }

    /// Read-only data of the test binary, read before and after a release.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(clippy::cast_possible_truncation, reason = "i % 251 fits a byte")]
    static TABLE: [u8; 4096] = {
        let mut table = [0u8; 4096];
        let mut i = 0;
        while i < table.len() {
            table[i] = (i % 251) as u8;
            i += 1;
        }
        table
    };

    /// On the test process itself: its code is unmapped while it runs, and it runs
    /// on (the pages come back on the next access), reading the same bytes.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn releasing_the_running_process_code_keeps_it_running_with_the_same_code() {
        let sum = |bytes: &[u8]| bytes.iter().map(|b| u64::from(*b)).sum::<u64>();
        let before = sum(std::hint::black_box(&TABLE));
        let released = release();
        assert!(released.mappings > 0, "nothing was released: {released:?}");
        assert!(released.resident_kb > 0, "{released:?}");
        assert_eq!(released.refused, 0, "{released:?}");
        assert_eq!(sum(std::hint::black_box(&TABLE)), before);
        // And again: what came back is clean file pages again.
        assert!(release().mappings > 0);
    }
}
