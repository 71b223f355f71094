//! The cap on event streams per device on this node: a device (or a stolen copy of
//! its key) that opens one stream too many closes its oldest one, so streams cannot
//! pile up on one device, and a stream left half-open by a network change goes first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

type Open = HashMap<String, VecDeque<(u64, Arc<Notify>)>>;

/// The open streams of each device on this node, oldest first.
#[derive(Debug, Default)]
pub struct DeviceStreams {
    open: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    next_id: u64,
    by_device: Open,
}

impl DeviceStreams {
    /// Registers a new stream of `device`; if that makes more than `max`, tells the
    /// oldest ones to close.
    pub fn open(&self, device: &str, max: usize) -> StreamTicket {
        let mut inner = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        inner.next_id += 1;
        let id = inner.next_id;
        let superseded = Arc::new(Notify::new());
        let streams = inner.by_device.entry(device.to_owned()).or_default();
        streams.push_back((id, superseded.clone()));
        while streams.len() > max.max(1) {
            if let Some((_, oldest)) = streams.pop_front() {
                // notify_one keeps the signal even if the stream is not waiting yet.
                oldest.notify_one();
            }
        }
        StreamTicket {
            streams: self.open.clone(),
            device: device.to_owned(),
            id,
            superseded,
        }
    }

    /// Streams open for `device` on this node.
    pub fn count(&self, device: &str) -> usize {
        let inner = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        inner.by_device.get(device).map_or(0, VecDeque::len)
    }
}

/// One open stream; dropping it (the stream ended) frees its place.
#[derive(Debug)]
pub struct StreamTicket {
    streams: Arc<Mutex<Inner>>,
    device: String,
    id: u64,
    superseded: Arc<Notify>,
}

impl StreamTicket {
    /// Resolves when newer streams of the same device pushed this one over the cap.
    pub async fn superseded(&self) {
        self.superseded.notified().await;
    }
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        let mut inner = self.streams.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(streams) = inner.by_device.get_mut(&self.device) {
            streams.retain(|(id, _)| *id != self.id);
            if streams.is_empty() {
                inner.by_device.remove(&self.device);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn the_stream_over_the_cap_closes_the_oldest() {
        let streams = DeviceStreams::default();
        let first = streams.open("dev-a", 2);
        let second = streams.open("dev-a", 2);
        let _other = streams.open("dev-b", 2);
        let third = streams.open("dev-a", 2);
        tokio::time::timeout(Duration::from_secs(1), first.superseded())
            .await
            .expect("the oldest is told to close");
        assert!(
            tokio::time::timeout(Duration::from_millis(50), second.superseded())
                .await
                .is_err()
        );
        assert_eq!(streams.count("dev-a"), 2);
        // A superseded stream no longer counts, even before it has ended.
        drop((second, third));
        assert_eq!(streams.count("dev-a"), 0);
        drop(first);
        assert_eq!(streams.count("dev-a"), 0);
        assert_eq!(streams.count("dev-b"), 1);
    }
}
