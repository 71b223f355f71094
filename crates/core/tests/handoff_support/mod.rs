//! What the hand-off tests share: a listener on a free port, and raw HTTP/1.1
//! exchanges, so a test can send exactly the bytes a browser (or an attacker) would.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::time::Duration;

use godkend_core::handoff::{HandoffConfig, HandoffListener, Limits};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A listener on a free loopback port with these limits.
pub async fn start(limits: Limits) -> HandoffListener {
    let config = HandoffConfig {
        ports: vec![0],
        limits,
        allow_unchecked: false,
    };
    HandoffListener::start(config)
        .await
        .expect("the listener starts")
}

/// One request, as a browser's `fetch` of godkend.js sends it, with any part changed.
#[derive(Debug, Clone)]
pub struct HandoffRequest {
    pub method: &'static str,
    pub path: &'static str,
    pub host: Option<String>,
    pub origin: Option<String>,
    pub content_type: &'static str,
    pub body: String,
    pub chunked: bool,
}

impl HandoffRequest {
    /// A well-formed hand-off of `request_id` from the page at `origin`.
    pub fn new(port: u16, request_id: &str, origin: &str) -> HandoffRequest {
        HandoffRequest {
            method: "POST",
            path: "/v1/handoff",
            host: Some(format!("127.0.0.1:{port}")),
            origin: Some(origin.to_owned()),
            content_type: "text/plain;charset=UTF-8",
            body: request_id.to_owned(),
            chunked: false,
        }
    }

    /// The bytes on the wire.
    pub fn raw(&self) -> String {
        let mut lines = vec![format!("{} {} HTTP/1.1", self.method, self.path)];
        if let Some(host) = &self.host {
            lines.push(format!("Host: {host}"));
        }
        if let Some(origin) = &self.origin {
            lines.push(format!("Origin: {origin}"));
        }
        lines.push(format!("Content-Type: {}", self.content_type));
        lines.push("Sec-Fetch-Site: cross-site".to_owned());
        lines.push("Connection: close".to_owned());
        let body = if self.chunked {
            lines.push("Transfer-Encoding: chunked".to_owned());
            let mut chunks = String::new();
            for chunk in self.body.as_bytes().chunks(100) {
                let text = String::from_utf8_lossy(chunk);
                write!(chunks, "{:x}\r\n{text}\r\n", chunk.len()).unwrap();
            }
            chunks + "0\r\n\r\n"
        } else {
            lines.push(format!("Content-Length: {}", self.body.len()));
            self.body.clone()
        };
        lines.join("\r\n") + "\r\n\r\n" + &body
    }
}

/// The listener's answer.
#[derive(Debug)]
pub struct Exchange {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Exchange {
    /// The value of header `name` (lower case), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends `raw` and reads the whole answer; panics when there is none.
pub async fn exchange(port: u16, raw: &str) -> Exchange {
    try_exchange(port, raw)
        .await
        .unwrap_or_else(|| panic!("no answer to {raw:?}"))
}

/// Sends `raw` and reads the whole answer; `None` when the connection was closed
/// without one.
pub async fn try_exchange(port: u16, raw: &str) -> Option<Exchange> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    // The listener may close before reading everything (a refusal, a full house).
    let _ = stream.write_all(raw.as_bytes()).await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .ok()?
        .ok()?;
    parse(&String::from_utf8_lossy(&answer))
}

fn parse(answer: &str) -> Option<Exchange> {
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some(Exchange {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    })
}
