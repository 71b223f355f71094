//! `godkend_core::uv::fprintd` (and the fingerprint signer on it) against the real fprintd with libfprint's virtual reader,
//! on a private system bus with the real polkitd, which scripts/test.sh starts
//! (`start_fprintd_services` in scripts/lib-fprintd.sh). Fingers are enrolled through
//! fprintd's own Enroll API, fed by the virtual reader's socket ("SCAN <finger>").
//! The tests share one daemon and one reader, so they take turns.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use godkend_core::uv::fprintd::{self, FprintdError, Scan};
use tokio::sync::{Mutex, MutexGuard};
use virtual_reader::{SCAN_TIMEOUT, claimed, reader_device, touch, wait_for_claim};
use zbus::Connection;

mod biometrics;
/// The real godkend-server, as the desktop end-to-end test starts it.
#[allow(dead_code, reason = "the desktop end-to-end test uses the rest of it")]
#[path = "../../../../tests/desktop/server.rs"]
mod server;
#[allow(dead_code, reason = "the desktop end-to-end test uses the rest of it")]
#[path = "../../../../tests/support/virtual_reader.rs"]
mod virtual_reader;

const HOW_TO: &str = "The fingerprint tests need fprintd with libfprint's virtual reader on a \
    private system bus with polkitd (Debian/Ubuntu packages fprintd, polkitd, dbus, \
    libglib2.0-bin; run as root, as polkit authorizes uid 0 without a rule). \
    scripts/test.sh starts them and sets GODKEND_TEST_FPRINTD_BUS, \
    GODKEND_TEST_FPRINTD_EMPTY_BUS, GODKEND_TEST_FPRINTD_NO_READER_BUS and \
    GODKEND_TEST_FPRINTD_READER. To run only these tests: \
    `. scripts/lib.sh && start_fprintd_services && cargo test -p godkend-core --test fprintd; \
    stop_fprintd_services`";

/// The enrolled finger, and one the reader has never seen.
const ENROLLED: &str = "finger-a";
const STRANGER: &str = "finger-b";

static TURN: Mutex<()> = Mutex::const_new(());

/// The test bus and the reader, for one test at a time; `None` (after a loud
/// message) where test.sh could not set them up and says why in
/// GODKEND_TEST_FPRINTD_SKIP.
struct Rig {
    bus: Connection,
    reader: PathBuf,
    _turn: MutexGuard<'static, ()>,
}

async fn rig() -> Option<Rig> {
    if let Ok(why) = std::env::var("GODKEND_TEST_FPRINTD_SKIP") {
        eprintln!("!!!!! NOT TESTED: the fprintd test is skipped: {why}. {HOW_TO}");
        return None;
    }
    let turn = TURN.lock().await;
    let bus = connect(&var("GODKEND_TEST_FPRINTD_BUS")).await;
    let reader = PathBuf::from(var("GODKEND_TEST_FPRINTD_READER"));
    Some(Rig {
        bus,
        reader,
        _turn: turn,
    })
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set. {HOW_TO}"))
}

async fn connect(address: &str) -> Connection {
    zbus::connection::Builder::address(address)
        .build()
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test bus {address}: {e}. {HOW_TO}"))
}

/// Removes every print, then enrolls `finger`.
async fn enroll(rig: &Rig, finger: &str) {
    virtual_reader::enroll(&rig.bus, &rig.reader, finger).await;
}

async fn remove_prints(rig: &Rig) {
    virtual_reader::remove_prints(&rig.bus).await;
}

/// A verify for this process's user, with `finger` touched once the reader is claimed.
async fn verify_with(rig: &Rig, finger: &str) -> Result<Scan, FprintdError> {
    let (result, ()) = tokio::join!(
        fprintd::verify(&rig.bus, "", SCAN_TIMEOUT),
        touch(&rig.reader, finger)
    );
    result
}

#[tokio::test]
async fn the_enrolled_finger_matches() {
    let Some(rig) = rig().await else { return };
    enroll(&rig, ENROLLED).await;
    assert_eq!(fprintd::availability(&rig.bus, "").await, Ok(()));
    assert_eq!(verify_with(&rig, ENROLLED).await, Ok(Scan::Match));
    assert!(
        !claimed(&rig.reader).await,
        "the reader is released after a scan"
    );
}

#[tokio::test]
async fn another_finger_does_not_match() {
    let Some(rig) = rig().await else { return };
    enroll(&rig, ENROLLED).await;
    assert_eq!(verify_with(&rig, STRANGER).await, Ok(Scan::NoMatch));
    assert_eq!(verify_with(&rig, ENROLLED).await, Ok(Scan::Match));
}

#[tokio::test]
async fn no_enrolled_finger_is_told_apart() {
    let Some(rig) = rig().await else { return };
    remove_prints(&rig).await;
    assert_eq!(
        fprintd::availability(&rig.bus, "").await,
        Err(FprintdError::NoEnrolledFinger)
    );
    assert_eq!(
        fprintd::verify(&rig.bus, "", SCAN_TIMEOUT).await,
        Err(FprintdError::NoEnrolledFinger)
    );
}

#[tokio::test]
async fn a_bus_without_fprintd_is_daemon_missing() {
    let Some(_rig) = rig().await else { return };
    let empty = connect(&var("GODKEND_TEST_FPRINTD_EMPTY_BUS")).await;
    assert_eq!(
        fprintd::availability(&empty, "").await,
        Err(FprintdError::DaemonMissing)
    );
    assert_eq!(
        fprintd::verify(&empty, "", SCAN_TIMEOUT).await,
        Err(FprintdError::DaemonMissing)
    );
}

#[tokio::test]
async fn fprintd_without_a_reader_is_no_reader() {
    let Some(_rig) = rig().await else { return };
    let bus = connect(&var("GODKEND_TEST_FPRINTD_NO_READER_BUS")).await;
    assert_eq!(
        fprintd::availability(&bus, "").await,
        Err(FprintdError::NoReader)
    );
    assert_eq!(
        fprintd::verify(&bus, "", SCAN_TIMEOUT).await,
        Err(FprintdError::NoReader)
    );
}

#[tokio::test]
async fn a_reader_claimed_by_another_client_is_busy() {
    let Some(rig) = rig().await else { return };
    enroll(&rig, ENROLLED).await;
    // Another program: its own bus connection (fprintd tells claimers apart by it).
    let other = connect(&var("GODKEND_TEST_FPRINTD_BUS")).await;
    let device = reader_device(&other).await;
    device.call::<_, _, ()>("Claim", &("",)).await.unwrap();
    assert_eq!(
        fprintd::verify(&rig.bus, "", SCAN_TIMEOUT).await,
        Err(FprintdError::ReaderBusy)
    );
    device.call::<_, _, ()>("Release", &()).await.unwrap();
    // Our failed claim did not release the other program's claim or leave one of ours.
    assert_eq!(verify_with(&rig, ENROLLED).await, Ok(Scan::Match));
}

#[tokio::test]
async fn a_cancelled_scan_releases_the_reader() {
    let Some(rig) = rig().await else { return };
    enroll(&rig, ENROLLED).await;
    let cancelled =
        fprintd::verify_until(&rig.bus, "", SCAN_TIMEOUT, wait_for_claim(&rig.reader)).await;
    assert_eq!(cancelled, Err(FprintdError::Cancelled));
    assert!(
        !claimed(&rig.reader).await,
        "released before verify_until returned"
    );
    assert_eq!(verify_with(&rig, ENROLLED).await, Ok(Scan::Match));
}

#[tokio::test]
async fn a_dropped_scan_releases_the_reader() {
    let Some(rig) = rig().await else { return };
    enroll(&rig, ENROLLED).await;
    tokio::select! {
        result = fprintd::verify(&rig.bus, "", SCAN_TIMEOUT) => panic!("no finger, yet {result:?}"),
        () = wait_for_claim(&rig.reader) => {}
    }
    // The future is dropped; the release finishes on a thread of its own.
    let deadline = Instant::now() + Duration::from_secs(5);
    while claimed(&rig.reader).await {
        assert!(
            Instant::now() < deadline,
            "the dropped scan never released the reader"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(verify_with(&rig, ENROLLED).await, Ok(Scan::Match));
}

#[tokio::test]
async fn no_finger_in_time_is_a_timeout_and_releases_the_reader() {
    let Some(rig) = rig().await else { return };
    enroll(&rig, ENROLLED).await;
    assert_eq!(
        fprintd::verify(&rig.bus, "", Duration::from_millis(500)).await,
        Err(FprintdError::Timeout)
    );
    assert!(
        !claimed(&rig.reader).await,
        "released before verify returned"
    );
    assert_eq!(verify_with(&rig, ENROLLED).await, Ok(Scan::Match));
}

/// Set for the child process of `polkit_refuses_a_user_it_does_not_trust`.
const CHILD_MARKER: &str = "GODKEND_FPRINTD_TEST_CHILD";
/// What the child prints before its result.
const CHILD_SAYS: &str = "FPRINTD-VERIFY-RESULT: ";

/// As `nobody`, with no login session and no polkit rule, fprintd's verify action is
/// refused (the real polkitd decides). The check runs in a child process of this test
/// binary that runs as `nobody`, so this process keeps its root.
#[tokio::test]
async fn polkit_refuses_a_user_it_does_not_trust() {
    if std::env::var_os(CHILD_MARKER).is_some() {
        let bus = connect(&var("GODKEND_TEST_FPRINTD_BUS")).await;
        let result = fprintd::verify(&bus, "", SCAN_TIMEOUT).await;
        println!("{CHILD_SAYS}{result:?}");
        return;
    }
    let Some(rig) = rig().await else { return };
    enroll(&rig, ENROLLED).await;
    let output = std::process::Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "polkit_refuses_a_user_it_does_not_trust",
            "--nocapture",
        ])
        .env(CHILD_MARKER, "1")
        .output()
        .expect("setpriv (Debian/Ubuntu package util-linux) runs the child as nobody");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let said = stdout
        .lines()
        .find_map(|line| {
            line.split_once(CHILD_SAYS)
                .map(|(_, result)| result.to_owned())
        })
        .unwrap_or_else(|| {
            panic!(
                "the child said nothing; stdout: {stdout}; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    assert_eq!(
        said,
        format!("{:?}", Err::<Scan, _>(FprintdError::PermissionDenied))
    );
    // The refusal left nothing claimed.
    assert_eq!(verify_with(&rig, ENROLLED).await, Ok(Scan::Match));
}

/// The signer the app registers on Linux: it signs after a matching scan only.
#[tokio::test]
async fn the_fingerprint_signer_signs_after_a_matching_scan_only() {
    use godkend_core::uv::fingerprint::FingerprintSigner;
    use godkend_core::uv::software::SoftwareSigner;
    use godkend_core::uv::{Availability, UvError, UvSigner as _};

    let Some(rig) = rig().await else { return };
    enroll(&rig, ENROLLED).await;
    let signer = FingerprintSigner::new(rig.bus.clone(), "", SoftwareSigner::generate())
        .with_timeout(SCAN_TIMEOUT);
    assert_eq!(signer.availability().await, Availability::Available);

    let (matched, ()) = tokio::join!(
        signer.sign(b"decision bytes", "Approve the sign-in"),
        touch(&rig.reader, ENROLLED)
    );
    let signature = matched.expect("a matching finger signs");
    signer
        .public_key()
        .verify(b"decision bytes", &signature)
        .expect("with the registered key");

    let (refused, ()) = tokio::join!(
        signer.sign(b"decision bytes", "Approve the sign-in"),
        touch(&rig.reader, STRANGER)
    );
    assert_eq!(
        refused,
        Err(UvError::NoMatch),
        "another finger signs nothing"
    );

    remove_prints(&rig).await;
    assert!(matches!(
        signer.availability().await,
        Availability::Unavailable(_)
    ));
    assert!(matches!(
        signer.sign(b"decision bytes", "Approve the sign-in").await,
        Err(UvError::Unavailable(_))
    ));
}
