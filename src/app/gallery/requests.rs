//! The gallery's request screens: each way a request can stand, including what the
//! browser hand-off left it as.

use godkend_core::answer::Answer;
use godkend_core::standing::Standing;
use godkend_protocol::ErrorCode;
use godkend_protocol::messages::DecisionKind;

use super::{Camera, Message, framed, with_header};
use crate::screen::biometric::Outcome;
use crate::screen::fixtures::{IAT, login_request, payment_request};
use crate::screen::request::{self, Request};

pub(super) fn request_screens(camera: &Camera) {
    let shoot = |name: &str, screen: &Request| {
        camera.shoot(
            name,
            framed(screen.view().map(Message::Request)),
            &with_header(screen.describe()),
        );
    };
    shoot("request-login", &Request::new(login_request(), IAT + 20));
    let payment = || Request::new(payment_request(), IAT + 20);
    shoot("request-payment", &payment());
    // Two digits typed, the focus in the code's boxes: the ring marks the third.
    let mut typing = payment();
    let _ = typing.update(request::Message::CodeChanged("48".into()));
    camera.shoot_focused(
        "request-typing-code",
        framed(typing.view().map(Message::Request)),
        &with_header(typing.describe()),
        Some(request::CODE_FIELD),
    );

    let refused = |code, left| {
        request::Message::Sent(
            "r1".into(),
            DecisionKind::Approve,
            Answer::Refused(godkend_core::answer::Refusal {
                code: Some(code),
                attempts_left: Some(left),
                device_status: None,
                reason: String::new(),
            }),
        )
    };
    let mut wrong_code = payment();
    let _ = wrong_code.update(refused(ErrorCode::CodeMismatch, 2));
    shoot("request-wrong-code", &wrong_code);
    let mut wrong_pin = payment();
    let _ = wrong_pin.update(refused(ErrorCode::WrongPin, 3));
    shoot("request-wrong-pin", &wrong_pin);
    let mut not_me = payment();
    let _ = not_me.update(request::Message::NotMe);
    shoot("request-not-me", &not_me);
    shoot(
        "request-expired",
        &Request::new(payment_request(), IAT + 600),
    );
    let mut queued = payment();
    let _ = queued.update(request::Message::Deny);
    let _ = queued.update(request::Message::Sent(
        "r1".into(),
        DecisionKind::Deny,
        Answer::Kept("no route to host".into()),
    ));
    shoot("request-queued-offline", &queued);
    let mut approved = payment();
    let _ = approved.update(request::Message::Sent(
        "r1".into(),
        DecisionKind::Approve,
        Answer::Accepted(Standing::Decided(DecisionKind::Approve)),
    ));
    shoot("request-approved", &approved);

    let typed = || {
        let mut screen = Request::new(payment_request(), IAT + 20).offering_biometric(true);
        let _ = screen.update(request::Message::CodeChanged("482913".into()));
        screen
    };
    shoot("request-biometric", &typed());
    let mut scanning = typed();
    let _ = scanning.update(request::Message::Approve);
    shoot("request-biometric-scanning", &scanning);
    let _ = scanning.update(request::Message::Scanned(
        "r1".into(),
        Err(Some(Outcome::NoMatch { scans_left: 2 })),
    ));
    shoot("request-biometric-no-match", &scanning);
    let mut pin_instead = typed();
    let _ = pin_instead.update(request::Message::UsePin);
    shoot("request-biometric-pin-instead", &pin_instead);
    origin_states(&shoot);
}

/// The request as the browser hand-off left it (issue 15): verified, a lookalike's
/// mismatch, required but missing, and unconfirmed.
fn origin_states(shoot: &dyn Fn(&str, &Request)) {
    use godkend_core::handoff::{BindingState, WebOrigin};
    use godkend_protocol::origin::OriginBinding;
    let bound = |binding, state| {
        let mut request = payment_request();
        request.request.origin_binding = binding;
        request.request.rp_origins = vec!["https://shop.example".into()];
        let mut screen = Request::new(request, IAT + 20);
        screen.set_binding(state);
        screen
    };
    let origin = |text| WebOrigin::from_header(text).expect("an origin");
    shoot(
        "request-origin-verified",
        &bound(
            OriginBinding::Preferred,
            BindingState::Verified(origin("https://shop.example")),
        ),
    );
    shoot(
        "request-origin-mismatch",
        &bound(
            OriginBinding::Preferred,
            BindingState::Mismatch(origin("https://shop-example.login.test")),
        ),
    );
    shoot(
        "request-origin-required-missing",
        &bound(OriginBinding::Required, BindingState::Unconfirmed),
    );
    shoot(
        "request-origin-unconfirmed",
        &bound(OriginBinding::Preferred, BindingState::Unconfirmed),
    );
}
