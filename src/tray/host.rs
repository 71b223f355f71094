//! Is anything showing tray icons? On Linux a StatusNotifierItem needs a watcher and
//! a host on the session bus (stock GNOME has none without an extension); the icon is
//! then invisible and the user must be told how else to reach the app. Windows and
//! macOS always have a notification area / menu bar.

use std::time::Duration;

/// How long to give a desktop's panel to start after the app, at login.
const GRACE: Duration = Duration::from_secs(3);

/// Calls `missing` once, off the UI thread, if no tray host shows up within
/// [`GRACE`].
pub fn on_missing(missing: impl FnOnce() + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name("tray-host".into())
        .spawn(move || {
            std::thread::sleep(GRACE);
            if !present() {
                tracing::warn!("no tray host on this desktop: the icon cannot be shown");
                missing();
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "could not check for a tray host");
    }
}

#[cfg(target_os = "linux")]
fn present() -> bool {
    let registered = zbus::block_on(async {
        let connection = zbus::Connection::session().await?;
        let reply = connection
            .call_method(
                Some("org.kde.StatusNotifierWatcher"),
                "/StatusNotifierWatcher",
                Some("org.freedesktop.DBus.Properties"),
                "Get",
                &(
                    "org.kde.StatusNotifierWatcher",
                    "IsStatusNotifierHostRegistered",
                ),
            )
            .await?;
        let body = reply.body();
        let value: zbus::Variant<'_> = body.deserialize()?;
        Ok::<bool, zbus::Error>(matches!(value, zbus::Variant::Bool(true)))
    });
    // No watcher on the bus is an error here: no host either.
    registered.unwrap_or(false)
}

#[cfg(not(target_os = "linux"))]
fn present() -> bool {
    true
}
