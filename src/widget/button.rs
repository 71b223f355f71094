//! A button that takes keyboard focus. iced 0.14's buttons only take clicks, but a
//! security app must be usable without a mouse: Tab reaches every control, Enter or
//! Space presses the focused one, and a ring shows where the focus is. This wraps
//! iced's button (its look, clicks and states stay iced's) and adds the focus.

use iced::advanced::layout::{self, Layout};
use iced::advanced::widget::operation::{Focusable, Operation};
use iced::advanced::widget::tree::{self, Tree};
use iced::advanced::widget::{Id, Widget};
use iced::advanced::{Clipboard, Renderer as _, Shell, mouse, overlay, renderer};
use iced::keyboard::{self, key};
use iced::widget::button::{Status, Style};
use iced::{Background, Border, Element, Event, Length, Padding, Rectangle, Size, Theme, Vector};

// iced's button styles, so that `widget::button` stands in for `iced::widget::button`.
pub use iced::widget::button::{danger, primary, secondary, text};

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

/// Whether the button has the keyboard focus.
#[derive(Debug, Default)]
struct State {
    focused: bool,
}

impl Focusable for State {
    fn is_focused(&self) -> bool {
        self.focused
    }

    fn focus(&mut self) {
        self.focused = true;
    }

    fn unfocus(&mut self) {
        self.focused = false;
    }
}

impl<'a, Message: Clone + 'a> Widget<Message, Theme, iced::Renderer> for Button<'a, Message> {
    fn tag(&self) -> tree::Tag {
        tree::Tag::of::<State>()
    }

    fn state(&self) -> tree::State {
        tree::State::new(State::default())
    }

    fn children(&self) -> Vec<Tree> {
        vec![Tree::new(&self.inner as &dyn Widget<_, _, _>)]
    }

    fn diff(&self, tree: &mut Tree) {
        tree.diff_children(&[&self.inner as &dyn Widget<_, _, _>]);
    }

    fn size(&self) -> Size<Length> {
        Widget::size(&self.inner)
    }

    fn layout(
        &mut self,
        tree: &mut Tree,
        renderer: &iced::Renderer,
        limits: &layout::Limits,
    ) -> layout::Node {
        let node = self.inner.layout(&mut tree.children[0], renderer, limits);
        layout::Node::with_children(node.size(), vec![node])
    }

    fn operate(
        &mut self,
        tree: &mut Tree,
        layout: Layout<'_>,
        renderer: &iced::Renderer,
        operation: &mut dyn Operation,
    ) {
        // A disabled button is skipped by Tab, as people expect.
        if self.on_press.is_some() {
            let state = tree.state.downcast_mut::<State>();
            operation.focusable(self.id.as_ref(), layout.bounds(), state);
        } else {
            tree.state.downcast_mut::<State>().unfocus();
        }
        self.inner
            .operate(&mut tree.children[0], child(layout), renderer, operation);
    }

    fn update(
        &mut self,
        tree: &mut Tree,
        event: &Event,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        renderer: &iced::Renderer,
        clipboard: &mut dyn Clipboard,
        shell: &mut Shell<'_, Message>,
        viewport: &Rectangle,
    ) {
        let state = tree.state.downcast_mut::<State>();
        match event {
            Event::Keyboard(keyboard::Event::KeyPressed { key, modifiers, .. })
                if state.focused && modifiers.is_empty() && is_press_key(key) =>
            {
                if let Some(message) = &self.on_press {
                    shell.publish(message.clone());
                    shell.capture_event();
                    return;
                }
            }
            // A click elsewhere takes the focus away, as it does from a text input.
            Event::Mouse(mouse::Event::ButtonPressed(_))
                if state.focused && !cursor.is_over(layout.bounds()) =>
            {
                state.unfocus();
                shell.request_redraw();
            }
            _ => {}
        }
        self.inner.update(
            &mut tree.children[0],
            event,
            child(layout),
            cursor,
            renderer,
            clipboard,
            shell,
            viewport,
        );
    }

    fn draw(
        &self,
        tree: &Tree,
        renderer: &mut iced::Renderer,
        theme: &Theme,
        style: &renderer::Style,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
    ) {
        self.inner.draw(
            &tree.children[0],
            renderer,
            theme,
            style,
            child(layout),
            cursor,
            viewport,
        );
        if tree.state.downcast_ref::<State>().focused {
            focus_ring(renderer, theme, layout.bounds());
        }
    }

    fn mouse_interaction(
        &self,
        tree: &Tree,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
        renderer: &iced::Renderer,
    ) -> mouse::Interaction {
        self.inner
            .mouse_interaction(&tree.children[0], child(layout), cursor, viewport, renderer)
    }

    fn overlay<'b>(
        &'b mut self,
        tree: &'b mut Tree,
        layout: Layout<'b>,
        renderer: &iced::Renderer,
        viewport: &Rectangle,
        translation: Vector,
    ) -> Option<overlay::Element<'b, Message, Theme, iced::Renderer>> {
        self.inner.overlay(
            &mut tree.children[0],
            child(layout),
            renderer,
            viewport,
            translation,
        )
    }
}

impl<'a, Message: Clone + 'a> From<Button<'a, Message>> for Element<'a, Message> {
    fn from(button: Button<'a, Message>) -> Self {
        Element::new(button)
    }
}

/// iced draws a disabled button as its enabled self at half strength, which leaves
/// pale text on a pale button (about 1.4:1 on the light theme's primary) and, on the
/// dark theme, a button that looks merely dim. A disabled button is drawn in the
/// theme's neutral grey with its readable text instead: clearly off, still legible.
#[expect(
    clippy::large_types_passed_by_value,
    reason = "iced's style functions hand styles over by value; this one passes it on"
)]
fn readable_when_disabled(theme: &Theme, status: Status, style: Style) -> Style {
    if status != Status::Disabled {
        return style;
    }
    let neutral = theme.extended_palette().background.strong;
    Style {
        background: Some(Background::Color(neutral.color)),
        text_color: neutral.text.scale_alpha(0.85),
        ..style
    }
}

/// The inner button's layout: the only child of ours, with the same bounds.
fn child(layout: Layout<'_>) -> Layout<'_> {
    layout.children().next().unwrap_or(layout)
}

fn is_press_key(key: &keyboard::Key) -> bool {
    matches!(
        key,
        keyboard::Key::Named(key::Named::Enter | key::Named::Space)
    )
}

/// A 2-pixel ring just outside the button, in the theme's primary colour: visible on
/// both themes and on every button style.
fn focus_ring(renderer: &mut iced::Renderer, theme: &Theme, bounds: Rectangle) {
    let color = theme.extended_palette().primary.strong.color;
    renderer.fill_quad(
        renderer::Quad {
            bounds: bounds.expand(3.0),
            border: Border {
                color,
                width: 2.0,
                radius: 6.0.into(),
            },
            ..renderer::Quad::default()
        },
        Background::Color(iced::Color::TRANSPARENT),
    );
}

/// A key press with no modifiers, as winit reports it (tests).
#[cfg(test)]
pub(crate) fn pressed(named: key::Named) -> keyboard::Event {
    keyboard::Event::KeyPressed {
        key: keyboard::Key::Named(named),
        modified_key: keyboard::Key::Named(named),
        physical_key: keyboard::key::Physical::Unidentified(
            keyboard::key::NativeCode::Unidentified,
        ),
        location: keyboard::Location::Standard,
        modifiers: keyboard::Modifiers::empty(),
        text: None,
        repeat: false,
    }
}

#[cfg(test)]
mod tests {
    use iced::widget::{column, text, text_input};
    use iced_test::simulator;

    use super::*;

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

    /// Focuses the `n`th focusable control (0-based) as Tab does (the app runs
    /// iced's `focus_next` operation on Tab), then presses `key`. iced_test's
    /// simulator runs no operations, so this drives iced's own `UserInterface`.
    fn tab_then(n: usize, key: key::Named, second_enabled: bool) -> Vec<Message> {
        use iced::advanced::renderer::Headless;
        use iced::advanced::widget::operation::{Outcome, focusable::focus_next};
        use iced_runtime::user_interface::{Cache, UserInterface};

        let mut renderer = iced::futures::executor::block_on(<iced::Renderer as Headless>::new(
            iced::Font::DEFAULT,
            iced::Pixels(16.0),
            None,
        ))
        .expect("a headless renderer");
        let mut ui = UserInterface::build(
            view(second_enabled),
            Size::new(400.0, 300.0),
            Cache::default(),
            &mut renderer,
        );
        for _ in 0..=n {
            let mut operation: Box<dyn Operation<()>> = Box::new(focus_next());
            loop {
                ui.operate(&renderer, &mut operation);
                match operation.finish() {
                    Outcome::Chain(next) => operation = next,
                    _ => break,
                }
            }
        }
        let mut messages = Vec::new();
        let _ = ui.update(
            &[press(key)],
            mouse::Cursor::Unavailable,
            &mut renderer,
            &mut iced::advanced::clipboard::Null,
            &mut messages,
        );
        messages
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
        for theme in [Theme::Light, Theme::Dark] {
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
                let ratio = crate::widget::tone::contrast(off.text_color, background);
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
