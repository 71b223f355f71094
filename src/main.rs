//! `godkend`: the desktop push-approval authenticator (design.md §2). Without flags it
//! starts the desktop app (tray icon and window); `--terminal` runs the terminal
//! stand-in instead, for machines without a graphical session.
//!
//! On Windows it is a windows-subsystem binary, so no console window opens beside the
//! GUI; what it prints reaches a console through `terminal::parent_console`.
#![cfg_attr(windows, windows_subsystem = "windows")]

mod app;
mod clock;
mod device;
mod format;
mod i18n;
mod instance;
mod memory;
mod notification;
mod screen;
mod terminal;
mod theme;
mod tray;
mod uninstall;
mod user_settings;
mod widget;

use std::process::ExitCode;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "godkend",
    version,
    about = "Godkend push-approval authenticator",
    // Wrapped by hand: clap's `wrap_help` feature is not enabled.
    long_about = "Godkend push-approval authenticator.\n\n\
        Without options this starts the desktop app: a tray icon and a window in which\n\
        you activate this computer and approve requests. A LINK given here fills in the\n\
        activation form.\n\n\
        With --terminal it runs the terminal stand-in instead: it activates this\n\
        computer from LINK (or --server, --user and --code), asks you to choose a PIN,\n\
        then waits for approval requests and asks for the code shown on the login\n\
        screen and your PIN, here in the terminal. The stand-in keeps no state on disk\n\
        and no key anywhere but in memory: when it exits, the device is gone and must\n\
        be activated again with a new link.",
    after_help = "Environment:\n  \
        GODKEND_PROFILE   Run as a separate device with this name (1 to 32 lowercase\n                    \
        letters, digits or dashes): its own files, keyring entries and\n                    \
        running app, and no start at login. The demo uses one, so it\n                    \
        never touches the device of an installed Godkend.\n  \
        GODKEND_DEMO_PIN  The PIN to use when standard input is not a terminal\n                    \
        (--terminal only). For scripted demos and tests only: a PIN\n                    \
        in the environment is not private. Ignored when standard\n                    \
        input is a terminal.\n\n\
        Exit status (--terminal): 0 when the device is revoked, 2 when wrong PINs\n\
        block it (or the arguments are wrong), 1 on other errors, 130 on Ctrl-C.\n\
        Exit status (desktop app): 0 after Quit from the tray, 1 if it cannot start."
)]
pub struct Cli {
    /// Run the terminal stand-in instead of the desktop app
    #[arg(long)]
    terminal: bool,
    /// Start in the tray without opening the window, once this computer is
    /// activated (how start at login runs it)
    #[arg(long, conflicts_with = "terminal")]
    tray: bool,
    /// The activation link from your administrator: godkend://activate?...
    #[arg(value_name = "LINK", conflicts_with = "server")]
    link: Option<String>,
    /// Server address, for manual activation without a link (--terminal)
    #[arg(long, value_name = "URL", requires_all = ["user", "code", "terminal"])]
    server: Option<url::Url>,
    /// Your user id at the server (manual activation, --terminal)
    #[arg(long, value_name = "USER", requires = "server")]
    user: Option<String>,
    /// The activation code from your administrator (manual activation, --terminal)
    #[arg(long, value_name = "CODE", requires = "server")]
    code: Option<String>,
    /// Print what your organisation's policy fixes on this computer, and exit
    #[arg(long, exclusive = true)]
    show_policy: bool,
}

fn main() -> ExitCode {
    // Before any thread starts: the allocator's settings apply to arenas made later.
    memory::tune_at_start();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help, --version and usage errors are printed for a person at a console.
            terminal::parent_console::attach();
            e.exit();
        }
    };
    if cli.show_policy {
        terminal::parent_console::attach();
        return terminal::policy::show(&godkend_core::policy::Policy::platform());
    }
    if cli.terminal {
        terminal::parent_console::attach();
        return terminal::main(cli);
    }
    // Checked once here; everything after reads the same variable.
    if let Err(e) = godkend_core::profile::Profile::current() {
        terminal::parent_console::attach();
        eprintln!("godkend: error: {e}");
        return ExitCode::from(2);
    }
    let wish = match (&cli.link, cli.tray) {
        (Some(link), _) => instance::Handover::Activate(link.clone()),
        (None, true) => instance::Handover::Ping,
        (None, false) => instance::Handover::Open,
    };
    let listener = match instance::claim(&wish) {
        Ok(instance::Claim::HandedOver) => {
            if !cli.tray {
                terminal::parent_console::attach();
                eprintln!("godkend: Godkend is already running; its window is now open.");
            }
            return ExitCode::SUCCESS;
        }
        Ok(instance::Claim::First(listener)) => Some(listener),
        Err(e) => {
            eprintln!("godkend: warning: cannot make sure only one Godkend runs: {e}");
            None
        }
    };
    match app::run(cli.link, cli.tray, listener) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            terminal::parent_console::attach();
            eprintln!("godkend: error: the desktop app could not run: {e}");
            ExitCode::FAILURE
        }
    }
}
