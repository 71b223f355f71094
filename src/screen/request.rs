//! Request: what the user is asked to approve, checked against the server's signed
//! request (who asks, what for, amount, where from, how long it is valid), then the
//! code from the login screen and the PIN to approve, or deny, or "this was not me".
//!
//! The PIN key derived for an approval stays in this screen only, so a mistyped code
//! can be retyped without the PIN; it goes when the screen closes.
//!
//! Where biometrics are on and the request and server take its key, the screen
//! offers "Approve with fingerprint" (Windows Hello, Touch ID) in place of the PIN,
//! with "Use PIN instead" at all times; the typed code is needed either way.
//!
//! Where the user's browser handed the sign-in off to the app (issue 15) from one of
//! the relying party's signed origins, the screen says so and needs no code; from
//! another origin, it warns of phishing and offers only Deny and "not me"; where the
//! request requires a hand-off and none came, it cannot be approved here.

use std::sync::Arc;

use godkend_core::agent::Choice;
use godkend_core::answer::Answer;
use godkend_core::decision::SignedDecision;
use godkend_core::handoff::BindingState;
use godkend_core::keys::PinKey;
use godkend_core::push::VerifiedRequest;
use godkend_core::secret::{Redacted, SecretText};
use godkend_core::standing::Standing;
use godkend_protocol::messages::{DecisionKind, RequestKind};
use godkend_protocol::origin::OriginBinding;
use godkend_protocol::{ErrorCode, rules};
use iced::widget::{column, container, row, text};
use iced::{Alignment, Element, Length};

use super::biometric::Outcome;
use crate::fl;
use crate::widget::button;
use crate::widget::field::labelled;
use crate::widget::pin_field::PinField;

/// The code field's id: focused when the screen opens, for typing straight away.
pub const CODE_FIELD: &str = "request-code";
/// The PIN field's id.
pub const PIN_FIELD: &str = "request-pin";
/// The buttons' ids: the keyboard focus and a screen reader find them by these.
pub const APPROVE: &str = "request-approve";
pub const DENY: &str = "request-deny";
pub const NOT_ME: &str = "request-not-me";
pub const NOT_ME_CANCEL: &str = "request-not-me-cancel";
pub const USE_PIN: &str = "request-use-pin";
pub const USE_BIOMETRIC: &str = "request-use-biometric";
pub const BACK: &str = "request-back";
/// The "yes, this was not me" button's id: focused when the question shows, so a
/// keyboard user answers it next (Escape or Cancel goes back).
pub const NOT_ME_CONFIRM: &str = "request-not-me-confirm";

/// The request screen's state.
pub struct Request {
    verified: VerifiedRequest,
    /// Server time, in seconds, as of the last tick.
    now: i64,
    code: String,
    pin: PinField,
    /// The PIN key derived for this request: kept after a wrong code, so only the
    /// code needs retyping. Never stored anywhere else.
    pin_key: Option<Arc<PinKey>>,
    stage: Stage,
    /// "This was not me" was pressed and waits for confirmation.
    confirming_not_me: bool,
    /// Why the last try did not go through, while another try is possible.
    notice: Option<String>,
    /// The biometric check in place of the PIN, when offered.
    uv: Uv,
    /// What the browser on this computer vouched for.
    binding: BindingState,
}

/// Where the sign-in started, as the screen tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// The request binds no origin (`off`, or the RP registered none).
    NotBound,
    /// The browser handed off from one of the RP's origins: no code needed.
    Verified(String),
    /// The browser handed off from another origin: phishing suspected.
    Mismatch(String),
    /// No hand-off, and the request requires one: it cannot be approved.
    Missing,
    /// No hand-off: the typed code, as without binding.
    Unconfirmed,
}

/// The biometric check's part of the screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "independent facts about one choice, each read on its own"
)]
struct Uv {
    /// Offered for this request (biometrics on, not suspended, the key qualifies).
    offered: bool,
    /// The user chose "Use PIN instead".
    use_pin: bool,
    /// The check is under way (the app holds the task, to cancel it).
    scanning: bool,
    /// The approval being sent was signed after a scan (not with the PIN).
    sent_by_scan: bool,
}

impl Uv {
    /// Whether approving uses the biometric check rather than the PIN.
    fn chosen(self) -> bool {
        self.offered && !self.use_pin
    }
}

/// Where the screen is in deciding.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Open,
    /// Deriving the PIN key, then signing and sending.
    Working,
    /// Nothing more to decide here; what became of the request.
    Final(Ending),
}

/// What became of the request, as far as this screen knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Closed, here or elsewhere: how it stands.
    Closed(Standing),
    /// Signed and in the outbox, not delivered yet (offline, or "try again later").
    Queued(DecisionKind),
    /// Wrong PIN too many times: the device is blocked.
    Blocked,
    /// The server says it is no longer pending (the reason comes with its close).
    NotPending,
    /// The server refused the decision for another reason.
    Refused(String),
}

/// The typed PIN and code are [`SecretText`]: they never show in a debug print (the
/// PIN key's own `Debug` is redacted too).
#[derive(Debug, Clone)]
pub enum Message {
    CodeChanged(SecretText),
    PinChanged(SecretText),
    Approve,
    Deny,
    NotMe,
    ConfirmNotMe,
    CancelNotMe,
    /// Approve with the PIN rather than the biometric check.
    UsePin,
    /// Approve with the biometric check again.
    UseBiometric,
    /// Stop the biometric check under way (the app aborts it).
    CancelScan,
    Close,
    /// The PIN key for the request with this id, derived off the UI thread.
    Derived(String, Result<Arc<PinKey>, String>),
    /// A decision on the request with this id went through the outbox.
    Sent(String, DecisionKind, Answer),
    /// The biometric check on the request with this id ended: the approval it
    /// signed, or how it ended without one (`None`: cancelled, nothing to say).
    Scanned(String, Result<Redacted<SignedDecision>, Option<Outcome>>),
}

/// Work that needs the device (keys, outbox, network); the app runs it against the
/// agent.
#[derive(Debug)]
pub enum Work {
    DerivePinKey(SecretText),
    Decide(Choice),
    /// Approve with this code and the biometric key, which the app holds; the
    /// platform shows `reason` where it shows one.
    Scan {
        code: SecretText,
        reason: String,
    },
    /// Send the approval the biometric key signed.
    Send(SignedDecision),
}

/// What the request screen tells the app.
#[derive(Debug)]
pub enum Event {
    /// Back to the home screen.
    Closed,
}

impl Request {
    /// The screen for `request`, at server time `now`.
    pub fn new(request: VerifiedRequest, now: i64) -> Self {
        Request {
            verified: request,
            now,
            code: String::new(),
            pin: PinField::default(),
            pin_key: None,
            stage: Stage::Open,
            confirming_not_me: false,
            notice: None,
            uv: Uv::default(),
            binding: BindingState::Unconfirmed,
        }
    }

    /// What the browser vouched for changed (a hand-off came, or the listener
    /// started with one held). A verified request needs no code: what was typed goes.
    pub fn set_binding(&mut self, binding: BindingState) {
        self.binding = binding;
        if !self.needs_code() {
            self.code.clear();
        }
    }

    /// The field typing starts in: the code, or the PIN where the browser vouched
    /// for the site (so a hand-off that lands while the code field has the focus
    /// moves it on); none where approval takes a scan or a kept PIN.
    pub fn first_field(&self) -> Option<&'static str> {
        if self.needs_code() {
            Some(CODE_FIELD)
        } else if self.uv.chosen() || self.pin_key.is_some() {
            None
        } else {
            Some(PIN_FIELD)
        }
    }

    fn origin(&self) -> Origin {
        let request = &self.verified.request;
        if request.origin_binding == OriginBinding::Off || request.rp_origins.is_empty() {
            return Origin::NotBound;
        }
        match &self.binding {
            BindingState::Verified(origin) => Origin::Verified(origin.as_str().to_owned()),
            BindingState::Mismatch(origin) => Origin::Mismatch(origin.as_str().to_owned()),
            BindingState::Unconfirmed if request.origin_binding == OriginBinding::Required => {
                Origin::Missing
            }
            BindingState::Unconfirmed => Origin::Unconfirmed,
        }
    }

    /// The screen with the biometric check offered in place of the PIN (or not).
    #[must_use]
    pub fn offering_biometric(mut self, offered: bool) -> Self {
        self.uv.offered = offered;
        self
    }

    /// Whether a biometric check is under way.
    pub fn is_scanning(&self) -> bool {
        self.uv.scanning
    }

    /// Whether the last approval sent was signed after a scan rather than with the
    /// PIN (an accepted PIN lifts a scan suspension; a scan does not).
    pub fn sent_by_scan(&self) -> bool {
        self.uv.sent_by_scan
    }

    /// How the last biometric check ended (the app counts failed scans): said on
    /// the screen, and the PIN takes over where the check can no longer succeed.
    pub fn scan_ended(&mut self, outcome: Option<Outcome>) {
        if let Some(outcome) = outcome {
            if !outcome.keeps_offer() {
                self.uv.offered = false;
            }
            self.notice = Some(outcome.text());
        }
    }

    /// The request this screen shows, as the server signed it.
    pub fn verified(&self) -> &VerifiedRequest {
        &self.verified
    }

    pub fn request_id(&self) -> &str {
        &self.verified.request.request_id
    }

    /// Whether the countdown needs a tick each second.
    pub fn is_open(&self) -> bool {
        !matches!(self.stage, Stage::Final(_))
    }

    /// The clock moved on (server time).
    pub fn tick(&mut self, now: i64) {
        self.now = now;
    }

    /// The request was closed elsewhere (another device, a newer request, expiry),
    /// or a decision that waited in the outbox was sent.
    pub fn closed(&mut self, standing: Standing) {
        if standing == Standing::Pending {
            return;
        }
        // While a decision is on its way, the server's answer to it says what
        // became of the request.
        if matches!(self.stage, Stage::Open | Stage::Final(Ending::Queued(_))) {
            self.finish(Ending::Closed(standing));
        }
    }

    /// A decision this screen queued got its answer from a later flush: shown as if
    /// it had come at once (a refusal that leaves the request pending opens it
    /// again, so the code or PIN can be typed anew).
    pub fn answered_later(&mut self, answer: Answer) {
        if let Stage::Final(Ending::Queued(kind)) = self.stage {
            self.sent(kind, answer);
        }
    }

    /// Whether "this was not me" waits for its confirmation.
    pub fn is_confirming(&self) -> bool {
        self.confirming_not_me
    }

    fn is_expired(&self) -> bool {
        rules::is_expired(self.verified.request.exp, self.now)
    }

    /// Whether the code from the login screen is asked for: not when the browser
    /// vouched for the site.
    fn needs_code(&self) -> bool {
        !matches!(self.origin(), Origin::Verified(_))
    }

    /// What to do, in words, for the way this request is approved.
    fn instructions(&self, method: &str) -> String {
        if !self.needs_code() {
            fl!("request-instructions-verified")
        } else if self.uv.chosen() {
            fl!("request-instructions-biometric", method = method.to_owned())
        } else {
            fl!("request-instructions")
        }
    }

    /// The code is typed in full, or not needed.
    fn code_is_complete(&self) -> bool {
        !self.needs_code() || self.code.len() == usize::from(self.verified.request.code_length)
    }

    /// Approving is possible at all: not after a mismatched hand-off, nor without
    /// the hand-off a request requires.
    fn origin_allows_approval(&self) -> bool {
        !matches!(self.origin(), Origin::Mismatch(_) | Origin::Missing)
    }

    /// Whether the request can still be decided here.
    fn can_decide(&self) -> bool {
        self.stage == Stage::Open && !self.is_expired()
    }

    /// Whether the Approve button is enabled.
    pub fn can_approve(&self) -> bool {
        self.can_decide()
            && self.origin_allows_approval()
            && self.code_is_complete()
            && (self.uv.chosen() || self.pin_key.is_some() || self.pin.is_ready())
    }

    /// The app locked: the PIN and its key go (a retried code then needs the PIN
    /// again).
    pub fn forget_secrets(&mut self) {
        self.pin.clear();
        self.pin_key = None;
    }

    pub fn update(&mut self, message: Message) -> (Option<Work>, Option<Event>) {
        match message {
            Message::CodeChanged(code) => self.code = digits(code.as_str(), self.code_length()),
            Message::PinChanged(typed) => self.pin.typed(&typed),
            Message::Approve => return (self.approve(), None),
            Message::Deny => return (self.refuse(false), None),
            Message::NotMe => self.confirming_not_me = self.can_decide(),
            Message::ConfirmNotMe => return (self.refuse(true), None),
            Message::CancelNotMe => self.confirming_not_me = false,
            Message::UsePin => self.uv.use_pin = true,
            Message::UseBiometric => self.uv.use_pin = false,
            Message::CancelScan => {
                if self.uv.scanning {
                    self.uv.scanning = false;
                    self.stage = Stage::Open;
                }
            }
            Message::Close => return (None, Some(Event::Closed)),
            // Answers about another request (this screen was replaced meanwhile)
            // are not this screen's to show.
            Message::Derived(id, _) | Message::Sent(id, ..) | Message::Scanned(id, _)
                if id != self.request_id() => {}
            Message::Derived(_, result) => return (self.derived(result), None),
            Message::Scanned(_, result) => return (self.scanned(result), None),
            Message::Sent(_, kind, answer) => self.sent(kind, answer),
        }
        (None, None)
    }

    fn code_length(&self) -> usize {
        usize::from(self.verified.request.code_length)
    }

    fn approve(&mut self) -> Option<Work> {
        if !self.can_approve() {
            return None;
        }
        self.stage = Stage::Working;
        self.notice = None;
        if self.uv.chosen() {
            self.uv.scanning = true;
            self.uv.sent_by_scan = true;
            return Some(Work::Scan {
                code: self.code.as_str().into(),
                reason: fl!(
                    "biometric-reason-approve",
                    title = self.verified.request.title.clone()
                ),
            });
        }
        self.uv.sent_by_scan = false;
        Some(match &self.pin_key {
            Some(pin_key) => Work::Decide(Choice::Approve {
                code: self.code.as_str().into(),
                pin_key: Arc::clone(pin_key),
            }),
            None => Work::DerivePinKey(SecretText::new(self.pin.secret())),
        })
    }

    /// The scan ended: its signed approval goes out (it can no longer be cancelled),
    /// or the screen says why there is none.
    fn scanned(
        &mut self,
        result: Result<Redacted<SignedDecision>, Option<Outcome>>,
    ) -> Option<Work> {
        if !self.uv.scanning {
            return None;
        }
        self.uv.scanning = false;
        match result {
            Ok(signed) => Some(Work::Send(signed.into_inner())),
            Err(outcome) => {
                self.stage = Stage::Open;
                self.scan_ended(outcome);
                None
            }
        }
    }

    fn derived(&mut self, result: Result<Arc<PinKey>, String>) -> Option<Work> {
        if self.stage != Stage::Working {
            return None;
        }
        match result {
            Ok(pin_key) => {
                self.pin_key = Some(Arc::clone(&pin_key));
                Some(Work::Decide(Choice::Approve {
                    code: self.code.as_str().into(),
                    pin_key,
                }))
            }
            Err(reason) => {
                self.stage = Stage::Open;
                self.notice = Some(fl!("request-failed", reason = reason));
                None
            }
        }
    }

    fn refuse(&mut self, not_me: bool) -> Option<Work> {
        self.confirming_not_me = false;
        if !self.can_decide() {
            return None;
        }
        self.stage = Stage::Working;
        self.notice = None;
        Some(Work::Decide(if not_me {
            Choice::NotMe
        } else {
            Choice::Deny
        }))
    }

    /// The answer to this screen's decision. The agent hears it too, and closes
    /// the request or wipes a blocked device; this only shows it.
    fn sent(&mut self, kind: DecisionKind, answer: Answer) {
        self.stage = Stage::Open;
        self.uv.scanning = false;
        let refusal = match answer {
            Answer::Accepted(standing) => {
                tracing::info!(request = %self.request_id(), ?kind, "decision accepted");
                return self.finish(Ending::Closed(standing));
            }
            Answer::Kept(reason) => {
                tracing::info!(%reason, "decision kept in the outbox until the server takes it");
                return self.finish(Ending::Queued(kind));
            }
            Answer::Lapsed(_) => return self.finish(Ending::Closed(Standing::Expired)),
            Answer::NotSent(reason) => {
                self.notice = Some(fl!("request-failed", reason = reason));
                return;
            }
            Answer::Refused(refusal) => refusal,
        };
        let left = refusal.attempts_left.unwrap_or(0);
        match refusal.code {
            Some(ErrorCode::CodeMismatch) if left > 0 => {
                tracing::info!(attempts_left = left, "approval refused: wrong code");
                // The PIN key stays: only the code is typed again.
                self.code.clear();
                self.notice = Some(fl!("request-wrong-code", left = left));
            }
            Some(ErrorCode::WrongPin) => {
                tracing::info!(attempts_left = left, "approval refused: wrong PIN");
                self.forget_secrets();
                self.notice = Some(fl!("request-wrong-pin", left = left));
            }
            Some(ErrorCode::UvKeyUnknown) => self.scan_ended(Some(Outcome::KeyRemoved)),
            Some(ErrorCode::UvNotAllowed | ErrorCode::UserVerificationInsufficient)
                if self.uv.offered =>
            {
                self.scan_ended(Some(Outcome::NotAccepted));
            }
            Some(ErrorCode::DeviceBlocked) => self.finish(Ending::Blocked),
            Some(ErrorCode::RequestNotPending | ErrorCode::DecisionConflict) => {
                self.finish(Ending::NotPending);
            }
            _ => match refusal.standing() {
                Some(standing) => self.finish(Ending::Closed(standing)),
                None => self.finish(Ending::Refused(refusal.reason)),
            },
        }
    }

    fn finish(&mut self, ending: Ending) {
        self.forget_secrets();
        self.confirming_not_me = false;
        self.notice = None;
        self.stage = Stage::Final(ending);
    }
}

/// The digits of `typed`, at most `max` of them.
fn digits(typed: &str, max: usize) -> String {
    typed
        .chars()
        .filter(char::is_ascii_digit)
        .take(max)
        .collect()
}

mod accessible;
mod view;

#[cfg(test)]
mod tests;
