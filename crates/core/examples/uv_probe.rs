//! Prints whether this platform's biometric check (fprintd, Windows Hello, Touch ID)
//! can run here, and exits 0 either way. scripts/test.sh runs the Windows build
//! under Wine, where Windows Hello does not exist, to check that the backend says
//! "not available" cleanly rather than crashing or hanging.

use godkend_core::uv::Availability;
use godkend_core::uv::platform;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    match platform::availability().await {
        Availability::Available => println!("{}: available", platform::name()),
        Availability::Unavailable(why) => {
            println!("{}: not available: {why}", platform::name());
        }
    }
}
