//! The listener on 127.0.0.1: started while a device is activated, stopped (with
//! every connection it serves) when its handle is stopped or dropped. It applies
//! each accepted hand-off to the binding book it shares with the app, and tells the
//! app's subscribers when a pending request's binding changed.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue, VARY,
};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, broadcast};
use tokio::task::{JoinHandle, JoinSet};

use super::binding::{BindingBook, BindingState, HandoffOutcome};
use super::limits::{HandoffRate, Limits};
use super::origin::WebOrigin;
use super::outcome::{Refusal, taken};
use super::sessions::{self, Sessions};
use super::{PORTS, peer, request};

/// How the listener runs.
#[derive(Debug, Clone)]
pub struct HandoffConfig {
    /// Ports tried in order on 127.0.0.1 ([`PORTS`]; tests pass `[0]`).
    pub ports: Vec<u16>,
    /// Its bounds.
    pub limits: Limits,
    /// The operator turned the hand-off on where this platform has no peer-user
    /// check, or while several graphical sessions are active. Where the peer check
    /// exists it runs anyway.
    pub allow_unchecked: bool,
}

impl Default for HandoffConfig {
    fn default() -> Self {
        HandoffConfig {
            ports: PORTS.to_vec(),
            limits: Limits::default(),
            allow_unchecked: false,
        }
    }
}

/// A pending request's binding changed or was confirmed by a hand-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoffEvent {
    /// The request handed off.
    pub request_id: String,
    /// The origin the browser gave for the page.
    pub origin: WebOrigin,
    /// The request's binding after this hand-off.
    pub state: BindingState,
}

/// Why the listener did not start. The app then keeps the typed code required.
#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error(
        "this platform cannot tell which OS user a loopback connection comes from, so the browser hand-off is off unless the operator turns it on"
    )]
    NoPeerCheck,
    #[error(
        "{0} graphical sessions are active on this computer, so the browser hand-off is off unless the operator turns it on"
    )]
    SeveralSessions(usize),
    #[error("none of the hand-off ports {ports:?} is free on 127.0.0.1: {error}")]
    NoFreePort { ports: Vec<u16>, error: String },
}

/// What the accept loop and the app share.
struct Shared {
    book: Mutex<BindingBook>,
    rate: Mutex<HandoffRate>,
    events: broadcast::Sender<HandoffEvent>,
    /// Woken whenever a request opens or closes: answers to held hand-offs wait on it.
    settled: Notify,
    /// Answers waiting so now.
    waiting: AtomicUsize,
    limits: Limits,
    port: u16,
    check_peer: bool,
}

/// A running listener. Dropping it stops it.
pub struct HandoffListener {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl HandoffListener {
    /// Binds the first free port of `config.ports` and serves until stopped.
    pub async fn start(config: HandoffConfig) -> Result<HandoffListener, HandoffError> {
        permitted(
            peer::SUPPORTED,
            sessions::active().await,
            config.allow_unchecked,
        )?;
        let listener = bind(&config.ports).await?;
        let port = listener
            .local_addr()
            .map_err(|e| HandoffError::NoFreePort {
                ports: config.ports.clone(),
                error: e.to_string(),
            })?
            .port();
        let now = Instant::now();
        let (events, _) = broadcast::channel(64);
        let shared = Arc::new(Shared {
            book: Mutex::new(BindingBook::new(config.limits.clone())),
            rate: Mutex::new(HandoffRate::new(&config.limits, now)),
            events,
            settled: Notify::new(),
            waiting: AtomicUsize::new(0),
            limits: config.limits,
            port,
            check_peer: peer::SUPPORTED,
        });
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        tracing::info!(
            port,
            peer_check = peer::SUPPORTED,
            "browser hand-off listener started"
        );
        Ok(HandoffListener { shared, task })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// Hears of every hand-off that reached a pending request from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<HandoffEvent> {
        self.shared.events.subscribe()
    }

    /// A verified request arrived, with the origins the server signed into it; its
    /// state now, early hand-offs applied.
    pub fn open_request(&self, request_id: &str, allowed_origins: &[String]) -> BindingState {
        let state = lock(&self.shared.book).open(request_id, allowed_origins, Instant::now());
        self.shared.settled.notify_waiters();
        state
    }

    /// The request was decided, expired or superseded. Only then: its mark goes
    /// with it, and the same id opened again would start unconfirmed.
    pub fn close_request(&self, request_id: &str) {
        lock(&self.shared.book).close(request_id);
        self.shared.settled.notify_waiters();
    }

    /// How many answers to early hand-offs wait for their request now.
    pub fn answers_waiting(&self) -> usize {
        self.shared.waiting.load(Ordering::Acquire)
    }

    /// The binding of a pending request.
    pub fn state(&self, request_id: &str) -> Option<BindingState> {
        lock(&self.shared.book).state(request_id)
    }

    /// Stops listening and closes every connection.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for HandoffListener {
    fn drop(&mut self) {
        // The accept task owns the connections' JoinSet, which aborts them as it drops.
        self.task.abort();
        tracing::info!(port = self.shared.port, "browser hand-off listener stopped");
    }
}

/// Whether the hand-off may run: the peer-user check exists here and at most one
/// graphical session is active, or the operator turned it on anyway.
fn permitted(
    peer_check: bool,
    sessions: Sessions,
    allow_unchecked: bool,
) -> Result<(), HandoffError> {
    if allow_unchecked {
        return Ok(());
    }
    if !peer_check {
        return Err(HandoffError::NoPeerCheck);
    }
    match sessions {
        Sessions::Several(n) => Err(HandoffError::SeveralSessions(n)),
        Sessions::One | Sessions::Unknown => Ok(()),
    }
}

async fn bind(ports: &[u16]) -> Result<TcpListener, HandoffError> {
    let mut last = String::from("no port given");
    for &port in ports {
        match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(listener) => return Ok(listener),
            Err(e) => {
                tracing::info!(port, error = %e, "hand-off port taken, trying the next");
                last = e.to_string();
            }
        }
    }
    Err(HandoffError::NoFreePort {
        ports: ports.to_vec(),
        error: last,
    })
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = listener.accept().await;
        while connections.try_join_next().is_some() {}
        match accepted {
            Ok((stream, peer)) => {
                if connections.len() >= shared.limits.max_connections {
                    // Closed at once: a flood of connections costs an accept each.
                    drop(stream);
                    continue;
                }
                connections.spawn(serve(stream, peer, Arc::clone(&shared)));
            }
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::debug!(error = %e, "hand-off accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn serve(stream: TcpStream, peer: SocketAddr, shared: Arc<Shared>) {
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let time = shared.limits.connection_time;
    let header_time = shared.limits.header_time;
    // A waiting answer is given a moment before the connection's time runs out.
    let answer_by = tokio::time::Instant::now() + time.saturating_sub(ANSWER_MARGIN);
    let service = service_fn(move |request| {
        let shared = Arc::clone(&shared);
        async move {
            let ends = Ends {
                peer,
                local,
                answer_by,
            };
            Ok::<_, Infallible>(answer(request, ends, &shared).await)
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_time)
        .keep_alive(false)
        .max_buf_size(8192);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    if tokio::time::timeout(time, connection).await.is_err() {
        tracing::debug!(%peer, "hand-off connection closed after its time");
    }
}

/// How long before its connection's end a waiting answer is given.
const ANSWER_MARGIN: Duration = Duration::from_millis(250);

/// One connection's two ends, and when its answer is due at the latest.
#[derive(Clone, Copy)]
struct Ends {
    peer: SocketAddr,
    local: SocketAddr,
    answer_by: tokio::time::Instant,
}

async fn answer(request: Request<Incoming>, ends: Ends, shared: &Shared) -> Response<Full<Bytes>> {
    let Ends { peer, local, .. } = ends;
    let (parts, body) = request.into_parts();
    let origin = match request::check_head(&parts, shared.port, shared.limits.max_body) {
        Ok(origin) => origin,
        Err(refusal) => return refused(refusal),
    };
    let request_id = match request::read_request_id(body, shared.limits.max_body).await {
        Ok(id) => id,
        Err(refusal) => return refused(refusal),
    };
    if !lock(&shared.rate).take(Instant::now()) {
        return refused(Refusal::TooMany);
    }
    if shared.check_peer {
        let owner = tokio::task::spawn_blocking(move || peer::is_own_user(peer, local)).await;
        match owner {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                tracing::info!(%peer, "hand-off refused: the connection is another OS user's");
                return refused(Refusal::OtherUser);
            }
            Ok(Err(e)) => {
                tracing::info!(%peer, error = %e, "hand-off refused: its owner is unknown");
                return refused(Refusal::UnknownPeer);
            }
            Err(e) => {
                tracing::warn!(error = %e, "the peer check did not finish");
                return refused(Refusal::UnknownPeer);
            }
        }
    }
    let (outcome, allowed, state) = {
        let mut book = lock(&shared.book);
        let outcome = book.hand_off(&request_id, origin.clone(), Instant::now());
        (
            outcome,
            book.allows(&request_id, &origin),
            book.state(&request_id),
        )
    };
    let (outcome, allowed) = match outcome {
        HandoffOutcome::Held => {
            match WaitingAnswer::take(&shared.waiting, shared.limits.held_waiting) {
                Some(_waiting) => {
                    held_until_settled(shared, &request_id, &origin, ends.answer_by).await
                }
                None => (HandoffOutcome::Held, false),
            }
        }
        outcome => (outcome, allowed),
    };
    tracing::debug!(%origin, ?outcome, "hand-off taken");
    if let (true, Some(state)) = (outcome.reached_request(), state) {
        // No subscriber (the app is between screens) is fine: the book has the state.
        let _ = shared.events.send(HandoffEvent {
            request_id,
            origin: origin.clone(),
            state,
        });
    }
    let (status, code) = taken(&outcome);
    let mut response = json(status, &serde_json::json!({ "status": code }));
    if allowed && let Ok(value) = HeaderValue::from_str(origin.as_str()) {
        response
            .headers_mut()
            .insert(ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    response
}

/// A hand-off that came before its request: the answer waits (a little) for the
/// request to open, and then says what the hand-off did, with the CORS grant when
/// its origin is one of the request's. The page's sign-in usually reaches the app
/// within milliseconds of the page handing off, before or after it; without the
/// wait, a page that was a moment early would read "not taken" although the app
/// applies its hand-off. Still held at the end: `held`, which the page cannot read.
async fn held_until_settled(
    shared: &Shared,
    request_id: &str,
    origin: &WebOrigin,
    answer_by: tokio::time::Instant,
) -> (HandoffOutcome, bool) {
    let deadline = answer_by.min(tokio::time::Instant::now() + shared.limits.held_answer_within);
    loop {
        // Registered before the book is read, so an opening in between still wakes it.
        let settled = shared.settled.notified();
        tokio::pin!(settled);
        settled.as_mut().enable();
        {
            let book = lock(&shared.book);
            if let Some(outcome) = book.settled(request_id, origin) {
                return (outcome, book.allows(request_id, origin));
            }
        }
        if tokio::time::timeout_at(deadline, settled).await.is_err() {
            return (HandoffOutcome::Held, false);
        }
    }
}

/// One of the [`Limits::held_waiting`] answers that may wait at once; given back when
/// dropped, also when the connection is cut while it waits.
struct WaitingAnswer<'a>(&'a AtomicUsize);

impl<'a> WaitingAnswer<'a> {
    fn take(waiting: &'a AtomicUsize, limit: usize) -> Option<WaitingAnswer<'a>> {
        waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()
            .map(|_| WaitingAnswer(waiting))
    }
}

impl Drop for WaitingAnswer<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn refused(refusal: Refusal) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "error": refusal.code(), "message": refusal.message() });
    let mut response = json(refusal.status(), &body);
    if refusal == Refusal::WrongMethod {
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
    }
    response
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The answer depends on the Origin: no cache may hand it to another page.
    headers.insert(VARY, HeaderValue::from_static("Origin"));
    response
}

/// The lock, also after a panic elsewhere: the book's state stays consistent between
/// its method calls.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::{HandoffError, Sessions, permitted};

    #[test]
    fn the_hand_off_runs_only_with_the_peer_check_and_one_session() {
        assert!(permitted(true, Sessions::One, false).is_ok());
        // Without logind (containers) the peer check alone decides.
        assert!(permitted(true, Sessions::Unknown, false).is_ok());
        assert!(matches!(
            permitted(true, Sessions::Several(2), false),
            Err(HandoffError::SeveralSessions(2))
        ));
        assert!(matches!(
            permitted(false, Sessions::One, false),
            Err(HandoffError::NoPeerCheck)
        ));
        assert!(matches!(
            permitted(false, Sessions::Unknown, false),
            Err(HandoffError::NoPeerCheck)
        ));
    }

    #[test]
    fn the_operator_may_turn_it_on_anyway() {
        assert!(permitted(false, Sessions::Unknown, true).is_ok());
        assert!(permitted(true, Sessions::Several(3), true).is_ok());
    }
}
