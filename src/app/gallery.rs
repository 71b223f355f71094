//! The screenshot gallery: every screen, in English and Danish, light and dark, as
//! PNGs in `target/screenshots/<screen>-<lang>-<theme>.png`, for a person to look
//! at (cut-off text, contrast, long translations) and as a check that each screen
//! draws and that the Danish pictures really are Danish. The request and home
//! screens are drawn again as a 1080p monitor at 200 % shows them
//! (`<screen>-at-200-<lang>-<theme>.png`), where the window is shorter and wider
//! (the request screen puts the decision beside the request there).
//!
//! `fl!` reads one process-wide language, and other tests in this binary check
//! English text in parallel, so each language is drawn in a child process of its
//! own: this test binary again, running only the ignored helper below.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use godkend_a11y::Item;
use godkend_core::connection::ConnectionState;
use godkend_protocol::Serial;
use iced::theme::Mode;
use iced::widget::column;
use iced::{Element, Size};
use iced_test::Simulator;

use super::{App, Message, Panel, Screen, WINDOW_SIZE};
use crate::screen::DeviceScreen as _;
use crate::screen::activity::Activity;
use crate::screen::biometric::Outcome;
use crate::screen::fixtures::{IAT, history, payment_request};
use crate::screen::guide::Guide;
use crate::screen::help::{Help, Topic};
use crate::screen::home::{self, view::Shown};
use crate::screen::settings::Settings;
use crate::screen::settings::biometric::{self, Enrolled, Switch};
use crate::screen::unlock::{self as unlock_screen, Unlock};
use crate::screen::welcome::{self, Welcome};
use crate::widget::header::header;

mod described;
mod requests;
use requests::request_screens;

/// Names the language a child process draws in.
const LANGUAGE_VAR: &str = "GODKEND_GALLERY_LANGUAGE";
/// The helper test a child process runs, by its full path.
const HELPER: &str = "app::gallery::draw_every_screen_in_the_chosen_language";

#[test]
fn every_screen_draws_in_english_and_danish_light_and_dark() {
    let dir = screenshots_dir();
    std::fs::create_dir_all(&dir).expect("the screenshots folder can be made");
    // Only the gallery's own pictures: other tests keep screenshots here too.
    for old in pngs(&dir).into_iter().filter(|f| is_gallery_picture(f)) {
        std::fs::remove_file(dir.join(old)).expect("an old screenshot can be removed");
    }
    for language in ["en", "da"] {
        let exe = std::env::current_exe().expect("the test binary's path");
        let output = Command::new(exe)
            .args([
                HELPER,
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(LANGUAGE_VAR, language)
            .output()
            .expect("the test binary runs again");
        assert!(
            output.status.success(),
            "drawing in {language} failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let files: Vec<String> = pngs(&dir)
        .into_iter()
        .filter(|f| is_gallery_picture(f))
        .collect();
    let named = |language: &str| -> BTreeSet<String> {
        files
            .iter()
            .filter_map(|f| f.strip_suffix(".png"))
            .filter_map(|f| {
                let (screen, rest) = f.split_once(&format!("-{language}-"))?;
                Some(format!("{screen}-{rest}"))
            })
            .collect()
    };
    let (english, danish) = (named("en"), named("da"));
    assert!(
        english.len() >= 40,
        "every screen in two themes: {english:?}"
    );
    assert_eq!(english, danish, "each screen in both languages");
    for shot in &english {
        let (screen, theme) = shot.rsplit_once('-').expect("<screen>-<theme>");
        let read = |language: &str| {
            let path = dir.join(format!("{screen}-{language}-{theme}.png"));
            std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        assert_ne!(
            read("en"),
            read("da"),
            "{screen} ({theme}) looks the same in Danish: not translated?"
        );
    }
}

/// Draws every screen in the language the parent test chose. Ignored: only the
/// parent test runs it, in a process of its own.
#[test]
#[ignore = "run by every_screen_draws_in_english_and_danish_light_and_dark"]
fn draw_every_screen_in_the_chosen_language() {
    let Ok(language) = std::env::var(LANGUAGE_VAR) else {
        return;
    };
    crate::i18n::use_language(&language);
    // Fluent's isolation marks would show as boxes and break wrapping.
    let sample = crate::fl!("request-wrong-code", left = 2);
    assert!(
        !sample.contains(['\u{2068}', '\u{2069}']),
        "isolation marks after selecting {language}: {sample:?}"
    );
    let scratch = screenshots_dir().join(format!(".drawing-{language}"));
    // A fresh scratch folder: iced_test writes a picture only where none exists.
    let _ = std::fs::remove_dir_all(&scratch);
    let camera = Camera {
        language: &language,
        scratch: &scratch,
        size: WINDOW_SIZE,
        label: "",
    };
    app_screens(&camera);
    home_screens(&camera);
    request_screens(&camera);
    panels(&camera);
    settings_panels(&camera);
    // 1920 x 1080 pixels at 200 % is 960 x 540 logical: the window fits itself to that.
    let at_200 = Camera {
        size: super::windowing::fitted(WINDOW_SIZE, Size::new(960.0, 540.0)),
        label: "-at-200",
        ..camera
    };
    home_screens(&at_200);
    request_screens(&at_200);
    std::fs::remove_dir_all(&scratch).expect("the scratch folder can be removed");
}

/// Takes and files the pictures of one language.
struct Camera<'a> {
    language: &'a str,
    scratch: &'a Path,
    /// The window's logical size; iced_test draws it at twice that in pixels.
    size: Size,
    /// Follows the screen's name: what differs from the plain gallery.
    label: &'a str,
}

impl Camera<'_> {
    /// Saves `view` at the camera's window size, light and dark, as
    /// `<screen><label>-<language>-<theme>.png`.
    /// Before the pictures, the screen is checked against `described`, what a
    /// screen reader is told of it (described.rs).
    fn shoot(&self, screen: &str, view: Element<'_, Message>, described: &[Item]) {
        self.shoot_focused(screen, view, described, None);
    }

    /// As `shoot`, with the keyboard focus in the field `focus` (clicked first), to
    /// show how the focused field looks.
    fn shoot_focused(
        &self,
        screen: &str,
        view: Element<'_, Message>,
        described: &[Item],
        focus: Option<&'static str>,
    ) {
        let mut ui = Simulator::with_size(iced::Settings::default(), self.size, view);
        let checked = described::check(screen, &mut ui, described);
        eprintln!("described: {screen} ({}): {checked:?}", self.language);
        if let Some(id) = focus {
            ui.click(iced::advanced::widget::Id::new(id))
                .unwrap_or_else(|e| panic!("{screen}: no field {id}: {e}"));
        }
        for (theme_name, mode) in [("light", Mode::Light), ("dark", Mode::Dark)] {
            let theme = crate::theme::for_mode(mode);
            let stem = format!("{screen}{}-{}-{theme_name}", self.label, self.language);
            let snapshot = ui
                .snapshot(&theme)
                .unwrap_or_else(|e| panic!("{stem} does not draw: {e}"));
            let written = snapshot
                .matches_image(self.scratch.join(format!("{stem}.png")))
                .unwrap_or_else(|e| panic!("{stem} cannot be saved: {e}"));
            assert!(written, "{stem}: a fresh picture");
            // iced_test names the file after its renderer too; the gallery does not.
            let made = pngs(self.scratch)
                .into_iter()
                .find(|f| f.starts_with(&format!("{stem}-")))
                .unwrap_or_else(|| panic!("{stem}: no picture was written"));
            let target = screenshots_dir().join(format!("{stem}.png"));
            std::fs::rename(self.scratch.join(made), target).expect("the picture moves");
        }
    }
}

/// The header's description over a screen's, as the app describes the window.
fn with_header(items: Vec<Item>) -> Vec<Item> {
    let mut all = super::accessibility::header_items();
    all.extend(items);
    all
}

/// The header over a screen's body, as the app's window shows it.
fn framed(body: Element<'_, Message>) -> Element<'_, Message> {
    column![header(Message::OpenSettings, Message::OpenHelp), body].into()
}

fn app(screen: Screen) -> App {
    App::for_tests(screen)
}

/// The screens before there is a device: starting, a problem, and activation.
fn app_screens(camera: &Camera) {
    let window = iced::window::Id::unique();
    let starting = app(Screen::Starting);
    camera.shoot("starting", starting.view(window), &starting.describe());
    let problem = app(Screen::Problem(crate::screen::problem::Problem::new(
        "the device key is not in the keyring".into(),
    )));
    camera.shoot("problem", problem.view(window), &problem.describe());

    let mut welcome = Welcome::new(None);
    camera.shoot(
        "welcome-empty",
        framed(welcome.view().map(Message::Welcome)),
        &with_header(welcome.describe()),
    );
    for message in [
        welcome::Message::ServerChanged("https://godkend.example.com".into()),
        welcome::Message::UserChanged("alice".into()),
        welcome::Message::CodeChanged("K7QM-3XPA-9TWD".into()),
        welcome::Message::PinChanged("4709".into()),
    ] {
        let _ = welcome.update(message);
    }
    camera.shoot(
        "welcome-pin-too-short",
        framed(welcome.view().map(Message::Welcome)),
        &with_header(welcome.describe()),
    );
    for message in [
        welcome::Message::PinChanged("470913".into()),
        welcome::Message::PinAgainChanged("470914".into()),
    ] {
        let _ = welcome.update(message);
    }
    camera.shoot(
        "welcome-pin-mismatch",
        framed(welcome.view().map(Message::Welcome)),
        &with_header(welcome.describe()),
    );
    let _ = welcome.update(welcome::Message::PinAgainChanged("470913".into()));
    camera.shoot(
        "welcome-filled",
        framed(welcome.view().map(Message::Welcome)),
        &with_header(welcome.describe()),
    );

    // A link in the form (its host shown before the PIN), then another link arrives.
    let mut welcome = Welcome::new(Some(
        "godkend://activate?server=https%3A%2F%2Fgodkend.acme.example&user=alice&code=K7QM-3XPA-9TWD-M4RZ".into(),
    ));
    camera.shoot(
        "welcome-link",
        framed(welcome.view().map(Message::Welcome)),
        &with_header(welcome.describe()),
    );
    let _ = welcome.update(welcome::Message::PinChanged("470913".into()));
    welcome.use_link(
        "godkend://activate?server=https%3A%2F%2Fgodkend.other.example&user=alice&code=ZZZZ-3XPA-9TWD-M4RZ".into(),
    );
    camera.shoot(
        "welcome-link-offered",
        framed(welcome.view().map(Message::Welcome)),
        &with_header(welcome.describe()),
    );
    camera.shoot(
        "welcome-activated",
        framed(
            welcome::done_for_gallery("4821-0937-551", "Acme Corporation", "godkend.acme.example")
                .map(Message::Welcome),
        ),
        &with_header(welcome::done_described_for_gallery(
            "4821-0937-551",
            "Acme Corporation",
            "godkend.acme.example",
        )),
    );
}

fn home_screens(camera: &Camera) {
    let serial = Serial::from_number(48_210_937_551);
    let entries = history();
    let pending = payment_request();
    let offline = ConnectionState::Offline {
        reason: "the server cannot be reached".into(),
        retry_in: std::time::Duration::from_secs(30),
    };
    let shown = |connection, pending, recent| Shown {
        serial: &serial,
        user: "alice",
        org: "Example Org",
        connection,
        pending,
        recent,
        locked: false,
        version: godkend_protocol::messages::VersionVerdict::UpToDate,
        update_url: None,
        now: IAT + 30,
        warning: None,
    };
    let screens = [
        (
            "home-online-idle",
            shown(&ConnectionState::Connected, None, &entries),
        ),
        (
            "home-first-use",
            shown(&ConnectionState::Connecting, None, &[]),
        ),
        ("home-offline", shown(&offline, None, &entries)),
        (
            "home-pending",
            shown(
                &ConnectionState::Connected,
                Some(&pending.request),
                &entries,
            ),
        ),
    ];
    for (name, shown) in &screens {
        camera.shoot(
            name,
            framed(home::view::home(shown).map(Message::Home)),
            &with_header(home::describe_shown(shown)),
        );
    }
    let update = Shown {
        version: godkend_protocol::messages::VersionVerdict::UpdateRequired,
        update_url: Some("https://it.example.org/software/godkend"),
        ..shown(&ConnectionState::Connected, None, &entries)
    };
    camera.shoot(
        "home-update-required",
        framed(home::view::home(&update).map(Message::Home)),
        &with_header(home::describe_shown(&update)),
    );
    let locked = Shown {
        recent: &[],
        locked: true,
        ..shown(&ConnectionState::Connected, None, &entries)
    };
    camera.shoot(
        "home-locked",
        framed(home::view::home(&locked).map(Message::Home)),
        &with_header(home::describe_shown(&locked)),
    );
    unlock_screens(camera);
}

/// The unlock screen: the PIN, its problems, and the fingerprint offer and scan.
fn unlock_screens(camera: &Camera) {
    let mut unlock = Unlock::new();
    camera.shoot(
        "unlock",
        framed(unlock.view().map(Message::Unlock)),
        &with_header(unlock.describe()),
    );
    unlock.show_problem(crate::screen::unlock::Problem::WrongPin { attempts_left: 2 });
    camera.shoot(
        "unlock-wrong-pin",
        framed(unlock.view().map(Message::Unlock)),
        &with_header(unlock.describe()),
    );
    unlock.show_problem(crate::screen::unlock::Problem::Offline);
    camera.shoot(
        "unlock-offline",
        framed(unlock.view().map(Message::Unlock)),
        &with_header(unlock.describe()),
    );

    let mut fingerprint = Unlock::new().offering_biometric(true);
    camera.shoot(
        "unlock-biometric",
        framed(fingerprint.view().map(Message::Unlock)),
        &with_header(fingerprint.describe()),
    );
    let _ = fingerprint.update(unlock_screen::Message::UseBiometric);
    camera.shoot(
        "unlock-biometric-scanning",
        framed(fingerprint.view().map(Message::Unlock)),
        &with_header(fingerprint.describe()),
    );
    let _ = fingerprint.update(unlock_screen::Message::Checked(Err(
        unlock_screen::Refusal::Biometric(Some(Outcome::NoMatch { scans_left: 3 })),
    )));
    camera.shoot(
        "unlock-biometric-no-match",
        framed(fingerprint.view().map(Message::Unlock)),
        &with_header(fingerprint.describe()),
    );
    let _ = fingerprint.update(unlock_screen::Message::Checked(Err(
        unlock_screen::Refusal::Biometric(Some(Outcome::NoMatch { scans_left: 0 })),
    )));
    camera.shoot(
        "unlock-biometric-suspended",
        framed(fingerprint.view().map(Message::Unlock)),
        &with_header(fingerprint.describe()),
    );
}

/// The panels over the main screen, drawn through the app as the window shows them.
fn panels(camera: &Camera) {
    let window = iced::window::Id::unique();
    let mut app = app(Screen::Starting);
    let mut show = |name: &str, panel: Panel| {
        app.panel = Some(panel);
        camera.shoot(name, app.view(window), &app.describe());
    };
    show(
        "activity",
        Panel::Activity(Activity::new(history(), IAT + 30)),
    );
    show(
        "activity-empty",
        Panel::Activity(Activity::new(Vec::new(), IAT)),
    );
    for page in 0..Guide::pages() {
        show(
            &format!("guide-{}", page + 1),
            Panel::Guide(Guide::at(page)),
        );
    }
    for (name, topic) in [
        ("help-home", Topic::Home),
        ("help-request", Topic::Request),
        ("help-welcome", Topic::Welcome),
    ] {
        show(name, Panel::Help(Help::new(topic)));
    }
    show(
        "change-pin",
        Panel::ChangePin(crate::screen::change_pin::ChangePin::new()),
    );
    show(
        "revoke",
        Panel::Revoke(crate::screen::revoke::Revoke::new()),
    );
    show(
        "removed",
        Panel::Removed(crate::screen::removed::Removed::new()),
    );
    let (mut devices, _) = crate::screen::devices::Devices::new("desk".into());
    let summary = |id: &str, name: &str, status| godkend_protocol::messages::DeviceSummary {
        device_id: id.into(),
        serial: format!("GK-4821-0937-55{}", id.len()),
        name: name.into(),
        status,
        created_at: IAT - 86_400 * 30,
        last_seen_at: Some(IAT - 120),
    };
    let _ = devices.update(crate::screen::devices::Message::Loaded(Ok(vec![
        summary(
            "desk",
            "Desk PC",
            godkend_protocol::messages::DeviceState::Active,
        ),
        summary(
            "laptop",
            "Laptop",
            godkend_protocol::messages::DeviceState::Active,
        ),
        summary(
            "phone",
            "Old laptop",
            godkend_protocol::messages::DeviceState::Revoked,
        ),
    ])));
    show("devices", Panel::Devices(devices));
}

/// The settings panel, before and after activation, with the biometric switch's states.
fn settings_panels(camera: &Camera) {
    let window = iced::window::Id::unique();
    let mut app = app(Screen::Starting);
    let mut show = |name: &str, panel: Panel| {
        app.panel = Some(panel);
        camera.shoot(name, app.view(window), &app.describe());
    };
    show(
        "settings-before-activation",
        Panel::Settings(Settings::new(None, Switch::default())),
    );
    let activated = |switch: Switch| {
        Settings::activated_for_tests(
            Serial::from_number(48_210_937_551),
            godkend_protocol::messages::Organisation {
                name: "Example Org".into(),
                support_email: Some("support@example.org".into()),
                support_phone: Some("+45 70 12 34 56".into()),
                support_url: None,
            },
        )
        .with_biometric(switch)
    };
    show("settings", Panel::Settings(activated(Switch::default())));
    let mut asking = Switch::default();
    asking.update(biometric::Message::Available(true));
    asking.update(biometric::Message::Toggled(true));
    show("settings-biometric-pin", Panel::Settings(activated(asking)));
    let on = |approves, suspended| {
        Switch::new(Some(Enrolled {
            kind: godkend_protocol::messages::UvKind::Software,
            approves,
            suspended,
        }))
    };
    show(
        "settings-biometric-unlocks-only",
        Panel::Settings(activated(on(false, false))),
    );
    show(
        "settings-biometric-approves-suspended",
        Panel::Settings(activated(on(true, true))),
    );
    // An organisation's policy: start at login fixed on, biometrics off.
    app.user_settings = crate::user_settings::UserSettings::load(None, |_| Ok(())).with_policy(
        godkend_core::policy::Policy {
            start_at_login: Some(true),
            biometrics: Some(false),
            ..Default::default()
        },
    );
    app.panel = Some(Panel::Settings(activated(on(true, false))));
    camera.shoot("settings-managed", app.view(window), &app.describe());
}

/// Where the pictures go: `screenshots` in the target folder (CARGO_TARGET_DIR when
/// set, else the folder this test binary was built in, else `target` here).
fn screenshots_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| manifest.join(dir))
        .or_else(|| {
            // <target>/debug/deps/godkend-<hash>
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.parent()?.to_owned())
        })
        .unwrap_or_else(|| manifest.join("target"));
    target.join("screenshots")
}

/// Whether `file` is named as the gallery names its pictures.
fn is_gallery_picture(file: &str) -> bool {
    [
        "-en-light.png",
        "-en-dark.png",
        "-da-light.png",
        "-da-dark.png",
    ]
    .iter()
    .any(|ending| file.ends_with(ending))
}

/// The PNG files directly in `dir`, by name.
fn pngs(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|name| Path::new(name).extension().is_some_and(|e| e == "png"))
                .collect()
        })
        .unwrap_or_default()
}
