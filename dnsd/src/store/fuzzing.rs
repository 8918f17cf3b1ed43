//! Entry points for the fuzz targets in `fuzz/` (cargo feature `fuzzing`):
//! the journal and snapshot readers, which are otherwise private to the store.

pub use super::{
    journal::{Changes, Journal},
    snapshot::{FILE as SNAPSHOT_FILE, Snapshot, read as read_snapshot, write as write_snapshot},
};
