//! Waiting for approval requests and answering them in the terminal, on the same
//! approval agent as the desktop app: core's connection loop keeps the signed event
//! stream open (reconnecting with backoff, resuming after the last event id, polling
//! when streams fail), the agent keeps the inbox, the outbox and the device's end,
//! and this file only prints what the agent says and asks for the code and PIN.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use futures::StreamExt as _;
use godkend_core::PinKey;
use godkend_core::agent::{Agent, Choice, DeviceParts as _, Effects, MemoryDevice, Notice, Work};
use godkend_core::answer::{Answer, Refusal};
use godkend_core::client::DeviceClient;
use godkend_core::connection::{self, ConnectionPolicy, ConnectionState, PushUpdate};
use godkend_core::os_session::{self, OsSessionEvent};
use godkend_core::push::VerifiedRequest;
use godkend_core::standing::Standing;
use godkend_protocol::ErrorCode;
use godkend_protocol::messages::{DecisionKind, DeviceState, RequestKind};
use tokio::sync::{Notify, mpsc};

use super::console::{Terminal, clean};
use super::{PinSecrets, attempts_left};

/// Exit code when the device got blocked by wrong PINs.
const EXIT_BLOCKED: u8 = 2;

const CODE_PROMPT: &str =
    "Type the code shown on the login screen (or d = deny, n = this was not me):";

/// Shows requests as they arrive until the device ends; returns the exit code.
pub async fn serve(
    client: Arc<DeviceClient>,
    secrets: &Arc<PinSecrets>,
    term: &mut Terminal,
) -> anyhow::Result<u8> {
    let mut live = Live::start(client);
    let code = loop {
        term.absorb_typing()?;
        let request = match live.next_request().await? {
            Ok(request) => request,
            Err(code) => break code,
        };
        let mut prompt = Prompt {
            live: &mut live,
            secrets,
            term: &mut *term,
            request,
            pin: None,
        };
        match prompt.run().await? {
            Step::Done => println!("\nWaiting for requests... (Ctrl-C to quit)"),
            // The newer request is the agent's next arrival.
            Step::Replaced => {}
            Step::Exit(code) => break code,
        }
    };
    live.stop();
    Ok(code)
}

/// The agent and what feeds it: the push connection, the outbox's retries, a clock.
struct Live {
    agent: Agent<MemoryDevice>,
    updates: mpsc::Receiver<PushUpdate>,
    connection: tokio::task::JoinHandle<()>,
    /// Answers to decisions that waited in the outbox, from their flush tasks.
    flushed: mpsc::Sender<Vec<(String, Answer)>>,
    flushes: mpsc::Receiver<Vec<(String, Answer)>>,
    connected_before: bool,
    /// Notices not handed out yet.
    backlog: VecDeque<Notice>,
    /// How the device ended, once the server said so (for the exit code).
    ended: Option<DeviceState>,
}

impl Live {
    fn start(client: Arc<DeviceClient>) -> Self {
        let agent = Agent::new(Arc::new(MemoryDevice::new(Arc::clone(&client))));
        let (tx, updates) = mpsc::channel(64);
        let wake = Arc::new(Notify::new());
        // After a sleep the stream is most likely dead: reconnect at once on resume,
        // as the desktop app does.
        let resumes = Arc::clone(&wake);
        tokio::spawn(async move {
            let mut events = std::pin::pin!(os_session::watch());
            while let Some(event) = events.next().await {
                if event == OsSessionEvent::Resumed {
                    resumes.notify_one();
                }
            }
        });
        let connection = tokio::spawn(connection::run(
            client,
            ConnectionPolicy::default(),
            tx,
            wake,
        ));
        let (answers_out, answers_in) = mpsc::channel(8);
        Live {
            agent,
            updates,
            connection,
            flushed: answers_out,
            flushes: answers_in,
            connected_before: false,
            backlog: VecDeque::new(),
            ended: None,
        }
    }

    fn stop(&self) {
        self.connection.abort();
    }

    /// Waits for the next new request; `Err(exit code)` once the device ended.
    async fn next_request(&mut self) -> anyhow::Result<Result<VerifiedRequest, u8>> {
        loop {
            match self.next().await? {
                Notice::Arrived(request) => return Ok(Ok(*request)),
                Notice::DeviceEnded => return Ok(Err(self.ended())),
                other => {
                    Self::report(&other);
                    // A queued answer refused later (a wrong code with tries left):
                    // the request is still open, so it is asked again.
                    if let Notice::Answered(id, Answer::Refused(_)) = &other
                        && let Some((request, Standing::Pending)) = self.agent.tracked(id)
                    {
                        return Ok(Ok(request.clone()));
                    }
                }
            }
        }
    }

    /// The agent's next notice, in order, none lost. Cancel-safe (a prompt races
    /// it): whatever the agent said is in the backlog before anything else awaits.
    async fn next(&mut self) -> anyhow::Result<Notice> {
        loop {
            if let Some(notice) = self.backlog.pop_front() {
                return Ok(notice);
            }
            let effects = tokio::select! {
                update = self.updates.recv() => {
                    let update = update.context("the connection to the server stopped")?;
                    self.connected(&update);
                    self.agent.push(&update)
                }
                Some(answers) = self.flushes.recv() => self.agent.flushed(answers),
                () = tokio::time::sleep(Duration::from_secs(1)) => self.agent.tick(),
            };
            let notices = self.run(effects);
            self.backlog.extend(notices);
        }
    }

    /// Runs the agent's work: flushes in the background (they retry until the
    /// request's deadline), the wipe check at once (nothing on disk to wipe).
    fn run(&mut self, effects: Effects) -> Vec<Notice> {
        let mut notices = effects.notices;
        for work in effects.work {
            match work {
                Work::Flush => {
                    let flush = self.agent.flush();
                    let flushed = self.flushed.clone();
                    tokio::spawn(async move {
                        let _ = flushed.send(flush.await).await;
                    });
                }
                Work::Wipe(envelope) => {
                    // Which end it was, for the exit code.
                    if let Some(status) = self.agent.client().signed_end(&envelope) {
                        self.ended = Some(status.status);
                    }
                    // Nothing on disk: the check is quick and needs no blocking thread.
                    let wiped = self.agent.device().wipe_if_ended(&envelope);
                    notices.extend(self.agent.wiped(wiped).notices);
                }
            }
        }
        notices
    }

    /// Prints how the connection changed.
    fn connected(&mut self, update: &PushUpdate) {
        let PushUpdate::State(state) = update else {
            return;
        };
        let was_online = self.agent.is_online();
        match state {
            ConnectionState::Connected | ConnectionState::Polling if !was_online => {
                if self.connected_before {
                    println!("Reconnected to the server.");
                } else {
                    println!("Connected to the server. Waiting for requests... (Ctrl-C to quit)");
                }
                self.connected_before = true;
            }
            ConnectionState::Offline { reason, retry_in } => println!(
                "(No connection to the server: {reason}. Retrying in {} s.)",
                retry_in.as_secs().max(1)
            ),
            _ => {}
        }
    }

    /// Prints a notice that is not about the request on screen.
    fn report(notice: &Notice) {
        match notice {
            Notice::Answered(_, answer) => {
                println!("(An answer that waited was sent: {})", answer_text(answer));
            }
            // The answer to the decision already said so.
            Notice::Queued(..)
            | Notice::Arrived(_)
            | Notice::Closed(..)
            | Notice::Locked
            | Notice::DeviceEnded => {}
        }
    }

    /// The user's decision, signed and sent through the agent; the agent hears the
    /// answer too (it closes the request, keeps and retries, or ends the device).
    /// Whether that ended the device (a refusal carrying its signed end); the
    /// agent's other notices wait in the backlog.
    async fn decide(&mut self, request: &VerifiedRequest, choice: Choice) -> (Answer, bool) {
        let kind = choice.kind();
        let answer = self.agent.decide(request, choice).await;
        let id = &request.request.request_id;
        let effects = self.agent.answered(id, kind, &answer, Instant::now());
        let (ended, others): (Vec<_>, Vec<_>) = self
            .run(effects)
            .into_iter()
            .partition(|n| matches!(n, Notice::DeviceEnded));
        self.backlog.extend(others);
        (answer, !ended.is_empty())
    }

    /// The exit code for how the device ended.
    fn ended(&self) -> u8 {
        if self.ended == Some(DeviceState::Blocked) {
            println!(
                "\nThis device has been blocked at the server (too many wrong PINs). It must be activated again."
            );
            EXIT_BLOCKED
        } else {
            println!("\nThis device has been revoked at the server. It must be activated again.");
            0
        }
    }

    /// Runs `work` (a prompt) while the agent follows the server: stops when this
    /// request closes (decided elsewhere, replaced, expired), a newer one arrives,
    /// or the device ends.
    async fn watch<T>(
        &mut self,
        request: &VerifiedRequest,
        work: impl Future<Output = T>,
    ) -> anyhow::Result<Result<T, Step>> {
        let id = &request.request.request_id;
        let mut work = std::pin::pin!(work);
        loop {
            let notice = tokio::select! {
                out = &mut work => return Ok(Ok(out)),
                notice = self.next() => notice?,
            };
            match notice {
                // At most one request per user is pending: the agent closes this one
                // before it announces the newer one, which comes next.
                Notice::Closed(closed, Standing::Superseded) if &closed == id => {
                    println!("\nA newer request arrived and replaces this one.");
                    return Ok(Err(Step::Replaced));
                }
                Notice::Closed(closed, standing) if &closed == id => {
                    println!("\nThe request {}.", standing_text(standing));
                    return Ok(Err(Step::Done));
                }
                Notice::Arrived(_) => {
                    self.backlog.push_front(notice);
                    return Ok(Err(Step::Replaced));
                }
                Notice::DeviceEnded => return Ok(Err(Step::Exit(self.ended()))),
                other => Self::report(&other),
            }
        }
    }
}

/// What became of a request prompt.
enum Step {
    /// Answered, failed or closed: back to waiting.
    Done,
    /// A newer request replaced it; the agent announces that one next.
    Replaced,
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
    live: &'a mut Live,
    secrets: &'a Arc<PinSecrets>,
    term: &'a mut Terminal,
    request: VerifiedRequest,
    pin: Option<Arc<PinKey>>,
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
            let choice = match &typed {
                Typed::Code(code) => {
                    let pin_key = match self.pin_key().await? {
                        Ok(Some(pin_key)) => pin_key,
                        Ok(None) => continue,
                        Err(step) => return Ok(step),
                    };
                    Choice::Approve {
                        code: code.as_str().into(),
                        pin_key,
                    }
                }
                Typed::Deny => Choice::Deny,
                Typed::NotMe => Choice::NotMe,
            };
            let (answer, ended) = self.live.decide(&self.request, choice).await;
            if ended {
                print_refusal_of_device(&answer);
                return Ok(Step::Exit(self.live.ended()));
            }
            match Self::answered(&answer) {
                Some(step) => return Ok(step),
                None if matches!(
                    &answer,
                    Answer::Refused(Refusal {
                        code: Some(ErrorCode::WrongPin),
                        ..
                    })
                ) =>
                {
                    self.pin = None;
                    retry = Some(typed);
                }
                None => {}
            }
        }
    }

    /// The PIN key for this prompt, asked for once: `None` when nothing was typed,
    /// `Err` with the step when the prompt was interrupted.
    async fn pin_key(&mut self) -> anyhow::Result<Result<Option<Arc<PinKey>>, Step>> {
        if let Some(pin) = &self.pin {
            return Ok(Ok(Some(Arc::clone(pin))));
        }
        let secret = self.term.secret("PIN: ");
        let secret = match self.live.watch(&self.request, secret).await? {
            Ok(secret) => secret?,
            Err(step) => return Ok(Err(step)),
        };
        let Some(secret) = secret else {
            println!("No PIN entered.");
            return Ok(Ok(None));
        };
        let key = Arc::new(self.secrets.derive(secret).await?);
        self.pin = Some(Arc::clone(&key));
        Ok(Ok(Some(key)))
    }

    /// Prints the answer to a decision; the step it ends the prompt with, or `None`
    /// to ask again (a wrong code or PIN with tries left).
    fn answered(answer: &Answer) -> Option<Step> {
        let Answer::Refused(refusal) = answer else {
            println!("{}", answer_text(answer));
            return Some(Step::Done);
        };
        let left = refusal.attempts_left.unwrap_or(0);
        match refusal.code {
            Some(ErrorCode::CodeMismatch) if left > 0 => {
                println!(
                    "That code does not match the login screen ({}).",
                    attempts_left(left)
                );
                None
            }
            Some(ErrorCode::WrongPin) => {
                println!(
                    "Wrong PIN ({} before this device is blocked).",
                    attempts_left(left)
                );
                None
            }
            _ => {
                println!("{}", answer_text(answer));
                Some(Step::Done)
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
            // The stand-in speaks English, so the amount is written as English does.
            let english = crate::format::amount::in_locale(amount, &icu_locale_core::locale!("en"));
            println!("  Amount:      {}", clean(&english));
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
        let left = r.exp - self.live.agent.server_now();
        println!("  Expires in:  {} s", left.max(0));
        println!("----------------------------------------------------------------");
    }

    /// Asks until the user types a well-formed code, d or n; `Err` if the prompt
    /// was interrupted by an event or the expiry.
    async fn ask_code(&mut self) -> anyhow::Result<Result<Typed, Step>> {
        loop {
            let line = self.term.line(CODE_PROMPT);
            let answer = match self.live.watch(&self.request, line).await? {
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
}

/// A refusal that ended the device (blocked or revoked).
fn print_refusal_of_device(answer: &Answer) {
    if let Answer::Refused(Refusal {
        code: Some(ErrorCode::DeviceBlocked),
        ..
    }) = answer
    {
        println!("Wrong PIN five times.");
    }
}

/// What an answer to a decision means, in words.
fn answer_text(answer: &Answer) -> String {
    match answer {
        Answer::Accepted(Standing::Decided(DecisionKind::Approve)) => {
            "Approved. The relying party has been told.".into()
        }
        Answer::Accepted(Standing::Decided(DecisionKind::Deny)) => {
            "Denied. The relying party has been told.".into()
        }
        Answer::Accepted(Standing::Decided(DecisionKind::NotMe)) => {
            "Reported as not you and denied. New requests are paused for a while.".into()
        }
        Answer::Accepted(Standing::Pending) => {
            "The server still shows the request as pending.".into()
        }
        Answer::Accepted(standing) => format!("The request {}.", standing_text(*standing)),
        Answer::Kept(reason) => format!(
            "Not delivered yet ({reason}). The answer waits and is sent again until the request expires."
        ),
        Answer::Refused(refusal) => match refusal.standing() {
            Some(standing) => format!("The request {}.", standing_text(standing)),
            None => format!("The server refused the answer: {}", refusal.reason),
        },
        Answer::Lapsed(_) => "The request expired before the server could take the answer.".into(),
        Answer::NotSent(reason) => format!("Could not send the answer: {reason}"),
    }
}

/// How a closed request stands, after "The request ".
fn standing_text(standing: Standing) -> &'static str {
    match standing {
        Standing::Withdrawn => "was answered on another device",
        Standing::Superseded => "was replaced by a newer request",
        Standing::Expired => "has expired",
        Standing::Failed => "failed: the code was typed wrong too many times",
        Standing::Decided(_) => "was decided here",
        Standing::Pending => "is still pending",
    }
}
