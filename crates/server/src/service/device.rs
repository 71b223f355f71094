//! Device life cycle at the server: status, unlock with PIN counting, blocking,
//! revocation (by the user, another of their devices, or an admin), PIN change,
//! user-verification keys and the polling fallback.

use godkend_protocol::messages::{
    CloseReason, DeviceList, DeviceRevocation, DeviceState, DeviceStatus, DeviceSummary, EventKind,
    PinChange, RequestState, UnlockChallenge, UnlockProof, UserVerificationKey,
};
use godkend_protocol::rules;
use godkend_protocol::{Envelope, ErrorCode, Problem, PublicKey, SignedObject};
use sqlx::AnyConnection;

use super::second_factor::Accept;
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

    /// Moves a device to revoked or blocked inside `tx`; returns the signed status and
    /// the event carrying it to the device.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn end_device(
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
        // A request whose every device has ended can never be decided: fail it now,
        // so the relying party hears at once instead of at its expiry. No device is
        // left to tell.
        if store::devices::count_active_devices(tx, &device.user_id).await? == 0 {
            for row in store::requests::pending_for_user(tx, &device.user_id).await? {
                self.close_request(tx, &row, RequestState::Failed, CloseReason::Failed, now)
                    .await?;
            }
        }
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
    /// or the user-verification key, in one transaction that holds the device.
    pub async fn unlock(
        &self,
        device: &DeviceRow,
        body: &[u8],
        ip: Option<String>,
    ) -> Result<(), ServiceError> {
        let envelope = parse_envelope(body)?;
        let proof: UnlockProof = Self::open_from_device(device, &envelope)?;
        let now = now();
        if !rules::header_time_ok(proof.iat, now) {
            return Err(challenge_refused().into());
        }
        let mut tx = self.store.begin().await?;
        let device = match self.lock_active_device(&mut tx, &device.id).await? {
            Ok(device) => device,
            Err(refusal) => return Err(self.refuse(tx, refusal).await),
        };
        if !store::nonces::take_unlock_challenge(&mut tx, &proof.challenge, &device.id, now).await?
        {
            return Err(challenge_refused().into());
        }
        let judged = self
            .judge_second_factor(
                &mut tx,
                &device,
                &envelope,
                Accept::PinOrUserVerification,
                ip,
                now,
            )
            .await?;
        if let Err(refusal) = judged {
            return Err(self.refuse(tx, refusal).await);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Starts a PIN-authorised change to `device`: locks it in a new transaction and
    /// judges the PIN (a biometric key is not enough), counting a wrong one. The
    /// caller makes its change in the returned transaction and commits it; a refusal
    /// is already committed and comes back as the error.
    async fn begin_pin_authorised(
        &self,
        device: &DeviceRow,
        envelope: &Envelope,
        ip: Option<String>,
    ) -> Result<(store::WriteTx, DeviceRow), ServiceError> {
        let mut tx = self.store.begin().await?;
        let device = match self.lock_active_device(&mut tx, &device.id).await? {
            Ok(device) => device,
            Err(refusal) => return Err(self.refuse(tx, refusal).await),
        };
        let judged = self
            .judge_second_factor(&mut tx, &device, envelope, Accept::PinOnly, ip, now())
            .await?;
        match judged {
            Ok(_) => Ok((tx, device)),
            Err(refusal) => Err(self.refuse(tx, refusal).await),
        }
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
        let (mut tx, device) = self
            .begin_pin_authorised(device, &envelope, ip.clone())
            .await?;
        if !store::devices::set_pin_key(&mut tx, &device.id, &change.new_pin_key).await? {
            return Err(self.ended_device_problem(&device)?.into());
        }
        // A new PIN drops any biometric key, which was enrolled under the old one.
        store::devices::set_uv_key(&mut tx, &device.id, None).await?;
        store::audit::append(
            &mut tx,
            &AuditEntry::by_device(AuditEvent::PinChanged, &device, now()).ip(ip),
        )
        .await?;
        tx.commit().await?;
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
        let alg = serde_json::to_value(uv.alg)?
            .as_str()
            .unwrap_or("")
            .to_owned();
        let kind = serde_json::to_value(uv.kind)?
            .as_str()
            .unwrap_or("")
            .to_owned();
        let (mut tx, device) = self
            .begin_pin_authorised(device, &envelope, ip.clone())
            .await?;
        if !store::devices::set_uv_key(&mut tx, &device.id, Some((&alg, &uv.public_key, &kind)))
            .await?
        {
            return Err(self.ended_device_problem(&device)?.into());
        }
        store::audit::append(
            &mut tx,
            &AuditEntry::by_device(AuditEvent::UvKeyChanged, &device, now())
                .ip(ip)
                .detail(format!("registered {alg} {kind}")),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes the user-verification key (turning biometrics off needs no PIN).
    pub async fn remove_uv_key(&self, device: &DeviceRow) -> Result<(), ServiceError> {
        let mut tx = self.store.begin().await?;
        if !store::devices::set_uv_key(&mut tx, &device.id, None).await? {
            return Err(self.ended_device_problem(device)?.into());
        }
        store::audit::append(
            &mut tx,
            &AuditEntry::by_device(AuditEvent::UvKeyChanged, device, now()).detail("removed"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user's devices, for the settings screen.
    pub async fn device_list(&self, device: &DeviceRow) -> Result<DeviceList, ServiceError> {
        let devices = self.store.devices(Some(&device.user_id)).await?;
        Ok(DeviceList {
            devices: devices.iter().map(summary).collect(),
        })
    }

    /// Revokes one of the user's devices (itself included), authorised by the PIN,
    /// in the transaction that judged the PIN.
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
            .filter(|target| target.user_id == device.user_id)
            .ok_or_else(not_found)?;
        let (mut tx, device) = self
            .begin_pin_authorised(device, &envelope, ip.clone())
            .await?;
        let (_, events) = self
            .end_device(
                &mut tx,
                &target,
                DeviceState::Revoked,
                "revoked by the user",
                &format!("device:{}", device.id),
                ip,
                now(),
            )
            .await?;
        tx.commit().await?;
        self.publish(&events);
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

fn challenge_refused() -> Problem {
    Problem::new(
        ErrorCode::BadRequest,
        "the unlock challenge is unknown, used or expired",
    )
}

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
