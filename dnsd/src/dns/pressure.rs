//! Whether queries arrive faster than they are answered, for work that should
//! step aside for them (zone transfers): a UDP worker that takes a full batch
//! left more queries waiting in its socket.
//!
//! A transfer already runs on a `SCHED_IDLE` thread, but the kernel's TCP and
//! loopback work for the bytes it writes is done in softirq context, charged
//! to whatever runs, and queries pay for it. So while queries press, a
//! transfer also slows its own output.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// While queries press, a transfer waits this long before each message (at
/// most 64 KiB): at most 16 MiB/s and 250 transfers a second per connection,
/// a few per cent of a core.
pub const YIELD: Duration = Duration::from_millis(4);
/// A full batch this recent means queries press.
const RECENT: Duration = Duration::from_millis(10);

/// When a UDP worker last took a full batch.
#[derive(Debug)]
pub struct QueryPressure {
    epoch: Instant,
    /// Milliseconds since `epoch` plus one; 0: never.
    last_full: AtomicU64,
}

impl Default for QueryPressure {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            last_full: AtomicU64::new(0),
        }
    }
}

impl QueryPressure {
    /// A worker took a full batch.
    pub fn full_batch(&self) {
        let now = self.now();
        // Written once a millisecond at most: the workers do not fight over
        // the cache line.
        if self.last_full.load(Ordering::Relaxed) != now {
            self.last_full.store(now, Ordering::Relaxed);
        }
    }

    /// True when a worker took a full batch within the last [`RECENT`].
    pub fn pressed(&self) -> bool {
        let last = self.last_full.load(Ordering::Relaxed);
        last != 0 && self.now() - last <= RECENT.as_millis() as u64
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_batch_presses_for_a_moment() {
        let pressure = QueryPressure::default();
        assert!(!pressure.pressed(), "no batch yet");
        pressure.full_batch();
        assert!(pressure.pressed());
        std::thread::sleep(RECENT * 5);
        assert!(!pressure.pressed(), "long ago");
        pressure.full_batch();
        assert!(pressure.pressed());
    }
}
