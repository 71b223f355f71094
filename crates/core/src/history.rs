//! The local activity log: what was asked and what became of it, newest first,
//! capped so it never grows without bound. A small JSON file under the data dir,
//! written atomically. It holds summaries only (who asked, what kind, the title,
//! the amount, the outcome): never the message text, codes, keys or signatures.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use godkend_protocol::messages::Amount;

use crate::inbox::{Change, Inbox};
use crate::push::VerifiedRequest;
use crate::standing::Standing;

/// Entries kept; older ones are pruned.
pub const MAX_ENTRIES: usize = 500;

/// One line of the activity screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub request_id: String,
    pub rp_name: String,
    pub kind: godkend_protocol::messages::RequestKind,
    pub title: String,
    /// A payment's amount: the one detail besides the title that tells two requests
    /// from the same shop apart. Absent in logs written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// Server time the request was made.
    pub requested_at: i64,
    pub outcome: Standing,
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
    /// `None` for a log kept in memory only (the terminal stand-in saves nothing).
    path: Option<PathBuf>,
    entries: Vec<Entry>,
}

impl History {
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
            path: Some(path.to_owned()),
            entries,
        }
    }

    /// A log that lives only as long as the process.
    pub fn in_memory() -> Self {
        History {
            path: None,
            entries: Vec::new(),
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
                amount: r.amount.clone(),
                requested_at: r.iat,
                outcome: Standing::Pending,
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
        outcome: Standing,
        at: i64,
    ) -> Result<(), HistoryError> {
        let Some(entry) = self.entries.iter_mut().find(|e| e.request_id == request_id) else {
            return Ok(());
        };
        entry.outcome = outcome;
        entry.updated_at = at;
        self.save()
    }

    /// Follows the inbox: a new request is recorded as pending, a closed one gets
    /// its outcome, at server time `at`. Every change is tried; the first write
    /// error is returned.
    pub fn follow(
        &mut self,
        inbox: &Inbox,
        changes: &[Change],
        at: i64,
    ) -> Result<(), HistoryError> {
        let mut first_error = None;
        for change in changes {
            let written = match change {
                Change::New(id) => match inbox.get(id) {
                    Some(tracked) => self.record_request(&tracked.request),
                    None => Ok(()),
                },
                Change::Closed(id, standing) => self.set_outcome(id, *standing, at),
            };
            if let Err(e) = written {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Deletes the log file (revoke/wipe).
    pub fn wipe(self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn save(&self) -> Result<(), HistoryError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let err = |source| HistoryError::Write {
            path: path.display().to_string(),
            source,
        };
        let file = File {
            version: 1,
            entries: self.entries.clone(),
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| err(std::io::Error::other(e)))?;
        crate::files::write_private(path, &bytes).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use godkend_protocol::messages::{DecisionKind, RequestKind};

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
            .set_outcome(
                &format!("r{}", MAX_ENTRIES + 4),
                Standing::Decided(DecisionKind::Approve),
                5000,
            )
            .unwrap();
        let reopened = History::open(&path);
        assert_eq!(reopened.entries().len(), MAX_ENTRIES);
        assert_eq!(reopened.entries()[0].request_id, "r3");
        assert_eq!(
            reopened.entries()[1].outcome,
            Standing::Decided(DecisionKind::Approve)
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("secret-ish details"),
            "the message text is not kept"
        );
    }

    #[test]
    fn an_amount_is_kept_and_an_older_log_without_one_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        let mut paying = request("p", 10);
        paying.request.amount = Some(Amount {
            value: "1250.00".into(),
            currency: "DKK".into(),
        });
        let mut history = History::open(&path);
        history.record_request(&paying).unwrap();
        let kept = History::open(&path).entries()[0].amount.clone();
        assert_eq!(kept.map(|a| a.value), Some("1250.00".into()));

        let older = r#"{"version":1,"entries":[{"request_id":"o","rp_name":"Shop",
            "kind":"login","title":"Sign in","requested_at":1,"outcome":"denied",
            "updated_at":2}]}"#;
        std::fs::write(&path, older).unwrap();
        let history = History::open(&path);
        assert_eq!(history.entries().len(), 1);
        assert_eq!(history.entries()[0].amount, None);
        assert_eq!(
            history.entries()[0].outcome,
            Standing::Decided(DecisionKind::Deny)
        );
    }

    #[test]
    fn unknown_ids_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        let mut history = History::open(&path);
        history
            .set_outcome("nobody", Standing::Decided(DecisionKind::Approve), 5)
            .unwrap();
        assert!(history.entries().is_empty());
        assert!(!path.exists(), "nothing to record, nothing written");
    }

    #[test]
    fn the_log_follows_the_inbox_from_arrival_to_outcome() {
        use crate::connection::PushUpdate;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        let mut history = History::open(&path);
        let mut inbox = Inbox::default();
        let changes = inbox.apply(&PushUpdate::Polled(vec![request("a", 100)]), 100);
        history.follow(&inbox, &changes, 100).unwrap();
        assert_eq!(history.entries()[0].outcome, Standing::Pending);

        // A newer request replaces it; then this device denies the newer one.
        let changes = inbox.apply(&PushUpdate::Polled(vec![request("b", 110)]), 110);
        history.follow(&inbox, &changes, 110).unwrap();
        let changes = inbox.decided("b", DecisionKind::Deny);
        history.follow(&inbox, &changes, 115).unwrap();

        let reopened = History::open(&path);
        let outcomes: Vec<_> = reopened
            .entries()
            .iter()
            .map(|e| (e.request_id.as_str(), e.outcome, e.updated_at))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("b", Standing::Decided(DecisionKind::Deny), 115),
                ("a", Standing::Superseded, 110)
            ]
        );
    }

    #[test]
    fn a_change_about_a_request_the_inbox_forgot_records_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.json");
        let mut history = History::open(&path);
        let changes = [
            Change::New("gone".into()),
            Change::Closed("never-seen".into(), Standing::Expired),
        ];
        history.follow(&Inbox::default(), &changes, 5).unwrap();
        assert!(history.entries().is_empty());
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
