//! Account passwords: `spdyn_common::password` (argon2id, the decoy check)
//! run on a blocking thread so the async workers keep serving.

/// Hashes with argon2id ([`spdyn_common::password::hash`]).
pub async fn hash(password: String) -> anyhow::Result<String> {
    Ok(tokio::task::spawn_blocking(move || spdyn_common::password::hash(&password)).await??)
}

/// Whether `password` matches the PHC string. With no stored hash (unknown
/// account) a decoy hash is verified instead and the answer is false
/// ([`spdyn_common::password::verify_or_decoy`]).
pub async fn verify(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        spdyn_common::password::verify_or_decoy(&password, phc.as_deref())
    })
    .await
    .unwrap_or(false)
}
