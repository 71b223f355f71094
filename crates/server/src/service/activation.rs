//! Activation codes and device activation with the two HMAC proofs (design.md §4).

use godkend_protocol::messages::activation::{
    ActivationLink, CODE_ALPHABET, CODE_LENGTH, device_proof, format_code, proofs_equal,
    server_proof,
};
use godkend_protocol::messages::{Activation, ActivationRequest, ActivationResponse};
use godkend_protocol::rules::{MAX_ACTIVATION_FAILURES, MAX_DEVICES_PER_USER};
use godkend_protocol::{ErrorCode, Problem, PublicKey, Serial, ids};
use rand::RngExt as _;
use serde::Serialize;
use zeroize::Zeroizing;

use super::{Service, ServiceError, now, random_id};
use crate::store::{self, ActivationRow, AuditEntry, AuditEvent, DeviceRow, Limit};

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
        ids::check_user(user)?;
        if self.store.user(user).await?.is_none() {
            return Err(Problem::new(ErrorCode::UserNotFound, format!("no user `{user}`")).into());
        }
        let now = now();
        let code = Zeroizing::new(super::random_from(CODE_ALPHABET, CODE_LENGTH));
        let id = random_id("act_");
        // Only the sealed code is stored: a copy of the database enrols nobody.
        let sealed = self.keys.code_seal().seal(&id, user, &code);
        let row = ActivationRow {
            id,
            user_id: user.into(),
            code: sealed,
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

    /// Checks the device's proof against the user's open codes and registers the
    /// device. Every failure (unknown user, no code, wrong proof, used, expired or
    /// burnt code) gets the same answer, so nobody learns whether a user has an open
    /// code; failures are limited per source address and per user.
    pub async fn activate(
        &self,
        request: &ActivationRequest,
        ip: Option<String>,
    ) -> Result<ActivationResponse, ServiceError> {
        let bad_request = |why: &str| Problem::new(ErrorCode::BadRequest, why.to_owned());
        ids::check_user(&request.user)?;
        PublicKey::ed25519_b64(&request.device_key)
            .map_err(|_| bad_request("device_key is not an ed25519 public key"))?;
        PublicKey::ed25519_b64(&request.pin_key)
            .map_err(|_| bad_request("pin_key is not an ed25519 public key"))?;
        let now = now();
        let source = source_subject(ip.as_deref());
        let limits = [
            Limit {
                scope: "activation_source",
                subject: &source,
                max: self.settings.activation_failures_per_source,
            },
            Limit {
                scope: "activation_user",
                subject: &request.user,
                max: self.settings.activation_failures_per_user,
            },
        ];
        let window = self.settings.activation_failure_window_seconds;
        if let Some(wait) = self.store.take_attempt_slots(&limits, now, window).await? {
            let mut problem = Problem::new(
                ErrorCode::RateLimited,
                "too many failed activations; try again later",
            );
            problem.retry_after = u64::try_from(wait).ok();
            return Err(problem.into());
        }
        let outcome = self.check_proof_and_register(request, ip, now).await;
        let failed = matches!(&outcome, Err(ServiceError::Problem(p)) if p.code == ErrorCode::ActivationInvalid);
        if !failed {
            // Only failures use up the allowance.
            self.store
                .return_attempt_slots(&limits, now, window)
                .await?;
        }
        outcome
    }

    async fn check_proof_and_register(
        &self,
        request: &ActivationRequest,
        ip: Option<String>,
        now: i64,
    ) -> Result<ActivationResponse, ServiceError> {
        let name: String = request.device_name.chars().take(MAX_DEVICE_NAME).collect();
        let our_key = self.keys.public().to_b64();
        let max_failures = i64::from(MAX_ACTIVATION_FAILURES);
        let open = self
            .store
            .open_activations(&request.user, max_failures, now)
            .await?;
        // The proof is made over the server key the device saw: a man in the middle
        // who swapped it in cannot produce one that matches ours.
        let matched = open.iter().find_map(|a| {
            let Some(code) = self.keys.code_seal().open(&a.id, &a.user_id, &a.code) else {
                tracing::warn!(
                    activation = %a.id,
                    "an activation code does not open with this key file's data secret \
                     (do all nodes share one key file?)"
                );
                return None;
            };
            device_proof(
                &code,
                &request.user,
                &request.device_key,
                &request.pin_key,
                &our_key,
            )
            .is_ok_and(|expected| proofs_equal(&expected, &request.proof))
            .then_some((a, code))
        });
        let Some((found, code)) = matched else {
            return Err(self.activation_failed(&request.user, ip, now).await?.into());
        };
        let Some(device) = self
            .register_device(request, name, found, ip.clone(), now)
            .await?
        else {
            return Err(self.activation_failed(&request.user, ip, now).await?.into());
        };

        let answer = Activation {
            iat: now,
            device_id: device.id.clone(),
            serial: device.serial.clone(),
            user: request.user.clone(),
            device_key: request.device_key.clone(),
            org: self.settings.org.clone(),
            version_policy: self.settings.version_policy.clone(),
            proof: server_proof(
                &code,
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

    /// Uses up the code and registers the device, in one transaction; `None` when
    /// the code stopped working since it was read (used, burnt or expired meanwhile)
    /// or its user was removed (and perhaps added again: then it is someone else).
    async fn register_device(
        &self,
        request: &ActivationRequest,
        name: String,
        found: &ActivationRow,
        ip: Option<String>,
        now: i64,
    ) -> Result<Option<DeviceRow>, ServiceError> {
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
        let max_failures = i64::from(MAX_ACTIVATION_FAILURES);
        let mut tx = self.store.begin().await?;
        if !store::activations::use_activation(&mut tx, &found.id, max_failures, now).await?
            || !store::users::is_same_user(&mut tx, &request.user, found.created_at).await?
        {
            return Ok(None);
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
        Ok(Some(device))
    }

    /// Counts a failure against the user's working codes, audits it, and gives the
    /// one answer every failure gets (no `attempts_left`: it would tell whether a
    /// code is open).
    async fn activation_failed(
        &self,
        user: &str,
        ip: Option<String>,
        now: i64,
    ) -> Result<Problem, ServiceError> {
        self.store
            .count_activation_failure(user, i64::from(MAX_ACTIVATION_FAILURES), now)
            .await?;
        self.store
            .audit(
                &AuditEntry::new(AuditEvent::ActivationFailed, "device", now)
                    .user(user)
                    .ip(ip),
            )
            .await?;
        Ok(Problem::new(
            ErrorCode::ActivationInvalid,
            "the activation code is wrong, used, expired or burnt; check it, or ask for a new one",
        ))
    }
}

/// The rate-limit subject for a client address: the address itself for IPv4, its
/// /64 for IPv6 (one host usually owns a whole /64).
fn source_subject(ip: Option<&str>) -> String {
    match ip.and_then(|ip| ip.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or_else(String::new, |v4| v4.to_string()),
        Some(std::net::IpAddr::V4(v4)) => v4.to_string(),
        None => "unknown".into(),
    }
}
