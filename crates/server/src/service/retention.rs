//! The periodic retention sweep (see `store::retention`), run by `serve`'s upkeep.

use super::{Service, ServiceError};
use crate::store::retention::Swept;

impl Service {
    /// Applies the retention settings once; a setting of 0 keeps that data.
    pub async fn sweep_retention(&self, now: i64) -> Result<Swept, ServiceError> {
        let mut swept = Swept::default();
        if self.settings.request_retention_seconds > 0 {
            (swept.decisions, swept.requests) = self
                .store
                .delete_old_requests(now - self.settings.request_retention_seconds)
                .await?;
        }
        if self.settings.audit_ip_retention_seconds > 0 {
            swept.audit_ips = self
                .store
                .blank_old_audit_ips(now - self.settings.audit_ip_retention_seconds)
                .await?;
        }
        if swept != Swept::default() {
            tracing::info!(
                decisions = swept.decisions,
                requests = swept.requests,
                audit_ips = swept.audit_ips,
                "retention: removed old personal data"
            );
        }
        Ok(swept)
    }
}
