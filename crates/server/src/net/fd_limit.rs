//! The open-file limit: every connection holds a descriptor, so the server raises
//! its soft `RLIMIT_NOFILE` to the hard limit at start and sizes its connection cap
//! to what is left after the database, log and outgoing calls.

/// Raises the soft open-file limit to the hard one; returns the soft limit now in
/// force, or `None` where the platform has no such limit.
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        use rlimit::Resource;
        let (soft, hard) = match Resource::NOFILE.get() {
            Ok(limits) => limits,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the open-file limit");
                return None;
            }
        };
        if soft < hard
            && let Err(e) = Resource::NOFILE.set(hard, hard)
        {
            tracing::warn!(error = %e, soft, hard, "cannot raise the open-file limit");
            return Some(soft);
        }
        let now = Resource::NOFILE.get().map_or(soft, |(s, _)| s);
        tracing::info!(soft_before = soft, hard, soft = now, "open-file limit");
        Some(now)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Descriptors kept free for everything but client connections.
pub fn reserved(limit: u64) -> u64 {
    (limit / 8).clamp(32, 1024)
}

/// The connection cap that fits under `limit` open files.
pub fn connection_cap(wanted: usize, limit: Option<u64>) -> usize {
    let Some(limit) = limit else { return wanted };
    let room = usize::try_from(limit.saturating_sub(reserved(limit))).unwrap_or(usize::MAX);
    wanted.min(room.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_leaves_room_for_the_database_and_logs() {
        assert_eq!(connection_cap(16_384, Some(1_048_576)), 16_384);
        assert_eq!(connection_cap(16_384, Some(1024)), 1024 - 128);
        assert_eq!(connection_cap(16_384, Some(256)), 256 - 32);
        assert_eq!(connection_cap(100, None), 100);
    }
}
