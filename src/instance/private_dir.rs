//! The folder for the instance socket where there is no runtime dir (macOS, or Linux
//! without XDG_RUNTIME_DIR): whoever can enter it can hand this app links, or put a
//! socket of their own there for the next launch to talk to, so it must be ours alone.

use std::io;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::Path;

/// Makes `dir` mode 0700, or checks that the one already there is a real folder owned
/// by this user that no group or other can reach.
pub(super) fn ensure(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    // Not followed: a link could point anywhere.
    let meta = std::fs::symlink_metadata(dir)?;
    let refuse = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{} {why}", dir.display()),
        ))
    };
    if !meta.is_dir() {
        return refuse("is not a folder");
    }
    if meta.uid() != nix::unistd::geteuid().as_raw() {
        return refuse("belongs to another user");
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return refuse("can be reached by other users (it should be mode 0700)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(dir: &Path) -> u32 {
        std::fs::metadata(dir)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn a_new_fallback_dir_is_private() {
        let root = tempfile::tempdir().expect("a temp dir");
        let dir = root.path().join("cache").join("instance");
        ensure(&dir).expect("made");
        assert_eq!(mode(&dir), 0o700);
        ensure(&dir).expect("our own private dir is accepted again");
    }

    #[test]
    fn a_fallback_dir_others_can_reach_is_refused() {
        let root = tempfile::tempdir().expect("a temp dir");
        let dir = root.path().join("instance");
        std::fs::create_dir(&dir).expect("made");
        for open in [0o755, 0o770, 0o701] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(open)).expect("chmod");
            let err = ensure(&dir).expect_err("reachable by others");
            assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{open:o}");
        }
    }

    #[test]
    fn a_fallback_dir_of_another_user_is_refused() {
        let root = tempfile::tempdir().expect("a temp dir");
        let dir = root.path().join("instance");
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .expect("made");
        let me = nix::unistd::geteuid().as_raw();
        let other = if me == 0 { 65534 } else { 0 };
        if std::os::unix::fs::chown(&dir, Some(other), None).is_err() {
            // Only root can give a folder away; as anyone else the owner stays ours.
            eprintln!("skipped: cannot chown as uid {me}");
            return;
        }
        let err = ensure(&dir).expect_err("another user's dir");
        assert!(err.to_string().contains("another user"), "{err}");
    }

    #[test]
    fn a_link_in_place_of_the_fallback_dir_is_refused() {
        let root = tempfile::tempdir().expect("a temp dir");
        let elsewhere = root.path().join("elsewhere");
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&elsewhere)
            .expect("made");
        let dir = root.path().join("instance");
        std::os::unix::fs::symlink(&elsewhere, &dir).expect("symlink");
        assert!(ensure(&dir).is_err());
    }
}
