//! What the listener answers: one HTTP status and a short JSON body per outcome, so
//! `godkend.js` (when the browser lets it read the answer) and a person with curl can
//! tell each case apart.

use hyper::StatusCode;

use super::binding::HandoffOutcome;

/// Why a hand-off was not taken. None of these touches the binding book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    WrongPath,
    WrongMethod,
    WrongHost,
    MissingOrigin,
    BadOrigin,
    WrongContentType,
    BodyTooLarge,
    UnreadableBody,
    BadRequestId,
    TooMany,
    OtherUser,
    UnknownPeer,
}

impl Refusal {
    pub(super) fn status(self) -> StatusCode {
        match self {
            Refusal::WrongPath => StatusCode::NOT_FOUND,
            Refusal::WrongMethod => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::WrongHost
            | Refusal::MissingOrigin
            | Refusal::BadOrigin
            | Refusal::UnreadableBody
            | Refusal::BadRequestId => StatusCode::BAD_REQUEST,
            Refusal::WrongContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Refusal::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::TooMany => StatusCode::TOO_MANY_REQUESTS,
            Refusal::OtherUser | Refusal::UnknownPeer => StatusCode::FORBIDDEN,
        }
    }

    pub(super) fn code(self) -> &'static str {
        match self {
            Refusal::WrongPath => "not_found",
            Refusal::WrongMethod => "method_not_allowed",
            Refusal::WrongHost => "wrong_host",
            Refusal::MissingOrigin => "missing_origin",
            Refusal::BadOrigin => "bad_origin",
            Refusal::WrongContentType => "wrong_content_type",
            Refusal::BodyTooLarge => "body_too_large",
            Refusal::UnreadableBody => "unreadable_body",
            Refusal::BadRequestId => "bad_request_id",
            Refusal::TooMany => "too_many",
            Refusal::OtherUser => "other_user",
            Refusal::UnknownPeer => "unknown_peer",
        }
    }

    pub(super) fn message(self) -> &'static str {
        match self {
            Refusal::WrongPath => "the only path here is POST /v1/handoff",
            Refusal::WrongMethod => "only POST is answered",
            Refusal::WrongHost => "Host must be 127.0.0.1 with this listener's port",
            Refusal::MissingOrigin => "a hand-off needs the browser's Origin header",
            Refusal::BadOrigin => "Origin must be an http or https origin",
            Refusal::WrongContentType => "the body must be text/plain",
            Refusal::BodyTooLarge => "the body holds only a request id",
            Refusal::UnreadableBody => "the body could not be read as text",
            Refusal::BadRequestId => "the body is not a request id",
            Refusal::TooMany => "too many hand-offs: try again in a second",
            Refusal::OtherUser => "the connection is not from this computer user's programs",
            Refusal::UnknownPeer => "the connection's owner could not be checked",
        }
    }
}

/// The status and body code of a hand-off the book took.
pub(super) fn taken(outcome: &HandoffOutcome) -> (StatusCode, &'static str) {
    match outcome {
        HandoffOutcome::Verified => (StatusCode::OK, "verified"),
        HandoffOutcome::Mismatch => (StatusCode::FORBIDDEN, "mismatch"),
        HandoffOutcome::AlreadyMismatched => (StatusCode::CONFLICT, "already_mismatched"),
        HandoffOutcome::Unbound => (StatusCode::UNPROCESSABLE_ENTITY, "unbound"),
        HandoffOutcome::Held => (StatusCode::ACCEPTED, "held"),
        HandoffOutcome::HeldFull => (StatusCode::TOO_MANY_REQUESTS, "held_full"),
        HandoffOutcome::NotPending => (StatusCode::GONE, "not_pending"),
    }
}
