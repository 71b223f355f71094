//! The change PIN screen in the simulator: no keyring, no network.

use iced_test::simulator;

use super::*;

/// Clicks the input with `placeholder`, types `typed` and feeds the messages back.
fn type_into(screen: &mut ChangePin, placeholder: &str, typed: &str) {
    let mut ui = simulator(screen.view());
    ui.click(placeholder)
        .unwrap_or_else(|e| panic!("no input {placeholder:?}: {e}"));
    ui.typewrite(typed);
    for message in ui.into_messages() {
        let _ = screen.update(message);
    }
}

fn fill(current: &str, new: &str, again: &str) -> ChangePin {
    let mut screen = ChangePin::new();
    type_into(&mut screen, &fl!("change-pin-current-placeholder"), current);
    type_into(&mut screen, &fl!("pin-placeholder"), new);
    type_into(&mut screen, &fl!("pin-again-placeholder"), again);
    screen
}

fn shows(screen: &ChangePin, text: &str) -> bool {
    simulator(screen.view()).find(text).is_ok()
}

/// The work a click on the Change PIN button starts, if any.
fn press_change(screen: &mut ChangePin) -> Option<Work> {
    let mut ui = simulator(screen.view());
    ui.click(fl!("change-pin-button").as_str())
        .expect("the Change PIN button is shown");
    let messages: Vec<Message> = ui.into_messages().collect();
    messages
        .into_iter()
        .find_map(|message| screen.update(message).0)
}

#[test]
fn a_good_change_submits_both_pins() {
    let mut screen = fill("470913", "582046", "582046");
    assert!(shows(&screen, &fl!("pin-ok")));
    let work = press_change(&mut screen).expect("a valid form submits");
    assert_eq!(work.current.as_str(), "470913");
    assert_eq!(work.new.as_str(), "582046");
    assert!(!screen.can_submit(), "one change at a time");
}

#[test]
fn mismatch_rule_failures_and_the_same_pin_disable_the_button() {
    let mut screen = fill("470913", "582046", "582064");
    assert!(shows(&screen, &fl!("pin-mismatch")));
    assert!(press_change(&mut screen).is_none(), "the new PINs differ");

    let mut screen = fill("470913", "123456", "123456");
    assert!(shows(&screen, &fl!("pin-too-simple")));
    assert!(press_change(&mut screen).is_none(), "too easy");

    let mut screen = fill("470913", "470913", "470913");
    assert!(shows(&screen, &fl!("change-pin-same")));
    assert!(press_change(&mut screen).is_none(), "nothing would change");

    let mut screen = fill("", "582046", "582046");
    assert!(press_change(&mut screen).is_none(), "no current PIN");
}

#[test]
fn a_wrong_current_pin_says_how_many_tries_are_left_and_can_be_retyped() {
    let mut screen = fill("470914", "582046", "582046");
    assert!(press_change(&mut screen).is_some());
    let (_, event) = screen.update(Message::Answered(PinVerdict::WrongPin { attempts_left: 2 }));
    assert!(event.is_none());
    assert!(shows(&screen, &fl!("change-pin-wrong", left = 2)));
    assert!(screen.current.is_empty(), "the wrong PIN is cleared");
    type_into(
        &mut screen,
        &fl!("change-pin-current-placeholder"),
        "470913",
    );
    assert!(press_change(&mut screen).is_some(), "a second try");
}

#[test]
fn offline_keeps_the_form_and_says_so() {
    let mut screen = fill("470913", "582046", "582046");
    assert!(press_change(&mut screen).is_some());
    let _ = screen.update(Message::Answered(PinVerdict::Offline("timeout".into())));
    assert!(shows(&screen, &fl!("change-pin-offline")));
    assert!(screen.can_submit(), "it can be tried again");
}

#[test]
fn a_blocked_device_ends_and_success_forgets_the_pins() {
    let mut screen = fill("470913", "582046", "582046");
    let (_, event) = screen.update(Message::Answered(PinVerdict::Ended(None)));
    assert!(matches!(event, Some(Leave::DeviceEnded(None))));
    assert!(screen.current.is_empty() && screen.new.is_empty());

    let mut screen = fill("470913", "582046", "582046");
    assert!(press_change(&mut screen).is_some());
    let _ = screen.update(Message::Answered(PinVerdict::Accepted));
    assert!(shows(&screen, &fl!("change-pin-done")));
    assert!(screen.current.is_empty() && screen.new.is_empty() && screen.again.is_empty());
}

#[test]
fn a_typed_pin_never_shows_in_a_debug_print() {
    for message in [
        Message::CurrentChanged("470913".into()),
        Message::NewChanged("470913".into()),
        Message::AgainChanged("470913".into()),
    ] {
        let printed = format!("{message:?}");
        assert!(!printed.contains("470913"), "{printed}");
    }
}

#[test]
fn every_pin_field_keeps_digits_only_and_at_most_twelve() {
    let screen = fill("47a0-913", "58 2o046", "582046x");
    assert_eq!(screen.current.as_str(), "470913");
    assert_eq!(screen.new.as_str(), "582046");
    assert_eq!(screen.again.as_str(), "582046");
    assert!(screen.can_submit());

    let mut screen = fill("4709134709135", "5820465820461", "5820465820469");
    assert_eq!(
        screen.current.as_str(),
        "470913470913",
        "a 13th digit is refused"
    );
    assert_eq!(screen.new.as_str(), "582046582046");
    assert_eq!(screen.again.as_str(), "582046582046");
    let work = press_change(&mut screen).expect("twelve digits are a PIN");
    assert_eq!(work.current.as_str(), "470913470913");
}

#[test]
fn the_button_waits_for_six_digits_of_the_current_pin() {
    let mut screen = fill("47091", "582046", "582046");
    assert!(press_change(&mut screen).is_none(), "five digits");
    let mut screen = fill("470913", "582046", "582046");
    assert!(press_change(&mut screen).is_some(), "six digits");
}
