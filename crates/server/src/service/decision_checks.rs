//! The checks of a decision that need no key and no database: whether its request is
//! still pending, whether it matches that request and was made in time, and whether
//! its origin lets it be approved. `decision.rs` runs them inside its transaction.

use godkend_protocol::messages::{
    ApprovalRequest, Decision, DecisionKind, OriginBinding, RequestState,
};
use godkend_protocol::rules::{self, OriginVerdict};
use godkend_protocol::{Envelope, ErrorCode, Problem};

use crate::store::{DeviceRow, RequestRow};

/// One decision and everything it is judged against.
pub(super) struct Case<'a> {
    pub(super) device: &'a DeviceRow,
    pub(super) row: &'a RequestRow,
    pub(super) request: &'a ApprovalRequest,
    pub(super) envelope: &'a Envelope,
    pub(super) decision: &'a Decision,
    pub(super) hash: &'a str,
    pub(super) ip: Option<String>,
}

/// The checks that need no keys: the request is still pending, the decision matches
/// it and was signed over it, and the timing rule holds.
pub(super) fn precheck(case: &Case<'_>, verdict: OriginVerdict, now: i64) -> Option<Problem> {
    let state = case.row.state();
    if state != RequestState::Pending {
        if case.row.decided_device_id.as_deref() == Some(case.device.id.as_str()) {
            return Some(Problem::new(
                ErrorCode::DecisionConflict,
                "this request was already decided on this device",
            ));
        }
        let why = match state {
            RequestState::Approved | RequestState::Denied | RequestState::NotMe => {
                "it was decided on another device"
            }
            RequestState::Expired => "it expired",
            RequestState::Superseded => "a newer request replaced it",
            RequestState::Failed | RequestState::Pending => "it failed",
        };
        return Some(
            Problem::new(
                ErrorCode::RequestNotPending,
                "this request is no longer pending",
            )
            .with_detail(why),
        );
    }
    // An approval from a mismatched origin is refused as such (`origin_refusal`),
    // whatever its code, so its code is not judged here.
    let mismatched_approval =
        case.decision.decision == DecisionKind::Approve && verdict == OriginVerdict::Mismatch;
    if !rules::decision_names_request(case.decision, case.request)
        || !(mismatched_approval || rules::decision_code_ok(case.decision, case.request))
    {
        return Some(
            Problem::new(
                ErrorCode::BadRequest,
                "the decision does not match the request",
            )
            .with_detail(
                "request id, nonce or code format differ, or an approval without a code \
                 lacks a hand-off from one of the relying party's origins",
            ),
        );
    }
    if case.decision.request_hash != case.row.request_hash {
        return Some(Problem::new(
            ErrorCode::BadRequest,
            "the decision was made over a different request",
        ));
    }
    if rules::check_decision_timing(case.request, case.decision.iat, now).is_err() {
        return Some(Problem::new(
            ErrorCode::RequestExpired,
            "this request has expired",
        ));
    }
    None
}

/// Why an approval is refused for its origin, before the PIN or the code is looked at
/// (PROTOCOL.md §7.3): a hand-off from another origin, now or earlier (sticky), or
/// none under `required`.
pub(super) fn origin_refusal(
    case: &Case<'_>,
    verdict: OriginVerdict,
    row: &RequestRow,
) -> Option<Problem> {
    if let Some(seen) = &row.phishing_origin {
        return Some(
            Problem::new(
                ErrorCode::OriginMismatch,
                "this sign-in was started on a site that is not the relying party's; it \
                 cannot be approved",
            )
            .with_detail(format!(
                "handed off from {seen}, not from one of {}",
                case.request.rp_origins.join(", ")
            )),
        );
    }
    if verdict == OriginVerdict::Absent && case.request.origin_binding == OriginBinding::Required {
        return Some(Problem::new(
            ErrorCode::OriginRequired,
            "this request can only be approved after the relying party's page in your \
             browser on this computer handed it to the app",
        ));
    }
    None
}
