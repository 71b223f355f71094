//! The append-only audit log of security events (the schema refuses updates and deletes).

use serde::Serialize;
use sqlx::AnyConnection;

use super::batch::Batch;
use super::{Store, StoreError};

/// Security events worth an audit row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditEvent {
    UserAdded,
    UserRemoved,
    RpAdded,
    RpRemoved,
    RpOriginsChanged,
    RpKeyRotated,
    ActivationCreated,
    ActivationFailed,
    DeviceActivated,
    UnlockFailed,
    DeviceBlocked,
    DeviceRevoked,
    RequestCreated,
    Decision,
    NotMeReported,
    PinChanged,
    UvKeyChanged,
    InvalidSignature,
    /// A device reported a hand-off from an origin that is not the RP's.
    SuspectedPhishing,
}

impl AuditEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditEvent::UserAdded => "user_added",
            AuditEvent::UserRemoved => "user_removed",
            AuditEvent::RpAdded => "rp_added",
            AuditEvent::RpRemoved => "rp_removed",
            AuditEvent::RpOriginsChanged => "rp_origins_changed",
            AuditEvent::RpKeyRotated => "rp_key_rotated",
            AuditEvent::ActivationCreated => "activation_created",
            AuditEvent::ActivationFailed => "activation_failed",
            AuditEvent::DeviceActivated => "device_activated",
            AuditEvent::UnlockFailed => "unlock_failed",
            AuditEvent::DeviceBlocked => "device_blocked",
            AuditEvent::DeviceRevoked => "device_revoked",
            AuditEvent::RequestCreated => "request_created",
            AuditEvent::Decision => "decision",
            AuditEvent::NotMeReported => "not_me_reported",
            AuditEvent::PinChanged => "pin_changed",
            AuditEvent::UvKeyChanged => "uv_key_changed",
            AuditEvent::InvalidSignature => "invalid_signature",
            AuditEvent::SuspectedPhishing => "suspected_phishing",
        }
    }
}

/// One audit row.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditEntry {
    #[serde(skip_serializing_if = "is_zero")]
    pub id: i64,
    pub at: i64,
    pub event: String,
    pub actor: String,
    pub user_id: Option<String>,
    pub device_id: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl AuditEntry {
    pub fn new(event: AuditEvent, actor: impl Into<String>, at: i64) -> Self {
        AuditEntry {
            at,
            event: event.as_str().into(),
            actor: actor.into(),
            ..AuditEntry::default()
        }
    }

    /// An entry whose actor is `device`, naming its user and itself.
    pub fn by_device(event: AuditEvent, device: &super::DeviceRow, at: i64) -> Self {
        AuditEntry::new(event, format!("device:{}", device.id), at)
            .user(&device.user_id)
            .device(&device.id)
    }

    #[must_use]
    pub fn user(mut self, user: &str) -> Self {
        self.user_id = Some(user.into());
        self
    }

    #[must_use]
    pub fn device(mut self, device: &str) -> Self {
        self.device_id = Some(device.into());
        self
    }

    #[must_use]
    pub fn ip(mut self, ip: Option<String>) -> Self {
        self.ip = ip;
        self
    }

    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Longest text kept in one audit field, in characters. Callers validate ids before
/// they get here; this bounds whatever else reaches the append-only log.
pub const MAX_AUDIT_FIELD: usize = 512;

/// `text` cut to `MAX_AUDIT_FIELD` characters (marked with `…` when cut).
fn capped(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_AUDIT_FIELD) {
        None => text.into(),
        Some((end, _)) => {
            let mut cut: String = text[..end].chars().take(MAX_AUDIT_FIELD - 1).collect();
            cut.push('…');
            cut.into()
        }
    }
}

pub(crate) async fn append(conn: &mut AnyConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    let mut batch = Batch::new(conn);
    queue(&mut batch, entry)?;
    batch.run(conn).await?;
    Ok(())
}

/// Queues `entry` in a transaction's closing batch.
pub(crate) fn queue(batch: &mut Batch, entry: &AuditEntry) -> Result<(), StoreError> {
    queue_all(batch, std::slice::from_ref(entry))
}

/// Queues `entries` in a transaction's closing batch as one statement, so their ids
/// rise in this order (the log is read by id): two statements of a closing batch
/// run in no promised order on PostgreSQL.
pub(crate) fn queue_all(batch: &mut Batch, entries: &[AuditEntry]) -> Result<(), StoreError> {
    const FIELDS: usize = 7;
    if entries.is_empty() {
        return Ok(()); // `VALUES` with no row is no statement
    }
    let rows: Vec<String> = (0..entries.len())
        .map(|row| {
            let params: Vec<String> = (1..=FIELDS)
                .map(|field| format!("${}", row * FIELDS + field))
                .collect();
            format!("({})", params.join(", "))
        })
        .collect();
    let cap = |field: &Option<String>| field.as_deref().map(|t| capped(t).into_owned());
    batch.push(
        &format!(
            "INSERT INTO audit (at, event, actor, user_id, device_id, ip, detail) VALUES {}",
            rows.join(", ")
        ),
        |mut b| {
            for entry in entries {
                b = b
                    .bind(entry.at)
                    .bind(capped(&entry.event).into_owned())
                    .bind(capped(&entry.actor).into_owned())
                    .bind(cap(&entry.user_id))
                    .bind(cap(&entry.device_id))
                    .bind(cap(&entry.ip))
                    .bind(cap(&entry.detail));
            }
            b
        },
    )
}

impl Store {
    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut conn = self.writer().await?;
        append(&mut conn, entry).await
    }

    pub async fn audit_since(&self, since: i64) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, at, event, actor, user_id, device_id, ip, detail FROM audit \
             WHERE at >= $1 ORDER BY id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn caps_long_fields_on_a_char_boundary() {
        assert_eq!(super::capped("short"), "short");
        let long = "æ".repeat(60_000);
        let cut = super::capped(&long);
        assert_eq!(cut.chars().count(), super::MAX_AUDIT_FIELD);
        assert!(cut.ends_with('…'));
    }
}
