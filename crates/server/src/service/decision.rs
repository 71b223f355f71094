//! Decisions from devices: signatures, timing, PIN and code counting, idempotency.
//!
//! Order of checks (design.md §3–§4): the device signature; then, for approve, the PIN
//! (or user-verification) signature, where a wrong PIN counts toward the device's 5;
//! then the typed code, where a wrong code counts toward the request's 3. Every
//! answer is stored under the decision's hash, so a byte-identical resend gets the
//! same answer and is never counted twice.

use godkend_protocol::messages::{
    ApprovalRequest, CloseReason, Decision, DecisionAccepted, DecisionKind, RequestState, UvKind,
};
use godkend_protocol::rules::{self, MAX_CODE_FAILURES, OriginVerdict};
use godkend_protocol::{Envelope, ErrorCode, Problem, PublicKey, b64, canonical};

use super::decision_checks::{Case, origin_refusal, precheck};
use super::second_factor::Accept;
use super::{Service, ServiceError, now, replayed_nonce};
use crate::request_waiters::FinalState;
use crate::store::batch::Batch;
use crate::store::requests::Finish;
use crate::store::{self, AuditEntry, AuditEvent, DeviceRow, Nonce, RequestRow, StoredOutcome};

/// The answer to a decision: an HTTP status and a JSON body, replayable byte for byte.
#[derive(Debug, Clone)]
pub struct DecisionOutcome {
    pub http_status: u16,
    pub body: String,
}

impl From<StoredOutcome> for DecisionOutcome {
    fn from(s: StoredOutcome) -> Self {
        DecisionOutcome {
            http_status: u16::try_from(s.http_status).unwrap_or(500),
            body: s.body,
        }
    }
}

fn problem_outcome(problem: &Problem) -> StoredOutcome {
    StoredOutcome {
        http_status: i64::from(problem.status),
        body: serde_json::to_string(problem).unwrap_or_default(),
    }
}

impl Service {
    /// Handles `POST /v1/device/requests/{id}/decision` for an authenticated device
    /// whose header `nonce` is not spent yet: it is spent in the decision's own
    /// transaction (a replay rolls it back and is refused), or on its own when the
    /// call is refused before that transaction.
    pub async fn decide(
        &self,
        device: &DeviceRow,
        request_id: &str,
        body: &[u8],
        ip: Option<String>,
        nonce: &Nonce,
    ) -> Result<DecisionOutcome, ServiceError> {
        let (envelope, decision, hash) = match read_decision(device, request_id, body) {
            Ok(read) => read,
            Err(refused) => {
                self.spend_nonce_alone(&device.id, nonce).await?;
                if matches!(refused, Refused::Signature) {
                    self.store
                        .audit(
                            &AuditEntry::by_device(AuditEvent::InvalidSignature, device, now())
                                .ip(ip)
                                .detail("decision"),
                        )
                        .await?;
                }
                return Err(refused.into());
            }
        };
        // The user's row (PostgreSQL), the nonce and the claim on the decision's hash
        // are the transaction's first statements (on SQLite sent with its BEGIN, in
        // one trip). The user's row before the request's, as a create takes them.
        let (tx, first) = self
            .store
            .begin_with(|batch| {
                store::users::queue_lock(batch, &device.user_id)?;
                store::nonces::queue_remember(batch, &device.id, nonce)?;
                store::decisions::queue_claim(batch, &hash, request_id, &device.id, now())
            })
            .await?;
        if !store::nonces::remembered(&first) {
            return Err(replayed_nonce().into());
        }
        let checked = Checked {
            envelope: &envelope,
            decision: &decision,
            hash: &hash,
        };
        let claimed = store::decisions::claimed(&first);
        match self
            .decide_in(tx, device, request_id, &checked, claimed, ip)
            .await
        {
            Ok(outcome) => Ok(outcome),
            Err(e) => {
                // Refused without a stored answer, and rolled back with it the nonce
                // (or committed with it, by `refuse`): spend it now, so that every
                // authenticated call uses up its nonce as before.
                if let Err(spend) = self.store.remember_nonce(&device.id, nonce).await {
                    tracing::warn!(error = %spend, "could not remember a refused decision's nonce");
                }
                Err(e)
            }
        }
    }

    /// The decision's transaction, which already holds its nonce and tried to claim
    /// the decision's hash (`claimed`; a byte-identical copy judged before gets its
    /// stored answer): judges it against the device and the request, and stores the
    /// answer.
    async fn decide_in(
        &self,
        mut tx: store::WriteTx,
        device: &DeviceRow,
        request_id: &str,
        checked: &Checked<'_>,
        claimed: bool,
        ip: Option<String>,
    ) -> Result<DecisionOutcome, ServiceError> {
        let hash = checked.hash;
        // The claim first: on the usual path it is the only look at `decisions`
        // before the answer is stored (no separate read for a stored answer).
        if !claimed {
            // A byte-identical copy was judged before (PostgreSQL: the claim waited
            // for the first copy's commit): answer as it was answered.
            let stored = store::decisions::outcome_in(&mut tx, &device.id, hash).await?;
            tx.commit().await?;
            if let Some(stored) = stored {
                return Ok(stored.into());
            }
            // Not a fault: the first copy is still being judged. A 503 with a code of
            // its own tells the device to keep the decision and send it again.
            let mut busy = Problem::new(
                ErrorCode::RetryLater,
                "the decision is being processed; try again",
            );
            busy.retry_after = Some(1);
            return Err(busy.into());
        }
        // The device first (its status and PIN key as of now, held until commit), so
        // one device's decisions are judged one after another; then the request.
        // Refused here, the transaction rolls back with its claim (nothing was judged,
        // so nothing is stored: a resend is judged afresh).
        let device = match self.lock_active_device(&mut tx, &device.id).await? {
            Ok(device) => device,
            Err(refusal) => {
                drop(tx);
                return Err(refusal.problem.into());
            }
        };
        let not_found = || Problem::new(ErrorCode::NotFound, format!("no request `{request_id}`"));
        let row = store::requests::lock_request(&mut tx, request_id)
            .await?
            .filter(|row| row.user_id == device.user_id)
            .ok_or_else(not_found)?;
        let request: ApprovalRequest = Envelope::from_json(&row.envelope)?.peek()?;
        let case = Case {
            device: &device,
            row: &row,
            request: &request,
            envelope: checked.envelope,
            decision: checked.decision,
            hash,
            ip,
        };
        let (outcome, events, mut closing, committed) = match self.judge(&mut tx, &case).await? {
            Judged::Final(accepted) => (
                accepted.outcome,
                accepted.events,
                accepted.closing,
                Some(accepted.committed),
            ),
            Judged::Rejected(problem, events) => {
                (problem_outcome(&problem), events, Batch::new(&tx), None)
            }
        };
        store::decisions::queue_outcome(&mut closing, hash, &outcome)?;
        tx.commit_batch(closing).await?;
        self.publish(&events);
        match committed {
            // Approved, denied or "not me": the waiting relying party has its answer.
            Some(committed) => self.waiters.finished_as(&row.id, committed),
            // Failed on its third wrong code, or refused and still pending: the
            // waiting relying party reads it (a refusal costs it that one read).
            None => self.finished(&row.id),
        }
        Ok(outcome.into())
    }

    /// Judges one decision inside `tx`, which holds the device and the request; the
    /// caller stores the outcome.
    async fn judge(
        &self,
        tx: &mut sqlx::AnyConnection,
        case: &Case<'_>,
    ) -> Result<Judged, ServiceError> {
        let now = now();
        let verdict = rules::judge_origin(case.request, case.decision.origin.as_deref());
        // A decision on a request that is no longer pending is answered before any
        // PIN is looked at, so such an answer tells nothing about the PIN.
        if let Some(problem) = precheck(case, verdict, now) {
            return Ok(Judged::Rejected(problem, Vec::new()));
        }
        let mut row = case.row.clone();
        if verdict == OriginVerdict::Mismatch {
            let seen = case.decision.origin.as_deref().unwrap_or_default();
            self.suspect_phishing(tx, case, seen, now).await?;
            row.phishing_origin.get_or_insert_with(|| seen.to_owned());
        }
        let mut uv_kind = UvKind::Pin;
        if case.decision.decision == DecisionKind::Approve {
            // Before the PIN and the code: a refusal here counts nothing.
            if let Some(problem) = origin_refusal(case, verdict, &row) {
                return Ok(Judged::Rejected(problem, Vec::new()));
            }
            match self.verify_approval(tx, case, now).await? {
                Ok(kind) => uv_kind = kind,
                Err(rejected) => return Ok(rejected),
            }
        }
        self.apply(tx, case, &row, uv_kind, now).await
    }

    /// A device reported a hand-off of this request from an origin that is not the
    /// relying party's: kept on the request (its result will say so, and it can no
    /// longer be approved) and in the audit log, in the transaction that judges it.
    async fn suspect_phishing(
        &self,
        tx: &mut sqlx::AnyConnection,
        case: &Case<'_>,
        origin: &str,
        now: i64,
    ) -> Result<(), ServiceError> {
        store::requests::mark_phishing(tx, &case.row.id, origin).await?;
        let detail = format!(
            "{} from rp {}: handed off from {origin}, not one of the rp's origins ({})",
            case.row.id,
            case.row.rp_id,
            case.decision.decision.as_str()
        );
        store::audit::append(
            tx,
            &AuditEntry::by_device(AuditEvent::SuspectedPhishing, case.device, now)
                .ip(case.ip.clone())
                .detail(detail),
        )
        .await?;
        tracing::warn!(
            request = %case.row.id,
            rp = %case.row.rp_id,
            "suspected phishing: a hand-off from an origin that is not the relying party's"
        );
        Ok(())
    }

    /// The second factor (a wrong PIN counts toward the device's 5), the required
    /// user verification and the server's policy on `software` keys, then the typed
    /// code (a wrong code counts toward the 3), unless the browser vouched for the
    /// origin and no code was sent.
    async fn verify_approval(
        &self,
        tx: &mut sqlx::AnyConnection,
        case: &Case<'_>,
        now: i64,
    ) -> Result<Result<UvKind, Judged>, ServiceError> {
        let uv_kind = match self
            .judge_second_factor(
                tx,
                case.device,
                case.envelope,
                Accept::PinOrUserVerification,
                case.ip.clone(),
                now,
            )
            .await?
        {
            Ok(kind) => kind,
            Err(refusal) => return Ok(Err(Judged::Rejected(refusal.problem, refusal.events))),
        };
        if !rules::uv_kind_qualifies(case.request.user_verification, uv_kind) {
            return Ok(Err(Judged::Rejected(
                Problem::new(
                    ErrorCode::UserVerificationInsufficient,
                    "this request must be approved with the PIN",
                ),
                Vec::new(),
            )));
        }
        // Not a wrong PIN and not counted: the request stays pending for the PIN.
        if uv_kind == UvKind::Software && !self.settings.allow_software_uv {
            return Ok(Err(Judged::Rejected(
                Problem::new(
                    ErrorCode::UvNotAllowed,
                    "this server does not accept fingerprint approvals from a key kept in \
                     the keyring; approve with the PIN",
                ),
                Vec::new(),
            )));
        }
        // No code only with a verified origin (`precheck`); a code sent is checked.
        if let Some(typed) = case.decision.code.as_deref()
            && !rules::codes_equal(typed, &case.row.code)
        {
            return Ok(Err(self.code_failed(tx, case.row, now).await?));
        }
        Ok(Ok(uv_kind))
    }

    /// Records an accepted decision: the request's final state and signed result,
    /// `withdrawn` for the user's other devices, strikes and blocks, the audit log.
    async fn apply(
        &self,
        tx: &mut sqlx::AnyConnection,
        case: &Case<'_>,
        row: &RequestRow,
        uv_kind: UvKind,
        now: i64,
    ) -> Result<Judged, ServiceError> {
        let (device, decision) = (case.device, case.decision);
        let state = match decision.decision {
            DecisionKind::Approve => RequestState::Approved,
            DecisionKind::Deny => RequestState::Denied,
            DecisionKind::NotMe => RequestState::NotMe,
        };
        let result = self.result_envelope(
            row,
            state,
            Some((case.envelope, &device.device_key, uv_kind)),
            now,
        )?;
        let finish = Finish {
            state,
            now,
            device_id: Some(&device.id),
            decision_hash: Some(case.hash),
            result: &result,
        };
        if !store::requests::finish_request(tx, &row.id, &finish).await? {
            return Ok(Judged::Rejected(
                Problem::new(
                    ErrorCode::RequestNotPending,
                    "this request is no longer pending",
                )
                .with_detail("it was decided on another device"),
                Vec::new(),
            ));
        }
        crate::metrics::request_finished(state.as_str());
        let events = self
            .tell_devices(
                tx,
                &row.user_id,
                &row.id,
                CloseReason::Withdrawn,
                Some(&device.id),
                now,
            )
            .await?;
        let not_me = decision.decision == DecisionKind::NotMe;
        let block_until = not_me.then_some(now + self.settings.not_me_block_seconds);
        // The rest decides nothing more: queued, sent with the stored answer.
        let mut closing = Batch::new(tx);
        store::users::queue_decision(
            &mut closing,
            &row.user_id,
            decision.decision != DecisionKind::Approve,
            block_until,
        )?;
        let entry = |event| AuditEntry::by_device(event, device, now).ip(case.ip.clone());
        let origin = match rules::judge_origin(case.request, decision.origin.as_deref()) {
            OriginVerdict::Verified => " origin-verified",
            OriginVerdict::Mismatch => " origin-mismatch",
            OriginVerdict::Absent | OriginVerdict::NotJudged => "",
        };
        let detail = format!("{} {}{origin}", row.id, decision.decision.as_str());
        let mut entries = vec![entry(AuditEvent::Decision).detail(detail)];
        if not_me {
            let detail = format!("{} from rp {}; pushes paused", row.id, row.rp_id);
            entries.push(entry(AuditEvent::NotMeReported).detail(detail));
        }
        // One statement: the decision's entry before the report it caused.
        store::audit::queue_all(&mut closing, &entries)?;
        // Stored, and replayed byte for byte to a resent decision.
        let body = serde_json::to_string(&DecisionAccepted {
            request_id: row.id.clone(),
            status: state,
        })?;
        Ok(Judged::Final(Accepted {
            outcome: StoredOutcome {
                http_status: 200,
                body,
            },
            events,
            closing,
            committed: FinalState {
                state,
                exp: row.exp,
                result,
            },
        }))
    }

    /// A wrong code: count it, and fail the request after the third.
    async fn code_failed(
        &self,
        tx: &mut sqlx::AnyConnection,
        row: &RequestRow,
        now: i64,
    ) -> Result<Judged, ServiceError> {
        let failures = store::requests::count_code_failure(tx, &row.id).await?;
        let left = i64::from(MAX_CODE_FAILURES) - failures;
        if left > 0 {
            let problem = Problem::new(
                ErrorCode::CodeMismatch,
                "the code does not match the one on the login screen",
            )
            .with_attempts_left(u32::try_from(left).unwrap_or(0));
            return Ok(Judged::Rejected(problem, Vec::new()));
        }
        let events = self
            .close_request(tx, row, RequestState::Failed, CloseReason::Failed, now)
            .await?;
        let problem = Problem::new(
            ErrorCode::CodeMismatch,
            "the code was wrong three times; the request failed",
        )
        .with_attempts_left(0);
        Ok(Judged::Rejected(problem, events))
    }
}

/// An accepted decision, for the caller to commit and announce.
struct Accepted {
    /// The answer, stored with the closing writes.
    outcome: StoredOutcome,
    /// The events to publish once committed.
    events: Vec<store::EventRow>,
    /// The decision's closing writes, queued to go with the stored answer.
    closing: Batch,
    /// The request's final state, handed to the relying party's waits once committed.
    committed: FinalState,
}

/// Why a decision was refused before its transaction.
enum Refused {
    Problem(Box<Problem>),
    /// The device signature does not verify (audited).
    Signature,
    /// Not the caller's fault (a stored key that does not read).
    Fault(godkend_protocol::ProtocolError),
}

impl From<Refused> for ServiceError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Problem(problem) => ServiceError::Problem(problem),
            Refused::Signature => Problem::new(
                ErrorCode::InvalidSignature,
                "the device signature does not verify",
            )
            .into(),
            Refused::Fault(e) => e.into(),
        }
    }
}

/// The checks that need no database: the body is a decision envelope of this device
/// for this request, signed by the device key. Returns it with its hash (the key of
/// its stored answer).
fn read_decision(
    device: &DeviceRow,
    request_id: &str,
    body: &[u8],
) -> Result<(Envelope, Decision, String), Refused> {
    let bad = |why: &str| Problem::new(ErrorCode::BadRequest, why.to_owned());
    let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
        Refused::Problem(Box::new(
            Problem::new(
                ErrorCode::MalformedJson,
                "the body is not a decision envelope",
            )
            .with_detail(e.to_string()),
        ))
    })?;
    let hash = b64::sha256_b64(canonical::to_vec(&envelope).map_err(Refused::Fault)?);
    let decision: Decision = envelope.peek().map_err(|e| {
        Refused::Problem(Box::new(
            bad("the payload is not a decision").with_detail(e.to_string()),
        ))
    })?;
    // The caller and the path first: a stored answer goes only to the device that
    // signed the decision, for the request it names.
    if decision.device_id != device.id || decision.request_id != request_id {
        return Err(Refused::Problem(Box::new(bad(
            "the decision names another device or request",
        ))));
    }
    let device_key = PublicKey::ed25519_b64(&device.device_key).map_err(Refused::Fault)?;
    if envelope.verify(&device_key).is_err() {
        return Err(Refused::Signature);
    }
    Ok((envelope, decision, hash))
}

/// A decision that passed `read_decision`.
struct Checked<'a> {
    envelope: &'a Envelope,
    decision: &'a Decision,
    hash: &'a str,
}

enum Judged {
    Final(Accepted),
    Rejected(Problem, Vec<store::EventRow>),
}
