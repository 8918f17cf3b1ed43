//! Account-mode password checks, off the async threads and cached briefly so
//! a router updating several hosts does not pay argon2 every time.

use std::{collections::HashMap, sync::Mutex};

use sha2::{Digest, Sha256};
use spdyn_common::password;

use crate::store::{AccountRecord, Millis, Store};

/// How long a successful verification is reused.
const CACHE_MS: Millis = 60_000;
/// Entries kept at most; the cache is cleared when it grows past this.
const CACHE_MAX: usize = 10_000;

#[derive(Debug)]
pub struct AccountVerifier {
    /// Random per process, so cached digests are useless outside it.
    key: [u8; 32],
    cache: Mutex<HashMap<String, Verified>>,
}

#[derive(Debug, Clone)]
struct Verified {
    digest: [u8; 32],
    /// The stored hash that was verified: a password change invalidates.
    phc: String,
    at: Millis,
}

impl Default for AccountVerifier {
    fn default() -> Self {
        let mut key = [0u8; 32];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut key);
        Self {
            key,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl AccountVerifier {
    /// True when the account exists, takes password updates (enabled, not
    /// linked to a reseller account, no 2FA) and the password matches.
    pub async fn verify(&self, store: &Store, name: &str, secret: &str, now: Millis) -> bool {
        let account = store.account(name).ok().flatten();
        // Any other account is refused like an unknown one, after the same
        // decoy check: the answer tells nothing about the password (with
        // 2FA on, dnsd must not become a password oracle).
        let phc = account
            .filter(AccountRecord::takes_password_updates)
            .map(|a| a.password_hash);
        let digest = self.digest(name, secret);
        if phc
            .as_deref()
            .is_some_and(|phc| self.cached(name, &digest, phc, now))
        {
            return true;
        }
        let secret = secret.to_owned();
        let checked_phc = phc.clone();
        let ok = tokio::task::spawn_blocking(move || {
            password::verify_or_decoy(&secret, checked_phc.as_deref())
        })
        .await
        .unwrap_or(false);
        if ok && let Some(phc) = phc {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(
                name.to_owned(),
                Verified {
                    digest,
                    phc,
                    at: now,
                },
            );
        }
        ok
    }

    fn cached(&self, name: &str, digest: &[u8; 32], phc: &str, now: Millis) -> bool {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(name).is_some_and(|v| {
            v.digest == *digest && v.phc == phc && now.saturating_sub(v.at) < CACHE_MS
        })
    }

    fn digest(&self, name: &str, secret: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update(self.key);
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(secret.as_bytes());
        hash.finalize().into()
    }
}
