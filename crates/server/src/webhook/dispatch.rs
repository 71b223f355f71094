//! Which due deliveries may start now. Deliveries run side by side under three
//! caps on this node (in total, per relying party, per destination), so one
//! relying party's slow or silent endpoints hold only its own few slots and never
//! the ones another relying party's webhooks need. The due list comes from the
//! store already taken in turns across relying parties (see `Store::due_webhooks`),
//! so a long backlog of one cannot push the others out of the list either.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use super::settings::Limits;

/// The deliveries in flight on this node.
#[derive(Debug)]
pub struct InFlight {
    limits: Limits,
    counts: Arc<Mutex<Counts>>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_rp: HashMap<String, usize>,
    by_destination: HashMap<String, usize>,
    requests: HashSet<String>,
}

/// A delivery's place among those in flight; dropping it frees the place.
#[derive(Debug)]
pub struct Slot {
    counts: Arc<Mutex<Counts>>,
    request: String,
    rp: String,
    destination: String,
}

/// Where a webhook connects, for the per-destination cap: host and port.
pub fn destination_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(url) => format!(
            "{}:{}",
            url.host_str().unwrap_or_default().to_ascii_lowercase(),
            url.port_or_known_default().unwrap_or(0)
        ),
        Err(_) => url.to_owned(),
    }
}

impl InFlight {
    pub fn new(limits: Limits) -> Self {
        InFlight {
            limits,
            counts: Arc::default(),
        }
    }

    /// No delivery can start until one in flight ends.
    pub fn is_full(&self) -> bool {
        self.lock().total >= self.limits.total
    }

    /// Takes a place for `request` of `rp` to `destination`, or `None` when a cap is
    /// reached (or the request is already in flight here).
    pub fn try_start(&self, request: &str, rp: &str, destination: &str) -> Option<Slot> {
        let mut counts = self.lock();
        let rp_count = counts.by_rp.get(rp).copied().unwrap_or(0);
        let destination_count = counts.by_destination.get(destination).copied().unwrap_or(0);
        if counts.total >= self.limits.total
            || rp_count >= self.limits.per_rp
            || destination_count >= self.limits.per_destination
            || counts.requests.contains(request)
        {
            return None;
        }
        counts.total += 1;
        *counts.by_rp.entry(rp.to_owned()).or_default() += 1;
        *counts
            .by_destination
            .entry(destination.to_owned())
            .or_default() += 1;
        counts.requests.insert(request.to_owned());
        Some(Slot {
            counts: self.counts.clone(),
            request: request.to_owned(),
            rp: rp.to_owned(),
            destination: destination.to_owned(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        release(&mut counts.by_rp, &self.rp);
        release(&mut counts.by_destination, &self.destination);
        counts.requests.remove(&self.request);
    }
}

fn release(map: &mut HashMap<String, usize>, key: &str) {
    if let Some(n) = map.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{InFlight, Limits, destination_of};

    const LIMITS: Limits = Limits {
        total: 4,
        per_rp: 2,
        per_destination: 1,
    };

    #[test]
    fn one_relying_party_gets_at_most_its_share() {
        let in_flight = InFlight::new(LIMITS);
        let a1 = in_flight.try_start("r1", "a", "a1:443").unwrap();
        let _a2 = in_flight.try_start("r2", "a", "a2:443").unwrap();
        assert!(
            in_flight.try_start("r3", "a", "a3:443").is_none(),
            "per-RP cap"
        );
        let _b1 = in_flight.try_start("r4", "b", "b1:443").unwrap();
        drop(a1);
        assert!(in_flight.try_start("r3", "a", "a3:443").is_some(), "freed");
    }

    #[test]
    fn one_destination_gets_at_most_its_share() {
        let in_flight = InFlight::new(LIMITS);
        let _a = in_flight.try_start("r1", "a", "hook.example:443").unwrap();
        assert!(
            in_flight.try_start("r2", "b", "hook.example:443").is_none(),
            "per-destination cap holds across relying parties"
        );
        assert!(
            in_flight.try_start("r1", "a", "other:443").is_none(),
            "same request"
        );
    }

    #[test]
    fn the_total_cap_holds() {
        let in_flight = InFlight::new(LIMITS);
        let slots: Vec<_> = (0..4)
            .map(|i| {
                in_flight
                    .try_start(&format!("r{i}"), &format!("rp{i}"), &format!("d{i}"))
                    .unwrap()
            })
            .collect();
        assert!(in_flight.is_full());
        assert!(in_flight.try_start("r9", "rp9", "d9").is_none());
        drop(slots);
        assert!(!in_flight.is_full());
    }

    #[test]
    fn destinations_are_host_and_port() {
        assert_eq!(
            destination_of("https://Hook.Example/a?x=1"),
            "hook.example:443"
        );
        assert_eq!(destination_of("http://127.0.0.1:8080/b"), "127.0.0.1:8080");
    }

    /// Makes `count` final requests of `rp` whose webhooks fell due at `due_at`.
    async fn due_results(store: &crate::store::Store, rp: &str, count: usize, due_at: i64) {
        use crate::store::batch::Batch;
        use crate::store::requests::{Finish, finish_request, queue_request};
        let mut tx = store.begin().await.unwrap();
        for i in 0..count {
            let row = crate::store::RequestRow {
                id: format!("req_{rp}_{i:03}"),
                user_id: format!("user_{i}"),
                rp_id: rp.into(),
                envelope: "{}".into(),
                request_hash: String::new(),
                code: "000000".into(),
                state: "pending".into(),
                code_failures: 0,
                created_at: due_at,
                exp: due_at + 120,
                decided_at: None,
                decided_device_id: None,
                decision_hash: None,
                result: None,
                webhook_url: Some(format!("https://{rp}.example/hook")),
                phishing_origin: None,
            };
            let mut batch = Batch::new(&tx);
            queue_request(&mut batch, &row).unwrap();
            batch.run(&mut tx).await.unwrap();
            let finish = Finish {
                state: godkend_protocol::messages::RequestState::Superseded,
                now: due_at + i64::try_from(i).unwrap(),
                device_id: None,
                decision_hash: None,
                result: "{}",
            };
            assert!(finish_request(&mut tx, &row.id, &finish).await.unwrap());
        }
        tx.commit().await.unwrap();
    }

    #[tokio::test]
    async fn due_deliveries_take_turns_across_relying_parties() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::sqlite_url(&dir.path().join("godkend.db"));
        let store = crate::store::Store::open(&url).await.unwrap();
        // The busy RP's 40 deliveries all fell due before the others' few.
        due_results(&store, "busy", 40, 100).await;
        due_results(&store, "calm", 2, 500).await;
        due_results(&store, "rare", 1, 900).await;

        let due = store.due_webhooks(1000, 16, 10).await.unwrap();
        let rps: Vec<&str> = due.iter().map(|d| d.rp_id.as_str()).collect();
        assert_eq!(
            rps,
            [
                "busy", "calm", "rare", "busy", "calm", "busy", "busy", "busy", "busy", "busy"
            ],
            "each RP's oldest first, then each one's second, ..."
        );
        assert_eq!(due[0].id, "req_busy_000", "oldest first within an RP");
        let busy = store.due_webhooks(1000, 3, 100).await.unwrap();
        assert_eq!(
            busy.iter().filter(|d| d.rp_id == "busy").count(),
            3,
            "per-RP look"
        );
    }
}
