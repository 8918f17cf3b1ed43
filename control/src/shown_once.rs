//! Results that are shown once, after a redirect: a changing form posts,
//! the result is put here for the session that made it, and the browser is
//! sent to a page that takes it (POST → redirect → GET). A reload of that
//! page finds nothing and says so instead of repeating the action, and the
//! secret never sits in a URL, a database row or a cache.
//!
//! Kept in memory (control runs once): a restart forgets what was not yet
//! shown, which only means the action must be done again.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::domain::tokens::{SecretHash, random_secret};

/// How long a result waits for its page.
const LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Results waiting at most (the oldest goes first).
const CAPACITY: usize = 10_000;

/// What is waiting to be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// A new update token of a host.
    UpdateToken {
        host_id: i64,
        host: String,
        token: String,
    },
    /// A new personal API token.
    ApiToken(String),
    /// The CSV file of update tokens the bulk action made.
    TokensCsv { csv: String, count: usize },
    /// The recovery codes of a 2FA enrolment.
    RecoveryCodes(Vec<String>),
}

struct Entry {
    session: SecretHash,
    shown: Shown,
    made: Instant,
}

#[derive(Default)]
pub struct ShownOnce {
    entries: Mutex<HashMap<String, Entry>>,
}

impl ShownOnce {
    /// Keeps `shown` for `session`; returns the key of its page.
    pub fn put(&self, session: &SecretHash, shown: Shown) -> String {
        self.put_at(session, shown, Instant::now())
    }

    fn put_at(&self, session: &SecretHash, shown: Shown, now: Instant) -> String {
        let key = random_secret();
        let mut entries = self.lock();
        entries.retain(|_, entry| now.duration_since(entry.made) < LIFETIME);
        if entries.len() >= CAPACITY
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, entry)| entry.made)
                .map(|(key, _)| key.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(
            key.clone(),
            Entry {
                session: *session,
                shown,
                made: now,
            },
        );
        key
    }

    /// Hands out what `key` holds, once, and only to the session that made
    /// it.
    pub fn take(&self, session: &SecretHash, key: &str) -> Option<Shown> {
        self.take_at(session, key, Instant::now())
    }

    fn take_at(&self, session: &SecretHash, key: &str, now: Instant) -> Option<Shown> {
        let mut entries = self.lock();
        let entry = entries.get(key)?;
        if entry.session != *session {
            return None;
        }
        let entry = entries.remove(key)?;
        (now.duration_since(entry.made) < LIFETIME).then_some(entry.shown)
    }

    /// How many tokens the waiting CSV file of `key` holds, without taking
    /// it (the page that offers the download).
    pub fn csv_count(&self, session: &SecretHash, key: &str) -> Option<usize> {
        match self.lock().get(key) {
            Some(Entry {
                session: owner,
                shown: Shown::TokensCsv { count, .. },
                ..
            }) if owner == session => Some(*count),
            _ => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves a consistent map.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: SecretHash = [1; 32];
    const MALLORY: SecretHash = [2; 32];

    #[test]
    fn a_result_is_shown_once_and_only_to_its_session() {
        let once = ShownOnce::default();
        let key = once.put(&ALICE, Shown::ApiToken("secret".into()));
        assert_eq!(once.take(&MALLORY, &key), None);
        assert_eq!(once.take(&ALICE, "another key"), None);
        assert_eq!(
            once.take(&ALICE, &key),
            Some(Shown::ApiToken("secret".into()))
        );
        assert_eq!(once.take(&ALICE, &key), None, "a reload finds nothing");
    }

    #[test]
    fn a_result_expires_and_the_csv_count_is_read_without_taking() {
        let once = ShownOnce::default();
        let now = Instant::now();
        let csv = Shown::TokensCsv {
            csv: "hostname,token\n".into(),
            count: 3,
        };
        let key = once.put_at(&ALICE, csv.clone(), now);
        assert_eq!(once.csv_count(&ALICE, &key), Some(3));
        assert_eq!(once.csv_count(&MALLORY, &key), None);
        assert_eq!(once.take_at(&ALICE, &key, now), Some(csv.clone()));

        let key = once.put_at(&ALICE, csv, now);
        assert_eq!(once.take_at(&ALICE, &key, now + LIFETIME), None);
    }
}
