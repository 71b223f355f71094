//! The welcome screen in the simulator: the link, the manual fields, the PIN and
//! the activation, and a link that arrives while the form is in use.
use iced_test::simulator;

use godkend_core::pin::PinProblem;

use super::*;

/// Clicks the input with `placeholder`, types `typed` into it and feeds the
/// resulting messages back, as the app would.
fn type_into(welcome: &mut Welcome, placeholder: &str, typed: &str) {
    let mut ui = simulator(welcome.view());
    ui.click(placeholder)
        .unwrap_or_else(|e| panic!("no input {placeholder:?}: {e}"));
    ui.typewrite(typed);
    let messages: Vec<Message> = ui.into_messages().collect();
    assert!(
        !messages.is_empty(),
        "typing into {placeholder:?} did nothing"
    );
    for message in messages {
        let _ = welcome.update(message);
    }
}

/// Whether the screen shows `text` now.
fn shows(welcome: &Welcome, text: &str) -> bool {
    simulator(welcome.view()).find(text).is_ok()
}

/// The messages a click on the Activate button sends.
fn click_activate(welcome: &Welcome) -> Vec<Message> {
    let mut ui = simulator(welcome.view());
    ui.click(fl!("activate-button").as_str())
        .expect("the Activate button is shown");
    ui.into_messages().collect()
}

fn with_server_details() -> Welcome {
    let mut welcome = Welcome::new(None);
    type_into(
        &mut welcome,
        &fl!("server-placeholder"),
        "http://127.0.0.1:8420",
    );
    type_into(&mut welcome, &fl!("user-placeholder"), "demo");
    type_into(&mut welcome, &fl!("code-placeholder"), "ABCD-1234");
    welcome
}

#[test]
fn shows_the_rules_before_a_pin_is_typed() {
    let welcome = Welcome::new(None);
    assert_eq!(welcome.pin_feedback(), PinFeedback::Hint);
    assert!(shows(&welcome, &fl!("pin-hint")));
}

#[test]
fn a_short_pin_is_called_too_short() {
    let mut welcome = Welcome::new(None);
    type_into(&mut welcome, &fl!("pin-placeholder"), "4711");
    assert_eq!(
        welcome.pin_feedback(),
        PinFeedback::Problem(PinProblem::TooShort)
    );
    assert!(shows(&welcome, &fl!("pin-too-short")));
}

#[test]
fn an_easy_pin_is_called_too_easy() {
    let mut welcome = Welcome::new(None);
    type_into(&mut welcome, &fl!("pin-placeholder"), "123456");
    assert_eq!(
        welcome.pin_feedback(),
        PinFeedback::Problem(PinProblem::TooSimple)
    );
    assert!(shows(&welcome, &fl!("pin-too-simple")));
}

#[test]
fn a_different_repetition_is_a_mismatch() {
    let mut welcome = Welcome::new(None);
    type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
    assert!(shows(&welcome, &fl!("pin-type-again")));
    type_into(&mut welcome, &fl!("pin-again-placeholder"), "470931");
    assert_eq!(
        welcome.pin_feedback(),
        PinFeedback::Problem(PinProblem::Mismatch)
    );
    assert!(shows(&welcome, &fl!("pin-mismatch")));
}

#[test]
fn the_same_good_pin_twice_is_ok() {
    let mut welcome = Welcome::new(None);
    type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
    type_into(&mut welcome, &fl!("pin-again-placeholder"), "470913");
    assert_eq!(welcome.pin_feedback(), PinFeedback::Ok);
    assert!(shows(&welcome, &fl!("pin-ok")));
}

#[test]
fn activate_is_disabled_until_details_and_pin_are_valid() {
    let mut welcome = Welcome::new(None);
    assert!(!welcome.can_activate());
    assert!(click_activate(&welcome).is_empty(), "nothing typed yet");

    type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
    type_into(&mut welcome, &fl!("pin-again-placeholder"), "470913");
    assert!(!welcome.can_activate());
    assert!(click_activate(&welcome).is_empty(), "no server details");

    let mut welcome = with_server_details();
    assert!(click_activate(&welcome).is_empty(), "no PIN");
    type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
    type_into(&mut welcome, &fl!("pin-again-placeholder"), "470914");
    assert!(click_activate(&welcome).is_empty(), "the PINs differ");

    let mut welcome = with_server_details();
    type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
    type_into(&mut welcome, &fl!("pin-again-placeholder"), "470913");
    assert!(welcome.can_activate());
    let messages = click_activate(&welcome);
    assert!(
        matches!(messages.as_slice(), [Message::Activate]),
        "a valid form activates: {messages:?}"
    );
}

#[test]
fn an_invalid_link_blocks_activation() {
    let mut welcome = Welcome::new(Some("godkend://activate?nonsense".into()));
    type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
    type_into(&mut welcome, &fl!("pin-again-placeholder"), "470913");
    assert!(shows(&welcome, &fl!("link-invalid")));
    assert!(!welcome.can_activate());
}

const LINK: &str = "godkend://activate?server=https%3A%2F%2Fgodkend.acme.example&user=alice&code=K7QM-3XPA-9TWD-M4RZ";
const OTHER_LINK: &str = "godkend://activate?server=https%3A%2F%2Fevil.example%3A8443&user=alice&code=ZZZZ-3XPA-9TWD-M4RZ";

/// Clicks the button labelled `label` and feeds its message back.
fn click(welcome: &mut Welcome, label: &str) {
    let mut ui = simulator(welcome.view());
    ui.click(label)
        .unwrap_or_else(|e| panic!("no button {label:?}: {e}"));
    for message in ui.into_messages().collect::<Vec<_>>() {
        let _ = welcome.update(message);
    }
}

fn asks_about(welcome: &Welcome, host: &str) -> bool {
    shows(welcome, &fl!("link-offered", host = host))
}

fn link_for(user: &str, host: &str) -> String {
    fl!("link-used", user = user, host = host)
}

#[test]
fn a_link_fills_in_a_form_nobody_has_touched() {
    let mut welcome = Welcome::new(None);
    welcome.use_link(LINK.into());
    assert_eq!(welcome.link, LINK);
    assert!(!asks_about(&welcome, "godkend.acme.example"));
}

#[test]
fn a_link_never_replaces_a_started_form_without_asking() {
    // The user pasted a link and chose a PIN; then a web page opens another link.
    let mut welcome = Welcome::new(None);
    type_into(&mut welcome, &fl!("link-placeholder"), LINK);
    type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
    welcome.use_link(OTHER_LINK.into());
    assert_eq!(welcome.link, LINK, "the typed link stays");
    assert!(asks_about(&welcome, "evil.example:8443"));
    assert!(shows(&welcome, &link_for("alice", "godkend.acme.example")));

    click(&mut welcome, &fl!("link-keep-button"));
    assert!(!asks_about(&welcome, "evil.example:8443"));
    assert_eq!(welcome.link, LINK);
    assert_eq!(welcome.pin.as_str(), "470913", "the PIN stays too");

    // Asked again, and this time the user wants the new one.
    welcome.use_link(OTHER_LINK.into());
    click(&mut welcome, &fl!("link-replace-button"));
    assert_eq!(welcome.link, OTHER_LINK);
    assert!(!asks_about(&welcome, "evil.example:8443"));
    assert!(shows(&welcome, &link_for("alice", "evil.example:8443")));
}

#[test]
fn typed_server_details_or_a_pin_alone_are_a_started_form() {
    let mut welcome = with_server_details();
    welcome.use_link(LINK.into());
    assert!(welcome.link.is_empty());
    assert!(asks_about(&welcome, "godkend.acme.example"));

    let mut welcome = Welcome::new(None);
    type_into(&mut welcome, &fl!("pin-placeholder"), "4");
    welcome.use_link(LINK.into());
    assert!(welcome.link.is_empty());
    assert!(asks_about(&welcome, "godkend.acme.example"));
    // The same link again asks nothing new; an invalid one is not offered.
    let mut welcome = Welcome::new(Some(LINK.into()));
    welcome.use_link(LINK.into());
    welcome.use_link("godkend://activate?nonsense".into());
    assert!(welcome.offered.is_none());
}

#[test]
fn the_server_host_shows_as_soon_as_a_link_is_in_before_the_pin() {
    let welcome = Welcome::new(Some(OTHER_LINK.into()));
    assert!(welcome.pin.is_empty());
    assert!(shows(&welcome, &link_for("alice", "evil.example:8443")));
}

#[test]
fn activation_names_the_host_while_it_runs() {
    let mut welcome = Welcome::new(Some(LINK.into()));
    type_into(&mut welcome, &fl!("pin-placeholder"), "470913");
    type_into(&mut welcome, &fl!("pin-again-placeholder"), "470913");
    let _ = welcome.update(Message::Activate);
    assert!(matches!(welcome.stage, Stage::Activating));
    assert!(shows(
        &welcome,
        &fl!("activating", host = "godkend.acme.example")
    ));
}

#[test]
fn the_end_of_activation_names_the_signed_organisation_and_the_server() {
    let enrolled = Enrolled {
        serial: "1234-5678-9012".into(),
        org: "Acme Corporation".into(),
        host: "godkend.acme.example".into(),
    };
    let mut ui = simulator(done(enrolled));
    for expected in [
        fl!("activated-org"),
        "Acme Corporation".into(),
        fl!("activated-server"),
        "godkend.acme.example".into(),
    ] {
        assert!(ui.find(expected.as_str()).is_ok(), "{expected:?} is shown");
    }
}

#[test]
fn a_plain_http_server_elsewhere_is_refused() {
    let mut welcome = Welcome::new(None);
    type_into(
        &mut welcome,
        &fl!("server-placeholder"),
        "http://example.com",
    );
    assert!(welcome.server_problem().is_some());
}

#[test]
fn the_device_name_is_read_once_when_the_screen_is_made() {
    let mut welcome = with_server_details();
    assert_eq!(welcome.device_name, crate::device::host_name());
    // Activation names the device with what the screen kept: the form asks for its
    // input several times per redraw, and none of them reads /etc/hostname again.
    welcome.device_name = "desk-under-test".into();
    let input = welcome.input().expect("the details are complete");
    assert_eq!(input.device_name, "desk-under-test");
    let mut from_link = Welcome::new(Some(
        "godkend://activate?server=https%3A%2F%2Fa.example&user=alice&code=K7QM-3XPA".into(),
    ));
    from_link.device_name = "desk-under-test".into();
    assert_eq!(from_link.input().unwrap().device_name, "desk-under-test");
}
