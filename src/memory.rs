//! The app's memory between uses (issue 13: < 15 MB in the tray, and back under it
//! once the window closes). The app waits for hours and works for seconds, so what
//! matters is what it keeps while it waits, not how fast it allocates.
//!
//! With glibc's malloc (Linux, `target_env = "gnu"`) two settings and one call:
//! - one arena per two threads at most (`M_ARENA_MAX`): glibc otherwise gives each
//!   thread that allocates (the runtime's workers, the tray's and each
//!   notification's D-Bus thread, the single-instance listener) an arena of its own,
//!   up to eight per core, and memory freed in one arena is never reused by another;
//! - a fixed mmap threshold (`M_MMAP_THRESHOLD`): the window's pixel buffers (a few
//!   MB each) then always get their own mapping, returned to the OS when freed.
//!   glibc otherwise raises the threshold after the first such buffer is freed, and
//!   the next ones land in the heap, where they stay after the window closes;
//! - `malloc_trim(0)` after the window closes: hands the pages freed by the window
//!   (its renderer, accessibility tree, decoded icons) back to the OS, in every
//!   arena, not only at the top of the heap.
//!
//! Elsewhere (Windows, macOS, musl) the allocator returns memory by itself and these
//! are no-ops.
//!
//! And, once the app has been quiet in the tray for a while, its code: the pages of
//! the binary and libraries that start-up or the window ran stay mapped otherwise
//! (code_pages.rs says why that is safe and what it costs).

mod code_pages;

pub use code_pages::Released;

/// Tunes the allocator. Called first thing in `main`, before any thread starts (an
/// arena limit set later does not apply to arenas already made).
pub fn tune_at_start() {
    platform::tune_at_start();
}

/// Gives the memory freed since the last call back to the OS, where the allocator
/// keeps it otherwise. Cheap enough for once per closed window.
pub fn release_free_memory() {
    platform::release_free_memory();
}

/// Unmaps the code and read-only data of the binary and libraries (and mapped
/// fonts), which the page cache keeps; what runs next maps its pages again. For
/// when the app has been quiet in the tray for a while: never while the window is
/// open. Linux with glibc only; elsewhere it does nothing.
pub fn release_code_pages() -> Released {
    code_pages::release()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code, reason = "glibc's malloc settings have no safe wrapper")]
mod platform {
    /// Arenas at most: the UI thread and one for every other thread together.
    const ARENA_MAX: libc::c_int = 2;
    /// Allocations from this size on get their own mapping (glibc's starting value,
    /// kept fixed).
    const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

    pub(super) fn tune_at_start() {
        // SAFETY: mallopt only changes glibc's allocator settings; both values are in
        // the ranges glibc documents (mallopt(3)). It returns 0 on a rejected value,
        // which leaves glibc's default: nothing to undo.
        let set = unsafe {
            libc::mallopt(libc::M_ARENA_MAX, ARENA_MAX)
                & libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        };
        if set == 0 {
            tracing::debug!("glibc refused a malloc setting; its default stays");
        }
    }

    pub(super) fn release_free_memory() {
        // SAFETY: malloc_trim takes the allocator's own locks and only releases pages
        // that hold no allocation (malloc_trim(3)); any thread may call it at any time.
        let released = unsafe { libc::malloc_trim(0) };
        tracing::debug!(
            released = released != 0,
            "free memory handed back to the OS"
        );
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod platform {
    pub(super) fn tune_at_start() {}

    pub(super) fn release_free_memory() {}
}
