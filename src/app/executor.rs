//! The runtime the app's tasks run on (the push connection, the server calls, the
//! keyring, the browser hand-off's listener). iced's default is a Tokio runtime with
//! one worker thread per core: sixteen threads on a 16-core laptop, for an app that
//! waits nearly all the time. Two workers are plenty, and the app then costs the same
//! on every machine (each thread has a stack, and with glibc possibly an arena).

use iced::futures::io;

/// Worker threads: one can wait on a slow call while the other keeps the push
/// connection and the window's tasks going.
const WORKERS: usize = 2;

/// A Tokio runtime with [`WORKERS`] worker threads.
pub struct Runtime(tokio::runtime::Runtime);

impl iced::Executor for Runtime {
    fn new() -> Result<Self, io::Error> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .thread_name("godkend-worker")
            .enable_all()
            .build()
            .map(Runtime)
    }

    fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        // Detached: iced keeps no handle to its tasks.
        drop(self.0.spawn(future));
    }

    fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        let _guard = self.0.enter();
        f()
    }

    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.0.block_on(future)
    }
}
