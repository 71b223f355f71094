//! Biometric unlock and approval end to end on Linux, through the core API the app
//! uses: a device activated into the real keyring, fingers read by the real fprintd
//! (virtual reader), decisions judged by the real server, with and without its
//! operator allowing `software` keys for approvals.

use godkend_core::activation::ActivationInput;
use godkend_core::device::{Device, Paths};
use godkend_core::uv::UvError;
use godkend_core::vault::Vault;
use godkend_protocol::ErrorCode;
use godkend_protocol::messages::{RequestState, UvKind};

use super::server::Server;
use super::{ENROLLED, STRANGER, enroll, rig, touch};

const PIN: &str = "403917";

/// Wipes a test device's keyring entries when the test ends, passed or not: the
/// keyring is shared with the desktop end-to-end test, which checks that a revoked
/// device leaves no entry behind.
struct Leftovers(String);

impl Drop for Leftovers {
    fn drop(&mut self) {
        if let Ok(vault) = Vault::open(&self.0) {
            let _ = vault.wipe();
        }
    }
}

/// A vault on the test keyring only (never a developer's own).
fn test_vault(name: &str) -> Vault {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    let marker = std::env::var("GODKEND_TEST_SECRET_SERVICE_BUS").unwrap_or_default();
    assert!(
        !bus.is_empty() && marker == bus,
        "this test also needs the private Secret Service that scripts/test.sh starts \
         (`. scripts/lib.sh && start_desktop_services`)"
    );
    let vault = Vault::open(&format!("biometrics-{}-{name}", std::process::id())).unwrap();
    vault.wipe().unwrap();
    vault
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finger_unlocks_and_approves_only_where_the_server_allows_software_keys() {
    let Some(rig) = rig().await else { return };
    enroll(&rig, ENROLLED).await;
    for allowed in [false, true] {
        let options: &[&str] = if allowed {
            &["--allow-software-uv"]
        } else {
            &[]
        };
        let server = Server::start_with(options).await;
        server.admin(&["user", "add", "alice"]);
        let shop = server.add_rp("shop", "Shop");
        let input =
            ActivationInput::from_link(&server.activation_link("alice"), "test computer").unwrap();
        let vault = test_vault(if allowed { "allowed" } else { "refused" });
        let account = vault.account().to_owned();
        let _leftovers = Leftovers(account.clone());
        let dir = tempfile::tempdir().unwrap();
        let device = Device::activate(&input, PIN, vault, Paths::under(dir.path()))
            .await
            .expect("activation");

        // On: a key registered with the PIN's authority and kept in the keyring.
        let finger = device
            .enable_biometrics_on(PIN, rig.bus.clone())
            .await
            .expect("biometrics on");
        assert!(
            device
                .biometric_signer_on(rig.bus.clone())
                .unwrap()
                .is_some()
        );

        // A matching finger unlocks, whatever the server's policy on approvals.
        let (unlocked, ()) = tokio::join!(
            device.client.unlock_with(&finger, "Unlock Godkend"),
            touch(&rig.reader, ENROLLED)
        );
        unlocked.expect("a matching finger unlocks");

        // Another finger signs nothing, so nothing reaches the server.
        let created = server.sign_in(&shop, "alice", "Sign in from Firefox").await;
        let request = device.client.pending().await.unwrap().remove(0);
        let (refused, ()) = tokio::join!(
            device
                .client
                .approve_with(&request, &created.code, &finger, "Approve"),
            touch(&rig.reader, STRANGER)
        );
        assert!(
            matches!(
                refused,
                Err(godkend_core::CoreError::UserVerification(UvError::NoMatch))
            ),
            "{refused:?}"
        );

        // A matching finger and the typed code: approved only where allowed.
        let (signed, ()) = tokio::join!(
            device
                .client
                .approve_with(&request, &created.code, &finger, "Approve"),
            touch(&rig.reader, ENROLLED)
        );
        let signed = signed.expect("signed after a matching scan");
        let answer = device
            .client
            .send_decision(&signed.request_id, &signed.bytes)
            .await;
        if allowed {
            answer.expect("the server takes software keys here");
            let result = server.result(&shop, &created.request_id).await;
            assert_eq!(result.status, RequestState::Approved);
            assert_eq!(result.user_verification, Some(UvKind::Software));
        } else {
            let error = answer.expect_err("a software key does not approve here");
            assert_eq!(error.code(), Some(ErrorCode::UvNotAllowed));
        }

        // Off: the key goes at the server and from the keyring; the old key in
        // memory can no longer approve.
        device.disable_biometrics().await.expect("biometrics off");
        assert!(
            device
                .biometric_signer_on(rig.bus.clone())
                .unwrap()
                .is_none()
        );
        let again = server.sign_in(&shop, "alice", "Sign in again").await;
        let request = device.client.pending().await.unwrap().remove(0);
        let (signed, ()) = tokio::join!(
            device
                .client
                .approve_with(&request, &again.code, &finger, "Approve"),
            touch(&rig.reader, ENROLLED)
        );
        let signed = signed.expect("the scan still matches");
        let late = device
            .client
            .send_decision(&signed.request_id, &signed.bytes)
            .await;
        assert!(late.is_err(), "a removed key approves nothing: {late:?}");

        // Revoke wipes the keyring, the biometric key included.
        let _ = device
            .enable_biometrics_on(PIN, rig.bus.clone())
            .await
            .unwrap();
        device.revoke(PIN).await.expect("revoke");
        let reopened = Vault::open(&account).unwrap();
        assert!(reopened.biometric_seed().unwrap().is_none());
    }
}

/// NIST SP 800-63B's limit, through the device as the app keeps it: five fingers that
/// do not match suspend biometrics (a restart does not lift it) until the PIN
/// unlocks; a request that requires the PIN is never offered the scan; a new PIN
/// removes the key here and at the server, and the old key's signature then is an
/// unknown key to the server, not a wrong PIN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failed_scans_suspend_biometrics_until_the_pin_unlocks() {
    use godkend_core::uv::offer::{SoftwareUvPolicy, UvSetup};
    use godkend_core::uv::suspension::MAX_FAILED_SCANS;
    use godkend_protocol::messages::UserVerification;

    let Some(rig) = rig().await else { return };
    enroll(&rig, ENROLLED).await;
    let server = Server::start_with(&["--allow-software-uv"]).await;
    server.admin(&["user", "add", "alice"]);
    let shop = server.add_rp("shop", "Shop");
    let input =
        ActivationInput::from_link(&server.activation_link("alice"), "test computer").unwrap();
    let vault = test_vault("suspension");
    let account = vault.account().to_owned();
    let _leftovers = Leftovers(account.clone());
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let device = Device::activate(&input, PIN, vault, paths.clone())
        .await
        .expect("activation");
    let finger = device
        .enable_biometrics_on(PIN, rig.bus.clone())
        .await
        .expect("biometrics on");
    let policy = SoftwareUvPolicy::of(&device.client.server.server_info().await.unwrap());
    let setup = |device: &Device| UvSetup {
        kind: Some(UvKind::Software),
        limit: device.scan_limit(),
    };

    for scan in 1..=MAX_FAILED_SCANS {
        assert!(setup(&device).offers_for_unlock(), "scan {scan} is offered");
        let (refused, ()) = tokio::join!(
            device.client.unlock_with(&finger, "Unlock Godkend"),
            touch(&rig.reader, STRANGER)
        );
        let Err(godkend_core::CoreError::UserVerification(error)) = refused else {
            panic!("another finger unlocks nothing: {refused:?}");
        };
        device.record_scan(Err(&error));
    }
    assert!(!setup(&device).offers_for_unlock(), "suspended after five");
    let restarted = Device::load(Vault::open(&account).unwrap(), paths.clone())
        .unwrap()
        .expect("still activated");
    assert!(
        restarted.scan_limit().is_suspended(),
        "a restart does not lift the suspension"
    );

    // The PIN unlocks (the server judges it) and lifts the suspension.
    device
        .client
        .unlock(&device.pin_key(PIN).await.unwrap())
        .await
        .unwrap();
    device.record_pin_proved();
    assert!(setup(&device).offers_for_unlock());

    // A request that requires the PIN is not offered the scan; one that takes any
    // verification is.
    for (required, offered) in [
        (UserVerification::Pin, false),
        (UserVerification::Any, true),
    ] {
        let created = server
            .create(
                &shop,
                &serde_json::json!({"user": "alice", "kind": "payment", "title": "Pay",
                    "message": "m", "user_verification": required}),
            )
            .await;
        let request = device.client.pending().await.unwrap().remove(0);
        assert_eq!(request.request.request_id, created.request_id);
        assert_eq!(
            setup(&device).offers_for_approval(request.request.user_verification, policy),
            offered,
            "{required:?}"
        );
        let denied = device.client.refuse(&request, false).unwrap();
        device
            .client
            .send_decision(&denied.request_id, &denied.bytes)
            .await
            .expect("denied");
    }

    // A new PIN: the key is gone here and at the server; the old key's scan is an
    // unknown key there and costs no PIN try.
    device.change_pin(PIN, "528193").await.expect("PIN changed");
    assert!(
        device
            .biometric_signer_on(rig.bus.clone())
            .unwrap()
            .is_none()
    );
    let (stale, ()) = tokio::join!(
        device.client.unlock_with(&finger, "Unlock Godkend"),
        touch(&rig.reader, ENROLLED)
    );
    assert_eq!(
        stale.expect_err("the old key unlocks nothing").code(),
        Some(ErrorCode::UvKeyUnknown)
    );
    let wrong = device
        .client
        .unlock(&device.pin_key("111111").await.unwrap())
        .await
        .expect_err("a wrong PIN");
    assert_eq!(wrong.problem().and_then(|p| p.attempts_left), Some(4));
}
