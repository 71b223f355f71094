//! Waiting for approval requests and answering them in the terminal. A background
//! task keeps the signed event stream open (reconnecting with backoff, resuming after
//! the last event id); the foreground shows one request at a time and asks for the
//! code and PIN, while still watching the stream for the request being withdrawn,
//! superseded or expired, or the device being revoked or blocked.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use godkend_core::client::{DeviceClient, VerifiedRequest};
use godkend_core::push::PushEvent;
use godkend_core::{CoreError, PinKey};
use godkend_protocol::messages::event::HEARTBEAT_SECONDS;
use godkend_protocol::messages::{
    CloseReason, DeviceState, DeviceStatus, RequestKind, RequestState,
};
use godkend_protocol::{ErrorCode, Problem};
use rand::RngExt as _;
use tokio::sync::mpsc;

use super::console::{Terminal, clean};
use super::{PinSecrets, attempts_left, describe};

/// The first wait before reconnecting; it doubles up to 30 s while the server is away.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// Exit code when the device got blocked by wrong PINs.
const EXIT_BLOCKED: u8 = 2;

const CODE_PROMPT: &str =
    "Type the code shown on the login screen (or d = deny, n = this was not me):";

/// Shows requests as they arrive until the device ends; returns the exit code.
pub async fn serve(
    device: Arc<DeviceClient>,
    secrets: &Arc<PinSecrets>,
    term: &mut Terminal,
) -> anyhow::Result<u8> {
    let (tx, mut events) = mpsc::channel(64);
    let pump = tokio::spawn(pump(Arc::clone(&device), tx));
    // Requests already answered or closed: a resumed stream may replay them.
    let mut done: HashSet<String> = HashSet::new();
    let mut next: Option<VerifiedRequest> = None;
    let mut announce_wait = false;
    let code = loop {
        if next.is_none() {
            term.absorb_typing()?;
            if std::mem::take(&mut announce_wait) {
                println!("\nWaiting for requests... (Ctrl-C to quit)");
            }
        }
        let request = match next.take() {
            Some(request) => request,
            None => match events
                .recv()
                .await
                .context("the event stream task stopped")?
            {
                PushEvent::Request(request) => request,
                PushEvent::Closed(closed) => {
                    done.insert(closed.request_id);
                    continue;
                }
                PushEvent::Ended(status, _) => break ended(&status),
                PushEvent::Policy(_) | PushEvent::Heartbeat(_) => continue,
            },
        };
        let id = request.request.request_id.clone();
        if done.contains(&id) {
            continue;
        }
        if request.request.exp <= device.server.server_now() {
            println!(
                "(A request from {} arrived after it had expired.)",
                clean(&request.request.rp_name)
            );
            done.insert(id);
            continue;
        }
        let mut prompt = Prompt {
            device: &device,
            secrets,
            term: &mut *term,
            events: &mut events,
            request,
            pin: None,
        };
        let step = prompt.run().await?;
        done.insert(id);
        match step {
            Step::Done => announce_wait = true,
            Step::Newer(request) => next = Some(*request),
            Step::Exit(code) => break code,
        }
    };
    pump.abort();
    Ok(code)
}

/// Keeps the event stream open and forwards verified events. Ends after the
/// device's end, which it forwards as `PushEvent::Ended`.
async fn pump(device: Arc<DeviceClient>, tx: mpsc::Sender<PushEvent>) {
    let mut last_id: Option<i64> = None;
    let mut backoff = FIRST_BACKOFF;
    let mut connected_before = false;
    // Two missed heartbeats mean the connection is dead even if TCP has not noticed.
    let silence = Duration::from_secs(HEARTBEAT_SECONDS * 3);
    loop {
        let why = match device.events(last_id).await {
            Ok(stream) => {
                println!(
                    "{}",
                    if connected_before {
                        "Reconnected to the server."
                    } else {
                        "Connected to the server. Waiting for requests... (Ctrl-C to quit)"
                    }
                );
                connected_before = true;
                backoff = FIRST_BACKOFF;
                let mut stream = std::pin::pin!(stream);
                loop {
                    match tokio::time::timeout(silence, stream.next()).await {
                        Err(_) => break "no heartbeat from the server".to_owned(),
                        Ok(None) => break "the server closed the connection".to_owned(),
                        Ok(Some(Ok(received))) => {
                            last_id = received.id.or(last_id);
                            let end = matches!(received.event, PushEvent::Ended(..));
                            if tx.send(received.event).await.is_err() || end {
                                return;
                            }
                        }
                        Ok(Some(Err(CoreError::Offline(e)))) => break e,
                        Ok(Some(Err(e))) => {
                            println!("(Dropped an event that failed verification: {e})");
                        }
                    }
                }
            }
            Err(e) => {
                if let Some(status) = ended_status(&device, e.problem()) {
                    let _ = tx.send(status).await;
                    return;
                }
                describe(&e)
            }
        };
        let jitter = Duration::from_millis(rand::rng().random_range(0..500));
        if backoff == FIRST_BACKOFF {
            println!("(Lost the connection to the server: {why}. Reconnecting...)");
        } else {
            println!(
                "(Still no connection; retrying in {} s.)",
                backoff.as_secs()
            );
        }
        tokio::time::sleep(backoff + jitter).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

/// A refused connection carrying a signed revoked/blocked status for this device.
/// An unsigned refusal is only retried: it must never end the device.
fn ended_status(device: &DeviceClient, problem: Option<&Problem>) -> Option<PushEvent> {
    let envelope = problem?.device_status.clone()?;
    let status: DeviceStatus = device.server.open(&envelope).ok()?;
    (status.device_id == device.device_id && status.status != DeviceState::Active)
        .then_some(PushEvent::Ended(status, envelope))
}

/// Prints why the device ended; the stand-in has nothing to wipe, so it exits.
fn ended(status: &DeviceStatus) -> u8 {
    let what = match status.status {
        DeviceState::Blocked => "blocked (too many wrong PINs)",
        _ => "revoked",
    };
    println!("\nThis device has been {what} at the server. It must be activated again.");
    0
}

/// What became of a request prompt.
enum Step {
    /// Answered, failed or closed: back to waiting.
    Done,
    /// A newer request arrived; show it instead.
    Newer(Box<VerifiedRequest>),
    Exit(u8),
}

/// What the user typed at the code prompt. Deny and "not me" are signed by the
/// device key alone, so they need no PIN.
enum Typed {
    Code(String),
    Deny,
    NotMe,
}

/// One request on screen. The PIN key lives only as long as this prompt, so a
/// mistyped code can be retried without retyping the PIN.
struct Prompt<'a> {
    device: &'a DeviceClient,
    secrets: &'a Arc<PinSecrets>,
    term: &'a mut Terminal,
    events: &'a mut mpsc::Receiver<PushEvent>,
    request: VerifiedRequest,
    pin: Option<PinKey>,
}

impl Prompt<'_> {
    async fn run(&mut self) -> anyhow::Result<Step> {
        self.show();
        // Set after a wrong PIN, so only the PIN is asked again.
        let mut retry: Option<Typed> = None;
        loop {
            let typed = match retry.take() {
                Some(typed) => typed,
                None => match self.ask_code().await? {
                    Ok(typed) => typed,
                    Err(step) => return Ok(step),
                },
            };
            if matches!(typed, Typed::Code(_)) && self.pin.is_none() {
                let secret = self.term.secret("PIN: ");
                let secret = match watch(self.events, self.device, &self.request, secret).await {
                    Ok(secret) => secret?,
                    Err(step) => return Ok(step),
                };
                let Some(secret) = secret else {
                    println!("No PIN entered.");
                    continue;
                };
                self.pin = Some(self.secrets.derive(secret).await?);
            }
            let signed = match (&typed, &self.pin) {
                (Typed::Code(code), Some(pin)) => self.device.approve(&self.request, code, pin),
                (Typed::Deny, _) => self.device.refuse(&self.request, false),
                (Typed::NotMe, _) => self.device.refuse(&self.request, true),
                (Typed::Code(_), None) => continue,
            }
            .map_err(|e| anyhow::anyhow!("could not sign the answer: {e}"))?;
            let error = match self.send(&signed.request_id, &signed.bytes).await {
                Ok(state) => {
                    println!("{}", state_text(state));
                    return Ok(Step::Done);
                }
                Err(error) => error,
            };
            match error.code() {
                Some(ErrorCode::CodeMismatch) => {
                    let left = attempts(&error);
                    if left == 0 {
                        println!("Wrong code three times: the request failed.");
                        return Ok(Step::Done);
                    }
                    println!(
                        "That code does not match the login screen ({}).",
                        attempts_left(left)
                    );
                }
                Some(ErrorCode::WrongPin) => {
                    println!(
                        "Wrong PIN ({} before this device is blocked).",
                        attempts_left(attempts(&error))
                    );
                    self.pin = None;
                    retry = Some(typed);
                }
                // The request may still be pending: let the user try again.
                None if matches!(error, CoreError::Offline(_)) => {
                    println!("Not sent ({error}). Try again.");
                }
                _ => return Ok(failed(&error)),
            }
        }
    }

    /// Prints the request as the server signed it, with server text cleaned.
    fn show(&self) {
        let r = &self.request.request;
        let kind = match r.kind {
            RequestKind::Login => "sign-in",
            RequestKind::Payment => "payment",
            RequestKind::Action => "action",
        };
        println!();
        println!("----------------------------------------------------------------");
        println!(" Approval request from {}", clean(&r.rp_name));
        println!("----------------------------------------------------------------");
        println!("  Kind:        {kind}");
        println!("  Title:       {}", clean(&r.title));
        println!("  Message:     {}", clean(&r.message));
        if let Some(amount) = &r.amount {
            println!(
                "  Amount:      {} {}",
                clean(&amount.value),
                clean(&amount.currency)
            );
        }
        if let Some(payee) = &r.payee {
            println!("  Payee:       {}", clean(payee));
        }
        let context = [
            ("IP address:", &r.context.ip),
            ("Location:", &r.context.location),
            ("Browser:", &r.context.user_agent),
        ];
        for (label, value) in context {
            if let Some(value) = value {
                println!("  {label:<12} {}", clean(value));
            }
        }
        let left = r.exp - self.device.server.server_now();
        println!("  Expires in:  {} s", left.max(0));
        println!("----------------------------------------------------------------");
    }

    /// Asks until the user types a well-formed code, d or n; `Err` if the prompt
    /// was interrupted by an event or the expiry.
    async fn ask_code(&mut self) -> anyhow::Result<Result<Typed, Step>> {
        loop {
            let line = self.term.line(CODE_PROMPT);
            let answer = match watch(self.events, self.device, &self.request, line).await {
                Ok(answer) => answer?,
                Err(step) => return Ok(Err(step)),
            };
            let Some(answer) = answer else {
                bail!("standard input was closed");
            };
            match answer.to_ascii_lowercase().as_str() {
                "" => {}
                "d" | "deny" => return Ok(Ok(Typed::Deny)),
                "n" | "not me" => return Ok(Ok(Typed::NotMe)),
                _ => {
                    if let Some(code) = self.normalise_code(&answer) {
                        return Ok(Ok(Typed::Code(code)));
                    }
                }
            }
        }
    }

    /// The typed code without spaces or dashes, if it has the request's length.
    fn normalise_code(&self, answer: &str) -> Option<String> {
        let code: String = answer.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let length = usize::from(self.request.request.code_length);
        if code.len() == length && code.bytes().all(|b| b.is_ascii_digit()) {
            return Some(code);
        }
        println!("The code has {length} digits. Type it as shown on the login screen, or d or n.");
        None
    }

    /// Sends a decision. Not interruptible by events: its answer is the final word.
    async fn send(&self, request_id: &str, body: &[u8]) -> Result<RequestState, CoreError> {
        let send = self.device.send_decision(request_id, body);
        match tokio::time::timeout(Duration::from_secs(30), send).await {
            Ok(answer) => answer.map(|a| a.status),
            Err(_) => Err(CoreError::Offline(
                "the server did not answer in time".into(),
            )),
        }
    }
}

/// Runs `work` (a prompt) while watching the stream for this request's end, a newer
/// request, or the device's end; also stops at the request's expiry.
async fn watch<T>(
    events: &mut mpsc::Receiver<PushEvent>,
    device: &DeviceClient,
    request: &VerifiedRequest,
    work: impl Future<Output = T>,
) -> Result<T, Step> {
    let r = &request.request;
    let left = u64::try_from(r.exp - device.server.server_now()).unwrap_or(0);
    // A second of grace: the server, not this clock, decides expiry.
    let expiry = tokio::time::sleep(Duration::from_secs(left + 1));
    let mut work = std::pin::pin!(work);
    let mut expiry = std::pin::pin!(expiry);
    loop {
        tokio::select! {
            out = &mut work => return Ok(out),
            () = &mut expiry => {
                println!("\nThe request has expired.");
                return Err(Step::Done);
            }
            event = events.recv() => match event {
                None => {
                    println!("\nThe event stream stopped.");
                    return Err(Step::Exit(1));
                }
                Some(PushEvent::Closed(closed)) if closed.request_id == r.request_id => {
                    println!("\nThe request was {}.", close_text(closed.reason));
                    return Err(Step::Done);
                }
                // At most one request per user is pending, so a later one replaces
                // this; an older one can only be a replay and is ignored.
                Some(PushEvent::Request(newer))
                    if newer.request.request_id != r.request_id && newer.request.iat >= r.iat =>
                {
                    println!("\nA newer request arrived and replaces this one.");
                    return Err(Step::Newer(Box::new(newer)));
                }
                Some(PushEvent::Ended(status, _)) => return Err(Step::Exit(ended(&status))),
                Some(_) => {}
            }
        }
    }
}

/// Any other refusal of a decision: say why; blocked exits.
fn failed(e: &CoreError) -> Step {
    match e.code() {
        Some(ErrorCode::DeviceBlocked) => {
            println!("Wrong PIN five times: this device is blocked and must be activated again.");
            Step::Exit(EXIT_BLOCKED)
        }
        Some(ErrorCode::DeviceRevoked) => {
            println!("This device has been revoked at the server.");
            Step::Exit(0)
        }
        Some(ErrorCode::RequestExpired) => {
            println!("The request has expired.");
            Step::Done
        }
        Some(ErrorCode::RequestNotPending | ErrorCode::DecisionConflict) => {
            println!("The request is no longer pending: {}", describe(e));
            Step::Done
        }
        _ => {
            println!("Could not send the answer: {}", describe(e));
            Step::Done
        }
    }
}

fn attempts(e: &CoreError) -> u32 {
    e.problem().and_then(|p| p.attempts_left).unwrap_or(0)
}

fn close_text(reason: CloseReason) -> &'static str {
    match reason {
        CloseReason::Withdrawn => "withdrawn: it was answered on another device",
        CloseReason::Superseded => "superseded: a newer request replaced it",
        CloseReason::Expired => "expired",
        CloseReason::Failed => "failed: the code was typed wrong too many times",
        CloseReason::Unknown => "closed by the server",
    }
}

fn state_text(state: RequestState) -> &'static str {
    match state {
        RequestState::Approved => "Approved. The relying party has been told.",
        RequestState::Denied => "Denied. The relying party has been told.",
        RequestState::NotMe => {
            "Reported as not you and denied. New requests are paused for a while."
        }
        RequestState::Pending => "The server still shows the request as pending.",
        RequestState::Expired => "The request had expired.",
        RequestState::Superseded => "A newer request had replaced this one.",
        RequestState::Failed => "The request failed.",
    }
}
