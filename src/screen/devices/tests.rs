//! The devices screen in the simulator: no keyring, no network.

use iced_test::simulator;

use super::*;

fn summary(id: &str, name: &str, status: DeviceState) -> DeviceSummary {
    DeviceSummary {
        device_id: id.into(),
        serial: format!("serial-{id}"),
        name: name.into(),
        status,
        created_at: 1_795_780_800,
        last_seen_at: Some(1_795_867_200),
    }
}

/// This computer ("desk") and the user's laptop, both active, and an old phone.
fn loaded() -> Devices {
    let (mut screen, work) = Devices::new("desk".into());
    assert!(matches!(work, Work::Load));
    let _ = screen.update(Message::Loaded(Ok(vec![
        summary("desk", "Desk", DeviceState::Active),
        summary("laptop", "Laptop", DeviceState::Active),
        summary("phone", "Old phone", DeviceState::Revoked),
    ])));
    screen
}

fn shows(screen: &Devices, text: &str) -> bool {
    simulator(screen.view()).find(text).is_ok()
}

/// The messages a click on `label` sends, fed back; returns the work asked for.
fn click(screen: &mut Devices, label: &str) -> Vec<Work> {
    let mut ui = simulator(screen.view());
    ui.click(label)
        .unwrap_or_else(|e| panic!("no control {label:?}: {e}"));
    let messages: Vec<Message> = ui.into_messages().collect();
    messages
        .into_iter()
        .filter_map(|m| screen.update(m).0)
        .collect()
}

fn type_pin(screen: &mut Devices, typed: &str) {
    let mut ui = simulator(screen.view());
    ui.click(fl!("devices-pin-placeholder").as_str())
        .expect("the PIN field is shown");
    ui.typewrite(typed);
    for message in ui.into_messages() {
        let _ = screen.update(message);
    }
}

#[test]
fn the_list_marks_this_computer_and_offers_revoke_only_for_other_active_devices() {
    let screen = loaded();
    assert!(shows(&screen, &fl!("devices-this-computer", name = "Desk")));
    assert!(shows(&screen, &fl!("devices-status-revoked")));
    assert!(shows(&screen, &fl!("devices-revoke")), "the laptop's");

    let (mut alone, _) = Devices::new("desk".into());
    let _ = alone.update(Message::Loaded(Ok(vec![
        summary("desk", "Desk", DeviceState::Active),
        summary("phone", "Old phone", DeviceState::Revoked),
    ])));
    assert!(
        !shows(&alone, &fl!("devices-revoke")),
        "neither this computer nor a revoked phone has a revoke button"
    );
}

#[test]
fn revoking_another_device_asks_for_confirmation_and_the_pin_first() {
    let mut screen = loaded();
    let work = click(&mut screen, &fl!("devices-revoke"));
    assert!(work.is_empty(), "nothing is revoked by the first click");
    assert!(shows(&screen, &fl!("devices-confirm", name = "Laptop")));
    assert!(
        click(&mut screen, &fl!("devices-confirm-button")).is_empty(),
        "no PIN typed yet"
    );
    type_pin(&mut screen, "470913");
    let work = click(&mut screen, &fl!("devices-confirm-button"));
    assert!(
        matches!(work.as_slice(), [Work::Revoke { device_id, pin }]
            if device_id == "laptop" && pin.as_str() == "470913"),
        "the laptop is revoked with the PIN"
    );
}

#[test]
fn the_confirmation_pin_keeps_digits_only_and_at_most_twelve() {
    let mut screen = loaded();
    let pin = |screen: &Devices| screen.confirming.as_ref().unwrap().pin.as_str().to_owned();
    let _ = screen.update(Message::AskRevoke("laptop".into()));
    type_pin(&mut screen, "47o9 1-3");
    assert_eq!(pin(&screen), "47913", "letters and signs are refused");
    assert!(
        click(&mut screen, &fl!("devices-confirm-button")).is_empty(),
        "five digits are not a PIN"
    );

    let _ = click(&mut screen, &fl!("devices-cancel"));
    let _ = screen.update(Message::AskRevoke("laptop".into()));
    type_pin(&mut screen, "4791334709138");
    assert_eq!(pin(&screen), "479133470913", "a 13th digit is refused");
    let work = click(&mut screen, &fl!("devices-confirm-button"));
    assert!(
        matches!(work.as_slice(), [Work::Revoke { pin, .. }] if pin.as_str() == "479133470913"),
        "twelve digits are a PIN"
    );
}

#[test]
fn a_typed_pin_never_shows_in_a_debug_print() {
    let printed = format!("{:?}", Message::PinChanged("470913".into()));
    assert!(!printed.contains("470913"), "{printed}");
}

#[test]
fn a_wrong_pin_keeps_the_confirmation_open_and_says_how_many_tries_are_left() {
    let mut screen = loaded();
    let _ = screen.update(Message::AskRevoke("laptop".into()));
    type_pin(&mut screen, "470914");
    assert_eq!(click(&mut screen, &fl!("devices-confirm-button")).len(), 1);
    let (work, event) = screen.update(Message::Revoked(
        "laptop".into(),
        PinVerdict::WrongPin { attempts_left: 3 },
    ));
    assert!(work.is_none() && event.is_none());
    assert!(shows(&screen, &fl!("devices-wrong-pin", left = 3)));
    assert!(shows(&screen, &fl!("devices-confirm", name = "Laptop")));
}

#[test]
fn a_revoked_device_reloads_the_list_and_says_so() {
    let mut screen = loaded();
    let _ = screen.update(Message::AskRevoke("laptop".into()));
    type_pin(&mut screen, "470913");
    let _ = click(&mut screen, &fl!("devices-confirm-button"));
    let (work, _) = screen.update(Message::Revoked("laptop".into(), PinVerdict::Accepted));
    assert!(matches!(work, Some(Work::Load)));
    assert!(shows(&screen, &fl!("devices-revoked", name = "Laptop")));
}

#[test]
fn this_computer_and_revoked_devices_cannot_be_revoked_here() {
    let mut screen = loaded();
    let _ = screen.update(Message::AskRevoke("desk".into()));
    assert!(screen.confirming.is_none());
    let _ = screen.update(Message::AskRevoke("phone".into()));
    assert!(screen.confirming.is_none());
}

#[test]
fn escape_and_cancel_close_the_confirmation() {
    let mut screen = loaded();
    let _ = screen.update(Message::AskRevoke("laptop".into()));
    assert!(screen.cancel(), "Escape closes it");
    assert!(!shows(&screen, &fl!("devices-confirm", name = "Laptop")));
    assert!(!screen.cancel(), "nothing left to close");
    let _ = screen.update(Message::AskRevoke("laptop".into()));
    let _ = click(&mut screen, &fl!("devices-cancel"));
    assert!(screen.confirming.is_none());
}

#[test]
fn offline_shows_why_and_a_retry() {
    let (mut screen, _) = Devices::new("desk".into());
    assert!(shows(&screen, &fl!("devices-loading")));
    let _ = screen.update(Message::Loaded(Err("connection refused".into())));
    assert!(shows(
        &screen,
        &fl!("devices-failed", reason = "connection refused")
    ));
    let work = click(&mut screen, &fl!("devices-reload"));
    assert!(matches!(work.as_slice(), [Work::Load]));
}
