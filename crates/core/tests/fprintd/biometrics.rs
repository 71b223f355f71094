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
        let dir = tempfile::tempdir().unwrap();
        let device = Device::activate(&input, PIN, vault, Paths::under(dir.path()))
            .await
            .expect("activation");

        // On: a key registered with the PIN's authority and kept in the keyring.
        let finger = device
            .enable_biometrics(PIN, rig.bus.clone())
            .await
            .expect("biometrics on");
        assert!(device.biometric_signer(rig.bus.clone()).unwrap().is_some());

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
        assert!(device.biometric_signer(rig.bus.clone()).unwrap().is_none());
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
            .enable_biometrics(PIN, rig.bus.clone())
            .await
            .unwrap();
        device.revoke(PIN).await.expect("revoke");
        let reopened = Vault::open(&account).unwrap();
        assert!(reopened.biometric_seed().unwrap().is_none());
    }
}
