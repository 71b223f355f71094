//! The OS session watcher against a real D-Bus daemon. logind itself cannot run
//! here (it needs systemd as PID 1 and seats), so a stand-in owning the name
//! `org.freedesktop.login1` on a private bus answers `GetSessionByPID` and sends
//! the signals logind sends; everything between it and the watcher (the daemon,
//! match rules, zbus) is the real thing.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod private_bus;

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt as _;
use godkend_core::os_session::OsSessionEvent;
use godkend_core::os_session::linux::watch_on;
use private_bus::Bus;
use zbus::message::Type;
use zbus::{Connection, MessageStream, ObjectPath, Variant};

const SESSION_PATH: &str = "/org/freedesktop/login1/session/_32";

/// The stand-in for logind: owns its name and puts every caller in one session.
async fn stand_in_logind(bus: &Bus) -> Connection {
    let logind = bus.connect().await;
    // Made before the name is taken: a stream sees only the messages that arrive
    // after it exists, and a call it missed would never be answered.
    let mut calls = MessageStream::from(&logind);
    logind
        .request_name("org.freedesktop.login1")
        .await
        .expect("the stand-in owns logind's name");
    let answering = logind.clone();
    tokio::spawn(async move {
        while let Some(Ok(call)) = calls.next().await {
            let header = call.header();
            if header.message_type() != Type::MethodCall {
                continue;
            }
            if header
                .member()
                .is_some_and(|m| m.as_str() == "GetSessionByPID")
            {
                let path = ObjectPath::try_from(SESSION_PATH).expect("a valid path");
                let _ = answering.reply(&header, &path).await;
            }
        }
    });
    logind
}

async fn emit_sleep(logind: &Connection, sleeping: bool) {
    logind
        .emit_signal(
            None::<&str>,
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager",
            "PrepareForSleep",
            &sleeping,
        )
        .await
        .expect("PrepareForSleep is sent");
}

async fn emit_lock(connection: &Connection) {
    connection
        .emit_signal(
            None::<&str>,
            SESSION_PATH,
            "org.freedesktop.login1.Session",
            "Lock",
            &(),
        )
        .await
        .expect("Lock is sent");
}

async fn next(
    events: &mut (impl futures::Stream<Item = OsSessionEvent> + Unpin),
) -> OsSessionEvent {
    tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("an event within 10 s")
        .expect("the watcher is still running")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logind_sleep_resume_and_session_lock_reach_the_watcher() {
    let bus = Bus::start();
    let logind = stand_in_logind(&bus).await;
    let watcher = bus.connect().await;
    let mut events = watch_on(&watcher).await;

    // Anyone on the bus can send a signal with logind's path and interface; only
    // the owner of logind's name is heard.
    let impostor = bus.connect().await;
    emit_lock(&impostor).await;

    emit_sleep(&logind, true).await;
    assert_eq!(next(&mut events).await, OsSessionEvent::Sleeping);
    emit_sleep(&logind, false).await;
    assert_eq!(next(&mut events).await, OsSessionEvent::Resumed);
    emit_lock(&logind).await;
    assert_eq!(next(&mut events).await, OsSessionEvent::Locked);

    // A desktop that locks by itself sets the session's LockedHint instead.
    let mut unlocked = HashMap::new();
    unlocked.insert("LockedHint", Variant::Bool(false));
    let mut locked = HashMap::new();
    locked.insert("LockedHint", Variant::Bool(true));
    for changed in [unlocked, locked] {
        logind
            .emit_signal(
                None::<&str>,
                SESSION_PATH,
                "org.freedesktop.DBus.Properties",
                "PropertiesChanged",
                &(
                    "org.freedesktop.login1.Session",
                    changed,
                    Vec::<&str>::new(),
                ),
            )
            .await
            .expect("PropertiesChanged is sent");
    }
    assert_eq!(next(&mut events).await, OsSessionEvent::Locked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_logind_the_watcher_ends_quietly() {
    let bus = Bus::start();
    let watcher = bus.connect().await;
    let mut events = watch_on(&watcher).await;
    let next = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("the watcher ends at once instead of waiting or retrying");
    assert_eq!(next, None, "no event without logind");
}
