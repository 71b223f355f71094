//! The settings screen in the simulator.

use crate::screen::tall_simulator as simulator;
use godkend_core::policy::Policy;
use godkend_core::settings::Settings as Saved;

use super::*;
use crate::user_settings::ChangeError;

/// The screen before activation, with default settings.
fn before_activation() -> Settings {
    Settings::new(None, biometric::Switch::default())
}

fn serial() -> Serial {
    Serial::from_number(12_345)
}

/// The screen of an activated device with the given organisation.
fn activated(organisation: Organisation) -> Settings {
    Settings::activated_for_tests(serial(), organisation)
}

fn acme() -> Organisation {
    Organisation {
        name: "Acme".into(),
        support_email: Some("help@acme.example".into()),
        support_phone: None,
        support_url: None,
    }
}

/// The messages a click on `label` sends.
fn click(screen: &Settings, saved: &Saved, label: &str) -> Vec<Message> {
    let mut ui = simulator(screen.view(saved, &Policy::default()));
    ui.click(label)
        .unwrap_or_else(|e| panic!("no control {label:?}: {e}"));
    ui.into_messages().collect()
}

fn shows(screen: &Settings, text: &str) -> bool {
    simulator(screen.view(&Saved::default(), &Policy::default()))
        .find(text)
        .is_ok()
}

/// The events the screen sends for a click on `label`.
fn events(screen: &mut Settings, saved: &Saved, label: &str) -> Vec<Event> {
    click(screen, saved, label)
        .into_iter()
        .filter_map(|m| screen.update(m).1)
        .collect()
}

#[test]
fn each_switch_asks_for_the_opposite_of_what_it_shows() {
    let mut screen = before_activation();
    let on = Saved::default();
    assert_eq!(
        events(&mut screen, &on, &fl!("settings-lock-on-close")),
        [Event::Changed(Change::LockOnClose(false))]
    );
    assert_eq!(
        events(&mut screen, &on, &fl!("settings-notifications-on")),
        [Event::Changed(Change::Notifications(false))]
    );
    let off = Saved {
        start_at_login: false,
        ..Saved::default()
    };
    assert_eq!(
        events(&mut screen, &off, &fl!("settings-start-at-login")),
        [Event::Changed(Change::StartAtLogin(true))]
    );
}

#[test]
fn automatic_lock_is_shown_on_and_cannot_be_switched_off() {
    let screen = before_activation();
    assert!(
        click(&screen, &Saved::default(), &fl!("settings-auto-lock")).is_empty(),
        "clicking the always-on auto-lock sends nothing"
    );
    assert!(shows(&screen, &fl!("settings-auto-lock-always")));
}

#[test]
fn fingerprint_is_offered_only_where_the_platform_has_it_and_after_activation() {
    let label = fl!(
        "settings-biometric",
        method = crate::screen::biometric::method()
    );
    let mut before = before_activation();
    let _ = before.update(Message::Biometric(biometric::Message::Available(true)));
    assert!(!shows(&before, &label), "no device, no key to register");
    let mut screen = activated(acme());
    assert!(!shows(&screen, &label), "not until the platform says so");
    let _ = screen.update(Message::Biometric(biometric::Message::Available(true)));
    assert!(events(&mut screen, &Saved::default(), &label).is_empty());
    assert!(
        shows(
            &screen,
            &fl!(
                "settings-biometric-pin",
                method = crate::screen::biometric::method()
            )
        ),
        "turning it on asks for the PIN"
    );
}

#[test]
fn device_rows_are_hidden_before_activation() {
    let screen = before_activation();
    for label in [
        fl!("settings-change-pin"),
        fl!("settings-my-devices"),
        fl!("settings-revoke"),
        fl!("copy-button"),
        fl!("settings-support-email"),
    ] {
        let found = simulator(screen.view(&Saved::default(), &Policy::default()))
            .find(format!("{label} ›").as_str())
            .is_ok()
            || shows(&screen, &label);
        assert!(!found, "{label:?} is shown before activation");
    }
    // What needs no device is still there.
    assert!(shows(&screen, &format!("{} ›", fl!("settings-show-guide"))));
    assert!(shows(&screen, &fl!("settings-lock-on-close")));
}

#[test]
fn an_activated_device_shows_its_rows_and_they_open_their_screens() {
    let mut screen = activated(acme());
    let saved = Saved::default();
    for (label, event) in [
        (fl!("settings-change-pin"), Event::ChangePin),
        (fl!("settings-my-devices"), Event::MyDevices),
        (fl!("settings-show-guide"), Event::ShowGuide),
    ] {
        let label = format!("{label} ›");
        assert_eq!(events(&mut screen, &saved, &label), [event]);
    }
    assert_eq!(
        events(&mut screen, &saved, &fl!("settings-revoke")),
        [Event::Revoke]
    );
    assert_eq!(
        events(&mut screen, &saved, &fl!("back-button")),
        [Event::Closed]
    );
}

#[test]
fn support_shows_the_contacts_given_and_says_when_there_are_none() {
    let screen = activated(acme());
    assert!(shows(&screen, "help@acme.example"));
    assert!(!shows(&screen, &fl!("settings-support-none")));

    let mut screen = activated(Organisation {
        name: "Acme".into(),
        ..Organisation::default()
    });
    assert!(shows(&screen, &fl!("settings-support-none")));
    // The server's newer details replace those from activation.
    let _ = screen.update(Message::OrganisationLoaded(Ok(acme())));
    assert!(shows(&screen, "help@acme.example"));
    // A failed fetch keeps what is shown.
    let _ = screen.update(Message::OrganisationLoaded(Err("offline".into())));
    assert!(shows(&screen, "help@acme.example"));
}

#[test]
fn copy_puts_the_serial_number_on_the_clipboard() {
    use iced_test::runtime::{Action, clipboard, task};

    let mut screen = activated(acme());
    let messages = click(&screen, &Saved::default(), &fl!("copy-button"));
    assert!(matches!(messages.as_slice(), [Message::CopySerial]));
    let (copy, event) = screen.update(Message::CopySerial);
    assert!(event.is_none());
    let mut actions = task::into_stream(copy).expect("the copy does something");
    let action = iced::futures::executor::block_on(iced::futures::StreamExt::next(&mut actions));
    assert!(
        matches!(
            action,
            Some(Action::Clipboard(clipboard::Action::Write { ref contents, .. }))
                if *contents == serial().to_string()
        ),
        "the copy writes the serial number"
    );
}

#[test]
fn a_change_that_failed_says_why() {
    let mut screen = before_activation();
    screen.applied(Err(ChangeError::Autostart("read-only home".into())));
    assert!(shows(
        &screen,
        &fl!("settings-autostart-failed", reason = "read-only home")
    ));
    screen.applied(Ok(()));
    assert!(!shows(
        &screen,
        &fl!("settings-autostart-failed", reason = "read-only home")
    ));
}

/// What the screen shows under `policy`.
fn shows_under(screen: &Settings, policy: &Policy, text: &str) -> bool {
    simulator(screen.view(&Saved::default(), policy))
        .find(text)
        .is_ok()
}

#[test]
fn a_start_at_login_the_organisation_fixed_is_shown_and_cannot_be_switched() {
    let screen = activated(acme());
    let policy = Policy {
        start_at_login: Some(false),
        ..Policy::default()
    };
    assert!(shows_under(&screen, &policy, &fl!("settings-managed")));
    let mut ui = simulator(screen.view(&Saved::default(), &policy));
    ui.click(fl!("settings-start-at-login").as_str())
        .expect("the switch is shown");
    assert_eq!(
        ui.into_messages().count(),
        0,
        "a locked switch sends nothing"
    );
    assert!(
        !shows(&screen, &fl!("settings-managed")),
        "not without a policy"
    );
}

#[test]
fn biometrics_the_organisation_turned_off_are_not_offered() {
    let mut screen = activated(acme()).with_biometric(biometric::Switch::default());
    let _ = screen.update(Message::Biometric(biometric::Message::Available(true)));
    let off = Policy {
        biometrics: Some(false),
        ..Policy::default()
    };
    assert!(shows_under(
        &screen,
        &off,
        &fl!("settings-biometric-managed-off")
    ));
    assert!(!shows(&screen, &fl!("settings-biometric-managed-off")));
}

#[test]
fn an_unreadable_policy_says_so() {
    let screen = activated(acme());
    let policy = Policy {
        biometrics: Some(false),
        loopback_handoff: Some(false),
        problem: Some("/etc/godkend/policy.toml: unknown field `biometric`".into()),
        ..Policy::default()
    };
    assert!(shows_under(
        &screen,
        &policy,
        &fl!(
            "settings-policy-unreadable",
            problem = "/etc/godkend/policy.toml: unknown field `biometric`"
        )
    ));
}
