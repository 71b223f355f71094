//! The OS's accessibility API: AT-SPI on Linux and the BSDs, UI Automation on
//! Windows, NSAccessibility on macOS; elsewhere nothing.

#[cfg(all(unix, not(target_os = "macos")))]
mod unix;
#[cfg(all(unix, not(target_os = "macos")))]
pub(crate) use unix::{Adapter, attach};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::{Adapter, attach};

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
pub(crate) use macos::{Adapter, attach};

#[cfg(not(any(unix, windows)))]
mod none;
#[cfg(not(any(unix, windows)))]
pub(crate) use none::{Adapter, attach};
