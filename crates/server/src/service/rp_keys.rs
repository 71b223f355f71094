//! Relying-party API key rotation: a new key, shown once, while the previous key
//! keeps working for an overlap so the relying party can switch without an outage.

use godkend_protocol::messages::admin::check_overlap;
use godkend_protocol::{ErrorCode, Problem, ids};
use serde::{Deserialize, Serialize};

use super::{Service, ServiceError, api_key_hash, new_api_key, now};
use crate::store::{AuditEntry, AuditEvent};

/// A relying party's new API key, shown once.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RotatedKey {
    pub rp_id: String,
    pub api_key: String,
    /// Until when (Unix seconds) the key it replaces still works; absent when that
    /// key stopped working at once (an overlap of 0).
    pub previous_key_valid_until: Option<i64>,
}

impl Service {
    /// Gives `rp_id` a new API key. Its current key keeps working for
    /// `overlap_seconds` (0: it stops at once). Only one previous key is kept: a key
    /// still in an earlier rotation's overlap stops at once.
    pub async fn rotate_rp_key(
        &self,
        rp_id: &str,
        overlap_seconds: i64,
        actor: &str,
    ) -> Result<RotatedKey, ServiceError> {
        ids::check_rp(rp_id)?;
        check_overlap(overlap_seconds)?;
        let now = now();
        let until = (overlap_seconds > 0).then_some(now + overlap_seconds);
        let api_key = new_api_key();
        if !self
            .store
            .rotate_rp_key(rp_id, &api_key_hash(&api_key), until)
            .await?
        {
            return Err(
                Problem::new(ErrorCode::NotFound, format!("no relying party `{rp_id}`")).into(),
            );
        }
        let previous = until.map_or_else(
            || "stopped at once".to_owned(),
            |t| format!("works until {t}"),
        );
        self.store
            .audit(
                &AuditEntry::new(AuditEvent::RpKeyRotated, actor, now)
                    .detail(format!("{rp_id} previous key {previous}")),
            )
            .await?;
        Ok(RotatedKey {
            rp_id: rp_id.into(),
            api_key,
            previous_key_valid_until: until,
        })
    }
}
