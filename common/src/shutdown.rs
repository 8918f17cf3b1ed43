//! Stopping cleanly on SIGTERM or SIGINT (Ctrl-C), for both binaries.

use std::future::Future;

use tokio::signal::unix::{SignalKind, signal};

/// Starts listening for SIGTERM and SIGINT *now* and returns a future that
/// completes at the first of them. Call it before the process says it is
/// ready: from then on neither signal takes its default action (ending the
/// process at once), so one that arrives while the process is still
/// starting or already stopping is not lost and cannot cut a stop short.
pub fn signal_listener() -> std::io::Result<impl Future<Output = ()>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}
