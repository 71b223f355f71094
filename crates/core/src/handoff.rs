//! The loopback hand-off (issue 15): the sign-in page, in the user's own browser on
//! this computer, tells the app which request it started, and the browser, not the
//! page, says which web origin that page is. The app compares that origin with the
//! origins the server signed into the request, so a relayed sign-in (a phishing page
//! on a lookalike domain) is seen as such.
//!
//! # The listener
//! - Binds `127.0.0.1` (IPv4 loopback only) at [`PORTS`]: 47470, else 47471, else
//!   47472. `godkend.js` sends each hand-off to all three (see below).
//! - Answers only `POST /v1/handoff` with a `text/plain` body holding the request id
//!   (a CORS-simple request: the browser sends it without a preflight, so every
//!   hand-off, genuine or not, reaches the app). Anything else gets a clear error and
//!   changes nothing: 404 another path, 405 another method (`OPTIONS` included: a
//!   preflighted request is never answered), 400 a wrong `Host`, a missing or opaque
//!   `Origin` or a malformed request id, 415 another content type, 413 a body over
//!   [`Limits::max_body`] bytes, 429 over the rate, 403 a peer of another OS user.
//! - `Host` must be exactly `127.0.0.1:<the listener's port>`. A DNS-rebinding page
//!   reaches the listener under its own host name, so its `Host` is refused; `localhost`
//!   is refused too, because `godkend.js` always uses the literal and one accepted form
//!   keeps the rule obvious.
//! - `Origin` is required, must be a tuple origin (`http`/`https` with a host; `null`
//!   is refused) and is compared in its ASCII serialisation (punycode), as the browser
//!   sends it.
//! - The answer carries `Access-Control-Allow-Origin: <origin>` only when the request
//!   is known and the origin is one of its allowed origins. A hand-off that comes
//!   before its request is held (202) without that header: the origin cannot be
//!   judged yet, and answering it would tell any page that the app is here.
//! - A taken hand-off is answered `{"status": ...}`: 200 `verified`, 403 `mismatch`,
//!   409 `already_mismatched` (an allowed origin after a mismatch), 422 `unbound` (the
//!   relying party registered no origins), 202 `held`, 429 `held_full`, 410
//!   `not_pending` (decided, expired or superseded). A refusal is answered
//!   `{"error": ..., "message": ...}`.
//! - `godkend.js` should send the hand-off to every port, not stop at the first
//!   answer: another local program may hold 47470 and answer in the app's place.
//!
//! # What the app does
//! Start a [`HandoffListener`] when a device is activated (drop it when not);
//! [`HandoffListener::open_request`] each verified request with its signed origins
//! (it returns the state, early hand-offs applied), [`HandoffListener::close_request`]
//! when the request is decided, expires or is superseded, and follow
//! [`HandoffListener::subscribe`] for hand-offs that come while a request is shown.
//!
//! # Limits (see [`Limits`])
//! At most 16 connections at once (more are closed at accept), each closed after 5 s
//! and with headers in 2 s; 10 hand-offs a second, bursts of 20; bodies of 128 bytes;
//! early hand-offs held 30 s, 8 per origin and 64 in all. A flood costs the app a few
//! accepts and closes: it can make hand-offs fail (the typed code then stays
//! required), never slow the app.
//!
//! # Only the user's own browser counts
//! Loopback TCP does not separate OS users, so a hand-off counts only when the peer
//! socket is owned by the app's own OS user ([`peer`]). Linux reads the owner from
//! `/proc/net/tcp{,6}`; Windows from `GetExtendedTcpTable`'s owning process and its
//! token's user; macOS has no check yet, so there the listener does not start unless
//! the operator turns the hand-off on without it ([`HandoffConfig::allow_unchecked`]).
//! The same holds while more than one session is signed in ([`sessions`]: logind's
//! graphical sessions on Linux, `WTSEnumerateSessionsW` on Windows).
//!
//! # Binding rules ([`binding`])
//! A request is `Verified(origin)`, `Mismatch(origin)` or `Unconfirmed`. A mismatch
//! is sticky; the mark belongs to one request id and never carries over to a request
//! that supersedes it.

pub mod binding;
pub mod limits;
mod listener;
pub mod origin;
mod outcome;
pub mod peer;
mod request;
pub mod sessions;

pub use binding::{BindingBook, BindingState, HandoffOutcome};
pub use limits::Limits;
pub use listener::{HandoffConfig, HandoffError, HandoffEvent, HandoffListener};
pub use origin::WebOrigin;

/// The documented ports, tried in order: the fixed port and its two fallbacks.
pub const PORTS: [u16; 3] = [47470, 47471, 47472];

/// The one path the listener answers.
pub const PATH: &str = "/v1/handoff";

/// Whether `id` has the shape of a request id: 1 to 64 characters of the base64url
/// alphabet (the server's ids are `req_` and 22 of them). Checked before anything
/// else looks at it, so nothing odd reaches the log or the book.
pub fn is_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::is_request_id;

    #[test]
    fn request_ids_are_short_base64url() {
        assert!(is_request_id("req_AAECAwQFBgcICQoLDA0ODw"));
        assert!(is_request_id("r1"));
        assert!(!is_request_id(""));
        assert!(!is_request_id(&"a".repeat(65)));
        assert!(!is_request_id("req 1"));
        assert!(!is_request_id("req\n1"));
        assert!(!is_request_id("req/../1"));
        assert!(!is_request_id("réq"));
    }
}
