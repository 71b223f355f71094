//! The second factor of a device call: the PIN signature (or a user-verification
//! signature) on an envelope the device key signed, judged inside the transaction
//! that acts on it.
//!
//! Every PIN attempt runs the same way (design.md §3; THREAT_MODEL.md "wrong-PIN
//! limit"): the transaction first locks the device row (`store::devices::lock_device`)
//! and reads its status and PIN key afresh, so attempts on one device are judged one
//! after another against one state. A device that is no longer active gets its
//! signed end and nothing is verified, so a blocked device answers alike for right and
//! wrong PINs. A wrong PIN is counted, and the fifth blocks the device, in that same
//! transaction, which the caller commits before answering; the effect of a right PIN
//! (an approval, an unlock, a new PIN) commits in it too.

use godkend_protocol::messages::{DeviceState, UvKind};
use godkend_protocol::rules::MAX_PIN_FAILURES;
use godkend_protocol::{Algorithm, Envelope, ErrorCode, Problem, PublicKey, SignatureEntry, b64};
use serde_json::json;
use sqlx::AnyConnection;

use super::{Service, ServiceError};
use crate::store::{self, AuditEntry, AuditEvent, DeviceRow, EventRow};

/// Which second factors a call accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// Changing the PIN, enrolling a biometric key and revoking devices must not rest
    /// on a biometric key that (on Linux) any program of the same user could read.
    PinOnly,
    PinOrUserVerification,
}

/// A refused call: the problem to answer once the transaction that counted it has
/// committed, and the events to publish then.
pub(crate) struct Refusal {
    pub problem: Problem,
    pub events: Vec<EventRow>,
}

impl Refusal {
    fn new(problem: Problem) -> Self {
        Refusal {
            problem,
            events: Vec::new(),
        }
    }
}

impl Service {
    /// Locks the device inside `tx` and reads it afresh; refuses a device that is no
    /// longer active (or gone) with its signed status.
    pub(crate) async fn lock_active_device(
        &self,
        tx: &mut AnyConnection,
        id: &str,
    ) -> Result<Result<DeviceRow, Refusal>, ServiceError> {
        let Some(device) = store::devices::lock_device(tx, id).await? else {
            return Ok(Err(Refusal::new(Problem::new(
                ErrorCode::DeviceRevoked,
                "this device has been revoked",
            ))));
        };
        if device.state() != DeviceState::Active {
            return Ok(Err(Refusal::new(self.ended_device_problem(&device)?)));
        }
        Ok(Ok(device))
    }

    /// Judges the second signature on `envelope` for `device`, which the caller locked
    /// in `tx` with `lock_active_device`. A wrong PIN is counted (and the fifth blocks
    /// the device); a right one clears the count.
    pub(crate) async fn judge_second_factor(
        &self,
        tx: &mut AnyConnection,
        device: &DeviceRow,
        envelope: &Envelope,
        accept: Accept,
        ip: Option<String>,
        now: i64,
    ) -> Result<Result<UvKind, Refusal>, ServiceError> {
        let factor = match second_factor(device, envelope) {
            Ok(factor) => factor,
            Err(problem) => return Ok(Err(Refusal::new(*problem))),
        };
        match factor {
            SecondFactor::Pin(entry) => {
                if pin_signature_ok(device, envelope, &entry) {
                    // `device` was read under the transaction's lock, so its count is
                    // current: with none to clear, the update is skipped.
                    if device.pin_failures != 0 {
                        store::devices::reset_pin_failures(tx, &device.id).await?;
                    }
                    Ok(Ok(UvKind::Pin))
                } else {
                    Ok(Err(self.pin_failed(tx, device, ip, now).await?))
                }
            }
            SecondFactor::UserVerification(..) if accept == Accept::PinOnly => {
                Ok(Err(Refusal::new(Problem::new(
                    ErrorCode::BadRequest,
                    "this change needs the PIN; a biometric key cannot authorise it",
                ))))
            }
            SecondFactor::UserVerification(key, kind) => match envelope.verify(&key) {
                Ok(()) => Ok(Ok(kind)),
                Err(_) => Ok(Err(Refusal::new(Problem::new(
                    ErrorCode::InvalidSignature,
                    "the user-verification signature does not verify",
                )))),
            },
        }
    }

    /// Commits the transaction that judged a refused call (a wrong PIN stays
    /// counted, a block stays), publishes its events and turns it into the answer.
    pub(crate) async fn refuse(&self, tx: store::WriteTx, refusal: Refusal) -> ServiceError {
        if let Err(e) = tx.commit().await {
            return e.into();
        }
        self.publish(&refusal.events);
        refusal.problem.into()
    }

    /// A wrong PIN: counts it, blocks the device at the fifth, and tells the device
    /// with a signed `device_status` event. Runs inside the caller's transaction,
    /// which holds the device (`lock_active_device`).
    async fn pin_failed(
        &self,
        tx: &mut AnyConnection,
        device: &DeviceRow,
        ip: Option<String>,
        now: i64,
    ) -> Result<Refusal, ServiceError> {
        let Some(failures) = store::devices::count_pin_failure(tx, &device.id).await? else {
            // Not active any more: nothing was counted, and nothing is told.
            return Ok(Refusal::new(self.ended_device_problem(device)?));
        };
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
            return Ok(Refusal::new(problem));
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
        Ok(Refusal { problem, events })
    }
}

/// Which second factor signed an approval.
enum SecondFactor {
    /// The signature entry that should be the PIN key's.
    Pin(SignatureEntry),
    UserVerification(PublicKey, UvKind),
}

/// Finds the approval's second signature. A wrong PIN derives a different PIN key,
/// so its signature carries an unknown kid: the PIN signature is therefore the one
/// ed25519 signature that is neither the device key's nor the user-verification
/// key's, and it is checked against the registered PIN key whatever its kid says.
///
/// A signed object that declares a `uv_kid` is signed by a user-verification key,
/// never the PIN: when that is not the registered key (removed by a PIN change, an
/// admin, or never registered), it is refused as `uv_key_unknown` and is not a
/// wrong PIN, so a stale biometric key cannot use up the device's five tries.
fn second_factor(device: &DeviceRow, envelope: &Envelope) -> Result<SecondFactor, Box<Problem>> {
    let unreadable = |what: &str| {
        Box::new(Problem::new(
            ErrorCode::Internal,
            format!("the stored {what} is unreadable"),
        ))
    };
    let device_kid = PublicKey::ed25519_b64(&device.device_key)
        .map_err(|_| unreadable("device key"))?
        .kid();
    let mut uv = None;
    if let (Some(alg), Some(key), Some(kind)) = (&device.uv_alg, &device.uv_key, &device.uv_kind) {
        let alg =
            serde_json::from_value(json!(alg)).map_err(|_| unreadable("user-verification key"))?;
        let kind: UvKind = serde_json::from_value(json!(kind)).unwrap_or(UvKind::Software);
        let key = PublicKey::from_b64(alg, key).map_err(|_| unreadable("user-verification key"))?;
        uv = Some((key, kind));
    }
    let uv_kid = uv.as_ref().map(|(key, _)| key.kid());
    // The entries that are neither the device key's nor the biometric key's.
    let others: Vec<&SignatureEntry> = envelope
        .signatures
        .iter()
        .filter(|s| s.kid != device_kid && Some(&s.kid) != uv_kid.as_ref())
        .collect();
    if let Some((key, kind)) = uv.filter(|(key, _)| envelope.signature_by(key).is_some()) {
        // Nothing besides the two: an entry nobody checks does not travel as if it
        // were signed (the PIN below holds to the same rule).
        return if others.is_empty() {
            Ok(SecondFactor::UserVerification(key, kind))
        } else {
            Err(not_one_second_factor())
        };
    }
    if envelope
        .payload
        .get("uv_kid")
        .is_some_and(|kid| !kid.is_null())
    {
        return Err(Box::new(Problem::new(
            ErrorCode::UvKeyUnknown,
            "this device's biometric key is not registered (it was removed); approve \
             with the PIN and turn biometrics on again",
        )));
    }
    match others.as_slice() {
        [entry] if entry.alg == Algorithm::Ed25519 => Ok(SecondFactor::Pin((*entry).clone())),
        _ => Err(not_one_second_factor()),
    }
}

fn not_one_second_factor() -> Box<Problem> {
    Box::new(Problem::new(
        ErrorCode::BadRequest,
        "approval needs exactly one PIN or biometric signature besides the device signature",
    ))
}

/// Checks a PIN signature entry against the registered PIN key, ignoring its kid.
fn pin_signature_ok(device: &DeviceRow, envelope: &Envelope, entry: &SignatureEntry) -> bool {
    let (Ok(pin_key), Ok(payload), Ok(sig)) = (
        PublicKey::ed25519_b64(&device.pin_key),
        envelope.canonical_payload(),
        b64::decode(&entry.sig),
    ) else {
        return false;
    };
    pin_key.verify(&payload, &sig).is_ok()
}
