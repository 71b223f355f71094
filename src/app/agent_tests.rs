//! The app around a live approval agent, in the simulator. The agent's device is a
//! real `Device`: its keys in the private test keyring that scripts/test.sh starts,
//! its config and files in a temp dir, its server an address nothing listens on (the
//! approval round trip against the real server is in the server's agent tests).

use std::time::Duration;

use godkend_core::activation::Activated;
use godkend_core::config::{Account, DeviceConfig, PinSalt};
use godkend_core::connection::ConnectionState;
use godkend_core::device::Paths;
use godkend_core::pin::KdfParams;
use godkend_core::push::PushEvent;
use godkend_core::session::AUTO_LOCK;
use godkend_core::vault::Vault;
use godkend_core::{CoreError, DeviceKey};
use godkend_protocol::Serial;
use godkend_protocol::messages::{Activation, Organisation, VersionPolicy};
use iced_test::simulator;

use super::*;
use crate::screen::fixtures::payment_request;

/// A device activated "offline": the files and keyring entries an activation
/// leaves, made directly. Panics with how to get the test keyring when it is absent.
/// A test device's temp dir and keyring entries, removed when the test ends (the
/// desktop end-to-end test checks that the keyring holds no Godkend entry).
struct Leftovers {
    dir: tempfile::TempDir,
    keyring_account: String,
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        if let Ok(vault) = Vault::open(&self.keyring_account) {
            let _ = vault.wipe();
        }
    }
}

fn leftovers(name: &str) -> Leftovers {
    Leftovers {
        dir: tempfile::tempdir().unwrap(),
        keyring_account: format!("{name}-{}", rand_suffix()),
    }
}

fn device(leftovers: &Leftovers) -> Arc<Device> {
    let dir = leftovers.dir.path();
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    let marker = std::env::var("GODKEND_TEST_SECRET_SERVICE_BUS").unwrap_or_default();
    assert!(
        !bus.is_empty() && marker == bus,
        "these tests need the private Secret Service that scripts/test.sh starts; run \
         scripts/test.sh, or `. scripts/lib.sh && start_desktop_services` first"
    );
    let vault = Vault::open(&leftovers.keyring_account).expect("the test keyring");
    let device_key = DeviceKey::generate();
    vault
        .store_new_device(&device_key.seed(), &[7; 32], &[9; 32])
        .expect("keys into the keyring");
    let activated = Activated {
        activation: Activation {
            iat: godkend_core::pinned_server::local_now(),
            device_id: "dev-app-test".into(),
            serial: Serial::from_number(4_242).as_str().into(),
            user: "alice".into(),
            device_key: device_key.public().to_b64(),
            org: Organisation {
                name: "Example Bank".into(),
                support_email: None,
                support_phone: None,
                support_url: None,
            },
            version_policy: VersionPolicy {
                latest: env!("CARGO_PKG_VERSION").into(),
                minimum: "0.0.1".into(),
                update_url: None,
            },
            proof: "proof".into(),
        },
        server_key: DeviceKey::generate().public(),
        device_key,
    };
    // Nothing listens on the discard port: the agent sees a server that is down.
    let url = url::Url::parse("http://127.0.0.1:9/").unwrap();
    let account =
        Account::from_activation(url, &activated, PinSalt::generate(), KdfParams::MINIMUM).unwrap();
    let paths = Paths::under(dir);
    DeviceConfig { account }
        .save(&paths.config.config_file())
        .unwrap();
    let device = Device::load(vault, paths).unwrap().expect("activated");
    Arc::new(device)
}

fn rand_suffix() -> String {
    format!("{}-{:x}", std::process::id(), rand::random::<u64>())
}

/// An app on the home screen of a fresh device.
fn home() -> (App, Leftovers) {
    let leftovers = leftovers("app-agent");
    (home_of(device(&leftovers)), leftovers)
}

/// An app on the home screen of `device`.
fn home_of(device: Arc<Device>) -> App {
    let mut app = App::for_tests(Screen::Home);
    // No OS notifications from unit tests: they share the session bus (and its
    // notification daemon) with the desktop end-to-end test, which counts them.
    // The notification's text is checked on its own.
    let _ = app.change_setting(crate::user_settings::Change::Notifications(false));
    app.agent = Some(Agent::new(device));
    app
}

/// A request made just now on the server's clock (the fixture's, re-dated).
fn fresh_request(app: &App, id: &str) -> VerifiedRequest {
    let now = app.agent.as_ref().unwrap().server_now();
    let mut request = payment_request();
    request.request.request_id = id.into();
    request.request.iat = now;
    request.request.exp = now + 120;
    request
}

fn arrive(app: &mut App, request: VerifiedRequest, at: Instant) {
    let update = PushUpdate::Event(Box::new(PushEvent::Request(request)));
    let _ = app.update_at(Message::Push(update), at);
}

fn shows(app: &App, text: &str) -> bool {
    simulator(app.view(window::Id::unique())).find(text).is_ok()
}

#[test]
fn a_request_arrives_home_lists_it_and_review_opens_it() {
    let (mut app, _leftovers) = home();
    let t0 = Instant::now();
    let request = fresh_request(&app, "r-arrives");
    // The notification names only who asks, never the request's own text.
    let content = notification::content(&request, &crate::i18n::LANGUAGE_LOADER);
    let said = format!("{content:?}");
    assert!(
        said.contains("Shop") && !said.contains("Order 1042"),
        "{said}"
    );

    arrive(&mut app, request, t0);
    let agent = app.agent.as_ref().unwrap();
    assert_eq!(agent.pending().unwrap().request.request_id, "r-arrives");
    assert!(
        app.request.is_none(),
        "no window: home lists it, nothing pops up"
    );
    assert!(shows(&app, &fl!("home-review-button")));

    let _ = app.update_at(Message::Home(home::Message::Review), t0);
    let shown = app.request.as_ref().map(Request::request_id);
    assert_eq!(shown, Some("r-arrives"));
    assert!(shows(&app, "Pay for your order"));
    // The activity log has it, as pending.
    let log = app.agent.as_ref().unwrap().activity();
    assert_eq!(log[0].request_id, "r-arrives");
    assert_eq!(log[0].outcome, Standing::Pending);
}

#[test]
fn a_newer_request_replaces_the_open_one_and_closes_it_on_screen() {
    let (mut app, _leftovers) = home();
    app.window = Some(window::Id::unique());
    let t0 = Instant::now();
    let first = fresh_request(&app, "r-first");
    arrive(&mut app, first, t0);
    assert_eq!(
        app.request.as_ref().map(Request::request_id),
        Some("r-first"),
        "with the window open, a request shows at once"
    );
    let mut second = fresh_request(&app, "r-second");
    second.request.iat += 1;
    arrive(&mut app, second, t0);
    assert_eq!(
        app.request.as_ref().map(Request::request_id),
        Some("r-second")
    );
    let agent = app.agent.as_ref().unwrap();
    assert_eq!(agent.tracked("r-first").unwrap().1, Standing::Superseded);
}

#[test]
fn auto_lock_closes_the_settings_on_whatever_message_comes_first() {
    let (mut app, _leftovers) = home();
    let t0 = Instant::now();
    app.agent.as_mut().unwrap().proved(t0);
    let _ = app.update_at(Message::OpenSettings, t0);
    assert!(matches!(app.panel, Some(Panel::Settings(_))));
    // Ticks and heartbeats (no user activity) neither keep the app unlocked nor lock
    // it early.
    let heartbeat = || {
        Message::Push(PushUpdate::State(ConnectionState::Offline {
            reason: CoreError::Offline("down".into()).to_string(),
            retry_in: Duration::from_secs(1),
        }))
    };
    for minute in 1..5 {
        let at = t0 + Duration::from_secs(60 * minute);
        let _ = app.update_at(Message::Tick, at);
        let _ = app.update_at(heartbeat(), at);
        assert!(
            matches!(app.panel, Some(Panel::Settings(_))),
            "minute {minute}"
        );
    }
    // The first message after five minutes, whatever it is, locks and closes.
    let _ = app.update_at(heartbeat(), t0 + AUTO_LOCK);
    assert!(
        app.panel.is_none(),
        "the settings closed with the auto-lock"
    );
    assert!(!app.agent.as_ref().unwrap().is_unlocked(t0 + AUTO_LOCK));
    // Opening them again asks for the PIN.
    let _ = app.update_at(Message::OpenSettings, t0 + AUTO_LOCK);
    assert!(matches!(app.panel, Some(Panel::Unlock(..))));
}

#[test]
fn a_signed_end_of_another_server_is_ignored_and_the_device_stays() {
    let (mut app, leftovers) = home();
    // A "revoked" signed by some other key: the wipe checks the signature first.
    let status = godkend_protocol::messages::DeviceStatus {
        iat: 0,
        device_id: "dev-app-test".into(),
        status: godkend_protocol::messages::DeviceState::Revoked,
        reason: None,
    };
    let key = DeviceKey::generate();
    let envelope = godkend_protocol::Envelope::seal(&status, &[key.signing_key()]).unwrap();
    let wiped = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(app.agent.as_ref().unwrap().wipe(envelope));
    assert_eq!(wiped, Ok(false));
    let device = app.agent.as_ref().unwrap().client().device_id.clone();
    let _ = app.update_at(Message::Wiped(device, wiped), Instant::now());
    // A wipe's answer about another device (one this app had before) is ignored.
    let _ = app.update_at(Message::Wiped("dev-gone".into(), Ok(true)), Instant::now());
    assert!(matches!(app.screen, Screen::Home));
    assert!(app.agent.is_some());
    assert!(leftovers.dir.path().join("config").exists());
}

/// The real server (tests/desktop/server.rs, shared with the desktop end-to-end
/// test, which uses the rest of it).
#[allow(dead_code, reason = "the desktop end-to-end test uses the rest of it")]
#[path = "../../tests/desktop/server.rs"]
mod server;

/// Runs `task` as the iced runtime would, feeding every message it produces back
/// into the app (and the tasks those return), until nothing is left.
fn run(app: &mut App, task: Task<Message>, runtime: &tokio::runtime::Runtime) {
    use iced::futures::StreamExt as _;
    let mut pending = vec![task];
    while let Some(task) = pending.pop() {
        let Some(stream) = iced_runtime::task::into_stream(task) else {
            continue;
        };
        let actions: Vec<_> = runtime.block_on(async {
            tokio::time::timeout(Duration::from_mins(1), stream.collect::<Vec<_>>())
                .await
                .expect("the task finished")
        });
        for action in actions {
            if let iced_runtime::Action::Output(message) = action {
                pending.push(app.update(message));
            }
        }
    }
}

/// Types `typed` into the field with `placeholder` and hands the app what it sent.
fn type_into(app: &mut App, placeholder: &str, typed: &str, runtime: &tokio::runtime::Runtime) {
    let mut ui = simulator(app.view(window::Id::unique()));
    ui.click(placeholder)
        .unwrap_or_else(|e| panic!("no field {placeholder:?}: {e}"));
    ui.typewrite(typed);
    let messages: Vec<Message> = ui.into_messages().collect();
    for message in messages {
        let task = app.update(message);
        run(app, task, runtime);
    }
}

fn press(app: &mut App, label: &str, runtime: &tokio::runtime::Runtime) {
    let mut ui = simulator(app.view(window::Id::unique()));
    ui.click(label)
        .unwrap_or_else(|e| panic!("no control {label:?}: {e}"));
    let messages: Vec<Message> = ui.into_messages().collect();
    for message in messages {
        let task = app.update(message);
        run(app, task, runtime);
    }
}

#[test]
fn a_request_is_approved_with_code_and_pin_through_the_app_and_the_real_server() {
    const PIN: &str = "403917";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(server::Server::start());
    server.admin(&["user", "add", "alice"]);
    let rp = server.add_rp("shop", "Shop");
    let link = server.activation_link("alice");
    let leftovers = leftovers("app-approve");
    assert!(
        !std::env::var("GODKEND_TEST_SECRET_SERVICE_BUS")
            .unwrap_or_default()
            .is_empty(),
        "this test needs the private Secret Service that scripts/test.sh starts"
    );
    let vault = Vault::open(&leftovers.keyring_account).unwrap();
    let input =
        godkend_core::activation::ActivationInput::from_link(&link, "test computer").unwrap();
    let device = runtime
        .block_on(Device::activate(
            &input,
            PIN,
            vault,
            Paths::under(leftovers.dir.path()),
        ))
        .expect("activation");

    let mut app = home_of(Arc::new(device));
    let created = runtime.block_on(server.sign_in(&rp, "alice", "Sign in from Firefox"));
    let pending = runtime
        .block_on(app.agent.as_ref().unwrap().client().pending())
        .unwrap();
    let task = app.update(Message::Push(PushUpdate::Polled(pending)));
    run(&mut app, task, &runtime);

    press(&mut app, &fl!("home-review-button"), &runtime);
    assert_eq!(
        app.request.as_ref().map(Request::request_id),
        Some(created.request_id.as_str())
    );
    type_into(
        &mut app,
        &fl!("request-code-placeholder"),
        &created.code,
        &runtime,
    );
    type_into(&mut app, &fl!("request-pin-placeholder"), PIN, &runtime);
    press(&mut app, &fl!("request-approve"), &runtime);

    assert!(shows(&app, &fl!("request-approved")), "the screen says so");
    let agent = app.agent.as_ref().unwrap();
    assert_eq!(
        agent.tracked(&created.request_id).map(|(_, s)| s),
        Some(Standing::Decided(
            godkend_protocol::messages::DecisionKind::Approve
        ))
    );
    assert!(
        agent.is_unlocked(Instant::now()),
        "the approval proved the PIN"
    );
    let result = runtime.block_on(server.result(&rp, &created.request_id));
    assert_eq!(
        result.status,
        godkend_protocol::messages::RequestState::Approved
    );
}

#[test]
fn an_os_session_lock_or_sleep_locks_the_app_and_a_resume_reconnects() {
    use godkend_core::os_session::OsSessionEvent;
    use iced::futures::FutureExt as _;

    for event in [
        OsSessionEvent::Locked,
        OsSessionEvent::Sleeping,
        OsSessionEvent::Resumed,
    ] {
        let (mut app, _leftovers) = home();
        let now = Instant::now();
        app.agent.as_mut().unwrap().proved(now);
        let _ = app.update_at(Message::OpenSettings, now);
        assert!(matches!(app.panel, Some(Panel::Settings(_))));
        let _ = app.update_at(Message::OsSession(event), now);
        let agent = app.agent.as_ref().unwrap();
        assert!(!agent.is_unlocked(now), "{event:?} locks");
        assert!(app.panel.is_none(), "{event:?} closes the settings");
        let woken = app.wake.notified().now_or_never().is_some();
        assert_eq!(
            woken,
            event == OsSessionEvent::Resumed,
            "only a resume wakes the push connection ({event:?})"
        );
    }
}
