//! Where a request stands on this device: the one vocabulary the inbox, the activity
//! log, the agent's notices, the screens and the terminal share. The wire has two
//! views of the same thing (a request's `RequestState` in answers, a `CloseReason` in
//! `request_closed` events); each maps here once, in this file.

use godkend_protocol::messages::{CloseReason, DecisionKind, RequestState};
use serde::{Deserialize, Serialize};

/// Where a request stands on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub enum Standing {
    Pending,
    Superseded,
    /// Decided on another of the user's devices.
    Withdrawn,
    Expired,
    /// Decided on this device.
    Decided(DecisionKind),
    /// Failed at the server: the code was typed wrong too many times, or the user's
    /// last device ended.
    Failed,
}

impl Standing {
    /// Whether nothing more can be decided.
    pub fn is_closed(self) -> bool {
        self != Standing::Pending
    }
}

impl From<CloseReason> for Standing {
    fn from(reason: CloseReason) -> Self {
        match reason {
            // A reason newer than this build is still a close by the server; the
            // nearest standing is "decided elsewhere" (never "decided here").
            CloseReason::Withdrawn | CloseReason::Unknown => Standing::Withdrawn,
            CloseReason::Superseded => Standing::Superseded,
            CloseReason::Expired => Standing::Expired,
            CloseReason::Failed => Standing::Failed,
        }
    }
}

impl From<RequestState> for Standing {
    fn from(state: RequestState) -> Self {
        match state {
            RequestState::Pending => Standing::Pending,
            RequestState::Approved => Standing::Decided(DecisionKind::Approve),
            RequestState::Denied => Standing::Decided(DecisionKind::Deny),
            RequestState::NotMe => Standing::Decided(DecisionKind::NotMe),
            RequestState::Expired => Standing::Expired,
            RequestState::Superseded => Standing::Superseded,
            RequestState::Failed => Standing::Failed,
        }
    }
}

/// How a standing is written in the activity log file (its names predate this type
/// and stay, so older logs read unchanged).
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Stored {
    Pending,
    Approved,
    Denied,
    NotMe,
    Withdrawn,
    Superseded,
    Expired,
    Failed,
}

impl From<Standing> for Stored {
    fn from(standing: Standing) -> Self {
        match standing {
            Standing::Pending => Stored::Pending,
            Standing::Decided(DecisionKind::Approve) => Stored::Approved,
            Standing::Decided(DecisionKind::Deny) => Stored::Denied,
            Standing::Decided(DecisionKind::NotMe) => Stored::NotMe,
            Standing::Withdrawn => Stored::Withdrawn,
            Standing::Superseded => Stored::Superseded,
            Standing::Expired => Stored::Expired,
            Standing::Failed => Stored::Failed,
        }
    }
}

impl From<Stored> for Standing {
    fn from(stored: Stored) -> Self {
        match stored {
            Stored::Pending => Standing::Pending,
            Stored::Approved => Standing::Decided(DecisionKind::Approve),
            Stored::Denied => Standing::Decided(DecisionKind::Deny),
            Stored::NotMe => Standing::Decided(DecisionKind::NotMe),
            Stored::Withdrawn => Standing::Withdrawn,
            Stored::Superseded => Standing::Superseded,
            Stored::Expired => Standing::Expired,
            Stored::Failed => Standing::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_its_old_names() {
        let written =
            serde_json::to_string(&[Standing::Decided(DecisionKind::NotMe), Standing::Withdrawn])
                .unwrap();
        assert_eq!(written, r#"["not_me","withdrawn"]"#);
        let read: Vec<Standing> = serde_json::from_str(r#"["approved","failed"]"#).unwrap();
        assert_eq!(
            read,
            [Standing::Decided(DecisionKind::Approve), Standing::Failed]
        );
    }

    #[test]
    fn an_unknown_close_reason_never_reads_as_decided_here() {
        assert_eq!(Standing::from(CloseReason::Unknown), Standing::Withdrawn);
        assert_eq!(Standing::from(CloseReason::Failed), Standing::Failed);
    }
}
