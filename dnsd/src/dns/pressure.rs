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
    time::Duration,
};

/// While queries press, a transfer sends one message (at most 64 KiB) per
/// this long: at most 16 MiB/s per transfer, a few per cent of a core.
pub const YIELD: Duration = Duration::from_millis(4);

/// Counts full batches taken by the UDP workers.
#[derive(Debug, Default)]
pub struct QueryPressure {
    full_batches: AtomicU64,
}

impl QueryPressure {
    /// A worker took a full batch.
    pub fn full_batch(&self) {
        self.full_batches.fetch_add(1, Ordering::Relaxed);
    }

    /// Starts watching from now.
    pub fn watch(&self) -> Watch<'_> {
        Watch {
            pressure: self,
            seen: self.full_batches.load(Ordering::Relaxed),
        }
    }
}

/// One transfer's view of the pressure.
pub struct Watch<'a> {
    pressure: &'a QueryPressure,
    seen: u64,
}

impl Watch<'_> {
    /// True when a worker took a full batch since the last call (or since
    /// the watch began).
    pub fn pressed(&mut self) -> bool {
        let now = self.pressure.full_batches.load(Ordering::Relaxed);
        std::mem::replace(&mut self.seen, now) != now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watch_sees_full_batches_taken_since_it_last_looked() {
        let pressure = QueryPressure::default();
        pressure.full_batch();
        let mut watch = pressure.watch();
        assert!(
            !watch.pressed(),
            "batches before the watch began do not count"
        );
        pressure.full_batch();
        pressure.full_batch();
        assert!(watch.pressed());
        assert!(!watch.pressed(), "each batch is seen once");
        pressure.full_batch();
        assert!(watch.pressed());
    }
}
