//! The desktop app through a screen reader's eyes: everything is read and done
//! through AT-SPI only, with a small AT-SPI client (atspi_client.py): the welcome
//! screen's link and PIN fields are filled in and Activate pressed, the guide
//! skipped; then the request screen's heading, RP, amount
//! and countdown are found by role and name, the code and PIN typed into their
//! fields, Approve pressed, and the relying party's signed result says approved; then
//! the unlock screen takes a wrong PIN (read out as an alert) and the right one;
//! last, a setting is switched off and on again through its check box.
//! Every tree read on the way is checked: every button has a name, the PIN field is
//! a secret field, and the typed PIN is in no name, description or text.
//!
//! AccessKit's Unix adapter publishes nothing until AT-SPI says an assistive
//! technology runs (`org.a11y.Status.IsEnabled`): this test switches that on, as
//! Orca does when it starts, and off again when it ends.

#![allow(
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "a test harness: a failure panics with what was expected; the story is one test"
)]

#[path = "../desktop/desktop.rs"]
#[allow(dead_code, reason = "the desktop end-to-end test uses the rest")]
mod desktop;
#[path = "../desktop/server.rs"]
#[allow(dead_code, reason = "other tests use the rest")]
mod server;

use std::io::Write as _;
use std::process::{Command, Stdio};

use godkend_protocol::messages::RequestState;
use serde_json::{Value, json};

use crate::desktop::{App, TrayMenu, wait_for};
use crate::server::Server;

const USER: &str = "alice";
const PIN: &str = "403917";
const WRONG_PIN: &str = "857201";
/// The AT-SPI client.
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/accessibility/atspi_client.py"
);
/// The app on the AT-SPI bus: AccessKit names it after the executable.
const APP: &str = "godkend";

fn step(what: &str) {
    eprintln!("a11y: {what}");
}

/// One node of the app's AT-SPI tree, as the client printed it.
#[derive(Debug)]
struct Node {
    role: String,
    name: String,
    states: Vec<String>,
    text: Option<String>,
    actions: Vec<String>,
    raw: Value,
}

impl Node {
    fn has_state(&self, state: &str) -> bool {
        self.states.iter().any(|s| s == state)
    }
}

/// The AT-SPI client, run with Debian's Python (where python3-gi is).
fn client(args: &[&str], stdin: &str) -> Result<String, String> {
    let mut child = Command::new("/usr/bin/python3")
        .arg(SCRIPT)
        .arg(APP)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the AT-SPI client (/usr/bin/python3 with python3-gi, gir1.2-atspi-2.0)");
    child
        .stdin
        .take()
        .expect("the client's stdin")
        .write_all(stdin.as_bytes())
        .expect("write to the client");
    let out = child.wait_with_output().expect("the client's output");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The app's tree now, checked for what must hold on every screen: every button has
/// a name, and `secret` (a typed PIN) is in no name, description or text.
fn tree(secret: &str) -> Vec<Node> {
    let out = client(&["tree"], "").unwrap_or_else(|e| panic!("the AT-SPI tree: {e}"));
    let nodes: Vec<Node> = out
        .lines()
        .map(|line| {
            let raw: Value = serde_json::from_str(line).expect("a JSON line");
            let strings = |key: &str| -> Vec<String> {
                raw[key]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            Node {
                role: raw["role"].as_str().unwrap_or_default().to_owned(),
                name: raw["name"].as_str().unwrap_or_default().to_owned(),
                states: strings("states"),
                text: raw["text"].as_str().map(str::to_owned),
                actions: strings("actions"),
                raw,
            }
        })
        .collect();
    for node in &nodes {
        if ["push button", "check box", "toggle button"].contains(&node.role.as_str()) {
            assert!(
                !node.name.trim().is_empty(),
                "a button without a name: {node:?}"
            );
        }
        let everything = node.raw.to_string();
        assert!(
            secret.is_empty() || !everything.contains(secret),
            "the PIN is readable through AT-SPI: {everything}"
        );
    }
    nodes
}

/// Waits until the tree has a node with `role` whose name passes `name`; returns it.
fn wait_node(what: &str, role: &str, name: impl Fn(&str) -> bool, secret: &str) -> Node {
    wait_for(what, 20, || {
        tree(secret)
            .into_iter()
            .find(|node| node.role == role && name(&node.name))
    })
}

/// Waits until the control called `name` has the keyboard focus (a screen opens
/// with the focus on its first field).
fn wait_focused(name: &str) {
    wait_for(&format!("{name:?} to have the focus"), 10, || {
        tree("")
            .into_iter()
            .find(|n| n.name == name && n.has_state("focused"))
    });
}

fn press(name: &str) {
    client(&["press", name], "").unwrap_or_else(|e| panic!("press {name:?}: {e}"));
}

fn set_text(name: &str, text: &str) {
    client(&["set", name], text).unwrap_or_else(|e| panic!("type into {name:?}: {e}"));
}

/// What a screen reader hears spoken by itself (AT-SPI announcements of live
/// regions), for some seconds.
struct Announcements(std::process::Child);

impl Announcements {
    /// Starts listening; returns once the listener is registered.
    fn listen(seconds: u32) -> Announcements {
        let mut child = Command::new("/usr/bin/python3")
            .arg(SCRIPT)
            .args(["-", "listen", &seconds.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("run the AT-SPI listener");
        let mut first = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().expect("its stdout")),
            &mut first,
        )
        .expect("the listener starts");
        assert!(first.contains("listening"), "the listener: {first}");
        Announcements(child)
    }

    /// Everything announced while it listened (it ends by itself).
    fn heard(self) -> String {
        let out = self.0.wait_with_output().expect("the listener's output");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Sets AT-SPI's "an assistive technology is running" switch, as Orca does.
fn screen_reader_running(on: bool) {
    let value = if on { "<true>" } else { "<false>" };
    let out = Command::new("gdbus")
        .args([
            "call",
            "--session",
            "--dest",
            "org.a11y.Bus",
            "--object-path",
            "/org/a11y/bus",
            "--method",
            "org.freedesktop.DBus.Properties.Set",
            "org.a11y.Status",
            "IsEnabled",
            value,
        ])
        .output()
        .expect("gdbus");
    assert!(
        out.status.success(),
        "set org.a11y.Status.IsEnabled (is at-spi-bus-launcher on the bus?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Switches the screen reader off again however the test ends, so later tests on
/// the same bus see a desktop without one.
struct ScreenReader;

impl Drop for ScreenReader {
    fn drop(&mut self) {
        screen_reader_running(false);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_reader_user_approves_a_payment_and_unlocks() {
    desktop::check_session();
    assert_eq!(
        std::env::var("GODKEND_TEST_ATSPI").unwrap_or_default(),
        "1",
        "the AT-SPI bus is not running: scripts/test.sh starts it (scripts/lib.sh, \
         start_desktop_services)"
    );
    step("AT-SPI says a screen reader runs (IsEnabled), as Orca would");
    screen_reader_running(true);
    let _screen_reader = ScreenReader;

    let server = Server::start().await;
    server.admin(&["user", "add", USER]);
    let shop = server.add_rp("demo-shop", "Demo Shop");
    let link = server.activation_link(USER);
    let home = tempfile::tempdir().expect("a home dir for the app");

    step("activate through AT-SPI: the link, the PIN chosen twice, Activate");
    let mut app = App::start(home.path(), &[]);
    app.wait_log(&["window opened"], 30);
    wait_node("the window", "frame", |name| name == "Godkend", "");
    wait_node(
        "the welcome screen",
        "heading",
        |n| n == "Activate this computer",
        "",
    );
    wait_focused("Activation link");
    let activate = wait_node("Activate", "push button", |n| n == "Activate", "");
    assert!(
        !activate.has_state("sensitive"),
        "nothing filled in yet: {activate:?}"
    );
    set_text("Activation link", &link);
    wait_node(
        "the link's server, read",
        "label",
        |n| n.starts_with("For user alice on the server "),
        "",
    );
    set_text("New PIN", PIN);
    set_text("Type the PIN again", PIN);
    let nodes = wait_for("both PIN fields to hold six digits", 20, || {
        let nodes = tree(PIN);
        let masked = nodes
            .iter()
            .filter(|n| n.role == "password text" && n.text.as_deref() == Some("••••••"))
            .count();
        (masked == 2).then_some(nodes)
    });
    assert!(
        nodes.iter().any(|n| n.name == "The PINs match."),
        "the feedback is read: {nodes:?}"
    );
    let activate = wait_node("Activate, enabled", "push button", |n| n == "Activate", PIN);
    assert!(activate.has_state("sensitive"), "{activate:?}");
    press("Activate");
    app.wait_log(&["activated"], 60);
    wait_node(
        "the serial number",
        "label",
        |n| n.starts_with("Serial number: "),
        PIN,
    );
    press("Continue");
    app.wait_log(&["connection", "Connected"], 30);
    step("the first-run guide, skipped through AT-SPI");
    wait_node("the guide", "heading", |n| n == "Welcome to Godkend", PIN);
    press("Skip the guide");

    step("home, read through AT-SPI");
    wait_node("the home screen", "heading", |name| name == "Godkend", "");

    step("a payment arrives: the request screen, read by role and name");
    let body = json!({
        "user": USER, "kind": "payment", "title": "Pay for order 1234",
        "message": "Order 1234 at Demo Shop", "amount": {"value": "1250.00", "currency": "DKK"},
    });
    let announcements = Announcements::listen(8);
    let payment = server.create(&shop, &body).await;
    app.wait_log(&["request shown", &payment.request_id], 20);
    let rp = wait_node("the RP's heading", "heading", |n| n == "Demo Shop", "");
    assert!(
        rp.raw["depth"].as_u64() >= Some(2),
        "inside the window: {rp:?}"
    );
    wait_node("the title", "heading", |n| n == "Pay for order 1234", "");
    wait_node(
        "the amount",
        "label",
        |n| n.replace('\u{a0}', " ") == "Amount: DKK 1,250.00",
        "",
    );
    let countdown = wait_node(
        "the countdown",
        "label",
        |n| n.starts_with("Expires in "),
        "",
    );
    // It counts down in the tree, as on the screen (read when asked for).
    wait_for("the countdown to move on", 5, || {
        tree("").into_iter().find(|n| {
            n.role == "label" && n.name.starts_with("Expires in ") && n.name != countdown.name
        })
    });
    let code = wait_node("the code field", "entry", |n| n == "Code (6 digits)", "");
    assert!(code.has_state("editable"), "{code:?}");
    wait_focused("Code (6 digits)");
    let approve = wait_node("Approve", "push button", |n| n == "Approve", "");
    assert!(
        !approve.has_state("sensitive"),
        "nothing typed yet: {approve:?}"
    );

    let heard = announcements.heard();
    step(&format!("heard: {}", heard.trim().replace('\n', " | ")));
    assert!(
        heard.contains("Payment request. From Demo Shop"),
        "the new request is announced: {heard}"
    );
    assert!(
        !heard.contains("Expires in 1:5"),
        "the countdown is not spoken every second: {heard}"
    );

    step("type the code and the PIN through AT-SPI; the PIN stays hidden");
    set_text("Code (6 digits)", &payment.code);
    wait_node("the typed code", "entry", |n| n == "Code (6 digits)", "")
        .text
        .filter(|text| *text == payment.code)
        .expect("the code field holds the typed code");
    set_text("PIN", PIN);
    let pin = wait_for("the PIN field to hold six digits", 20, || {
        tree(PIN)
            .into_iter()
            .find(|n| n.role == "password text" && n.text.as_deref() == Some("••••••"))
    });
    assert_eq!(pin.name, "PIN");
    assert!(pin.has_state("editable"), "{pin:?}");
    let approve = wait_node("Approve, enabled", "push button", |n| n == "Approve", PIN);
    assert!(approve.has_state("sensitive"), "{approve:?}");
    assert!(approve.actions.iter().any(|a| a == "click"), "{approve:?}");

    step("press Approve: the relying party's signed result says approved, read out");
    let announcements = Announcements::listen(8);
    press("Approve");
    app.wait_log(&["decision accepted", "Approve"], 30);
    wait_node(
        "the outcome, read out",
        "notification",
        |n| n.starts_with("Approved."),
        PIN,
    );
    let heard = announcements.heard();
    step(&format!("heard: {}", heard.trim().replace('\n', " | ")));
    assert!(
        heard.contains("Approved."),
        "the approval is announced: {heard}"
    );
    let result = server.result(&shop, &payment.request_id).await;
    assert_eq!(result.status, RequestState::Approved);
    assert_eq!(result.user, USER);

    step("locked from the tray; Back and Unlock through AT-SPI");
    let tray = TrayMenu::find();
    tray.expect("Lock now", true);
    tray.click("Lock now");
    app.wait_log(&["locked"], 10);
    press("Back");
    wait_node("home, locked", "push button", |n| n == "Unlock", "");
    press("Unlock");
    wait_node(
        "the unlock screen",
        "heading",
        |n| n == "Unlock Godkend",
        "",
    );
    wait_node("the PIN field", "password text", |n| n == "PIN", "");
    wait_focused("PIN");
    let unlock = wait_node("Unlock", "push button", |n| n == "Unlock", "");
    assert!(!unlock.has_state("sensitive"), "no PIN yet: {unlock:?}");
    // The pad's keys are buttons too, named by their digits.
    wait_node("the pad's 7", "push button", |n| n == "7", "");

    step("a wrong PIN is read out at once, with the tries left");
    set_text("PIN", WRONG_PIN);
    wait_for("Unlock to be enabled", 20, || {
        tree(WRONG_PIN)
            .into_iter()
            .find(|n| n.name == "Unlock" && n.role == "push button" && n.has_state("sensitive"))
    });
    let announcements = Announcements::listen(8);
    press("Unlock");
    app.wait_log(&["unlock refused: wrong PIN"], 30);
    wait_node(
        "the wrong PIN, read out",
        "notification",
        |n| n.starts_with("Wrong PIN."),
        WRONG_PIN,
    );
    let heard = announcements.heard();
    step(&format!("heard: {}", heard.trim().replace('\n', " | ")));
    assert!(
        heard.contains("Wrong PIN.") && heard.contains("tries left"),
        "the wrong PIN is announced with the tries left: {heard}"
    );

    step("the right PIN, typed on the pad through AT-SPI, unlocks");
    for digit in PIN.chars() {
        press(&digit.to_string());
    }
    wait_for("six digits in the PIN field", 20, || {
        tree(PIN)
            .into_iter()
            .find(|n| n.role == "password text" && n.text.as_deref() == Some("••••••"))
    });
    press("Unlock");
    app.wait_log(&["unlocked"], 30);
    wait_node("the activity screen", "heading", |n| n == "Activity", PIN);

    step("settings through AT-SPI: switches are check boxes with their state");
    press("Settings");
    wait_node("the settings screen", "heading", |n| n == "Settings", PIN);
    let switch = |checked: bool| {
        wait_for(
            &format!(
                "notifications switched {}",
                if checked { "on" } else { "off" }
            ),
            20,
            || {
                tree(PIN).into_iter().find(|n| {
                    n.role == "check box"
                        && n.name == "Turn on notifications"
                        && n.has_state("checked") == checked
                })
            },
        )
    };
    let notifications = switch(true);
    assert!(notifications.has_state("sensitive"), "{notifications:?}");
    let auto_lock = wait_node(
        "the auto-lock, always on",
        "check box",
        |n| n == "Lock automatically after 5 minutes",
        PIN,
    );
    assert!(
        auto_lock.has_state("checked") && !auto_lock.has_state("sensitive"),
        "shown, on, and not switchable: {auto_lock:?}"
    );
    assert!(
        auto_lock.raw["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Always on")),
        "it says why: {auto_lock:?}"
    );
    press("Turn on notifications");
    switch(false);
    press("Turn on notifications");
    switch(true);
    press("Back");
    wait_node("back home", "heading", |n| n == "Godkend", PIN);
    let log = app.log();
    assert!(!log.contains(PIN), "the PIN is not logged:\n{log}");
    assert!(
        !log.contains(&payment.code),
        "the code is not logged:\n{log}"
    );
}
