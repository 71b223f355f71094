//! The server's signing key file and the rotation chain it implies.
//!
//! The key file (mode 0600, shared by every node of a deployment) holds every key the
//! server ever used, oldest first. The newest signs; each older key signs a rotation
//! statement for its successor, so a device that pinned any of them can walk the
//! chain to the current key.

use std::io::Write as _;
use std::path::Path;

use ed25519_dalek::SigningKey;
use godkend_protocol::messages::KeyRotation;
use godkend_protocol::{Envelope, ProtocolError, PublicKey, SignedObject, b64};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

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
}

/// The server's keys: the current signing key and the rotation statements.
pub struct ServerKeys {
    current: SigningKey,
    public: PublicKey,
    rotations: Vec<Envelope>,
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
            let seed: [u8; 32] = rand::random();
            write_key_file(path, &[b64::encode(seed)])?;
        }
        Self::load(path)
    }

    /// Loads an existing key file.
    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        check_permissions(path)?;
        let file = read_key_file(path)?;
        let malformed = |why: String| KeyFileError::Malformed {
            path: path.display().to_string(),
            why,
        };
        let keys = file
            .keys
            .iter()
            .map(|seed| {
                let seed = Zeroizing::new(b64::decode_array::<32>(seed)?);
                Ok(SigningKey::from_bytes(&seed))
            })
            .collect::<Result<Vec<_>, ProtocolError>>()
            .map_err(|e| malformed(e.to_string()))?;
        Self::from_keys(keys).map_err(|e| malformed(e.to_string()))
    }

    /// Adds a new key to the file; the old ones stay to vouch for it.
    pub fn rotate(path: &Path) -> Result<Self, KeyFileError> {
        check_permissions(path)?;
        let mut file = read_key_file(path)?;
        let seed: [u8; 32] = rand::random();
        file.keys.push(b64::encode(seed));
        write_key_file(path, &file.keys)?;
        Self::load(path)
    }

    fn from_keys(keys: Vec<SigningKey>) -> Result<Self, ProtocolError> {
        let mut rotations = Vec::new();
        for pair in keys.windows(2) {
            let (old, new) = (&pair[0], &pair[1]);
            let new_public = PublicKey::from_signing_key(new);
            let statement = KeyRotation {
                // Fixed time so every node produces identical statements.
                iat: 0,
                old_kid: PublicKey::from_signing_key(old).kid(),
                new_kid: new_public.kid(),
                new_key: new_public.to_b64(),
            };
            rotations.push(Envelope::seal(&statement, &[old])?);
        }
        let current = keys
            .into_iter()
            .last()
            .ok_or_else(|| ProtocolError::Json("the key list is empty".into()))?;
        Ok(ServerKeys {
            public: PublicKey::from_signing_key(&current),
            current,
            rotations,
        })
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

fn write_key_file(path: &Path, keys: &[String]) -> Result<(), KeyFileError> {
    let shown = path.display().to_string();
    let err = |source| KeyFileError::Write {
        path: shown.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let text = Zeroizing::new(
        serde_json::to_string_pretty(&KeyFile {
            keys: keys.to_vec(),
        })
        .unwrap_or_default(),
    );
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
}
