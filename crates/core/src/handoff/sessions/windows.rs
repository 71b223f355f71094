//! Windows: the sessions of this computer from `WTSEnumerateSessionsW`. A session
//! counts when a user is signed in to it, at the screen or not: active, or
//! disconnected (fast user switching and remote desktops leave the other user's
//! programs running there). Session 0 (services) and the remote desktop listeners do
//! not count.
#![allow(unsafe_code, reason = "Win32 calls for the list of sessions")]

use windows_sys::Win32::System::RemoteDesktop::{
    WTS_CONNECTSTATE_CLASS, WTS_CURRENT_SERVER_HANDLE, WTS_SESSION_INFOW, WTSActive,
    WTSDisconnected, WTSEnumerateSessionsW, WTSFreeMemory,
};

use super::Sessions;

pub(super) fn active() -> Sessions {
    let mut list: *mut WTS_SESSION_INFOW = std::ptr::null_mut();
    let mut count = 0u32;
    // SAFETY: `list` and `count` are valid places for the results; on success the
    // system allocated `count` entries at `list`, freed below.
    let listed = unsafe {
        WTSEnumerateSessionsW(
            WTS_CURRENT_SERVER_HANDLE,
            0,
            1,
            &raw mut list,
            &raw mut count,
        )
    };
    if listed == 0 || list.is_null() {
        tracing::info!(
            error = %std::io::Error::last_os_error(),
            "the sessions cannot be listed: their number is unknown"
        );
        return Sessions::Unknown;
    }
    // SAFETY: WTSEnumerateSessionsW succeeded: `count` entries at `list`, valid until
    // freed.
    let sessions = unsafe { std::slice::from_raw_parts(list, count as usize) };
    let signed_in = of(sessions.iter().map(|s| (s.SessionId, s.State)));
    // SAFETY: allocated by WTSEnumerateSessionsW, freed once, not used after.
    unsafe { WTSFreeMemory(list.cast()) };
    signed_in
}

/// The sessions that count, from (session id, state) pairs.
fn of(sessions: impl Iterator<Item = (u32, WTS_CONNECTSTATE_CLASS)>) -> Sessions {
    let signed_in = sessions
        .filter(|&(id, state)| id != 0 && (state == WTSActive || state == WTSDisconnected))
        .count();
    if signed_in > 1 {
        Sessions::Several(signed_in)
    } else {
        Sessions::One
    }
}

#[cfg(test)]
mod tests {
    use windows_sys::Win32::System::RemoteDesktop::{
        WTSActive, WTSConnected, WTSDisconnected, WTSListen,
    };

    use super::{Sessions, of};

    #[test]
    fn a_switched_away_user_is_a_second_session() {
        let sessions = [(0, WTSDisconnected), (1, WTSActive), (2, WTSDisconnected)];
        assert_eq!(of(sessions.into_iter()), Sessions::Several(2));
    }

    #[test]
    fn services_listeners_and_empty_screens_do_not_count() {
        let sessions = [
            (0, WTSDisconnected),
            (1, WTSActive),
            (65536, WTSListen),
            (3, WTSConnected),
        ];
        assert_eq!(of(sessions.into_iter()), Sessions::One);
    }
}
