//! A button that takes keyboard focus (see `focus`): iced's button, its look, clicks
//! and states, with Tab, Enter and Space, and a disabled look that stays readable.

use iced::advanced::widget::Id;
use iced::widget::button::{Status, Style};
use iced::{Background, Element, Length, Padding, Theme};

use super::focus::focusable;
use super::icon::{Icon, icon};
use crate::theme::{colors, icon_size, radius, spacing};

// iced's button styles, so that `widget::button` stands in for `iced::widget::button`.
pub use iced::widget::button::{danger, primary, secondary, text};

/// A button's content: `which` icon before `words` (Back with its arrow).
pub fn with_icon<'a, Message: 'a>(which: Icon, words: String) -> Element<'a, Message> {
    iced::widget::row![icon(which, icon_size::INLINE), iced::widget::text(words)]
        .spacing(spacing::S)
        .align_y(iced::Alignment::Center)
        .into()
}

/// A focusable button: `button(content).on_press(message)`, as with iced's.
pub fn button<'a, Message: Clone + 'a>(
    content: impl Into<Element<'a, Message>>,
) -> Button<'a, Message> {
    Button {
        inner: iced::widget::button(content)
            .style(|theme, status| readable_when_disabled(theme, status, primary(theme, status))),
        on_press: None,
        id: None,
    }
}

pub struct Button<'a, Message> {
    inner: iced::widget::Button<'a, Message>,
    /// A copy of the inner button's message, for Enter and Space.
    on_press: Option<Message>,
    id: Option<Id>,
}

impl<'a, Message: Clone + 'a> Button<'a, Message> {
    pub fn on_press(mut self, message: Message) -> Self {
        self.inner = self.inner.on_press(message.clone());
        self.on_press = Some(message);
        self
    }

    pub fn on_press_maybe(mut self, message: Option<Message>) -> Self {
        self.inner = self.inner.on_press_maybe(message.clone());
        self.on_press = message;
        self
    }

    pub fn padding(mut self, padding: impl Into<Padding>) -> Self {
        self.inner = self.inner.padding(padding);
        self
    }

    pub fn width(mut self, width: impl Into<Length>) -> Self {
        self.inner = self.inner.width(width);
        self
    }

    pub fn style(mut self, style: impl Fn(&Theme, Status) -> Style + 'a) -> Self {
        self.inner = self.inner.style(move |theme, status| {
            readable_when_disabled(theme, status, style(theme, status))
        });
        self
    }

    pub fn height(mut self, height: impl Into<Length>) -> Self {
        self.inner = self.inner.height(height);
        self
    }

    /// An id, to focus this button with `iced::widget::operation::focus`.
    pub fn id(mut self, id: impl Into<Id>) -> Self {
        self.id = Some(id.into());
        self
    }
}

impl<'a, Message: Clone + 'a> From<Button<'a, Message>> for Element<'a, Message> {
    fn from(button: Button<'a, Message>) -> Self {
        focusable(button.inner, button.on_press)
            .id(button.id)
            .into()
    }
}

/// Every button gets the tokens' corner radius. iced draws a disabled button as its
/// enabled self at half strength, which leaves pale text on a pale button (about
/// 1.4:1 on a light primary) and, on a dark theme, a button that looks merely dim. A
/// disabled button is drawn as an outline with muted text instead: clearly off,
/// still legible.
#[expect(
    clippy::large_types_passed_by_value,
    reason = "iced's style functions hand styles over by value; this one passes it on"
)]
fn readable_when_disabled(theme: &Theme, status: Status, style: Style) -> Style {
    let style = Style {
        border: style.border.rounded(radius::S),
        ..style
    };
    if status != Status::Disabled {
        return style;
    }
    // Outlined on the page, where an enabled button is filled: off at a glance,
    // also beside a plain (secondary) button, whose fill is the border colour.
    let c = colors(theme);
    Style {
        background: Some(Background::Color(c.page)),
        text_color: c.muted,
        border: iced::Border {
            color: c.border,
            width: 1.0,
            radius: radius::S.into(),
        },
        ..style
    }
}

#[cfg(test)]
mod tests {
    use iced::Event;
    use iced::keyboard::key;
    use iced::widget::{column, text, text_input};
    use iced_test::simulator;

    use super::*;
    use crate::widget::focus::pressed;

    #[derive(Debug, Clone, PartialEq)]
    enum Message {
        Typed(String),
        First,
        Second,
    }

    fn view<'a>(second_enabled: bool) -> Element<'a, Message> {
        column![
            text_input("name", "").on_input(Message::Typed),
            button(text("First")).on_press(Message::First),
            button(text("Disabled")).on_press_maybe(None),
            button(text("Second")).on_press_maybe(second_enabled.then_some(Message::Second)),
        ]
        .into()
    }

    fn press(key: key::Named) -> Event {
        Event::Keyboard(pressed(key))
    }

    fn tab_then(n: usize, key: key::Named, second_enabled: bool) -> Vec<Message> {
        crate::widget::focus::tab_then_press(view(second_enabled), n + 1, key)
    }

    #[test]
    fn tab_reaches_buttons_after_inputs_and_enter_presses_them() {
        assert_eq!(tab_then(1, key::Named::Enter, true), [Message::First]);
        assert_eq!(tab_then(1, key::Named::Space, true), [Message::First]);
    }

    #[test]
    fn tab_skips_disabled_buttons() {
        assert_eq!(tab_then(2, key::Named::Enter, true), [Message::Second]);
        // With the second disabled too, the third Tab wraps round to the input.
        assert!(tab_then(2, key::Named::Enter, false).is_empty());
    }

    #[test]
    fn a_disabled_button_reads_and_looks_off_in_both_themes() {
        type Look = fn(&Theme, Status) -> Style;
        let looks: [Look; 3] = [primary, secondary, danger];
        for theme in [
            crate::theme::for_mode(iced::theme::Mode::Light),
            crate::theme::for_mode(iced::theme::Mode::Dark),
        ] {
            for look in looks {
                let off = readable_when_disabled(
                    &theme,
                    Status::Disabled,
                    look(&theme, Status::Disabled),
                );
                let on =
                    readable_when_disabled(&theme, Status::Active, look(&theme, Status::Active));
                let Some(Background::Color(background)) = off.background else {
                    panic!("a plain background");
                };
                let ratio = crate::theme::contrast(off.text_color, background);
                assert!(ratio >= 4.5, "{theme}: disabled text contrast {ratio:.1}");
                assert_ne!(
                    off.background, on.background,
                    "{theme}: off looks different from on"
                );
            }
        }
    }

    #[test]
    fn keys_do_nothing_to_an_unfocused_button_and_clicks_still_work() {
        let mut ui = simulator(view(true));
        ui.simulate([press(key::Named::Enter)]);
        ui.click("Second").expect("a Second button");
        assert_eq!(ui.into_messages().collect::<Vec<_>>(), [Message::Second]);
    }
}
