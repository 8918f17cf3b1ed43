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
    io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write},
    path::Path,
};

pub const FILE: &str = "spdyn-hosts.snap";
const MAGIC: &[u8; 8] = b"SPDYNHS1";
const HEADER: u64 = 16;
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

/// The entries of the snapshot of `generation`, or `None` when there is no
/// such snapshot or it fails its checksum. Checks the whole file before
/// returning anything, so a bad file is never half-loaded.
pub fn open(dir: &Path, generation: u64) -> io::Result<Option<Entries>> {
    let file = match File::open(dir.join(FILE)) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut entries = Entries {
        input: BufReader::with_capacity(1 << 20, file),
        crc: crc32fast::Hasher::new(),
    };
    let mut header = [0u8; HEADER as usize];
    if entries.read_exact(&mut header).is_err()
        || &header[..8] != MAGIC
        || header[8..] != generation.to_le_bytes()
    {
        return Ok(None);
    }
    loop {
        match entries.next_raw() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return Ok(None),
        }
    }
    let computed = entries.crc.clone().finalize();
    let mut stored = [0u8; 4];
    if entries.input.read_exact(&mut stored).is_err() || u32::from_le_bytes(stored) != computed {
        return Ok(None);
    }
    entries.input.seek(SeekFrom::Start(HEADER))?;
    Ok(Some(entries))
}

/// A verified snapshot's (key, value) pairs in order.
pub struct Entries {
    input: BufReader<File>,
    crc: crc32fast::Hasher,
}

impl Entries {
    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.input.read_exact(buf)?;
        self.crc.update(buf);
        Ok(())
    }

    fn read_u32(&mut self) -> io::Result<u32> {
        let mut raw = [0u8; 4];
        self.read_exact(&mut raw)?;
        Ok(u32::from_le_bytes(raw))
    }

    fn next_raw(&mut self) -> io::Result<Option<(Vec<u8>, Vec<u8>)>> {
        let key_len = self.read_u32()?;
        if key_len == END {
            return Ok(None);
        }
        let value_len = self.read_u32()?;
        if key_len > MAX_LEN || value_len > MAX_LEN {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "entry too long"));
        }
        let mut key = vec![0; key_len as usize];
        let mut value = vec![0; value_len as usize];
        self.read_exact(&mut key)?;
        self.read_exact(&mut value)?;
        Ok(Some((key, value)))
    }
}

impl Iterator for Entries {
    type Item = io::Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_raw().transpose()
    }
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
        open(dir, generation)
            .unwrap()
            .map(|entries| entries.map(Result::unwrap).collect())
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
