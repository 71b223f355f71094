//! Serving the router over HTTP/1.1, plain or TLS, with the header timeout and the
//! connection caps. HTTP/2 is not offered: nothing in Godkend uses it, and hyper's
//! header-read timeout covers HTTP/1 only.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum_server::accept::DefaultAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};

use super::NetArgs;
use super::connection_cap::ConnectionCap;

/// Serves `app` on `listener` until `handle` shuts it down. `open_files` is the
/// open-file limit in force, which bounds the connection cap.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Option<RustlsConfig>,
    app: IntoMakeServiceWithConnectInfo<Router, SocketAddr>,
    handle: axum_server::Handle<SocketAddr>,
    args: &NetArgs,
    open_files: Option<u64>,
) -> std::io::Result<()> {
    let max_total = super::fd_limit::connection_cap(args.max_connections, open_files);
    if max_total < args.max_connections {
        tracing::warn!(
            max_connections = args.max_connections,
            open_file_limit = open_files,
            using = max_total,
            "the open-file limit allows fewer connections than --max-connections; raise \
             the hard limit (systemd LimitNOFILE=) to serve more"
        );
    }
    tracing::info!(
        max_connections = max_total,
        max_connections_per_client = args.max_connections_per_client,
        header_read_timeout = ?args.header_read_timeout,
        body_read_timeout = ?args.body_read_timeout,
        trusted_proxies = args.trusted_proxies.len(),
        "connection limits"
    );
    let cap = ConnectionCap::new(
        DefaultAcceptor::new(),
        max_total,
        args.max_connections_per_client,
        super::TrustedProxies::new(args.trusted_proxies.clone()),
    );
    let mut server = axum_server::from_tcp(listener)?
        .handle(handle)
        .http1_only()
        // Also bounds a TLS client that goes quiet after the handshake.
        .first_request_timeout(args.header_read_timeout);
    server
        .http_builder()
        .http1()
        .header_read_timeout(args.header_read_timeout);
    match tls {
        Some(config) => {
            server
                .acceptor(RustlsAcceptor::new(http1_alpn(&config)).acceptor(cap))
                .serve(app)
                .await
        }
        None => server.acceptor(cap).serve(app).await,
    }
}

/// The TLS config offering only HTTP/1.1 in ALPN (axum-server's default also offers h2).
fn http1_alpn(config: &RustlsConfig) -> RustlsConfig {
    let mut inner = (*config.get_inner()).clone();
    inner.alpn_protocols = vec![b"http/1.1".to_vec()];
    RustlsConfig::from_config(Arc::new(inner))
}
