//! A fingerprint check through fprintd on the system bus (Linux): find the default
//! reader, check the user has an enrolled finger, `Claim`, `VerifyStart("any")`, wait
//! for the `VerifyStatus` signal that ends the scan, then `VerifyStop` and `Release`.
//!
//! The reader is always released: after a result, an error, a timeout, a cancel, and
//! when the caller drops the future half-way (then from a short-lived thread, since a
//! drop cannot wait). Nothing here runs or loads until a function is called; the
//! caller gives the connection (the system bus; tests give a private one).
//!
//! fprintd only says whether a finger matched. It is a gate, not a key: what it
//! protects is whatever the caller does only after a match (THREAT_MODEL.md).

use std::future::{Future, pending};
use std::time::Duration;

use futures::StreamExt as _;
use zbus::proxy::{Builder, CacheProperties};
use zbus::{Connection, ObjectPath, OwnedObjectPath, Proxy};

const FPRINTD: &str = "net.reactivated.Fprint";
const MANAGER_PATH: &str = "/net/reactivated/Fprint/Manager";
const MANAGER: &str = "net.reactivated.Fprint.Manager";
const DEVICE: &str = "net.reactivated.Fprint.Device";
/// The prefix of fprintd's own D-Bus error names.
const FPRINT_ERROR: &str = "net.reactivated.Fprint.Error.";

/// The outcome of one finished scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// The finger matched one of the user's enrolled prints.
    Match,
    /// A finger was read and matched none of them.
    NoMatch,
}

/// Why no scan result came. The variants are what the app tells the user apart.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FprintdError {
    /// Nothing owns fprintd's name on the bus (not installed, or not running and not
    /// activatable).
    #[error("the fingerprint service (fprintd) is not running")]
    DaemonMissing,
    /// fprintd knows no reader, or the reader was unplugged during the scan.
    #[error("no fingerprint reader is connected")]
    NoReader,
    /// The user has no finger enrolled on the reader.
    #[error("no finger is enrolled for this user")]
    NoEnrolledFinger,
    /// Another program has claimed the reader.
    #[error("the fingerprint reader is in use by another program")]
    ReaderBusy,
    /// polkit refused this process fprintd's verify action.
    #[error("the system does not allow this program to use the fingerprint reader")]
    PermissionDenied,
    /// The caller cancelled the scan (the reader has been released).
    #[error("the fingerprint scan was cancelled")]
    Cancelled,
    /// No finger was read in time (the reader has been released).
    #[error("no finger was read in time")]
    Timeout,
    /// Anything else fprintd or the bus said; the text is theirs (no secrets pass here).
    #[error("the fingerprint service failed: {0}")]
    Failed(String),
}

/// Whether a scan could work now for `user` ("" means the user this process runs
/// as): fprintd runs, it has a reader, and the user has a finger enrolled on it. It
/// does not claim the reader, so it cannot tell whether another program holds it.
pub async fn availability(connection: &Connection, user: &str) -> Result<(), FprintdError> {
    let device = default_device(connection).await?;
    ensure_enrolled(&device, user).await
}

/// One fingerprint scan for `user` ("" means the user this process runs as), waiting
/// at most `timeout` for a finger. Retry prompts from the reader (finger too short,
/// not centred) keep it waiting.
pub async fn verify(
    connection: &Connection,
    user: &str,
    timeout: Duration,
) -> Result<Scan, FprintdError> {
    verify_until(connection, user, timeout, pending()).await
}

/// [`verify`] that also ends, with [`FprintdError::Cancelled`], when `cancel`
/// completes (the UI's Cancel button). Unlike dropping the future, this returns only
/// once the reader has been released.
pub async fn verify_until(
    connection: &Connection,
    user: &str,
    timeout: Duration,
    cancel: impl Future<Output = ()>,
) -> Result<Scan, FprintdError> {
    let mut claim = Claimed { device: None };
    let outcome = {
        // The timeout covers every call, so a hung daemon cannot hold the caller.
        let attempt = tokio::time::timeout(timeout, claim_and_scan(connection, user, &mut claim));
        tokio::select! {
            result = attempt => result.unwrap_or(Err(FprintdError::Timeout)),
            () = cancel => Err(FprintdError::Cancelled),
        }
    };
    claim.release().await;
    outcome
}

async fn claim_and_scan(
    connection: &Connection,
    user: &str,
    claim: &mut Claimed,
) -> Result<Scan, FprintdError> {
    let device = default_device(connection).await?;
    ensure_enrolled(&device, user).await?;
    // Armed before Claim: a caller who drops us while Claim is under way must not
    // leave the reader claimed.
    claim.device = Some(device.clone());
    if let Err(e) = device.call::<_, _, ()>("Claim", &(user,)).await {
        if matches!(e, zbus::Error::MethodError(..) | zbus::Error::FDO(_)) {
            // An error reply: the reader was not claimed for us.
            claim.device = None;
        }
        return Err(e.into());
    }
    scan(&device).await
}

/// VerifyStart on a claimed reader and the first `VerifyStatus` that ends the scan.
async fn scan(device: &Proxy<'static>) -> Result<Scan, FprintdError> {
    // Subscribed before VerifyStart, so a quick finger is not missed.
    let mut statuses = device.receive_signal("VerifyStatus").await?;
    device.call::<_, _, ()>("VerifyStart", &("any",)).await?;
    while let Some(signal) = statuses.next().await {
        let (result, done): (String, bool) = signal.body().deserialize()?;
        match result.as_str() {
            "verify-match" => return Ok(Scan::Match),
            "verify-no-match" => return Ok(Scan::NoMatch),
            "verify-disconnected" => return Err(FprintdError::NoReader),
            // verify-retry-scan, -swipe-too-short, -finger-not-centered,
            // -remove-and-retry: the reader asks for another touch.
            _ if !done => tracing::debug!(status = %result, "fprintd asks for another touch"),
            other => return Err(FprintdError::Failed(format!("the scan ended with {other}"))),
        }
    }
    Err(FprintdError::Failed(
        "the bus connection closed during the scan".into(),
    ))
}

async fn default_device(connection: &Connection) -> Result<Proxy<'static>, FprintdError> {
    let manager = proxy(connection, MANAGER_PATH, MANAGER).await?;
    let path: OwnedObjectPath = manager.call("GetDefaultDevice", &()).await?;
    Ok(proxy(connection, path, DEVICE).await?)
}

async fn ensure_enrolled(device: &Proxy<'static>, user: &str) -> Result<(), FprintdError> {
    let fingers: Vec<String> = device.call("ListEnrolledFingers", &(user,)).await?;
    if fingers.is_empty() {
        return Err(FprintdError::NoEnrolledFinger);
    }
    Ok(())
}

async fn proxy<P>(
    connection: &Connection,
    path: P,
    interface: &'static str,
) -> zbus::Result<Proxy<'static>>
where
    P: TryInto<ObjectPath<'static>>,
    P::Error: Into<zbus::Error>,
{
    Builder::new(connection)
        .destination(FPRINTD)
        .path(path)
        .interface(interface)
        .cache_properties(CacheProperties::No)
        .build()
        .await
}

/// A reader this process may have claimed; releases it once, on `release` or on drop.
struct Claimed {
    device: Option<Proxy<'static>>,
}

impl Claimed {
    /// Stops any scan and releases the reader, waiting for fprintd. Failures are
    /// logged only: the scan's own result is what the caller needs.
    async fn release(&mut self) {
        if let Some(device) = &self.device {
            stop_and_release(device).await;
        }
        self.device = None;
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        let Some(device) = self.device.take() else {
            return;
        };
        // The caller dropped a scan half-way. A drop cannot wait and may run on any
        // runtime (or none), so a thread of its own finishes the release.
        let spawned = std::thread::Builder::new()
            .name("fprintd-release".into())
            .spawn(move || zbus::block_on(stop_and_release(&device)));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot release the fingerprint reader after a cancelled scan");
        }
    }
}

async fn stop_and_release(device: &Proxy<'static>) {
    // VerifyStop fails with NoActionInProgress when no scan was started; that is fine.
    if let Err(e) = device.call::<_, _, ()>("VerifyStop", &()).await {
        tracing::debug!(error = %e, "fprintd VerifyStop");
    }
    if let Err(e) = device.call::<_, _, ()>("Release", &()).await {
        tracing::warn!(error = %e, "fprintd did not release the fingerprint reader");
    }
}

impl From<zbus::Error> for FprintdError {
    fn from(error: zbus::Error) -> Self {
        match error {
            zbus::Error::FDO(e) => match *e {
                zbus::fdo::Error::ServiceUnknown(_) | zbus::fdo::Error::NameHasNoOwner(_) => {
                    Self::DaemonMissing
                }
                other => Self::Failed(other.to_string()),
            },
            zbus::Error::MethodError(name, detail, _) => {
                from_fprint_error(name.as_str(), detail.as_deref().unwrap_or_default())
            }
            other => Self::Failed(other.to_string()),
        }
    }
}

/// fprintd's error names (net.reactivated.Fprint.Error.*).
fn from_fprint_error(name: &str, detail: &str) -> FprintdError {
    match name.strip_prefix(FPRINT_ERROR) {
        Some("NoSuchDevice") => FprintdError::NoReader,
        Some("NoEnrolledPrints") => FprintdError::NoEnrolledFinger,
        Some("AlreadyInUse") => FprintdError::ReaderBusy,
        Some("PermissionDenied") => FprintdError::PermissionDenied,
        _ if name == "org.freedesktop.DBus.Error.ServiceUnknown" => FprintdError::DaemonMissing,
        _ => FprintdError::Failed(format!("{name}: {detail}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fprintd_error_names_are_told_apart() {
        let name = |n: &str| from_fprint_error(&format!("{FPRINT_ERROR}{n}"), "detail");
        assert_eq!(name("NoSuchDevice"), FprintdError::NoReader);
        assert_eq!(name("NoEnrolledPrints"), FprintdError::NoEnrolledFinger);
        assert_eq!(name("AlreadyInUse"), FprintdError::ReaderBusy);
        assert_eq!(name("PermissionDenied"), FprintdError::PermissionDenied);
        assert_eq!(
            name("Internal"),
            FprintdError::Failed(format!("{FPRINT_ERROR}Internal: detail"))
        );
    }
}
