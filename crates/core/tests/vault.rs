//! `godkend_core::vault` against a real Secret Service: gnome-keyring-daemon on a
//! private D-Bus session bus, which scripts/test.sh starts (`start_desktop_services`
//! in scripts/lib.sh). The tests refuse to run against any other bus, so they never
//! write to a developer's own keyring. Each test uses its own account, so they can
//! run in parallel; none changes this process's environment (the "no Secret
//! Service" cases run in child processes).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use godkend_core::vault::{SERVICE, Secret, Vault, VaultError};

/// Set by start_desktop_services to the private bus's address.
const BUS_MARKER: &str = "GODKEND_TEST_SECRET_SERVICE_BUS";
/// Set for the child process of `open_without_a_secret_service_is_unavailable`.
const CHILD_MARKER: &str = "GODKEND_VAULT_TEST_CHILD";
/// What the child prints before the error message.
const CHILD_SAYS: &str = "VAULT-OPEN-ERROR: ";

const HOW_TO: &str = "The vault tests need a Secret Service on a private D-Bus session bus: \
    scripts/test.sh starts one (gnome-keyring-daemon from the Debian/Ubuntu package \
    gnome-keyring, on a bus from the package dbus, checked with gdbus from libglib2.0-bin, \
    items inspected with secret-tool from libsecret-tools) and sets DBUS_SESSION_BUS_ADDRESS \
    and GODKEND_TEST_SECRET_SERVICE_BUS. To run only these tests: \
    `. scripts/lib.sh && start_desktop_services && cargo test -p godkend-core --test vault; \
    stop_desktop_services`";

/// Opens a vault for a fresh, test-specific account on the test bus, or fails saying
/// how to get one.
fn open_test_vault(name: &str) -> Vault {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    assert!(
        !bus.is_empty(),
        "DBUS_SESSION_BUS_ADDRESS is not set. {HOW_TO}"
    );
    let marker = std::env::var(BUS_MARKER).unwrap_or_default();
    assert!(
        marker == bus,
        "{BUS_MARKER} is not DBUS_SESSION_BUS_ADDRESS ({bus}): these tests write to the \
         keyring and run only on the bus start_desktop_services started, never on your own \
         keyring. {HOW_TO}"
    );
    let account = format!("test-{}-{name}", std::process::id());
    let vault =
        Vault::open(&account).unwrap_or_else(|e| panic!("Vault::open failed: {e}. {HOW_TO}"));
    vault.wipe().expect("wipe before the test");
    vault
}

fn random32() -> [u8; 32] {
    rand::random()
}

fn secret_tool(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run secret-tool ({e}): install the Debian/Ubuntu package \
                 libsecret-tools (scripts/test.sh does). {HOW_TO}"
            )
        });
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input
            .write_all(text.as_bytes())
            .expect("write to secret-tool");
    }
    drop(input);
    child.wait_with_output().expect("secret-tool ran")
}

/// The item's secret as another Secret Service client (libsecret) reads it.
fn lookup(vault: &Vault, secret: Secret) -> Option<String> {
    let user = vault.entry_user(secret);
    let out = secret_tool(&["lookup", "service", SERVICE, "username", &user], None);
    out.status.success().then(|| {
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .trim_end()
            .to_owned()
    })
}

/// Writes an item with libsecret: our two attributes plus `extra`.
fn plant(vault: &Vault, secret: Secret, value: &str, extra: &str) {
    let user = vault.entry_user(secret);
    let out = secret_tool(
        &[
            "store", "--label", "planted", "service", SERVICE, "username", &user, "extra", extra,
        ],
        Some(value),
    );
    assert!(out.status.success(), "secret-tool store: {out:?}");
}

#[test]
fn each_secret_round_trips() {
    let vault = open_test_vault("round-trip");
    for secret in Secret::ALL {
        assert!(vault.find(secret).unwrap().is_none(), "{secret}");
        assert!(matches!(vault.get(secret), Err(VaultError::Missing(s)) if s == secret));

        let first = random32();
        vault.store(secret, &first).unwrap();
        assert_eq!(*vault.get(secret).unwrap(), first, "{secret}");

        let second = random32();
        vault.store(secret, &second).unwrap();
        assert_eq!(*vault.get(secret).unwrap(), second, "{secret} replaced");
        let typed = match secret {
            Secret::DeviceSeed => vault.device_seed().unwrap(),
            Secret::Pepper => vault.pepper().unwrap(),
            Secret::OutboxKey => vault.outbox_key().unwrap(),
            Secret::BiometricSeed => vault.biometric_seed().unwrap().unwrap(),
        };
        assert_eq!(*typed, second, "{secret} typed getter");

        assert!(vault.delete(secret).unwrap(), "{secret} deleted");
        assert!(!vault.delete(secret).unwrap(), "{secret} deleted twice");
        assert!(vault.find(secret).unwrap().is_none(), "{secret} gone");
    }
    assert!(vault.biometric_seed().unwrap().is_none());
}

#[test]
fn wipe_removes_everything_and_is_idempotent() {
    let vault = open_test_vault("wipe");
    let other = open_test_vault("wipe-other");
    for secret in Secret::ALL {
        vault.store(secret, &random32()).unwrap();
    }
    let kept = random32();
    other.store(Secret::DeviceSeed, &kept).unwrap();

    vault.wipe().unwrap();
    for secret in Secret::ALL {
        assert!(vault.find(secret).unwrap().is_none(), "{secret}");
        assert_eq!(
            lookup(&vault, secret),
            None,
            "{secret} still in the Secret Service"
        );
    }
    vault.wipe().unwrap();
    vault.wipe().unwrap();

    // Another account's entries are untouched.
    assert_eq!(*other.device_seed().unwrap(), kept);
    other.wipe().unwrap();
}

/// A user's revocation wipes the device twice at once: the revoke call's answer and
/// the server's signed "revoked" on the push stream each start a wipe. Whichever
/// finds an entry the other has just deleted must count it as gone, not fail (CI
/// saw "Object does not exist at path …/collection/login/26" from the loser).
#[test]
fn two_wipes_at_once_both_succeed() {
    let vault = open_test_vault("wipe-race");
    for round in 0..15 {
        for secret in Secret::ALL {
            vault.store(secret, &random32()).unwrap();
        }
        let start = std::sync::Barrier::new(2);
        let (first, second) = std::thread::scope(|scope| {
            let wipe = || {
                start.wait();
                vault.wipe()
            };
            let first = scope.spawn(wipe);
            let second = scope.spawn(wipe);
            (first.join().unwrap(), second.join().unwrap())
        });
        assert!(
            first.is_ok() && second.is_ok(),
            "round {round}: {first:?} / {second:?}"
        );
        for secret in Secret::ALL {
            assert_eq!(lookup(&vault, secret), None, "round {round}: {secret} left");
        }
    }
}

#[test]
fn a_second_open_sees_what_the_first_stored() {
    let account;
    let (seed, pepper, outbox) = (random32(), random32(), random32());
    {
        let first = open_test_vault("persist");
        account = first.account().to_owned();
        first.store(Secret::BiometricSeed, &random32()).unwrap();
        first.store_new_device(&seed, &pepper, &outbox).unwrap();
    }
    // A new connection to the daemon, as after a restart of the app.
    let second = Vault::open(&account).unwrap();
    assert_eq!(*second.device_seed().unwrap(), seed);
    assert_eq!(*second.pepper().unwrap(), pepper);
    assert_eq!(*second.outbox_key().unwrap(), outbox);
    assert!(
        second.biometric_seed().unwrap().is_none(),
        "a new activation drops the old biometric key"
    );
    second.wipe().unwrap();
}

#[test]
fn entries_are_items_in_the_secret_service() {
    let vault = open_test_vault("items");
    let seed = random32();
    vault.store(Secret::DeviceSeed, &seed).unwrap();

    // libsecret sees the item under our service and user, holding base64url.
    assert_eq!(
        lookup(&vault, Secret::DeviceSeed).as_deref(),
        Some(URL_SAFE_NO_PAD.encode(seed).as_str())
    );
    let user = vault.entry_user(Secret::DeviceSeed);
    assert_eq!(user, format!("{}/device-key", vault.account()));
    let out = secret_tool(
        &["search", "--all", "service", SERVICE, "username", &user],
        None,
    );
    let listing =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{listing}");
    assert!(listing.contains("label = Godkend device key"), "{listing}");
    assert!(
        listing.contains(&format!("attribute.service = {SERVICE}")),
        "{listing}"
    );
    // In the default collection (the throw-away "login" one), asked over D-Bus.
    let out = Command::new("gdbus")
        .args([
            "call",
            "--session",
            "--dest",
            "org.freedesktop.secrets",
            "--object-path",
            "/org/freedesktop/secrets/aliases/default",
            "--method",
            "org.freedesktop.Secret.Collection.SearchItems",
            &format!("{{'service': '{SERVICE}', 'username': '{user}'}}"),
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run gdbus ({e}): install the Debian/Ubuntu package libglib2.0-bin")
        });
    let found = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        found
            .matches("/org/freedesktop/secrets/collection/login/")
            .count(),
        1,
        "one item in the login collection: {found}"
    );

    // And the vault reads what another client wrote.
    vault.delete(Secret::DeviceSeed).unwrap();
    let pepper = random32();
    plant(&vault, Secret::Pepper, &URL_SAFE_NO_PAD.encode(pepper), "1");
    assert_eq!(*vault.pepper().unwrap(), pepper);

    // A value that is not 32 bytes of base64url is refused, and not shown.
    vault.delete(Secret::Pepper).unwrap();
    plant(&vault, Secret::Pepper, "S3CR3T-but-too-short", "1");
    let error = vault.pepper().unwrap_err();
    assert!(
        matches!(error, VaultError::Malformed(Secret::Pepper)),
        "{error:?}"
    );
    assert!(!format!("{error} {error:?}").contains("S3CR3T"));
    vault.wipe().unwrap();
    assert_eq!(lookup(&vault, Secret::Pepper), None);
}

#[test]
fn store_new_device_is_all_or_nothing() {
    let vault = open_test_vault("all-or-nothing");
    // An older device key, and two items another program wrote under the outbox
    // key's name: that write fails as ambiguous, after the device key and the pepper
    // were written.
    vault.store(Secret::DeviceSeed, &random32()).unwrap();
    plant(
        &vault,
        Secret::OutboxKey,
        &URL_SAFE_NO_PAD.encode([1u8; 32]),
        "1",
    );
    plant(
        &vault,
        Secret::OutboxKey,
        &URL_SAFE_NO_PAD.encode([2u8; 32]),
        "2",
    );

    let error = vault
        .store_new_device(&random32(), &random32(), &random32())
        .unwrap_err();
    assert!(
        matches!(error, VaultError::Ambiguous(Secret::OutboxKey)),
        "{error:?}"
    );
    for secret in [Secret::DeviceSeed, Secret::Pepper, Secret::OutboxKey] {
        assert!(
            vault.find(secret).unwrap().is_none(),
            "{secret} left behind"
        );
        assert_eq!(
            lookup(&vault, secret),
            None,
            "{secret} left in the Secret Service"
        );
    }

    // With the obstacle gone, the same call succeeds.
    let (seed, pepper, outbox) = (random32(), random32(), random32());
    vault.store_new_device(&seed, &pepper, &outbox).unwrap();
    assert_eq!(*vault.device_seed().unwrap(), seed);
    assert_eq!(*vault.pepper().unwrap(), pepper);
    assert_eq!(*vault.outbox_key().unwrap(), outbox);
    vault.wipe().unwrap();
}

#[tokio::test]
async fn calls_on_a_runtime_thread_work() {
    // zbus drives D-Bus on its own tokio runtime, which must not be entered from
    // inside another one: the vault moves the call off this thread.
    let vault = open_test_vault("on-runtime");
    let value = random32();
    vault.store(Secret::OutboxKey, &value).unwrap();
    assert_eq!(*vault.outbox_key().unwrap(), value);
    let vault = tokio::task::spawn_blocking(move || {
        assert_eq!(*vault.outbox_key().unwrap(), value);
        vault
    })
    .await
    .unwrap();
    vault.wipe().unwrap();
}

#[test]
fn the_vault_debug_output_has_no_secrets() {
    let vault = open_test_vault("debug");
    let text = format!("{vault:?}");
    assert!(text.contains(vault.account()), "{text}");
    assert!(text.contains("Secret Service"), "{text}");
}

#[test]
fn invalid_account_names_are_refused_before_connecting() {
    assert!(matches!(
        Vault::open("a/b"),
        Err(VaultError::InvalidAccount(_))
    ));
}

/// A private bus with nothing on it (and, with no <servicedir>, nothing to start).
struct BareBus {
    child: Child,
    address: String,
    _dir: tempfile::TempDir,
}

impl BareBus {
    fn start() -> BareBus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
                 <busconfig><type>session</type><listen>unix:path={}</listen><auth>EXTERNAL</auth>\
                 <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy>\
                 </busconfig>\n",
                dir.path().join("bus").display()
            ),
        )
        .unwrap();
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("dbus.log")).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run dbus-daemon ({e}): install the Debian/Ubuntu package dbus")
            });
        // It prints the address once it listens.
        let mut address = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed {address:?}; its log: {}",
            std::fs::read_to_string(dir.path().join("dbus.log")).unwrap_or_default()
        );
        BareBus {
            child,
            address,
            _dir: dir,
        }
    }
}

impl Drop for BareBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `child_open_reports_unavailable` in a child process with `env` applied and
/// returns the error message it printed.
fn open_in_child(env: &[(&str, Option<&str>)]) -> String {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "child_open_reports_unavailable",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_MARKER, "1");
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A hung D-Bus handshake must fail the test, not hang it.
    let deadline = Instant::now() + Duration::from_mins(1);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "Vault::open in the child did not return within 60 s: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.split_once(CHILD_SAYS).map(|(_, message)| message))
        .unwrap_or_else(|| panic!("no error line from the child: {stdout}"));
    line.to_owned()
}

#[test]
fn open_without_a_secret_service_is_unavailable() {
    let bus = BareBus::start();
    let empty_runtime_dir = tempfile::tempdir().unwrap();
    let missing_socket = format!(
        "unix:path={}",
        empty_runtime_dir.path().join("no-bus-here").display()
    );
    let cases = [
        ("a bus without a Secret Service", Some(bus.address.as_str())),
        (
            "a bus address whose socket does not exist",
            Some(&*missing_socket),
        ),
        ("no bus address at all", None),
    ];
    for (case, address) in cases {
        let message = open_in_child(&[
            ("DBUS_SESSION_BUS_ADDRESS", address),
            // Where zbus looks when the address is unset.
            (
                "XDG_RUNTIME_DIR",
                Some(empty_runtime_dir.path().to_str().unwrap()),
            ),
        ]);
        println!("{case}: {message}");
        assert!(
            message.starts_with("no Secret Service on the D-Bus session bus: install and unlock gnome-keyring (Debian/Ubuntu package: gnome-keyring)"),
            "{case}: {message}"
        );
        assert!(message.contains("KeePassXC"), "{case}: {message}");
    }
}

/// Not a test on its own: `open_without_a_secret_service_is_unavailable` runs it in a
/// child process with another bus address.
#[test]
#[ignore = "run by open_without_a_secret_service_is_unavailable in a child process"]
fn child_open_reports_unavailable() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    match Vault::open("child") {
        Err(VaultError::Unavailable(message)) => println!("{CHILD_SAYS}{message}"),
        other => panic!("expected VaultError::Unavailable, got {other:?}"),
    }
}
