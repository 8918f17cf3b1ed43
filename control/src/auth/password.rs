//! Account passwords: `spdyn_common::password` (argon2id, the decoy check)
//! run on a blocking thread so the async workers keep serving — at most one
//! per CPU at a time. Each run takes 19 MiB and a CPU for tens of
//! milliseconds; unbounded, a burst of sign-ins (or sign-ups) would fill the
//! blocking pool (512 threads, ~10 GiB). Callers queue for a slot and give
//! up with [`Error::Busy`] (503) after [`QUEUE_TIMEOUT`]. Callers hold no
//! database connection meanwhile.

use std::{
    sync::{Arc, LazyLock},
    time::Duration,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::Error;

/// How long a password check waits for a slot before the request is
/// answered 503.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

/// One slot per CPU: argon2 is CPU-bound, more at once only queue in the
/// kernel instead of here.
static SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cpus = std::thread::available_parallelism().map_or(2, usize::from);
    Arc::new(Semaphore::new(cpus))
});

/// The slots, for tests that hold them all.
#[cfg(test)]
pub(crate) fn slots() -> &'static Arc<Semaphore> {
    &SLOTS
}

/// Waits up to `timeout` for a slot.
async fn slot(slots: &Arc<Semaphore>, timeout: Duration) -> Result<OwnedSemaphorePermit, Error> {
    match tokio::time::timeout(timeout, slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(Error::Busy),
    }
}

/// Runs `job` on a blocking thread once a slot is free. The slot moves into
/// the job: a request that is dropped meanwhile does not free it early.
async fn run<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    let permit = slot(&SLOTS, QUEUE_TIMEOUT).await?;
    tokio::task::spawn_blocking(move || {
        let result = job();
        drop(permit);
        result
    })
    .await
    .map_err(|e| Error::Internal(e.into()))
}

/// Hashes with argon2id ([`spdyn_common::password::hash`]).
pub async fn hash(password: String) -> Result<String, Error> {
    run(move || spdyn_common::password::hash(&password))
        .await?
        .map_err(|e| Error::Internal(e.into()))
}

/// Whether `password` matches the PHC string. With no stored hash (unknown
/// account) a decoy hash is verified instead and the answer is false
/// ([`spdyn_common::password::verify_or_decoy`]).
pub async fn verify(password: String, phc: Option<String>) -> Result<bool, Error> {
    run(move || spdyn_common::password::verify_or_decoy(&password, phc.as_deref())).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_check_waits_for_a_slot_and_gives_up_when_none_frees() {
        let slots = Arc::new(Semaphore::new(1));
        let held = slot(&slots, Duration::from_millis(10)).await.unwrap();
        assert!(matches!(
            slot(&slots, Duration::from_millis(10)).await,
            Err(Error::Busy)
        ));
        drop(held);
        assert!(slot(&slots, Duration::from_millis(10)).await.is_ok());
    }

    #[tokio::test]
    async fn hashes_verify() {
        let phc = hash("correct horse".into()).await.unwrap();
        assert!(
            verify("correct horse".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong".into(), Some(phc)).await.unwrap());
        assert!(!verify("x".into(), None).await.unwrap());
        let cpus = std::thread::available_parallelism().map_or(2, usize::from);
        assert_eq!(SLOTS.available_permits(), cpus, "every slot is back");
    }
}
