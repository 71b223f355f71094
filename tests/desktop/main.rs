//! The desktop app end to end, with real parts only: the app's window under Xvfb, its
//! notifications in dunst, its tray icon in an SNI host, its keys in gnome-keyring,
//! and the real server, which a website drives through the relying-party API.
//!
//! One test, in the order a person lives it, because the steps build on each other
//! (activation, then requests, then locking) and share one display and one keyring.
//! (scale.rs: the window at 200 %, on a display of its own and without the bus.)
//! The Windows build's part of the story under Wine is in wine.rs (ignored unless
//! scripts/test-windows-packages.sh runs it).

#![allow(
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "a test harness: a failure panics with what was expected; the story is one test"
)]

#[allow(dead_code, reason = "the server's browser tests use the rest of it")]
#[path = "../support/chromedriver.rs"]
mod chromedriver;
mod desktop;
mod handoff;
mod scale;
#[allow(dead_code, reason = "other tests start the server without options")]
mod server;
#[allow(dead_code, reason = "godkend-core's fprintd tests use the rest of it")]
#[path = "../support/virtual_reader.rs"]
mod virtual_reader;
mod wine;

use godkend_protocol::messages::RequestState;

use crate::desktop::{
    App, TrayMenu, keys, notification_button, notifications_displayed, notifications_shown,
    screenshot, type_text, wait_for, window, window_size,
};
use crate::server::Server;

const USER: &str = "alice";
const PIN: &str = "403917";
const WRONG_PIN: &str = "857201";
/// The finger enrolled on the virtual reader.
const FINGER: &str = "finger-a";

/// Prints a step, so a failure shows how far the story got.
fn step(what: &str) {
    eprintln!("e2e: {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_activates_approves_denies_reports_locks_and_quits() {
    desktop::check_session();
    // The story counts the notifications on screen: none of an earlier run's first.
    desktop::close_notifications();
    // Fingerprint approvals use a key kept in the keyring: allowed here, so the
    // story can approve with a finger.
    // The demo login page hands its sign-ins to the app (the browser step).
    let server = Server::start_with(&["--allow-software-uv", "--demo"]).await;
    server.admin(&["user", "add", USER]);
    let shop = server.add_rp("demo-shop", "Demo Shop");
    let link = server.activation_link(USER);
    let home = tempfile::tempdir().expect("a home dir for the app");
    // A finger on the virtual reader before the app first looks for one.
    let fingerprint = desktop::fingerprint_reader().await;
    if let Some((bus, reader)) = &fingerprint {
        virtual_reader::enroll(bus, reader, FINGER).await;
    }

    step("first start: the welcome screen, and the tray icon");
    let mut app = App::start(home.path(), &[]);
    app.wait_log(&["not activated yet"], 30);
    app.wait_log(&["window opened"], 30);
    app.wait_seen("tray created", 10);
    // The menu follows the app's first status (GTK applies it on its next tick).
    app.wait_seen("tray updated", 10);
    let tray = TrayMenu::find();
    tray.expect("Open Godkend", true);
    // No settings before activation.
    tray.expect("Settings", false);
    let win = window();
    // The screen is 800 px tall: the 760 px window shrinks to leave room for panels,
    // and widens to 880 px, where the request screen puts its fields beside the
    // request instead of below it.
    app.wait_seen("size=Size { width: 880.0, height: 680.0 }", 10);
    wait_for("the window to fit the 800 px screen", 10, || {
        (window_size(&win) == (880, 680)).then_some(())
    });
    screenshot("welcome");

    step("activate by typing the link and the PIN twice");
    // The link field has the focus when the window opens.
    type_text(&win, &link);
    keys(&win, &["Tab"]);
    type_text(&win, PIN);
    keys(&win, &["Tab"]);
    type_text(&win, PIN);
    screenshot("welcome-filled");
    keys(&win, &["Return"]);
    app.wait_log(&["activated"], 60);
    screenshot("activated");
    let devices = server.devices(USER).to_string();
    assert!(
        devices.contains("active"),
        "the server lists the device: {devices}"
    );
    // Continue has the focus; then the first-run guide, which Escape skips.
    keys(&win, &["Return"]);
    app.wait_log(&["connection", "Connected"], 30);
    screenshot("guide");
    keys(&win, &["Escape"]);
    screenshot("home");

    step("a website asks to sign in: a notification with generic text");
    let first = server
        .sign_in(&shop, USER, "Sign in from Firefox on Linux")
        .await;
    app.wait_log(&["notification shown", &first.request_id], 20);
    wait_for("dunst to show the notification", 10, || {
        (notifications_displayed() >= 1).then_some(())
    });
    screenshot("notification");

    step("quit from the tray: exit status 0, and no notification is left behind");
    tray.click("Quit");
    assert!(app.wait_exit(20).success(), "Quit exits 0:\n{}", app.log());
    // Its Review and Deny would answer nothing now: the app withdrew it before
    // exiting. The short wait is for the daemon on a busy machine: without the app's
    // withdrawal dunst keeps a request's notification for good.
    wait_for("dunst to show no notification after Quit", 2, || {
        (notifications_displayed() == 0).then_some(())
    });

    step("start at login (--tray): no window, the icon shows the app is locked");
    let mut app = App::start(home.path(), &["--tray"]);
    app.wait_log(&["device loaded"], 30);
    app.wait_log(&["connection", "Connected"], 30);
    let tray = TrayMenu::find();
    app.wait_log(&["tray updated", "Padlock", "online: true"], 10);
    assert!(
        !app.log().contains("window opened"),
        "started without a window"
    );
    // Already locked.
    tray.expect("Lock now", false);

    step("the request still pending is notified again after the start");
    // Anywhere in this launch's log: the app may notify before its tray is up.
    app.wait_seen(
        &format!("notification shown request={}", first.request_id),
        20,
    );
    wait_for("dunst to show the notification", 10, || {
        (notifications_displayed() >= 1).then_some(())
    });
    app.wait_seen("pending: true", 10);
    tray.expect("Review the request from Demo Shop", true);

    step("Review in the notification opens the request; code and PIN approve it");
    notification_button("Review");
    app.wait_log(&["request shown", &first.request_id], 20);
    app.wait_log(&["window opened"], 20);
    let win = window();
    screenshot("request");
    type_text(&win, &first.code);
    keys(&win, &["Tab"]);
    type_text(&win, PIN);
    keys(&win, &["Return"]);
    app.wait_log(&["decision accepted", "Approve"], 30);
    screenshot("request-approved");
    let result = server.result(&shop, &first.request_id).await;
    assert_eq!(result.status, RequestState::Approved);
    assert_eq!(result.user, USER);
    // The notification said who asks and what kind of thing, nothing more; and it
    // was withdrawn once the request was decided.
    let shown = notifications_shown();
    assert!(
        shown.contains("Godkend\tApproval request from Demo Shop\t"),
        "{shown}"
    );
    assert!(!shown.contains("Sign in from Firefox"), "{shown}");
    assert!(
        !shown.contains(&first.code),
        "no code in a notification: {shown}"
    );
    wait_for("the notification to be withdrawn", 10, || {
        (notifications_displayed() == 0).then_some(())
    });

    step("the demo login page in Chromium hands its sign-in to the app: PIN alone");
    handoff::browser_vouches_for_the_site(&server, &mut app, USER, PIN).await;

    step("a wrong PIN says how many tries are left");
    let second = server.sign_in(&shop, USER, "Sign in from Chromium").await;
    // The window is open, so the request shows at once.
    app.wait_log(&["request shown", &second.request_id], 20);
    let win = window();
    type_text(&win, &second.code);
    keys(&win, &["Tab"]);
    type_text(&win, WRONG_PIN);
    keys(&win, &["Return"]);
    app.wait_log(&["approval refused: wrong PIN", "attempts_left=4"], 30);
    screenshot("request-wrong-pin");

    step("Lock now from the tray; then Deny from the notification while locked");
    // The approval unlocked the app.
    tray.expect("Lock now", true);
    tray.click("Lock now");
    app.wait_log(&["locked"], 10);
    app.wait_log(&["tray updated", "Padlock"], 10);
    tray.expect("Lock now", false);
    notification_button("Deny");
    app.wait_log(&["decision accepted", "Deny"], 30);
    let result = server.result(&shop, &second.request_id).await;
    assert_eq!(result.status, RequestState::Denied);

    step("settings from the tray ask for the PIN first; a wrong one is counted");
    tray.click("Settings");
    let win = window();
    type_text(&win, WRONG_PIN);
    keys(&win, &["Return"]);
    app.wait_log(&["unlock refused: wrong PIN"], 30);
    screenshot("unlock-wrong-pin");
    type_text(&win, PIN);
    keys(&win, &["Return"]);
    app.wait_log(&["unlocked"], 30);
    tray.expect("Lock now", true);
    screenshot("settings");

    step("fingerprint: turned on in settings with the PIN; a request approved by scan and code");
    if let Some((_, reader)) = &fingerprint {
        app.wait_log(&["biometric check", "Available"], 20);
        // The header's gear and "?", the lock-on-close switch, then the fingerprint
        // switch (the always-on auto-lock takes no focus); Space asks for the PIN,
        // whose field then has the focus.
        keys(&win, &["Tab", "Tab", "Tab", "Tab", "space"]);
        screenshot("settings-biometric-pin");
        type_text(&win, PIN);
        keys(&win, &["Return"]);
        app.wait_log(&["biometrics loaded", "on=true", "Approves"], 30);
        screenshot("settings-biometric-on");
        keys(&win, &["Escape"]);

        let fourth = server.sign_in(&shop, USER, "Sign in with a finger").await;
        app.wait_log(&["request shown", &fourth.request_id], 20);
        let win = window();
        screenshot("request-biometric");
        // The code, then Return: "Approve with fingerprint" asks for a finger.
        type_text(&win, &fourth.code);
        keys(&win, &["Return"]);
        virtual_reader::wait_for_claim(reader).await;
        screenshot("request-biometric-scanning");
        virtual_reader::touch(reader, FINGER).await;
        app.wait_log(&["decision accepted", "Approve"], 30);
        let result = server.result(&shop, &fourth.request_id).await;
        assert_eq!(result.status, RequestState::Approved);
        assert_eq!(
            result.user_verification,
            Some(godkend_protocol::messages::UvKind::Software),
            "the website learns the approval was by a key kept in software"
        );
        screenshot("request-biometric-approved");
    }

    step("\"This was not me\", confirmed, reports the request");
    let third = server
        .sign_in(&shop, USER, "Sign in from an unknown place")
        .await;
    app.wait_log(&["request shown", &third.request_id], 20);
    let win = window();
    // From the code field: the PIN field (or "Use PIN instead" where a finger
    // approves), then Deny (Approve is disabled), then "This was not me"; its
    // confirmation then has the focus. Last of the requests: a report pauses new
    // requests to this user for a while.
    keys(&win, &["Tab", "Tab", "Tab", "Return"]);
    screenshot("request-not-me");
    keys(&win, &["Return"]);
    app.wait_log(&["decision accepted", "NotMe"], 30);
    let result = server.result(&shop, &third.request_id).await;
    assert_eq!(result.status, RequestState::NotMe);

    tray.click("Settings");
    let win = window();

    step("revoke from the settings: deregistered, no file and no keyring entry left");
    assert!(
        home.path()
            .join(".config/autostart/Godkend.desktop")
            .exists(),
        "start at login is on after activation"
    );
    assert!(
        home.path().join("config/godkend").exists(),
        "the config is there"
    );
    assert_ne!(
        desktop::keyring_entries(),
        "",
        "the keys are in the keyring"
    );
    // Revoke is the settings screen's last control.
    keys(&win, &["shift+Tab", "Return"]);
    screenshot("revoke");
    type_text(&win, PIN);
    keys(&win, &["Return"]);
    app.wait_log(&["this computer was revoked by its user"], 30);
    screenshot("removed");
    let devices = server.devices(USER).to_string();
    assert!(
        devices.contains("revoked"),
        "the server lists it revoked: {devices}"
    );
    for dir in ["config/godkend", "data/godkend", "cache/godkend"] {
        assert!(
            !home.path().join(dir).exists(),
            "{dir} is gone after revoking"
        );
    }
    assert!(
        !home
            .path()
            .join(".config/autostart/Godkend.desktop")
            .exists(),
        "no start at login after revoking"
    );
    assert_eq!(desktop::keyring_entries(), "", "no keyring entry is left");

    step("a second launch with a new link hands it to the running app and exits");
    let link = server.activation_link(USER);
    let mut second = App::start(home.path(), &[&link]);
    assert!(second.wait_exit(20).success(), "{}", second.log());
    assert!(second.log().contains("already running"), "{}", second.log());
    app.wait_log(&["another launch handed over", "link=true"], 10);
    screenshot("handover-link");

    step("quit from the tray: exit status 0");
    tray.click("Quit");
    assert!(app.wait_exit(20).success(), "Quit exits 0:\n{}", app.log());
}
