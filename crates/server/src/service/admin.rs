//! Administration, shared by the admin CLI and the admin HTTP API: users, relying
//! parties, devices and the audit log. Every change is audited with its actor.

use godkend_protocol::messages::admin::check_rp_name;
use godkend_protocol::{ErrorCode, Problem, Serial, ids};
use serde::{Deserialize, Serialize};

use super::{Service, ServiceError, now};
use crate::store::{AuditEntry, AuditEvent};

/// A user as listed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserInfo {
    pub user: String,
    pub name: String,
    pub created_at: i64,
}

/// A relying party as listed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RpInfo {
    pub rp_id: String,
    pub name: String,
    pub created_at: i64,
    /// Its web origins (ASCII serialisation), signed into each of its requests.
    pub origins: Vec<String>,
    /// Until when (Unix seconds) the API key its last rotation replaced still works;
    /// absent when no such key works any more.
    pub previous_key_valid_until: Option<i64>,
}

impl From<crate::store::RpRow> for RpInfo {
    fn from(r: crate::store::RpRow) -> Self {
        RpInfo {
            origins: r.origins(),
            previous_key_valid_until: r.previous_key_expires_at.filter(|&t| t > now()),
            rp_id: r.id,
            name: r.name,
            created_at: r.created_at,
        }
    }
}

/// A new relying party with its API key, shown once.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewRp {
    pub rp_id: String,
    pub name: String,
    pub api_key: String,
    pub origins: Vec<String>,
}

/// A device as listed for an administrator.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceInfo {
    pub serial: String,
    pub user: String,
    pub name: String,
    pub status: String,
    pub device_id: String,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
}

/// The outcome of a revocation.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Revoked {
    pub serial: String,
    pub revoked: bool,
    /// `false` when the device was already revoked or blocked.
    pub changed: bool,
    pub status_before: String,
}

/// A relying party's origins as stored: each in its ASCII serialisation, no
/// duplicates; anything that is not an origin is refused with the reason.
fn checked_origins(origins: &[String]) -> Result<Vec<String>, Box<Problem>> {
    godkend_protocol::origin::normalise_origins(origins).map_err(|why| {
        Box::new(Problem::new(ErrorCode::BadRequest, "invalid origin").with_detail(why))
    })
}

/// SHA-256 of an API key, as stored: a stolen database holds no usable key.
pub fn api_key_hash(key: &str) -> String {
    godkend_protocol::b64::sha256_b64(key.as_bytes())
}

impl Service {
    pub async fn add_user(
        &self,
        user: &str,
        name: Option<&str>,
        actor: &str,
    ) -> Result<UserInfo, ServiceError> {
        ids::check_user(user)?;
        let name = name.unwrap_or(user).to_owned();
        let now = now();
        if !self.store.add_user(user, &name, now).await? {
            return Err(Problem::new(
                ErrorCode::UserExists,
                format!("user `{user}` already exists"),
            )
            .into());
        }
        self.store
            .audit(&AuditEntry::new(AuditEvent::UserAdded, actor, now).user(user))
            .await?;
        Ok(UserInfo {
            user: user.into(),
            name,
            created_at: now,
        })
    }

    pub async fn list_users(&self) -> Result<Vec<UserInfo>, ServiceError> {
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .map(|u| UserInfo {
                user: u.id,
                name: u.display_name,
                created_at: u.created_at,
            })
            .collect())
    }

    /// Removes a user: first their activation codes (so none can enrol a device
    /// for whoever gets this id next, and an activation racing with this removal
    /// either finishes before it, and its device is revoked below, or finds its code
    /// gone), then their devices (each device is told), then the user.
    pub async fn remove_user(&self, user: &str, actor: &str) -> Result<(), ServiceError> {
        ids::check_user(user)?;
        self.store.remove_activations(user).await?;
        for device in self.store.devices(Some(user)).await? {
            self.revoke_device(&device, actor, "user removed").await?;
        }
        if !self.store.remove_user(user).await? {
            return Err(Problem::new(ErrorCode::UserNotFound, format!("no user `{user}`")).into());
        }
        self.store
            .audit(&AuditEntry::new(AuditEvent::UserRemoved, actor, now()).user(user))
            .await?;
        Ok(())
    }

    pub async fn add_rp(
        &self,
        rp_id: &str,
        name: &str,
        origins: &[String],
        actor: &str,
    ) -> Result<NewRp, ServiceError> {
        ids::check_rp(rp_id)?;
        check_rp_name(name)?;
        let origins = checked_origins(origins)?;
        let api_key = super::new_api_key();
        if !self
            .store
            .add_rp(
                rp_id,
                name,
                &api_key_hash(&api_key),
                &serde_json::to_string(&origins)?,
                now(),
            )
            .await?
        {
            return Err(Problem::new(
                ErrorCode::RpExists,
                format!("relying party `{rp_id}` already exists"),
            )
            .into());
        }
        self.store
            .audit(
                &AuditEntry::new(AuditEvent::RpAdded, actor, now())
                    .detail(format!("{rp_id} origins {}", origins.join(" "))),
            )
            .await?;
        Ok(NewRp {
            rp_id: rp_id.into(),
            name: name.into(),
            api_key,
            origins,
        })
    }

    /// Replaces a relying party's web origins. Pending requests keep the origins
    /// they were signed with; new ones get these.
    pub async fn set_rp_origins(
        &self,
        rp_id: &str,
        origins: &[String],
        actor: &str,
    ) -> Result<RpInfo, ServiceError> {
        ids::check_rp(rp_id)?;
        let origins = checked_origins(origins)?;
        let not_found = || Problem::new(ErrorCode::NotFound, format!("no relying party `{rp_id}`"));
        if !self
            .store
            .set_rp_origins(rp_id, &serde_json::to_string(&origins)?)
            .await?
        {
            return Err(not_found().into());
        }
        self.store
            .audit(
                &AuditEntry::new(AuditEvent::RpOriginsChanged, actor, now())
                    .detail(format!("{rp_id} origins {}", origins.join(" "))),
            )
            .await?;
        let row = self.store.rp(rp_id).await?.ok_or_else(not_found)?;
        Ok(row.into())
    }

    pub async fn list_rps(&self) -> Result<Vec<RpInfo>, ServiceError> {
        Ok(self
            .store
            .rps()
            .await?
            .into_iter()
            .map(RpInfo::from)
            .collect())
    }

    pub async fn remove_rp(&self, rp_id: &str, actor: &str) -> Result<(), ServiceError> {
        ids::check_rp(rp_id)?;
        if !self.store.remove_rp(rp_id).await? {
            return Err(
                Problem::new(ErrorCode::NotFound, format!("no relying party `{rp_id}`")).into(),
            );
        }
        self.store
            .audit(&AuditEntry::new(AuditEvent::RpRemoved, actor, now()).detail(rp_id))
            .await?;
        Ok(())
    }

    pub async fn list_devices(&self, user: Option<&str>) -> Result<Vec<DeviceInfo>, ServiceError> {
        if let Some(user) = user {
            ids::check_user(user)?;
        }
        Ok(self
            .store
            .devices(user)
            .await?
            .into_iter()
            .map(|d| DeviceInfo {
                serial: d.serial,
                user: d.user_id,
                name: d.name,
                status: d.status,
                device_id: d.id,
                created_at: d.created_at,
                last_seen_at: d.last_seen_at,
            })
            .collect())
    }

    /// Revokes a device by serial; the device gets a signed `device_status` and wipes
    /// itself. Revoking twice changes nothing.
    pub async fn revoke_serial(&self, serial: &str, actor: &str) -> Result<Revoked, ServiceError> {
        let serial = Serial::parse(serial).map_err(|e| {
            Problem::new(ErrorCode::BadRequest, "not a serial number").with_detail(e.to_string())
        })?;
        let Some(device) = self.store.device_by_serial(serial.as_str()).await? else {
            return Err(Problem::new(
                ErrorCode::NotFound,
                format!("no device with serial {serial}"),
            )
            .into());
        };
        let changed = self
            .revoke_device(&device, actor, "revoked by an administrator")
            .await?;
        Ok(Revoked {
            serial: serial.to_string(),
            revoked: true,
            changed,
            status_before: device.status,
        })
    }
}
