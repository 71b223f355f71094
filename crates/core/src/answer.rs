//! What became of one decision this device sent: the one vocabulary the agent, the
//! request screen and the terminal use for the server's answer. It is made from the
//! outbox's [`Delivery`] in one place, and it is `Clone` so a GUI message can carry
//! it (a [`CoreError`] is not).

use godkend_protocol::{Envelope, ErrorCode};

use crate::CoreError;
use crate::outbox::Delivery;
use crate::standing::Standing;

/// The server's answer to a decision, or why none came.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Accepted: the request now stands as the server says.
    Accepted(Standing),
    /// No final answer (offline, "try again later"): the decision waits in the
    /// outbox and is sent again until its request's deadline.
    Kept(String),
    /// A final refusal: the decision left the outbox.
    Refused(Refusal),
    /// No final answer before the request's deadline: the server can no longer take
    /// it, so it left the outbox.
    Lapsed(String),
    /// Not sent: signing it or writing the outbox failed here.
    NotSent(String),
}

/// A final refusal, with what the problem said.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: Option<ErrorCode>,
    pub attempts_left: Option<u32>,
    /// The signed status of this device, when it was blocked or revoked.
    pub device_status: Option<Envelope>,
    /// The problem's words, for the user.
    pub reason: String,
}

impl Refusal {
    fn from_error(error: &CoreError) -> Self {
        let problem = error.problem();
        Refusal {
            code: error.code(),
            attempts_left: problem.and_then(|p| p.attempts_left),
            device_status: problem.and_then(|p| p.device_status.clone()),
            reason: error.to_string(),
        }
    }

    /// Where the request stands after this refusal, when the refusal says: the
    /// code was wrong once too often, it expired, or it was decided elsewhere.
    /// `None` when the request may still be pending (a wrong PIN, a wrong code with
    /// tries left) or the refusal is about the device.
    pub fn standing(&self) -> Option<Standing> {
        match self.code {
            Some(ErrorCode::CodeMismatch) if self.attempts_left == Some(0) => {
                Some(Standing::Failed)
            }
            Some(ErrorCode::RequestExpired) => Some(Standing::Expired),
            Some(ErrorCode::RequestNotPending | ErrorCode::DecisionConflict) => {
                Some(Standing::Withdrawn)
            }
            _ => None,
        }
    }
}

impl Answer {
    /// Where the request stands after this answer, when it says.
    pub fn standing(&self) -> Option<Standing> {
        match self {
            Answer::Accepted(standing) => Some(*standing),
            Answer::Refused(refusal) => refusal.standing(),
            Answer::Lapsed(_) => Some(Standing::Expired),
            Answer::Kept(_) | Answer::NotSent(_) => None,
        }
    }
}

impl From<Delivery> for Answer {
    fn from(delivery: Delivery) -> Self {
        match delivery {
            Delivery::Accepted(answer) => Answer::Accepted(answer.status.into()),
            Delivery::Refused(error) => Answer::Refused(Refusal::from_error(&error)),
            Delivery::Kept(error) => Answer::Kept(error.to_string()),
            Delivery::Lapsed(error) => Answer::Lapsed(error.to_string()),
        }
    }
}
