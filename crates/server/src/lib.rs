//! godkend-server: the open, self-hostable approval server. Relying parties create
//! approval requests; devices receive them over a signed push stream and answer with
//! signed decisions; relying parties get a server-signed result.

pub mod api;
pub mod cli;
pub mod code_seal;
pub mod config;
pub mod device_streams;
pub mod event_listener;
pub mod log_writer;
pub mod metrics;
pub mod net;
pub mod private_files;
pub mod push;
pub mod request_waiters;
pub mod server_key;
pub mod service;
pub mod store;
pub mod webhook;
