//! Relying parties and their API keys (stored as SHA-256 hashes only).

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RpRow {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

impl Store {
    /// Adds a relying party; `false` if the id is taken.
    pub async fn add_rp(
        &self,
        id: &str,
        name: &str,
        key_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO rps (id, name, api_key_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .bind(key_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn rp_by_key_hash(&self, key_hash: &str) -> Result<Option<RpRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, name, created_at FROM rps WHERE api_key_hash = $1")
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn rp(&self, id: &str) -> Result<Option<RpRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, name, created_at FROM rps WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn rps(&self) -> Result<Vec<RpRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT id, name, created_at FROM rps ORDER BY id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn remove_rp(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM rps WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
