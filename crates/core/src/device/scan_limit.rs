//! The failed-scan count, kept in the device's data directory so that quitting the
//! app does not lift a suspension (5 non-matching scans, NIST SP 800-63B §5.2.3).
//! It goes with the device's data on a wipe. Whoever can write this file can reset
//! it, but such a person can also read the keyring that holds the Linux key, so the
//! file protects against fingers at the keyboard, not against the user's account.

use crate::device::Device;
use crate::uv::UvError;
use crate::uv::suspension::ScanLimit;

impl Device {
    /// The count as stored; a missing file is no failures, an unreadable one counts
    /// as suspended (only the PIN, which the server checks, lifts it).
    pub fn scan_limit(&self) -> ScanLimit {
        match std::fs::read(self.paths.scan_limit_file()) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "the scan count is unreadable: biometrics suspended");
                ScanLimit::suspended()
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ScanLimit::default(),
            Err(e) => {
                tracing::warn!(error = %e, "the scan count cannot be read: biometrics suspended");
                ScanLimit::suspended()
            }
        }
    }

    /// Records how a biometric check ended (`Ok` for a match) and returns the count.
    pub fn record_scan(&self, outcome: Result<(), &UvError>) -> ScanLimit {
        self.update_scan_limit(|limit| match outcome {
            Ok(()) => limit.record_match(),
            Err(error) => limit.record_failure(error),
        })
    }

    /// The server accepted the PIN: biometrics are offered again.
    pub fn record_pin_proved(&self) -> ScanLimit {
        self.update_scan_limit(ScanLimit::record_pin_unlock)
    }

    fn update_scan_limit(&self, change: impl FnOnce(&mut ScanLimit)) -> ScanLimit {
        let before = self.scan_limit();
        let mut limit = before;
        change(&mut limit);
        if limit != before {
            let saved = serde_json::to_vec(&limit)
                .map_err(std::io::Error::other)
                .and_then(|bytes| {
                    crate::files::write_private(&self.paths.scan_limit_file(), &bytes)
                });
            if let Err(e) = saved {
                // Kept for this run by the caller; a restart may forget this scan.
                tracing::warn!(error = %e, "could not save the scan count");
            }
        }
        limit
    }
}
