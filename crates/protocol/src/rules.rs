//! The protocol's timing and format rules as functions, so server and device judge
//! alike. All times are integer Unix seconds in server time.

use crate::messages::{ApprovalRequest, Decision, DecisionKind, UserVerification, UvKind};
use crate::origin::{MAX_ORIGIN_LEN, OriginBinding};

/// A device-request header's `iat` may differ from the server clock by this much.
pub const HEADER_SKEW_SECONDS: i64 = 60;
/// A decision may arrive this long after the request's `exp`.
pub const DECISION_GRACE_SECONDS: i64 = 60;
/// Request lifetime: default and maximum.
pub const DEFAULT_TTL_SECONDS: u32 = 120;
pub const MAX_TTL_SECONDS: u32 = 600;
/// Shortest lifetime a relying party may ask for.
pub const MIN_TTL_SECONDS: u32 = 10;
/// Verification code length: default and bounds.
pub const DEFAULT_CODE_LENGTH: u8 = 6;
pub const MIN_CODE_LENGTH: u8 = 4;
pub const MAX_CODE_LENGTH: u8 = 8;
/// Consecutive wrong PINs that block a device.
pub const MAX_PIN_FAILURES: u32 = 5;
/// Wrong codes that fail a request.
pub const MAX_CODE_FAILURES: u32 = 3;
/// Wrong activation proofs that burn an activation code.
pub const MAX_ACTIVATION_FAILURES: u32 = 5;
/// Active devices per user.
pub const MAX_DEVICES_PER_USER: usize = 3;

/// Is a header with this `iat` fresh at `server_now`?
pub fn header_time_ok(iat: i64, server_now: i64) -> bool {
    (iat - server_now).abs() <= HEADER_SKEW_SECONDS
}

/// Has a request with this `exp` expired at `server_now`?
pub fn is_expired(exp: i64, server_now: i64) -> bool {
    server_now >= exp
}

/// Why a decision's timing is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimingError {
    /// The decision claims to be older than the request.
    BeforeRequest,
    /// The decision claims a time after the request expired.
    AfterExpiry,
    /// It arrived after `exp` + grace.
    ArrivedTooLate,
}

/// design.md §4: request `iat` ≤ decision `iat` ≤ request `exp`, arriving no later
/// than `exp` + 60 s.
pub fn check_decision_timing(
    request: &ApprovalRequest,
    decision_iat: i64,
    server_now: i64,
) -> Result<(), TimingError> {
    if decision_iat < request.iat {
        Err(TimingError::BeforeRequest)
    } else if decision_iat > request.exp {
        Err(TimingError::AfterExpiry)
    } else if server_now > request.exp + DECISION_GRACE_SECONDS {
        Err(TimingError::ArrivedTooLate)
    } else {
        Ok(())
    }
}

/// Checks the parts of a decision that need no keys: [`decision_names_request`] and
/// [`decision_code_ok`].
pub fn decision_matches_request(decision: &Decision, request: &ApprovalRequest) -> bool {
    decision_names_request(decision, request) && decision_code_ok(decision, request)
}

/// The decision names this request and carries its nonce; an `origin`, if any, is
/// not empty and no longer than any origin.
pub fn decision_names_request(decision: &Decision, request: &ApprovalRequest) -> bool {
    let origin_ok = decision
        .origin
        .as_ref()
        .is_none_or(|o| !o.is_empty() && o.len() <= MAX_ORIGIN_LEN);
    decision.request_id == request.request_id && decision.nonce == request.nonce && origin_ok
}

/// An approve carries a code of the request's length, or no code but a hand-off
/// from one of the request's origins; a deny or not-me carries none.
pub fn decision_code_ok(decision: &Decision, request: &ApprovalRequest) -> bool {
    match decision.decision {
        DecisionKind::Approve => match &decision.code {
            Some(c) => {
                c.len() == usize::from(request.code_length) && c.bytes().all(|b| b.is_ascii_digit())
            }
            None => judge_origin(request, decision.origin.as_deref()) == OriginVerdict::Verified,
        },
        DecisionKind::Deny | DecisionKind::NotMe => decision.code.is_none(),
    }
}

/// What a hand-off's origin says about a request (PROTOCOL.md §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginVerdict {
    /// The origin is one of the request's `rp_origins`: the browser on this computer
    /// vouches that the sign-in started on the relying party's own site.
    Verified,
    /// A hand-off came from another origin: suspected phishing.
    Mismatch,
    /// No hand-off.
    Absent,
    /// The request's binding is `off`: origins are not looked at.
    NotJudged,
}

/// Judges the origin a hand-off came from (as the browser sent it in `Origin`, not
/// re-normalised: browsers send the ASCII serialisation, as `rp_origins` holds it)
/// against the request's signed policy and origins.
pub fn judge_origin(request: &ApprovalRequest, origin: Option<&str>) -> OriginVerdict {
    if request.origin_binding == OriginBinding::Off {
        return OriginVerdict::NotJudged;
    }
    match origin {
        None => OriginVerdict::Absent,
        Some(seen) if request.rp_origins.iter().any(|o| o == seen) => OriginVerdict::Verified,
        Some(_) => OriginVerdict::Mismatch,
    }
}

/// Whether a second factor of `kind` meets a request's `required` user verification
/// (PROTOCOL.md §7.2 step 7): `any` takes every kind, `pin` only the PIN, `hardware`
/// the PIN or a `hardware` key. The server refuses what does not qualify; the app
/// offers only what does. (Whether the server takes `software` keys at all is its
/// operator's choice, on top of this.)
pub fn uv_kind_qualifies(required: UserVerification, kind: UvKind) -> bool {
    match required {
        UserVerification::Any => true,
        UserVerification::Pin => kind == UvKind::Pin,
        UserVerification::Hardware => matches!(kind, UvKind::Pin | UvKind::Hardware),
    }
}

/// Compares a typed code with the expected one without early exit.
pub fn codes_equal(typed: &str, expected: &str) -> bool {
    typed.len() == expected.len()
        && typed
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The device's estimate of `server time − local time`, learnt from signed objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockOffset(pub i64);

impl ClockOffset {
    /// The offset implied by a signed server object issued at `server_iat`, received
    /// when the local clock read `local_now`.
    pub fn from_observation(server_iat: i64, local_now: i64) -> Self {
        ClockOffset(server_iat - local_now)
    }

    /// Local time converted to server time.
    pub fn server_time(self, local_now: i64) -> i64 {
        local_now + self.0
    }
}

/// Is `host` a loopback name or address?
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Devices and relying parties reach the server over HTTPS, except on loopback.
pub fn check_transport(url: &url::Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if url.host_str().is_some_and(is_loopback_host) => Ok(()),
        "http" => Err(format!(
            "{url} must use https (plain http is allowed only on loopback)"
        )),
        other => Err(format!("the server URL must be http(s), not {other}")),
    }
}

/// Clamps a relying party's TTL request into the allowed range.
pub fn ttl_or_default(requested: Option<u32>) -> Result<u32, String> {
    match requested {
        None => Ok(DEFAULT_TTL_SECONDS),
        Some(t) if (MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&t) => Ok(t),
        Some(t) => Err(format!(
            "ttl_seconds must be between {MIN_TTL_SECONDS} and {MAX_TTL_SECONDS}, got {t}"
        )),
    }
}

/// Validates a relying party's code length.
pub fn code_length_or_default(requested: Option<u8>) -> Result<u8, String> {
    match requested {
        None => Ok(DEFAULT_CODE_LENGTH),
        Some(n) if (MIN_CODE_LENGTH..=MAX_CODE_LENGTH).contains(&n) => Ok(n),
        Some(n) => Err(format!(
            "code_length must be between {MIN_CODE_LENGTH} and {MAX_CODE_LENGTH}, got {n}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{RequestContext, RequestKind};

    #[test]
    fn each_required_verification_takes_only_the_kinds_that_qualify() {
        use UserVerification::{Any, Hardware, Pin};
        use UvKind::{Hardware as Hw, Pin as P, Software as Sw};
        let table = [
            (Any, [(P, true), (Hw, true), (Sw, true)]),
            (Pin, [(P, true), (Hw, false), (Sw, false)]),
            (Hardware, [(P, true), (Hw, true), (Sw, false)]),
        ];
        for (required, kinds) in table {
            for (kind, ok) in kinds {
                assert_eq!(
                    uv_kind_qualifies(required, kind),
                    ok,
                    "{required:?} {kind:?}"
                );
            }
        }
    }

    fn request() -> ApprovalRequest {
        ApprovalRequest {
            iat: 1000,
            exp: 1120,
            request_id: "r1".into(),
            nonce: "n1".into(),
            user: "alice".into(),
            rp_id: "shop".into(),
            rp_name: "Shop".into(),
            kind: RequestKind::Login,
            title: "Sign in".into(),
            message: "Sign in to Shop".into(),
            amount: None,
            payee: None,
            context: RequestContext::default(),
            code_length: 6,
            user_verification: UserVerification::Any,
            origin_binding: OriginBinding::Preferred,
            rp_origins: vec!["https://shop.example".into()],
        }
    }

    fn decision(kind: DecisionKind, code: Option<&str>) -> Decision {
        Decision {
            iat: 1010,
            device_id: "d1".into(),
            request_id: "r1".into(),
            nonce: "n1".into(),
            request_hash: "h".into(),
            decision: kind,
            code: code.map(Into::into),
            uv_kid: None,
            origin: None,
        }
    }

    #[test]
    fn an_approval_without_a_code_needs_a_verified_origin() {
        let mut r = request();
        let with_origin = |origin: &str| {
            let mut d = decision(DecisionKind::Approve, None);
            d.origin = Some(origin.into());
            d
        };
        assert!(decision_matches_request(
            &with_origin("https://shop.example"),
            &r
        ));
        assert!(!decision_matches_request(
            &with_origin("https://shop-example.login.test"),
            &r
        ));
        // Origins compare as the browser writes them; no case folding, no slash.
        assert!(!decision_matches_request(
            &with_origin("https://SHOP.example"),
            &r
        ));
        assert!(!decision_matches_request(
            &with_origin("https://shop.example/"),
            &r
        ));
        assert!(!decision_matches_request(&with_origin(""), &r));
        let mut long = with_origin("https://shop.example");
        long.code = Some("123456".into());
        long.origin = Some(format!("https://{}", "a".repeat(400)));
        assert!(!decision_matches_request(&long, &r));
        // With a code, any origin passes this check; the server judges it after.
        let mut coded = with_origin("https://other.example");
        coded.code = Some("123456".into());
        assert!(decision_matches_request(&coded, &r));
        r.origin_binding = OriginBinding::Off;
        assert!(!decision_matches_request(
            &with_origin("https://shop.example"),
            &r
        ));
    }

    #[test]
    fn origins_are_judged_against_the_signed_policy() {
        let mut r = request();
        assert_eq!(judge_origin(&r, None), OriginVerdict::Absent);
        assert_eq!(
            judge_origin(&r, Some("https://shop.example")),
            OriginVerdict::Verified
        );
        assert_eq!(
            judge_origin(&r, Some("https://evil.example")),
            OriginVerdict::Mismatch
        );
        r.origin_binding = OriginBinding::Required;
        assert_eq!(
            judge_origin(&r, Some("https://shop.example")),
            OriginVerdict::Verified
        );
        r.rp_origins.clear();
        assert_eq!(
            judge_origin(&r, Some("https://shop.example")),
            OriginVerdict::Mismatch
        );
        r.origin_binding = OriginBinding::Off;
        assert_eq!(
            judge_origin(&r, Some("https://evil.example")),
            OriginVerdict::NotJudged
        );
    }

    #[test]
    fn header_skew_is_sixty_seconds_either_way() {
        assert!(header_time_ok(1000, 1060));
        assert!(header_time_ok(1060, 1000));
        assert!(!header_time_ok(1000, 1061));
        assert!(!header_time_ok(1061, 1000));
    }

    #[test]
    fn expiry_is_at_exp() {
        assert!(!is_expired(1120, 1119));
        assert!(is_expired(1120, 1120));
    }

    #[test]
    fn decision_timing_rule() {
        let r = request();
        assert_eq!(check_decision_timing(&r, 1010, 1011), Ok(()));
        assert_eq!(
            check_decision_timing(&r, 999, 1011),
            Err(TimingError::BeforeRequest)
        );
        assert_eq!(
            check_decision_timing(&r, 1121, 1121),
            Err(TimingError::AfterExpiry)
        );
        // Signed in time, retried after expiry but inside the grace period: accepted.
        assert_eq!(check_decision_timing(&r, 1119, 1180), Ok(()));
        assert_eq!(
            check_decision_timing(&r, 1119, 1181),
            Err(TimingError::ArrivedTooLate)
        );
    }

    #[test]
    fn decision_must_name_the_request_and_carry_a_code_only_when_approving() {
        let r = request();
        assert!(decision_matches_request(
            &decision(DecisionKind::Approve, Some("123456")),
            &r
        ));
        assert!(!decision_matches_request(
            &decision(DecisionKind::Approve, None),
            &r
        ));
        assert!(!decision_matches_request(
            &decision(DecisionKind::Approve, Some("12345")),
            &r
        ));
        assert!(!decision_matches_request(
            &decision(DecisionKind::Approve, Some("12345a")),
            &r
        ));
        assert!(decision_matches_request(
            &decision(DecisionKind::Deny, None),
            &r
        ));
        assert!(!decision_matches_request(
            &decision(DecisionKind::NotMe, Some("123456")),
            &r
        ));
        let mut other = decision(DecisionKind::Deny, None);
        other.nonce = "n2".into();
        assert!(!decision_matches_request(&other, &r));
    }

    #[test]
    fn clock_offset_converts_local_to_server_time() {
        // Local clock ten minutes fast.
        let offset = ClockOffset::from_observation(1000, 1600);
        assert_eq!(offset.server_time(1610), 1010);
    }

    #[test]
    fn ttl_and_code_length_bounds() {
        assert_eq!(ttl_or_default(None), Ok(120));
        assert_eq!(ttl_or_default(Some(600)), Ok(600));
        assert!(ttl_or_default(Some(601)).is_err());
        assert!(ttl_or_default(Some(0)).is_err());
        assert_eq!(code_length_or_default(None), Ok(6));
        assert!(code_length_or_default(Some(3)).is_err());
        assert!(code_length_or_default(Some(9)).is_err());
        assert_eq!(code_length_or_default(Some(8)), Ok(8));
    }

    #[test]
    fn https_is_required_except_on_loopback() {
        let ok = |u: &str| check_transport(&url::Url::parse(u).unwrap()).is_ok();
        assert!(ok("https://auth.example.com"));
        assert!(ok("http://127.0.0.1:8420"));
        assert!(ok("http://localhost:8420"));
        assert!(ok("http://[::1]:8420"));
        assert!(!ok("http://auth.example.com"));
        assert!(!ok("http://192.168.1.2:8420"));
        assert!(!ok("ftp://127.0.0.1"));
    }

    #[test]
    fn code_comparison() {
        assert!(codes_equal("123456", "123456"));
        assert!(!codes_equal("123456", "123457"));
        assert!(!codes_equal("12345", "123456"));
    }
}
