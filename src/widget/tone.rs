//! Text colours by meaning, from the design tokens (`crate::theme`): each reads at
//! WCAG AA on the page and inside a card in both themes.

use iced::Theme;
use iced::widget::text;

use crate::theme::colors;

/// Quieter text (labels, times, hints).
pub fn muted(theme: &Theme) -> text::Style {
    text::Style {
        color: Some(colors(theme).muted),
    }
}

/// Good news ("Connected", "Approved").
pub fn success(theme: &Theme) -> text::Style {
    text::Style {
        color: Some(colors(theme).success),
    }
}

/// Caution that is not yet an error (an unconfirmed origin, an update).
pub fn warning(theme: &Theme) -> text::Style {
    text::Style {
        color: Some(colors(theme).warning),
    }
}

/// Errors and warnings of danger (a wrong PIN, a lookalike site).
pub fn danger(theme: &Theme) -> text::Style {
    text::Style {
        color: Some(colors(theme).danger),
    }
}

#[cfg(test)]
mod tests {
    use iced::theme::Mode;

    use super::*;
    use crate::theme::{contrast, for_mode};

    #[test]
    fn every_tone_reads_on_the_page_and_in_a_card() {
        type Style = fn(&Theme) -> text::Style;
        let styles: [(&str, Style); 4] = [
            ("success", success),
            ("muted", muted),
            ("warning", warning),
            ("danger", danger),
        ];
        for theme in [for_mode(Mode::Light), for_mode(Mode::Dark)] {
            let c = colors(&theme);
            for (name, style) in styles {
                let color = style(&theme).color.expect("a colour");
                for background in [c.page, c.surface] {
                    let ratio = contrast(color, background);
                    assert!(ratio >= 4.5, "{name} on {theme}: contrast {ratio:.1}");
                }
            }
        }
    }

    #[test]
    fn iced_secondary_grey_alone_would_not_read() {
        // Why the app has its own colours; if iced fixes its grey, this can go.
        let theme = Theme::Light;
        let palette = theme.extended_palette();
        let grey = palette.secondary.base.color;
        assert!(contrast(grey, palette.background.base.color) < 4.5);
    }
}
