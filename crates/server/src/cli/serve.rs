//! `godkend-server serve`: the HTTP server with its background tasks and graceful
//! shutdown (in-flight calls finish, streams end, the database closes cleanly).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::Cli;
use crate::service::{Service, Settings, now};

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GODKEND_LISTEN", default_value = "127.0.0.1:8420")]
    pub listen: SocketAddr,
    /// Serve the demo relying party at /demo (loopback listen addresses only).
    #[arg(long)]
    pub demo: bool,
    /// Organisation name shown in the app.
    #[arg(long, env = "GODKEND_ORG_NAME", default_value = "Godkend")]
    pub org_name: String,
    /// Support e-mail shown in the app.
    #[arg(long, env = "GODKEND_SUPPORT_EMAIL")]
    pub support_email: Option<String>,
    /// Support phone number shown in the app.
    #[arg(long, env = "GODKEND_SUPPORT_PHONE")]
    pub support_phone: Option<String>,
    /// Support web page shown in the app.
    #[arg(long, env = "GODKEND_SUPPORT_URL")]
    pub support_url: Option<String>,
    /// The newest app version; older apps show "update available".
    #[arg(long, env = "GODKEND_LATEST_APP_VERSION", default_value = env!("CARGO_PKG_VERSION"))]
    pub latest_app_version: String,
    /// The oldest app version allowed; older apps show "update required".
    #[arg(long, env = "GODKEND_MINIMUM_APP_VERSION", default_value = "0.1.0")]
    pub minimum_app_version: String,
    /// The https page where users get a new version (your software portal, or the
    /// project's releases), shown with "update available/required".
    #[arg(long, env = "GODKEND_UPDATE_URL", value_parser = https_url)]
    pub update_url: Option<String>,
    /// How long a "this was not me" report pauses requests to that user, in seconds.
    #[arg(long, default_value_t = 900)]
    pub not_me_block_seconds: i64,
    /// Push backoff after a denial, in seconds; doubles with each further denial.
    #[arg(long, default_value_t = 5)]
    pub push_backoff_seconds: i64,
    /// File holding the admin API token (enables /v1/admin/...). The token must be
    /// at least 32 characters; prefer this over the environment variable.
    #[arg(long, env = "GODKEND_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<std::path::PathBuf>,
    /// TLS certificate chain (PEM). Without TLS, put a TLS proxy in front: devices
    /// and relying parties need HTTPS except on loopback.
    #[arg(long, env = "GODKEND_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "GODKEND_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub webhooks: crate::webhook::WebhookArgs,
    /// Most failed activations from one client address (IPv6: one /64) per window.
    #[arg(
        long,
        env = "GODKEND_ACTIVATION_FAILURES_PER_SOURCE",
        default_value_t = 20
    )]
    pub activation_failures_per_source: i64,
    /// Most failed activations for one user id per window.
    #[arg(
        long,
        env = "GODKEND_ACTIVATION_FAILURES_PER_USER",
        default_value_t = 10
    )]
    pub activation_failures_per_user: i64,
    /// The window of the failed-activation limits: 15m, 1h, ...
    #[arg(long, env = "GODKEND_ACTIVATION_FAILURE_WINDOW", default_value = "15m", value_parser = parse_age)]
    pub activation_failure_window: i64,
    /// Delete decisions and finished requests older than this (30d, 12h, ...; 0 keeps them).
    #[arg(long, env = "GODKEND_REQUEST_RETENTION", default_value = "30d", value_parser = parse_age)]
    pub request_retention: i64,
    /// Blank IP addresses in audit rows older than this (90d, ...; 0 keeps them).
    #[arg(long, env = "GODKEND_AUDIT_IP_RETENTION", default_value = "90d", value_parser = parse_age)]
    pub audit_ip_retention: i64,
    /// Accept approvals signed by `software` user-verification keys (the Linux
    /// fingerprint key, kept in the keyring next to the device key: whoever copies
    /// the keyring can approve without a finger). Off: such a key only unlocks the
    /// app, and approvals need the PIN.
    #[arg(long, env = "GODKEND_ALLOW_SOFTWARE_UV")]
    pub allow_software_uv: bool,
    /// Log format: text or json.
    #[arg(long, env = "GODKEND_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
    #[command(flatten)]
    pub net: crate::net::NetArgs,
}

/// A duration such as `90d` or `15m` in seconds; `0` for none.
fn parse_age(text: &str) -> Result<i64, String> {
    if text == "0" {
        return Ok(0);
    }
    let age = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    i64::try_from(age.as_secs()).map_err(|e| e.to_string())
}

/// An `https` address, as users are sent to it to download software: never plain
/// http, which anyone on the path could change.
fn https_url(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if url.scheme() != "https" || url.host_str().is_none() {
        return Err("must be an https:// address".into());
    }
    Ok(url.to_string())
}

/// The public URL: as given, or `http(s)://LISTEN`.
fn public_url(cli: &Cli, args: &ServeArgs) -> anyhow::Result<url::Url> {
    let scheme = if args.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let url = match &cli.public_url {
        Some(url) => url.clone(),
        None => url::Url::parse(&format!("{scheme}://{}", args.listen))?,
    };
    crate::config::check_public_url(&url).map_err(anyhow::Error::msg)?;
    Ok(url)
}

/// Builds the service from the command line (shared with the admin commands).
/// `serve` creates the key file on first start; the admin commands only read it, so
/// a mistyped `--data-dir` fails instead of minting a key no app trusts.
pub(super) async fn open_service(
    cli: &Cli,
    data_dir: &Path,
    public_url: url::Url,
    create_key: bool,
) -> anyhow::Result<Service> {
    crate::private_files::prepare_data_dir(data_dir)?;
    let database_url = super::database_url(cli, data_dir);
    crate::private_files::prepare_sqlite_file(&database_url)?;
    let store = crate::store::Store::open_with(&database_url, cli.sqlite_synchronous)
        .await
        .with_context(|| "cannot open the database")?;
    let key_file = crate::config::key_file(data_dir);
    let keys = if create_key {
        crate::server_key::ServerKeys::load_or_create(&key_file)?
    } else if key_file.exists() {
        crate::server_key::ServerKeys::load(&key_file)?
    } else {
        anyhow::bail!(
            "no server key in {}: start `godkend-server serve` with this data dir first, \
             or pass the right --data-dir",
            data_dir.display()
        );
    };
    Ok(Service::new(store, keys, Settings::new(public_url)))
}

pub async fn serve(cli: &Cli, data_dir: &Path, args: &ServeArgs) -> anyhow::Result<()> {
    init_logging(&args.log_format);
    crate::metrics::install();
    let open_files = crate::net::fd_limit::raise_open_file_limit();
    if args.demo && !args.listen.ip().is_loopback() {
        // The demo page lets anyone who reaches it send requests to any user.
        anyhow::bail!(
            "--demo is only allowed on a loopback listen address (it lets anyone who can \
             reach /demo send approval requests to any user)"
        );
    }
    let public_url = public_url(cli, args)?;
    let mut service = open_service(cli, data_dir, public_url.clone(), true).await?;
    service.settings.org.name.clone_from(&args.org_name);
    service
        .settings
        .org
        .support_email
        .clone_from(&args.support_email);
    service
        .settings
        .org
        .support_phone
        .clone_from(&args.support_phone);
    service
        .settings
        .org
        .support_url
        .clone_from(&args.support_url);
    service.settings.not_me_block_seconds = args.not_me_block_seconds;
    service.settings.version_policy = godkend_protocol::messages::VersionPolicy {
        latest: args.latest_app_version.clone(),
        minimum: args.minimum_app_version.clone(),
        update_url: args.update_url.clone(),
    };
    service.settings.push_backoff_base_seconds = args.push_backoff_seconds;
    service.settings.admin_token_hash = admin_token_hash(args)?;
    service.settings.net = args.net.policy();
    service.settings.webhooks = args.webhooks.settings();
    service.settings.activation_failures_per_source = args.activation_failures_per_source;
    service.settings.activation_failures_per_user = args.activation_failures_per_user;
    service.settings.activation_failure_window_seconds = args.activation_failure_window.max(1);
    service.settings.request_retention_seconds = args.request_retention;
    service.settings.audit_ip_retention_seconds = args.audit_ip_retention;
    service.settings.allow_software_uv = args.allow_software_uv;
    let service = Arc::new(service);
    if args.demo {
        ensure_demo_rp(&service, args.listen.port()).await?;
    }

    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(
            axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .with_context(|| "cannot load the TLS certificate and key")?,
        ),
        (None, None) => None,
        _ => anyhow::bail!("--tls-cert and --tls-key go together"),
    };
    // Bind first, so a taken port is reported before anything else starts.
    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    listener.set_nonblocking(true)?;
    tracing::info!(
        listen = %args.listen,
        public_url = %public_url,
        tls = tls.is_some(),
        server_kid = %service.keys.kid(),
        demo = args.demo,
        allow_software_uv = args.allow_software_uv,
        sqlite = %durability_text(service.store.sqlite_durability()),
        "godkend-server ready"
    );
    let stop = service.shutdown.subscribe();
    let pump = tokio::spawn(crate::push::run_event_pump(service.clone(), stop.clone()));
    let webhooks = tokio::spawn(crate::webhook::run_webhooks(service.clone(), stop.clone()));
    let upkeep = tokio::spawn(run_upkeep(service.clone(), stop));

    let handle = axum_server::Handle::new();
    tokio::spawn({
        let (service, handle) = (service.clone(), handle.clone());
        async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing in-flight calls");
            // Streams and long polls end first; then calls in flight get time to finish.
            service.shutdown.send_replace(true);
            handle.graceful_shutdown(Some(Duration::from_secs(30)));
        }
    });
    let app = crate::api::router(service.clone(), args.demo)
        .into_make_service_with_connect_info::<SocketAddr>();
    crate::net::http_server::serve(listener, tls, app, handle, &args.net, open_files)
        .await
        .context("the server failed")?;
    let _ = tokio::join!(pump, upkeep, webhooks);
    service.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// "journal_mode=wal synchronous=normal", as read back from a connection, or "-".
fn durability_text(durability: Option<&crate::store::SqliteDurability>) -> String {
    durability.map_or_else(
        || "-".into(),
        |d| {
            let level = match d.synchronous {
                0 => "off",
                1 => "normal",
                2 => "full",
                _ => "extra",
            };
            format!("journal_mode={} synchronous={level}", d.journal_mode)
        },
    )
}

/// Reads the admin token from its file or from `GODKEND_ADMIN_TOKEN`; keeps only its hash.
fn admin_token_hash(args: &ServeArgs) -> anyhow::Result<Option<String>> {
    let token =
        match &args.admin_token_file {
            Some(path) => {
                // Like the key file: a token others can read is a token others can use.
                crate::private_files::check_private(path, "the admin token file", 0o600)?;
                Some(std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the admin token file {}", path.display())
                })?)
            }
            None => std::env::var("GODKEND_ADMIN_TOKEN").ok(),
        };
    let Some(token) = token else { return Ok(None) };
    let token = token.trim();
    if token.len() < 32 {
        anyhow::bail!("the admin token must be at least 32 characters");
    }
    Ok(Some(crate::service::api_key_hash(token)))
}

/// Expires requests every second; prunes nonces and old events now and then; applies
/// the retention settings at start and then hourly.
async fn run_upkeep(service: Arc<Service>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut round: u64 = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        round += 1;
        if let Err(e) = service.expire_overdue().await {
            tracing::warn!(error = %e, "could not expire requests");
        }
        if round % 3600 == 1
            && let Err(e) = service.sweep_retention(now()).await
        {
            tracing::warn!(error = %e, "could not apply the retention settings");
        }
        if round.is_multiple_of(60) {
            let now = now();
            if let Err(e) = service.store.prune_nonces(now).await {
                tracing::warn!(error = %e, "could not prune nonces");
            }
            if let Err(e) = service.store.prune_events(now - 86_400).await {
                tracing::warn!(error = %e, "could not prune events");
            }
            let burnt = i64::from(godkend_protocol::rules::MAX_ACTIVATION_FAILURES);
            if let Err(e) = service.store.prune_activations(now, burnt).await {
                tracing::warn!(error = %e, "could not prune activation codes");
            }
            let window = service.settings.activation_failure_window_seconds;
            if let Err(e) = service.store.prune_attempt_limits(now, window).await {
                tracing::warn!(error = %e, "could not prune attempt limits");
            }
        }
    }
}

/// Makes sure the built-in demo relying party exists. Its API key is random and
/// never shown: the demo page calls the service directly. Its origins are where this
/// server serves the demo page: the public URL's origin and the loopback names on
/// the listening port, so a hand-off from the demo page verifies.
async fn ensure_demo_rp(service: &Service, port: u16) -> anyhow::Result<()> {
    let key = crate::service::random_id("");
    let hash = crate::service::api_key_hash(&key);
    let origins = demo_origins(&service.settings.public_url, port)?;
    let origins = serde_json::to_string(&origins)?;
    let demo = crate::api::demo::DEMO_RP;
    service
        .store
        .add_rp(demo, "Godkend Demo", &hash, &origins, now())
        .await?;
    service.store.set_rp_origins(demo, &origins).await?;
    Ok(())
}

/// The demo page's origins (see `ensure_demo_rp`).
fn demo_origins(public_url: &url::Url, port: u16) -> anyhow::Result<Vec<String>> {
    let mut texts = vec![public_url.origin().ascii_serialization()];
    for host in ["127.0.0.1", "localhost", "[::1]"] {
        texts.push(format!("http://{host}:{port}"));
    }
    godkend_protocol::origin::normalise_origins(&texts).map_err(anyhow::Error::msg)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::log_writer::DroppingStderr)
        // Its report of a failed write is an `eprintln!`, which panics when stderr
        // fails; the writer counts what it drops instead.
        .log_internal_errors(false);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[cfg(test)]
mod tests {
    use super::https_url;

    #[test]
    fn the_update_page_must_be_https() {
        assert_eq!(
            https_url("https://example.org/godkend").as_deref(),
            Ok("https://example.org/godkend")
        );
        assert!(https_url("http://example.org/godkend").is_err());
        assert!(https_url("file:///tmp/godkend.exe").is_err());
        assert!(https_url("example.org").is_err());
    }
}
