//! The event pump's LISTEN connection on PostgreSQL, kept alive: when it is lost
//! (the database restarted, the network dropped) it is made again on a growing,
//! capped delay, so NOTIFY delivery comes back by itself however long the outage
//! lasted; meanwhile the pump's timer polls. It runs as its own task and hands what
//! it hears over a channel, because the pump's `select!` drops whatever loses the
//! race with its 200 ms tick, and a reconnect takes longer than that.

use std::time::Duration;

use sqlx::postgres::PgNotification;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::store::{Backend, Store};

/// The first delay before trying to LISTEN again, and the cap it doubles up to:
/// instant delivery is back seconds after the database is.
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(10);
/// How long one try to connect may take (sqlx's own pool would wait 30 s).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What the listener heard.
#[derive(Debug)]
pub enum Heard {
    Notification(PgNotification),
    /// The connection was lost; the pump polls alone until it is back.
    Lost,
    /// Listening again: announcements sent meanwhile are gone, so whatever they
    /// would have woken must look again.
    Back,
}

/// The running listener of one node's event pump; stopped on drop.
pub struct EventListener {
    heard: mpsc::Receiver<Heard>,
    task: JoinHandle<()>,
}

impl EventListener {
    /// Starts listening on PostgreSQL; `None` on SQLite, where nobody notifies.
    pub fn spawn(store: Store) -> Option<EventListener> {
        if store.backend() != Backend::Postgres {
            return None;
        }
        let (tx, heard) = mpsc::channel(256);
        let task = tokio::spawn(listen(store, tx));
        Some(EventListener { heard, task })
    }

    /// The next thing heard. Cancel-safe (a channel receive).
    pub async fn next(&mut self) -> Heard {
        match self.heard.recv().await {
            Some(heard) => heard,
            // The task ended (it does not, short of a panic): polling only.
            None => std::future::pending().await,
        }
    }
}

impl Drop for EventListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn listen(store: Store, tx: mpsc::Sender<Heard>) {
    let mut delay = FIRST_RETRY;
    let mut listener = connect(&store).await;
    crate::metrics::event_listener_up(listener.is_some());
    loop {
        let heard = if let Some(l) = &mut listener {
            match l.try_recv().await {
                Ok(Some(notification)) => Heard::Notification(notification),
                // `Ok(None)`: the connection is gone (it is not made again behind
                // our back: see `Store::event_listener`).
                lost => {
                    let reason = lost
                        .err()
                        .map_or_else(|| "connection closed".to_owned(), |e| e.to_string());
                    tracing::warn!(%reason, "lost the event listener; polling until it is back");
                    listener = None;
                    crate::metrics::event_listener_up(false);
                    Heard::Lost
                }
            }
        } else {
            tokio::time::sleep(delay).await;
            listener = connect(&store).await;
            if listener.is_none() {
                delay = (delay * 2).min(MAX_RETRY);
                continue;
            }
            delay = FIRST_RETRY;
            tracing::info!("listening for events again: NOTIFY delivery resumed");
            crate::metrics::event_listener_up(true);
            crate::metrics::event_listener_back();
            Heard::Back
        };
        if tx.send(heard).await.is_err() {
            return;
        }
    }
}

async fn connect(store: &Store) -> Option<sqlx::postgres::PgListener> {
    tokio::time::timeout(CONNECT_TIMEOUT, store.event_listener())
        .await
        .unwrap_or_else(|_| {
            tracing::warn!("cannot LISTEN for events (timed out); polling until it can");
            None
        })
}
