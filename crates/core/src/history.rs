//! The local activity log: what was asked and what became of it, newest first,
//! capped so it never grows without bound. A small JSON file under the data dir,
//! written atomically. It holds summaries only (who asked, what kind, the title,
//! the outcome): never codes, keys or signatures.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::client::VerifiedRequest;

/// Entries kept; older ones are pruned.
pub const MAX_ENTRIES: usize = 500;

/// What became of a request, as this device saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pending,
    Approved,
    Denied,
    NotMe,
    /// Decided on another of the user's devices.
    Withdrawn,
    Superseded,
    Expired,
    /// The code was wrong too many times.
    Failed,
}

/// One line of the activity screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub request_id: String,
    pub rp_name: String,
    pub kind: godkend_protocol::messages::RequestKind,
    pub title: String,
    /// Server time the request was made.
    pub requested_at: i64,
    pub outcome: Outcome,
    /// Server time of the last change.
    pub updated_at: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    entries: Vec<Entry>,
}

/// Why the history could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot write the activity log {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// The activity log file.
#[derive(Debug)]
pub struct History {
    path: PathBuf,
    entries: Vec<Entry>,
}

impl History {
    /// The default location under the data dir.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("dev", "Godkend", "Godkend")
            .map(|d| d.data_dir().join("history.json"))
    }

    /// Opens the log. A missing or unreadable file starts an empty log (the log is a
    /// convenience, not a security record: the server keeps the audit trail).
    pub fn open(path: &Path) -> Self {
        let entries = std::fs::read(path)
            .ok()
            .and_then(|bytes| match serde_json::from_slice::<File>(&bytes) {
                Ok(file) => Some(file.entries),
                Err(e) => {
                    tracing::warn!(error = %e, "the activity log is unreadable; starting a new one");
                    None
                }
            })
            .unwrap_or_default();
        History {
            path: path.to_owned(),
            entries,
        }
    }

    /// Newest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Records a request as pending (or leaves a known one alone).
    pub fn record_request(&mut self, request: &VerifiedRequest) -> Result<(), HistoryError> {
        let r = &request.request;
        if self.entries.iter().any(|e| e.request_id == r.request_id) {
            return Ok(());
        }
        self.entries.insert(
            0,
            Entry {
                request_id: r.request_id.clone(),
                rp_name: r.rp_name.clone(),
                kind: r.kind,
                title: r.title.clone(),
                requested_at: r.iat,
                outcome: Outcome::Pending,
                updated_at: r.iat,
            },
        );
        self.entries.truncate(MAX_ENTRIES);
        self.save()
    }

    /// Sets the outcome of a known request; unknown ids are ignored.
    pub fn set_outcome(
        &mut self,
        request_id: &str,
        outcome: Outcome,
        at: i64,
    ) -> Result<(), HistoryError> {
        let Some(entry) = self.entries.iter_mut().find(|e| e.request_id == request_id) else {
            return Ok(());
        };
        entry.outcome = outcome;
        entry.updated_at = at;
        self.save()
    }

    /// Deletes the log file (revoke/wipe).
    pub fn wipe(self) -> std::io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn save(&self) -> Result<(), HistoryError> {
        let err = |source| HistoryError::Write {
            path: self.path.display().to_string(),
            source,
        };
        let file = File {
            version: 1,
            entries: self.entries.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| err(std::io::Error::other(e)))?;
        crate::files::write_private(&self.path, &bytes).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use godkend_protocol::messages::RequestKind;

    fn request(id: &str, iat: i64) -> VerifiedRequest {
        crate::test_support::signed_request(id, iat, RequestKind::Payment, "secret-ish details")
    }

    #[test]
    fn newest_first_outcomes_persist_and_the_log_is_capped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        let mut history = History::open(&path);
        for i in 0..(MAX_ENTRIES + 5) {
            let iat = 1000 + i64::try_from(i).unwrap();
            history
                .record_request(&request(&format!("r{i}"), iat))
                .unwrap();
        }
        history.record_request(&request("r3", 0)).unwrap(); // already pruned: comes back as new
        history
            .set_outcome(&format!("r{}", MAX_ENTRIES + 4), Outcome::Approved, 5000)
            .unwrap();
        let reopened = History::open(&path);
        assert_eq!(reopened.entries().len(), MAX_ENTRIES);
        assert_eq!(reopened.entries()[0].request_id, "r3");
        assert_eq!(reopened.entries()[1].outcome, Outcome::Approved);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("secret-ish details"),
            "the message text is not kept"
        );
    }

    #[test]
    fn a_damaged_file_starts_a_new_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        std::fs::write(&path, b"{not json").unwrap();
        let mut history = History::open(&path);
        assert!(history.entries().is_empty());
        history.record_request(&request("a", 1)).unwrap();
        assert_eq!(History::open(&path).entries().len(), 1);
        History::open(&path).wipe().unwrap();
        assert!(!path.exists());
    }
}
