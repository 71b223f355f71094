//! Counting graphical sessions through logind, against a real D-Bus daemon: a
//! stand-in owning `org.freedesktop.login1` on a private bus answers `ListSessions`
//! and each session's properties as logind does. Two desktops (fast user switching)
//! turn the hand-off off; one desktop with text logins does not.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod private_bus;

use std::time::Duration;

use futures::StreamExt as _;
use godkend_core::handoff::sessions::Sessions;
use godkend_core::handoff::sessions::logind::sessions_on;
use private_bus::Bus;
use zbus::message::Type;
use zbus::{Connection, MessageStream, ObjectPath, Variant};

/// One listed session: (id, uid, user, class, type, state).
type Listed = (
    &'static str,
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

fn path(id: &str) -> String {
    format!("/org/freedesktop/login1/session/_3{id}")
}

/// The stand-in for logind, listing `sessions`.
async fn stand_in_logind(bus: &Bus, sessions: &'static [Listed]) -> Connection {
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
            match header.member().map(|m| m.as_str().to_owned()).as_deref() {
                Some("ListSessions") => {
                    let listed: Vec<(&str, u32, &str, &str, ObjectPath<'_>)> = sessions
                        .iter()
                        .map(|(id, uid, user, ..)| {
                            (
                                *id,
                                *uid,
                                *user,
                                "seat0",
                                ObjectPath::try_from(path(id)).unwrap(),
                            )
                        })
                        .collect();
                    let _ = answering.reply(&header, &listed).await;
                }
                Some("Get") => {
                    let (_, property): (String, String) = call.body().deserialize().unwrap();
                    let object = header.path().map(ToString::to_string);
                    let session = sessions
                        .iter()
                        .find(|s| object.as_deref() == Some(path(s.0).as_str()));
                    if let Some((_, _, _, class, kind, state)) = session {
                        let value = match property.as_str() {
                            "Class" => *class,
                            "Type" => *kind,
                            _ => *state,
                        };
                        let _ = answering.reply(&header, &Variant::from(value)).await;
                    }
                }
                _ => {}
            }
        }
    });
    logind
}

async fn count(bus: &Bus) -> Sessions {
    let asking = bus.connect().await;
    tokio::time::timeout(Duration::from_secs(10), sessions_on(&asking))
        .await
        .expect("logind's answer within 10 s")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_desktops_are_several_sessions() {
    static SESSIONS: [Listed; 3] = [
        ("1", 1000, "alice", "user", "wayland", "active"),
        ("2", 1001, "bob", "user", "x11", "online"),
        ("3", 0, "gdm", "greeter", "wayland", "online"),
    ];
    let bus = Bus::start();
    let _logind = stand_in_logind(&bus, &SESSIONS).await;
    assert_eq!(count(&bus).await, Sessions::Several(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_desktop_with_text_logins_is_one_session() {
    static SESSIONS: [Listed; 3] = [
        ("1", 1000, "alice", "user", "wayland", "active"),
        ("2", 1000, "alice", "user", "tty", "online"),
        ("4", 1001, "bob", "user", "unspecified", "active"),
    ];
    let bus = Bus::start();
    let _logind = stand_in_logind(&bus, &SESSIONS).await;
    assert_eq!(count(&bus).await, Sessions::One);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_logind_the_count_is_unknown() {
    let bus = Bus::start();
    assert_eq!(count(&bus).await, Sessions::Unknown);
}
