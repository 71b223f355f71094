//! Terminal input for the stand-in. Reading stdin blocks, so one dedicated thread
//! does every read, one at a time, while the async side keeps the event stream
//! flowing. A read the async side stopped waiting for (the request was withdrawn) is
//! not lost: a pending line read is handed to the next line prompt, and a stale PIN
//! read is thrown away unused.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use tokio::sync::mpsc;
use zeroize::Zeroizing;

/// Where a scripted demo or test puts the PIN when stdin is not a terminal.
pub const DEMO_PIN_VAR: &str = "GODKEND_DEMO_PIN";

/// True while rpassword has the terminal in no-echo mode; Ctrl-C waits for it to
/// restore the terminal before the process exits.
static SECRET_READ_OPEN: AtomicBool = AtomicBool::new(false);

/// What the input thread is asked to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ask {
    Line,
    Secret,
}

/// `None` means end of input (Ctrl-D or a closed pipe).
type Answer = std::io::Result<Option<Zeroizing<String>>>;

/// The async side of the terminal.
pub struct Terminal {
    asks: std::sync::mpsc::Sender<(Ask, String)>,
    answers: mpsc::UnboundedReceiver<Answer>,
    /// A read the thread is still doing for a prompt nobody waits for any more.
    outstanding: Option<Ask>,
    interactive: bool,
}

impl Terminal {
    /// Starts the input thread. It lives as long as the process; it is never joined
    /// because a blocked read cannot be interrupted.
    pub fn start() -> anyhow::Result<Self> {
        let (asks, ask_rx) = std::sync::mpsc::channel::<(Ask, String)>();
        let (answer_tx, answers) = mpsc::unbounded_channel();
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                for (ask, prompt) in ask_rx {
                    if answer_tx.send(read(ask, &prompt)).is_err() {
                        break;
                    }
                }
            })
            .context("could not start the input thread")?;
        Ok(Terminal {
            asks,
            answers,
            outstanding: None,
            interactive: std::io::stdin().is_terminal(),
        })
    }

    /// Is stdin a terminal (so PINs can be typed without echo)?
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    /// Prompts and reads one line (trimmed). Cancel-safe: if the caller stops
    /// waiting, the read stays outstanding and feeds the next `line` call.
    pub async fn line(&mut self, prompt: &str) -> anyhow::Result<Option<String>> {
        self.discard_typed_ahead();
        if self.outstanding == Some(Ask::Secret) {
            // Whatever is typed at a PIN prompt that is gone is dropped unread.
            println!("(Press Enter to leave the earlier PIN prompt.)");
            self.next_answer().await?;
        }
        print!("{prompt} ");
        let _ = std::io::stdout().flush();
        if self.outstanding.is_none() {
            self.ask(Ask::Line, "")?;
        }
        let answer = self.next_answer().await?;
        Ok(answer.map(|s| s.trim().to_owned()))
    }

    /// While no prompt is shown, keeps a line read going, so that whatever is typed
    /// meanwhile is consumed and then dropped by the next prompt instead of waiting
    /// in the terminal's buffer to become that prompt's answer.
    pub fn absorb_typing(&mut self) -> anyhow::Result<()> {
        match self.outstanding {
            None if self.interactive => self.ask(Ask::Line, ""),
            Some(Ask::Secret) => {
                println!("(Press Enter to leave the PIN prompt.)");
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Reads a PIN without echo; with stdin not a terminal, from `GODKEND_DEMO_PIN`.
    pub async fn secret(&mut self, prompt: &str) -> anyhow::Result<Option<Zeroizing<String>>> {
        if !self.interactive {
            return match std::env::var(DEMO_PIN_VAR) {
                Ok(pin) => Ok(Some(Zeroizing::new(pin))),
                Err(_) => bail!(
                    "standard input is not a terminal, so the PIN cannot be typed without echo; \
                     run godkend in a terminal (or set {DEMO_PIN_VAR} for a scripted demo)"
                ),
            };
        }
        self.discard_typed_ahead();
        if self.outstanding == Some(Ask::Line) {
            // That read would take the PIN's keystrokes, with echo.
            println!("(Press Enter to leave the earlier prompt.)");
            self.next_answer().await?;
        }
        if self.outstanding.is_none() {
            self.ask(Ask::Secret, prompt)?;
        }
        self.next_answer().await
    }

    /// Before the process exits: a stale PIN read still has echo off, and only its
    /// end (Enter) lets rpassword turn echo back on.
    pub async fn release(&mut self) {
        if self.outstanding == Some(Ask::Secret) {
            println!("Press Enter to finish.");
            let _ = self.next_answer().await;
        }
    }

    /// Drops answers that arrived while no prompt was waiting: they were typed for a
    /// prompt that is gone (say, a code for a withdrawn request) and must not be
    /// taken as the answer to the prompt about to be shown.
    fn discard_typed_ahead(&mut self) {
        while self.answers.try_recv().is_ok() {
            self.outstanding = None;
        }
    }

    fn ask(&mut self, ask: Ask, prompt: &str) -> anyhow::Result<()> {
        self.asks
            .send((ask, prompt.to_owned()))
            .map_err(|_| anyhow::anyhow!("the input thread has stopped"))?;
        self.outstanding = Some(ask);
        Ok(())
    }

    /// Waits for the outstanding read's answer. If this is cancelled, `outstanding`
    /// stays set and a later call picks the answer up.
    async fn next_answer(&mut self) -> anyhow::Result<Option<Zeroizing<String>>> {
        let answer = self
            .answers
            .recv()
            .await
            .context("the input thread has stopped")?;
        self.outstanding = None;
        match answer {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {
                // Ctrl-C at a PIN prompt: rpassword has raised SIGINT, main exits.
                std::future::pending().await
            }
            Err(e) => Err(e).context("could not read from the terminal"),
        }
    }
}

/// One blocking read, on the input thread.
fn read(ask: Ask, prompt: &str) -> Answer {
    match ask {
        Ask::Line => {
            let mut line = Zeroizing::new(String::new());
            let n = std::io::stdin().lock().read_line(&mut line)?;
            Ok((n > 0).then_some(line))
        }
        Ask::Secret => {
            SECRET_READ_OPEN.store(true, Ordering::SeqCst);
            let result = rpassword::prompt_password(prompt);
            SECRET_READ_OPEN.store(false, Ordering::SeqCst);
            match result {
                Ok(pin) => Ok(Some(Zeroizing::new(pin))),
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
                Err(e) => Err(e),
            }
        }
    }
}

/// After Ctrl-C: gives rpassword a moment to put echo back before the process exits.
pub async fn wait_for_echo() {
    for _ in 0..20 {
        if !SECRET_READ_OPEN.load(Ordering::SeqCst) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Removes control characters from server-supplied text before it is printed, so
/// a relying party's title or message cannot move the cursor or recolour the screen.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}
