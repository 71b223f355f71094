//! The server's signing key file and the rotation chain it implies.
//!
//! The key file (mode 0600, shared by every node of a deployment) holds every key the
//! server ever used, oldest first. The newest signs; each older key signs a rotation
//! statement for its successor, so a device that pinned any of them can walk the
//! chain to the current key. `key retire` drops the old keys' private halves and
//! keeps, for each, its public key and the rotation statement it signed.
//!
//! Stored envelopes (push events, pending requests, results) are re-signed with the
//! current key when they are served, so nothing signed by an old key has to stay
//! valid after a rotation (PROTOCOL.md §4).
//!
//! It also holds the data secret, a random value that is not a signing key: activation
//! codes are sealed under a key derived from it (see `code_seal`), and it stays the
//! same across rotations and retirements. A key file written before the secret
//! existed gets one added on first load.

use std::io::Write as _;
use std::path::Path;

use ed25519_dalek::SigningKey;
use godkend_protocol::messages::KeyRotation;
use godkend_protocol::{Envelope, ProtocolError, PublicKey, SignedObject, b64};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::code_seal::CodeSeal;

/// Why the key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read the key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write the key file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the key file {path} is malformed: {why}")]
    Malformed { path: String, why: String },
    #[error("the key file {path} is readable by other users (mode {mode:o}); run chmod 600 on it")]
    TooOpen { path: String, mode: u32 },
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    /// base64url ed25519 seeds, oldest first; the last one is current.
    keys: Vec<String>,
    /// Keys whose private half was dropped (`key retire`), oldest first; they are
    /// older than every key in `keys`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    retired: Vec<RetiredKey>,
    /// base64url of 32 random bytes sealing activation codes at rest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data_secret: Option<String>,
}

impl KeyFile {
    fn with_new_key() -> Self {
        let seed: [u8; 32] = rand::random();
        KeyFile {
            keys: vec![b64::encode(seed)],
            retired: Vec::new(),
            data_secret: Some(new_data_secret()),
        }
    }
}

fn new_data_secret() -> String {
    let secret: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
    b64::encode(secret.as_ref())
}

/// An old key without its private half: what the chain and re-signing still need.
#[derive(Clone, Serialize, Deserialize)]
struct RetiredKey {
    /// base64url raw ed25519 public key.
    public_key: String,
    /// The `key_rotation` this key signed for its successor, as served.
    rotation: Envelope,
}

/// The server's keys: the current signing key, the rotation statements, and the
/// public halves of the old keys (to recognise what they signed).
pub struct ServerKeys {
    current: SigningKey,
    public: PublicKey,
    rotations: Vec<Envelope>,
    old_keys: Vec<PublicKey>,
    code_seal: CodeSeal,
}

impl std::fmt::Debug for ServerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKeys")
            .field("kid", &self.public.kid())
            .finish_non_exhaustive()
    }
}

impl ServerKeys {
    /// Loads the key file, creating it with a fresh key if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, KeyFileError> {
        if !path.exists() {
            write_key_file(path, &KeyFile::with_new_key())?;
        }
        Self::load(path)
    }

    /// Loads an existing key file, adding a data secret if it has none.
    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        check_permissions(path)?;
        let mut file = read_key_file(path)?;
        if file.data_secret.is_none() {
            file = add_data_secret(path)?;
        }
        let malformed = |why: String| KeyFileError::Malformed {
            path: path.display().to_string(),
            why,
        };
        let keys = signing_keys(&file).map_err(|e| malformed(e.to_string()))?;
        let secret = file
            .data_secret
            .as_deref()
            .map(b64::decode_array::<32>)
            .transpose()
            .map_err(|e| malformed(format!("data_secret: {e}")))?
            .map(Zeroizing::new)
            .ok_or_else(|| malformed("no data_secret".into()))?;
        let mut keys =
            Self::from_keys(&file.retired, &keys).map_err(|e| malformed(e.to_string()))?;
        keys.code_seal = CodeSeal::from_secret(&secret);
        Ok(keys)
    }

    /// Adds a new key to the file; the old ones stay to vouch for it.
    pub fn rotate(path: &Path) -> Result<Self, KeyFileError> {
        check_permissions(path)?;
        {
            let _lock = lock_key_dir(path)?;
            let mut file = read_key_file(path)?;
            let seed: [u8; 32] = rand::random();
            file.keys.push(b64::encode(seed));
            // The data secret is kept: codes sealed before the rotation still open.
            write_key_file(path, &file)?;
        }
        Self::load(path)
    }

    /// Drops the private halves of every key but the current one, keeping their
    /// public keys and rotation statements. Returns the keys and how many were retired.
    pub fn retire(path: &Path) -> Result<(Self, usize), KeyFileError> {
        check_permissions(path)?;
        let lock = lock_key_dir(path)?;
        // The data secret is kept: codes sealed before still open.
        let mut file = read_key_file(path)?;
        let malformed = |why: String| KeyFileError::Malformed {
            path: path.display().to_string(),
            why,
        };
        let keys = signing_keys(&file).map_err(|e| malformed(e.to_string()))?;
        let statements = rotation_statements(&keys).map_err(|e| malformed(e.to_string()))?;
        let retiring = statements.len();
        for (old, rotation) in keys.iter().zip(statements) {
            file.retired.push(RetiredKey {
                public_key: PublicKey::from_signing_key(old).to_b64(),
                rotation,
            });
        }
        file.keys.drain(..retiring);
        if retiring > 0 {
            write_key_file(path, &file)?;
        }
        drop(lock);
        Ok((Self::load(path)?, retiring))
    }

    fn from_keys(retired: &[RetiredKey], keys: &[SigningKey]) -> Result<Self, ProtocolError> {
        let current = keys
            .last()
            .cloned()
            .ok_or_else(|| ProtocolError::Json("the key list is empty".into()))?;
        let public = PublicKey::from_signing_key(&current);
        let mut old_keys = Vec::new();
        let mut rotations = Vec::new();
        // Each retired statement must be signed by its key and name the next key.
        let mut successors = retired.iter().skip(1).map(|r| r.public_key.clone()).chain(
            keys.first()
                .map(|k| PublicKey::from_signing_key(k).to_b64()),
        );
        for entry in retired {
            let key = PublicKey::ed25519_b64(&entry.public_key)?;
            let statement: KeyRotation = entry.rotation.open(&[&key])?;
            if statement.old_kid != key.kid() || successors.next() != Some(statement.new_key) {
                return Err(ProtocolError::Json(
                    "a retired key's rotation statement does not name its successor".into(),
                ));
            }
            old_keys.push(key);
            rotations.push(entry.rotation.clone());
        }
        rotations.extend(rotation_statements(keys)?);
        old_keys.extend(
            keys[..keys.len() - 1]
                .iter()
                .map(PublicKey::from_signing_key),
        );
        Ok(ServerKeys {
            current,
            public,
            rotations,
            old_keys,
            // Replaced by `load` with the seal from the key file's data secret.
            code_seal: CodeSeal::from_secret(&rand::random()),
        })
    }

    /// The envelope to serve for a stored server-signed one: as it is when the current
    /// key signed it, else the same payload signed by the current key alone. Only an
    /// envelope that one of this server's keys signed is re-signed, so the current key
    /// never vouches for a payload its chain did not.
    pub fn resign(&self, envelope: &Envelope) -> Result<Envelope, ProtocolError> {
        // The current key's own entry is served as stored (no verification on this hot
        // path: a tampered entry fails at the client like any bad signature).
        if envelope.signature_by(&self.public).is_some() {
            return Ok(envelope.clone());
        }
        if !self.old_keys.iter().any(|old| envelope.verify(old).is_ok()) {
            return Err(ProtocolError::MissingSignature {
                kid: self.public.kid(),
            });
        }
        let mut fresh = Envelope {
            payload: envelope.payload.clone(),
            signatures: Vec::new(),
        };
        fresh.sign_with(&self.current)?;
        Ok(fresh)
    }

    /// `resign` for an envelope stored as JSON text; the answer is JSON text too.
    pub fn resign_json(&self, stored: &str) -> Result<String, ProtocolError> {
        self.resign(&Envelope::from_json(stored)?)?.to_json()
    }

    /// Signs a server object.
    pub fn seal<T: SignedObject>(&self, object: &T) -> Result<Envelope, ProtocolError> {
        Envelope::seal(object, &[&self.current])
    }

    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    pub fn kid(&self) -> String {
        self.public.kid()
    }

    pub fn rotations(&self) -> &[Envelope] {
        &self.rotations
    }

    /// Seals and opens activation codes at rest.
    pub fn code_seal(&self) -> &CodeSeal {
        &self.code_seal
    }
}

/// Adds a data secret to a key file that has none, under the key-dir lock so two
/// processes upgrading the same file at once agree on one secret.
fn add_data_secret(path: &Path) -> Result<KeyFile, KeyFileError> {
    let _lock = lock_key_dir(path)?;
    let mut file = read_key_file(path)?;
    if file.data_secret.is_none() {
        file.data_secret = Some(new_data_secret());
        write_key_file(path, &file)?;
        tracing::info!(path = %path.display(), "added a data secret to the key file");
    }
    Ok(file)
}

/// An exclusive lock on the key file's directory (the file itself is replaced by a
/// rename, so a lock on it would not hold), released when dropped.
#[cfg(unix)]
fn lock_key_dir(path: &Path) -> Result<std::fs::File, KeyFileError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let err = |source| KeyFileError::Write {
        path: path.display().to_string(),
        source,
    };
    let handle = std::fs::File::open(dir).map_err(err)?;
    handle.lock().map_err(err)?;
    Ok(handle)
}

#[cfg(not(unix))]
fn lock_key_dir(_path: &Path) -> Result<(), KeyFileError> {
    Ok(())
}

/// The held keys, oldest first (the seeds are zeroized after use).
fn signing_keys(file: &KeyFile) -> Result<Vec<SigningKey>, ProtocolError> {
    file.keys
        .iter()
        .map(|seed| {
            let seed = Zeroizing::new(b64::decode_array::<32>(seed)?);
            Ok(SigningKey::from_bytes(&seed))
        })
        .collect()
}

/// Each held key's statement for its successor.
fn rotation_statements(keys: &[SigningKey]) -> Result<Vec<Envelope>, ProtocolError> {
    keys.windows(2)
        .map(|pair| {
            let (old, new) = (&pair[0], &pair[1]);
            let new_public = PublicKey::from_signing_key(new);
            let statement = KeyRotation {
                // Fixed time so every node produces identical statements.
                iat: 0,
                old_kid: PublicKey::from_signing_key(old).kid(),
                new_kid: new_public.kid(),
                new_key: new_public.to_b64(),
            };
            Envelope::seal(&statement, &[old])
        })
        .collect()
}

/// Reads and parses the key file (the seeds stay in zeroized memory while text).
fn read_key_file(path: &Path) -> Result<KeyFile, KeyFileError> {
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
                path: path.display().to_string(),
                source,
            })?,
        );
    serde_json::from_str(&text).map_err(|e| KeyFileError::Malformed {
        path: path.display().to_string(),
        why: e.to_string(),
    })
}

fn write_key_file(path: &Path, file: &KeyFile) -> Result<(), KeyFileError> {
    let shown = path.display().to_string();
    let err = |source| KeyFileError::Write {
        path: shown.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let text = Zeroizing::new(serde_json::to_string_pretty(file).unwrap_or_default());
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(err)?;
    file.write_all(text.as_bytes()).map_err(err)?;
    file.sync_all().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)?;
    Ok(())
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), KeyFileError> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(|source| KeyFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::TooOpen {
            path: path.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path) -> Result<(), KeyFileError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_key_file_is_private_and_reloads_to_the_same_key() {
        let dir = std::env::temp_dir().join(format!("gk-key-{}", std::process::id()));
        let path = dir.join("server-key.json");
        let _ = std::fs::remove_file(&path);
        let first = ServerKeys::load_or_create(&path).unwrap();
        let again = ServerKeys::load(&path).unwrap();
        assert_eq!(first.kid(), again.kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let rotated = ServerKeys::rotate(&path).unwrap();
        assert_ne!(rotated.kid(), first.kid());
        assert_eq!(rotated.rotations().len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A key file from before the data secret gets one on load, stays 0600, and
    /// keeps it across a rotation: a code sealed before opens after.
    #[test]
    fn old_key_file_gains_a_data_secret_that_survives_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server-key.json");
        let seed: [u8; 32] = rand::random();
        let old = KeyFile {
            keys: vec![b64::encode(seed)],
            retired: Vec::new(),
            data_secret: None,
        };
        write_key_file(&path, &old).unwrap();
        assert!(
            !std::fs::read_to_string(&path)
                .unwrap()
                .contains("data_secret")
        );
        let first = ServerKeys::load(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("data_secret"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let sealed = first.code_seal().seal("act_1", "alice", "ABCDEFGHJKMN");
        let again = ServerKeys::load(&path).unwrap();
        assert!(again.code_seal().open("act_1", "alice", &sealed).is_some());
        let rotated = ServerKeys::rotate(&path).unwrap();
        assert_ne!(rotated.kid(), first.kid());
        assert!(
            rotated
                .code_seal()
                .open("act_1", "alice", &sealed)
                .is_some()
        );
    }

    #[test]
    fn old_signatures_are_resigned_and_retiring_keeps_the_chain() {
        use godkend_protocol::messages::Heartbeat;
        let dir = std::env::temp_dir().join(format!("gk-retire-{}", std::process::id()));
        let path = dir.join("server-key.json");
        let _ = std::fs::remove_dir_all(&dir);
        let first = ServerKeys::load_or_create(&path).unwrap();
        let first_seed = read_key_file(&path).unwrap().keys[0].clone();
        let beat = Heartbeat {
            iat: 7,
            device_id: "dev-1".into(),
        };
        let old = first.seal(&beat).unwrap();
        ServerKeys::rotate(&path).unwrap();
        let keys = ServerKeys::rotate(&path).unwrap();
        let chain: Vec<String> = keys
            .rotations()
            .iter()
            .map(|r| r.to_json().unwrap())
            .collect();

        let served = keys.resign(&old).unwrap();
        assert_eq!(served.payload, old.payload);
        assert_eq!(served.payload_hash().unwrap(), old.payload_hash().unwrap());
        served.verify(keys.public()).unwrap();
        assert_eq!(served.signatures.len(), 1, "only the current key signs");
        // Already current: served unchanged.
        assert_eq!(keys.resign(&served).unwrap(), served);
        // Never re-sign what none of this server's keys signed.
        let stranger = SigningKey::from_bytes(&[9; 32]);
        let forged = Envelope::seal(&beat, &[&stranger]).unwrap();
        assert!(keys.resign(&forged).is_err());

        let (retired, count) = ServerKeys::retire(&path).unwrap();
        assert_eq!(count, 2);
        assert_eq!(retired.kid(), keys.kid());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(&first_seed), "the old private half is gone");
        let reloaded = ServerKeys::load(&path).unwrap();
        let after: Vec<String> = reloaded
            .rotations()
            .iter()
            .map(|r| r.to_json().unwrap())
            .collect();
        assert_eq!(
            after, chain,
            "the same statements are served after retiring"
        );
        assert_eq!(reloaded.resign(&old).unwrap(), served);
        assert!(reloaded.resign(&forged).is_err());
        assert_eq!(ServerKeys::retire(&path).unwrap().1, 0);
        // Rotating after a retirement extends the same chain.
        let next = ServerKeys::rotate(&path).unwrap();
        assert_eq!(next.rotations().len(), 3);
        assert_eq!(next.resign(&old).unwrap().payload, old.payload);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_retired_statement_that_does_not_name_its_successor_is_refused() {
        let dir = std::env::temp_dir().join(format!("gk-retire-bad-{}", std::process::id()));
        let path = dir.join("server-key.json");
        let _ = std::fs::remove_dir_all(&dir);
        ServerKeys::load_or_create(&path).unwrap();
        ServerKeys::rotate(&path).unwrap();
        ServerKeys::retire(&path).unwrap();
        let mut file = read_key_file(&path).unwrap();
        // Swap the held key for another: the retired statement no longer leads to it.
        file.keys = vec![b64::encode([5u8; 32])];
        write_key_file(&path, &file).unwrap();
        assert!(matches!(
            ServerKeys::load(&path),
            Err(KeyFileError::Malformed { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
