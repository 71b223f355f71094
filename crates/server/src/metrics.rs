//! Prometheus metrics: counters for the events an operator watches (requests,
//! decisions by outcome, activations, wrong PINs, blocks), gauges of connected
//! devices and of requests with a relying party's long poll open and, on
//! PostgreSQL, the state of the event listener; rendered at `/metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder once per process (a second install is a no-op).
pub fn install() {
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new().install_recorder();
        if let Err(e) = &handle {
            tracing::warn!(error = %e, "metrics are off");
        }
        handle.ok()
    });
}

/// The current metrics in the Prometheus text format.
pub fn render() -> String {
    HANDLE
        .get()
        .and_then(Option::as_ref)
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// A request was created for a relying party.
pub fn request_created() {
    metrics::counter!("godkend_requests_created_total").increment(1);
}

/// A request reached a final state (`approved`, `denied`, `expired`, ...).
pub fn request_finished(state: &'static str) {
    metrics::counter!("godkend_requests_finished_total", "state" => state).increment(1);
}

/// A device was activated.
pub fn device_activated() {
    metrics::counter!("godkend_devices_activated_total").increment(1);
}

/// A wrong PIN was counted.
pub fn wrong_pin() {
    metrics::counter!("godkend_wrong_pins_total").increment(1);
}

/// A device was revoked or blocked.
pub fn device_ended(state: &'static str) {
    metrics::counter!("godkend_devices_ended_total", "state" => state).increment(1);
}

/// Requests with at least one relying party's long poll (`/wait`) open on this node.
pub fn waited_on(requests: usize) {
    #[allow(clippy::cast_precision_loss)] // a request count fits an f64 exactly
    metrics::gauge!("godkend_rp_waits").set(requests as f64);
}

/// Devices with an open event stream on this node.
pub fn connected_devices(count: usize) {
    #[allow(clippy::cast_precision_loss)] // a device count fits an f64 exactly
    metrics::gauge!("godkend_connected_devices").set(count as f64);
}

/// PostgreSQL: whether this node's event pump LISTENs (1) or only polls (0).
pub fn event_listener_up(up: bool) {
    metrics::gauge!("godkend_event_listener_up").set(if up { 1.0 } else { 0.0 });
}

/// PostgreSQL: the event pump's LISTEN connection was made again after it was lost.
pub fn event_listener_back() {
    metrics::counter!("godkend_event_listener_reconnects_total").increment(1);
}

/// A log line could not be written (its disk is full) and was dropped.
pub fn log_line_dropped() {
    metrics::counter!("godkend_log_lines_dropped_total").increment(1);
}
