//! How the unlock screen looks: the PIN field, the pad (1–9, then erase, 0 and
//! unlock), the biometric offer or the scan under way, what the last try came to,
//! and Back.

use godkend_core::secret::{Redacted, SecretText};
use iced::widget::{column, row, text};
use iced::{Alignment, Element, Length};

use super::{BACK, DIGITS, ERASE, Message, PIN_FIELD, UNLOCK, USE_BIOMETRIC, Unlock, accessible};
use crate::fl;
use crate::screen::biometric;
use crate::theme::{pad, spacing, text_size};
use crate::widget::button;
use crate::widget::icon::Icon;
use crate::widget::tone;

impl Unlock {
    pub fn view(&self) -> Element<'_, Message> {
        let mut field = self
            .pin
            .input(
                &fl!("unlock-pin-placeholder"),
                (!self.checking).then_some(Message::PinChanged as fn(SecretText) -> Message),
            )
            .id(PIN_FIELD)
            .padding(spacing::M)
            .size(text_size::TITLE)
            .width(Length::Fixed(PAD_WIDTH));
        if !self.checking {
            field = field.on_submit(Message::Unlock);
        }
        let status = self.status_words().map(|words| {
            text(words).style(if self.checking {
                tone::muted
            } else {
                tone::danger
            })
        });
        let content = if self.scanning {
            column![
                text(fl!("unlock-title")).size(text_size::HEADING),
                biometric::scanning(
                    fl!("biometric-scanning-unlock"),
                    Message::CancelScan,
                    accessible::CANCEL_SCAN,
                ),
            ]
        } else {
            column![
                text(fl!("unlock-title")).size(text_size::HEADING),
                text(fl!("unlock-intro")).size(text_size::SMALL),
                field,
                self.pad(),
            ]
            .push(self.biometric.then(|| {
                button(text(fl!("biometric-use", method = biometric::method())))
                    .padding(pad::BUTTON)
                    .style(button::secondary)
                    .id(USE_BIOMETRIC)
                    .on_press_maybe((!self.checking).then_some(Message::UseBiometric))
            }))
        }
        .push(status.map(|s| s.size(text_size::SMALL)))
        .push(
            button(button::with_icon(Icon::Back, fl!("back-button")))
                .padding(pad::BUTTON)
                .style(button::secondary)
                .id(BACK)
                .on_press(Message::Cancel),
        )
        .spacing(spacing::L)
        .align_x(Alignment::Center);
        crate::widget::body(content)
    }

    /// The PIN pad: 1–9, then erase, 0 and unlock.
    fn pad(&self) -> Element<'_, Message> {
        let enabled = !self.checking;
        let key =
            |id: &'static str, label: String, size: f32, style: Look, message: Option<Message>| {
                button(
                    text(label)
                        .size(size)
                        .width(Length::Fill)
                        .height(Length::Fill)
                        .align_x(Alignment::Center)
                        .align_y(Alignment::Center),
                )
                .width(Length::Fixed(KEY_WIDTH))
                .height(Length::Fixed(KEY_HEIGHT))
                .padding(0)
                .style(style)
                .id(id)
                .on_press_maybe(message.filter(|_| enabled))
            };
        let digit = |d: u8| {
            key(
                DIGITS[usize::from(d)],
                d.to_string(),
                20.0,
                button::secondary,
                Some(Message::Digit(Redacted::new(d))),
            )
        };
        let mut rows = column![].spacing(KEY_GAP);
        for first in [1, 4, 7] {
            rows =
                rows.push(row![digit(first), digit(first + 1), digit(first + 2)].spacing(KEY_GAP));
        }
        // Smaller, so "⌫ Erase" and its translations fit on one line.
        let erase = key(
            ERASE,
            fl!("unlock-erase"),
            15.0,
            button::secondary,
            Some(Message::Erase),
        );
        let unlock = key(
            UNLOCK,
            fl!("unlock-button"),
            16.0,
            button::primary,
            self.can_unlock().then_some(Message::Unlock),
        );
        rows.push(row![erase, digit(0), unlock].spacing(KEY_GAP))
            .into()
    }
}

/// A button style, as iced's `button::primary` and friends.
type Look = fn(&iced::Theme, iced::widget::button::Status) -> iced::widget::button::Style;

const KEY_WIDTH: f32 = 88.0;
const KEY_HEIGHT: f32 = 46.0;
const KEY_GAP: f32 = crate::theme::spacing::S;
const PAD_WIDTH: f32 = KEY_WIDTH * 3.0 + KEY_GAP * 2.0;
