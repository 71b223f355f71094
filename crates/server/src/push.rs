//! Per-node push fan-out. Events are written to the database first (the durable log
//! every node shares); this hub hands them to the streams connected to this node.
//! The event pump picks up events written by other nodes or by the admin CLI with one
//! query for all devices, so no device ever costs a database poll of its own.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::event_listener::{EventListener, Heard};
use crate::store::events::FINISHED_CHANNEL;
use crate::store::{Backend, EventRow};

/// How many recently published event ids the hub remembers to skip duplicates.
const RECENT_IDS: usize = 4096;

#[derive(Default)]
struct Inner {
    channels: HashMap<String, broadcast::Sender<Arc<EventRow>>>,
    recent: HashSet<i64>,
    recent_order: VecDeque<i64>,
}

/// Connected devices' channels on this node.
#[derive(Default)]
pub struct Hub {
    inner: Mutex<Inner>,
    /// The per-device cap on streams (`--max-streams-per-device`).
    pub streams: crate::device_streams::DeviceStreams,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

impl Hub {
    /// Starts receiving `device`'s events.
    pub fn subscribe(&self, device: &str) -> broadcast::Receiver<Arc<EventRow>> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.channels.retain(|_, tx| tx.receiver_count() > 0);
        inner
            .channels
            .entry(device.to_owned())
            .or_insert_with(|| broadcast::channel(64).0)
            .subscribe()
    }

    /// Delivers an event to the device's streams on this node, once.
    pub fn publish(&self, event: &EventRow) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if !inner.recent.insert(event.id) {
            return;
        }
        inner.recent_order.push_back(event.id);
        if inner.recent_order.len() > RECENT_IDS
            && let Some(old) = inner.recent_order.pop_front()
        {
            inner.recent.remove(&old);
        }
        if let Some(tx) = inner.channels.get(&event.device_id) {
            // No receiver means the device disconnected meanwhile; it resumes from the log.
            let _ = tx.send(Arc::new(event.clone()));
        }
    }

    /// Number of devices with an open stream on this node.
    pub fn connected(&self) -> usize {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner
            .channels
            .values()
            .filter(|tx| tx.receiver_count() > 0)
            .count()
    }
}

/// Reads events other writers committed and publishes them locally, until `stop`.
/// On PostgreSQL a NOTIFY, sent by the database's triggers at commit, wakes it at
/// once; the timer is the fallback (and polls alone while the LISTEN connection is
/// lost, until event_listener.rs has made it again), and the only trigger on SQLite,
/// where the admin CLI is the other writer. It looks back over a window of ids because
/// concurrent PostgreSQL transactions can commit ids out of order; the hub drops
/// ones already delivered.
pub async fn run_event_pump(
    service: Arc<crate::service::Service>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let store = &service.store;
    // SQLite serialises writers, so ids commit in order there.
    let look_back: i64 = match store.backend() {
        Backend::Sqlite => 0,
        Backend::Postgres => 256,
    };
    let mut listener = EventListener::spawn(store.clone());
    let mut last = store.last_event_id().await.unwrap_or(0);
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        let heard = async {
            match listener.as_mut() {
                Some(l) => l.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tick.tick() => {}
            heard = heard => match heard {
                Heard::Notification(n) if n.channel() == FINISHED_CHANNEL => {
                    // A finished request wakes its long polls; no events to read.
                    service.waiters.finished(n.payload());
                    continue;
                }
                Heard::Notification(_) | Heard::Lost => {}
                // Requests may have finished unannounced meanwhile.
                Heard::Back => service.waiters.all_may_have_finished(),
            },
            _ = stop.changed() => return,
        }
        match store
            .all_events_after(last, (last - look_back).max(0), crate::service::now() - 2)
            .await
        {
            Ok(rows) => {
                for row in &rows {
                    service.hub.publish(row);
                    last = last.max(row.id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "event pump could not read events"),
        }
    }
}
