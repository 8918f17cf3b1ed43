//! The commit journal: what makes a group commit durable.
//!
//! Each group is appended as one record and `fdatasync`ed by the writer
//! thread before sled sees it; sled itself is only flushed at checkpoints,
//! after which the journal is emptied. On open, records still in the journal
//! are replayed into sled (they are idempotent: final values per key). A
//! record cut short by a crash fails its checksum and ends the replay — it was
//! never acknowledged.
//!
//! This replaces a sled `flush()` per group, which hands the I/O to sled's
//! thread pool and cost ~75 µs of CPU and a dozen context switches per
//! update (docs/PERFORMANCE.md).

use std::{
    fs::{File, OpenOptions},
    io::{self, Read},
    os::unix::fs::FileExt,
    path::Path,
};

/// Final value (or removal) per key, as one group commit leaves them.
pub type Changes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

/// Record header: payload length and CRC-32 of the payload.
const HEADER: usize = 8;
/// A record larger than this is corruption, not data.
const MAX_RECORD: usize = 256 << 20;
/// The file grows by zero-filled chunks of this size, so that appending a
/// record overwrites allocated blocks: its `fdatasync` then writes the data
/// alone, not the inode too (one I/O fewer per commit).
const CHUNK: u64 = 1 << 20;

#[derive(Debug)]
pub struct Journal {
    file: File,
    /// End of the last record: bytes written since the last checkpoint.
    len: u64,
    /// Size of the file (zero-filled beyond `len`).
    allocated: u64,
}

impl Journal {
    /// Opens (or creates) the journal and returns the complete records in it.
    pub fn open(path: &Path) -> io::Result<(Self, Vec<Changes>)> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (records, valid) = decode_records(&bytes);
        // The next record goes right after the last complete one.
        let mut journal = Self {
            file,
            len: valid as u64,
            allocated: bytes.len() as u64,
        };
        if bytes[valid..].iter().any(|&b| b != 0) {
            tracing::warn!(
                "journal: an incomplete record at the end (an interrupted commit) is dropped"
            );
            // Cut it off rather than overwrite it: what a shorter (or equally
            // long) new record left behind could decode, and a stale record
            // replayed after a newer one would undo it.
            journal.truncate(valid as u64)?;
        }
        Ok((journal, records))
    }

    /// Appends one group's changes and waits until they are on disk.
    pub fn append(&mut self, changes: &Changes) -> io::Result<()> {
        let payload = postcard::to_stdvec(changes).map_err(|e| io::Error::other(e.to_string()))?;
        let mut record = Vec::with_capacity(HEADER + payload.len());
        record.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        record.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        record.extend_from_slice(&payload);
        let end = self.len + record.len() as u64;
        if end > self.allocated {
            self.grow(end)?;
        }
        self.file.write_all_at(&record, self.len)?;
        self.file.sync_data()?;
        self.len = end;
        Ok(())
    }

    /// Zero-fills the file up to the chunk boundary past `end`.
    fn grow(&mut self, end: u64) -> io::Result<()> {
        let target = end.div_ceil(CHUNK) * CHUNK;
        let zeros = vec![0u8; (target - self.allocated) as usize];
        self.file.write_all_at(&zeros, self.allocated)?;
        self.file.sync_data()?;
        self.allocated = target;
        Ok(())
    }

    /// Bytes appended since the last checkpoint.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties the journal. Call only after sled holds everything in it on disk.
    pub fn clear(&mut self) -> io::Result<()> {
        self.truncate(0)
    }

    /// Takes back the records after `len` (a group that could not be applied
    /// must not come back in a replay: it was answered as failed).
    pub fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.sync_all()?;
        self.len = len;
        self.allocated = len;
        Ok(())
    }
}

/// Complete records from the front of `bytes`, and how many bytes they span.
fn decode_records(bytes: &[u8]) -> (Vec<Changes>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        // Zeros: the allocated, never written part of the file.
        if len == 0 || len > MAX_RECORD {
            break;
        }
        let Some(payload) = bytes.get(at + HEADER..at + HEADER + len) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let Ok(changes) = postcard::from_bytes::<Changes>(payload) else {
            break;
        };
        records.push(changes);
        at += HEADER + len;
    }
    (records, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(n: u8) -> Changes {
        vec![(vec![b'k', n], Some(vec![n; 3])), (vec![b'x'], None)]
    }

    #[test]
    fn records_come_back_in_order_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let (mut journal, old) = Journal::open(&path).unwrap();
        assert!(old.is_empty() && journal.is_empty());
        journal.append(&changes(1)).unwrap();
        journal.append(&changes(2)).unwrap();
        drop(journal);
        let (journal, records) = Journal::open(&path).unwrap();
        assert_eq!(records, vec![changes(1), changes(2)]);
        assert!(!journal.is_empty());
    }

    #[test]
    fn a_torn_or_corrupt_tail_ends_the_replay_and_is_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let (mut journal, _) = Journal::open(&path).unwrap();
        journal.append(&changes(1)).unwrap();
        let first = journal.len() as usize;
        journal.append(&changes(2)).unwrap();
        let second = journal.len() as usize;
        drop(journal);
        let full = std::fs::read(&path).unwrap();
        assert!(full.len() > second && full[second..].iter().all(|&b| b == 0));
        // Cut into the second record: only the first survives.
        let mut torn = full.clone();
        torn[second - 3..].fill(0);
        std::fs::write(&path, &torn).unwrap();
        assert_eq!(Journal::open(&path).unwrap().1, vec![changes(1)]);
        // Flip a payload byte of the second record: its checksum fails.
        let mut flipped = full.clone();
        flipped[second - 1] ^= 0xff;
        std::fs::write(&path, &flipped).unwrap();
        let (mut journal, records) = Journal::open(&path).unwrap();
        assert_eq!(records, vec![changes(1)]);
        // The next commit goes where the broken one was, and is replayed.
        assert_eq!(journal.len() as usize, first);
        journal.append(&changes(3)).unwrap();
        drop(journal);
        assert_eq!(
            Journal::open(&path).unwrap().1,
            vec![changes(1), changes(3)]
        );
    }

    /// Found by the `journal` fuzz target: a damaged record followed by an
    /// intact one; the next commit, as long as the damaged record, landed in
    /// its place and the stale record after it was replayed on top of it.
    #[test]
    fn nothing_after_a_broken_record_is_replayed_after_the_next_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let (mut journal, _) = Journal::open(&path).unwrap();
        journal.append(&changes(1)).unwrap();
        journal.append(&changes(2)).unwrap();
        drop(journal);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[HEADER] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let (mut journal, records) = Journal::open(&path).unwrap();
        assert!(records.is_empty());
        journal.append(&changes(3)).unwrap();
        drop(journal);
        assert_eq!(Journal::open(&path).unwrap().1, vec![changes(3)]);
    }

    #[test]
    fn a_group_taken_back_does_not_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let (mut journal, _) = Journal::open(&path).unwrap();
        journal.append(&changes(1)).unwrap();
        let mark = journal.len();
        journal.append(&changes(2)).unwrap();
        journal.truncate(mark).unwrap();
        journal.append(&changes(3)).unwrap();
        drop(journal);
        assert_eq!(
            Journal::open(&path).unwrap().1,
            vec![changes(1), changes(3)]
        );
    }

    #[test]
    fn clearing_empties_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let (mut journal, _) = Journal::open(&path).unwrap();
        journal.append(&changes(1)).unwrap();
        journal.clear().unwrap();
        journal.append(&changes(3)).unwrap();
        drop(journal);
        assert_eq!(Journal::open(&path).unwrap().1, vec![changes(3)]);
    }
}
