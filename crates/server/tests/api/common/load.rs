//! Load for the kill and fault runs: devices answering every request on their
//! stream, relying parties signing users in again and again, one relying party
//! writing as fast as it can, and the invariants checked in the database at the end.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use godkend_core::push::PushEvent;
use godkend_protocol::messages::{CreatedRequest, RequestState, RequestStatus};
use serde_json::json;

use super::{Device, PIN, Rp, TestServer, verify_result};

/// The load every kill and fault run puts on a server: alice and bob's devices
/// answering on their streams while their relying parties sign them in again and
/// again, and a third relying party writing for carol as fast as it can (her device
/// answers only at the end, so each request supersedes the one before and a kill
/// or fault lands on writes in flight).
pub struct LoadRun {
    pub counters: Arc<Counters>,
    /// Carol's device, which refuses what is left at the end.
    pub carol: Device,
    stop: Arc<AtomicBool>,
    devices: Vec<tokio::task::JoinHandle<()>>,
    rps: Vec<tokio::task::JoinHandle<(String, Vec<CreatedRequest>)>>,
}

impl LoadRun {
    /// Adds the users, devices and relying parties on `server` and starts the load.
    pub async fn start(server: &TestServer) -> LoadRun {
        let counters = Arc::new(Counters::default());
        let codes: Codes = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let mut devices = Vec::new();
        let mut rps = Vec::new();
        for (user, rp_id) in [("alice", "shop"), ("bob", "bank")] {
            server.add_user(user);
            let device = server.device(user).await;
            devices.push(tokio::spawn(run_device(
                device,
                codes.clone(),
                counters.clone(),
            )));
            let rp = server.add_rp(rp_id, rp_id);
            rps.push(tokio::spawn(run_rp(
                rp,
                user,
                codes.clone(),
                counters.clone(),
                stop.clone(),
            )));
        }
        server.add_user("carol");
        let carol = server.device("carol").await;
        rps.push(tokio::spawn(run_burst(
            server.add_rp("load", "Load"),
            "carol",
            counters.clone(),
            stop.clone(),
        )));
        LoadRun {
            counters,
            carol,
            stop,
            devices,
            rps,
        }
    }

    pub fn approved(&self) -> usize {
        self.counters.approved.load(Ordering::Relaxed)
    }

    pub fn created(&self) -> usize {
        self.counters.created.load(Ordering::Relaxed)
    }

    /// Waits up to `secs` until `more` approvals were made after this call;
    /// whether they were.
    pub async fn approvals(&self, more: usize, secs: u64) -> bool {
        let target = self.approved() + more;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while tokio::time::Instant::now() < deadline {
            if self.approved() >= target {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.approved() >= target
    }

    /// Stops the relying parties and the devices, has carol refuse what is left,
    /// and returns every request a relying party was told was created, with its key.
    pub async fn finish(self) -> (Arc<Counters>, Vec<(String, CreatedRequest)>) {
        self.stop.store(true, Ordering::Relaxed);
        let mut made = Vec::new();
        for rp in self.rps {
            let (key, requests) = rp.await.unwrap();
            made.extend(requests.into_iter().map(|r| (key.clone(), r)));
        }
        for device in &self.devices {
            device.abort();
        }
        refuse_pending(&self.carol, &self.counters).await;
        (self.counters, made)
    }
}

/// One line of a run's figures for its report.
pub fn figures(counters: &Counters, tally: &Tally) -> String {
    format!(
        "{} confirmed to relying parties, {} in the database ({} create calls failed), \
         states {:?}, {} approvals and {} refusals sent, {} decision resends, \
         {} stream reconnects, {} audited decisions",
        counters.created.load(Ordering::Relaxed),
        tally.total,
        counters.create_failures.load(Ordering::Relaxed),
        tally.states,
        counters.approved.load(Ordering::Relaxed),
        counters.refused.load(Ordering::Relaxed),
        counters.resends.load(Ordering::Relaxed),
        counters.reconnects.load(Ordering::Relaxed),
        tally.audited_decisions,
    )
}

/// Figures of a run, printed at the end.
#[derive(Default)]
pub struct Counters {
    pub created: AtomicUsize,
    pub create_failures: AtomicUsize,
    pub reconnects: AtomicUsize,
    pub resends: AtomicUsize,
    pub approved: AtomicUsize,
    pub refused: AtomicUsize,
    /// The requests whose approval a device was told was accepted.
    pub approved_ids: Mutex<Vec<String>>,
}

/// The codes the relying parties got, by request id (a person would type them).
pub type Codes = Arc<Mutex<HashMap<String, String>>>;

/// A device answering every request on its stream through nginx: approve with the
/// code its relying party got, or refuse one whose code never came (its create
/// answer was lost with the killed node). On a broken stream it reconnects with
/// `Last-Event-ID`; a decision that got no final answer is resent, same bytes.
pub async fn run_device(device: Device, codes: Codes, counters: Arc<Counters>) {
    let mut last_id = None;
    let mut answered = HashSet::new();
    loop {
        let Ok(stream) = device.client.events(last_id).await else {
            counters.reconnects.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let mut stream = Box::pin(stream);
        while let Some(Ok(received)) = stream.next().await {
            last_id = received.id.or(last_id);
            let PushEvent::Request(request) = received.event else {
                continue;
            };
            if !answered.insert(request.request.request_id.clone()) {
                continue;
            }
            let mut code = None;
            for _ in 0..20 {
                code = codes
                    .lock()
                    .unwrap()
                    .get(&request.request.request_id)
                    .cloned();
                if code.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let signed = match &code {
                Some(code) => device
                    .client
                    .approve(&request, code, &device.pin(PIN))
                    .unwrap(),
                None => device.client.refuse(&request, false).unwrap(),
            };
            for attempt in 0..40 {
                if attempt > 0 {
                    counters.resends.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                match device
                    .client
                    .send_decision(&signed.request_id, &signed.bytes)
                    .await
                {
                    Ok(_) => {
                        if code.is_some() {
                            counters.approved.fetch_add(1, Ordering::Relaxed);
                            counters
                                .approved_ids
                                .lock()
                                .unwrap()
                                .push(signed.request_id.clone());
                        } else {
                            counters.refused.fetch_add(1, Ordering::Relaxed);
                        }
                        break;
                    }
                    // Superseded or expired meanwhile: a final answer.
                    Err(e) if e.is_final() => break,
                    Err(_) => {}
                }
            }
        }
        counters.reconnects.fetch_add(1, Ordering::Relaxed);
    }
}

/// A relying party signing its user in again and again: create, long-poll until
/// final, next. A create that fails (its node died) is counted, not retried.
pub async fn run_rp(
    rp: Rp,
    user: &'static str,
    codes: Codes,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) -> (String, Vec<CreatedRequest>) {
    let mut made = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let response = rp
            .http
            .post(format!("{}/v1/rp/requests", rp.url))
            .bearer_auth(&rp.key)
            .json(&json!({"user": user, "kind": "login", "title": "Sign in", "message": "m"}))
            .send()
            .await;
        let created: CreatedRequest = match response {
            Ok(r) if r.status() == 201 => r.json().await.unwrap(),
            _ => {
                counters.create_failures.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        counters.created.fetch_add(1, Ordering::Relaxed);
        codes
            .lock()
            .unwrap()
            .insert(created.request_id.clone(), created.code.clone());
        // Long-poll (through nginx, on whichever node) until the request is final.
        for _ in 0..100 {
            let waited = rp
                .http
                .get(format!(
                    "{}/v1/rp/requests/{}/wait?timeout=5",
                    rp.url, created.request_id
                ))
                .bearer_auth(&rp.key)
                .send()
                .await;
            if let Ok(r) = waited
                && r.status() == 200
                && let Ok(status) = r.json::<godkend_protocol::messages::RequestStatus>().await
                && status.status != RequestState::Pending
            {
                break;
            }
        }
        made.push(created);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (rp.key, made)
}

/// A relying party creating requests for `user` as fast as it can, beside the
/// others; `user`'s device answers only at the end, so each request supersedes the
/// one before and a kill or fault lands on writes in flight.
pub async fn run_burst(
    rp: Rp,
    user: &'static str,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
) -> (String, Vec<CreatedRequest>) {
    let mut made = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let response = rp
            .http
            .post(format!("{}/v1/rp/requests", rp.url))
            .bearer_auth(&rp.key)
            .json(&json!({"user": user, "kind": "login", "title": "Sign in", "message": "m"}))
            .send()
            .await;
        match response {
            Ok(r) if r.status() == 201 => {
                counters.created.fetch_add(1, Ordering::Relaxed);
                made.push(r.json::<CreatedRequest>().await.unwrap());
            }
            _ => {
                counters.create_failures.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    (rp.key, made)
}

/// Refuses whatever is still pending for `device` (the burst's user, at the end).
pub async fn refuse_pending(device: &Device, counters: &Counters) {
    for request in device.client.pending().await.unwrap() {
        let signed = device.client.refuse(&request, false).unwrap();
        device
            .client
            .send_decision(&signed.request_id, &signed.bytes)
            .await
            .unwrap();
        counters.refused.fetch_add(1, Ordering::Relaxed);
    }
}

/// What the database holds at the end of a run.
#[derive(Debug)]
pub struct Tally {
    /// Requests by state.
    pub states: Vec<(String, i64)>,
    pub total: i64,
    pub audited_decisions: usize,
}

/// Checks a run's invariants in the database behind `database_url`, and through the
/// API at `url` as the relying parties see it:
/// - every request is in one final state, or pending and not yet expired;
/// - no request has two accepted decisions (decisions table) nor two audited ones;
/// - every approval a device was told was accepted is approved in the database, and
///   the database holds no other approval;
/// - every request a relying party got reads back with a result that verifies.
pub async fn check_invariants(
    database_url: &str,
    url: &str,
    http: &reqwest::Client,
    server_key: &godkend_protocol::PublicKey,
    made: &[(String, CreatedRequest)],
    counters: &Counters,
) -> Tally {
    let mut db = super::connect(database_url).await;
    let states: Vec<(String, i64)> =
        sqlx::query_as("SELECT state, COUNT(*) FROM requests GROUP BY state ORDER BY state")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let total: i64 = states.iter().map(|(_, n)| n).sum();
    // A pending request past its expiry and the 60 s grace for decisions signed in
    // time would be one a crash left behind.
    let (overdue,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM requests WHERE state = 'pending' AND exp + 60 < $1")
            .bind(crate::common::now() - 5)
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(overdue, 0, "pending past expiry: {states:?}");
    let twice: Vec<(String, i64)> = sqlx::query_as(
        "SELECT request_id, COUNT(*) FROM decisions WHERE http_status = 200 \
         GROUP BY request_id HAVING COUNT(*) > 1",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert!(twice.is_empty(), "decided twice: {twice:?}");
    let audited: Vec<(Option<String>,)> =
        sqlx::query_as("SELECT detail FROM audit WHERE event = 'decision'")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let mut per_request: HashMap<String, usize> = HashMap::new();
    for (detail,) in &audited {
        let id = detail.as_deref().unwrap_or("").split(' ').next().unwrap();
        *per_request.entry(id.to_owned()).or_default() += 1;
    }
    assert!(
        per_request.values().all(|&n| n == 1),
        "one audited decision per request: {per_request:?}"
    );

    // Nothing half-written: a claimed decision without its answer, a final request
    // without its signed result, an approval without its decision, or an accepted
    // decision the request does not record.
    for (what, sql) in [
        (
            "claimed decisions without an answer",
            "SELECT COUNT(*) FROM decisions WHERE http_status = 0",
        ),
        (
            "requests whose result does not match their state",
            "SELECT COUNT(*) FROM requests WHERE (state = 'pending' AND result IS NOT NULL) \
             OR (state <> 'pending' AND result IS NULL)",
        ),
        (
            "approvals without their decision",
            "SELECT COUNT(*) FROM requests WHERE state = 'approved' AND (decision_hash IS NULL \
             OR decided_device_id IS NULL OR decided_at IS NULL)",
        ),
        (
            "accepted decisions their request does not record",
            "SELECT COUNT(*) FROM decisions d JOIN requests r ON r.id = d.request_id \
             WHERE d.http_status = 200 AND (r.decision_hash IS NULL OR r.decision_hash <> d.decision_hash)",
        ),
    ] {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut db).await.unwrap();
        assert_eq!(n, 0, "{what}");
    }

    // No approval lost, none invented.
    let told: HashSet<String> = counters
        .approved_ids
        .lock()
        .unwrap()
        .iter()
        .cloned()
        .collect();
    for id in &told {
        let (state, device, hash): (String, Option<String>, Option<String>) = sqlx::query_as(
            "SELECT state, decided_device_id, decision_hash FROM requests WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut db)
        .await
        .unwrap_or_else(|e| panic!("approved request {id} is in the database: {e}"));
        assert_eq!(
            state, "approved",
            "{id}: the device was told it was approved"
        );
        assert!(
            device.is_some() && hash.is_some(),
            "{id}: decision recorded"
        );
    }
    let approved_rows = states
        .iter()
        .find(|(s, _)| s == "approved")
        .map_or(0, |(_, n)| *n);
    assert_eq!(
        usize::try_from(approved_rows).unwrap(),
        told.len(),
        "the approvals in the database are those the devices were told about"
    );
    assert!(!told.is_empty(), "the run approved something");

    // As the relying parties see it.
    let now = crate::common::now();
    for (key, created) in made {
        let answer: RequestStatus = http
            .get(format!("{url}/v1/rp/requests/{}", created.request_id))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or_else(|_| panic!("status of {}", created.request_id));
        if answer.status == RequestState::Pending {
            assert!(
                created.exp + 60 >= now,
                "{} pending past expiry",
                created.request_id
            );
        } else {
            verify_result(&answer, server_key);
        }
        assert_eq!(
            answer.status == RequestState::Approved,
            told.contains(&created.request_id),
            "{}: {:?}",
            created.request_id,
            answer.status
        );
    }
    assert!(usize::try_from(total).unwrap() >= made.len());
    Tally {
        states,
        total,
        audited_decisions: audited.len(),
    }
}
