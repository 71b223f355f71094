//! Device life cycle at the server: status, unlock with PIN counting, blocking,
//! revocation (by the user, another of their devices, or an admin), PIN change,
//! user-verification keys and the polling fallback.

use godkend_protocol::messages::{
    DeviceList, DeviceRevocation, DeviceState, DeviceStatus, DeviceSummary, EventKind, PinChange,
    UnlockChallenge, UnlockProof, UserVerificationKey,
};
use godkend_protocol::rules::{self, MAX_PIN_FAILURES};
use godkend_protocol::{Envelope, ErrorCode, Problem, PublicKey, SignedObject};
use sqlx::AnyConnection;

use super::decision::{SecondFactor, pin_signature_ok, second_factor};
use super::{Service, ServiceError, now, random_id};
use crate::store::{self, AuditEntry, AuditEvent, DeviceRow, EventRow};

/// How long an unlock challenge lives.
const CHALLENGE_SECONDS: i64 = 60;

impl Service {
    /// The signed status of `device`.
    pub fn device_status(&self, device: &DeviceRow) -> Result<Envelope, ServiceError> {
        let status = DeviceStatus {
            iat: now(),
            device_id: device.id.clone(),
            status: device.state(),
            reason: None,
        };
        self.seal(&status)
    }

    /// The problem a revoked or blocked device gets for anything but its status.
    pub fn ended_device_problem(&self, device: &DeviceRow) -> Result<Problem, ServiceError> {
        let (code, title) = match device.state() {
            DeviceState::Blocked => (
                ErrorCode::DeviceBlocked,
                "this device is blocked after too many wrong PINs",
            ),
            _ => (ErrorCode::DeviceRevoked, "this device has been revoked"),
        };
        let mut problem = Problem::new(code, title);
        problem.device_status = Some(self.device_status(device)?);
        Ok(problem)
    }

    /// A wrong PIN: counts it, blocks the device at the fifth, and tells the device
    /// with a signed `device_status` event. Runs inside the caller's transaction.
    pub(crate) async fn pin_failed(
        &self,
        tx: &mut AnyConnection,
        device: &DeviceRow,
        ip: Option<String>,
        now: i64,
    ) -> Result<(Problem, Vec<EventRow>), ServiceError> {
        let failures = store::devices::count_pin_failure(tx, &device.id).await?;
        crate::metrics::wrong_pin();
        store::audit::append(
            tx,
            &AuditEntry::by_device(AuditEvent::UnlockFailed, device, now)
                .ip(ip.clone())
                .detail(format!("wrong PIN ({failures} in a row)")),
        )
        .await?;
        let left = i64::from(MAX_PIN_FAILURES) - failures;
        if left > 0 {
            let problem = Problem::new(ErrorCode::WrongPin, "wrong PIN")
                .with_attempts_left(u32::try_from(left).unwrap_or(0));
            return Ok((problem, Vec::new()));
        }
        let (envelope, events) = self
            .end_device(
                tx,
                device,
                DeviceState::Blocked,
                "too many wrong PINs",
                "server",
                ip,
                now,
            )
            .await?;
        let mut problem = Problem::new(
            ErrorCode::DeviceBlocked,
            "wrong PIN five times: this device is blocked and must be activated again",
        )
        .with_attempts_left(0);
        problem.device_status = Some(envelope);
        Ok((problem, events))
    }

    /// Moves a device to revoked or blocked inside `tx`; returns the signed status and
    /// the event carrying it to the device.
    #[allow(clippy::too_many_arguments)]
    async fn end_device(
        &self,
        tx: &mut AnyConnection,
        device: &DeviceRow,
        state: DeviceState,
        reason: &str,
        actor: &str,
        ip: Option<String>,
        now: i64,
    ) -> Result<(Envelope, Vec<EventRow>), ServiceError> {
        let status = DeviceStatus {
            iat: now,
            device_id: device.id.clone(),
            status: state,
            reason: Some(reason.into()),
        };
        let envelope = self.seal(&status)?;
        if !store::devices::end_device(tx, &device.id, state, now).await? {
            return Ok((envelope, Vec::new()));
        }
        crate::metrics::device_ended(store::devices::state_name(state));
        let event = store::events::insert_event(
            tx,
            &device.id,
            EventKind::DeviceStatus.as_str(),
            &envelope.to_json()?,
            now,
        )
        .await?;
        let audit = match state {
            DeviceState::Blocked => AuditEvent::DeviceBlocked,
            _ => AuditEvent::DeviceRevoked,
        };
        store::audit::append(
            tx,
            &AuditEntry::new(audit, actor, now)
                .user(&device.user_id)
                .device(&device.id)
                .ip(ip)
                .detail(format!("serial {}: {reason}", device.serial)),
        )
        .await?;
        Ok((envelope, vec![event]))
    }

    /// Revokes a device (admin CLI/API, or a user's own request). Idempotent.
    pub async fn revoke_device(
        &self,
        device: &DeviceRow,
        actor: &str,
        reason: &str,
    ) -> Result<bool, ServiceError> {
        let mut tx = self.store.begin().await?;
        let (_, events) = self
            .end_device(
                &mut tx,
                device,
                DeviceState::Revoked,
                reason,
                actor,
                None,
                now(),
            )
            .await?;
        tx.commit().await?;
        self.publish(&events);
        Ok(!events.is_empty())
    }

    /// Issues a one-use unlock challenge.
    pub async fn unlock_challenge(&self, device: &DeviceRow) -> Result<Envelope, ServiceError> {
        let now = now();
        let challenge = UnlockChallenge {
            iat: now,
            exp: now + CHALLENGE_SECONDS,
            device_id: device.id.clone(),
            challenge: random_id(""),
        };
        self.store
            .add_unlock_challenge(&challenge.challenge, &device.id, challenge.exp)
            .await?;
        self.seal(&challenge)
    }

    /// Checks an unlock proof: the device key, the challenge, then the PIN (counted)
    /// or the user-verification key.
    pub async fn unlock(
        &self,
        device: &DeviceRow,
        body: &[u8],
        ip: Option<String>,
    ) -> Result<(), ServiceError> {
        let envelope = parse_envelope(body)?;
        let proof: UnlockProof = Self::open_from_device(device, &envelope)?;
        let now = now();
        if !rules::header_time_ok(proof.iat, now)
            || !self
                .store
                .take_unlock_challenge(&proof.challenge, &device.id, now)
                .await?
        {
            return Err(Problem::new(
                ErrorCode::BadRequest,
                "the unlock challenge is unknown, used or expired",
            )
            .into());
        }
        self.check_second_factor(device, &envelope, ip).await
    }

    /// Verifies the PIN or user-verification signature on a device-signed envelope,
    /// counting a wrong PIN.
    async fn check_second_factor(
        &self,
        device: &DeviceRow,
        envelope: &Envelope,
        ip: Option<String>,
    ) -> Result<(), ServiceError> {
        match second_factor(device, envelope)? {
            SecondFactor::Pin(entry) => {
                let mut tx = self.store.begin().await?;
                if pin_signature_ok(device, envelope, &entry) {
                    store::devices::reset_pin_failures(&mut tx, &device.id).await?;
                    tx.commit().await?;
                    return Ok(());
                }
                let (problem, events) = self.pin_failed(&mut tx, device, ip, now()).await?;
                tx.commit().await?;
                self.publish(&events);
                Err(problem.into())
            }
            SecondFactor::UserVerification(key, _) => envelope.verify(&key).map_err(|_| {
                Problem::new(
                    ErrorCode::InvalidSignature,
                    "the biometric signature does not verify",
                )
                .into()
            }),
        }
    }

    /// Like `check_second_factor`, but only the PIN counts: changing the PIN,
    /// enrolling a biometric key and revoking devices must not rest on a biometric
    /// key that (on Linux) any program of the same user could read.
    async fn check_pin(
        &self,
        device: &DeviceRow,
        envelope: &Envelope,
        ip: Option<String>,
    ) -> Result<(), ServiceError> {
        if let SecondFactor::UserVerification(..) = second_factor(device, envelope)? {
            return Err(Problem::new(
                ErrorCode::BadRequest,
                "this change needs the PIN; a biometric key cannot authorise it",
            )
            .into());
        }
        self.check_second_factor(device, envelope, ip).await
    }

    /// Opens an envelope the device signed about itself: its signature and its
    /// `device_id` must both be this device's.
    fn open_from_device<T: SignedObject + HasDevice>(
        device: &DeviceRow,
        envelope: &Envelope,
    ) -> Result<T, ServiceError> {
        let key = PublicKey::ed25519_b64(&device.device_key)?;
        let object: T = envelope.open(&[&key]).map_err(|e| {
            Problem::new(
                ErrorCode::InvalidSignature,
                "the device signature does not verify",
            )
            .with_detail(e.to_string())
        })?;
        if object.device_id() != device.id {
            return Err(
                Problem::new(ErrorCode::BadRequest, "the object names another device").into(),
            );
        }
        Ok(object)
    }

    /// Parses a signed body, opens it as this device's object and checks that it is
    /// fresh (the header nonce already stops replays of the whole call). Returns the
    /// envelope too, for its second signature.
    fn open_fresh<T: SignedObject + HasDevice>(
        device: &DeviceRow,
        body: &[u8],
    ) -> Result<(Envelope, T), ServiceError> {
        let envelope = parse_envelope(body)?;
        let object: T = Self::open_from_device(device, &envelope)?;
        check_fresh(object.iat())?;
        Ok((envelope, object))
    }

    /// Replaces the PIN key, authorised by the old one.
    pub async fn change_pin(
        &self,
        device: &DeviceRow,
        body: &[u8],
        ip: Option<String>,
    ) -> Result<(), ServiceError> {
        let (envelope, change): (_, PinChange) = Self::open_fresh(device, body)?;
        PublicKey::ed25519_b64(&change.new_pin_key).map_err(|_| {
            Problem::new(
                ErrorCode::BadRequest,
                "new_pin_key is not an ed25519 public key",
            )
        })?;
        self.check_pin(device, &envelope, ip.clone()).await?;
        self.store
            .set_pin_key(&device.id, &change.new_pin_key)
            .await?;
        // A new PIN drops any biometric key, which was enrolled under the old one.
        self.store.set_uv_key(&device.id, None).await?;
        self.store
            .audit(&AuditEntry::by_device(AuditEvent::PinChanged, device, now()).ip(ip))
            .await?;
        Ok(())
    }

    /// Registers a user-verification key, authorised by the PIN.
    pub async fn register_uv_key(
        &self,
        device: &DeviceRow,
        body: &[u8],
        ip: Option<String>,
    ) -> Result<(), ServiceError> {
        let (envelope, uv): (_, UserVerificationKey) = Self::open_fresh(device, body)?;
        PublicKey::from_b64(uv.alg, &uv.public_key).map_err(|_| {
            Problem::new(
                ErrorCode::BadRequest,
                "public_key is not a valid key of that algorithm",
            )
        })?;
        self.check_pin(device, &envelope, ip.clone()).await?;
        let alg = serde_json::to_value(uv.alg)?
            .as_str()
            .unwrap_or("")
            .to_owned();
        let kind = serde_json::to_value(uv.kind)?
            .as_str()
            .unwrap_or("")
            .to_owned();
        self.store
            .set_uv_key(&device.id, Some((&alg, &uv.public_key, &kind)))
            .await?;
        self.store
            .audit(
                &AuditEntry::by_device(AuditEvent::UvKeyChanged, device, now())
                    .ip(ip)
                    .detail(format!("registered {alg} {kind}")),
            )
            .await?;
        Ok(())
    }

    /// Removes the user-verification key (turning biometrics off needs no PIN).
    pub async fn remove_uv_key(&self, device: &DeviceRow) -> Result<(), ServiceError> {
        self.store.set_uv_key(&device.id, None).await?;
        self.store
            .audit(
                &AuditEntry::by_device(AuditEvent::UvKeyChanged, device, now()).detail("removed"),
            )
            .await?;
        Ok(())
    }

    /// The user's devices, for the settings screen.
    pub async fn device_list(&self, device: &DeviceRow) -> Result<DeviceList, ServiceError> {
        let devices = self.store.devices(Some(&device.user_id)).await?;
        Ok(DeviceList {
            devices: devices.iter().map(summary).collect(),
        })
    }

    /// Revokes one of the user's devices (itself included), authorised by the PIN.
    pub async fn revoke_from_device(
        &self,
        device: &DeviceRow,
        body: &[u8],
        ip: Option<String>,
    ) -> Result<(), ServiceError> {
        let (envelope, revocation): (_, DeviceRevocation) = Self::open_fresh(device, body)?;
        let not_found = || Problem::new(ErrorCode::NotFound, "no such device");
        let target = self
            .store
            .device(&revocation.target_device_id)
            .await?
            .ok_or_else(not_found)?;
        if target.user_id != device.user_id {
            return Err(not_found().into());
        }
        self.check_pin(device, &envelope, ip).await?;
        self.revoke_device(
            &target,
            &format!("device:{}", device.id),
            "revoked by the user",
        )
        .await?;
        Ok(())
    }

    /// Pending requests for the polling fallback: the signed envelopes, newest last.
    pub async fn pending_for_device(
        &self,
        device: &DeviceRow,
    ) -> Result<Vec<Envelope>, ServiceError> {
        let now = now();
        self.store
            .pending_requests(&device.user_id)
            .await?
            .iter()
            .filter(|r| !rules::is_expired(r.exp, now))
            .map(|r| self.deliverable(&r.envelope))
            .collect()
    }
}

/// Objects a device signs about itself: they name it and carry their time.
trait HasDevice {
    fn device_id(&self) -> &str;
    fn iat(&self) -> i64;
}

macro_rules! has_device {
    ($($t:ty),*) => {$(impl HasDevice for $t {
        fn device_id(&self) -> &str { &self.device_id }
        fn iat(&self) -> i64 { self.iat }
    })*};
}
has_device!(
    UnlockProof,
    PinChange,
    DeviceRevocation,
    UserVerificationKey
);

fn parse_envelope(body: &[u8]) -> Result<Envelope, Box<Problem>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(
            Problem::new(
                ErrorCode::MalformedJson,
                "the body is not a signed envelope",
            )
            .with_detail(e.to_string()),
        )
    })
}

/// Is a signed device object's time within the header skew of the server clock?
fn check_fresh(iat: i64) -> Result<(), Box<Problem>> {
    if rules::header_time_ok(iat, now()) {
        Ok(())
    } else {
        Err(Box::new(Problem::new(
            ErrorCode::ClockSkew,
            "the signed object is too old or from the future",
        )))
    }
}

pub(crate) fn summary(d: &DeviceRow) -> DeviceSummary {
    DeviceSummary {
        device_id: d.id.clone(),
        serial: d.serial.clone(),
        name: d.name.clone(),
        status: d.state(),
        created_at: d.created_at,
        last_seen_at: d.last_seen_at,
    }
}
