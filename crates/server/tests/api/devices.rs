//! Device life cycle: admin revoke, revoke from the app, PIN change, unlock.

use godkend_core::push::PushEvent;
use godkend_protocol::ErrorCode;
use godkend_protocol::messages::DeviceState;

use crate::common::{Db, PIN, TestServer, WRONG_PIN, next_event};

both_backends!(
    admin_revoke_pushes_a_signed_device_status,
    revoke_another_device_from_the_app_needs_the_pin,
    change_pin_replaces_the_pin_key,
);

async fn admin_revoke_pushes_a_signed_device_status(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let device = server.device("alice").await;
    let mut events = Box::pin(device.client.events(None).await.unwrap());
    next_event(&mut events, 5, |e| {
        matches!(e, PushEvent::Heartbeat(_)).then_some(())
    })
    .await;
    // The CLI is another process: the event reaches the stream through the server's
    // event pump.
    let out = server.admin(&["device", "revoke", &device.serial]).unwrap();
    assert_eq!(out["changed"], true);
    let (status, envelope) = next_event(&mut events, 10, |e| match e {
        PushEvent::Ended(s, env) => Some((s.clone(), env.clone())),
        _ => None,
    })
    .await;
    assert_eq!(status.status, DeviceState::Revoked);
    assert_eq!(status.device_id, device.client.device_id);
    envelope.verify(&server.server_key().await).unwrap();
    let err = device.client.pending().await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::DeviceRevoked));
    let again = server.admin(&["device", "revoke", &device.serial]).unwrap();
    assert_eq!(again["changed"], false, "revoking twice changes nothing");
    let err = server
        .admin(&["device", "revoke", "GK-0000-0000-0001"])
        .unwrap_err();
    assert!(
        err.starts_with("error: ") && err.lines().count() == 1,
        "one clear line: {err}"
    );
}

async fn revoke_another_device_from_the_app_needs_the_pin(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let laptop = server.device("alice").await;
    let desktop = server.device("alice").await;
    let list = laptop.client.devices().await.unwrap();
    assert_eq!(list.devices.len(), 2);
    let err = laptop
        .client
        .revoke(&desktop.client.device_id, &laptop.pin(WRONG_PIN))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::WrongPin));
    laptop
        .client
        .revoke(&desktop.client.device_id, &laptop.pin(PIN))
        .await
        .unwrap();
    let (status, _) = desktop.client.status().await.unwrap();
    assert_eq!(status.status, DeviceState::Revoked);
    // Self-revoke.
    laptop
        .client
        .revoke(&laptop.client.device_id.clone(), &laptop.pin(PIN))
        .await
        .unwrap();
    let (status, _) = laptop.client.status().await.unwrap();
    assert_eq!(status.status, DeviceState::Revoked);
}

async fn change_pin_replaces_the_pin_key(db: Db) {
    let server = TestServer::start(db).await;
    server.add_user("alice");
    let device = server.device("alice").await;
    let err = device
        .client
        .change_pin(&device.pin(WRONG_PIN), &device.pin("528193"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::WrongPin));
    device
        .client
        .change_pin(&device.pin(PIN), &device.pin("528193"))
        .await
        .unwrap();
    device.client.unlock(&device.pin("528193")).await.unwrap();
    let err = device.client.unlock(&device.pin(PIN)).await.unwrap_err();
    assert_eq!(
        err.code(),
        Some(ErrorCode::WrongPin),
        "the old PIN no longer works"
    );
}

/// Key rotation: a device that pinned the old key follows the signed chain to the
/// new one, and accepts what the new key signs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_follows_a_signed_key_rotation() {
    let mut server = TestServer::start(Db::Sqlite).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let old_key = device.client.server.server_key();
    server.admin(&["key", "rotate"]).unwrap();
    server.restart().await;
    rp.login("alice").await;
    // Signed by the new key: the device walks the chain when it does not verify.
    assert_eq!(device.client.pending().await.unwrap().len(), 1);
    let info = device.client.server.server_info().await.unwrap();
    assert_ne!(info.server_kid, old_key.kid());
    assert_eq!(device.client.server.server_key().kid(), info.server_kid);
}
