//! Connection caps at accept time: a total for the node, so descriptors never run
//! out, and one per client address, so one host cannot hold them all. A refused
//! connection is closed at once, before TLS or HTTP cost anything.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum_server::accept::Accept;
use futures::future::{Either, Ready, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::TrustedProxies;

/// The open connections, counted in total and by client.
#[derive(Debug)]
struct Counts {
    max_total: usize,
    max_per_client: usize,
    trusted: TrustedProxies,
    open: Mutex<Open>,
    /// When a refusal was last logged (Unix seconds), to log a flood once a minute.
    last_warning: AtomicI64,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Total,
    PerClient,
}

impl Refusal {
    fn as_str(self) -> &'static str {
        match self {
            Refusal::Total => "total",
            Refusal::PerClient => "per_client",
        }
    }
}

/// The client key: the address, or its /64 for IPv6 (one host usually has a whole
/// /64, so per-address counting would not bound it).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 @ IpAddr::V4(_) => v4,
    }
}

impl Counts {
    fn take(self: &Arc<Self>, peer: IpAddr) -> Result<Slot, Refusal> {
        let client = (!self.trusted.contains(peer)).then(|| client_key(peer));
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.total >= self.max_total {
            return Err(Refusal::Total);
        }
        if let Some(client) = client {
            let count = open.by_client.entry(client).or_insert(0);
            if *count >= self.max_per_client {
                return Err(Refusal::PerClient);
            }
            *count += 1;
        }
        open.total += 1;
        Ok(Slot {
            counts: self.clone(),
            client,
        })
    }

    fn refused(&self, why: Refusal, peer: IpAddr) {
        metrics::counter!("godkend_connections_refused_total", "cap" => why.as_str()).increment(1);
        let now = crate::service::now();
        let last = self.last_warning.load(Ordering::Relaxed);
        if now - last >= 60
            && self
                .last_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                cap = why.as_str(),
                %peer,
                max_connections = self.max_total,
                max_connections_per_client = self.max_per_client,
                "refusing connections over the cap (logged once a minute; see \
                 godkend_connections_refused_total)"
            );
        }
    }
}

/// One counted connection; dropping it (the connection closed) frees the place.
#[derive(Debug)]
pub struct Slot {
    counts: Arc<Counts>,
    client: Option<IpAddr>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .counts
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(client) = self.client
            && let Some(count) = open.by_client.get_mut(&client)
        {
            *count -= 1;
            if *count == 0 {
                open.by_client.remove(&client);
            }
        }
    }
}

/// An acceptor that counts connections before handing them to `inner` (plain HTTP
/// or the TLS handshake).
#[derive(Debug, Clone)]
pub struct ConnectionCap<A> {
    inner: A,
    counts: Arc<Counts>,
}

impl<A> ConnectionCap<A> {
    pub fn new(inner: A, max_total: usize, max_per_client: usize, trusted: TrustedProxies) -> Self {
        ConnectionCap {
            inner,
            counts: Arc::new(Counts {
                max_total,
                max_per_client,
                trusted,
                open: Mutex::default(),
                last_warning: AtomicI64::new(0),
            }),
        }
    }
}

impl<A, S> Accept<TcpStream, S> for ConnectionCap<A>
where
    A: Accept<Counted<TcpStream>, S>,
{
    type Stream = A::Stream;
    type Service = A::Service;
    type Future = Either<Ready<io::Result<(A::Stream, A::Service)>>, A::Future>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let peer = match stream.peer_addr() {
            Ok(addr) => addr.ip(),
            Err(e) => return Either::Left(ready(Err(e))),
        };
        match self.counts.take(peer) {
            Ok(slot) => Either::Right(self.inner.accept(
                Counted {
                    stream,
                    _slot: slot,
                },
                service,
            )),
            Err(why) => {
                self.counts.refused(why, peer);
                Either::Left(ready(Err(io::Error::other("over the connection cap"))))
            }
        }
    }
}

/// A connection that frees its place in the count when it closes.
#[derive(Debug)]
pub struct Counted<S> {
    stream: S,
    _slot: Slot,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(total: usize, per_client: usize, trusted: &[&str]) -> Arc<Counts> {
        ConnectionCap::new(
            (),
            total,
            per_client,
            TrustedProxies::new(trusted.iter().map(|n| n.parse().unwrap()).collect()),
        )
        .counts
    }

    #[test]
    fn per_client_cap_counts_an_ipv6_64_as_one_client() {
        let c = counts(100, 2, &[]);
        let a = c.take("2001:db8::1".parse().unwrap()).unwrap();
        let _b = c.take("2001:db8::2".parse().unwrap()).unwrap();
        assert!(c.take("2001:db8::3".parse().unwrap()).is_err());
        assert!(c.take("2001:db8:0:1::3".parse().unwrap()).is_ok());
        drop(a);
        assert!(c.take("2001:db8::3".parse().unwrap()).is_ok());
    }

    #[test]
    fn trusted_proxies_skip_the_per_client_cap_but_not_the_total() {
        let c = counts(3, 1, &["10.0.0.1/32"]);
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let _slots: Vec<Slot> = (0..3).map(|_| c.take(proxy).unwrap()).collect();
        assert!(matches!(c.take(proxy), Err(Refusal::Total)));
    }
}
