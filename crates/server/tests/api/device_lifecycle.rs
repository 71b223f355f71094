//! The whole device (godkend-core's `Device`) with the real OS keyring (a private
//! gnome-keyring started by scripts/test.sh) and the real server: activation puts
//! secrets only in the keyring, revocation and blocking leave nothing behind, and
//! only a server-signed status wipes.

#![cfg(target_os = "linux")]

use std::path::Path;

use base64::Engine as _;
use godkend_core::activation::ActivationInput;
use godkend_core::device::{Device, Paths};
use godkend_core::vault::{Secret, Vault};
use godkend_protocol::messages::DeviceStatus;
use godkend_protocol::{Envelope, ErrorCode};

use crate::common::{Db, PIN, TestServer, WRONG_PIN};

/// A vault on the test keyring only (never a developer's own), under a fresh account.
fn test_vault(name: &str) -> Vault {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    let marker = std::env::var("GODKEND_TEST_SECRET_SERVICE_BUS").unwrap_or_default();
    assert!(
        !bus.is_empty() && marker == bus,
        "these tests need the private Secret Service that scripts/test.sh starts \
         (gnome-keyring from the Debian package gnome-keyring); run scripts/test.sh, or \
         `. scripts/lib.sh && start_desktop_services` first"
    );
    let vault = Vault::open(&format!("lifecycle-{}-{name}", std::process::id()))
        .expect("open the test keyring");
    vault.wipe().unwrap();
    vault
}

fn reopen(vault: &Vault) -> Vault {
    Vault::open(vault.account()).unwrap()
}

/// Every byte of every file under `root`.
fn all_file_bytes(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// Fails if any file under `root` holds `secret` raw, in base64url, base64 or hex.
fn assert_nowhere_on_disk(root: &Path, what: &str, secret: &[u8]) {
    let forms: Vec<Vec<u8>> = vec![
        secret.to_vec(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(secret)
            .into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(secret)
            .into_bytes(),
        secret
            .iter()
            .fold(String::new(), |mut hex, b| {
                use std::fmt::Write as _;
                let _ = write!(hex, "{b:02x}");
                hex
            })
            .into_bytes(),
    ];
    for (path, bytes) in all_file_bytes(root) {
        for form in &forms {
            assert!(
                !bytes.windows(form.len()).any(|w| w == form.as_slice()),
                "the {what} is in {path}"
            );
        }
    }
}

async fn activate(server: &TestServer, vault: Vault, root: &Path) -> Device {
    let link = server.activation_link("alice");
    let input = ActivationInput::from_link(&link, "test laptop").unwrap();
    Device::activate(&input, PIN, vault, Paths::under(root))
        .await
        .expect("activation")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_live_only_in_the_keyring_and_revoke_leaves_nothing() {
    let server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let root = tempfile::tempdir().unwrap();
    let vault = test_vault("secrets");
    let device = activate(&server, reopen(&vault), root.path()).await;

    // Approve once through the outbox, so a PIN-signed decision has touched the disk.
    let created = rp.login("alice").await;
    let request = device.client.pending().await.unwrap().remove(0);
    device.history().entries(); // the log exists alongside
    let pin_key = device.pin_key(PIN).await.unwrap();
    let signed = device
        .client
        .approve(&request, &created.code, &pin_key)
        .unwrap();
    device.outbox.put(&signed).unwrap();
    let pin_signature = signed
        .envelope
        .signatures
        .iter()
        .find(|s| s.kid == pin_key.public().kid())
        .unwrap()
        .sig
        .clone();

    let seed = vault.device_seed().unwrap();
    let pepper = vault.pepper().unwrap();
    let outbox_key = vault.outbox_key().unwrap();
    assert_nowhere_on_disk(root.path(), "device key", &seed[..]);
    assert_nowhere_on_disk(root.path(), "pepper", &pepper[..]);
    assert_nowhere_on_disk(root.path(), "outbox key", &outbox_key[..]);
    assert_nowhere_on_disk(root.path(), "PIN public key", pin_key.public().bytes());
    assert_nowhere_on_disk(root.path(), "PIN signature", pin_signature.as_bytes());
    assert!(
        all_file_bytes(root.path())
            .iter()
            .any(|(p, _)| p.ends_with("config.toml"))
    );

    // After a restart the device loads from the config and the keyring.
    let outbox_results = device.outbox.flush(&device.client).await.unwrap();
    assert_eq!(outbox_results.len(), 1);
    drop(device);
    let device = Device::load(reopen(&vault), Paths::under(root.path()))
        .unwrap()
        .expect("activated");
    assert!(device.client.pending().await.unwrap().is_empty());

    // Revoke from the app: at the server, then no file and no keyring entry.
    let id = device.client.device_id.clone();
    device.revoke(PIN).await.unwrap();
    assert!(
        all_file_bytes(root.path()).is_empty(),
        "files left after revoke"
    );
    for secret in Secret::ALL {
        assert!(
            vault.find(secret).unwrap().is_none(),
            "{secret} left in the keyring"
        );
    }
    let devices = server.admin(&["device", "list", "alice"]).unwrap();
    let row = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device_id"] == id.as_str())
        .unwrap();
    assert_eq!(row["status"], "revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_signed_status_wipes_and_a_block_does() {
    let server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let root = tempfile::tempdir().unwrap();
    let vault = test_vault("blocked");
    let device = activate(&server, reopen(&vault), root.path()).await;

    // A "revoked" status signed by someone else changes nothing.
    let someone_else = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let forged = Envelope::seal(
        &DeviceStatus {
            iat: 1,
            device_id: device.client.device_id.clone(),
            status: godkend_protocol::messages::DeviceState::Revoked,
            reason: None,
        },
        &[&someone_else],
    )
    .unwrap();
    assert!(!device.wipe_if_ended(&forged).unwrap());
    assert!(vault.find(Secret::DeviceSeed).unwrap().is_some());

    // Five wrong PINs: the server's answer carries the signed block, which wipes.
    let mut last = None;
    for _ in 0..5 {
        let wrong = device.pin_key(WRONG_PIN).await.unwrap();
        last = Some(device.client.unlock(&wrong).await.unwrap_err());
    }
    let last = last.unwrap();
    assert_eq!(last.code(), Some(ErrorCode::DeviceBlocked));
    let status = last.problem().unwrap().device_status.clone().unwrap();
    assert!(device.wipe_if_ended(&status).unwrap());
    assert!(all_file_bytes(root.path()).is_empty());
    assert!(vault.find(Secret::DeviceSeed).unwrap().is_none());
    // Wiping again (a crash halfway, a second event) is harmless.
    Device::wipe(&vault, &Paths::under(root.path())).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_activation_leaves_no_key_and_no_config() {
    let server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let root = tempfile::tempdir().unwrap();
    let vault = test_vault("failed");
    let link = server.activation_link("alice");
    let mut input = ActivationInput::from_link(&link, "laptop").unwrap();
    input.code = "WRONGWRONGWRONGW".into();
    let err = Device::activate(&input, PIN, reopen(&vault), Paths::under(root.path()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("activation code"), "{err}");
    for secret in Secret::ALL {
        assert!(
            vault.find(secret).unwrap().is_none(),
            "{secret} left after a failed activation"
        );
    }
    assert!(all_file_bytes(root.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_revoke_wipes_the_device_on_its_signed_status() {
    let server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let root = tempfile::tempdir().unwrap();
    let vault = test_vault("admin");
    let device = activate(&server, reopen(&vault), root.path()).await;
    let serial = device.config.account.serial.to_string();
    server.admin(&["device", "revoke", &serial]).unwrap();
    // The device learns it from its signed status (or the same object on its stream).
    let (status, envelope) = device.client.status().await.unwrap();
    assert_eq!(
        status.status,
        godkend_protocol::messages::DeviceState::Revoked
    );
    assert!(device.wipe_if_ended(&envelope).unwrap());
    assert!(
        all_file_bytes(root.path()).is_empty(),
        "files left after an admin revoke"
    );
    for secret in Secret::ALL {
        assert!(
            vault.find(secret).unwrap().is_none(),
            "{secret} left in the keyring"
        );
    }
}
