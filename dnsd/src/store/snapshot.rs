//! The host snapshot: every `host/` key and value of sled, written at a clean
//! stop so that the next start fills the index from one sequential file.
//!
//! A sled scan of every host is the slow part of a start (one thread walks
//! sled's pages) and leaves each page in sled's memory afterwards (~200 bytes
//! per host, more than the index itself). The file is trusted only when sled
//! names its generation under `meta/snapshot`; the first commit after a start
//! removes that key in the same journaled group, so a snapshot is never used
//! once sled holds anything it lacks.
//!
//! Layout: magic, generation (u64 LE), then per host `[key len u32 LE][value
//! len u32 LE][key][value]`, then `u32::MAX` and the CRC-32 of everything
//! before it.

use std::{
    fs::File,
    io::{self, BufWriter, Write},
    path::Path,
};

pub const FILE: &str = "spdyn-hosts.snap";
const MAGIC: &[u8; 8] = b"SPDYNHS1";
const HEADER: usize = 16;
const END: u32 = u32::MAX;
/// A key or value larger than this is corruption.
const MAX_LEN: u32 = 1 << 20;

/// Writes the snapshot atomically (temporary file, fsync, rename).
pub fn write<K, V, E>(
    dir: &Path,
    generation: u64,
    entries: impl Iterator<Item = Result<(K, V), E>>,
) -> io::Result<()>
where
    K: AsRef<[u8]>,
    V: AsRef<[u8]>,
    E: std::fmt::Display,
{
    let temporary = dir.join(format!("{FILE}.tmp"));
    let mut out = Checksummed {
        inner: BufWriter::with_capacity(1 << 20, File::create(&temporary)?),
        crc: crc32fast::Hasher::new(),
    };
    out.write_all(MAGIC)?;
    out.write_all(&generation.to_le_bytes())?;
    for entry in entries {
        let (key, value) = entry.map_err(|e| io::Error::other(e.to_string()))?;
        let (key, value) = (key.as_ref(), value.as_ref());
        out.write_all(&(key.len() as u32).to_le_bytes())?;
        out.write_all(&(value.len() as u32).to_le_bytes())?;
        out.write_all(key)?;
        out.write_all(value)?;
    }
    out.write_all(&END.to_le_bytes())?;
    let crc = out.crc.finalize();
    let mut file = out.inner.into_inner().map_err(|e| e.into_error())?;
    file.write_all(&crc.to_le_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, dir.join(FILE))?;
    File::open(dir)?.sync_all()
}

/// The snapshot of `generation`, checked whole, or `None` when there is no
/// such snapshot or it fails its checksum or structure. It is read into
/// memory in one piece (freed right after the load): cheaper than a buffered
/// reader that copies every entry, and a bad file is never half-loaded.
pub fn read(dir: &Path, generation: u64) -> io::Result<Option<Snapshot>> {
    let bytes = match std::fs::read(dir.join(FILE)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let snapshot = Snapshot { bytes };
    Ok(snapshot.is_valid(generation).then_some(snapshot))
}

/// A verified snapshot in memory.
pub struct Snapshot {
    bytes: Vec<u8>,
}

impl Snapshot {
    fn is_valid(&self, generation: u64) -> bool {
        let bytes = &self.bytes;
        if bytes.len() < HEADER + 8
            || &bytes[..8] != MAGIC
            || bytes[8..HEADER] != generation.to_le_bytes()
        {
            return false;
        }
        let (body, stored) = bytes.split_at(bytes.len() - 4);
        if crc32fast::hash(body) != u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]])
        {
            return false;
        }
        // Every entry must fit, and the end mark must close the body.
        let mut at = HEADER;
        loop {
            match step(body, at) {
                Some(Step::Entry { next, .. }) => at = next,
                Some(Step::End) => return at + 4 == body.len(),
                None => return false,
            }
        }
    }

    /// The (key, value) pairs in order.
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let body = &self.bytes[..self.bytes.len() - 4];
        let mut at = HEADER;
        std::iter::from_fn(move || match step(body, at)? {
            Step::Entry { key, value, next } => {
                at = next;
                Some((key, value))
            }
            Step::End => None,
        })
    }
}

enum Step<'a> {
    Entry {
        key: &'a [u8],
        value: &'a [u8],
        next: usize,
    },
    End,
}

/// The entry (or end mark) at `at`; `None` if it does not fit.
fn step(body: &[u8], at: usize) -> Option<Step<'_>> {
    let u32_at = |i: usize| {
        body.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let key_len = u32_at(at)?;
    if key_len == END {
        return Some(Step::End);
    }
    let value_len = u32_at(at + 4)?;
    if key_len > MAX_LEN || value_len > MAX_LEN {
        return None;
    }
    let key_start = at + 8;
    let value_start = key_start + key_len as usize;
    let next = value_start + value_len as usize;
    Some(Step::Entry {
        key: body.get(key_start..value_start)?,
        value: body.get(value_start..next)?,
        next,
    })
}

/// A writer that keeps the CRC-32 of what went through it.
struct Checksummed<W> {
    inner: W,
    crc: crc32fast::Hasher,
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.crc.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Entry = (Vec<u8>, Vec<u8>);

    fn hosts(n: u8) -> Vec<io::Result<Entry>> {
        (0..n)
            .map(|i| Ok((format!("host/h{i}").into_bytes(), vec![i; i as usize])))
            .collect()
    }

    fn read_all(dir: &Path, generation: u64) -> Option<Vec<Entry>> {
        read(dir, generation).unwrap().map(|snapshot| {
            snapshot
                .entries()
                .map(|(key, value)| (key.to_vec(), value.to_vec()))
                .collect()
        })
    }

    #[test]
    fn what_is_written_comes_back_for_its_generation_only() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 7, hosts(50).into_iter()).unwrap();
        let expected: Vec<_> = hosts(50).into_iter().map(Result::unwrap).collect();
        assert_eq!(read_all(dir.path(), 7), Some(expected));
        assert_eq!(read_all(dir.path(), 8), None);
        assert!(!dir.path().join(format!("{FILE}.tmp")).exists());
    }

    #[test]
    fn a_missing_cut_or_altered_file_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_all(dir.path(), 1), None);
        write(dir.path(), 1, hosts(20).into_iter()).unwrap();
        let path = dir.path().join(FILE);
        let full = std::fs::read(&path).unwrap();
        std::fs::write(&path, &full[..full.len() - 1]).unwrap();
        assert_eq!(read_all(dir.path(), 1), None);
        let mut altered = full.clone();
        altered[40] ^= 1;
        std::fs::write(&path, &altered).unwrap();
        assert_eq!(read_all(dir.path(), 1), None);
        std::fs::write(&path, &full).unwrap();
        assert_eq!(read_all(dir.path(), 1).map(|e| e.len()), Some(20));
    }

    #[test]
    fn a_failing_source_leaves_the_old_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1, hosts(3).into_iter()).unwrap();
        let mut broken = hosts(3);
        broken.push(Err(io::Error::other("disk")));
        assert!(write(dir.path(), 2, broken.into_iter()).is_err());
        assert_eq!(read_all(dir.path(), 1).map(|e| e.len()), Some(3));
    }
}
