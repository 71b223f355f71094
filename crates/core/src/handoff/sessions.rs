//! How many graphical sessions are active on this computer. With more than one (fast
//! user switching, remote desktops) the hand-off is off unless the operator turns it
//! on: another person's browser may be one switch away.
//!
//! Linux asks logind (`ListSessions`, then each session's `Class`, `Type` and
//! `State`); Windows lists the signed-in sessions (`WTSEnumerateSessionsW`, active or
//! disconnected). Elsewhere, and where logind cannot be reached (containers), the
//! answer is [`Sessions::Unknown`], which does not stop the hand-off: the peer check
//! already refuses other users' sockets, and where there is none it stops the
//! hand-off anyway.

/// What is known of the active graphical sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sessions {
    /// At most one.
    One,
    /// More than one, how many.
    Several(usize),
    /// Not known on this platform or right now.
    Unknown,
}

/// One session as logind describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    /// `user`, `greeter`, `lock-screen`, `background`, `manager`...
    pub class: String,
    /// `x11`, `wayland`, `mir`, `tty`, `unspecified`.
    pub kind: String,
    /// `online`, `active`, `closing`.
    pub state: String,
}

impl Sessions {
    /// Counts the sessions where a person may run a browser: user sessions with a
    /// display server, not closing. Text logins (ssh, ttys) run no browser.
    pub fn of(sessions: &[SessionFacts]) -> Sessions {
        let graphical = sessions
            .iter()
            .filter(|s| {
                s.class == "user"
                    && matches!(s.kind.as_str(), "x11" | "wayland" | "mir")
                    && s.state != "closing"
            })
            .count();
        if graphical > 1 {
            Sessions::Several(graphical)
        } else {
            Sessions::One
        }
    }
}

/// The active graphical sessions of this computer.
/// Bounded in time: a bus that tries to start a missing logind must not hold up the
/// listener.
#[cfg(target_os = "linux")]
pub async fn active() -> Sessions {
    let ask = async {
        match zbus::Connection::system().await {
            Ok(connection) => logind::sessions_on(&connection).await,
            Err(e) => {
                tracing::info!(error = %e, "no system bus: the number of sessions is unknown");
                Sessions::Unknown
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(2), ask)
        .await
        .unwrap_or(Sessions::Unknown)
}

/// The signed-in sessions of this computer (`WTSEnumerateSessionsW`).
#[cfg(windows)]
#[allow(clippy::unused_async)] // the same signature on every platform
pub async fn active() -> Sessions {
    windows::active()
}

/// The active graphical sessions of this computer: not known here yet.
#[cfg(not(any(target_os = "linux", windows)))]
#[allow(clippy::unused_async)] // the same signature on every platform
pub async fn active() -> Sessions {
    Sessions::Unknown
}

#[cfg(windows)]
mod windows;

#[cfg(target_os = "linux")]
pub mod logind {
    //! logind's view of the sessions, on a given bus (tests pass a private one).

    use zbus::proxy::{Builder, CacheProperties};
    use zbus::{Connection, OwnedObjectPath, Proxy};

    use super::{SessionFacts, Sessions};

    const LOGIND: &str = "org.freedesktop.login1";

    /// The sessions logind lists on `connection`; `Unknown` without logind.
    pub async fn sessions_on(connection: &Connection) -> Sessions {
        match list(connection).await {
            Ok(facts) => Sessions::of(&facts),
            Err(e) => {
                tracing::info!(error = %e, "logind cannot be reached: the number of sessions is unknown");
                Sessions::Unknown
            }
        }
    }

    async fn list(connection: &Connection) -> zbus::Result<Vec<SessionFacts>> {
        let manager = proxy(
            connection,
            "/org/freedesktop/login1",
            "org.freedesktop.login1.Manager",
        )
        .await?;
        let listed: Vec<(String, u32, String, String, OwnedObjectPath)> =
            manager.call("ListSessions", &()).await?;
        let mut facts = Vec::with_capacity(listed.len());
        for (_, _, _, _, path) in listed {
            let session =
                proxy(connection, path.as_str(), "org.freedesktop.login1.Session").await?;
            facts.push(SessionFacts {
                class: session.get_property("Class").await?,
                kind: session.get_property("Type").await?,
                state: session.get_property("State").await?,
            });
        }
        Ok(facts)
    }

    async fn proxy<'a>(
        connection: &Connection,
        path: &'a str,
        interface: &'static str,
    ) -> zbus::Result<Proxy<'a>> {
        Builder::new(connection)
            .destination(LOGIND)
            .path(path)
            .interface(interface)
            .cache_properties(CacheProperties::No)
            .build()
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::{SessionFacts, Sessions};

    fn session(class: &str, kind: &str, state: &str) -> SessionFacts {
        SessionFacts {
            class: class.to_owned(),
            kind: kind.to_owned(),
            state: state.to_owned(),
        }
    }

    #[test]
    fn one_desktop_and_text_logins_are_one_session() {
        let sessions = [
            session("user", "wayland", "active"),
            session("user", "tty", "online"),
            session("user", "unspecified", "active"),
            session("greeter", "x11", "online"),
            session("manager", "unspecified", "active"),
        ];
        assert_eq!(Sessions::of(&sessions), Sessions::One);
        assert_eq!(Sessions::of(&[]), Sessions::One);
    }

    #[test]
    fn two_desktops_are_several_sessions() {
        let sessions = [
            session("user", "wayland", "active"),
            session("user", "x11", "online"),
            session("user", "x11", "closing"),
        ];
        assert_eq!(Sessions::of(&sessions), Sessions::Several(2));
    }
}
