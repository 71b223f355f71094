//! The push stream's bytes before the SSE parser sees them: UTF-8 only, and no event
//! longer than [`MAX_EVENT_BYTES`].
//!
//! eventsource-stream 0.2 keeps every byte after an invalid UTF-8 sequence, and every
//! byte of a line or an event that does not end, until the stream ends: a server, or
//! anything between it and the app, could grow the app's memory without bound. Either
//! fault ends the stream after an error: the app shows a warning, and reconnects after
//! its back-off. Whatever came before the fault still counts.

use futures::{Stream, StreamExt as _};

/// The longest event the app reads, counted from the blank line that ended the one
/// before (field names and line breaks within it included). The server's events are a
/// few kilobytes: a signed approval request with its longest message and origins.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// Why the push stream was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamFault {
    #[error("the push stream is not UTF-8")]
    NotUtf8,
    #[error("a push event is longer than {MAX_EVENT_BYTES} bytes")]
    EventTooLarge,
}

/// An error of the guarded stream: the transport's, or a fault in what it carried.
#[derive(Debug, thiserror::Error)]
pub enum GuardedError<E> {
    #[error("{0}")]
    Transport(E),
    #[error(transparent)]
    Fault(StreamFault),
}

/// What the guard has seen so far.
#[derive(Debug)]
struct Guard {
    /// The start of a UTF-8 sequence that the next chunk completes.
    tail: Vec<u8>,
    /// Bytes of the current event, line breaks not counted.
    event_bytes: usize,
    /// The last byte ended a line (or nothing came yet).
    line_start: bool,
    /// The last byte was a CR, so a LF now belongs to the same line break.
    after_cr: bool,
}

impl Guard {
    fn new() -> Guard {
        Guard {
            tail: Vec::new(),
            event_bytes: 0,
            line_start: true,
            after_cr: false,
        }
    }

    /// The bytes of `chunk` that may go on, and the fault that stops the rest.
    fn pass(&mut self, chunk: &[u8]) -> (Vec<u8>, Option<StreamFault>) {
        let mut bytes = std::mem::take(&mut self.tail);
        bytes.extend_from_slice(chunk);
        let mut fault = None;
        if let Err(e) = std::str::from_utf8(&bytes) {
            let valid = e.valid_up_to();
            if e.error_len().is_some() {
                fault = Some(StreamFault::NotUtf8);
            } else {
                // A sequence cut by the chunk's end: kept for the next chunk.
                self.tail = bytes[valid..].to_vec();
            }
            bytes.truncate(valid);
        }
        if let Some(over) = bytes.iter().position(|&b| !self.count(b)) {
            bytes.truncate(over);
            fault = Some(StreamFault::EventTooLarge);
        }
        (bytes, fault)
    }

    /// Counts one byte; false once the current event is too long.
    fn count(&mut self, byte: u8) -> bool {
        if self.after_cr && byte == b'\n' {
            self.after_cr = false;
            return true;
        }
        self.after_cr = byte == b'\r';
        if byte == b'\r' || byte == b'\n' {
            if self.line_start {
                // A blank line: the event ended.
                self.event_bytes = 0;
            }
            self.line_start = true;
        } else {
            self.line_start = false;
            self.event_bytes += 1;
        }
        self.event_bytes <= MAX_EVENT_BYTES
    }

    /// The stream ended: a UTF-8 sequence it left unfinished is a fault.
    fn finish(&self) -> Option<StreamFault> {
        (!self.tail.is_empty()).then_some(StreamFault::NotUtf8)
    }
}

/// `body` with its bytes checked: what is valid goes on unchanged (cut where the chunks
/// were, a UTF-8 sequence split over two chunks joined), then the fault, if any, as the
/// last item.
pub fn guarded<S, E>(body: S) -> impl Stream<Item = Result<Vec<u8>, GuardedError<E>>>
where
    S: Stream<Item = Result<Vec<u8>, E>>,
{
    let start = (Box::pin(body), Guard::new(), None::<StreamFault>);
    futures::stream::unfold(Some(start), |state| async move {
        let (mut body, mut guard, fault) = state?;
        if let Some(fault) = fault {
            return Some((Err(GuardedError::Fault(fault)), None));
        }
        loop {
            let chunk = match body.next().await {
                None => {
                    return guard
                        .finish()
                        .map(|fault| (Err(GuardedError::Fault(fault)), None));
                }
                Some(Err(e)) => {
                    return Some((Err(GuardedError::Transport(e)), Some((body, guard, None))));
                }
                Some(Ok(chunk)) => chunk,
            };
            let (bytes, fault) = guard.pass(&chunk);
            if !bytes.is_empty() {
                return Some((Ok(bytes), Some((body, guard, fault))));
            }
            if let Some(fault) = fault {
                return Some((Err(GuardedError::Fault(fault)), None));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use futures::executor::block_on;

    use super::*;

    /// The guarded stream of `chunks`: the bytes that went on, and the fault (or
    /// none) it ended with.
    fn run(chunks: &[&[u8]]) -> (Vec<u8>, Option<StreamFault>) {
        let body = futures::stream::iter(
            chunks
                .iter()
                .map(|c| Ok::<_, Infallible>(c.to_vec()))
                .collect::<Vec<_>>(),
        );
        let items: Vec<_> = block_on(guarded(body).collect());
        let mut passed = Vec::new();
        let mut fault = None;
        for (i, item) in items.iter().enumerate() {
            match item {
                Ok(bytes) => passed.extend_from_slice(bytes),
                Err(GuardedError::Fault(f)) => {
                    assert_eq!(i, items.len() - 1, "the fault is the last item");
                    fault = Some(*f);
                }
                Err(GuardedError::Transport(never)) => match *never {},
            }
        }
        (passed, fault)
    }

    #[test]
    fn valid_text_passes_unchanged_however_it_is_cut() {
        let text = "event: request\ndata: {\"a\":\"æøå €\"}\r\n\r\n: beat\r\r".as_bytes();
        for cut in 0..=text.len() {
            let (a, b) = text.split_at(cut);
            assert_eq!(run(&[a, b]), (text.to_vec(), None), "cut at {cut}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(run(&bytes), (text.to_vec(), None));
    }

    #[test]
    fn an_invalid_byte_ends_the_stream_after_what_came_before() {
        let mut body = b"data: one\n\n".to_vec();
        body.push(0xFF);
        body.extend_from_slice(b"data: two\n\n");
        for cut in 0..=body.len() {
            let (a, b) = body.split_at(cut);
            assert_eq!(
                run(&[a, b, b"data: three\n\n"]),
                (b"data: one\n\n".to_vec(), Some(StreamFault::NotUtf8)),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_sequence_left_unfinished_at_the_end_is_a_fault() {
        let euro = "€".as_bytes();
        assert_eq!(
            run(&[b"data: x", &euro[..2]]),
            (b"data: x".to_vec(), Some(StreamFault::NotUtf8))
        );
    }

    #[test]
    fn an_endless_line_is_cut_at_the_bound() {
        let chunk = vec![b'a'; 1024];
        let chunks: Vec<&[u8]> = std::iter::repeat_n(chunk.as_slice(), 300).collect();
        let (passed, fault) = run(&chunks);
        assert_eq!(fault, Some(StreamFault::EventTooLarge));
        assert_eq!(passed.len(), MAX_EVENT_BYTES);
    }

    #[test]
    fn an_event_of_many_short_lines_is_bounded_too() {
        let line = format!("data: {}\n", "x".repeat(1000));
        let body = line.repeat(300);
        let (passed, fault) = run(&[body.as_bytes()]);
        assert_eq!(fault, Some(StreamFault::EventTooLarge));
        assert!(passed.len() < MAX_EVENT_BYTES + 300, "{}", passed.len());
    }

    #[test]
    fn many_events_within_the_bound_pass_whatever_their_sum() {
        for end in ["\n\n", "\r\n\r\n", "\r\r"] {
            let event = format!("data: {}{end}", "x".repeat(100 * 1024));
            let body = event.repeat(10);
            assert_eq!(
                run(&[body.as_bytes()]),
                (body.as_bytes().to_vec(), None),
                "{end:?}"
            );
        }
    }
}
