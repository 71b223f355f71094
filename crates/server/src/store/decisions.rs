//! Idempotency: the answer each decision envelope got, keyed by its hash.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::StoreError;
use super::batch::{self, Batch};

/// A stored answer: HTTP status and JSON body, replayed byte for byte.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredOutcome {
    pub http_status: i64,
    pub body: String,
}

/// The stored answer to a decision of this device with this hash, once judged.
const OUTCOME: &str = "SELECT http_status, body FROM decisions WHERE decision_hash = $1 \
                       AND device_id = $2 AND http_status <> 0";

/// The answer `device`'s decision with this hash got, read inside `conn`'s
/// transaction. Keyed by the device too, so a stored answer goes only to the device
/// that sent the decision.
pub(crate) async fn outcome_in(
    conn: &mut AnyConnection,
    device: &str,
    hash: &str,
) -> Result<Option<StoredOutcome>, StoreError> {
    Ok(sqlx::query_as(OUTCOME)
        .bind(hash)
        .bind(device)
        .fetch_optional(conn)
        .await?)
}

/// What `queue_claim`'s statement returns when it claimed the hash.
const CLAIMED: &str = "decision claimed";

/// Queues claiming a decision hash for judging in a transaction's batch; `claimed`
/// then says whether it did. Not claimed means another call judged (or is judging)
/// the byte-identical decision: on PostgreSQL the insert waits for that transaction,
/// on SQLite writers are serialised, so the caller's next statement (`outcome_in`,
/// same transaction) reads the stored answer: under READ COMMITTED each statement
/// sees what was committed before it.
pub(crate) fn queue_claim(
    batch: &mut Batch,
    hash: &str,
    request: &str,
    device: &str,
    now: i64,
) -> Result<(), StoreError> {
    batch.push_returning(
        &format!(
            "INSERT INTO decisions \
             (decision_hash, request_id, device_id, http_status, body, created_at) \
             VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (decision_hash) DO NOTHING \
             RETURNING '{CLAIMED}'"
        ),
        |b| b.bind(hash).bind(request).bind(device).bind(now),
    )
}

/// Whether the batch's `queue_claim` claimed its hash (`rows`: the batch's).
pub(crate) fn claimed(rows: &[AnyRow]) -> bool {
    batch::returned(rows, CLAIMED)
}

/// Stores the answer a claimed decision got.
pub(crate) fn queue_outcome(
    batch: &mut Batch,
    hash: &str,
    outcome: &StoredOutcome,
) -> Result<(), StoreError> {
    batch.push(
        "UPDATE decisions SET http_status = $1, body = $2 WHERE decision_hash = $3",
        |b| b.bind(outcome.http_status).bind(&outcome.body).bind(hash),
    )
}
