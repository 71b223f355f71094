//! The decision outbox: a decision is written here before it is sent and removed
//! once the server has answered, so a crash or a network drop loses nothing, and a
//! resend is byte-identical (the server answers it from its record and never counts
//! it twice). Entries are encrypted with XChaCha20-Poly1305 under a key held in the
//! OS keyring: an approval carries a PIN signature, and nothing on disk may let a
//! thief test PIN guesses (design.md §3).
//!
//! A decision leaves the outbox only on a final answer: accepted, or a final refusal
//! (PROTOCOL.md §10). Anything else (offline, a 5xx, 408, 429, an unknown code with
//! such a status) keeps it, and [`Outbox::settle`] sends it again with growing delays
//! until its request's deadline has passed, when the server could no longer take it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngExt as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::client::{DecisionAnswer, DeviceClient};
use crate::decision::SignedDecision;
use crate::retry::Backoff;
use crate::{CoreError, files};

/// Why the outbox failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("cannot write the outbox {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the outbox {path} is damaged or was written with another key")]
    Damaged { path: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sealed {
    request_id: String,
    nonce: String,
    ciphertext: String,
    /// Server time after which the server refuses it; absent in files written before
    /// it was kept (such entries are tried at each flush, not retried in a loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deadline: Option<i64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File {
    version: u32,
    entries: Vec<Sealed>,
}

/// A decision waiting for the server's answer.
#[derive(Debug, Clone)]
pub struct Pending {
    pub request_id: String,
    /// The exact bytes that were signed and sent.
    pub bytes: Zeroizing<Vec<u8>>,
    /// Server time after which it is no use sending it.
    pub deadline: Option<i64>,
}

/// The result of trying to send one waiting decision: the one classification of a
/// decision's answer.
#[derive(Debug)]
pub enum Delivery {
    /// The server accepted it: removed.
    Accepted(DecisionAnswer),
    /// The server's final refusal (wrong code, expired, ...): removed.
    Refused(CoreError),
    /// No final answer (offline, "try again later"): kept and sent again.
    Kept(CoreError),
    /// No final answer, and the request's deadline has passed, so the server can no
    /// longer take it: removed. Carries the last error.
    Lapsed(CoreError),
}

impl Delivery {
    /// Whether the decision is still waiting in the outbox.
    pub fn is_kept(&self) -> bool {
        matches!(self, Delivery::Kept(_))
    }
}

/// The encrypted outbox file.
pub struct Outbox {
    store: Store,
    cipher: XChaCha20Poly1305,
    /// Held across each read-change-write, so a decision stored while another is
    /// removed is not lost between the two.
    writing: Mutex<()>,
}

/// Where the sealed entries live.
enum Store {
    File(PathBuf),
    /// Only as long as the process (the terminal stand-in saves nothing); still
    /// sealed, so the one code path is the one that is tested.
    Memory(Mutex<Vec<u8>>),
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("path", &self.shown_path())
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// Opens the outbox at `path` with the 32-byte key from the keyring.
    pub fn open(path: &Path, key: &[u8; 32]) -> Self {
        Outbox {
            store: Store::File(path.to_owned()),
            cipher: XChaCha20Poly1305::new(key.into()),
            writing: Mutex::new(()),
        }
    }

    /// An outbox in memory, under a fresh random key.
    pub fn in_memory() -> Self {
        let key: Zeroizing<[u8; 32]> = Zeroizing::new(rand::rng().random());
        Outbox {
            store: Store::Memory(Mutex::new(Vec::new())),
            cipher: XChaCha20Poly1305::new((&*key).into()),
            writing: Mutex::new(()),
        }
    }

    fn shown_path(&self) -> String {
        match &self.store {
            Store::File(path) => path.display().to_string(),
            Store::Memory(_) => "(memory)".into(),
        }
    }

    fn read(&self) -> Result<File, OutboxError> {
        let bytes = match &self.store {
            Store::File(path) => match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File::default()),
                Err(source) => {
                    return Err(OutboxError::Write {
                        path: self.shown_path(),
                        source,
                    });
                }
            },
            Store::Memory(bytes) => {
                let bytes = bytes.lock().unwrap_or_else(PoisonError::into_inner);
                if bytes.is_empty() {
                    return Ok(File::default());
                }
                bytes.clone()
            }
        };
        serde_json::from_slice(&bytes).map_err(|_| self.damaged())
    }

    fn write(&self, file: &File) -> Result<(), OutboxError> {
        let bytes = serde_json::to_vec(file).map_err(|e| OutboxError::Write {
            path: self.shown_path(),
            source: std::io::Error::other(e),
        })?;
        match &self.store {
            Store::File(path) => {
                files::write_private(path, &bytes).map_err(|source| OutboxError::Write {
                    path: self.shown_path(),
                    source,
                })
            }
            Store::Memory(kept) => {
                *kept.lock().unwrap_or_else(PoisonError::into_inner) = bytes;
                Ok(())
            }
        }
    }

    fn damaged(&self) -> OutboxError {
        OutboxError::Damaged {
            path: self.shown_path(),
        }
    }

    /// Stores a signed decision before it is sent (replacing any earlier one for
    /// the same request).
    pub fn put(&self, decision: &SignedDecision) -> Result<(), OutboxError> {
        let nonce: [u8; 24] = rand::rng().random();
        let ciphertext = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &decision.bytes,
                    aad: decision.request_id.as_bytes(),
                },
            )
            .map_err(|_| self.damaged())?;
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut file = self.read()?;
        file.version = 1;
        file.entries.retain(|e| e.request_id != decision.request_id);
        file.entries.push(Sealed {
            request_id: decision.request_id.clone(),
            nonce: godkend_protocol::b64::encode(nonce),
            ciphertext: godkend_protocol::b64::encode(ciphertext),
            deadline: Some(decision.deadline),
        });
        self.write(&file)
    }

    /// Every waiting decision, decrypted.
    pub fn pending(&self) -> Result<Vec<Pending>, OutboxError> {
        self.read()?
            .entries
            .iter()
            .map(|e| {
                let nonce: [u8; 24] =
                    godkend_protocol::b64::decode_array(&e.nonce).map_err(|_| self.damaged())?;
                let ciphertext =
                    godkend_protocol::b64::decode(&e.ciphertext).map_err(|_| self.damaged())?;
                let bytes = self
                    .cipher
                    .decrypt(
                        &XNonce::from(nonce),
                        Payload {
                            msg: &ciphertext,
                            aad: e.request_id.as_bytes(),
                        },
                    )
                    .map_err(|_| self.damaged())?;
                Ok(Pending {
                    request_id: e.request_id.clone(),
                    bytes: Zeroizing::new(bytes),
                    deadline: e.deadline,
                })
            })
            .collect()
    }

    /// Forgets a decision the server has answered.
    pub fn remove(&self, request_id: &str) -> Result<(), OutboxError> {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut file = self.read()?;
        file.entries.retain(|e| e.request_id != request_id);
        self.write(&file)
    }

    /// Sends a fresh decision through the outbox: stored, sent, removed once answered.
    pub async fn send(
        &self,
        client: &DeviceClient,
        decision: &SignedDecision,
    ) -> Result<Delivery, OutboxError> {
        self.put(decision)?;
        self.deliver(
            client,
            &decision.request_id,
            &decision.bytes,
            Some(decision.deadline),
        )
        .await
    }

    /// Sends everything waiting once (at start-up and after reconnecting).
    pub async fn flush(
        &self,
        client: &DeviceClient,
    ) -> Result<Vec<(String, Delivery)>, OutboxError> {
        let mut results = Vec::new();
        for pending in self.pending()? {
            let delivery = self
                .deliver(
                    client,
                    &pending.request_id,
                    &pending.bytes,
                    pending.deadline,
                )
                .await?;
            results.push((pending.request_id, delivery));
        }
        Ok(results)
    }

    /// Sends everything waiting until each decision is accepted, finally refused or
    /// past its deadline, waiting `backoff`'s growing delays between rounds. Returns
    /// every decision that left the outbox, each once, in the order they did.
    /// Decisions stored meanwhile are picked up by the next round.
    pub async fn settle(
        &self,
        client: &DeviceClient,
        mut backoff: Backoff,
    ) -> Result<Vec<(String, Delivery)>, OutboxError> {
        let mut settled = Vec::new();
        loop {
            let mut again = false;
            let mut asked = None;
            for pending in self.pending()? {
                let delivery = self
                    .deliver(
                        client,
                        &pending.request_id,
                        &pending.bytes,
                        pending.deadline,
                    )
                    .await?;
                if let Delivery::Kept(error) = &delivery {
                    // Without a deadline there is no end to a loop: the next flush
                    // tries it again.
                    again |= pending.deadline.is_some();
                    let after = error.problem().and_then(|p| p.retry_after);
                    asked = asked.max(after.map(std::time::Duration::from_secs));
                } else {
                    settled.push((pending.request_id, delivery));
                }
            }
            if !again {
                return Ok(settled);
            }
            tokio::time::sleep(backoff.next_delay(asked)).await;
        }
    }

    async fn deliver(
        &self,
        client: &DeviceClient,
        request_id: &str,
        bytes: &[u8],
        deadline: Option<i64>,
    ) -> Result<Delivery, OutboxError> {
        let delivery = match client.send_decision(request_id, bytes).await {
            Ok(answer) => Delivery::Accepted(answer),
            Err(e) if e.is_final() => Delivery::Refused(e),
            Err(e) if deadline.is_some_and(|d| client.server.server_now() > d) => {
                Delivery::Lapsed(e)
            }
            Err(e) => return Ok(Delivery::Kept(e)),
        };
        self.remove(request_id)?;
        Ok(delivery)
    }

    /// Deletes the outbox file (revoke/wipe).
    pub fn wipe(&self) -> std::io::Result<()> {
        let Store::File(path) = &self.store else {
            return self.write(&File::default()).map_err(std::io::Error::other);
        };
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use godkend_protocol::messages::DecisionKind;

    fn decision(id: &str, bytes: &[u8]) -> SignedDecision {
        let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
        let d = godkend_protocol::messages::Decision {
            iat: 1,
            device_id: "d".into(),
            request_id: id.into(),
            nonce: "n".into(),
            request_hash: "h".into(),
            decision: DecisionKind::Deny,
            code: None,
            uv_kid: None,
            origin: None,
        };
        SignedDecision {
            request_id: id.into(),
            kind: DecisionKind::Deny,
            envelope: godkend_protocol::Envelope::seal(&d, &[&key]).unwrap(),
            bytes: bytes.to_vec(),
            deadline: 100,
        }
    }

    #[test]
    fn decisions_are_encrypted_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.json");
        let outbox = Outbox::open(&path, &[7; 32]);
        outbox
            .put(&decision("r1", b"{\"signed\":\"PIN-SIGNATURE-BYTES\"}"))
            .unwrap();
        outbox.put(&decision("r2", b"second")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("PIN-SIGNATURE-BYTES"),
            "plaintext on disk: {text}"
        );
        let again = Outbox::open(&path, &[7; 32]);
        let pending = again.pending().unwrap();
        assert_eq!(pending.len(), 2);
        assert_eq!(
            &pending[0].bytes[..],
            b"{\"signed\":\"PIN-SIGNATURE-BYTES\"}"
        );
        again.remove("r1").unwrap();
        assert_eq!(again.pending().unwrap().len(), 1);
    }

    #[test]
    fn decisions_stored_and_removed_at_once_are_neither_lost_nor_revived() {
        let dir = tempfile::tempdir().unwrap();
        let on_disk = Outbox::open(&dir.path().join("outbox.json"), &[7; 32]);
        for outbox in [Outbox::in_memory(), on_disk] {
            for i in 0..8 {
                outbox.put(&decision(&format!("old{i}"), b"x")).unwrap();
            }
            // A flush removing answered decisions while the user stores new ones.
            std::thread::scope(|threads| {
                for i in 0..8 {
                    let outbox = &outbox;
                    threads.spawn(move || outbox.put(&decision(&format!("new{i}"), b"y")).unwrap());
                    threads.spawn(move || outbox.remove(&format!("old{i}")).unwrap());
                }
            });
            let mut left: Vec<String> = outbox
                .pending()
                .unwrap()
                .into_iter()
                .map(|p| p.request_id)
                .collect();
            left.sort();
            let expected: Vec<String> = (0..8).map(|i| format!("new{i}")).collect();
            assert_eq!(left, expected, "{outbox:?}");
        }
    }

    #[test]
    fn another_key_or_a_swapped_entry_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.json");
        Outbox::open(&path, &[7; 32])
            .put(&decision("r1", b"x"))
            .unwrap();
        assert!(matches!(
            Outbox::open(&path, &[8; 32]).pending(),
            Err(OutboxError::Damaged { .. })
        ));
        // Moving a ciphertext to another request id breaks its authentication.
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"r1\"", "\"r9\"");
        std::fs::write(&path, text).unwrap();
        assert!(Outbox::open(&path, &[7; 32]).pending().is_err());
    }
}
