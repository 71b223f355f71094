//! Approval requests and their life cycle. State changes are conditional on the state
//! they leave (`WHERE state = 'pending'`), so exactly one decision or expiry wins.

use godkend_protocol::messages::RequestState;
use sqlx::AnyConnection;

use super::batch::Batch;
use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestRow {
    pub id: String,
    pub user_id: String,
    pub rp_id: String,
    /// The server-signed approval request envelope (JSON).
    pub envelope: String,
    pub request_hash: String,
    pub code: String,
    pub state: String,
    pub code_failures: i64,
    pub created_at: i64,
    pub exp: i64,
    pub decided_at: Option<i64>,
    pub decided_device_id: Option<String>,
    pub decision_hash: Option<String>,
    /// The server-signed RP result envelope (JSON), once final.
    pub result: Option<String>,
    pub webhook_url: Option<String>,
    /// The first origin, not the RP's, that a device reported for this request.
    pub phishing_origin: Option<String>,
}

impl RequestRow {
    pub fn state(&self) -> RequestState {
        RequestState::parse(&self.state).unwrap_or(RequestState::Failed)
    }
}

const COLUMNS: &str = "id, user_id, rp_id, envelope, request_hash, code, state, code_failures, \
                       created_at, exp, decided_at, decided_device_id, decision_hash, result, webhook_url, \
                       phishing_origin";

impl Store {
    pub async fn request(&self, id: &str) -> Result<Option<RequestRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM requests WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The user's pending requests (at most one in normal operation).
    pub async fn pending_requests(&self, user: &str) -> Result<Vec<RequestRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM requests WHERE user_id = $1 AND state = 'pending' ORDER BY created_at"
        )))
        .bind(user)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Pending requests whose time is up, across all users.
    pub async fn overdue_requests(&self, now: i64) -> Result<Vec<RequestRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM requests WHERE state = 'pending' AND exp <= $1 ORDER BY exp LIMIT 200"
        )))
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }
}

pub(crate) async fn pending_for_user(
    conn: &mut AnyConnection,
    user: &str,
) -> Result<Vec<RequestRow>, StoreError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM requests WHERE user_id = $1 AND state = 'pending'"
    )))
    .bind(user)
    .fetch_all(conn)
    .await?)
}

/// Reads a request inside `conn`'s write transaction and holds it until the
/// transaction ends (see `super::for_update`).
pub(crate) async fn lock_request(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<RequestRow>, StoreError> {
    super::lock_by_id(conn, "requests", COLUMNS, id).await
}

/// (Queued in the creating transaction's batch.)
pub(crate) fn queue_request(batch: &mut Batch, row: &RequestRow) -> Result<(), StoreError> {
    batch.push(
        "INSERT INTO requests (id, user_id, rp_id, envelope, request_hash, code, state, code_failures, \
         created_at, exp, webhook_url) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $9)",
        |b| {
            b.bind(&row.id)
                .bind(&row.user_id)
                .bind(&row.rp_id)
                .bind(&row.envelope)
                .bind(&row.request_hash)
                .bind(&row.code)
                .bind(row.created_at)
                .bind(row.exp)
                .bind(&row.webhook_url)
        },
    )
}

/// What a request's final state change records.
pub(crate) struct Finish<'a> {
    pub state: RequestState,
    pub now: i64,
    pub device_id: Option<&'a str>,
    pub decision_hash: Option<&'a str>,
    pub result: &'a str,
}

/// Moves a pending request to a final state; `false` if it was no longer pending, or
/// if a deciding device is no longer active (a device blocked or revoked a moment
/// ago decides nothing).
pub(crate) async fn finish_request(
    conn: &mut AnyConnection,
    id: &str,
    finish: &Finish<'_>,
) -> Result<bool, StoreError> {
    let device_active = if finish.device_id.is_some() {
        " AND EXISTS (SELECT 1 FROM devices WHERE id = $3 AND status = 'active')"
    } else {
        ""
    };
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE requests SET state = $1, decided_at = $2, decided_device_id = $3, decision_hash = $4, \
         result = $5, webhook_next_at = CASE WHEN webhook_url IS NULL THEN NULL ELSE $2 END \
         WHERE id = $6 AND state = 'pending'{device_active}"
    )))
    .bind(finish.state.as_str())
    .bind(finish.now)
    .bind(finish.device_id)
    .bind(finish.decision_hash)
    .bind(finish.result)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    // On PostgreSQL the table's trigger announces it at commit (FINISHED_CHANNEL):
    // every node's event pump wakes its long polls on `id`.
    Ok(done.rows_affected() == 1)
}

/// Records that a device reported a hand-off of this request from `origin`, which is
/// not the relying party's. The first such origin is kept.
pub(crate) async fn mark_phishing(
    conn: &mut AnyConnection,
    id: &str,
    origin: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE requests SET phishing_origin = COALESCE(phishing_origin, $1) WHERE id = $2",
    )
    .bind(origin)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts a wrong code; returns the new count.
pub(crate) async fn count_code_failure(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<i64, StoreError> {
    let (n,): (i64,) = sqlx::query_as(
        "UPDATE requests SET code_failures = code_failures + 1 WHERE id = $1 RETURNING code_failures",
    )
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// A final result waiting for webhook delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueWebhook {
    pub id: String,
    pub rp_id: String,
    pub webhook_url: String,
    pub result: String,
    pub webhook_attempts: i64,
    pub webhook_next_at: i64,
}

impl Store {
    /// Results whose webhook delivery is due, taken in turns across relying
    /// parties (each one's oldest first, then each one's second, ...), at most
    /// `per_rp` of each and `limit` in all, so one relying party's backlog cannot
    /// crowd the others out of the list.
    pub async fn due_webhooks(
        &self,
        now: i64,
        per_rp: i64,
        limit: i64,
    ) -> Result<Vec<DueWebhook>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, rp_id, webhook_url, result, webhook_attempts, webhook_next_at FROM ( \
               SELECT id, rp_id, webhook_url, result, webhook_attempts, webhook_next_at, \
                 ROW_NUMBER() OVER (PARTITION BY rp_id ORDER BY webhook_next_at, id) AS turn \
               FROM requests WHERE webhook_next_at IS NOT NULL AND webhook_next_at <= $1 \
               AND webhook_url IS NOT NULL AND result IS NOT NULL \
             ) AS due WHERE turn <= $2 ORDER BY turn, webhook_next_at, id LIMIT $3",
        )
        .bind(now)
        .bind(per_rp)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims a due delivery for this node until `claimed_until` (then it is due
    /// again, should this node die mid-try); `false` if another node claimed it first.
    pub async fn claim_webhook(
        &self,
        due: &DueWebhook,
        claimed_until: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE requests SET webhook_next_at = $1, webhook_attempts = webhook_attempts + 1 \
             WHERE id = $2 AND webhook_next_at = $3",
        )
        .bind(claimed_until)
        .bind(&due.id)
        .bind(due.webhook_next_at)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// After a failed try, makes the delivery due at `retry_at` (`None`: given up),
    /// if this node's claim until `claimed_until` still holds.
    pub async fn release_webhook(
        &self,
        id: &str,
        claimed_until: i64,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE requests SET webhook_next_at = $1 WHERE id = $2 AND webhook_next_at = $3",
        )
        .bind(retry_at)
        .bind(id)
        .bind(claimed_until)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }

    /// Marks a webhook delivered.
    pub async fn webhook_delivered(&self, id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE requests SET webhook_next_at = NULL, webhook_delivered_at = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(())
    }
}
