//! The agent's own rules, without a server: what an answer unlocks, and one flush
//! at a time. (Its behaviour against the real server is in the server's tests.)

use std::sync::Arc;
use std::time::Instant;

use godkend_protocol::messages::{DecisionKind, RequestKind};

use super::*;
use crate::answer::Refusal;
use crate::client::ServerClient;
use crate::keys::DeviceKey;

fn agent() -> Agent<MemoryDevice> {
    // Nothing listens there; these tests never await a network call.
    let server = ServerClient::new(
        "http://127.0.0.1:9/".parse().unwrap(),
        DeviceKey::generate().public(),
    )
    .unwrap();
    let client = DeviceClient::new(server, "d".into(), "alice".into(), DeviceKey::generate());
    Agent::new(Arc::new(MemoryDevice::new(Arc::new(client))))
}

fn approve(agent: &mut Agent<MemoryDevice>, id: &str) {
    let request = crate::test_support::signed_request(id, 100, RequestKind::Login, "m");
    let pin_key = crate::pin::derive_pin_key(
        "403917",
        b"salt-salt-salt-1",
        crate::pin::KdfParams::MINIMUM,
        &[1; 32],
    )
    .unwrap();
    let choice = Choice::Approve {
        code: "123456".into(),
        pin_key: Arc::new(pin_key),
    };
    // Made now, sent when awaited: the agent notes the approval at once.
    drop(agent.decide(&request, choice));
}

const APPROVED: Answer = Answer::Accepted(Standing::Decided(DecisionKind::Approve));

#[test]
fn an_accepted_approval_unlocks() {
    let mut agent = agent();
    let now = Instant::now();
    approve(&mut agent, "r1");
    let _ = agent.answered("r1", DecisionKind::Approve, &APPROVED, now);
    assert!(agent.is_unlocked(now));
}

#[test]
fn an_approval_accepted_after_a_lock_does_not_unlock_again() {
    let mut agent = agent();
    let now = Instant::now();
    approve(&mut agent, "r1");
    // The window closed (lock on close), or the OS session locked, meanwhile.
    let _ = agent.lock(now);
    let _ = agent.answered("r1", DecisionKind::Approve, &APPROVED, now);
    assert!(!agent.is_unlocked(now));
    // Nor does an answer for an approval this agent never made.
    let _ = agent.answered("r9", DecisionKind::Approve, &APPROVED, now);
    assert!(!agent.is_unlocked(now));
}

#[test]
fn one_flush_at_a_time_and_one_more_after_it_when_asked_meanwhile() {
    let mut agent = agent();
    let now = Instant::now();
    let kept = Answer::Kept("offline".into());
    let first = agent.answered("r1", DecisionKind::Deny, &kept, now);
    assert!(matches!(first.work.as_slice(), [Work::Flush]));
    let second = agent.answered("r2", DecisionKind::Deny, &kept, now);
    assert!(second.work.is_empty(), "the running flush is not doubled");
    let done = agent.flushed(Vec::new());
    assert!(
        matches!(done.work.as_slice(), [Work::Flush]),
        "the decision stored meanwhile gets its own flush"
    );
    let done = agent.flushed(Vec::new());
    assert!(done.work.is_empty());
}

#[test]
fn a_refusal_with_the_device_status_wipes_and_others_report() {
    let mut agent = agent();
    let status = crate::test_support::signed_request("x", 1, RequestKind::Login, "m").envelope;
    let blocked = Answer::Refused(Refusal {
        code: Some(godkend_protocol::ErrorCode::DeviceBlocked),
        attempts_left: Some(0),
        device_status: Some(status),
        reason: "blocked".into(),
    });
    let effects = agent.flushed(vec![("r1".into(), blocked), ("r2".into(), APPROVED)]);
    assert!(matches!(effects.work.as_slice(), [Work::Wipe(_)]));
    let answered = effects
        .notices
        .iter()
        .filter(|n| matches!(n, Notice::Answered(..)))
        .count();
    assert_eq!(answered, 2, "every decision that left the outbox reports");
}
