//! godkend-core's approval agent against the real server: what it tells a front end
//! from arrival to each way a request closes, and how it keeps, retries and reports
//! decisions through server errors (a loopback proxy scripts those). The agent runs
//! on an in-memory device here; the desktop app's keyring-backed `Device` runs the
//! same agent in the app's tests and in device_lifecycle.

use std::sync::Arc;
use std::time::{Duration, Instant};

use godkend_core::agent::{Agent, Choice, MemoryDevice, Notice, Work};
use godkend_core::answer::Answer;
use godkend_core::client::DeviceClient;
use godkend_core::connection::{self, ConnectionPolicy, PushUpdate};
use godkend_core::push::VerifiedRequest;
use godkend_core::standing::Standing;
use godkend_protocol::messages::DecisionKind;
use serde_json::json;
use tokio::sync::{Notify, mpsc};

use crate::common::{Db, PIN, TestServer};
use crate::outbox_retry::{Proxy, decisions_applied, problem};

both_backends!(
    every_way_a_request_closes_reaches_the_agent,
    a_decision_kept_through_server_errors_is_retried_and_delivered_once,
    a_final_refusal_is_not_retried,
    two_queued_decisions_both_report,
    an_unknown_code_is_judged_by_its_status,
);

/// An agent fed by the real push connection of `client` (origin_browser uses it too).
pub(crate) struct Live {
    pub(crate) agent: Agent<MemoryDevice>,
    updates: mpsc::Receiver<PushUpdate>,
}

impl Live {
    pub(crate) fn start(client: DeviceClient) -> Live {
        let client = Arc::new(client);
        let (tx, updates) = mpsc::channel(64);
        let policy = ConnectionPolicy::default();
        tokio::spawn(connection::run(
            Arc::clone(&client),
            policy,
            tx,
            Arc::new(Notify::new()),
        ));
        Live {
            agent: Agent::new(Arc::new(MemoryDevice::new(client))),
            updates,
        }
    }

    /// Feeds push updates and ticks to the agent until a notice matches `pick`.
    async fn until(&mut self, what: &str, mut pick: impl FnMut(&Notice) -> bool) -> Notice {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let effects = tokio::select! {
                update = self.updates.recv() => self.agent.push(&update.expect("connection runs")),
                () = tokio::time::sleep(Duration::from_millis(250)) => self.agent.tick(),
                () = tokio::time::sleep_until(deadline) => panic!("no notice: {what}"),
            };
            if let Some(found) = effects.notices.into_iter().find(&mut pick) {
                return found;
            }
        }
    }

    pub(crate) async fn arrival(&mut self, id: &str) -> VerifiedRequest {
        match self
            .until(
                "arrival",
                |n| matches!(n, Notice::Arrived(r) if r.request.request_id == id),
            )
            .await
        {
            Notice::Arrived(request) => *request,
            _ => unreachable!(),
        }
    }

    async fn closed(&mut self, id: &str, standing: Standing) {
        self.until(
            &format!("{id} closed as {standing:?}"),
            |n| matches!(n, Notice::Closed(c, s) if c == id && *s == standing),
        )
        .await;
    }
}

fn pin_key(device: &crate::common::Device) -> Arc<godkend_core::PinKey> {
    Arc::new(device.pin(PIN))
}

async fn every_way_a_request_closes_reaches_the_agent(db: Db) {
    let server = TestServer::start_with(db, &["--push-backoff-seconds", "0"]).await;
    server.add_user("alice");
    let rp = server.add_rp("shop", "Shop");
    let device = server.device("alice").await;
    let other = server.device("alice").await;
    let key = pin_key(&device);
    let mut live = Live::start(device.client_at(&server.url));

    // Superseded: a newer request replaces the pending one.
    let first = rp.login("alice").await;
    live.arrival(&first.request_id).await;
    let second = rp.login("alice").await;
    live.closed(&first.request_id, Standing::Superseded).await;
    let request = live.arrival(&second.request_id).await;

    // Decided elsewhere: the user's other device denies it.
    other.refuse(&request, false).await.unwrap();
    live.closed(&second.request_id, Standing::Withdrawn).await;

    // Approved here: the answer goes to the agent, which closes it and unlocks.
    let third = rp.login("alice").await;
    let request = live.arrival(&third.request_id).await;
    let choice = Choice::Approve {
        code: third.code.as_str().into(),
        pin_key: Arc::clone(&key),
    };
    let answer = live.agent.decide(&request, choice).await;
    assert!(matches!(
        answer,
        Answer::Accepted(Standing::Decided(DecisionKind::Approve))
    ));
    let now = Instant::now();
    let effects = live
        .agent
        .answered(&third.request_id, DecisionKind::Approve, &answer, now);
    assert!(matches!(
        effects.notices.as_slice(),
        [Notice::Closed(id, Standing::Decided(DecisionKind::Approve))] if *id == third.request_id
    ));
    assert!(
        live.agent.is_unlocked(now),
        "an accepted approval proves the PIN"
    );

    // Failed after wrong codes: the third wrong code fails it.
    let fourth = rp.login("alice").await;
    let request = live.arrival(&fourth.request_id).await;
    // Three different wrong codes (a resent identical decision is answered from
    // the server's record and not counted again).
    let wrong = ["000000", "111111", "222222", "333333"]
        .into_iter()
        .filter(|c| *c != fourth.code)
        .take(3);
    let mut last = None;
    for code in wrong {
        let choice = Choice::Approve {
            code: code.into(),
            pin_key: Arc::clone(&key),
        };
        let answer = live.agent.decide(&request, choice).await;
        last = Some(
            live.agent
                .answered(&fourth.request_id, DecisionKind::Approve, &answer, now),
        );
    }
    let last = last.unwrap();
    assert!(
        matches!(
            last.notices.as_slice(),
            [Notice::Closed(id, Standing::Failed)] if *id == fourth.request_id
        ),
        "{last:?}"
    );

    // Expired, on server time, with no event at all.
    let fifth = rp
        .create(&json!({"user": "alice", "kind": "login", "title": "t", "message": "m", "ttl_seconds": 10}))
        .await;
    live.arrival(&fifth.request_id).await;
    live.closed(&fifth.request_id, Standing::Expired).await;

    // The activity log followed all of it.
    let log = live.agent.activity();
    let outcome = |id: &str| log.iter().find(|e| e.request_id == id).map(|e| e.outcome);
    assert_eq!(outcome(&first.request_id), Some(Standing::Superseded));
    assert_eq!(outcome(&second.request_id), Some(Standing::Withdrawn));
    assert_eq!(
        outcome(&third.request_id),
        Some(Standing::Decided(DecisionKind::Approve))
    );
    assert_eq!(outcome(&fourth.request_id), Some(Standing::Failed));
    assert_eq!(outcome(&fifth.request_id), Some(Standing::Expired));
}

/// The outbox tests' set-up (a server with alice's device, a proxy in front of it
/// that scripts answers to decisions), and an agent for that device talking through
/// the proxy (no push connection: these tests feed it).
struct Setup {
    server: TestServer,
    rp: crate::common::Rp,
    device: crate::common::Device,
    proxy: Arc<Proxy>,
    agent: Agent<MemoryDevice>,
}

async fn setup(db: Db) -> Setup {
    let base = crate::outbox_retry::setup(db).await;
    let agent = Agent::new(Arc::new(MemoryDevice::new(Arc::new(base.via_proxy))));
    Setup {
        server: base.server,
        rp: base.rp,
        device: base.device,
        proxy: base.proxy,
        agent,
    }
}

/// Denies a fresh request through the agent; its id and the answer's effects.
async fn deny_fresh(s: &mut Setup) -> (String, Answer, godkend_core::agent::Effects) {
    let created = s.rp.login("alice").await;
    let request = s.device.pending_one().await;
    let answer = s.agent.decide(&request, Choice::Deny).await;
    let effects = s.agent.answered(
        &created.request_id,
        DecisionKind::Deny,
        &answer,
        Instant::now(),
    );
    (created.request_id, answer, effects)
}

async fn a_decision_kept_through_server_errors_is_retried_and_delivered_once(db: Db) {
    let mut s = setup(db).await;
    s.proxy.script([
        problem("internal", 500),
        problem("retry_later", 503),
        problem("retry_later", 503),
    ]);
    let (id, answer, effects) = deny_fresh(&mut s).await;
    assert!(matches!(answer, Answer::Kept(_)), "{answer:?}");
    assert!(matches!(effects.notices.as_slice(), [Notice::Queued(q, _)] if *q == id));
    assert!(
        matches!(effects.work.as_slice(), [Work::Flush]),
        "it is retried"
    );

    let answers = s.agent.flush().await;
    let effects = s.agent.flushed(answers);
    assert!(matches!(
        effects.notices.as_slice(),
        [Notice::Answered(a, Answer::Accepted(Standing::Decided(DecisionKind::Deny)))] if *a == id
    ));
    assert_eq!(
        s.proxy.decisions(),
        4,
        "three errors, then the one that went through"
    );
    assert_eq!(decisions_applied(&s.server, &id), 1, "applied exactly once");
    assert!(
        s.agent.flush().await.is_empty(),
        "nothing left in the outbox"
    );
}

async fn a_final_refusal_is_not_retried(db: Db) {
    let mut s = setup(db).await;
    s.proxy.script([problem("bad_request", 400)]);
    let (id, answer, effects) = deny_fresh(&mut s).await;
    assert!(matches!(answer, Answer::Refused(_)), "{answer:?}");
    assert!(effects.work.is_empty(), "no retry after a final answer");
    assert!(s.agent.flush().await.is_empty(), "and nothing kept");
    assert_eq!(s.proxy.decisions(), 1);
    assert_eq!(decisions_applied(&s.server, &id), 0);
}

async fn two_queued_decisions_both_report(db: Db) {
    let mut s = setup(db).await;
    s.proxy
        .script([problem("retry_later", 503), problem("retry_later", 503)]);
    let (first, answer, _) = deny_fresh(&mut s).await;
    assert!(matches!(answer, Answer::Kept(_)));
    let (second, answer, _) = deny_fresh(&mut s).await;
    assert!(matches!(answer, Answer::Kept(_)));

    let answers = s.agent.flush().await;
    let effects = s.agent.flushed(answers);
    let answered: Vec<&str> = effects
        .notices
        .iter()
        .filter_map(|n| match n {
            Notice::Answered(id, _) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        answered.len(),
        2,
        "each decision reports: {:?}",
        effects.notices
    );
    assert!(answered.contains(&first.as_str()) && answered.contains(&second.as_str()));
}

async fn an_unknown_code_is_judged_by_its_status(db: Db) {
    let mut s = setup(db).await;
    s.proxy.script([problem("a_code_from_the_future", 503)]);
    let (_, answer, effects) = deny_fresh(&mut s).await;
    assert!(matches!(answer, Answer::Kept(_)), "a 5xx keeps: {answer:?}");
    assert!(matches!(effects.work.as_slice(), [Work::Flush]));
    let answers = s.agent.flush().await;
    assert!(matches!(answers.as_slice(), [(_, Answer::Accepted(_))]));

    s.proxy.script([problem("a_code_from_the_future", 409)]);
    let (_, answer, effects) = deny_fresh(&mut s).await;
    assert!(
        matches!(answer, Answer::Refused(_)),
        "a 4xx is final: {answer:?}"
    );
    assert!(effects.work.is_empty());
}
