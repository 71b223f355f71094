//! The admin commands: users, relying parties, activation codes, devices, audit, key.
//! They call the same service functions as the admin HTTP API, on the same database
//! as the running server (SQLite in WAL mode or PostgreSQL); events they write (a
//! revocation) reach devices through the server's event pump.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use serde_json::json;

use super::output::{clean, clean_or_dash, print, time};
use super::serve::open_service;
use super::{ActivationCommand, Cli, Command, DeviceCommand, KeyCommand, RpCommand, UserCommand};
use crate::service::{Service, ServiceError, now};

const ADMIN: &str = "admin:cli";

fn public_url(cli: &Cli) -> anyhow::Result<url::Url> {
    if let Some(url) = &cli.public_url {
        return Ok(url.clone());
    }
    if matches!(cli.command, Command::Activation(_)) {
        eprintln!(
            "note: the link names http://127.0.0.1:8420; pass --public-url (or set \
             GODKEND_PUBLIC_URL) to the address apps reach the server at"
        );
    }
    Ok(url::Url::parse("http://127.0.0.1:8420")?)
}

/// Service errors as one readable line (escaped: a message may quote stored text).
fn plain(e: ServiceError) -> anyhow::Error {
    match e {
        ServiceError::Problem(p) => anyhow::Error::msg(clean(&p.to_string()).into_owned()),
        other => anyhow::Error::new(other),
    }
}

fn lines<T>(items: &[T], line: impl Fn(&T) -> String) -> String {
    items.iter().map(line).collect::<Vec<_>>().join("\n")
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
    if let Command::Key(KeyCommand::Retire) = command {
        let (keys, retired) =
            crate::server_key::ServerKeys::retire(&crate::config::key_file(data_dir))?;
        let out = json!({"server_kid": keys.kid(), "retired": retired});
        print(cli.json, &out, |_| {
            format!(
                "dropped the private halves of {retired} old key(s); their rotation \
                 statements stay, and key {} signs",
                keys.kid()
            )
        });
        return Ok(());
    }
    let mut service = open_service(cli, data_dir, public_url(cli)?, false).await?;
    let result = dispatch(&mut service, cli.json, command).await;
    service.store.close().await;
    result
}

async fn dispatch(service: &mut Service, json: bool, command: &Command) -> anyhow::Result<()> {
    match command {
        Command::User(c) => user(service, json, c).await,
        Command::Rp(c) => rp(service, json, c).await,
        Command::Activation(ActivationCommand::Create { user, ttl }) => {
            service.settings.activation_ttl_seconds = i64::try_from(ttl.as_secs()).unwrap_or(900);
            activation(service, json, user).await
        }
        Command::Device(c) => device(service, json, c).await,
        Command::Audit { since } => audit(service, json, since.as_deref()).await,
        Command::Key(KeyCommand::Show) => {
            let (kid, key) = (service.keys.kid(), service.keys.public().to_b64());
            print(json, &json!({"server_kid": kid, "public_key": key}), |_| {
                format!("key id     {kid}\npublic key {key}")
            });
            Ok(())
        }
        Command::Key(KeyCommand::Rotate | KeyCommand::Retire)
        | Command::Serve(_)
        | Command::Backup { .. } => {
            unreachable!("handled by the caller")
        }
    }
}

async fn user(service: &Service, json: bool, command: &UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { user, name } => {
            let added = service
                .add_user(user, name.as_deref(), ADMIN)
                .await
                .map_err(plain)?;
            print(json, &added, |u| format!("added user {}", clean(&u.user)));
        }
        UserCommand::List => {
            let users = service.list_users().await.map_err(plain)?;
            print(json, &users, |users| {
                lines(users, |u| {
                    format!(
                        "{:<24} {:<24} {}",
                        clean(&u.user),
                        clean(&u.name),
                        time(u.created_at)
                    )
                })
            });
        }
        UserCommand::Remove { user } => {
            service.remove_user(user, ADMIN).await.map_err(plain)?;
            print(json, &json!({"removed": user}), |_| {
                format!("removed user {} and revoked their devices", clean(user))
            });
        }
    }
    Ok(())
}

async fn rp(service: &Service, json: bool, command: &RpCommand) -> anyhow::Result<()> {
    match command {
        RpCommand::Add {
            rp_id,
            name,
            origins,
        } => {
            // An RP name is at most 80 characters; an id may have up to 128.
            let default_name: String = rp_id.chars().take(80).collect();
            let name = name.as_deref().unwrap_or(&default_name);
            let added = service
                .add_rp(rp_id, name, origins, ADMIN)
                .await
                .map_err(plain)?;
            print(json, &added, |r| {
                format!(
                    "added relying party {} ({}){}\nAPI key (shown once, store it now): {}",
                    clean(&r.rp_id),
                    clean(&r.name),
                    origins_text(&r.origins),
                    r.api_key
                )
            });
        }
        RpCommand::Update {
            rp_id,
            origins,
            no_origins,
        } => {
            let none = Vec::new();
            let origins = if *no_origins { &none } else { origins };
            let rp = service
                .set_rp_origins(rp_id, origins, ADMIN)
                .await
                .map_err(plain)?;
            print(json, &rp, |r| {
                format!(
                    "relying party {}{}",
                    clean(&r.rp_id),
                    origins_text(&r.origins)
                )
            });
        }
        RpCommand::RotateKey { rp_id, overlap } => {
            let rotated = service
                .rotate_rp_key(rp_id, *overlap, ADMIN)
                .await
                .map_err(plain)?;
            print(json, &rotated, |r| {
                let previous = r.previous_key_valid_until.map_or_else(
                    || "the old key stopped working now".to_owned(),
                    |t| {
                        format!(
                            "the old key keeps working until {}, then is refused",
                            time(t)
                        )
                    },
                );
                format!(
                    "new API key for {} (shown once, store it now): {}\n{previous}",
                    clean(&r.rp_id),
                    r.api_key
                )
            });
        }
        RpCommand::List => {
            let rps = service.list_rps().await.map_err(plain)?;
            print(json, &rps, |rps| {
                lines(rps, |r| {
                    format!(
                        "{:<24} {:<32} {} {}{}",
                        clean(&r.rp_id),
                        clean(&r.name),
                        time(r.created_at),
                        r.origins
                            .iter()
                            .map(String::as_str)
                            .map(clean)
                            .collect::<Vec<_>>()
                            .join(" "),
                        r.previous_key_valid_until
                            .map(|t| format!(" (previous key works until {})", time(t)))
                            .unwrap_or_default()
                    )
                })
            });
        }
        RpCommand::Remove { rp_id } => {
            service.remove_rp(rp_id, ADMIN).await.map_err(plain)?;
            print(json, &json!({"removed": rp_id}), |_| {
                format!("removed relying party {}", clean(rp_id))
            });
        }
    }
    Ok(())
}

/// ", origins a b" for a relying party's origins, or a note that it has none. An
/// `http` origin other than loopback gets a warning: anyone on the network path can
/// change such a page, so the browser's word for it is worth little.
fn origins_text(origins: &[String]) -> String {
    if origins.is_empty() {
        return ", no origins: its requests cannot be origin-bound".into();
    }
    let mut text = format!(
        ", origins {}",
        origins
            .iter()
            .map(String::as_str)
            .map(clean)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for origin in origins {
        let loopback = url::Url::parse(origin)
            .ok()
            .and_then(|u| u.host_str().map(godkend_protocol::rules::is_loopback_host))
            .unwrap_or(false);
        if origin.starts_with("http:") && !loopback {
            let _ = write!(
                text,
                "\nwarning: {} is plain http: a network attacker can change that page, so a \
                 hand-off from it proves little; use https",
                clean(origin)
            );
        }
    }
    text
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
            clean(&a.user),
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
            let devices = service.list_devices(user.as_deref()).await.map_err(plain)?;
            print(json, &devices, |devices| {
                lines(devices, |d| {
                    format!(
                        "{}  {:<16} {:<8} {:<24} {}",
                        clean(&d.serial),
                        clean(&d.user),
                        clean(&d.status),
                        clean(&d.name),
                        time(d.created_at)
                    )
                })
            });
        }
        DeviceCommand::Revoke { serial } => {
            let revoked = service.revoke_serial(serial, ADMIN).await.map_err(plain)?;
            print(json, &revoked, |r| {
                if r.changed {
                    format!(
                        "revoked {}; the device is told and wipes itself",
                        clean(&r.serial)
                    )
                } else {
                    format!(
                        "{} was already {}",
                        clean(&r.serial),
                        clean(&r.status_before)
                    )
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
        lines(entries, |e| {
            format!(
                "{}  {:<20} {:<28} user={} device={} ip={} {}",
                time(e.at),
                clean(&e.event),
                clean(&e.actor),
                clean_or_dash(e.user_id.as_deref()),
                clean_or_dash(e.device_id.as_deref()),
                clean_or_dash(e.ip.as_deref()),
                clean(e.detail.as_deref().unwrap_or(""))
            )
        })
    });
    Ok(())
}

/// Unix seconds, or an age such as `30m`, `12h`, `7d`.
pub fn parse_since(text: &str) -> anyhow::Result<i64> {
    if let Ok(unix) = text.parse::<i64>() {
        return Ok(unix);
    }
    let age = humantime::parse_duration(text).with_context(|| {
        format!("--since takes Unix seconds or an age like 12h or 7d, not `{text}`")
    })?;
    Ok(now() - i64::try_from(age.as_secs()).unwrap_or(i64::MAX))
}
