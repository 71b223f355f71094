//! How the request screen looks: the request as the server signed it, then the
//! code and PIN fields and the decision buttons, or what became of the request.

use crate::format::site::site;

use super::{
    Alignment, DecisionKind, Element, Ending, Length, Message, Origin, Request, RequestKind,
    SecretText, Stage, Standing, button, column, container, fl, labelled, row, text, text_input,
};

impl Request {
    pub fn view(&self) -> Element<'_, Message> {
        let mut page = column![self.summary(), self.details()].spacing(20);
        if let Some(origin) = self.origin_view() {
            page = page.push(origin);
        }
        page = match &self.stage {
            Stage::Final(ending) => page.push(ending_view(ending)),
            // Nothing left to type or press: the request says it expired.
            Stage::Open if self.is_expired() => page.push(self.countdown()),
            Stage::Open | Stage::Working => page.push(self.countdown()).push(self.decide()),
        };
        page = page.push(
            button(text(fl!("back-button")))
                .padding([8, 24])
                .style(button::secondary)
                .id(super::BACK)
                .on_press(Message::Close),
        );
        crate::widget::body(page)
    }

    /// Who asks, what for, and the amount when there is one.
    fn summary(&self) -> Element<'_, Message> {
        let request = &self.verified.request;
        let kind = match request.kind {
            RequestKind::Login => fl!("request-kind-login"),
            RequestKind::Payment => fl!("request-kind-payment"),
            RequestKind::Action => fl!("request-kind-action"),
        };
        let mut summary = column![
            text(kind).size(14).style(crate::widget::tone::muted),
            text(request.rp_name.clone()).size(26),
            text(request.title.clone()).size(20),
            text(request.message.clone()),
        ]
        .spacing(6);
        if request.amount.is_some() || request.payee.is_some() {
            let mut money = column![].spacing(4);
            if let Some(amount) = &request.amount {
                money = money.push(
                    text(fl!("request-amount"))
                        .size(14)
                        .style(crate::widget::tone::muted),
                );
                money = money.push(text(crate::format::amount::amount(amount)).size(30));
            }
            if let Some(payee) = &request.payee {
                money = money.push(text(fl!("request-payee", payee = payee.clone())).size(18));
            }
            summary = summary.push(
                container(money)
                    .padding(12)
                    .width(Length::Fill)
                    .style(container::bordered_box),
            );
        }
        summary.into()
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
        let mut details = column![].spacing(4);
        for (label, value) in lines {
            if let Some(value) = value {
                details = details.push(
                    row![
                        text(format!("{label}:"))
                            .style(crate::widget::tone::muted)
                            .width(Length::Fixed(110.0)),
                        text(value).width(Length::Fill),
                    ]
                    .spacing(8),
                );
            }
        }
        details.into()
    }

    /// Where the sign-in started, as the browser on this computer said (or did not).
    fn origin_view(&self) -> Option<Element<'_, Message>> {
        let rp = self.verified.request.rp_name.clone();
        Some(match self.origin() {
            Origin::NotBound => return None,
            Origin::Verified(origin) => {
                text(fl!("request-origin-verified", site = site(&origin).host()))
                    .style(crate::widget::tone::success)
                    .into()
            }
            Origin::Unconfirmed => text(fl!("request-origin-unconfirmed"))
                .size(14)
                .style(crate::widget::tone::muted)
                .into(),
            Origin::Missing => text(fl!("request-origin-missing", rp = rp))
                .style(text::danger)
                .into(),
            // The page's real address, large and alone on its line, its registrable
            // domain in bold: the lookalike is seen for what it is, not read past.
            Origin::Mismatch(origin) => container(
                column![
                    text(fl!("request-origin-mismatch-title"))
                        .size(20)
                        .style(text::danger),
                    text(fl!("request-origin-mismatch-started")),
                    mismatched_site(&origin),
                    text(fl!("request-origin-mismatch-advice", rp = rp)),
                ]
                .spacing(6),
            )
            .padding(12)
            .width(Length::Fill)
            .style(container::bordered_box)
            .into(),
        })
    }

    fn countdown(&self) -> Element<'_, Message> {
        let words = self.countdown_words();
        if self.is_expired() {
            return text(words).size(16).style(text::danger).into();
        }
        text(words)
            .size(16)
            .style(crate::widget::tone::muted)
            .into()
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

    /// The code and PIN, Approve, Deny and "not me".
    fn decide(&self) -> Element<'_, Message> {
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
        let mut code = text_input(&fl!("request-code-placeholder"), &self.code)
            .id(super::CODE_FIELD)
            .padding(8);
        if editable {
            code = code
                .on_input(|code| Message::CodeChanged(code.into()))
                .on_submit(Message::Approve);
        }
        let method = crate::screen::biometric::method();
        let pin: Element<'_, Message> = if self.uv.chosen() {
            labelled(
                fl!("request-pin-label"),
                button(text(fl!("biometric-use-pin")))
                    .padding([6, 12])
                    .style(button::secondary)
                    .id(super::USE_PIN)
                    .on_press_maybe(editable.then_some(Message::UsePin)),
                None,
            )
        } else if self.pin_key.is_some() {
            labelled(
                fl!("request-pin-label"),
                text(fl!("request-pin-kept")).style(crate::widget::tone::success),
                None,
            )
        } else {
            let mut pin = self.pin.input(
                &fl!("request-pin-placeholder"),
                editable.then_some(Message::PinChanged as fn(SecretText) -> Message),
            );
            pin = pin.id(super::PIN_FIELD);
            if editable {
                pin = pin.on_submit(Message::Approve);
            }
            labelled(fl!("request-pin-label"), pin, None)
        };
        let mut fields = row![].spacing(12);
        // A site the browser vouched for needs no code: the PIN (or scan) is asked.
        if self.needs_code() {
            fields = fields.push(labelled(
                fl!(
                    "request-code-label",
                    length = self.verified.request.code_length
                ),
                code,
                None,
            ));
        }
        let fields = fields.push(pin);

        let instructions = self.instructions(&method);
        let approvable = self.origin_allows_approval();
        let mut decide = column![].spacing(12);
        if approvable {
            decide = decide.push(text(instructions).size(14)).push(fields);
        }
        if approvable && self.uv.offered && !self.uv.chosen() {
            decide = decide.push(
                button(text(fl!("biometric-use", method = method.clone())))
                    .padding([6, 12])
                    .style(button::secondary)
                    .id(super::USE_BIOMETRIC)
                    .on_press_maybe(editable.then_some(Message::UseBiometric)),
            );
        }
        // A problem with what was typed shows next to the fields it is about.
        if let Some(notice) = &self.notice {
            decide = decide.push(text(notice.clone()).style(text::danger));
        }
        decide = decide.push(self.decision_buttons(&method));
        if self.stage == Stage::Working {
            decide = decide.push(text(fl!("request-working")).style(crate::widget::tone::muted));
        }
        decide.into()
    }

    /// Approve (with the PIN or the biometric check), Deny and "not me".
    fn decision_buttons(&self, method: &str) -> Element<'_, Message> {
        let approve_label = if self.uv.chosen() {
            fl!("biometric-approve", method = method.to_owned())
        } else {
            fl!("request-approve")
        };
        let approve = button(text(approve_label).size(16))
            .padding([8, 24])
            .style(button::primary)
            .id(super::APPROVE)
            .on_press_maybe(self.can_approve().then_some(Message::Approve));
        let refusable = self.can_decide();
        let deny = button(text(fl!("request-deny")))
            .padding([8, 16])
            .style(button::secondary)
            .id(super::DENY)
            .on_press_maybe(refusable.then_some(Message::Deny));
        let not_me = button(text(fl!("request-not-me")))
            .padding([8, 16])
            .style(button::danger)
            .id(super::NOT_ME)
            .on_press_maybe((refusable && !self.confirming_not_me).then_some(Message::NotMe));

        // After a mismatch, or without a required hand-off, Approve is not offered.
        let buttons = if self.origin_allows_approval() {
            row![approve, deny, not_me]
        } else {
            row![deny, not_me]
        };
        buttons.spacing(12).align_y(Alignment::Center).into()
    }

    fn not_me_confirmation(&self) -> Element<'_, Message> {
        container(
            column![
                text(fl!("request-not-me-explained")),
                row![
                    button(text(fl!("request-not-me-confirm")))
                        .padding([8, 16])
                        .id(super::NOT_ME_CONFIRM)
                        .style(button::danger)
                        .on_press_maybe(self.can_decide().then_some(Message::ConfirmNotMe)),
                    button(text(fl!("request-not-me-cancel")))
                        .padding([8, 16])
                        .style(button::secondary)
                        .id(super::NOT_ME_CANCEL)
                        .on_press(Message::CancelNotMe),
                ]
                .spacing(12),
            ]
            .spacing(12),
        )
        .padding(12)
        .width(Length::Fill)
        .style(container::bordered_box)
        .into()
    }
}

/// The lookalike's host in the danger colour, its registrable domain (where the page
/// really is) in bold, and that domain named again below it.
fn mismatched_site<'a>(origin: &str) -> Element<'a, Message> {
    let seen = site(origin);
    let bold = iced::Font {
        weight: iced::font::Weight::Bold,
        ..iced::Font::DEFAULT
    };
    let host: iced::widget::text::Rich<'a, (), Message> = iced::widget::rich_text![
        iced::widget::span(seen.subdomain.clone()),
        iced::widget::span(seen.registrable.clone()).font(bold),
    ]
    .size(22)
    .style(text::danger);
    column![
        host,
        text(fl!("request-origin-mismatch-site", site = seen.registrable)).style(text::danger),
    ]
    .spacing(2)
    .into()
}

/// What became of the request, in words.
fn ending_view<'a>(ending: &Ending) -> Element<'a, Message> {
    let (message, style) = ending_words(ending);
    text(message).size(18).style(style).into()
}

/// What became of the request, and how it looks: good news, plain or a danger.
pub(super) fn ending_words(ending: &Ending) -> (String, fn(&iced::Theme) -> text::Style) {
    match ending {
        Ending::Closed(Standing::Decided(DecisionKind::Approve)) => {
            (fl!("request-approved"), crate::widget::tone::success)
        }
        Ending::Closed(Standing::Decided(DecisionKind::Deny)) => {
            (fl!("request-denied"), text::default)
        }
        Ending::Closed(Standing::Decided(DecisionKind::NotMe)) => {
            (fl!("request-reported"), text::default)
        }
        Ending::Queued(_) => (fl!("request-queued"), crate::widget::tone::muted),
        Ending::Closed(Standing::Expired) => (fl!("request-expired"), text::danger),
        Ending::Closed(Standing::Superseded) => {
            (fl!("request-superseded"), crate::widget::tone::muted)
        }
        Ending::Closed(Standing::Withdrawn | Standing::Pending) | Ending::NotPending => {
            (fl!("request-not-pending"), crate::widget::tone::muted)
        }
        Ending::Closed(Standing::Failed) => (fl!("request-code-failed"), text::danger),
        Ending::Blocked => (fl!("request-blocked"), text::danger),
        Ending::Refused(reason) => (
            fl!("request-refused", reason = reason.clone()),
            text::danger,
        ),
    }
}
