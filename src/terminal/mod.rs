//! The terminal stand-in (`godkend --terminal`): activates this computer from a
//! `godkend://activate` link (or server, user and code), asks for a new PIN, then waits
//! for approval requests on the signed event stream and asks for the code and PIN in
//! the terminal. Kept for machines without a graphical session and for scripted demos.
//!
//! It keeps nothing on disk and no key outside memory: the device key, PIN salt and
//! pepper die with the process, so each run is a new device. The desktop app keeps
//! them in the OS keyring (design.md §3).

mod console;
pub mod parent_console;
pub mod policy;
mod requests;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use godkend_core::activation::ActivationInput;
use godkend_core::activation_exchange::activate;
use godkend_core::client::{DeviceClient, ServerClient};
use godkend_core::pin::{KdfParams, check_new_pin, derive_pin_key};
use godkend_core::{CoreError, PinKey};
use godkend_protocol::messages::ActivationLink;
use godkend_protocol::messages::server::VersionVerdict;
use rand::RngExt as _;
use zeroize::Zeroizing;

use self::console::{DEMO_PIN_VAR, Terminal, clean};
use crate::Cli;

/// Exit code for Ctrl-C, as a shell reports a SIGINT death.
const EXIT_INTERRUPTED: u8 = 130;

/// The PIN's salt and pepper. In memory only, for the life of the process.
pub struct PinSecrets {
    salt: [u8; 16],
    pepper: Zeroizing<[u8; 32]>,
}

impl PinSecrets {
    fn generate() -> Self {
        let mut rng = rand::rng();
        PinSecrets {
            salt: rng.random(),
            pepper: Zeroizing::new(rng.random()),
        }
    }

    /// Derives the PIN key off the async threads: Argon2id is slow on purpose.
    pub async fn derive(self: &Arc<Self>, pin: Zeroizing<String>) -> anyhow::Result<PinKey> {
        let secrets = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            derive_pin_key(&pin, &secrets.salt, KdfParams::MINIMUM, &secrets.pepper)
        })
        .await
        .context("the PIN key derivation stopped")?
        .context("could not derive the PIN key")
    }
}

/// Runs the stand-in to the end; the process exits with the code returned.
pub fn main(cli: Cli) -> ExitCode {
    if cli.link.is_none() && cli.server.is_none() {
        eprintln!(
            "godkend: error: --terminal needs an activation link, or all of --server, --user \
             and --code\n\nFor more information, try '--help'."
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("godkend: error: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            result = run(cli) => result,
            () = ctrl_c() => {
                console::wait_for_echo().await;
                println!("\nStopped. Nothing was saved: the keys were only in memory.");
                Ok(EXIT_INTERRUPTED)
            }
        }
    });
    // The input thread may be blocked on a read; nothing is left that needs waiting for.
    runtime.shutdown_background();
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("godkend: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on Ctrl-C. Catching it (rather than dying) lets a PIN prompt restore echo.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    print_banner();
    let mut term = Terminal::start()?;
    let input = activation_input(cli)?;
    // Checked before the PIN is chosen, so a bad address fails at once.
    godkend_protocol::rules::check_transport(&input.server_url)
        .map_err(|e| anyhow::anyhow!("the server address is not allowed: {e}"))?;
    if !term.interactive() && std::env::var_os(DEMO_PIN_VAR).is_none() {
        bail!(
            "standard input is not a terminal, so a PIN cannot be typed here; run godkend \
             in a terminal (or set {DEMO_PIN_VAR} for a scripted demo)"
        );
    }
    println!(
        "Activating for user {} at {}",
        clean(&input.user),
        input.server_url
    );

    let secrets = Arc::new(PinSecrets::generate());
    let pin = choose_pin(&mut term).await?;
    let pin_key = secrets.derive(pin).await?;
    let activated = activate(&input, &pin_key)
        .await
        .map_err(|e| anyhow::anyhow!("activation failed: {}", describe(&e)))?;
    // The PIN key is needed again only to approve, and is derived afresh then.
    drop(pin_key);

    let activation = &activated.activation;
    println!();
    println!("Activated.");
    println!("  Serial number: {}", clean(&activation.serial));
    println!("  Organisation:  {}", clean(&activation.org.name));
    match activation.version_policy.verdict(env!("CARGO_PKG_VERSION")) {
        VersionVerdict::UpToDate => {}
        VersionVerdict::UpdateAvailable => println!("  A newer version of Godkend is available."),
        VersionVerdict::UpdateRequired => {
            println!("  This version of Godkend is older than the server accepts: update it.");
        }
    }

    let server = ServerClient::new(input.server_url.clone(), activated.server_key.clone())
        .map_err(|e| anyhow::anyhow!("{}", describe(&e)))?;
    server.observe_server_time(activation.iat);
    let device = Arc::new(DeviceClient::new(
        server,
        activation.device_id.clone(),
        input.user.clone(),
        activated.device_key,
    ));
    let code = requests::serve(device, &secrets, &mut term).await?;
    term.release().await;
    Ok(code)
}

fn print_banner() {
    println!("================================================================");
    println!(
        " Godkend {} - terminal stand-in for the desktop app",
        env!("CARGO_PKG_VERSION")
    );
    println!("================================================================");
    println!(" For computers without a graphical session (a server, SSH, the");
    println!(" demo in a plain terminal). On a desktop, run `godkend` without");
    println!(" --terminal: the tray app approves requests the same way.");
    println!();
    println!(" It keeps NO state on disk and NO keys anywhere but in memory:");
    println!(" the device key, PIN salt and pepper vanish when it exits, and");
    println!(" this device must then be activated again. (The real app keeps");
    println!(" them in the OS keyring.)");
    println!("================================================================");
    println!();
}

/// The activation input from the link or from --server/--user/--code.
fn activation_input(cli: Cli) -> anyhow::Result<ActivationInput> {
    let name = device_name();
    if let Some(link) = cli.link {
        // Parsed here first for the plain reason; the core's error would blame the server.
        ActivationLink::parse(&link).context("the activation link is not valid")?;
        return ActivationInput::from_link(&link, &name)
            .map_err(|e| anyhow::anyhow!("the activation link is not valid: {}", describe(&e)));
    }
    match (cli.server, cli.user, cli.code) {
        (Some(server_url), Some(user), Some(code)) => Ok(ActivationInput {
            server_url,
            user,
            code,
            expected_kid: None,
            device_name: name,
        }),
        _ => bail!("give an activation link, or all of --server, --user and --code"),
    }
}

/// Names this computer in the user's device list.
fn device_name() -> String {
    format!("{} (terminal stand-in)", crate::device::host_name())
}

/// Asks for a new PIN twice until it passes the rules.
async fn choose_pin(term: &mut Terminal) -> anyhow::Result<Zeroizing<String>> {
    println!("Choose a PIN of 6 to 12 digits. You will type it to approve requests.");
    loop {
        let Some(pin) = term.secret("New PIN: ").await? else {
            bail!("no PIN was entered");
        };
        let Some(again) = term.secret("Type the PIN again: ").await? else {
            bail!("no PIN was entered");
        };
        match check_new_pin(&pin, &again) {
            Ok(()) => return Ok(pin),
            // From the environment the same PIN would come back: asking again is pointless.
            Err(problem) if !term.interactive() => {
                bail!("{DEMO_PIN_VAR} is not usable: {}", problem.message())
            }
            Err(problem) => println!("Not accepted: {}. Try again.", problem.message()),
        }
    }
}

/// A core error as one line, with the attempts left when the server gave them.
pub fn describe(error: &CoreError) -> String {
    match error.problem().and_then(|p| p.attempts_left) {
        Some(left) => format!("{error} ({})", attempts_left(left)),
        None => error.to_string(),
    }
}

/// "1 attempt left", "2 attempts left".
pub fn attempts_left(left: u32) -> String {
    let s = if left == 1 { "" } else { "s" };
    format!("{left} attempt{s} left")
}
