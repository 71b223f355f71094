//! The push stream's bytes before the SSE parser sees them: UTF-8 only, and no event
//! longer than [`MAX_EVENT_BYTES`].
//!
//! eventsource-stream 0.2 keeps every byte after an invalid UTF-8 sequence, and every
//! byte of a line or an event that does not end, until the stream ends: a server, or
//! anything between it and the app, could grow the app's memory without bound. Either
//! fault ends the stream after an error: the app shows a warning, and reconnects after
//! its back-off. Whatever came before the fault still counts.
//!
//! The parser is handed whole lines only (the unfinished one waits here): it scans
//! its whole unfinished line again for every chunk, so a line sent a byte at a time
//! would cost time growing with the square of its length.

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
    /// The line not ended yet (valid UTF-8, within the bound).
    line: Vec<u8>,
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
            line: Vec::new(),
            event_bytes: 0,
            line_start: true,
            after_cr: false,
        }
    }

    /// The whole lines that `chunk` completes, or the fault that stops the stream
    /// with everything valid before it (the parser drops an unfinished line).
    fn pass(&mut self, chunk: &[u8]) -> Result<Vec<u8>, (Vec<u8>, StreamFault)> {
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
        let ended = bytes
            .iter()
            .rposition(|&b| b == b'\n' || b == b'\r')
            .map_or(0, |at| at + 1);
        let Some(fault) = fault else {
            if ended == 0 {
                // No line ended: only appended to, not copied again (see the module doc).
                self.line.extend_from_slice(&bytes);
                return Ok(Vec::new());
            }
            let mut lines = std::mem::take(&mut self.line);
            lines.extend_from_slice(&bytes[..ended]);
            self.line.extend_from_slice(&bytes[ended..]);
            return Ok(lines);
        };
        // At a fault, all of it goes: the parser needs the byte after a final CR to
        // end that line (it may be a CRLF), and it drops an unfinished line itself.
        let mut valid = std::mem::take(&mut self.line);
        valid.extend_from_slice(&bytes);
        Err((valid, fault))
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

    /// The stream ended: the unfinished line goes on as it is (the parser decides
    /// what it means), and a UTF-8 sequence left unfinished is a fault after it.
    fn finish(&mut self) -> Result<Vec<u8>, (Vec<u8>, StreamFault)> {
        let rest = std::mem::take(&mut self.line);
        if self.tail.is_empty() {
            Ok(rest)
        } else {
            Err((rest, StreamFault::NotUtf8))
        }
    }
}

/// Where the guarded stream is.
enum Step<S> {
    /// Reading the body.
    Reading(std::pin::Pin<Box<S>>, Guard),
    /// The lines before the fault went on: the fault is left to say.
    Failed(StreamFault),
}

/// `body` with its bytes checked: what is valid goes on unchanged, in whole lines
/// (a UTF-8 sequence split over two chunks joined), then the fault, if any, as the
/// last item.
pub fn guarded<S, E>(body: S) -> impl Stream<Item = Result<Vec<u8>, GuardedError<E>>>
where
    S: Stream<Item = Result<Vec<u8>, E>>,
{
    let start = Step::Reading(Box::pin(body), Guard::new());
    futures::stream::unfold(Some(start), |step| async move {
        let (mut body, mut guard) = match step? {
            Step::Reading(body, guard) => (body, guard),
            Step::Failed(fault) => return Some((Err(GuardedError::Fault(fault)), None)),
        };
        loop {
            let chunk = match body.next().await {
                None => {
                    return match guard.finish() {
                        Ok(rest) if rest.is_empty() => None,
                        Ok(rest) => Some((Ok(rest), None)),
                        Err((rest, fault)) => Some(failed(rest, fault)),
                    };
                }
                Some(Err(e)) => {
                    let next = Step::Reading(body, guard);
                    return Some((Err(GuardedError::Transport(e)), Some(next)));
                }
                Some(Ok(chunk)) => chunk,
            };
            match guard.pass(&chunk) {
                Ok(lines) if lines.is_empty() => {}
                Ok(lines) => return Some((Ok(lines), Some(Step::Reading(body, guard)))),
                Err((valid, fault)) => return Some(failed(valid, fault)),
            }
        }
    })
}

/// The guarded stream's last items: what was valid before `fault`, then the fault.
#[expect(
    clippy::type_complexity,
    reason = "the item and state of the unfold above"
)]
fn failed<S, E>(
    valid: Vec<u8>,
    fault: StreamFault,
) -> (Result<Vec<u8>, GuardedError<E>>, Option<Step<S>>) {
    if valid.is_empty() {
        (Err(GuardedError::Fault(fault)), None)
    } else {
        (Ok(valid), Some(Step::Failed(fault)))
    }
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
            run(&[b"data: x\n", b"data: y", &euro[..2]]),
            (b"data: x\ndata: y".to_vec(), Some(StreamFault::NotUtf8))
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

    /// The parser rescans its unfinished line for every chunk: it gets whole lines.
    #[test]
    fn the_parser_is_handed_whole_lines_and_the_last_one_at_the_end() {
        let text = b"data: one\r\n\r\nevent: x\rdata: two";
        let body = futures::stream::iter(
            text.chunks(1)
                .map(|c| Ok::<_, Infallible>(c.to_vec()))
                .collect::<Vec<_>>(),
        );
        let items: Vec<Vec<u8>> = block_on(guarded(body).map(Result::unwrap).collect());
        let (last, lines) = items.split_last().unwrap();
        for line in lines {
            assert!(matches!(line.last(), Some(b'\n' | b'\r')), "{line:?}");
        }
        assert_eq!(last, b"data: two");
        assert_eq!(items.concat(), text);
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
