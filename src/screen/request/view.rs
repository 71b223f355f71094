//! How the request screen looks. Read top to bottom as the decision is made: who
//! asks, what for and how much (first and largest, in one card); where it comes from
//! and how long it is valid; then the code, the PIN and the decision, or what became
//! of the request. In a wide, short window (a laptop, or any screen at 200 %) the
//! decision stands beside the request, so the code and PIN show without scrolling.

use iced::widget::{responsive, scrollable};

use crate::format::site::site;

use super::{
    Alignment, DecisionKind, Element, Ending, Length, Message, Origin, Request, RequestKind,
    SecretText, Stage, Standing, button, column, container, fl, labelled, row, text,
};
use crate::theme::{colors, icon_size, pad, spacing, text_size};
use crate::widget::code_field::code_field;
use crate::widget::icon::{Icon, tinted};
use crate::widget::{surface, tone};

/// From this window width on, the decision stands beside the request.
const TWO_COLUMNS_FROM: f32 = 760.0;
/// The widest the two columns get together.
const TWO_COLUMNS_WIDTH: f32 = 920.0;
/// The labels of where the request comes from (IP address, location...).
const DETAIL_LABEL_WIDTH: f32 = 110.0;
/// The PIN field's width: about as wide as a six-box code.
const PIN_WIDTH: f32 = 280.0;

impl Request {
    pub fn view(&self) -> Element<'_, Message> {
        responsive(move |size| {
            if size.width >= TWO_COLUMNS_FROM {
                self.two_columns()
            } else {
                self.one_column()
            }
        })
        .into()
    }

    /// The request above, the decision below.
    fn one_column(&self) -> Element<'_, Message> {
        let page = column![self.summary(), self.where_and_when()]
            .push(self.outcome(false))
            .push(back())
            .spacing(spacing::XL);
        crate::widget::body(page)
    }

    /// The request on the left, the decision on the right.
    fn two_columns(&self) -> Element<'_, Message> {
        let request = column![self.summary(), self.where_and_when()]
            .spacing(spacing::XL)
            .width(Length::FillPortion(1));
        let decision = column![]
            .push(self.outcome(true))
            .push(back())
            .spacing(spacing::XL)
            .width(Length::FillPortion(1));
        scrollable(
            container(
                container(row![request, decision].spacing(spacing::XXL))
                    .width(Length::Fill)
                    .max_width(TWO_COLUMNS_WIDTH),
            )
            .padding(pad::PAGE)
            .center_x(Length::Fill),
        )
        .spacing(spacing::XXS)
        .into()
    }

    /// The decision while one can be made, else what became of the request.
    fn outcome(&self, narrow: bool) -> Option<Element<'_, Message>> {
        match &self.stage {
            Stage::Final(ending) => Some(ending_view(ending)),
            // Nothing left to type or press: the countdown says it expired.
            Stage::Open if self.is_expired() => None,
            Stage::Open | Stage::Working => Some(self.decide(narrow)),
        }
    }

    /// Who asks, what for, and the amount when there is one: one card, read first.
    fn summary(&self) -> Element<'_, Message> {
        let request = &self.verified.request;
        let kind = match request.kind {
            RequestKind::Login => fl!("request-kind-login"),
            RequestKind::Payment => fl!("request-kind-payment"),
            RequestKind::Action => fl!("request-kind-action"),
        };
        let mut card = column![
            text(kind).size(text_size::CAPTION).style(tone::muted),
            text(request.rp_name.clone()).size(text_size::HEADING),
            text(request.title.clone()).size(text_size::LEAD),
        ]
        .spacing(spacing::XS);
        if let Some(amount) = &request.amount {
            card = card.push(
                column![
                    text(fl!("request-amount"))
                        .size(text_size::CAPTION)
                        .style(tone::muted),
                    text(crate::format::amount::amount(amount)).size(text_size::DISPLAY),
                ]
                .spacing(spacing::XXS),
            );
        }
        if let Some(payee) = &request.payee {
            card = card.push(text(fl!("request-payee", payee = payee.clone())));
        }
        card = card.push(
            text(request.message.clone())
                .size(text_size::SMALL)
                .style(tone::muted),
        );
        container(card)
            .padding(pad::CARD)
            .width(Length::Fill)
            .style(surface::card)
            .into()
    }

    /// Where the sign-in started and the request came from, and how long it is
    /// valid (while it is open: a decided request has no countdown).
    fn where_and_when(&self) -> Element<'_, Message> {
        let open = !matches!(self.stage, Stage::Final(_));
        column![]
            .push(self.origin_view())
            .push(self.details())
            .push(open.then(|| self.countdown()))
            .spacing(spacing::S)
            .into()
    }

    /// Where the request comes from and when it was made.
    fn details(&self) -> Element<'_, Message> {
        let request = &self.verified.request;
        let context = &request.context;
        let lines = [
            (fl!("request-ip"), context.ip.clone()),
            (fl!("request-location"), context.location.clone()),
            (fl!("request-browser"), context.user_agent.clone()),
            (
                fl!("request-time"),
                Some(crate::format::time::date_time(request.iat)),
            ),
        ];
        let mut details = column![].spacing(spacing::XXS);
        for (label, value) in lines {
            if let Some(value) = value {
                details = details.push(
                    row![
                        text(format!("{label}:"))
                            .size(text_size::SMALL)
                            .style(tone::muted)
                            .width(Length::Fixed(DETAIL_LABEL_WIDTH)),
                        text(value).size(text_size::SMALL).width(Length::Fill),
                    ]
                    .spacing(spacing::S),
                );
            }
        }
        details.into()
    }

    /// Where the sign-in started, as the browser on this computer said (or did not).
    fn origin_view(&self) -> Option<Element<'_, Message>> {
        let rp = self.verified.request.rp_name.clone();
        let marked = |icon: Icon,
                      color: fn(&iced::Theme) -> iced::Color,
                      line: Element<'static, Message>|
         -> Element<'static, Message> {
            row![tinted(icon, icon_size::INLINE, color), line]
                .spacing(spacing::S)
                .align_y(Alignment::Center)
                .into()
        };
        Some(match self.origin() {
            Origin::NotBound => return None,
            Origin::Verified(origin) => marked(
                Icon::Check,
                |theme| colors(theme).success,
                text(fl!("request-origin-verified", site = site(&origin).host()))
                    .style(tone::success)
                    .into(),
            ),
            Origin::Unconfirmed => text(fl!("request-origin-unconfirmed"))
                .size(text_size::SMALL)
                .style(tone::muted)
                .into(),
            Origin::Missing => marked(
                Icon::Warning,
                |theme| colors(theme).danger,
                text(fl!("request-origin-missing", rp = rp))
                    .style(tone::danger)
                    .into(),
            ),
            // The page's real address, large and alone on its line, its registrable
            // domain in bold: the lookalike is seen for what it is, not read past.
            Origin::Mismatch(origin) => container(
                column![
                    marked(
                        Icon::Warning,
                        |theme| colors(theme).danger,
                        text(fl!("request-origin-mismatch-title"))
                            .size(text_size::LEAD)
                            .style(tone::danger)
                            .into(),
                    ),
                    text(fl!("request-origin-mismatch-started")),
                    mismatched_site(&origin),
                    text(fl!("request-origin-mismatch-advice", rp = rp)),
                ]
                .spacing(spacing::S),
            )
            .padding(pad::CARD)
            .width(Length::Fill)
            .style(surface::danger_card)
            .into(),
        })
    }

    fn countdown(&self) -> Element<'_, Message> {
        let words = self.countdown_words();
        if self.is_expired() {
            return text(words).style(tone::danger).into();
        }
        text(words).style(tone::muted).into()
    }

    /// The time left, or that the request expired (the screen reader reads the same).
    pub(super) fn countdown_words(&self) -> String {
        if self.is_expired() {
            return fl!("request-expired");
        }
        let left = u64::try_from(self.verified.request.exp - self.now).unwrap_or(0);
        fl!(
            "request-expires",
            time = format!("{}:{:02}", left / 60, left % 60)
        )
    }

    /// The code and PIN, Approve, Deny and "not me"; `narrow` stacks the code over
    /// the PIN (the decision's column beside the request).
    fn decide(&self, narrow: bool) -> Element<'_, Message> {
        // The question takes the place of the fields, where it cannot be missed.
        if self.confirming_not_me {
            return self.not_me_confirmation();
        }
        if self.uv.scanning {
            return crate::screen::biometric::scanning(
                fl!("biometric-scanning-approve"),
                Message::CancelScan,
                super::accessible::CANCEL_SCAN,
            );
        }
        let editable = self.can_decide() && self.stage == Stage::Open;
        let method = crate::screen::biometric::method();
        let pin = self.pin_or_its_stand_in(editable);
        let mut fields: Vec<Element<'_, Message>> = Vec::new();
        // A site the browser vouched for needs no code: the PIN (or scan) is asked.
        if self.needs_code() {
            let mut code = code_field(
                super::CODE_FIELD,
                &fl!("request-code-placeholder"),
                &self.code,
                self.code_length(),
                editable.then_some(|code: String| Message::CodeChanged(code.into())),
            );
            if editable {
                code = code.on_submit(Message::Approve);
            }
            // As wide as its boxes, so the PIN beside it gets the rest of the row.
            let label = fl!(
                "request-code-label",
                length = self.verified.request.code_length
            );
            fields.push(
                column![text(label).size(text_size::SMALL), code]
                    .spacing(spacing::XS)
                    .into(),
            );
        }
        fields.push(pin);
        let fields: Element<'_, Message> = if narrow {
            column(fields).spacing(spacing::M).into()
        } else {
            row(fields).spacing(spacing::L).into()
        };

        let instructions = self.instructions(&method);
        let approvable = self.origin_allows_approval();
        let mut decide = column![].spacing(spacing::M);
        if approvable {
            decide = decide
                .push(text(instructions).size(text_size::SMALL))
                .push(fields);
        }
        if approvable && self.uv.offered && !self.uv.chosen() {
            decide = decide.push(
                button(
                    row![
                        crate::widget::icon::icon(Icon::Fingerprint, icon_size::INLINE),
                        text(fl!("biometric-use", method = method.clone())),
                    ]
                    .spacing(spacing::S)
                    .align_y(Alignment::Center),
                )
                .padding(pad::BUTTON_SMALL)
                .style(button::secondary)
                .id(super::USE_BIOMETRIC)
                .on_press_maybe(editable.then_some(Message::UseBiometric)),
            );
        }
        // A problem with what was typed shows next to the fields it is about.
        if let Some(notice) = &self.notice {
            decide = decide.push(text(notice.clone()).style(tone::danger));
        }
        decide = decide.push(self.decision_buttons(&method));
        if self.stage == Stage::Working {
            decide = decide.push(text(fl!("request-working")).style(tone::muted));
        }
        decide.into()
    }

    /// The PIN field; or, with the biometric check chosen, "use PIN instead"; or,
    /// with the PIN key kept after a wrong code, that the PIN is not needed again.
    fn pin_or_its_stand_in(&self, editable: bool) -> Element<'_, Message> {
        if self.uv.chosen() {
            labelled(
                fl!("request-pin-label"),
                button(text(fl!("biometric-use-pin")))
                    .padding(pad::BUTTON_SMALL)
                    .style(button::secondary)
                    .id(super::USE_PIN)
                    .on_press_maybe(editable.then_some(Message::UsePin)),
                None,
            )
        } else if self.pin_key.is_some() {
            labelled(
                fl!("request-pin-label"),
                text(fl!("request-pin-kept")).style(tone::success),
                None,
            )
        } else {
            let mut pin = self
                .pin
                .input(
                    &fl!("request-pin-placeholder"),
                    editable.then_some(Message::PinChanged as fn(SecretText) -> Message),
                )
                .id(super::PIN_FIELD)
                .width(Length::Fixed(PIN_WIDTH));
            if editable {
                pin = pin.on_submit(Message::Approve);
            }
            labelled(fl!("request-pin-label"), pin, None)
        }
    }

    /// Approve (with the PIN or the biometric check), Deny and "not me".
    fn decision_buttons(&self, method: &str) -> Element<'_, Message> {
        let approve_label = if self.uv.chosen() {
            fl!("biometric-approve", method = method.to_owned())
        } else {
            fl!("request-approve")
        };
        let approve = button(text(approve_label))
            .padding(pad::BUTTON)
            .style(button::primary)
            .id(super::APPROVE)
            .on_press_maybe(self.can_approve().then_some(Message::Approve));
        let refusable = self.can_decide();
        let deny = button(text(fl!("request-deny")))
            .padding(pad::BUTTON_TIGHT)
            .style(button::secondary)
            .id(super::DENY)
            .on_press_maybe(refusable.then_some(Message::Deny));
        let not_me = button(text(fl!("request-not-me")))
            .padding(pad::BUTTON_TIGHT)
            .style(button::danger)
            .id(super::NOT_ME)
            .on_press_maybe((refusable && !self.confirming_not_me).then_some(Message::NotMe));

        // After a mismatch, or without a required hand-off, Approve is not offered.
        let buttons = if self.origin_allows_approval() {
            row![approve, deny, not_me]
        } else {
            row![deny, not_me]
        };
        buttons
            .spacing(spacing::M)
            .align_y(Alignment::Center)
            .wrap()
            .vertical_spacing(spacing::M)
            .into()
    }

    fn not_me_confirmation(&self) -> Element<'_, Message> {
        container(
            column![
                text(fl!("request-not-me-explained")),
                row![
                    button(text(fl!("request-not-me-confirm")))
                        .padding(pad::BUTTON_TIGHT)
                        .id(super::NOT_ME_CONFIRM)
                        .style(button::danger)
                        .on_press_maybe(self.can_decide().then_some(Message::ConfirmNotMe)),
                    button(text(fl!("request-not-me-cancel")))
                        .padding(pad::BUTTON_TIGHT)
                        .style(button::secondary)
                        .id(super::NOT_ME_CANCEL)
                        .on_press(Message::CancelNotMe),
                ]
                .spacing(spacing::M)
                .wrap()
                .vertical_spacing(spacing::M),
            ]
            .spacing(spacing::M),
        )
        .padding(pad::CARD)
        .width(Length::Fill)
        .style(surface::card)
        .into()
    }
}

fn back<'a>() -> Element<'a, Message> {
    button(button::with_icon(Icon::Back, fl!("back-button")))
        .padding(pad::BUTTON_TIGHT)
        .style(button::secondary)
        .id(super::BACK)
        .on_press(Message::Close)
        .into()
}

/// The lookalike's host in the danger colour, its registrable domain (where the page
/// really is) in bold and underlined, and that domain named again below it.
fn mismatched_site<'a>(origin: &str) -> Element<'a, Message> {
    let seen = site(origin);
    let bold = iced::Font {
        weight: iced::font::Weight::Bold,
        ..iced::Font::DEFAULT
    };
    let host: iced::widget::text::Rich<'a, (), Message> = iced::widget::rich_text![
        iced::widget::span(seen.subdomain.clone()),
        // Bold where the font has a bold face, and underlined in any case.
        iced::widget::span(seen.registrable.clone())
            .font(bold)
            .underline(true),
    ]
    .size(text_size::TITLE)
    .style(tone::danger);
    column![
        host,
        text(fl!("request-origin-mismatch-site", site = seen.registrable)).style(tone::danger),
    ]
    .spacing(spacing::XXS)
    .into()
}

/// What became of the request, in words (with a check mark when approved).
fn ending_view<'a>(ending: &Ending) -> Element<'a, Message> {
    let (message, style) = ending_words(ending);
    let words = text(message).size(text_size::LEAD).style(style);
    if matches!(
        ending,
        Ending::Closed(Standing::Decided(DecisionKind::Approve))
    ) {
        return row![
            tinted(Icon::Check, icon_size::HEADER, |theme| colors(theme)
                .success),
            words
        ]
        .spacing(spacing::S)
        .align_y(Alignment::Center)
        .into();
    }
    words.into()
}

/// What became of the request, and how it looks: good news, plain or a danger.
pub(super) fn ending_words(ending: &Ending) -> (String, fn(&iced::Theme) -> text::Style) {
    match ending {
        Ending::Closed(Standing::Decided(DecisionKind::Approve)) => {
            (fl!("request-approved"), tone::success)
        }
        Ending::Closed(Standing::Decided(DecisionKind::Deny)) => {
            (fl!("request-denied"), text::default)
        }
        Ending::Closed(Standing::Decided(DecisionKind::NotMe)) => {
            (fl!("request-reported"), text::default)
        }
        Ending::Queued(_) => (fl!("request-queued"), tone::muted),
        Ending::Closed(Standing::Expired) => (fl!("request-expired"), tone::danger),
        Ending::Closed(Standing::Superseded) => (fl!("request-superseded"), tone::muted),
        Ending::Closed(Standing::Withdrawn | Standing::Pending) | Ending::NotPending => {
            (fl!("request-not-pending"), tone::muted)
        }
        Ending::Closed(Standing::Failed) => (fl!("request-code-failed"), tone::danger),
        Ending::Blocked => (fl!("request-blocked"), tone::danger),
        Ending::Refused(reason) => (
            fl!("request-refused", reason = reason.clone()),
            tone::danger,
        ),
    }
}

#[cfg(test)]
mod tests {
    use iced::Size;
    use iced::advanced::widget::Id;
    use iced_test::Simulator;
    use iced_test::selector::{Bounded, Selector};

    use super::*;
    use crate::screen::fixtures::{IAT, payment_request};

    /// Whether what `wanted` selects is drawn whole in a window of `size` (logical
    /// pixels) under the header, without scrolling.
    fn whole_in_view<S>(size: Size, wanted: S) -> bool
    where
        S: Selector + Send,
        S::Output: Bounded + Clone + Send,
    {
        let screen = Request::new(payment_request(), IAT + 20);
        let window = iced::widget::column![
            crate::widget::header::header(Message::Close, Message::Close),
            screen.view()
        ];
        let mut ui = Simulator::with_size(iced::Settings::default(), size, window);
        let description = wanted.description();
        let target = ui
            .find(wanted)
            .unwrap_or_else(|e| panic!("no {description}: {e}"));
        let bounds = target.bounds();
        // The part inside the scrolled viewport, give or take float rounding.
        target.visible_bounds().is_some_and(|visible| {
            (visible.height - bounds.height).abs() < 0.5
                && (visible.width - bounds.width).abs() < 0.5
        }) && bounds.y + bounds.height <= size.height
    }

    #[test]
    fn at_200_percent_on_1080p_the_code_pin_and_approve_show_without_scrolling() {
        // 1920 x 1080 at 200 % is 960 x 540 logical: the window fits itself to
        // 880 x 420 there (app::windowing::fitted), and the decision moves beside
        // the request.
        let at_200 = Size::new(880.0, 420.0);
        for id in [super::super::CODE_FIELD, super::super::PIN_FIELD] {
            assert!(
                whole_in_view(at_200, Id::new(id)),
                "{id} needs scrolling at 200 %"
            );
        }
        // Approve is off until the code and PIN are typed; found by its words.
        assert!(whole_in_view(at_200, fl!("request-approve")));
    }

    #[test]
    fn in_the_window_s_own_size_the_code_pin_and_approve_show_without_scrolling() {
        let window = Size::new(560.0, 760.0);
        for id in [super::super::CODE_FIELD, super::super::PIN_FIELD] {
            assert!(
                whole_in_view(window, Id::new(id)),
                "{id} needs scrolling at 100 %"
            );
        }
        assert!(whole_in_view(window, fl!("request-approve")));
    }

    #[test]
    fn in_a_narrow_short_window_the_code_is_below_the_fold() {
        // The check above can fail: one column in a short window scrolls.
        let narrow = Size::new(560.0, 420.0);
        assert!(!whole_in_view(narrow, Id::new(super::super::PIN_FIELD)));
    }
}
