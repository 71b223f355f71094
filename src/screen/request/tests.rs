//! The request screen in the simulator: no display, no network, no keyring.

use iced::keyboard::{Key, key::Named};
use iced_test::simulator;

use super::*;
use crate::screen::fixtures::{IAT, payment_request as signed_request};

fn open(seconds_in: i64) -> Request {
    Request::new(signed_request(), IAT + seconds_in)
}

/// Clicks the input with `placeholder`, types `typed` (then Enter if `enter`), and
/// feeds the messages back as the app would; returns the work asked for.
fn type_into(screen: &mut Request, placeholder: &str, typed: &str, enter: bool) -> Vec<Work> {
    let mut ui = simulator(screen.view());
    ui.click(placeholder)
        .unwrap_or_else(|e| panic!("no input {placeholder:?}: {e}"));
    ui.typewrite(typed);
    if enter {
        ui.tap_key(Key::Named(Named::Enter));
    }
    let messages: Vec<Message> = ui.into_messages().collect();
    messages
        .into_iter()
        .filter_map(|m| screen.update(m).0)
        .collect()
}

fn code(screen: &mut Request, typed: &str) {
    type_into(screen, &fl!("request-code-placeholder"), typed, false);
}

fn pin(screen: &mut Request, typed: &str) {
    type_into(screen, &fl!("request-pin-placeholder"), typed, false);
}

/// The messages a click on the control labelled `label` sends.
fn click(screen: &Request, label: &str) -> Vec<Message> {
    let mut ui = simulator(screen.view());
    ui.click(label)
        .unwrap_or_else(|e| panic!("no control {label:?}: {e}"));
    ui.into_messages().collect()
}

fn shows(screen: &Request, text: &str) -> bool {
    simulator(screen.view()).find(text).is_ok()
}

#[test]
fn shows_what_is_asked_where_from_and_how_long() {
    let screen = open(30);
    for expected in [
        "Shop",
        "Pay for your order",
        "Order 1042",
        "DKK\u{a0}1,250.00",
        &fl!("request-payee", payee = "Shop ApS"),
        "192.0.2.7",
        "Aarhus, Denmark",
        "Firefox on Linux",
        &crate::format::time::date_time(IAT),
        &fl!("request-kind-payment"),
        &fl!("request-expires", time = "1:30"),
    ] {
        assert!(shows(&screen, expected), "{expected:?} is shown");
    }
}

#[test]
fn approve_is_disabled_until_code_and_pin_are_valid() {
    let approve = fl!("request-approve");
    let mut screen = open(0);
    assert!(click(&screen, &approve).is_empty(), "nothing typed yet");

    code(&mut screen, "12345");
    pin(&mut screen, "470913");
    assert!(!screen.can_approve());
    assert!(click(&screen, &approve).is_empty(), "the code is short");

    let mut screen = open(0);
    code(&mut screen, "123456");
    assert!(click(&screen, &approve).is_empty(), "no PIN");
    pin(&mut screen, "4709");
    assert!(click(&screen, &approve).is_empty(), "the PIN is short");

    let mut screen = open(0);
    code(&mut screen, "123456");
    pin(&mut screen, "470913");
    assert!(screen.can_approve());
    assert!(matches!(
        click(&screen, &approve).as_slice(),
        [Message::Approve]
    ));
    assert!(matches!(
        screen.update(Message::Approve),
        (Some(Work::DerivePinKey(pin)), None) if pin.as_str() == "470913"
    ));
    assert!(!screen.can_approve(), "not twice while it is sent");
}

#[test]
fn enter_in_the_pin_field_approves() {
    let mut screen = open(0);
    code(&mut screen, "123456");
    let work = type_into(&mut screen, &fl!("request-pin-placeholder"), "470913", true);
    assert!(
        matches!(work.as_slice(), [Work::DerivePinKey(_)]),
        "{work:?}"
    );
}

#[test]
fn the_code_field_takes_digits_only_and_at_most_the_code_length() {
    let mut screen = open(0);
    code(&mut screen, "12a-3 4b56789");
    assert_eq!(screen.code, "123456");
    let mut screen = open(0);
    pin(&mut screen, "47x0913");
    assert_eq!(screen.pin.as_str(), "470913");
}

#[test]
fn the_pin_field_refuses_a_thirteenth_digit() {
    let mut screen = open(0);
    code(&mut screen, "123456");
    pin(&mut screen, "4709134709135");
    assert_eq!(screen.pin.as_str(), "470913470913");
    assert!(screen.can_approve(), "twelve digits are a PIN");
}

#[test]
fn neither_messages_nor_work_print_the_pin_or_the_code() {
    let printed = format!(
        "{:?} {:?} {:?} {:?}",
        Message::PinChanged("470913".into()),
        Message::CodeChanged("123456".into()),
        Work::DerivePinKey("470913".into()),
        Work::Decide(Choice::Approve {
            code: "123456".into(),
            pin_key: pin_key(),
        }),
    );
    assert!(
        !printed.contains("470913") && !printed.contains("123456"),
        "{printed}"
    );
}

#[test]
fn not_me_asks_for_confirmation_first() {
    let mut screen = open(0);
    let messages = click(&screen, &fl!("request-not-me"));
    assert!(matches!(messages.as_slice(), [Message::NotMe]));
    let mut work = Vec::new();
    for message in messages {
        work.extend(screen.update(message).0);
    }
    assert!(work.is_empty(), "nothing is sent before the confirmation");
    assert!(shows(&screen, &fl!("request-not-me-explained")));

    let cancel = click(&screen, &fl!("request-not-me-cancel"));
    for message in cancel {
        let _ = screen.update(message);
    }
    assert!(!shows(&screen, &fl!("request-not-me-explained")));

    let _ = screen.update(Message::NotMe);
    let confirm = click(&screen, &fl!("request-not-me-confirm"));
    assert!(matches!(confirm.as_slice(), [Message::ConfirmNotMe]));
    assert!(matches!(
        screen.update(Message::ConfirmNotMe),
        (Some(Work::Decide(Choice::NotMe)), None)
    ));
}

#[test]
fn an_expired_request_cannot_be_approved() {
    let mut screen = open(0);
    code(&mut screen, "123456");
    pin(&mut screen, "470913");
    assert!(screen.can_approve());
    screen.tick(IAT + 120);
    assert!(!screen.can_approve());
    assert!(shows(&screen, &fl!("request-expired")));
    for label in [fl!("request-approve"), fl!("request-deny")] {
        let mut ui = simulator(screen.view());
        // Gone from the screen, or disabled: either way a click sends nothing.
        if ui.click(label.as_str()).is_ok() {
            assert_eq!(ui.into_messages().count(), 0, "{label} is disabled");
        }
    }
    assert!(screen.update(Message::Approve).0.is_none());
    assert!(screen.update(Message::Deny).0.is_none());
}

fn refused(code: ErrorCode, attempts_left: u32) -> Message {
    Message::Sent(
        "r1".into(),
        DecisionKind::Approve,
        Answer::Refused(godkend_core::answer::Refusal {
            code: Some(code),
            attempts_left: Some(attempts_left),
            device_status: None,
            reason: code.as_str().into(),
        }),
    )
}

/// A PIN key as `Device::pin_key` would derive it (the real KDF, a test pepper).
fn pin_key() -> Arc<PinKey> {
    let key = godkend_core::pin::derive_pin_key(
        "470913",
        b"salt-salt-salt-1",
        godkend_core::pin::KdfParams::MINIMUM,
        &[1; 32],
    )
    .expect("the PIN key derives");
    Arc::new(key)
}

#[test]
fn a_wrong_code_keeps_the_pin_key_and_a_wrong_pin_forgets_it() {
    let mut screen = open(0);
    code(&mut screen, "123456");
    pin(&mut screen, "470913");
    let _ = screen.update(Message::Approve);
    let (work, _) = screen.update(Message::Derived("r1".into(), Ok(pin_key())));
    assert!(
        matches!(work, Some(Work::Decide(Choice::Approve { ref code, .. })) if code.as_str() == "123456")
    );

    let _ = screen.update(refused(ErrorCode::CodeMismatch, 2));
    assert!(shows(&screen, &fl!("request-wrong-code", left = 2)));
    assert!(shows(&screen, &fl!("request-pin-kept")));
    code(&mut screen, "654321");
    assert!(screen.can_approve(), "the code alone is enough now");
    assert!(matches!(
        screen.update(Message::Approve).0,
        Some(Work::Decide(Choice::Approve { ref code, .. })) if code.as_str() == "654321"
    ));

    let _ = screen.update(refused(ErrorCode::WrongPin, 3));
    assert!(screen.pin_key.is_none());
    assert!(screen.pin.is_empty());
    assert!(shows(&screen, &fl!("request-wrong-pin", left = 3)));
    assert!(!screen.can_approve(), "the PIN is needed again");
}

#[test]
fn an_accepted_approval_says_so() {
    let mut screen = open(0);
    code(&mut screen, "123456");
    pin(&mut screen, "470913");
    let _ = screen.update(Message::Approve);
    let _ = screen.update(Message::Derived("r1".into(), Ok(pin_key())));
    let (_, event) = screen.update(Message::Sent(
        "r1".into(),
        DecisionKind::Approve,
        Answer::Accepted(Standing::Decided(DecisionKind::Approve)),
    ));
    assert!(
        event.is_none(),
        "the agent hears the answer; the screen only shows it"
    );
    assert!(
        screen.pin_key.is_none(),
        "the PIN key goes with the decision"
    );
    assert!(shows(&screen, &fl!("request-approved")));
    assert!(!screen.is_open());
}

#[test]
fn offline_keeps_the_decision_for_later() {
    let mut screen = open(0);
    let _ = screen.update(Message::Deny);
    let (_, event) = screen.update(Message::Sent(
        "r1".into(),
        DecisionKind::Deny,
        Answer::Kept("no route".into()),
    ));
    assert!(event.is_none());
    assert!(shows(&screen, &fl!("request-queued")));
}

#[test]
fn a_queued_decision_is_shown_as_decided_once_sent() {
    let mut screen = open(0);
    let _ = screen.update(Message::Deny);
    let _ = screen.update(Message::Sent(
        "r1".into(),
        DecisionKind::Deny,
        Answer::Kept("no route".into()),
    ));
    screen.closed(Standing::Decided(DecisionKind::Deny));
    assert!(shows(&screen, &fl!("request-denied")));
}

#[test]
fn a_request_decided_elsewhere_is_final() {
    let mut screen = open(0);
    code(&mut screen, "123456");
    screen.closed(Standing::Withdrawn);
    assert!(shows(&screen, &fl!("request-not-pending")));
    assert!(screen.update(Message::Approve).0.is_none());
}

#[test]
fn answers_about_another_request_are_ignored() {
    let mut screen = open(0);
    let _ = screen.update(Message::Deny);
    let (_, event) = screen.update(Message::Sent(
        "r0".into(),
        DecisionKind::Approve,
        Answer::Accepted(Standing::Decided(DecisionKind::Approve)),
    ));
    assert!(event.is_none());
    assert!(screen.is_open(), "still waiting for the answer about r1");
}

/// What decision_crash.rs (server tests) sees the agent report when the server died
/// before answering: kept, then accepted after its restart. Approved/denied, no error.
#[test]
fn a_kept_decision_accepted_after_a_server_restart_says_approved_or_denied() {
    for (kind, said) in [
        (DecisionKind::Approve, fl!("request-approved")),
        (DecisionKind::Deny, fl!("request-denied")),
    ] {
        let mut screen = open(0);
        let _ = screen.update(Message::Deny);
        let _ = screen.update(Message::Sent(
            "r1".into(),
            kind,
            Answer::Kept("gone".into()),
        ));
        assert!(shows(&screen, &fl!("request-queued")));
        screen.answered_later(Answer::Accepted(Standing::Decided(kind)));
        assert!(shows(&screen, &said), "{kind:?}");
        assert!(!shows(&screen, &fl!("request-queued")));
        assert!(!screen.is_open());
    }
}

#[test]
fn a_queued_approval_refused_later_for_a_wrong_code_opens_again() {
    let mut screen = open(0);
    let _ = screen.update(Message::Deny);
    let _ = screen.update(Message::Sent(
        "r1".into(),
        DecisionKind::Approve,
        Answer::Kept("no route".into()),
    ));
    assert!(shows(&screen, &fl!("request-queued")));
    let Message::Sent(_, _, refusal) = refused(ErrorCode::CodeMismatch, 2) else {
        unreachable!()
    };
    screen.answered_later(refusal);
    assert!(screen.is_open(), "the code can be typed again");
    assert!(shows(&screen, &fl!("request-wrong-code", left = 2)));
}

#[test]
fn not_pending_says_so_without_claiming_another_device() {
    let mut screen = open(0);
    let _ = screen.update(Message::Deny);
    let _ = screen.update(refused(ErrorCode::RequestNotPending, 0));
    assert!(!screen.is_open());
    assert!(shows(&screen, &fl!("request-not-pending")));
}

mod biometric;

/// The payment request bound to `https://shop.example` under `binding`, with what
/// the browser vouched for.
fn bound(binding: OriginBinding, state: BindingState) -> Request {
    let mut request = signed_request();
    request.request.origin_binding = binding;
    request.request.rp_origins = vec!["https://shop.example".into()];
    let mut screen = Request::new(request, IAT + 30);
    screen.set_binding(state);
    screen
}

fn origin(text: &str) -> godkend_core::handoff::WebOrigin {
    godkend_core::handoff::WebOrigin::from_header(text).expect("an origin")
}

#[test]
fn a_site_the_browser_vouched_for_is_approved_with_the_pin_alone() {
    let mut screen = bound(
        OriginBinding::Preferred,
        BindingState::Verified(origin("https://shop.example")),
    );
    assert!(shows(
        &screen,
        &fl!("request-origin-verified", site = "shop.example")
    ));
    assert!(
        !shows(&screen, &fl!("request-code-placeholder")),
        "no code field"
    );
    assert!(!screen.can_approve(), "the PIN is still needed");
    pin(&mut screen, "123456");
    assert!(screen.can_approve());
    let work: Vec<Work> = click(&screen, &fl!("request-approve"))
        .into_iter()
        .filter_map(|m| screen.update(m).0)
        .collect();
    assert!(matches!(work.as_slice(), [Work::DerivePinKey(_)]));
}

#[test]
fn a_mismatched_site_is_a_phishing_warning_that_cannot_be_approved() {
    let screen = bound(
        OriginBinding::Preferred,
        BindingState::Mismatch(origin("https://shop-example.login.test")),
    );
    assert!(shows(&screen, &fl!("request-origin-mismatch-title")));
    // The site the page really belongs to is named on its own (the Public Suffix
    // List's registrable domain), not only the host a lookalike dresses up.
    assert!(shows(
        &screen,
        &fl!("request-origin-mismatch-site", site = "login.test")
    ));
    assert!(
        !shows(&screen, &fl!("request-approve")),
        "no Approve at all"
    );
    assert!(!shows(&screen, &fl!("request-code-placeholder")));
    assert!(!screen.can_approve());
    assert!(matches!(
        click(&screen, &fl!("request-deny")).as_slice(),
        [Message::Deny]
    ));
    assert!(matches!(
        click(&screen, &fl!("request-not-me")).as_slice(),
        [Message::NotMe]
    ));
}

#[test]
fn a_required_hand_off_that_did_not_come_blocks_approval() {
    let mut screen = bound(OriginBinding::Required, BindingState::Unconfirmed);
    assert!(shows(&screen, &fl!("request-origin-missing", rp = "Shop")));
    assert!(!shows(&screen, &fl!("request-approve")));
    assert!(!screen.can_approve());
    // The hand-off comes late: the screen follows.
    screen.set_binding(BindingState::Verified(origin("https://shop.example")));
    assert!(shows(&screen, &fl!("request-approve")));
}

#[test]
fn without_a_hand_off_the_code_is_typed_and_the_screen_says_why() {
    let mut screen = bound(OriginBinding::Preferred, BindingState::Unconfirmed);
    assert!(shows(&screen, &fl!("request-origin-unconfirmed")));
    pin(&mut screen, "123456");
    assert!(!screen.can_approve(), "the code is needed");
    code(&mut screen, "424242");
    assert!(screen.can_approve());
}

#[test]
fn a_request_that_binds_no_origin_says_nothing_of_the_browser() {
    for screen in [
        open(30),
        bound(OriginBinding::Off, BindingState::Unconfirmed),
    ] {
        assert!(!shows(&screen, &fl!("request-origin-unconfirmed")));
        assert!(shows(&screen, &fl!("request-code-placeholder")));
    }
}

#[test]
fn typing_starts_in_the_code_field_or_the_pin_field_once_the_browser_vouched() {
    let mut screen = bound(OriginBinding::Preferred, BindingState::Unconfirmed);
    assert_eq!(screen.first_field(), Some(super::CODE_FIELD));
    screen.set_binding(BindingState::Verified(origin("https://shop.example")));
    assert_eq!(screen.first_field(), Some(super::PIN_FIELD));
    // A mismatch takes the fields away; the code is asked again, not the PIN alone.
    screen.set_binding(BindingState::Mismatch(origin(
        "https://shop-example.login.test",
    )));
    assert_eq!(screen.first_field(), Some(super::CODE_FIELD));
}
