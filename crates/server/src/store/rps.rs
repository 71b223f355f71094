//! Relying parties, their API keys (stored as SHA-256 hashes only) and their web
//! origins (a JSON array, in ASCII serialisation).

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RpRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    /// JSON array of origins, as `godkend_protocol::origin::normalise_origins` wrote
    /// them.
    pub origins: String,
    /// Until when the API key a rotation replaced still works (Unix seconds).
    pub previous_key_expires_at: Option<i64>,
}

impl RpRow {
    /// The registered origins; a value this server did not write reads as none.
    pub fn origins(&self) -> Vec<String> {
        serde_json::from_str(&self.origins).unwrap_or_default()
    }
}

const COLUMNS: &str = "id, name, created_at, origins, previous_key_expires_at";

impl Store {
    /// Adds a relying party; `false` if the id is taken. `origins` is a JSON array.
    pub async fn add_rp(
        &self,
        id: &str,
        name: &str,
        key_hash: &str,
        origins: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO rps (id, name, api_key_hash, created_at, origins) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .bind(key_hash)
        .bind(now)
        .bind(origins)
        .execute(&mut *self.writer().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces a relying party's origins (a JSON array); `false` if there is no such
    /// relying party. Requests made before keep the origins they were signed with.
    pub async fn set_rp_origins(&self, id: &str, origins: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE rps SET origins = $1 WHERE id = $2")
            .bind(origins)
            .bind(id)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The relying party whose current API key, or whose previous key still in its
    /// overlap at `now`, has this hash.
    pub async fn rp_by_key_hash(
        &self,
        key_hash: &str,
        now: i64,
    ) -> Result<Option<RpRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM rps WHERE api_key_hash = $1 \
             OR (previous_key_hash = $1 AND previous_key_expires_at > $2)"
        )))
        .bind(key_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Gives a relying party a new API key in one statement. With `previous_until`
    /// the current key becomes the previous one, valid until then, and a key that
    /// was previous before is dropped; without it the current key is dropped too.
    /// `false` if there is no such relying party.
    pub async fn rotate_rp_key(
        &self,
        id: &str,
        new_hash: &str,
        previous_until: Option<i64>,
    ) -> Result<bool, StoreError> {
        // SET reads the row as it was, so previous_key_hash takes the old current key.
        let query = match previous_until {
            Some(until) => sqlx::query(
                "UPDATE rps SET previous_key_hash = api_key_hash, \
                 previous_key_expires_at = $1, api_key_hash = $2 WHERE id = $3",
            )
            .bind(until)
            .bind(new_hash)
            .bind(id),
            None => sqlx::query(
                "UPDATE rps SET previous_key_hash = NULL, previous_key_expires_at = NULL, \
                 api_key_hash = $1 WHERE id = $2",
            )
            .bind(new_hash)
            .bind(id),
        };
        let done = query.execute(&mut *self.writer().await?).await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn rp(&self, id: &str) -> Result<Option<RpRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM rps WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn rps(&self) -> Result<Vec<RpRow>, StoreError> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM rps ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn remove_rp(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM rps WHERE id = $1")
            .bind(id)
            .execute(&mut *self.writer().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
