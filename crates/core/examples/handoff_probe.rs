//! Starts the browser hand-off listener on a free port, hands off a request to it
//! from this same process over loopback, and prints what the listener answered and
//! the request's binding. Exits 0 only when the hand-off verified the request, which
//! needs the peer-user check to find this process as the connection's owner. Built
//! for Windows and run under Wine, it checks the GetExtendedTcpTable and token path.

use std::process::ExitCode;

use godkend_core::handoff::{BindingState, HandoffConfig, HandoffListener, peer, sessions};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

const ORIGIN: &str = "https://shop.example";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = HandoffConfig {
        ports: vec![0],
        ..HandoffConfig::default()
    };
    let listener = match HandoffListener::start(config).await {
        Ok(listener) => listener,
        Err(e) => {
            println!("hand-off listener: not started: {e}");
            return ExitCode::FAILURE;
        }
    };
    let port = listener.port();
    listener.open_request("req_probe", &[ORIGIN.to_owned()]);
    let request = format!(
        "POST /v1/handoff HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {ORIGIN}\r\n\
         Content-Type: text/plain\r\nContent-Length: 9\r\nConnection: close\r\n\r\nreq_probe"
    );
    let mut answer = Vec::new();
    let exchanged = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.write_all(request.as_bytes()).await?;
        stream.read_to_end(&mut answer).await
    };
    if let Err(e) = exchanged.await {
        println!("hand-off: no answer: {e}");
        return ExitCode::FAILURE;
    }
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let state = listener.state("req_probe");
    println!("peer check: {}", if peer::SUPPORTED { "yes" } else { "no" });
    println!("sessions: {:?}", sessions::active().await);
    println!("hand-off: {status} {body}");
    println!("binding: {state:?}");
    if matches!(state, Some(BindingState::Verified(_))) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
