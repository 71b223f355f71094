//! One running app per user (design.md §2): a second launch hands its wish (open the
//! window, or an activation link it was started with) to the running one over a local
//! socket, and exits. The socket lives in the user's runtime dir (mode 0700 on Linux)
//! or is a named pipe with the user's name on Windows, so other users cannot reach it;
//! and what comes through it can only open the window or fill in the activation form,
//! never act on the user's behalf.

use std::io::{self, BufRead as _, BufReader, Read as _, Write as _};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use godkend_core::profile::Profile;
use iced::futures::channel::mpsc;
use iced::futures::{SinkExt as _, Stream, StreamExt as _};
use interprocess::local_socket::prelude::*;
use interprocess::local_socket::{ListenerOptions, Name, Stream as LocalStream};

/// The longest line accepted: a link is a few hundred bytes.
const MAX_LINE: u64 = 4096;
/// The answer the running app gives.
const OK: &str = "ok";

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
    match hand_over(place, wish) {
        Ok(()) => return Ok(Claim::HandedOver),
        Err(e) => tracing::debug!(error = %e, "no running instance"),
    }
    // Nobody answered: a socket file left by a crash may be in the way.
    let inner = ListenerOptions::new()
        .name(place.name()?)
        .try_overwrite(true)
        .create_sync()?;
    Ok(Claim::First(Listener {
        inner,
        path: place.path.clone(),
    }))
}

fn hand_over(place: &Place, wish: &Handover) -> io::Result<()> {
    let mut stream = LocalStream::connect(place.name()?)?;
    stream.write_all(wish.to_line().as_bytes())?;
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
    // The runtime dir is private to the user; the cache dir is the fallback (macOS
    // has no runtime dir).
    let dirs = Profile::current()
        .map_err(io::Error::other)?
        .dirs()
        .ok_or_else(|| io::Error::other("no home directory"))?;
    let dir = dirs
        .runtime_dir()
        .unwrap_or_else(|| dirs.cache_dir())
        .to_path_buf();
    std::fs::create_dir_all(&dir)?;
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

/// The handovers as they arrive, for an iced subscription. Each connection is read
/// on the accepting thread: one short line, then the answer.
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

fn serve(listener: &Listener, tx: &mpsc::UnboundedSender<Handover>) {
    for connection in listener.inner.incoming() {
        let mut stream = match connection {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "a launch could not connect");
                continue;
            }
        };
        let mut line = String::new();
        let read = BufReader::new(&mut stream)
            .take(MAX_LINE)
            .read_line(&mut line);
        let Some(handover) = read.ok().and_then(|_| Handover::from_line(&line)) else {
            tracing::warn!("ignored a malformed message from another launch");
            continue;
        };
        tracing::info!(
            link = matches!(handover, Handover::Activate(_)),
            "another launch handed over"
        );
        let _ = stream.write_all(format!("{OK}\n").as_bytes());
        if handover != Handover::Ping && tx.unbounded_send(handover).is_err() {
            break;
        }
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
