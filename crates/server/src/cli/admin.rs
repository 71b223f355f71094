//! The admin commands: users, relying parties, activation codes, devices, audit, key.
//! They work on the same database as the running server (SQLite in WAL mode or
//! PostgreSQL); events they write (a revocation) reach devices through the
//! server's event pump.

use std::path::Path;

use anyhow::{Context as _, bail};
use godkend_protocol::{Serial, problem::Problem};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use serde_json::json;

use super::output::{print, time};
use super::serve::open_service;
use super::{ActivationCommand, Cli, Command, DeviceCommand, KeyCommand, RpCommand, UserCommand};
use crate::service::{Service, ServiceError, now, random_id};
use crate::store::{AuditEntry, AuditEvent};

const ADMIN: &str = "admin:cli";

fn public_url(cli: &Cli) -> anyhow::Result<url::Url> {
    Ok(match &cli.public_url {
        Some(url) => url.clone(),
        None => url::Url::parse("http://127.0.0.1:8420")?,
    })
}

/// Service errors as one readable line.
fn plain(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Problem(p) => anyhow::Error::msg(problem_line(&p)),
        other => anyhow::Error::new(other),
    }
}

fn problem_line(p: &Problem) -> String {
    p.to_string()
}

pub async fn run(cli: &Cli, data_dir: &Path, command: &Command) -> anyhow::Result<()> {
    if let Command::Key(KeyCommand::Rotate) = command {
        let keys = crate::server_key::ServerKeys::rotate(&crate::config::key_file(data_dir))?;
        let out = json!({"server_kid": keys.kid(), "public_key": keys.public().to_b64()});
        print(cli.json, &out, |_| {
            format!(
                "now signing with key {}; restart every node with the new key file",
                keys.kid()
            )
        });
        return Ok(());
    }
    let mut service = open_service(cli, data_dir, public_url(cli)?).await?;
    let json = cli.json;
    match command {
        Command::User(c) => user(&service, json, c).await?,
        Command::Rp(c) => rp(&service, json, c).await?,
        Command::Activation(ActivationCommand::Create { user, ttl }) => {
            service.settings.activation_ttl_seconds = i64::try_from(ttl.as_secs()).unwrap_or(900);
            activation(&service, json, user).await?;
        }
        Command::Device(c) => device(&service, json, c).await?,
        Command::Audit { since } => audit(&service, json, since.as_deref()).await?,
        Command::Key(KeyCommand::Show) => {
            let out = json!({"server_kid": service.keys.kid(), "public_key": service.keys.public().to_b64()});
            print(json, &out, |o| {
                format!(
                    "key id     {}\npublic key {}",
                    o["server_kid"], o["public_key"]
                )
                .replace('"', "")
            });
        }
        Command::Key(KeyCommand::Rotate) | Command::Serve(_) => {
            unreachable!("handled by the caller")
        }
    }
    service.store.close().await;
    Ok(())
}

async fn user(service: &Service, json: bool, command: &UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { user, name } => {
            check_id("user", user)?;
            let name = name.clone().unwrap_or_else(|| user.clone());
            if !service.store.add_user(user, &name, now()).await? {
                bail!("user `{user}` already exists");
            }
            service
                .store
                .audit(&AuditEntry::new(AuditEvent::UserAdded, ADMIN, now()).user(user))
                .await?;
            print(json, &json!({"user": user, "name": name}), |_| {
                format!("added user {user}")
            });
        }
        UserCommand::List => {
            let users = service.store.users().await?;
            let out: Vec<_> = users
                .iter()
                .map(|u| json!({"user": u.id, "name": u.display_name, "created_at": u.created_at}))
                .collect();
            print(json, &out, |_| {
                users
                    .iter()
                    .map(|u| format!("{:<24} {:<24} {}", u.id, u.display_name, time(u.created_at)))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        UserCommand::Remove { user } => {
            for device in service.store.devices(Some(user)).await? {
                service
                    .revoke_device(&device, ADMIN, "user removed")
                    .await
                    .map_err(plain)?;
            }
            if !service.store.remove_user(user).await? {
                bail!("no user `{user}`");
            }
            service
                .store
                .audit(&AuditEntry::new(AuditEvent::UserRemoved, ADMIN, now()).user(user))
                .await?;
            print(json, &json!({"removed": user}), |_| {
                format!("removed user {user} and revoked their devices")
            });
        }
    }
    Ok(())
}

async fn rp(service: &Service, json: bool, command: &RpCommand) -> anyhow::Result<()> {
    match command {
        RpCommand::Add { rp_id, name } => {
            check_id("relying party", rp_id)?;
            let api_key = format!("gk_{}", random_id(""));
            let hash = crate::api::extract::api_key_hash(&api_key);
            if !service.store.add_rp(rp_id, name, &hash, now()).await? {
                bail!("relying party `{rp_id}` already exists");
            }
            service
                .store
                .audit(&AuditEntry::new(AuditEvent::RpAdded, ADMIN, now()).detail(rp_id.clone()))
                .await?;
            let out = json!({"rp_id": rp_id, "name": name, "api_key": api_key});
            print(json, &out, |_| {
                format!(
                    "added relying party {rp_id} ({name})\nAPI key (shown once, store it now): {api_key}"
                )
            });
        }
        RpCommand::List => {
            let rps = service.store.rps().await?;
            let out: Vec<_> = rps
                .iter()
                .map(|r| json!({"rp_id": r.id, "name": r.name, "created_at": r.created_at}))
                .collect();
            print(json, &out, |_| {
                rps.iter()
                    .map(|r| format!("{:<24} {:<32} {}", r.id, r.name, time(r.created_at)))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        RpCommand::Remove { rp_id } => {
            if !service.store.remove_rp(rp_id).await? {
                bail!("no relying party `{rp_id}`");
            }
            service
                .store
                .audit(&AuditEntry::new(AuditEvent::RpRemoved, ADMIN, now()).detail(rp_id.clone()))
                .await?;
            print(json, &json!({"removed": rp_id}), |_| {
                format!("removed relying party {rp_id}")
            });
        }
    }
    Ok(())
}

async fn activation(service: &Service, json: bool, user: &str) -> anyhow::Result<()> {
    let created = service
        .create_activation(user, ADMIN)
        .await
        .map_err(plain)?;
    print(json, &created, |a| {
        let qr = QrCode::new(a.link.as_bytes())
            .map(|q| q.render::<Dense1x2>().quiet_zone(true).build())
            .unwrap_or_default();
        format!(
            "activation code for {}: {}\nexpires: {}\nserver key: {}\nlink: {}\n{qr}",
            a.user,
            a.code,
            time(a.expires_at),
            a.server_kid,
            a.link
        )
    });
    Ok(())
}

async fn device(service: &Service, json: bool, command: &DeviceCommand) -> anyhow::Result<()> {
    match command {
        DeviceCommand::List { user } => {
            let devices = service.store.devices(user.as_deref()).await?;
            let out: Vec<_> = devices
                .iter()
                .map(|d| {
                    json!({"serial": d.serial, "user": d.user_id, "name": d.name, "status": d.status,
                           "device_id": d.id, "created_at": d.created_at, "last_seen_at": d.last_seen_at})
                })
                .collect();
            print(json, &out, |_| {
                devices
                    .iter()
                    .map(|d| {
                        format!(
                            "{}  {:<16} {:<8} {:<24} {}",
                            d.serial,
                            d.user_id,
                            d.status,
                            d.name,
                            time(d.created_at)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        DeviceCommand::Revoke { serial } => {
            let serial = Serial::parse(serial).context("not a serial number")?;
            let Some(device) = service.store.device_by_serial(serial.as_str()).await? else {
                bail!("no device with serial {serial}");
            };
            let changed = service
                .revoke_device(&device, ADMIN, "revoked by an administrator")
                .await
                .map_err(plain)?;
            let out = json!({"serial": serial.as_str(), "revoked": true, "changed": changed});
            print(json, &out, |_| {
                if changed {
                    format!("revoked {serial}; the device is told and wipes itself")
                } else {
                    format!("{serial} was already {}", device.status)
                }
            });
        }
    }
    Ok(())
}

async fn audit(service: &Service, json: bool, since: Option<&str>) -> anyhow::Result<()> {
    let since = match since {
        None => 0,
        Some(text) => parse_since(text)?,
    };
    let entries = service.store.audit_since(since).await?;
    print(json, &entries, |entries| {
        entries
            .iter()
            .map(|e| {
                format!(
                    "{}  {:<20} {:<28} user={} device={} ip={} {}",
                    time(e.at),
                    e.event,
                    e.actor,
                    e.user_id.as_deref().unwrap_or("-"),
                    e.device_id.as_deref().unwrap_or("-"),
                    e.ip.as_deref().unwrap_or("-"),
                    e.detail.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

/// Unix seconds, or an age such as `30m`, `12h`, `7d`.
fn parse_since(text: &str) -> anyhow::Result<i64> {
    if let Ok(unix) = text.parse::<i64>() {
        return Ok(unix);
    }
    let age = humantime::parse_duration(text).with_context(|| {
        format!("--since takes Unix seconds or an age like 12h or 7d, not `{text}`")
    })?;
    Ok(now() - i64::try_from(age.as_secs()).unwrap_or(i64::MAX))
}

/// Ids are shown in links and logs: keep them printable and short.
fn check_id(what: &str, id: &str) -> anyhow::Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@._-+".contains(c));
    if !ok {
        bail!("a {what} id is 1 to 128 characters of letters, digits and @ . _ - +");
    }
    Ok(())
}
