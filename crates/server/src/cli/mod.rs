//! The `godkend-server` command line: `serve` and the admin commands. Every command
//! takes `--json`; errors are one clear line and a non-zero exit.

mod admin;
mod backup;
mod output;
mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use serve::ServeArgs;

/// Godkend approval server and admin tool.
#[derive(Debug, Parser)]
#[command(name = "godkend-server", version, about, long_about = None)]
pub struct Cli {
    /// Directory for the SQLite database and the server key file.
    #[arg(long, env = "GODKEND_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB (default: SQLite in the data dir).
    #[arg(long, env = "GODKEND_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// SQLite's sync level: `normal` (a power cut may lose the last moments, never
    /// the database) or `full` (a disk flush per commit; nothing acknowledged is lost).
    #[arg(
        long,
        env = "GODKEND_SQLITE_SYNCHRONOUS",
        global = true,
        value_enum,
        default_value_t
    )]
    pub sqlite_synchronous: crate::store::Synchronous,
    /// The URL devices and relying parties use to reach the server.
    #[arg(long, env = "GODKEND_PUBLIC_URL", global = true)]
    pub public_url: Option<url::Url>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage relying parties and their API keys.
    #[command(subcommand)]
    Rp(RpCommand),
    /// Create activation codes for new devices.
    #[command(subcommand)]
    Activation(ActivationCommand),
    /// List and revoke devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Show the audit log.
    Audit {
        /// Only entries since this time: Unix seconds, or an age such as 30m, 12h, 7d.
        #[arg(long)]
        since: Option<String>,
    },
    /// Manage the server signing key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Copy the SQLite database to a new file while the server runs (PostgreSQL:
    /// use pg_dump). The key file is not in the copy: back it up separately.
    Backup {
        /// The new file (an existing one is never overwritten); written mode 0600.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    Add {
        user: String,
        /// A display name (defaults to the user id).
        #[arg(long)]
        name: Option<String>,
    },
    /// List users.
    List,
    /// Remove a user and revoke their devices.
    Remove { user: String },
}

#[derive(Debug, Subcommand)]
pub enum RpCommand {
    /// Add a relying party; prints its API key once.
    Add {
        rp_id: String,
        /// The name users see in notifications and on the request screen (defaults
        /// to the first 80 characters of the id).
        #[arg(long)]
        name: Option<String>,
        /// A web origin of its login page, e.g. https://shop.example (scheme, host
        /// and port only); repeat for several. Signed into each approval request, so
        /// that a hand-off from the user's browser can vouch for it.
        #[arg(long = "origin", value_name = "ORIGIN")]
        origins: Vec<String>,
    },
    /// Change a relying party's web origins (the new list replaces the old).
    Update {
        rp_id: String,
        /// A web origin, e.g. https://shop.example; repeat for several.
        #[arg(
            long = "origin",
            value_name = "ORIGIN",
            required_unless_present = "no_origins"
        )]
        origins: Vec<String>,
        /// Remove every origin (origin-bound requests then need the typed code).
        #[arg(long, conflicts_with = "origins")]
        no_origins: bool,
    },
    /// Give a relying party a new API key (printed once); the old key keeps working
    /// for the overlap, then is refused. A key still in an earlier overlap stops now.
    RotateKey {
        rp_id: String,
        /// How long the old key keeps working: 0 (stops at once), 30m, 24h, up to 30d.
        #[arg(long, default_value = "24h", value_parser = parse_overlap)]
        overlap: i64,
    },
    /// List relying parties.
    List,
    /// Remove a relying party (its API key stops working).
    Remove { rp_id: String },
}

#[derive(Debug, Subcommand)]
pub enum ActivationCommand {
    /// Create a one-time activation code and link for a user's new device.
    Create {
        user: String,
        /// How long the code works: 30s, 15m, 2h (at most 24h).
        #[arg(long, default_value = "15m", value_parser = parse_ttl)]
        ttl: std::time::Duration,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List devices, of one user or of everyone.
    List { user: Option<String> },
    /// Revoke a device by its serial number; the device wipes itself.
    Revoke { serial: String },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Show the current key id and public key.
    Show,
    /// Start signing with a new key; the old one vouches for it.
    Rotate,
    /// Drop the old keys' private halves; their signed rotation statements stay.
    Retire,
}

fn parse_ttl(text: &str) -> Result<std::time::Duration, String> {
    let ttl = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if ttl.as_secs() == 0 || ttl.as_secs() > 24 * 3600 {
        return Err("the lifetime must be between 1s and 24h".into());
    }
    Ok(ttl)
}

/// An overlap in seconds: `0`, or a duration up to 30 days.
fn parse_overlap(text: &str) -> Result<i64, String> {
    if text.trim() == "0" {
        return Ok(0);
    }
    let overlap = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    let seconds = i64::try_from(overlap.as_secs()).map_err(|e| e.to_string())?;
    if seconds > godkend_protocol::messages::admin::MAX_OVERLAP_SECONDS {
        return Err("the overlap can be at most 30d".into());
    }
    Ok(seconds)
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = cli
        .data_dir
        .clone()
        .unwrap_or_else(crate::config::default_data_dir);
    match &cli.command {
        Command::Serve(args) => serve::serve(&cli, &data_dir, args).await,
        Command::Backup { file } => backup::run(&cli, &data_dir, file).await,
        other => admin::run(&cli, &data_dir, other).await,
    }
}

/// The database URL: as given, or the SQLite file in the data dir.
fn database_url(cli: &Cli, data_dir: &std::path::Path) -> String {
    cli.database_url
        .clone()
        .unwrap_or_else(|| crate::store::sqlite_url(&crate::config::sqlite_file(data_dir)))
}
