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
    /// code was wrong once too often, or it expired. `None` when the request may
    /// still be pending (a wrong PIN, a wrong code with tries left), when the
    /// refusal is about the device, and when it is "not pending" without saying why
    /// (the server's close event or the next poll gives the reason).
    pub fn standing(&self) -> Option<Standing> {
        match self.code {
            Some(ErrorCode::CodeMismatch) if self.attempts_left == Some(0) => {
                Some(Standing::Failed)
            }
            Some(ErrorCode::RequestExpired) => Some(Standing::Expired),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(code: ErrorCode, attempts_left: Option<u32>) -> Refusal {
        Refusal {
            code: Some(code),
            attempts_left,
            device_status: None,
            reason: String::new(),
        }
    }

    #[test]
    fn a_refusal_says_how_the_request_stands_only_when_it_knows() {
        let failed = refusal(ErrorCode::CodeMismatch, Some(0));
        assert_eq!(failed.standing(), Some(Standing::Failed));
        assert_eq!(refusal(ErrorCode::CodeMismatch, Some(2)).standing(), None);
        assert_eq!(
            refusal(ErrorCode::RequestExpired, None).standing(),
            Some(Standing::Expired)
        );
        // "Not pending" does not say why; "conflict" is this device's own earlier
        // decision: neither is "decided on another device".
        assert_eq!(refusal(ErrorCode::RequestNotPending, None).standing(), None);
        assert_eq!(refusal(ErrorCode::DecisionConflict, None).standing(), None);
        assert_eq!(refusal(ErrorCode::WrongPin, Some(3)).standing(), None);
    }
}
