//! libfprint's virtual reader, driven as a finger would: enrol through fprintd's own
//! Enroll API, touch by writing "SCAN <finger>" to the reader's socket. Shared by
//! godkend-core's fprintd tests and the desktop end-to-end test (both include this
//! file by path), which run against the fprintd that scripts/test.sh starts.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use zbus::proxy::{Builder, CacheProperties};
use zbus::{Connection, OwnedObjectPath, Proxy};

/// Long enough for the slowest CI machine; a test that waits this long has failed.
pub const SCAN_TIMEOUT: Duration = Duration::from_secs(20);

pub async fn reader_device(bus: &Connection) -> Proxy<'static> {
    let manager: Proxy<'static> = Builder::new(bus)
        .destination("net.reactivated.Fprint")
        .path("/net/reactivated/Fprint/Manager")
        .interface("net.reactivated.Fprint.Manager")
        .cache_properties(CacheProperties::No)
        .build()
        .await
        .expect("fprintd's manager");
    let path: OwnedObjectPath = manager
        .call("GetDefaultDevice", &())
        .await
        .expect("the virtual reader");
    Builder::new(bus)
        .destination("net.reactivated.Fprint")
        .path(path)
        .interface("net.reactivated.Fprint.Device")
        .cache_properties(CacheProperties::No)
        .build()
        .await
        .expect("the reader's device")
}

/// The reader's socket accepts connections only while the device is claimed (the
/// file stays after a release, refusing them).
pub async fn connect_when_claimed(reader: &Path) -> tokio::net::UnixStream {
    let deadline = Instant::now() + SCAN_TIMEOUT;
    loop {
        match tokio::net::UnixStream::connect(reader).await {
            Ok(socket) => return socket,
            Err(e) => assert!(
                Instant::now() < deadline,
                "the reader was never claimed: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether the reader is claimed now; an empty connection is no command to it.
pub async fn claimed(reader: &Path) -> bool {
    tokio::net::UnixStream::connect(reader).await.is_ok()
}

pub async fn wait_for_claim(reader: &Path) {
    drop(connect_when_claimed(reader).await);
}

/// One touch of `finger` on the virtual reader (once it is claimed).
pub async fn touch(reader: &Path, finger: &str) {
    let mut socket = connect_when_claimed(reader).await;
    socket
        .write_all(format!("SCAN {finger}").as_bytes())
        .await
        .expect("the virtual reader answers");
    socket.shutdown().await.expect("the virtual reader answers");
    let mut reply = Vec::new();
    socket
        .read_to_end(&mut reply)
        .await
        .expect("the virtual reader answers");
}

/// Removes every print, then enrolls `finger` through fprintd's Enroll API.
pub async fn enroll(bus: &Connection, reader: &Path, finger: &str) {
    let device = reader_device(bus).await;
    device
        .call::<_, _, ()>("Claim", &("",))
        .await
        .expect("the virtual reader answers");
    let _ = device.call::<_, _, ()>("DeleteEnrolledFingers2", &()).await;
    let mut statuses = device
        .receive_signal("EnrollStatus")
        .await
        .expect("the virtual reader answers");
    device
        .call::<_, _, ()>("EnrollStart", &("right-index-finger",))
        .await
        .expect("the virtual reader answers");
    let stages: i32 = device
        .get_property("num-enroll-stages")
        .await
        .expect("the virtual reader answers");
    for _ in 0..stages {
        touch(reader, finger).await;
    }
    let last = tokio::time::timeout(SCAN_TIMEOUT, async {
        loop {
            let signal = statuses.next().await.expect("EnrollStatus stream");
            let (result, done): (String, bool) = signal
                .body()
                .deserialize()
                .expect("the virtual reader answers");
            if done {
                return result;
            }
        }
    })
    .await
    .expect("enrolment ended");
    device
        .call::<_, _, ()>("EnrollStop", &())
        .await
        .expect("the virtual reader answers");
    device
        .call::<_, _, ()>("Release", &())
        .await
        .expect("the virtual reader answers");
    assert_eq!(last, "enroll-completed");
}

pub async fn remove_prints(bus: &Connection) {
    let device = reader_device(bus).await;
    device
        .call::<_, _, ()>("Claim", &("",))
        .await
        .expect("the virtual reader answers");
    let _ = device.call::<_, _, ()>("DeleteEnrolledFingers2", &()).await;
    device
        .call::<_, _, ()>("Release", &())
        .await
        .expect("the virtual reader answers");
}
