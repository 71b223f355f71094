//! The app in the simulator: panels, keys, settings, the guide, revoke.

use iced_test::simulator;

use super::subscriptions::focus_key;
use super::*;
use crate::widget::header::{HELP, SETTINGS};

fn showing(screen: Screen) -> App {
    App::for_tests(screen)
}

/// The messages a click on the control labelled `label` sends.
fn click(app: &App, label: &str) -> Vec<Message> {
    let mut ui = simulator(app.view(window::Id::unique()));
    ui.click(label)
        .unwrap_or_else(|e| panic!("no control {label:?}: {e}"));
    ui.into_messages().collect()
}

/// The messages a click on the control with the id `id` sends (the header's icon
/// buttons have no words to find them by).
fn click_id(app: &App, id: &'static str) -> Vec<Message> {
    let mut ui = simulator(app.view(window::Id::unique()));
    ui.click(iced::advanced::widget::Id::new(id))
        .unwrap_or_else(|e| panic!("no control {id:?}: {e}"));
    ui.into_messages().collect()
}

fn shows(app: &App, text: &str) -> bool {
    simulator(app.view(window::Id::unique())).find(text).is_ok()
}

#[test]
fn every_screen_has_the_gear_and_help_buttons() {
    let screens = [
        Screen::Starting,
        Screen::Problem(Problem::new("the keyring is locked".into())),
        Screen::Welcome(Welcome::new(None)),
    ];
    for screen in screens {
        let app = showing(screen);
        assert!(matches!(
            click_id(&app, SETTINGS).as_slice(),
            [Message::OpenSettings]
        ));
        assert!(matches!(
            click_id(&app, HELP).as_slice(),
            [Message::OpenHelp]
        ));
    }
}

#[test]
fn help_explains_the_current_screen_and_back_returns_to_it() {
    let mut app = showing(Screen::Welcome(Welcome::new(None)));
    let _ = app.update(Message::OpenHelp);
    assert!(shows(&app, &fl!("help-welcome")));
    let back = click(&app, &fl!("back-button"));
    for message in back {
        let _ = app.update(message);
    }
    assert!(app.panel.is_none());
    assert!(shows(&app, &fl!("welcome-title")));
}

#[test]
fn settings_open_over_the_screen_and_close_with_the_window() {
    let mut app = showing(Screen::Welcome(Welcome::new(None)));
    let id = window::Id::unique();
    app.window = Some(id);
    let _ = app.update(Message::OpenSettings);
    assert!(shows(&app, &fl!("settings-security")));
    let _ = app.update(Message::WindowClosed(id));
    assert!(app.window.is_none());
    assert!(
        app.panel.is_none(),
        "a reopened window starts on the screen"
    );
}

/// The app before activation with its settings in `dir`, and the settings open.
fn settings_in(dir: &std::path::Path, autostart: user_settings::ApplyAutostart) -> App {
    let mut app = showing(Screen::Welcome(Welcome::new(None)));
    app.user_settings = UserSettings::load(Some(dir.join("settings.toml")), autostart);
    let _ = app.update(Message::OpenSettings);
    app
}

fn click_through(app: &mut App, label: &str) {
    for message in click(app, label) {
        let _ = app.update(message);
    }
}

#[test]
fn a_settings_change_applies_at_once_and_is_saved() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut app = settings_in(dir.path(), |_| Ok(()));
    click_through(&mut app, &fl!("settings-notifications-on"));
    click_through(&mut app, &fl!("settings-lock-on-close"));
    let _ = app.update(Message::Settings(settings::Message::Changed(
        user_settings::Change::Theme(godkend_core::settings::Theme::Dark),
    )));
    assert!(!app.user_settings.current().notifications);
    assert_eq!(
        app.user_settings.theme(iced::theme::Mode::Light),
        crate::theme::for_mode(iced::theme::Mode::Dark)
    );
    let saved = godkend_core::settings::Settings::load(&dir.path().join("settings.toml"));
    assert!(!saved.notifications);
    assert!(!saved.lock_on_close);
    assert_eq!(saved.theme, godkend_core::settings::Theme::Dark);
}

#[test]
fn start_at_login_stays_on_and_says_why_when_the_entry_cannot_change() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut app = settings_in(dir.path(), |_| Err("no autostart folder".into()));
    click_through(&mut app, &fl!("settings-start-at-login"));
    assert!(app.user_settings.current().start_at_login);
    assert!(shows(
        &app,
        &fl!("settings-autostart-failed", reason = "no autostart folder")
    ));
}

#[test]
fn show_the_guide_from_settings_opens_it_and_finishing_remembers_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut app = settings_in(dir.path(), |_| Ok(()));
    let _ = app.update(Message::Settings(settings::Message::ShowGuide));
    assert!(shows(&app, &fl!("guide-what-title")));
    assert!(!app.user_settings.current().guide_shown);
    let _ = app.update(Message::Guide(guide::Message::Finish));
    assert!(app.panel.is_none());
    assert!(app.user_settings.current().guide_shown);
    let saved = godkend_core::settings::Settings::load(&dir.path().join("settings.toml"));
    assert!(
        saved.guide_shown,
        "saved, so it does not show again at the next start"
    );
}

#[test]
fn after_revoking_the_app_is_back_at_welcome_with_the_uninstall_screen() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut app = settings_in(dir.path(), |_| Ok(()));
    let _ = app.update(Message::Settings(settings::Message::Changed(
        user_settings::Change::Notifications(false),
    )));
    let _ = app.revoked();
    assert!(matches!(app.screen, Screen::Welcome(_)));
    assert!(shows(&app, &fl!("removed-title")));
    assert!(
        app.user_settings.current().notifications,
        "the settings went with the wipe"
    );
    click_through(&mut app, &fl!("back-button"));
    assert!(shows(&app, &fl!("welcome-title")));
}

#[test]
fn escape_is_the_key_that_closes_a_confirmation() {
    let escape = crate::widget::focus::pressed(keyboard::key::Named::Escape);
    assert!(matches!(focus_key(escape), Some(Message::Escape)));
}

#[test]
fn no_pin_code_or_activation_link_in_a_debug_print() {
    let link = "godkend://activate?server=https%3A%2F%2Fa.example&user=alice&code=K7QM-3XPA";
    let messages = [
        Message::Welcome(welcome::Message::PinChanged("470913".into())),
        Message::Welcome(welcome::Message::PinAgainChanged("470913".into())),
        Message::Welcome(welcome::Message::CodeChanged("K7QM-3XPA".into())),
        Message::Welcome(welcome::Message::LinkChanged(link.into())),
        Message::Unlock(unlock::Message::PinChanged("470913".into())),
        Message::Unlock(unlock::Message::Digit(godkend_core::secret::Redacted::new(
            7,
        ))),
        Message::Request(request::Message::PinChanged("470913".into())),
        Message::Handover(instance::Handover::Activate(link.into())),
    ];
    for message in messages {
        let printed = format!("{message:?}");
        for secret in ["470913", "K7QM", "7)"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }
}

#[test]
fn escape_closes_a_panel_and_tab_is_keyboard_activity() {
    let mut app = showing(Screen::Welcome(Welcome::new(None)));
    let _ = app.update(Message::OpenHelp);
    assert!(app.panel.is_some());
    let escape = crate::widget::focus::pressed(keyboard::key::Named::Escape);
    let message = focus_key(escape).expect("Escape is a key the app handles");
    assert!(message.is_user_activity());
    let _ = app.update(message);
    assert!(app.panel.is_none());
    assert!(!Message::Tick.is_user_activity(), "a timer is not the user");
}

#[test]
fn the_guide_opens_as_a_panel_and_done_closes_it() {
    let mut app = showing(Screen::Welcome(Welcome::new(None)));
    app.show_guide();
    assert!(shows(&app, &fl!("guide-what-title")));
    let _ = app.update(Message::Guide(guide::Message::Next));
    assert!(shows(&app, &fl!("guide-arrives-title")));
    let _ = app.update(Message::Guide(guide::Message::Finish));
    assert!(app.panel.is_none());
    assert!(shows(&app, &fl!("welcome-title")));
}

#[test]
fn a_guide_message_without_the_guide_open_changes_nothing() {
    let mut app = showing(Screen::Welcome(Welcome::new(None)));
    let _ = app.update(Message::OpenHelp);
    let _ = app.update(Message::Guide(guide::Message::Finish));
    assert!(matches!(app.panel, Some(Panel::Help(_))));
}

#[test]
fn closing_the_window_forgets_a_half_typed_pin() {
    let mut app = showing(Screen::Welcome(Welcome::new(None)));
    let id = window::Id::unique();
    app.window = Some(id);
    let _ = app.update(Message::Welcome(welcome::Message::PinChanged(
        "4709".into(),
    )));
    let _ = app.update(Message::WindowClosed(id));
    let Screen::Welcome(welcome) = &app.screen else {
        panic!("still on the welcome screen");
    };
    assert_eq!(welcome.pin_feedback(), welcome::PinFeedback::Hint);
}

/// An app showing `screen`, with no window, tray thread, instance socket or
/// settings file: for the simulator tests and the screenshot gallery.
impl App {
    pub(super) fn for_tests(screen: Screen) -> App {
        App {
            window: None,
            screen,
            panel: None,
            request: None,
            link: None,
            tray_only: false,
            notifier: Notifier::default(),
            agent: None,
            tray: Tray::none(),
            instance: Arc::new(Mutex::new(None)),
            user_settings: UserSettings::load(None, |_| Ok(())),
            wake: Arc::new(Notify::new()),
            biometrics: super::biometrics::Biometrics::default(),
            accessible: None,
            system_theme: iced::theme::Mode::Light,
            windows_opened: 0,
        }
    }
}
