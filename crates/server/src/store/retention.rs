//! Retention of personal data: old decisions and finished requests (their envelopes
//! hold the user's IP address, place and what they approved) are deleted, and the IP
//! addresses in old audit rows are blanked. The audit log stays append-only: its
//! trigger allows this one change (an IP address set to NULL) and nothing else.

use super::{Store, StoreError};

/// What one retention sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub decisions: u64,
    pub requests: u64,
    pub audit_ips: u64,
}

impl Store {
    /// Deletes decisions and finished requests created before `before`. A request
    /// whose webhook is still due is kept until delivered or given up.
    pub async fn delete_old_requests(&self, before: i64) -> Result<(u64, u64), StoreError> {
        let decisions = sqlx::query("DELETE FROM decisions WHERE created_at < $1")
            .bind(before)
            .execute(&mut *self.writer().await?)
            .await?
            .rows_affected();
        let requests = sqlx::query(
            "DELETE FROM requests WHERE created_at < $1 AND state <> 'pending' \
             AND webhook_next_at IS NULL",
        )
        .bind(before)
        .execute(&mut *self.writer().await?)
        .await?
        .rows_affected();
        Ok((decisions, requests))
    }

    /// Blanks the IP address of audit rows written before `before`.
    pub async fn blank_old_audit_ips(&self, before: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("UPDATE audit SET ip = NULL WHERE at < $1 AND ip IS NOT NULL")
                .bind(before)
                .execute(&mut *self.writer().await?)
                .await?
                .rows_affected(),
        )
    }
}
