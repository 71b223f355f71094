//! End-to-end tests of the real server binary on SQLite and PostgreSQL.

#[macro_use]
mod common;
mod activation;
mod approval;
mod devices;
mod robustness;
