//! Keyboard focus for controls iced 0.14 leaves mouse-only (buttons, checkboxes,
//! pick lists). A security app must be usable without a mouse: Tab reaches every
//! control, Enter or Space activates the focused one, and a ring shows where the
//! focus is. `Focusable` wraps any widget (its look and clicks stay its own) and
//! publishes a message when activated from the keyboard.

use iced::advanced::layout::{self, Layout};
use iced::advanced::widget::operation::{Focusable as FocusState, Operation};
use iced::advanced::widget::tree::{self, Tree};
use iced::advanced::widget::{Id, Widget};
use iced::advanced::{Clipboard, Renderer as _, Shell, mouse, overlay, renderer};
use iced::keyboard::{self, key};
use iced::{Background, Border, Element, Event, Length, Rectangle, Size, Theme, Vector};

/// `content`, reachable by Tab; Enter or Space sends `on_activate` (none: skipped by
/// Tab, as a disabled control is).
pub fn focusable<'a, Message: Clone + 'a>(
    content: impl Into<Element<'a, Message>>,
    on_activate: Option<Message>,
) -> Focusable<'a, Message> {
    Focusable {
        content: content.into(),
        on_activate,
        id: None,
    }
}

pub struct Focusable<'a, Message> {
    content: Element<'a, Message>,
    on_activate: Option<Message>,
    id: Option<Id>,
}

impl<Message> Focusable<'_, Message> {
    /// An id, to focus this control with `iced::widget::operation::focus`.
    pub fn id(mut self, id: Option<Id>) -> Self {
        self.id = id;
        self
    }
}

/// How far the focus ring stands off the control, and how thick it is.
const FOCUS_RING_GAP: f32 = 3.0;
const FOCUS_RING_WIDTH: f32 = 2.0;

/// Whether the control has the keyboard focus.
#[derive(Debug, Default)]
struct State {
    focused: bool,
}

impl FocusState for State {
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

impl<'a, Message: Clone + 'a> Widget<Message, Theme, iced::Renderer> for Focusable<'a, Message> {
    fn tag(&self) -> tree::Tag {
        tree::Tag::of::<State>()
    }

    fn state(&self) -> tree::State {
        tree::State::new(State::default())
    }

    fn children(&self) -> Vec<Tree> {
        vec![Tree::new(&self.content)]
    }

    fn diff(&self, tree: &mut Tree) {
        tree.diff_children(std::slice::from_ref(&self.content));
    }

    fn size(&self) -> Size<Length> {
        self.content.as_widget().size()
    }

    fn layout(
        &mut self,
        tree: &mut Tree,
        renderer: &iced::Renderer,
        limits: &layout::Limits,
    ) -> layout::Node {
        let node = self
            .content
            .as_widget_mut()
            .layout(&mut tree.children[0], renderer, limits);
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
        if self.on_activate.is_some() {
            let state = tree.state.downcast_mut::<State>();
            operation.focusable(self.id.as_ref(), layout.bounds(), state);
        } else {
            tree.state.downcast_mut::<State>().unfocus();
        }
        self.content.as_widget_mut().operate(
            &mut tree.children[0],
            child(layout),
            renderer,
            operation,
        );
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
                if let Some(message) = &self.on_activate {
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
        self.content.as_widget_mut().update(
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
        self.content.as_widget().draw(
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
        self.content.as_widget().mouse_interaction(
            &tree.children[0],
            child(layout),
            cursor,
            viewport,
            renderer,
        )
    }

    fn overlay<'b>(
        &'b mut self,
        tree: &'b mut Tree,
        layout: Layout<'b>,
        renderer: &iced::Renderer,
        viewport: &Rectangle,
        translation: Vector,
    ) -> Option<overlay::Element<'b, Message, Theme, iced::Renderer>> {
        self.content.as_widget_mut().overlay(
            &mut tree.children[0],
            child(layout),
            renderer,
            viewport,
            translation,
        )
    }
}

impl<'a, Message: Clone + 'a> From<Focusable<'a, Message>> for Element<'a, Message> {
    fn from(focusable: Focusable<'a, Message>) -> Self {
        Element::new(focusable)
    }
}

/// The wrapped control's layout: the only child of ours, with the same bounds.
fn child(layout: Layout<'_>) -> Layout<'_> {
    layout.children().next().unwrap_or(layout)
}

fn is_press_key(key: &keyboard::Key) -> bool {
    matches!(
        key,
        keyboard::Key::Named(key::Named::Enter | key::Named::Space)
    )
}

/// A 2-pixel ring just outside the control, in the accent colour (3:1 or more on
/// the page in both themes, see `crate::theme`): visible on every button style.
pub(crate) fn focus_ring(renderer: &mut iced::Renderer, theme: &Theme, bounds: Rectangle) {
    let color = crate::theme::colors(theme).accent;
    renderer.fill_quad(
        renderer::Quad {
            bounds: bounds.expand(FOCUS_RING_GAP),
            border: Border {
                color,
                width: FOCUS_RING_WIDTH,
                radius: (crate::theme::radius::S + FOCUS_RING_GAP).into(),
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

/// Presses Tab `tabs` times (the app runs iced's `focus_next` operation on Tab), then
/// `key`, on `view`; the messages that sent. iced_test's simulator runs no
/// operations, so this drives iced's own `UserInterface` (tests).
#[cfg(test)]
pub(crate) fn tab_then_press<'a, Message: 'a>(
    view: impl Into<Element<'a, Message>>,
    tabs: usize,
    key: key::Named,
) -> Vec<Message> {
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
        view,
        Size::new(520.0, 700.0),
        Cache::default(),
        &mut renderer,
    );
    for _ in 0..tabs {
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
        &[Event::Keyboard(pressed(key))],
        mouse::Cursor::Unavailable,
        &mut renderer,
        &mut iced::advanced::clipboard::Null,
        &mut messages,
    );
    messages
}
