//! Request: what the user is asked to approve, checked against the server's signed
//! request (who asks, what for, amount, where from, how long it is valid), then the
//! code from the login screen and the PIN to approve, or deny, or "this was not me".
//!
//! The PIN key derived for an approval stays in this screen only, so a mistyped code
//! can be retyped without the PIN; it goes when the screen closes.

use std::sync::Arc;

use godkend_core::client::VerifiedRequest;
use godkend_core::device::Device;
use godkend_core::inbox::Standing;
use godkend_core::keys::PinKey;
use godkend_core::outbox::Delivery;
use godkend_core::secret::SecretText;
use godkend_core::{CoreError, decision::SignedDecision};
use godkend_protocol::messages::{DecisionKind, RequestKind};
use godkend_protocol::{Envelope, ErrorCode, rules};
use iced::widget::{column, container, row, text, text_input};
use iced::{Alignment, Element, Length, Task};

use crate::fl;
use crate::widget::button;
use crate::widget::field::labelled;
use crate::widget::pin_field::PinField;

/// The code field's id: focused when the screen opens, for typing straight away.
pub const CODE_FIELD: &str = "request-code";
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
    Decided(DecisionKind),
    /// Signed and in the outbox, not sent yet (offline).
    Queued(DecisionKind),
    Closed(Standing),
    /// The code was wrong too many times.
    Failed,
    /// Wrong PIN too many times: the device is blocked.
    Blocked,
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
    Close,
    /// The PIN key for the request with this id, derived off the UI thread.
    Derived(String, Result<Arc<PinKey>, String>),
    /// A decision on the request with this id went through the outbox.
    Sent(String, DecisionKind, Outcome),
}

/// The outbox's answer to one decision, in a form messages can carry.
#[derive(Debug, Clone)]
pub enum Outcome {
    Accepted,
    Refused {
        code: Option<ErrorCode>,
        attempts_left: Option<u32>,
        device_status: Option<Envelope>,
        reason: String,
    },
    /// Offline: kept in the outbox for the next try.
    Kept(String),
    /// Signing or the outbox file failed.
    Failed(String),
}

impl Outcome {
    fn from_delivery(delivery: Delivery) -> Self {
        match delivery {
            Delivery::Accepted(_) => Outcome::Accepted,
            // A lapse (no final answer, past the deadline) ends the request as a
            // refusal does; only a later try can lapse, a first one is in time.
            Delivery::Refused(error) | Delivery::Lapsed(error) => Outcome::refused(&error),
            Delivery::Kept(error) => Outcome::Kept(error.to_string()),
        }
    }

    fn refused(error: &CoreError) -> Self {
        let problem = error.problem();
        Outcome::Refused {
            code: error.code(),
            attempts_left: problem.and_then(|p| p.attempts_left),
            device_status: problem.and_then(|p| p.device_status.clone()),
            reason: error.to_string(),
        }
    }
}

/// Work that needs the device (keys, outbox, network); the app runs it with
/// [`Request::start`].
#[derive(Debug)]
pub enum Work {
    DerivePinKey(SecretText),
    Approve {
        code: SecretText,
        pin_key: Arc<PinKey>,
    },
    Refuse {
        not_me: bool,
    },
}

/// What the request screen tells the app.
#[derive(Debug)]
pub enum Event {
    /// Back to the home screen.
    Closed,
    /// The server accepted this device's decision.
    Decided(String, DecisionKind),
    /// The server says the request is no longer pending.
    Ended(String, Standing),
    /// Too many wrong PINs: the server blocked this device; the signed status, to
    /// wipe it.
    DeviceBlocked(Option<Envelope>),
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
        }
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
        let ending = match standing {
            Standing::Decided(kind) => Ending::Decided(kind),
            Standing::Failed => Ending::Failed,
            Standing::Pending => return,
            other => Ending::Closed(other),
        };
        // While a decision is on its way, the server's answer to it says what
        // became of the request.
        if matches!(self.stage, Stage::Open | Stage::Final(Ending::Queued(_))) {
            self.finish(ending);
        }
    }

    /// Whether "this was not me" waits for its confirmation.
    pub fn is_confirming(&self) -> bool {
        self.confirming_not_me
    }

    fn is_expired(&self) -> bool {
        rules::is_expired(self.verified.request.exp, self.now)
    }

    fn code_is_complete(&self) -> bool {
        self.code.len() == usize::from(self.verified.request.code_length)
    }

    /// Whether the request can still be decided here.
    fn can_decide(&self) -> bool {
        self.stage == Stage::Open && !self.is_expired()
    }

    /// Whether the Approve button is enabled.
    pub fn can_approve(&self) -> bool {
        self.can_decide()
            && self.code_is_complete()
            && (self.pin_key.is_some() || self.pin.is_ready())
    }

    fn forget_secrets(&mut self) {
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
            Message::Close => return (None, Some(Event::Closed)),
            // Answers about another request (this screen was replaced meanwhile)
            // are not this screen's to show.
            Message::Derived(id, _) | Message::Sent(id, ..) if id != self.request_id() => {}
            Message::Derived(_, result) => return (self.derived(result), None),
            Message::Sent(_, kind, outcome) => return (None, self.sent(kind, outcome)),
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
        Some(match &self.pin_key {
            Some(pin_key) => Work::Approve {
                code: self.code.as_str().into(),
                pin_key: Arc::clone(pin_key),
            },
            None => Work::DerivePinKey(SecretText::new(self.pin.secret())),
        })
    }

    fn derived(&mut self, result: Result<Arc<PinKey>, String>) -> Option<Work> {
        if self.stage != Stage::Working {
            return None;
        }
        match result {
            Ok(pin_key) => {
                self.pin_key = Some(Arc::clone(&pin_key));
                Some(Work::Approve {
                    code: self.code.as_str().into(),
                    pin_key,
                })
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
        Some(Work::Refuse { not_me })
    }

    fn sent(&mut self, kind: DecisionKind, outcome: Outcome) -> Option<Event> {
        let id = self.request_id().to_owned();
        self.stage = Stage::Open;
        let (attempts_left, device_status, reason, code) = match outcome {
            Outcome::Accepted => {
                tracing::info!(request = %id, ?kind, "decision accepted");
                self.finish(Ending::Decided(kind));
                return Some(Event::Decided(id, kind));
            }
            Outcome::Kept(reason) => {
                tracing::info!(%reason, "decision kept in the outbox until the server is reachable");
                self.finish(Ending::Queued(kind));
                return None;
            }
            Outcome::Failed(reason) => {
                self.notice = Some(fl!("request-failed", reason = reason));
                return None;
            }
            Outcome::Refused {
                code,
                attempts_left,
                device_status,
                reason,
            } => (attempts_left, device_status, reason, code),
        };
        let left = attempts_left.unwrap_or(0);
        match code {
            Some(ErrorCode::CodeMismatch) if left > 0 => {
                tracing::info!(attempts_left = left, "approval refused: wrong code");
                // The PIN key stays: only the code is typed again.
                self.code.clear();
                self.notice = Some(fl!("request-wrong-code", left = left));
                None
            }
            Some(ErrorCode::CodeMismatch) => {
                self.finish(Ending::Failed);
                Some(Event::Ended(id, Standing::Failed))
            }
            Some(ErrorCode::WrongPin) => {
                tracing::info!(attempts_left = left, "approval refused: wrong PIN");
                self.forget_secrets();
                self.notice = Some(fl!("request-wrong-pin", left = left));
                None
            }
            Some(ErrorCode::DeviceBlocked) => {
                self.finish(Ending::Blocked);
                Some(Event::DeviceBlocked(device_status))
            }
            Some(ErrorCode::RequestExpired) => {
                self.finish(Ending::Closed(Standing::Expired));
                Some(Event::Ended(id, Standing::Expired))
            }
            Some(ErrorCode::RequestNotPending | ErrorCode::DecisionConflict) => {
                self.finish(Ending::Closed(Standing::Withdrawn));
                Some(Event::Ended(id, Standing::Withdrawn))
            }
            _ => {
                self.finish(Ending::Refused(reason));
                None
            }
        }
    }

    fn finish(&mut self, ending: Ending) {
        self.forget_secrets();
        self.confirming_not_me = false;
        self.notice = None;
        self.stage = Stage::Final(ending);
    }

    /// Runs `work` with `device`, off the UI thread.
    pub fn start(&self, work: Work, device: &Arc<Device>) -> Task<Message> {
        let device = Arc::clone(device);
        let request = self.verified.clone();
        let id = self.request_id().to_owned();
        match work {
            Work::DerivePinKey(pin) => Task::perform(
                async move {
                    device
                        .pin_key(pin.as_str())
                        .await
                        .map(Arc::new)
                        .map_err(|e| e.to_string())
                },
                move |result| Message::Derived(id.clone(), result),
            ),
            Work::Approve { code, pin_key } => Task::perform(
                async move {
                    let signed = device.client.approve(&request, code.as_str(), &pin_key);
                    send(&device, signed).await
                },
                move |outcome| Message::Sent(id.clone(), DecisionKind::Approve, outcome),
            ),
            Work::Refuse { not_me } => Task::perform(
                async move { send(&device, device.client.refuse(&request, not_me)).await },
                move |outcome| {
                    let kind = if not_me {
                        DecisionKind::NotMe
                    } else {
                        DecisionKind::Deny
                    };
                    Message::Sent(id.clone(), kind, outcome)
                },
            ),
        }
    }
}

/// Denies `request` with the device key through the outbox, as the Deny button
/// does, without a request screen (the notification's Deny). The answer comes back
/// as [`Message::Sent`].
pub fn deny(request: VerifiedRequest, device: &Arc<Device>) -> Task<Message> {
    let device = Arc::clone(device);
    let id = request.request.request_id.clone();
    Task::perform(
        async move { send(&device, device.client.refuse(&request, false)).await },
        move |outcome| Message::Sent(id.clone(), DecisionKind::Deny, outcome),
    )
}

impl Message {
    /// Whether this message says a decision was kept in the outbox for another try.
    pub fn kept(&self) -> bool {
        matches!(self, Message::Sent(_, _, Outcome::Kept(_)))
    }

    /// The request and decision the server accepted, if this message says so.
    pub fn accepted(&self) -> Option<(&str, DecisionKind)> {
        match self {
            Message::Sent(id, kind, Outcome::Accepted) => Some((id, *kind)),
            _ => None,
        }
    }
}

/// Sends a signed decision through the outbox.
async fn send(device: &Device, signed: Result<SignedDecision, CoreError>) -> Outcome {
    let signed = match signed {
        Ok(signed) => signed,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    match device.outbox.send(&device.client, &signed).await {
        Ok(delivery) => Outcome::from_delivery(delivery),
        Err(e) => Outcome::Failed(e.to_string()),
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

mod view;

#[cfg(test)]
mod tests;
