//! The OS session's lock and the computer's sleep, as a plain stream of events: the
//! app locks itself with the screen and the lid (as a password manager does), and
//! reconnects the push connection at once on resume instead of waiting for its
//! heartbeat timeout. Each OS has its own source (logind on Linux, the session and
//! power notifications on Windows and macOS); a monotonic-vs-wall clock check runs
//! beside it everywhere, for a resume the OS source missed.

use std::time::{Duration, Instant, SystemTime};

use futures::stream::{self, BoxStream};
use futures::{Stream, StreamExt as _};

#[cfg(target_os = "linux")]
pub mod linux;
#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "windows")]
mod windows;

/// Something the OS session did that the app follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsSessionEvent {
    /// The user's session was locked (screen lock, lock key, switching user).
    Locked,
    /// The computer is about to sleep.
    Sleeping,
    /// The computer woke up (told by the OS, or seen as a clock jump).
    Resumed,
}

/// How often the clock check runs. A resume is noticed at most this long after the
/// computer woke up, when the OS itself did not say so.
pub const CLOCK_CHECK: Duration = Duration::from_secs(10);

/// The OS session's events and the clock check's resumes, for the app's life. Never
/// fails: where the OS source cannot be reached (no logind, as in containers) it
/// logs that once and only the clock check remains.
pub fn watch() -> impl Stream<Item = OsSessionEvent> + Send + 'static {
    stream::select(os_events(), clock_jumps(CLOCK_CHECK))
}

#[cfg(target_os = "linux")]
fn os_events() -> BoxStream<'static, OsSessionEvent> {
    linux::events().boxed()
}

#[cfg(target_os = "windows")]
fn os_events() -> BoxStream<'static, OsSessionEvent> {
    windows::events().boxed()
}

#[cfg(target_os = "macos")]
fn os_events() -> BoxStream<'static, OsSessionEvent> {
    macos::events().boxed()
}

#[cfg(not(any(target_os = "linux", target_os = "windows", target_os = "macos")))]
fn os_events() -> BoxStream<'static, OsSessionEvent> {
    tracing::info!("no OS session watcher on this OS: only the clock check sees a resume");
    stream::empty().boxed()
}

/// A `Resumed` each time the wall clock ran well ahead of the monotonic clock
/// between two checks `every` apart.
pub fn clock_jumps(every: Duration) -> impl Stream<Item = OsSessionEvent> + Send + 'static {
    clock_jumps_on(every, || (Instant::now(), SystemTime::now()))
}

/// [`clock_jumps`] reading the two clocks from `clocks` (tests pass their own).
fn clock_jumps_on(
    every: Duration,
    mut clocks: impl FnMut() -> (Instant, SystemTime) + Send + 'static,
) -> impl Stream<Item = OsSessionEvent> + Send + 'static {
    let mut ticks = tokio::time::interval(every);
    // After a suspend, one check, not a burst of the missed ones.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (monotonic, wall) = clocks();
    let watch = ClockWatch::new(monotonic, wall);
    stream::unfold(
        (watch, ticks, clocks),
        |(mut watch, mut ticks, mut clocks)| async move {
            loop {
                ticks.tick().await;
                let (monotonic, wall) = clocks();
                if watch.check(monotonic, wall) {
                    return Some((OsSessionEvent::Resumed, (watch, ticks, clocks)));
                }
            }
        },
    )
}

/// Tells a resume from the clocks alone. The monotonic clock stops while the
/// computer sleeps (Linux `CLOCK_MONOTONIC`, macOS `mach_absolute_time`) and the wall
/// clock does not, so after a sleep the wall clock has moved further than the
/// monotonic one. (On Windows the monotonic clock counts the sleep too; there the
/// power notification is the witness.)
#[derive(Debug, Clone, Copy)]
pub struct ClockWatch {
    monotonic: Instant,
    wall: SystemTime,
}

impl ClockWatch {
    /// How far the wall clock must run ahead to count as a sleep: more than an NTP
    /// step or a busy machine's scheduling delay.
    pub const JUMP: Duration = Duration::from_secs(30);

    pub fn new(monotonic: Instant, wall: SystemTime) -> Self {
        ClockWatch { monotonic, wall }
    }

    /// Whether the computer slept since the last check, judged by the wall clock
    /// having run more than [`Self::JUMP`] ahead of the monotonic clock. A wall clock
    /// set back is no sleep; either way the next check starts from here.
    pub fn check(&mut self, monotonic: Instant, wall: SystemTime) -> bool {
        let monotonic_passed = monotonic.saturating_duration_since(self.monotonic);
        let wall_passed = wall.duration_since(self.wall).unwrap_or_default();
        *self = ClockWatch::new(monotonic, wall);
        wall_passed > monotonic_passed + Self::JUMP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> (Instant, SystemTime, ClockWatch) {
        let (monotonic, wall) = (Instant::now(), SystemTime::now());
        (monotonic, wall, ClockWatch::new(monotonic, wall))
    }

    #[test]
    fn clocks_moving_together_are_no_resume() {
        let (m, w, mut watch) = start();
        for step in 1..=10 {
            let passed = Duration::from_secs(10 * step);
            assert!(!watch.check(m + passed, w + passed), "step {step}");
        }
    }

    #[test]
    fn a_wall_clock_far_ahead_of_the_monotonic_clock_is_a_resume() {
        let (m, w, mut watch) = start();
        // Ten seconds awake, then an hour asleep: the monotonic clock saw 10 s.
        assert!(watch.check(m + Duration::from_secs(10), w + Duration::from_secs(3610)));
        // Reported once: the next check starts from the resumed clocks.
        assert!(!watch.check(m + Duration::from_secs(20), w + Duration::from_secs(3620)));
    }

    #[test]
    fn small_drift_and_a_clock_set_back_are_no_resume() {
        let (m, w, mut watch) = start();
        let m1 = m + Duration::from_secs(10);
        assert!(!watch.check(m1, w + Duration::from_secs(10) + ClockWatch::JUMP));
        // The wall clock set back an hour (a time zone fix by hand, an NTP step).
        let w2 = w - Duration::from_hours(1);
        assert!(!watch.check(m1 + Duration::from_secs(10), w2));
        assert!(watch.check(
            m1 + Duration::from_secs(20),
            w2 + Duration::from_secs(10 + 31)
        ));
    }

    #[tokio::test]
    async fn the_clock_check_stays_quiet_while_the_clocks_agree() {
        let mut jumps = Box::pin(clock_jumps(Duration::from_millis(10)));
        // Some thirty checks on a machine that does not sleep.
        let next = tokio::time::timeout(Duration::from_millis(300), jumps.next()).await;
        assert!(next.is_err(), "no resume without a sleep: {next:?}");
    }

    #[tokio::test]
    async fn the_clock_check_reports_a_wall_clock_that_ran_ahead_once() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU64, Ordering};

        // The wall clock as the OS keeps it, plus how long the "computer slept".
        let slept = Arc::new(AtomicU64::new(0));
        let asleep = Arc::clone(&slept);
        let clocks = move || {
            let wall = SystemTime::now() + Duration::from_secs(asleep.load(Ordering::SeqCst));
            (Instant::now(), wall)
        };
        let mut jumps = Box::pin(clock_jumps_on(Duration::from_millis(10), clocks));
        let quiet = tokio::time::timeout(Duration::from_millis(100), jumps.next()).await;
        assert!(quiet.is_err(), "no resume before the sleep: {quiet:?}");
        slept.store(3600, Ordering::SeqCst);
        let resumed = tokio::time::timeout(Duration::from_secs(5), jumps.next()).await;
        assert_eq!(resumed, Ok(Some(OsSessionEvent::Resumed)));
        let again = tokio::time::timeout(Duration::from_millis(100), jumps.next()).await;
        assert!(again.is_err(), "one sleep, one resume: {again:?}");
    }
}
