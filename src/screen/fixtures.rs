//! Requests and activity shared by the screens' tests and the screenshot gallery:
//! no keyring, no network.

use godkend_core::DeviceKey;
use godkend_core::history::Entry;
use godkend_core::push::VerifiedRequest;
use godkend_core::standing::Standing;
use godkend_protocol::Envelope;
use godkend_protocol::messages::{
    Amount, ApprovalRequest, DecisionKind, RequestContext, RequestKind, UserVerification,
};

/// When the test request was made (server time): 2026-11-27 12:00 UTC.
pub const IAT: i64 = 1_795_780_800;

/// A payment request from "Shop" for alice, signed by a fixed key (the server's,
/// as far as these tests go), valid for two minutes.
pub fn payment_request() -> VerifiedRequest {
    seal(ApprovalRequest {
        iat: IAT,
        exp: IAT + 120,
        request_id: "r1".into(),
        nonce: "n".into(),
        user: "alice".into(),
        rp_id: "shop".into(),
        rp_name: "Shop".into(),
        kind: RequestKind::Payment,
        title: "Pay for your order".into(),
        message: "Order 1042".into(),
        amount: Some(amount("1250.00")),
        payee: Some("Shop ApS".into()),
        context: RequestContext {
            ip: Some("192.0.2.7".into()),
            location: Some("Aarhus, Denmark".into()),
            user_agent: Some("Firefox on Linux".into()),
        },
        code_length: 6,
        user_verification: UserVerification::Any,
        origin_binding: godkend_protocol::messages::OriginBinding::default(),
        rp_origins: Vec::new(),
    })
}

/// A sign-in request from "Intranet", without amount or payee.
pub fn login_request() -> VerifiedRequest {
    let mut request = payment_request().request;
    request.request_id = "r2".into();
    request.rp_id = "intranet".into();
    request.rp_name = "Intranet".into();
    request.kind = RequestKind::Login;
    request.title = "Sign in to the intranet".into();
    request.message = "From a new browser".into();
    request.amount = None;
    request.payee = None;
    seal(request)
}

fn seal(request: ApprovalRequest) -> VerifiedRequest {
    let key = DeviceKey::from_seed(&[1; 32]);
    let envelope = Envelope::seal(&request, &[key.signing_key()]).expect("a test request seals");
    VerifiedRequest {
        hash: envelope.payload_hash().expect("hashable"),
        envelope,
        request,
        handed_off: None,
    }
}

fn amount(value: &str) -> Amount {
    Amount {
        value: value.into(),
        currency: "DKK".into(),
    }
}

/// An activity log with one entry of each outcome, newest first, the newest made
/// `IAT`; shown at server time `IAT + 60`.
pub fn history() -> Vec<Entry> {
    let entry = |id: &str, rp: &str, kind, title: &str, ago: i64, outcome| Entry {
        request_id: id.into(),
        rp_name: rp.into(),
        kind,
        title: title.into(),
        amount: (kind == RequestKind::Payment).then(|| amount("1250.00")),
        requested_at: IAT - ago,
        outcome,
        updated_at: IAT - ago + 30,
    };
    vec![
        entry(
            "h1",
            "Shop",
            RequestKind::Payment,
            "Pay for your order",
            0,
            Standing::Pending,
        ),
        entry(
            "h2",
            "Intranet",
            RequestKind::Login,
            "Sign in to the intranet",
            300,
            Standing::Decided(DecisionKind::Approve),
        ),
        entry(
            "h3",
            "Bank",
            RequestKind::Action,
            "Add a new payee",
            3 * 3600,
            Standing::Decided(DecisionKind::Deny),
        ),
        entry(
            "h4",
            "Intranet",
            RequestKind::Login,
            "Sign in to the intranet",
            86_400,
            Standing::Decided(DecisionKind::NotMe),
        ),
        entry(
            "h5",
            "Shop",
            RequestKind::Payment,
            "Pay for your order",
            2 * 86_400,
            Standing::Withdrawn,
        ),
        entry(
            "h6",
            "Mail",
            RequestKind::Login,
            "Sign in to mail",
            3 * 86_400,
            Standing::Superseded,
        ),
        entry(
            "h7",
            "Mail",
            RequestKind::Login,
            "Sign in to mail",
            5 * 86_400,
            Standing::Expired,
        ),
        entry(
            "h8",
            "Bank",
            RequestKind::Action,
            "Change your address",
            40 * 86_400,
            Standing::Failed,
        ),
    ]
}
