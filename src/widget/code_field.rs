//! The code from the login screen, typed into one box per character, as banks'
//! and authenticators' code fields look: the typed characters stand in their boxes
//! and a ring marks the box the next one goes into. Underneath it is one ordinary
//! text input (invisible, the same size), so typing, pasting, selecting, the
//! keyboard focus and a screen reader's "set value" all work as with any input, and
//! the input keeps its id.

use iced::advanced::layout::{self, Layout};
use iced::advanced::widget::Widget;
use iced::advanced::widget::operation::Operation;
use iced::advanced::widget::tree::{self, Tree};
use iced::advanced::{Clipboard, Shell, mouse, renderer, text};
use iced::widget::text_input::{self, TextInput};
use iced::{
    Background, Border, Color, Element, Event, Length, Pixels, Point, Rectangle, Size, Theme,
    alignment,
};

use crate::theme::{colors, radius, spacing, text_size};

/// One box's width, and the gap between boxes.
const BOX_WIDTH: f32 = 40.0;
const GAP: f32 = spacing::S;
/// The most boxes drawn: longer codes would not fit the window, and none are used.
const MOST_BOXES: usize = 10;
/// The characters' size in their boxes.
const DIGIT_SIZE: f32 = text_size::TITLE;
/// Above and below the character inside a box.
const BOX_PADDING: f32 = spacing::S;

type Paragraph = <iced::Renderer as text::Renderer>::Paragraph;

/// A code field of `length` boxes showing `value`; `on_input` `None` makes it read-only
/// (work under way). Callers add `on_submit` through [`CodeField::on_submit`].
pub fn code_field<'a, Message: Clone + 'a>(
    id: &'static str,
    placeholder: &str,
    value: &str,
    length: usize,
    on_input: Option<impl Fn(String) -> Message + 'a>,
) -> CodeField<'a, Message> {
    let editable = on_input.is_some();
    let input = iced::widget::text_input(placeholder, value)
        .id(id)
        .size(DIGIT_SIZE)
        .padding(BOX_PADDING)
        .width(Length::Fill)
        // The boxes show the value; the input underneath draws nothing.
        .style(|_, _| invisible())
        .on_input_maybe(on_input);
    CodeField {
        input,
        value: value.chars().collect(),
        length: length.clamp(1, MOST_BOXES),
        editable,
    }
}

pub struct CodeField<'a, Message> {
    input: TextInput<'a, Message>,
    value: Vec<char>,
    length: usize,
    editable: bool,
}

impl<'a, Message: Clone + 'a> CodeField<'a, Message> {
    /// Enter in the field sends `message`.
    pub fn on_submit(mut self, message: Message) -> Self {
        self.input = self.input.on_submit(message);
        self
    }

    fn width(&self) -> f32 {
        #[expect(clippy::cast_precision_loss, reason = "at most MOST_BOXES")]
        let boxes = self.length as f32;
        boxes * BOX_WIDTH + (boxes - 1.0) * GAP
    }
}

fn invisible() -> text_input::Style {
    text_input::Style {
        background: Background::Color(Color::TRANSPARENT),
        border: Border::default(),
        icon: Color::TRANSPARENT,
        placeholder: Color::TRANSPARENT,
        value: Color::TRANSPARENT,
        selection: Color::TRANSPARENT,
    }
}

impl<'a, Message: Clone + 'a> Widget<Message, Theme, iced::Renderer> for CodeField<'a, Message> {
    fn tag(&self) -> tree::Tag {
        Widget::<Message, Theme, iced::Renderer>::tag(&self.input)
    }

    fn state(&self) -> tree::State {
        Widget::<Message, Theme, iced::Renderer>::state(&self.input)
    }

    fn children(&self) -> Vec<Tree> {
        Widget::<Message, Theme, iced::Renderer>::children(&self.input)
    }

    fn diff(&self, tree: &mut Tree) {
        Widget::<Message, Theme, iced::Renderer>::diff(&self.input, tree);
    }

    fn size(&self) -> Size<Length> {
        Size::new(Length::Fixed(self.width()), Length::Shrink)
    }

    fn layout(
        &mut self,
        tree: &mut Tree,
        renderer: &iced::Renderer,
        limits: &layout::Limits,
    ) -> layout::Node {
        let limits = limits.width(self.width());
        Widget::<Message, Theme, iced::Renderer>::layout(&mut self.input, tree, renderer, &limits)
    }

    fn operate(
        &mut self,
        tree: &mut Tree,
        layout: Layout<'_>,
        renderer: &iced::Renderer,
        operation: &mut dyn Operation,
    ) {
        Widget::<Message, Theme, iced::Renderer>::operate(
            &mut self.input,
            tree,
            layout,
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
        Widget::<Message, Theme, iced::Renderer>::update(
            &mut self.input,
            tree,
            event,
            layout,
            cursor,
            renderer,
            clipboard,
            shell,
            viewport,
        );
    }

    fn mouse_interaction(
        &self,
        tree: &Tree,
        layout: Layout<'_>,
        cursor: mouse::Cursor,
        viewport: &Rectangle,
        renderer: &iced::Renderer,
    ) -> mouse::Interaction {
        Widget::<Message, Theme, iced::Renderer>::mouse_interaction(
            &self.input,
            tree,
            layout,
            cursor,
            viewport,
            renderer,
        )
    }

    fn draw(
        &self,
        tree: &Tree,
        renderer: &mut iced::Renderer,
        theme: &Theme,
        _style: &renderer::Style,
        layout: Layout<'_>,
        _cursor: mouse::Cursor,
        viewport: &Rectangle,
    ) {
        use iced::advanced::Renderer as _;
        use iced::advanced::text::Renderer as _;

        let focused = tree
            .state
            .downcast_ref::<text_input::State<Paragraph>>()
            .is_focused();
        let c = colors(theme);
        let bounds = layout.bounds();
        // Narrower boxes where the field got less room than it asked for.
        #[expect(clippy::cast_precision_loss, reason = "at most MOST_BOXES")]
        let boxes = self.length as f32;
        let box_width = ((bounds.width - (boxes - 1.0) * GAP) / boxes).clamp(1.0, BOX_WIDTH);
        // The box the next character goes into (the last one when all are typed).
        let current = self.value.len().min(self.length - 1);
        for index in 0..self.length {
            #[expect(clippy::cast_precision_loss, reason = "at most MOST_BOXES")]
            let x = bounds.x + index as f32 * (box_width + GAP);
            let cell = Rectangle::new(Point::new(x, bounds.y), Size::new(box_width, bounds.height));
            let ringed = focused && self.editable && index == current;
            let (edge, width) = if ringed {
                (c.accent, 2.0)
            } else {
                (c.control_border, 1.0)
            };
            renderer.fill_quad(
                renderer::Quad {
                    bounds: cell,
                    border: Border {
                        color: edge,
                        width,
                        radius: radius::S.into(),
                    },
                    ..renderer::Quad::default()
                },
                Background::Color(if self.editable { c.surface } else { c.page }),
            );
            let Some(character) = self.value.get(index) else {
                continue;
            };
            renderer.fill_text(
                text::Text {
                    content: character.to_string(),
                    bounds: cell.size(),
                    size: Pixels(DIGIT_SIZE),
                    line_height: text::LineHeight::default(),
                    font: renderer.default_font(),
                    align_x: text::Alignment::Center,
                    align_y: alignment::Vertical::Center,
                    shaping: text::Shaping::Basic,
                    wrapping: text::Wrapping::None,
                },
                cell.center(),
                if self.editable { c.text } else { c.muted },
                *viewport,
            );
        }
    }
}

impl<'a, Message: Clone + 'a> From<CodeField<'a, Message>> for Element<'a, Message> {
    fn from(field: CodeField<'a, Message>) -> Self {
        Element::new(field)
    }
}

#[cfg(test)]
mod tests {
    use iced::advanced::widget::Id;
    use iced_test::simulator;

    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    enum Message {
        Typed(String),
        Submitted,
    }

    fn field(value: &str, editable: bool) -> Element<'_, Message> {
        code_field("code", "Code", value, 6, editable.then_some(Message::Typed))
            .on_submit(Message::Submitted)
            .into()
    }

    #[test]
    fn typing_goes_through_the_input_underneath() {
        let mut ui = simulator(field("", true));
        ui.click("Code")
            .expect("the input answers to its placeholder");
        ui.typewrite("4");
        ui.tap_key(iced::keyboard::key::Named::Enter);
        let messages: Vec<Message> = ui.into_messages().collect();
        assert_eq!(messages, [Message::Typed("4".into()), Message::Submitted]);
    }

    #[test]
    fn the_typed_value_and_the_id_are_the_inputs() {
        let mut ui = simulator(field("123", true));
        ui.find("123").expect("the value is the input's text");
        ui.find(Id::new("code")).expect("the input keeps its id");
    }

    #[test]
    fn a_read_only_field_takes_no_typing() {
        let mut ui = simulator(field("", false));
        ui.click("Code").expect("shown");
        ui.typewrite("4");
        assert_eq!(ui.into_messages().count(), 0);
    }
}
