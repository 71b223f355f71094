//! End-to-end tests of the real server binary on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[macro_use]
mod common;
mod activation;
mod admin;
mod approval;
mod browser;
mod connection;
mod device_lifecycle;
mod devices;
mod key_rotation;
mod openapi;
mod outbox;
mod robustness;
mod uv_key;
mod webhook;
