//! Where the server's log lines go: stderr, which an operator often redirects to a
//! file. A line that cannot be written (that file's disk is full, a closed pipe) is
//! dropped and counted (`godkend_log_lines_dropped_total` in `/metrics`), never an
//! error: tracing-subscriber would report the failed
//! write with `eprintln!`, which panics when stderr itself fails, and a panic in a
//! request handler closes its connection without an answer. Logging must never take
//! the service down.

use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

/// Makes [`LineWriter`]s on stderr.
#[derive(Debug, Clone, Copy, Default)]
pub struct DroppingStderr;

impl<'a> MakeWriter<'a> for DroppingStderr {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter
    }
}

/// Writes each formatted event whole to stderr, or drops it.
#[derive(Debug)]
pub struct LineWriter;

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The formatter hands over one whole event per call; it goes out whole or
        // not at all, as far as stderr lets us.
        if io::stderr().lock().write_all(buf).is_err() {
            crate::metrics::log_line_dropped();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().lock().flush();
        Ok(())
    }
}
