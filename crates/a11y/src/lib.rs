//! Godkend's screen-reader support. Each screen of the app says what it means in a
//! [`Screen`] (a heading, texts, fields with their labels, buttons, the live
//! countdown, alerts); this crate turns that into an AccessKit tree with stable node
//! ids, hands it to the OS's accessibility API (AT-SPI on Linux, UI Automation on
//! Windows, NSAccessibility on macOS), and turns what an assistive technology asks
//! for (focus, press, set a value) back into plain [`Request`]s for the app.
//!
//! Nothing here knows iced: the app describes its screens and maps the requests to
//! its own messages. A secret field's value never enters the tree: the description
//! carries only its length, shown as bullets as the window shows it.

mod accessibility;
mod platform;
mod request;
mod screen;
mod tree;

pub use accessibility::{Accessibility, AttachError, Attacher};
pub use request::{Request, Requests, TypedValue};
pub use screen::{FieldValue, Item, Screen};
