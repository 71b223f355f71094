//! Activation codes and device activation with the two HMAC proofs (design.md §4).

use godkend_protocol::messages::activation::{
    ActivationLink, CODE_ALPHABET, CODE_LENGTH, device_proof, format_code, proofs_equal,
    server_proof,
};
use godkend_protocol::messages::{Activation, ActivationRequest, ActivationResponse};
use godkend_protocol::rules::{MAX_ACTIVATION_FAILURES, MAX_DEVICES_PER_USER};
use godkend_protocol::{ErrorCode, Problem, PublicKey, Serial};
use rand::RngExt as _;
use serde::Serialize;

use super::{Service, ServiceError, now, random_id};
use crate::store::{self, ActivationRow, AuditEntry, AuditEvent, DeviceRow};

/// A freshly created activation, to hand to the user once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewActivation {
    pub user: String,
    pub code: String,
    pub expires_at: i64,
    pub link: String,
    pub server_kid: String,
}

/// Longest device name kept.
const MAX_DEVICE_NAME: usize = 100;

impl Service {
    /// Creates a one-time activation code for `user`.
    pub async fn create_activation(
        &self,
        user: &str,
        actor: &str,
    ) -> Result<NewActivation, ServiceError> {
        if self.store.user(user).await?.is_none() {
            return Err(Problem::new(ErrorCode::UserNotFound, format!("no user `{user}`")).into());
        }
        let now = now();
        let code = super::random_from(CODE_ALPHABET, CODE_LENGTH);
        let row = ActivationRow {
            id: random_id("act_"),
            user_id: user.into(),
            code: code.clone(),
            created_at: now,
            expires_at: now + self.settings.activation_ttl_seconds,
            failures: 0,
            used_at: None,
        };
        self.store.add_activation(&row).await?;
        self.store
            .audit(&AuditEntry::new(AuditEvent::ActivationCreated, actor, now).user(user))
            .await?;
        let link = ActivationLink {
            server_url: self.settings.public_url.to_string(),
            user: user.into(),
            code: format_code(&code),
            server_kid: Some(self.keys.kid()),
        };
        Ok(NewActivation {
            user: user.into(),
            code: format_code(&code),
            expires_at: row.expires_at,
            link: link.to_uri(),
            server_kid: self.keys.kid(),
        })
    }

    /// Checks the device's proof against the user's open codes and registers the device.
    pub async fn activate(
        &self,
        request: &ActivationRequest,
        ip: Option<String>,
    ) -> Result<ActivationResponse, ServiceError> {
        let bad_request = |why: &str| Problem::new(ErrorCode::BadRequest, why.to_owned());
        PublicKey::ed25519_b64(&request.device_key)
            .map_err(|_| bad_request("device_key is not an ed25519 public key"))?;
        PublicKey::ed25519_b64(&request.pin_key)
            .map_err(|_| bad_request("pin_key is not an ed25519 public key"))?;
        let name: String = request.device_name.chars().take(MAX_DEVICE_NAME).collect();
        let now = now();
        let our_key = self.keys.public().to_b64();
        let max_failures = i64::from(MAX_ACTIVATION_FAILURES);
        let open = self
            .store
            .open_activations(&request.user, max_failures)
            .await?;
        // The proof is made over the server key the device saw: a man in the middle
        // who swapped it in cannot produce one that matches ours.
        let matched = open.iter().find(|a| {
            device_proof(
                &a.code,
                &request.user,
                &request.device_key,
                &request.pin_key,
                &our_key,
            )
            .is_ok_and(|expected| proofs_equal(&expected, &request.proof))
        });
        let Some(found) = matched else {
            return Err(self
                .activation_failed(&request.user, &open, ip, now)
                .await?
                .into());
        };
        if found.expires_at <= now {
            return Err(Problem::new(
                ErrorCode::ActivationExpired,
                "this activation code has expired; ask for a new one",
            )
            .into());
        }

        let device = self.register_device(request, name, found, ip, now).await?;

        let answer = Activation {
            iat: now,
            device_id: device.id.clone(),
            serial: device.serial.clone(),
            user: request.user.clone(),
            device_key: request.device_key.clone(),
            org: self.settings.org.clone(),
            version_policy: self.settings.version_policy.clone(),
            proof: server_proof(
                &found.code,
                &request.user,
                &device.id,
                &request.device_key,
                &our_key,
            )?,
        };
        Ok(ActivationResponse {
            activation: self.seal(&answer)?,
        })
    }

    /// Uses up the code and registers the device, in one transaction.
    async fn register_device(
        &self,
        request: &ActivationRequest,
        name: String,
        found: &ActivationRow,
        ip: Option<String>,
        now: i64,
    ) -> Result<DeviceRow, ServiceError> {
        let device = DeviceRow {
            id: random_id("dev_"),
            user_id: request.user.clone(),
            serial: Serial::from_number(rand::rng().random_range(0..100_000_000_000)).to_string(),
            name,
            device_key: request.device_key.clone(),
            pin_key: request.pin_key.clone(),
            uv_alg: None,
            uv_key: None,
            uv_kind: None,
            status: "active".into(),
            pin_failures: 0,
            created_at: now,
            status_at: now,
            last_seen_at: None,
        };
        let mut tx = self.store.begin().await?;
        if !store::activations::use_activation(&mut tx, &found.id, now).await? {
            return Err(Problem::new(
                ErrorCode::ActivationInvalid,
                "this activation code was already used",
            )
            .into());
        }
        let active = store::devices::count_active_devices(&mut tx, &request.user).await?;
        if usize::try_from(active).unwrap_or(usize::MAX) >= MAX_DEVICES_PER_USER {
            return Err(Problem::new(
                ErrorCode::DeviceLimit,
                format!(
                    "this user already has {MAX_DEVICES_PER_USER} active devices; revoke one first"
                ),
            )
            .into());
        }
        store::devices::insert_device(&mut tx, &device).await?;
        store::audit::append(
            &mut tx,
            &AuditEntry::by_device(AuditEvent::DeviceActivated, &device, now)
                .ip(ip)
                .detail(format!("serial {}", device.serial)),
        )
        .await?;
        tx.commit().await?;
        crate::metrics::device_activated();
        Ok(device)
    }

    async fn activation_failed(
        &self,
        user: &str,
        open: &[ActivationRow],
        ip: Option<String>,
        now: i64,
    ) -> Result<Problem, ServiceError> {
        self.store.count_activation_failure(user).await?;
        self.store
            .audit(
                &AuditEntry::new(AuditEvent::ActivationFailed, "device", now)
                    .user(user)
                    .ip(ip),
            )
            .await?;
        let worst = open.iter().map(|a| a.failures + 1).max();
        let problem = match worst {
            None => Problem::new(
                ErrorCode::ActivationInvalid,
                "the activation code is wrong, used or expired",
            ),
            Some(n) if n >= i64::from(MAX_ACTIVATION_FAILURES) => Problem::new(
                ErrorCode::ActivationBurnt,
                "too many wrong attempts: this activation code no longer works; ask for a new one",
            ),
            Some(n) => Problem::new(ErrorCode::ActivationInvalid, "the activation code is wrong")
                .with_attempts_left(
                    u32::try_from(i64::from(MAX_ACTIVATION_FAILURES) - n).unwrap_or(0),
                ),
        };
        Ok(problem)
    }
}
