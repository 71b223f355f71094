//! End-to-end tests of the real server binary on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

#[macro_use]
mod common;
mod activation;
mod activation_abuse;
mod admin;
mod agent;
mod announce;
mod approval;
mod backup;
mod balancer;
mod browser;
mod concurrency;
mod connection;
mod crash;
mod data_hardening;
mod db_outage;
mod decision_crash;
mod device_lifecycle;
mod devices;
mod disk_full;
mod durability;
mod key_rotation;
mod net_hardening;
mod openapi;
mod origin_binding;
mod origin_browser;
mod origin_lna;
mod outbox;
mod outbox_retry;
mod path_params;
mod pin_race;
mod robustness;
mod rp_key_rotation;
mod rp_origins;
mod snippet;
mod uv_key;
mod webhook;
mod webhook_hardening;
