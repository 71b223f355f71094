//! Where biometrics are offered: the code and a finger approve, the PIN is one click
//! away, and the offer ends where a scan can no longer succeed.

use super::*;
use godkend_core::answer::Refusal as WireRefusal;

fn offered() -> Request {
    open(30).offering_biometric(true)
}

fn approve_label() -> String {
    fl!(
        "biometric-approve",
        method = crate::screen::biometric::method()
    )
}

fn refused(code: ErrorCode) -> Message {
    Message::Sent(
        "r1".into(),
        DecisionKind::Approve,
        Answer::Refused(WireRefusal {
            code: Some(code),
            attempts_left: None,
            device_status: None,
            reason: String::new(),
        }),
    )
}

#[test]
fn the_code_and_a_finger_approve_without_the_pin() {
    let mut screen = offered();
    assert!(!shows(&screen, &fl!("request-pin-placeholder")));
    assert!(!screen.can_approve(), "the code is still needed");
    code(&mut screen, "482913");
    assert!(matches!(
        click(&screen, &approve_label()).as_slice(),
        [Message::Approve]
    ));
    let (work, _) = screen.update(Message::Approve);
    let Some(Work::Scan { code, reason }) = work else {
        panic!("a scan is asked for: {work:?}");
    };
    assert_eq!(code.as_str(), "482913");
    assert!(reason.contains("Pay for your order"), "{reason}");
    assert!(screen.is_scanning());
    assert!(shows(&screen, &fl!("biometric-scanning-approve")));
    // Cancel: back to the choice, nothing decided.
    screen.update(Message::CancelScan);
    assert!(!screen.is_scanning() && screen.can_approve());
}

#[test]
fn use_pin_instead_asks_for_the_pin_and_the_finger_comes_back() {
    let mut screen = offered();
    code(&mut screen, "482913");
    for message in click(&screen, &fl!("biometric-use-pin")) {
        screen.update(message);
    }
    assert!(!screen.can_approve(), "now the PIN is needed");
    pin(&mut screen, "403917");
    assert!(matches!(
        screen.update(Message::Approve).0,
        Some(Work::DerivePinKey(_))
    ));
    let mut back = offered();
    back.update(Message::UsePin);
    let label = fl!("biometric-use", method = crate::screen::biometric::method());
    for message in click(&back, &label) {
        back.update(message);
    }
    code(&mut back, "482913");
    assert!(back.can_approve());
}

#[test]
fn five_failed_scans_leave_the_pin() {
    let mut screen = offered();
    code(&mut screen, "482913");
    screen.update(Message::Approve);
    screen.update(Message::Scanned(
        "r1".into(),
        Err(Some(Outcome::NoMatch { scans_left: 0 })),
    ));
    assert!(!screen.is_scanning());
    assert!(shows(
        &screen,
        &fl!(
            "biometric-suspended",
            method = crate::screen::biometric::method()
        )
    ));
    assert!(shows(&screen, &fl!("request-pin-placeholder")));
    assert!(!screen.can_approve(), "the PIN is needed now");
}

#[test]
fn a_key_the_server_dropped_or_refuses_leaves_the_pin() {
    for (code_sent, said) in [
        (
            ErrorCode::UvKeyUnknown,
            fl!(
                "biometric-key-removed",
                method = crate::screen::biometric::method()
            ),
        ),
        (ErrorCode::UvNotAllowed, fl!("biometric-not-accepted")),
    ] {
        let mut screen = offered();
        code(&mut screen, "482913");
        screen.update(Message::Approve);
        screen.update(refused(code_sent));
        assert!(shows(&screen, &said), "{code_sent:?}");
        assert!(shows(&screen, &fl!("request-pin-placeholder")));
        assert!(screen.is_open(), "still pending: the PIN can approve it");
    }
}
