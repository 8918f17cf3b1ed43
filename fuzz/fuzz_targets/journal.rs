//! The commit journal's reader on torn and corrupted files. The first input
//! byte picks the mode: 0, the rest is a journal file as found on disk;
//! anything else, the rest describes a journal (records appended by the
//! journal itself, or raw payloads framed with a correct checksum so that the
//! decoder behind it is reached), damage done to the file (cut, zeroed,
//! flipped or overwritten bytes, as a crash or the disk leaves them) and one
//! more commit. Then:
//! * opening never fails or panics, and every record that lies wholly before
//!   the first damaged byte is replayed, in order;
//! * the next commit after the open is replayed after exactly what the open
//!   returned: the broken tail is gone, nothing stale comes back.
#![no_main]

use std::{
    fs::OpenOptions,
    io::{Seek, SeekFrom, Write},
    os::unix::fs::FileExt,
    path::Path,
};

use arbitrary::{Arbitrary, Unstructured};
use dnsd::store::fuzzing::{Changes, Journal};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Record {
    /// Appended with [`Journal::append`].
    Appended(Changes),
    /// Any payload, framed with its length and CRC-32.
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Damage {
    Cut(u32),
    Zero { at: u32, len: u16 },
    Flip { at: u32, mask: u8 },
    Overwrite { at: u32, bytes: Vec<u8> },
}

#[derive(Arbitrary, Debug)]
struct Input {
    records: Vec<Record>,
    damage: Vec<Damage>,
    next: Changes,
}

fuzz_target!(|data: &[u8]| {
    let dir = spdyn_fuzz::scratch_dir();
    let path = dir.path().join("spdyn-journal");
    match data.split_first() {
        Some((0, file)) => {
            std::fs::write(&path, file).expect("write the journal");
            let (journal, replayed) = Journal::open(&path).expect("open a journal file");
            let next = vec![(b"host/next".to_vec(), Some(b"value".to_vec()))];
            assert_next_commit_follows(&path, journal, replayed, &next);
        }
        Some((_, rest)) => {
            if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(rest)) {
                described(&path, &input);
            }
        }
        None => {}
    }
});

fn described(path: &Path, input: &Input) {
    let intended = write_records(path, &input.records);

    let mut first_damage = u64::MAX;
    for damage in &input.damage {
        let len = std::fs::metadata(path).expect("metadata").len();
        let clamp = |at: u32| u64::from(at) % (len + 1);
        match damage {
            Damage::Cut(at) => {
                let at = clamp(*at);
                OpenOptions::new()
                    .write(true)
                    .open(path)
                    .and_then(|f| f.set_len(at))
                    .expect("cut");
                first_damage = first_damage.min(at);
            }
            Damage::Zero { at, len } => {
                let at = clamp(*at);
                write_at(path, at, &vec![0; usize::from(*len)]);
                first_damage = first_damage.min(at);
            }
            Damage::Flip { at, mask } => {
                let at = clamp(*at);
                if *mask != 0 && at < len {
                    let mut byte = [0u8];
                    std::fs::File::open(path)
                        .and_then(|f| f.read_exact_at(&mut byte, at))
                        .expect("read");
                    write_at(path, at, &[byte[0] ^ mask]);
                    first_damage = first_damage.min(at);
                }
            }
            Damage::Overwrite { at, bytes } => {
                let at = clamp(*at);
                write_at(path, at, bytes);
                first_damage = first_damage.min(at);
            }
        }
    }

    let (journal, replayed) = Journal::open(path).expect("open a damaged journal");
    let intact = intended
        .iter()
        .take_while(|(_, end)| *end <= first_damage)
        .count();
    assert!(
        replayed.len() >= intact,
        "{} of {intact} intact records replayed",
        replayed.len()
    );
    for (got, (want, _)) in replayed.iter().zip(&intended[..intact]) {
        assert_eq!(got, want);
    }
    if first_damage == u64::MAX {
        assert_eq!(replayed.len(), intended.len(), "undamaged journal");
    }

    assert_next_commit_follows(path, journal, replayed, &input.next);
}

/// Appends `next` to a journal just opened and checks that a reopen replays
/// exactly what the first open did, then `next`.
fn assert_next_commit_follows(
    path: &Path,
    mut journal: Journal,
    replayed: Vec<Changes>,
    next: &Changes,
) {
    journal.append(next).expect("append after open");
    drop(journal);
    let (_, after) = Journal::open(path).expect("reopen");
    let mut expected = replayed;
    expected.push(next.clone());
    assert_eq!(after, expected, "the next commit follows what was replayed");
}

/// Writes the records and returns those the journal should hand back if
/// nothing were damaged, each with the offset where it ends. A raw payload
/// that does not decode ends the replay, like a torn record: nothing is
/// written after it.
fn write_records(path: &Path, records: &[Record]) -> Vec<(Changes, u64)> {
    let mut intended = Vec::new();
    let (mut journal, old) = Journal::open(path).expect("open a new journal");
    assert!(old.is_empty());
    for record in records {
        match record {
            Record::Appended(changes) => {
                journal.append(changes).expect("append");
                intended.push((changes.clone(), journal.len()));
            }
            Record::Raw(payload) => {
                let at = journal.len();
                let mut framed = (payload.len() as u32).to_le_bytes().to_vec();
                framed.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
                framed.extend_from_slice(payload);
                write_at(path, at, &framed);
                let decoded = postcard::from_bytes::<Changes>(payload).ok();
                let Some(changes) = decoded.filter(|_| !payload.is_empty()) else {
                    break;
                };
                // Reopening moves the end past the raw record.
                journal = Journal::open(path).expect("reopen").0;
                assert_eq!(journal.len(), at + framed.len() as u64);
                intended.push((changes, journal.len()));
            }
        }
    }
    intended
}

fn write_at(path: &Path, at: u64, bytes: &[u8]) {
    let mut file = OpenOptions::new().write(true).open(path).expect("open");
    file.seek(SeekFrom::Start(at)).expect("seek");
    file.write_all(bytes).expect("write");
}
