//! Approval requests from relying parties: creation with the abuse controls, expiry,
//! and the relying party's view of the result.

use godkend_protocol::messages::{
    ApprovalRequest, CloseReason, CreateRequest, CreatedRequest, EventKind, OriginBinding,
    RequestClosed, RequestState, RequestStatus, RpResult,
};
use godkend_protocol::rules::OriginVerdict;
use godkend_protocol::{Envelope, ErrorCode, Problem, rules};
use rand::RngExt as _;
use sqlx::AnyConnection;

use super::{Service, ServiceError, now, random_id};
use crate::request_waiters::FinalState;
use crate::store::batch::Batch;
use crate::store::requests::Finish;
use crate::store::{self, AuditEntry, AuditEvent, EventRow, RequestRow, RpRow, UserRow};

fn check_create(
    body: &CreateRequest,
    webhooks: &crate::webhook::WebhookSettings,
) -> Result<(u8, u32), Box<Problem>> {
    let bad = |why: String| {
        Box::new(Problem::new(ErrorCode::BadRequest, "invalid request").with_detail(why))
    };
    body.check_texts().map_err(bad)?;
    if let Some(url) = &body.webhook_url {
        crate::webhook::check_url(url, webhooks.allow_loopback)
            .map_err(|why| bad(format!("webhook_url: {why}")))?;
    }
    let code_length = rules::code_length_or_default(body.code_length).map_err(bad)?;
    let ttl = rules::ttl_or_default(body.ttl_seconds).map_err(bad)?;
    Ok((code_length, ttl))
}

/// The origins signed into a new request of `rp`: its registered ones, none under
/// `off`. `required` without any is refused: no hand-off could ever verify it.
fn signed_origins(rp: &RpRow, binding: OriginBinding) -> Result<Vec<String>, Box<Problem>> {
    let origins = rp.origins();
    match binding {
        OriginBinding::Off => Ok(Vec::new()),
        OriginBinding::Required if origins.is_empty() => Err(Box::new(
            Problem::new(
                ErrorCode::BadRequest,
                "origin_binding `required` needs the relying party's web origins",
            )
            .with_detail(format!(
                "relying party `{}` has no origins registered; the operator adds them with \
                 `godkend-server rp update {} --origin https://...`",
                rp.id, rp.id
            )),
        )),
        OriginBinding::Required | OriginBinding::Preferred => Ok(origins),
    }
}

/// The approval request to sign for `body`, as `rp` asked for it.
fn approval_request(
    rp: &RpRow,
    body: &CreateRequest,
    code_length: u8,
    ttl: u32,
    rp_origins: Vec<String>,
    now: i64,
) -> ApprovalRequest {
    ApprovalRequest {
        iat: now,
        exp: now + i64::from(ttl),
        request_id: random_id("req_"),
        nonce: random_id(""),
        user: body.user.clone(),
        rp_id: rp.id.clone(),
        rp_name: rp.name.clone(),
        kind: body.kind,
        title: body.title.clone(),
        message: body.message.clone(),
        amount: body.amount.clone(),
        payee: body.payee.clone(),
        context: body.context.clone(),
        code_length,
        user_verification: body.user_verification,
        origin_binding: body.origin_binding,
        rp_origins,
    }
}

fn random_digits(len: u8) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

impl Service {
    /// Creates a request for `body.user` on behalf of `rp`, superseding any pending one.
    pub async fn create_request(
        &self,
        rp: &RpRow,
        body: &CreateRequest,
    ) -> Result<CreatedRequest, ServiceError> {
        let (code_length, ttl) = check_create(body, &self.settings.webhooks)?;
        godkend_protocol::ids::check_user(&body.user)?;
        let rp_origins = signed_origins(rp, body.origin_binding)?;
        let now = now();

        let code = random_digits(code_length);
        let request = approval_request(rp, body, code_length, ttl, rp_origins, now);
        let envelope = self.seal(&request)?;
        let row = RequestRow {
            id: request.request_id.clone(),
            user_id: body.user.clone(),
            rp_id: rp.id.clone(),
            envelope: envelope.to_json()?,
            request_hash: envelope.payload_hash()?,
            code: code.clone(),
            state: "pending".into(),
            code_failures: 0,
            created_at: now,
            exp: request.exp,
            decided_at: None,
            decided_device_id: None,
            decision_hash: None,
            result: None,
            webhook_url: body.webhook_url.clone(),
            phishing_origin: None,
        };

        // The user's row first, held until commit: concurrent requests for one user
        // queue here, so the "one pending request" rule and the push backoff see each
        // other (under PostgreSQL's READ COMMITTED both would otherwise pass).
        let (mut tx, rows) = self
            .store
            .begin_with(|batch| store::users::queue_request_target(batch, &body.user))
            .await?;
        let target = store::users::request_target(&rows)?.ok_or_else(|| {
            Problem::new(ErrorCode::UserNotFound, format!("no user `{}`", body.user))
        })?;
        let (user, devices) = (target.user, target.devices);
        self.check_push_allowed(&user, now)?;
        if devices.is_empty() {
            return Err(Problem::new(
                ErrorCode::NotFound,
                format!("user `{}` has no active device", user.id),
            )
            .into());
        }
        let mut events = Vec::new();
        let superseded = if target.pending {
            store::requests::pending_for_user(&mut tx, &user.id).await?
        } else {
            Vec::new()
        };
        // One pending request per user: the new one supersedes the old.
        for old in &superseded {
            events.extend(
                self.close_request(
                    &mut tx,
                    old,
                    RequestState::Superseded,
                    CloseReason::Superseded,
                    now,
                )
                .await?,
            );
        }
        // The writes that decide nothing more, in one trip to the database.
        let mut batch = Batch::new(&tx);
        store::requests::queue_request(&mut batch, &row)?;
        let device_ids: Vec<&str> = devices.iter().map(String::as_str).collect();
        let created = store::events::queue_events(
            &mut batch,
            &device_ids,
            EventKind::RequestCreated.as_str(),
            &row.envelope,
            now,
        )?;
        store::users::queue_push(&mut batch, &user.id, now)?;
        store::audit::queue(
            &mut batch,
            &AuditEntry::new(AuditEvent::RequestCreated, format!("rp:{}", rp.id), now)
                .user(&user.id)
                .detail(format!("{} {:?}", row.id, body.kind).to_lowercase()),
        )?;
        let rows = tx.commit_batch(batch).await?;
        events.extend(created.stored(&rows)?);
        self.publish(&events);
        for old in &superseded {
            self.finished(&old.id);
        }
        crate::metrics::request_created();
        Ok(CreatedRequest {
            request_id: row.id,
            code,
            exp: request.exp,
        })
    }

    /// The abuse controls: a "not me" report pauses pushes; denials back off.
    fn check_push_allowed(&self, user: &UserRow, now: i64) -> Result<(), Box<Problem>> {
        if user.push_blocked_until > now {
            let mut p = Problem::new(
                ErrorCode::PushesBlocked,
                "the user reported a request as not theirs; new requests are paused",
            );
            p.retry_after = u64::try_from(user.push_blocked_until - now).ok();
            return Err(Box::new(p));
        }
        let backoff = self.backoff_seconds(user.strikes);
        if backoff > 0 && user.last_push_at + backoff > now {
            let mut p = Problem::new(
                ErrorCode::RateLimited,
                "too many requests for this user after recent denials; try again later",
            );
            p.retry_after = u64::try_from(user.last_push_at + backoff - now).ok();
            return Err(Box::new(p));
        }
        Ok(())
    }

    /// Push backoff after `strikes` denials: none without strikes, then doubling.
    fn backoff_seconds(&self, strikes: i64) -> i64 {
        if strikes <= 0 {
            return 0;
        }
        let doublings = u32::try_from((strikes - 1).min(20)).unwrap_or(20);
        (self
            .settings
            .push_backoff_base_seconds
            .saturating_mul(1 << doublings))
        .min(self.settings.push_backoff_max_seconds)
    }

    /// Ends a pending request without a decision (superseded, expired, failed) inside
    /// `conn`'s transaction, and tells every active device. Returns the events written.
    pub(crate) async fn close_request(
        &self,
        conn: &mut AnyConnection,
        row: &RequestRow,
        state: RequestState,
        reason: CloseReason,
        now: i64,
    ) -> Result<Vec<EventRow>, ServiceError> {
        let result = self.result_envelope(row, state, None, now)?;
        let finish = Finish {
            state,
            now,
            device_id: None,
            decision_hash: None,
            result: &result,
        };
        if !store::requests::finish_request(conn, &row.id, &finish).await? {
            return Ok(Vec::new());
        }
        crate::metrics::request_finished(state.as_str());
        self.tell_devices(conn, &row.user_id, &row.id, reason, None, now)
            .await
    }

    /// Writes a signed `request_closed` event for each active device of `user`
    /// (except `skip`).
    pub(crate) async fn tell_devices(
        &self,
        conn: &mut AnyConnection,
        user: &str,
        request_id: &str,
        reason: CloseReason,
        skip: Option<&str>,
        now: i64,
    ) -> Result<Vec<EventRow>, ServiceError> {
        let mut events = Vec::new();
        for device in store::devices::active_device_ids(conn, user).await? {
            if Some(device.as_str()) == skip {
                continue;
            }
            let closed = RequestClosed {
                iat: now,
                device_id: device.clone(),
                request_id: request_id.into(),
                reason,
            };
            let data = self.seal(&closed)?.to_json()?;
            events.push(
                store::events::insert_event(
                    conn,
                    &device,
                    EventKind::RequestClosed.as_str(),
                    &data,
                    now,
                )
                .await?,
            );
        }
        Ok(events)
    }

    /// The signed result for the relying party. Says whether the browser vouched for
    /// the relying party's origin, which origin handed the request off (as the
    /// device signed it, or as an earlier decision reported it), and whether one
    /// that is not the relying party's did.
    pub(crate) fn result_envelope(
        &self,
        row: &RequestRow,
        state: RequestState,
        decision: Option<(&Envelope, &str, godkend_protocol::messages::UvKind)>,
        now: i64,
    ) -> Result<String, ServiceError> {
        let (decision_payload, device_signature, device_key, user_verification) = match decision {
            Some((envelope, device_key, uv)) => {
                let key = godkend_protocol::PublicKey::ed25519_b64(device_key)?;
                (
                    Some(envelope.payload.clone()),
                    envelope.signature_by(&key).cloned(),
                    Some(device_key.to_owned()),
                    (state == RequestState::Approved).then_some(uv),
                )
            }
            None => (None, None, None, None),
        };
        let seen = decision
            .and_then(|(envelope, ..)| envelope.payload.get("origin"))
            .and_then(serde_json::Value::as_str);
        // The request as signed; the server wrote it, so it reads.
        let verdict = Envelope::from_json(&row.envelope)
            .and_then(|e| e.peek::<ApprovalRequest>())
            .map_or(OriginVerdict::NotJudged, |request| {
                rules::judge_origin(&request, seen)
            });
        let origin = match verdict {
            OriginVerdict::Verified | OriginVerdict::Mismatch => seen.map(str::to_owned),
            OriginVerdict::Absent | OriginVerdict::NotJudged => None,
        }
        .or_else(|| row.phishing_origin.clone());
        let result = RpResult {
            iat: now,
            request_id: row.id.clone(),
            rp_id: row.rp_id.clone(),
            user: row.user_id.clone(),
            status: state,
            decision: decision_payload,
            device_signature,
            device_key,
            user_verification,
            origin_verified: verdict == OriginVerdict::Verified,
            origin,
            suspected_phishing: row.phishing_origin.is_some(),
        };
        Ok(self.seal(&result)?.to_json()?)
    }

    /// Expires every overdue pending request (run periodically, and before reads).
    pub async fn expire_overdue(&self) -> Result<usize, ServiceError> {
        let now = now();
        // A decision signed before `exp` may still arrive up to the grace period later.
        let overdue = self
            .store
            .overdue_requests(now - rules::DECISION_GRACE_SECONDS)
            .await?;
        let mut count = 0;
        for row in overdue {
            let mut tx = self.store.begin().await?;
            let events = self
                .close_request(
                    &mut tx,
                    &row,
                    RequestState::Expired,
                    CloseReason::Expired,
                    now,
                )
                .await?;
            tx.commit().await?;
            if !events.is_empty() {
                count += 1;
            }
            self.publish(&events);
            self.finished(&row.id);
        }
        Ok(count)
    }

    /// The relying party's view of one of its requests.
    pub async fn request_status(
        &self,
        rp: &RpRow,
        id: &str,
    ) -> Result<RequestStatus, ServiceError> {
        let not_found = || Problem::new(ErrorCode::NotFound, format!("no request `{id}`"));
        let mut row = self.store.request(id).await?.ok_or_else(not_found)?;
        if row.rp_id != rp.id {
            return Err(not_found().into());
        }
        if row.state() == RequestState::Pending
            && rules::is_expired(row.exp + rules::DECISION_GRACE_SECONDS, now())
        {
            self.expire_overdue().await?;
            row = self.store.request(id).await?.ok_or_else(not_found)?;
        }
        self.status_of(id, row.state(), row.exp, row.result.as_deref())
    }

    /// The relying party's view of a request whose final state was committed on this
    /// node while it waited (`RequestWatch::committed`); the caller has read the
    /// request once, which checked that it is this relying party's.
    pub fn committed_status(
        &self,
        id: &str,
        committed: &FinalState,
    ) -> Result<RequestStatus, ServiceError> {
        self.status_of(id, committed.state, committed.exp, Some(&committed.result))
    }

    fn status_of(
        &self,
        id: &str,
        status: RequestState,
        exp: i64,
        stored_result: Option<&str>,
    ) -> Result<RequestStatus, ServiceError> {
        Ok(RequestStatus {
            request_id: id.to_owned(),
            status,
            exp,
            result: stored_result
                .map(|stored| self.deliverable(stored))
                .transpose()?,
        })
    }
}
