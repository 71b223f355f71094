//! The design tokens: the one place that says how far apart things are, how large
//! text is, how round corners are and which colours both themes use. Screens and
//! widgets take their numbers and colours from here, never literals, so the look
//! stays one look and a change is made once.
//!
//! The colours are the app's own light and dark themes (iced's built-in ones use
//! a chat app's violet and a grey below WCAG AA); every text colour reads at 4.5:1 or
//! more on every surface it is drawn on, which the tests below compute.

use std::sync::LazyLock;

use iced::theme::palette::{self, Extended, Pair};
use iced::theme::{Mode, Palette};
use iced::{Color, Padding, Theme, color};

/// The spacing scale (logical pixels): gaps between items and padding inside boxes.
pub mod spacing {
    /// Between lines that belong together (a label and its value).
    pub const XXS: f32 = 2.0;
    pub const XS: f32 = 4.0;
    pub const S: f32 = 8.0;
    pub const M: f32 = 12.0;
    pub const L: f32 = 16.0;
    pub const XL: f32 = 20.0;
    /// Between sections of a screen.
    pub const XXL: f32 = 24.0;
    pub const XXXL: f32 = 32.0;
}

/// The type scale (logical pixels): each step about 1.15 times the one below.
pub mod text_size {
    /// Notes, hints, tooltips.
    pub const CAPTION: f32 = 13.0;
    /// Labels and secondary lines.
    pub const SMALL: f32 = 14.0;
    /// Running text (iced's default size).
    pub const BODY: f32 = 16.0;
    /// Sub-headings and what a request is for.
    pub const LEAD: f32 = 18.0;
    /// A screen's states and who asks.
    pub const TITLE: f32 = 22.0;
    /// A screen's heading.
    pub const HEADING: f32 = 26.0;
    /// The one figure a screen is about: an amount, a serial number.
    pub const DISPLAY: f32 = 30.0;
}

/// Corner radii (logical pixels).
pub mod radius {
    /// Buttons, inputs, the code's boxes.
    pub const S: f32 = 6.0;
    /// Cards.
    pub const M: f32 = 10.0;
}

/// Icon sizes (logical pixels).
pub mod icon_size {
    /// Beside text of body size.
    pub const INLINE: f32 = 18.0;
    /// The header's buttons.
    pub const HEADER: f32 = 22.0;
}

/// Paddings of the common boxes, from the spacing scale.
pub mod pad {
    use super::{Padding, spacing};

    const fn sides(vertical: f32, horizontal: f32) -> Padding {
        Padding {
            top: vertical,
            right: horizontal,
            bottom: vertical,
            left: horizontal,
        }
    }

    /// A screen's main action (Approve, Unlock, Continue).
    pub const BUTTON: Padding = sides(spacing::S, spacing::XXL);
    /// Buttons beside others in a row (Deny, "not me", Cancel).
    pub const BUTTON_TIGHT: Padding = sides(spacing::S, spacing::L);
    /// Small buttons inside text (Copy, Show all).
    pub const BUTTON_SMALL: Padding = sides(spacing::XS, spacing::M);
    /// Text inputs.
    pub const INPUT: Padding = sides(spacing::S, spacing::S);
    /// Cards.
    pub const CARD: Padding = sides(spacing::M, spacing::L);
    /// A screen's content inside the window.
    pub const PAGE: Padding = sides(spacing::XL, spacing::XXXL);
    /// The header bar.
    pub const BAR: Padding = sides(spacing::XS, spacing::S);
    /// A tooltip's words in their bubble.
    pub const TOOLTIP: Padding = sides(spacing::XS, spacing::S);
}

/// The colours of one theme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Colors {
    /// The window's background.
    pub page: Color,
    /// Cards, the header bar, inputs: one step off the page.
    pub surface: Color,
    /// Lines around cards: seen, not loud.
    pub border: Color,
    /// Lines around controls (inputs, the code's boxes): 3:1 against the page, as
    /// WCAG asks of a control's edge.
    pub control_border: Color,
    pub text: Color,
    /// Quieter text (labels, times, hints).
    pub muted: Color,
    /// Buttons for the main action, links, the focus ring.
    pub accent: Color,
    /// Text on `accent`.
    pub on_accent: Color,
    /// Good news as text ("Connected", "Approved").
    pub success: Color,
    /// Caution as text and icons.
    pub warning: Color,
    /// Danger as text (errors, a phishing warning).
    pub danger: Color,
    /// A dangerous button ("This was not me"), with `on_danger` text.
    pub danger_fill: Color,
    pub on_danger: Color,
    /// Behind a warning card.
    pub danger_surface: Color,
}

/// The light theme.
#[expect(clippy::unreadable_literal, reason = "colours read as #rrggbb")]
pub const LIGHT: Colors = Colors {
    page: color!(0xf6f7f9),
    surface: color!(0xffffff),
    border: color!(0xd3d8de),
    control_border: color!(0x858d98),
    text: color!(0x1a1d21),
    muted: color!(0x545b64),
    accent: color!(0x1f5bc4),
    on_accent: color!(0xffffff),
    success: color!(0x17723a),
    warning: color!(0x8a5300),
    danger: color!(0xb3261e),
    danger_fill: color!(0xb3261e),
    on_danger: color!(0xffffff),
    danger_surface: color!(0xfdf0ef),
};

/// The dark theme.
#[expect(clippy::unreadable_literal, reason = "colours read as #rrggbb")]
pub const DARK: Colors = Colors {
    page: color!(0x16181b),
    surface: color!(0x202328),
    border: color!(0x353a41),
    control_border: color!(0x6f7884),
    text: color!(0xe8eaed),
    muted: color!(0xa5adb7),
    accent: color!(0x2f6bd3),
    on_accent: color!(0xffffff),
    success: color!(0x5fcf86),
    warning: color!(0xe7b549),
    danger: color!(0xff8a80),
    danger_fill: color!(0xc0362c),
    on_danger: color!(0xffffff),
    danger_surface: color!(0x3a2224),
};

/// The colours of `theme`: the dark set for a dark theme, else the light one.
pub fn colors(theme: &Theme) -> &'static Colors {
    if theme.extended_palette().is_dark {
        &DARK
    } else {
        &LIGHT
    }
}

static LIGHT_THEME: LazyLock<Theme> = LazyLock::new(|| build("Godkend light", &LIGHT));
static DARK_THEME: LazyLock<Theme> = LazyLock::new(|| build("Godkend dark", &DARK));

/// The app's theme for a light or dark `mode` (no preference: light).
pub fn for_mode(mode: Mode) -> Theme {
    match mode {
        Mode::Dark => DARK_THEME.clone(),
        Mode::Light | Mode::None => LIGHT_THEME.clone(),
    }
}

/// An iced theme from `colors`, so that iced's own widgets (inputs, scroll bars,
/// checkboxes, tooltips) draw in the same colours as the app's.
fn build(name: &'static str, colors: &'static Colors) -> Theme {
    let palette = Palette {
        background: colors.page,
        text: colors.text,
        primary: colors.accent,
        success: colors.success,
        warning: colors.warning,
        danger: colors.danger_fill,
    };
    Theme::custom_with_fn(name, palette, |palette| {
        let mut extended = Extended::generate(palette);
        let surface = Pair {
            color: colors.surface,
            text: colors.text,
        };
        // Inputs and boxes use `weak` for their background and `strong` for
        // their edge; give them the app's surface and control edge.
        extended.background.weakest = surface;
        extended.background.weak = surface;
        extended.background.strong = Pair {
            color: colors.control_border,
            text: colors.text,
        };
        extended.primary.base = Pair {
            color: colors.accent,
            text: colors.on_accent,
        };
        extended.danger.base = Pair {
            color: colors.danger_fill,
            text: colors.on_danger,
        };
        extended.secondary.base = Pair {
            color: colors.border,
            text: colors.text,
        };
        extended.is_dark = palette::is_dark(colors.page);
        extended
    })
}

/// The WCAG 2 contrast ratio of `a` over `b`, with `a`'s alpha blended onto `b`.
#[cfg(test)]
pub(crate) fn contrast(a: Color, b: Color) -> f32 {
    fn luminance(c: Color) -> f32 {
        let channel = |v: f32| {
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
    }
    let over = |x: f32, y: f32| x * a.a + y * (1.0 - a.a);
    let a = Color::from_rgb(over(a.r, b.r), over(a.g, b.g), over(a.b, b.b));
    let (l1, l2) = (luminance(a), luminance(b));
    (l1.max(l2) + 0.05) / (l1.min(l2) + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// WCAG AA for normal text; 3:1 for a control's edge (WCAG 1.4.11).
    const TEXT: f32 = 4.5;
    const EDGE: f32 = 3.0;

    fn each() -> [(&'static str, &'static Colors); 2] {
        [("light", &LIGHT), ("dark", &DARK)]
    }

    #[test]
    fn every_text_colour_reads_on_the_page_and_on_a_surface() {
        for (name, c) in each() {
            for (role, text) in [
                ("text", c.text),
                ("muted", c.muted),
                ("success", c.success),
                ("warning", c.warning),
                ("danger", c.danger),
            ] {
                for (under, background) in [("page", c.page), ("surface", c.surface)] {
                    let ratio = contrast(text, background);
                    assert!(ratio >= TEXT, "{name}: {role} on {under} is {ratio:.2}:1");
                }
            }
            let ratio = contrast(c.danger, c.danger_surface);
            assert!(ratio >= TEXT, "{name}: danger on its card is {ratio:.2}:1");
            let ratio = contrast(c.text, c.danger_surface);
            assert!(
                ratio >= TEXT,
                "{name}: text on a danger card is {ratio:.2}:1"
            );
        }
    }

    #[test]
    fn button_text_reads_on_its_button() {
        for (name, c) in each() {
            let ratio = contrast(c.on_accent, c.accent);
            assert!(ratio >= TEXT, "{name}: text on accent is {ratio:.2}:1");
            let ratio = contrast(c.on_danger, c.danger_fill);
            assert!(ratio >= TEXT, "{name}: text on danger is {ratio:.2}:1");
            let ratio = contrast(c.text, c.border);
            assert!(
                ratio >= TEXT,
                "{name}: text on a plain button is {ratio:.2}:1"
            );
        }
    }

    #[test]
    fn controls_and_the_focus_ring_stand_out_from_the_page() {
        for (name, c) in each() {
            for (under, background) in [("page", c.page), ("surface", c.surface)] {
                let ratio = contrast(c.control_border, background);
                assert!(
                    ratio >= EDGE,
                    "{name}: a control's edge on {under}: {ratio:.2}:1"
                );
                let ratio = contrast(c.accent, background);
                assert!(
                    ratio >= EDGE,
                    "{name}: the focus ring on {under}: {ratio:.2}:1"
                );
            }
        }
    }

    #[test]
    fn iced_widgets_draw_in_the_app_colours() {
        for (mode, c) in [(Mode::Light, &LIGHT), (Mode::Dark, &DARK)] {
            let theme = for_mode(mode);
            assert_eq!(colors(&theme), c, "{mode:?}");
            let palette = theme.extended_palette();
            assert_eq!(palette.is_dark, mode == Mode::Dark);
            assert_eq!(palette.background.base.color, c.page);
            assert_eq!(palette.primary.base.text, c.on_accent);
            // iced's text inputs: the typed text and placeholder on their surface.
            let ratio = contrast(palette.background.weak.text, palette.background.weak.color);
            assert!(ratio >= TEXT, "{mode:?}: input text {ratio:.2}:1");
        }
    }

    #[test]
    fn no_preference_is_light() {
        assert_eq!(colors(&for_mode(Mode::None)), &LIGHT);
    }
}
