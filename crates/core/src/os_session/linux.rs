//! logind on the system bus: `PrepareForSleep(true/false)` on the manager for sleep
//! and resume, and on this process's own session `Lock` (what `loginctl
//! lock-session` and idle locking send to screen lockers) and the `LockedHint`
//! property (set by desktops that lock by themselves, as GNOME does on Super+L).

use std::collections::HashMap;
use std::time::Duration;

use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt as _};
use zbus::proxy::{Builder, CacheProperties};
use zbus::{Connection, OwnedObjectPath, OwnedVariant, Proxy};

use super::OsSessionEvent;

const LOGIND: &str = "org.freedesktop.login1";
const MANAGER_PATH: &str = "/org/freedesktop/login1";
const MANAGER: &str = "org.freedesktop.login1.Manager";
const SESSION: &str = "org.freedesktop.login1.Session";
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

/// logind's events on the system bus. Without a system bus or logind (containers,
/// other init systems) it says so once at info level and ends.
pub(super) fn events() -> impl Stream<Item = OsSessionEvent> + Send + 'static {
    stream::once(async {
        match Connection::system().await {
            Ok(connection) => watch_on(&connection).await,
            Err(e) => {
                tracing::info!(error = %e, "no system bus: the app does not follow the OS session's lock and sleep");
                stream::empty().boxed()
            }
        }
    })
    .flatten()
}

/// How long logind may take to answer the watcher's questions. D-Bus calls have no
/// timeout of their own: a logind that never answers would otherwise leave the
/// watcher waiting for good, unseen.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

/// logind's events on `connection` (the system bus; tests pass a private bus). Once
/// this returns, the signals are subscribed. Without logind on the bus, or with one
/// that does not answer within `ANSWER_WITHIN`, the stream is empty.
pub async fn watch_on(connection: &Connection) -> BoxStream<'static, OsSessionEvent> {
    match tokio::time::timeout(ANSWER_WITHIN, subscribe(connection)).await {
        Ok(Ok(events)) => events,
        Ok(Err(e)) => {
            tracing::info!(error = %e, "logind cannot be reached: the app does not follow the OS session's lock and sleep");
            stream::empty().boxed()
        }
        Err(_) => {
            tracing::info!(
                "logind did not answer within {} s: the app does not follow the OS session's lock and sleep",
                ANSWER_WITHIN.as_secs()
            );
            stream::empty().boxed()
        }
    }
}

async fn subscribe(connection: &Connection) -> zbus::Result<BoxStream<'static, OsSessionEvent>> {
    let manager = proxy(connection, MANAGER_PATH.to_owned(), MANAGER).await?;
    // Asked first: without logind this fails, and nothing is subscribed.
    let session = own_session(&manager).await?;
    let sleep = manager
        .receive_signal("PrepareForSleep")
        .await?
        .filter_map(|signal| async move {
            match signal.body().deserialize::<bool>() {
                Ok(true) => Some(OsSessionEvent::Sleeping),
                Ok(false) => Some(OsSessionEvent::Resumed),
                Err(e) => {
                    tracing::debug!(error = %e, "a PrepareForSleep without its argument");
                    None
                }
            }
        });
    let mut events = vec![sleep.boxed()];
    match session {
        Some(path) => {
            let session = proxy(connection, path.to_string(), SESSION).await?;
            let lock = session.receive_signal("Lock").await?;
            events.push(lock.map(|_| OsSessionEvent::Locked).boxed());
            let properties = proxy(connection, path.to_string(), PROPERTIES).await?;
            let hint = properties.receive_signal("PropertiesChanged").await?;
            events.push(
                hint.filter_map(|signal| async move { locked_hint(&signal) })
                    .boxed(),
            );
        }
        None => {
            tracing::info!(
                "this process is in no logind session: the app locks on sleep but not with the screen"
            );
        }
    }
    Ok(stream::select_all(events).boxed())
}

async fn proxy(
    connection: &Connection,
    path: String,
    interface: &'static str,
) -> zbus::Result<Proxy<'static>> {
    Builder::new(connection)
        .destination(LOGIND)
        .path(path)
        .interface(interface)
        .cache_properties(CacheProperties::No)
        .build()
        .await
}

/// The session this process runs in: by its pid, else by `XDG_SESSION_ID` (a
/// process started by the user's service manager is in no session itself). An
/// error means logind is not there at all.
async fn own_session(manager: &Proxy<'_>) -> zbus::Result<Option<OwnedObjectPath>> {
    let by_pid = manager
        .call::<_, _, OwnedObjectPath>("GetSessionByPID", &(std::process::id(),))
        .await;
    match by_pid {
        Ok(path) => return Ok(Some(path)),
        Err(e) if !is_logind_answer(&e) => return Err(e),
        Err(e) => tracing::debug!(error = %e, "no logind session for this process"),
    }
    let Some(id) = std::env::var("XDG_SESSION_ID")
        .ok()
        .filter(|id| !id.is_empty())
    else {
        return Ok(None);
    };
    match manager
        .call::<_, _, OwnedObjectPath>("GetSession", &(id.as_str(),))
        .await
    {
        Ok(path) => Ok(Some(path)),
        Err(e) if is_logind_answer(&e) => {
            tracing::debug!(error = %e, "no logind session for XDG_SESSION_ID");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Whether `error` is logind itself answering (such as "no session for this
/// pid"), not the bus saying there is no logind.
fn is_logind_answer(error: &zbus::Error) -> bool {
    matches!(error, zbus::Error::MethodError(name, ..) if name.starts_with("org.freedesktop.login1."))
}

/// `Locked` when a session's `PropertiesChanged` says `LockedHint` became true.
fn locked_hint(signal: &zbus::Message) -> Option<OsSessionEvent> {
    let (interface, changed, _invalidated): (String, HashMap<String, OwnedVariant>, Vec<String>) =
        signal.body().deserialize().ok()?;
    let locked = bool::try_from(changed.get("LockedHint")?).ok()?;
    (interface == SESSION && locked).then_some(OsSessionEvent::Locked)
}
