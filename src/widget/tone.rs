//! Text colours that stay readable in both themes, also inside a bordered box. Seen
//! in the screenshot gallery: iced's success green nearly disappears on the dark
//! background, and its secondary grey is below WCAG AA contrast on both (about 3:1
//! on white, 2:1 in a box), so both are moved toward the text colour.

use iced::widget::text;
use iced::{Color, Theme};

/// On a dark background the green moves this far toward a light mint: toward the
/// grey text colour it would read but stop looking green.
const LIFT_ON_DARK: f32 = 0.7;
const MINT: Color = Color::from_rgb(0.6, 1.0, 0.8);
/// How far the secondary grey moves toward the text colour: still clearly quieter
/// than the text, but readable.
const MUTED: f32 = 0.5;

/// Quieter text (labels, times, hints): the theme's secondary colour, darkened on
/// light themes and lightened on dark ones.
pub fn muted(theme: &Theme) -> text::Style {
    let palette = theme.extended_palette();
    let color = mix(
        palette.secondary.base.color,
        palette.background.base.text,
        MUTED,
    );
    text::Style { color: Some(color) }
}

/// Good news ("Connected", "Approved"), readable on light and dark backgrounds.
pub fn success(theme: &Theme) -> text::Style {
    let palette = theme.extended_palette();
    let green = theme.palette().success;
    let color = if palette.is_dark {
        mix(green, MINT, LIFT_ON_DARK)
    } else {
        green
    };
    text::Style { color: Some(color) }
}

fn mix(from: Color, to: Color, amount: f32) -> Color {
    let blend = |a: f32, b: f32| a + (b - a) * amount;
    Color {
        r: blend(from.r, to.r),
        g: blend(from.g, to.g),
        b: blend(from.b, to.b),
        a: from.a,
    }
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

    #[test]
    fn success_and_muted_text_read_on_the_page_and_in_a_box() {
        type Style = fn(&Theme) -> text::Style;
        let styles: [(&str, Style); 2] = [("success", success), ("muted", muted)];
        for theme in [Theme::Light, Theme::Dark] {
            let palette = theme.extended_palette();
            for (name, style) in styles {
                let color = style(&theme).color.expect("a colour");
                for background in [palette.background.base.color, palette.background.weak.color] {
                    let ratio = contrast(color, background);
                    // WCAG AA for normal text.
                    assert!(ratio >= 4.5, "{name} on {theme}: contrast {ratio:.1}");
                }
            }
        }
    }

    #[test]
    fn iced_secondary_grey_alone_would_not_read() {
        // Why `muted` exists; if iced fixes its grey, `muted` can go.
        let theme = Theme::Light;
        let palette = theme.extended_palette();
        let grey = palette.secondary.base.color;
        assert!(contrast(grey, palette.background.base.color) < 4.5);
    }
}
