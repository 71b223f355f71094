//! A deadline on reading a request body: a client that sends its headers and then
//! trickles or stalls the body is cut off, and its connection closes (hyper closes a
//! connection whose request body was not read to the end).

use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use crate::service::SharedService;

/// Middleware: gives every request body the service's `body_read_timeout`.
pub async fn limit_body_read(
    State(service): State<SharedService>,
    request: Request,
    next: Next,
) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let deadline = Instant::now() + service.settings.net.body_read_timeout;
    next.run(request.map(|body| Body::new(DeadlineBody::new(body, deadline))))
        .await
}

/// The body was not complete in time.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within the body read timeout")]
pub struct BodyTimedOut;

/// A body that fails once its deadline passes.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
}

impl DeadlineBody {
    fn new(inner: Body, deadline: Instant) -> Self {
        DeadlineBody {
            inner,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }

    #[cfg(test)]
    fn timeout(inner: Body, after: std::time::Duration) -> Self {
        Self::new(inner, Instant::now() + after)
    }
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_stalled_body_fails_at_the_deadline() {
        let stalled =
            Body::from_stream(futures::stream::pending::<Result<Bytes, std::io::Error>>());
        let body = Body::new(DeadlineBody::timeout(stalled, Duration::from_millis(50)));
        let read = tokio::time::timeout(Duration::from_secs(5), axum::body::to_bytes(body, 1024))
            .await
            .expect("the deadline ends the read");
        assert!(read.is_err());
        let whole = Body::new(DeadlineBody::timeout(
            Body::from("hi"),
            Duration::from_secs(5),
        ));
        assert_eq!(axum::body::to_bytes(whole, 1024).await.unwrap(), "hi");
    }
}
