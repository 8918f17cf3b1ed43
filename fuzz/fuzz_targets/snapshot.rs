//! The host snapshot's reader on torn and corrupted files. The first input
//! byte picks the mode: 0, the rest is a snapshot file as found on disk
//! (read for the generation it names); anything else, the rest describes a
//! snapshot written by dnsd (generation, entries) and damage done to it.
//! Reading never fails or panics; an undamaged snapshot comes back whole for
//! its generation and for no other; and whatever the reader accepts is
//! exactly the file the writer makes of the entries it returned, so nothing
//! half-read or re-ordered is ever loaded.
#![no_main]

use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};
use dnsd::store::fuzzing::{SNAPSHOT_FILE, read_snapshot, write_snapshot};
use libfuzzer_sys::fuzz_target;

type Entry = (Vec<u8>, Vec<u8>);

#[derive(Arbitrary, Debug)]
enum Damage {
    Cut(u32),
    Flip { at: u32, mask: u8 },
    Overwrite { at: u32, bytes: Vec<u8> },
    Append(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    generation: u64,
    entries: Vec<Entry>,
    damage: Vec<Damage>,
}

fuzz_target!(|data: &[u8]| {
    let dir = spdyn_fuzz::scratch_dir();
    let file = dir.path().join(SNAPSHOT_FILE);
    let generation = match data.split_first() {
        Some((0, bytes)) => {
            std::fs::write(&file, bytes).expect("raw file");
            // The generation the file names, so the reader looks further.
            bytes
                .get(8..16)
                .map_or(0, |g| u64::from_le_bytes(g.try_into().expect("8 bytes")))
        }
        Some((_, rest)) => match Input::arbitrary_take_rest(Unstructured::new(rest)) {
            Ok(input) => written(dir.path(), input),
            Err(_) => return,
        },
        None => return,
    };

    let Some(entries) = read_all(dir.path(), generation) else {
        return;
    };
    let accepted = std::fs::read(&file).expect("accepted file");
    let again = spdyn_fuzz::scratch_dir();
    write_snapshot(again.path(), generation, ok_entries(&entries)).expect("rewrite");
    let rewritten = std::fs::read(again.path().join(SNAPSHOT_FILE)).expect("rewritten");
    assert_eq!(
        accepted, rewritten,
        "an accepted snapshot is one the writer makes"
    );
});

/// Writes the snapshot, checks it reads back, damages it; returns its
/// generation.
fn written(dir: &Path, input: Input) -> u64 {
    let Input {
        generation,
        entries,
        damage,
    } = input;
    write_snapshot(dir, generation, ok_entries(&entries)).expect("write");
    if damage.is_empty() {
        assert_eq!(read_all(dir, generation), Some(entries));
        assert_eq!(read_all(dir, generation.wrapping_add(1)), None);
        return generation;
    }
    let file = dir.join(SNAPSHOT_FILE);
    let mut bytes = std::fs::read(&file).expect("read back");
    for damage in damage {
        let len = bytes.len();
        let clamp = |at: u32| at as usize % (len + 1);
        match damage {
            Damage::Cut(at) => bytes.truncate(clamp(at)),
            Damage::Flip { at, mask } => {
                if let Some(byte) = bytes.get_mut(clamp(at)) {
                    *byte ^= mask;
                }
            }
            Damage::Overwrite { at, bytes: new } => {
                let at = clamp(at);
                let end = (at + new.len()).min(bytes.len());
                bytes.splice(at..end, new);
            }
            Damage::Append(tail) => bytes.extend_from_slice(&tail),
        }
    }
    std::fs::write(&file, &bytes).expect("damage");
    generation
}

fn ok_entries(entries: &[Entry]) -> impl Iterator<Item = Result<(&[u8], &[u8]), String>> {
    entries
        .iter()
        .map(|(key, value)| Ok((key.as_slice(), value.as_slice())))
}

fn read_all(dir: &Path, generation: u64) -> Option<Vec<Entry>> {
    read_snapshot(dir, generation)
        .expect("read")
        .map(|snapshot| {
            snapshot
                .entries()
                .map(|(key, value)| (key.to_vec(), value.to_vec()))
                .collect()
        })
}
