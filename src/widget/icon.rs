//! The app's icons: a few Lucide SVGs (resources/icons/lucide, ISC licence), embedded
//! at build time and drawn in the colour of the text around them, so they follow the
//! theme. The bytes are in the binary; iced rasterises an icon only while a window
//! draws it and drops the pictures with the window.

use std::sync::LazyLock;

use iced::widget::svg::{self, Handle, Svg};
use iced::{Color, Length, Theme};

use crate::theme::colors;

/// An icon of the vendored set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    /// Settings (the header, top left).
    Gear,
    /// Help (the header, top right).
    Help,
    /// Back to the screen before.
    Back,
    /// Done, approved.
    Check,
    /// A warning.
    Warning,
    /// The fingerprint reader.
    Fingerprint,
    /// Close, deny.
    Close,
}

macro_rules! lucide {
    ($name:literal) => {
        LazyLock::new(|| {
            Handle::from_memory(include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/resources/icons/lucide/",
                $name,
                ".svg"
            )))
        })
    };
}

static GEAR: LazyLock<Handle> = lucide!("settings");
static HELP: LazyLock<Handle> = lucide!("circle-question-mark");
static BACK: LazyLock<Handle> = lucide!("arrow-left");
static CHECK: LazyLock<Handle> = lucide!("check");
static WARNING: LazyLock<Handle> = lucide!("triangle-alert");
static FINGERPRINT: LazyLock<Handle> = lucide!("fingerprint-pattern");
static CLOSE: LazyLock<Handle> = lucide!("x");

impl Icon {
    fn handle(self) -> Handle {
        let handle: &Handle = match self {
            Self::Gear => &GEAR,
            Self::Help => &HELP,
            Self::Back => &BACK,
            Self::Check => &CHECK,
            Self::Warning => &WARNING,
            Self::Fingerprint => &FINGERPRINT,
            Self::Close => &CLOSE,
        };
        handle.clone()
    }
}

/// `icon`, `size` pixels square, in the theme's text colour.
pub fn icon<'a>(icon: Icon, size: f32) -> Svg<'a, Theme> {
    tinted(icon, size, |theme| colors(theme).text)
}

/// `icon`, `size` pixels square, in the colour `color` picks from the theme (a
/// warning's colour, the danger colour).
pub fn tinted<'a>(icon: Icon, size: f32, color: fn(&Theme) -> Color) -> Svg<'a, Theme> {
    iced::widget::svg(icon.handle())
        .width(Length::Fixed(size))
        .height(Length::Fixed(size))
        .style(move |theme, _| svg::Style {
            color: Some(color(theme)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_icon_is_an_svg_that_draws_with_the_current_colour() {
        for icon in [
            Icon::Gear,
            Icon::Help,
            Icon::Back,
            Icon::Check,
            Icon::Warning,
            Icon::Fingerprint,
            Icon::Close,
        ] {
            let iced::advanced::svg::Data::Bytes(bytes) = icon.handle().data().clone() else {
                panic!("{icon:?}: embedded bytes");
            };
            let svg = std::str::from_utf8(&bytes).expect("UTF-8");
            assert!(svg.trim_start().starts_with("<svg"), "{icon:?}");
            // Recolouring relies on the strokes being the current colour.
            assert!(svg.contains("stroke=\"currentColor\""), "{icon:?}");
        }
    }
}
