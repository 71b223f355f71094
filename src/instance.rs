//! One running app per user (design.md §2): a second launch hands its wish (open the
//! window, or an activation link it was started with) to the running one over a local
//! socket, and exits. The socket lives in the user's runtime dir, or a private 0700
//! folder of our own (Unix), or is a named pipe only this user can open and whose
//! server end a launch checks is this user's (Windows), so other users can neither
//! reach it nor pose as it; what comes through it can only open the window or offer a
//! link to the activation form, never act on the user's behalf. Every exchange has a
//! deadline, so a connection that says nothing cannot wedge either side.

#[cfg(not(windows))]
mod private_dir;
#[cfg(windows)]
mod windows;

use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use godkend_core::profile::Profile;
use iced::futures::channel::mpsc;
use iced::futures::{SinkExt as _, Stream, StreamExt as _};
use interprocess::local_socket::prelude::*;
use interprocess::local_socket::{ListenerOptions, Name, Stream as LocalStream};

/// The longest line accepted: a link is a few hundred bytes.
const MAX_LINE: u64 = 4096;
/// The answer the running app gives.
const OK: &str = "ok";
/// How long the running app waits for a launch's line, and a launch for the answer:
/// one short line between two processes of one user, so seconds are plenty.
const HANDOVER_TIMEOUT: Duration = Duration::from_secs(2);
/// Launches heard at once; more are turned away rather than queued behind them.
const MAX_CONNECTIONS: usize = 8;

/// What a second launch asks of the running app.
#[derive(Clone, PartialEq, Eq)]
pub enum Handover {
    /// Only whether one runs (a start at login while the app runs): nothing to do.
    Ping,
    /// Bring the window to the front.
    Open,
    /// Bring the window to the front with this activation link filled in.
    Activate(String),
}

/// An activation link holds its one-time code: never in a debug print.
impl std::fmt::Debug for Handover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Handover::Ping => f.write_str("Ping"),
            Handover::Open => f.write_str("Open"),
            Handover::Activate(_) => f.write_str("Activate(..)"),
        }
    }
}

impl Handover {
    fn to_line(&self) -> String {
        match self {
            Handover::Ping => "ping\n".into(),
            Handover::Open => "open\n".into(),
            Handover::Activate(link) => format!("activate {link}\n"),
        }
    }

    /// The handover a line asks for; `None` for anything else. A link must be a
    /// Godkend activation link: nothing else is ever passed on.
    fn from_line(line: &str) -> Option<Self> {
        match line.trim_end_matches(['\r', '\n']) {
            "ping" => Some(Handover::Ping),
            "open" => Some(Handover::Open),
            line => line
                .strip_prefix("activate ")
                .filter(|link| {
                    link.starts_with("godkend://activate?") && !link.contains(char::is_whitespace)
                })
                .map(|link| Handover::Activate(link.to_owned())),
        }
    }
}

/// Whether this is the first instance.
pub enum Claim {
    /// No other instance runs: this one serves the name.
    First(Listener),
    /// The running instance took the handover: this one should exit.
    HandedOver,
}

/// The name other launches reach this one at.
pub struct Listener {
    inner: interprocess::local_socket::Listener,
    /// For tests: where the socket is.
    #[allow(dead_code, reason = "read by the tests only")]
    path: Option<PathBuf>,
}

/// Hands `wish` to a running instance, or claims the name for this one. An error
/// means neither worked (no runtime dir, say): the app then runs without the
/// single-instance guard rather than not at all.
pub fn claim(wish: &Handover) -> io::Result<Claim> {
    claim_at(&socket_name()?, wish)
}

fn claim_at(place: &Place, wish: &Handover) -> io::Result<Claim> {
    match LocalStream::connect(place.name()?) {
        Ok(stream) => {
            // Someone listens: a running app that answers, or something that does not
            // (then the launch gives up rather than take the name from under it).
            hand_over(stream, wish)?;
            return Ok(Claim::HandedOver);
        }
        Err(e) => tracing::debug!(error = %e, "no running instance"),
    }
    // Nobody listens: a socket file left by a crash may be in the way.
    let options = ListenerOptions::new()
        .name(place.name()?)
        .try_overwrite(true);
    // Only this user may open the pipe, and only the first instance may create it
    // (interprocess sets FILE_FLAG_FIRST_PIPE_INSTANCE on the first one).
    #[cfg(windows)]
    let options = {
        use interprocess::os::windows::local_socket::ListenerOptionsExt as _;
        options.security_descriptor(windows::only_this_user()?)
    };
    let inner = options.create_sync()?;
    Ok(Claim::First(Listener {
        inner,
        path: place.path.clone(),
    }))
}

/// Says `wish` to the running app and waits, at most `HANDOVER_TIMEOUT`, for its
/// answer. Named pipes have no read timeout, so the exchange runs on a thread of its
/// own and this one stops waiting at the deadline.
fn hand_over(stream: LocalStream, wish: &Handover) -> io::Result<()> {
    // A pipe another account created first would receive the link: check its owner.
    #[cfg(windows)]
    windows::check_server_is_this_user(&stream)?;
    set_timeouts(&stream);
    let line = wish.to_line();
    let (done, result) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("handover".into())
        .spawn(move || {
            let _ = done.send(say_and_hear(stream, &line));
        })?;
    result.recv_timeout(HANDOVER_TIMEOUT).unwrap_or_else(|_| {
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the running instance did not answer in time",
        ))
    })
}

fn say_and_hear(mut stream: LocalStream, line: &str) -> io::Result<()> {
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    BufReader::new(&mut stream)
        .take(MAX_LINE)
        .read_line(&mut answer)?;
    if answer.trim_end() == OK {
        Ok(())
    } else {
        Err(io::Error::other("the running instance did not answer"))
    }
}

/// Read and write timeouts where the OS has them (Unix sockets); named pipes refuse,
/// and there the threads' deadlines and the connection cap bound the harm.
fn set_timeouts(stream: &LocalStream) {
    let _ = stream.set_recv_timeout(Some(HANDOVER_TIMEOUT));
    let _ = stream.set_send_timeout(Some(HANDOVER_TIMEOUT));
}

/// Where the socket is: a file path (Unix) or a pipe name (Windows).
struct Place {
    path: Option<PathBuf>,
    #[cfg(windows)]
    pipe: String,
}

impl Place {
    fn name(&self) -> io::Result<Name<'_>> {
        #[cfg(windows)]
        {
            use interprocess::local_socket::{GenericNamespaced, ToNsName as _};
            self.pipe.as_str().to_ns_name::<GenericNamespaced>()
        }
        #[cfg(not(windows))]
        {
            use interprocess::local_socket::{GenericFilePath, ToFsName as _};
            let path = self
                .path
                .as_deref()
                .ok_or_else(|| io::Error::other("no place for the socket"))?;
            path.to_fs_name::<GenericFilePath>()
        }
    }
}

#[cfg(not(windows))]
fn socket_name() -> io::Result<Place> {
    // The runtime dir is private to the user; elsewhere (macOS has none) a folder of
    // our own in the cache dir, made 0700 and refused when anyone else could reach it.
    let dirs = Profile::current()
        .map_err(io::Error::other)?
        .dirs()
        .ok_or_else(|| io::Error::other("no home directory"))?;
    let dir = if let Some(dir) = dirs.runtime_dir() {
        std::fs::create_dir_all(dir)?;
        dir.to_path_buf()
    } else {
        let dir = dirs.cache_dir().join("instance");
        private_dir::ensure(&dir)?;
        dir
    };
    Ok(Place {
        path: Some(dir.join("instance.sock")),
    })
}

#[cfg(windows)]
fn socket_name() -> io::Result<Place> {
    let user = std::env::var("USERNAME").unwrap_or_else(|_| "user".into());
    let profile = Profile::current().map_err(io::Error::other)?;
    Ok(Place {
        path: None,
        pipe: format!("godkend-{user}-{}", profile.vault_account()),
    })
}

/// The handovers as they arrive, for an iced subscription. Connections are accepted
/// on a thread of their own and each is heard on another (see `serve`).
pub fn handovers(listener: Arc<Mutex<Option<Listener>>>) -> impl Stream<Item = Handover> {
    iced::stream::channel(8, async move |mut output: mpsc::Sender<Handover>| {
        let taken = listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(listener) = taken else {
            return std::future::pending().await;
        };
        let (tx, mut rx) = mpsc::unbounded();
        let spawned = std::thread::Builder::new()
            .name("instance".into())
            .spawn(move || serve(&listener, &tx));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not listen for other launches");
        }
        while let Some(handover) = rx.next().await {
            if output.send(handover).await.is_err() {
                break;
            }
        }
        std::future::pending::<()>().await;
    })
}

/// Hears each launch on a thread of its own, so one that connects and says nothing
/// holds up no other; at most `MAX_CONNECTIONS` at once.
fn serve(listener: &Listener, tx: &mpsc::UnboundedSender<Handover>) {
    let hearing = Arc::new(AtomicUsize::new(0));
    for connection in listener.inner.incoming() {
        if tx.is_closed() {
            break;
        }
        let stream = match connection {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "a launch could not connect");
                continue;
            }
        };
        let Some(slot) = Slot::take(&hearing) else {
            tracing::warn!("too many launches at once; one was turned away");
            continue;
        };
        set_timeouts(&stream);
        let tx = tx.clone();
        let spawned = std::thread::Builder::new()
            .name("instance-hear".into())
            .spawn(move || {
                let _slot = slot;
                hear(stream, &tx);
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not hear a launch");
        }
    }
}

/// One short line from a launch, then the answer.
fn hear(mut stream: LocalStream, tx: &mpsc::UnboundedSender<Handover>) {
    let mut line = String::new();
    let read = BufReader::new(&mut stream)
        .take(MAX_LINE)
        .read_line(&mut line);
    let Some(handover) = read.ok().and_then(|_| Handover::from_line(&line)) else {
        tracing::warn!("ignored a silent or malformed message from another launch");
        return;
    };
    tracing::info!(
        link = matches!(handover, Handover::Activate(_)),
        "another launch handed over"
    );
    let _ = stream.write_all(format!("{OK}\n").as_bytes());
    if handover != Handover::Ping {
        let _ = tx.unbounded_send(handover);
    }
}

/// One of the `MAX_CONNECTIONS` places, given back when the launch is heard.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(hearing: &Arc<AtomicUsize>) -> Option<Self> {
        hearing
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_CONNECTIONS).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(Arc::clone(hearing)))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(all(test, not(windows)))]
mod tests {
    use super::*;

    fn place(dir: &tempfile::TempDir) -> Place {
        Place {
            path: Some(dir.path().join("instance.sock")),
        }
    }

    #[test]
    fn the_second_launch_hands_over_and_the_first_receives_it() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let Claim::First(listener) = claim_at(&place(&dir), &Handover::Open).expect("claim") else {
            panic!("nothing runs yet, so this is the first");
        };
        let (tx, mut rx) = mpsc::unbounded();
        std::thread::spawn(move || serve(&listener, &tx));
        let link = "godkend://activate?server=https%3A%2F%2Fa.example&user=alice&code=K7QM";
        let second = claim_at(&place(&dir), &Handover::Activate(link.into())).expect("claim");
        assert!(matches!(second, Claim::HandedOver));
        let got = iced::futures::executor::block_on(rx.next());
        assert_eq!(got, Some(Handover::Activate(link.into())));
    }

    /// `f`'s result, or `None` when it takes longer than `limit`: a hang fails the
    /// test instead of stalling the run.
    fn within<T: Send + 'static>(
        limit: Duration,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (done, result) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = done.send(f());
        });
        result.recv_timeout(limit).ok()
    }

    #[test]
    fn a_silent_connection_does_not_stop_the_next_handover() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let Claim::First(listener) = claim_at(&place(&dir), &Handover::Open).expect("claim") else {
            panic!("nothing runs yet, so this is the first");
        };
        let (tx, mut rx) = mpsc::unbounded();
        std::thread::spawn(move || serve(&listener, &tx));
        // A local process that connects and says nothing, and keeps the line open.
        let silent = std::os::unix::net::UnixStream::connect(dir.path().join("instance.sock"))
            .expect("connect");

        let link = "godkend://activate?server=https%3A%2F%2Fa.example&user=alice&code=K7QM";
        let second = place(&dir);
        let handed_over = within(HANDOVER_TIMEOUT, move || {
            claim_at(&second, &Handover::Activate(link.into()))
                .map(|claim| matches!(claim, Claim::HandedOver))
        })
        .expect("the launch was heard at once, not after the silent one");
        assert!(handed_over.expect("the handover succeeds"));
        let got = iced::futures::executor::block_on(rx.next());
        assert_eq!(got, Some(Handover::Activate(link.into())));

        // The silent one is dropped once its time is up.
        silent
            .set_read_timeout(Some(HANDOVER_TIMEOUT * 5))
            .expect("timeout");
        let read = (&silent).read(&mut [0u8; 8]);
        assert!(
            matches!(read, Ok(0)),
            "the running app closes a silent connection: {read:?}"
        );
    }

    #[test]
    fn a_launch_gives_up_when_the_running_app_never_answers() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("instance.sock");
        // Something listens on the name but never answers (a wedged app).
        let mute = std::os::unix::net::UnixListener::bind(&path).expect("bind");

        let launch = place(&dir);
        let claimed = within(HANDOVER_TIMEOUT * 3, move || {
            claim_at(&launch, &Handover::Open).map(|_| ())
        })
        .expect("the launch gave up in time");
        assert!(claimed.is_err(), "no answer is an error, not a handover");

        // And the name was not taken from under the listener.
        let _probe = std::os::unix::net::UnixStream::connect(&path).expect("still listening");
        mute.set_nonblocking(true).expect("nonblocking");
        let mut accepted = 0;
        while mute.accept().is_ok() {
            accepted += 1;
        }
        assert_eq!(
            accepted, 2,
            "both the launch and the probe reached the first listener"
        );
    }

    #[test]
    fn a_stale_socket_from_a_crash_does_not_stop_the_next_start() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("instance.sock");
        // A socket file with nobody listening, as a killed app leaves it.
        drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
        assert!(path.exists());
        let claim = claim_at(&place(&dir), &Handover::Open).expect("claim");
        assert!(matches!(claim, Claim::First(_)));
    }

    #[test]
    fn only_open_and_activation_links_are_accepted() {
        assert_eq!(Handover::from_line("open\n"), Some(Handover::Open));
        assert_eq!(
            Handover::from_line("activate godkend://activate?user=a\n"),
            Some(Handover::Activate("godkend://activate?user=a".into()))
        );
        for bad in [
            "activate https://evil.example/",
            "activate godkend://activate?a b",
            "approve r1",
            "",
        ] {
            assert_eq!(Handover::from_line(bad), None, "{bad:?}");
        }
        let wish = Handover::Activate("godkend://activate?x=1".into());
        assert_eq!(Handover::from_line(&wish.to_line()), Some(wish));
    }
}
