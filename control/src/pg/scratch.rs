//! Throwaway databases for tests: each test gets its own database, created in
//! the cluster named by `DATABASE_URL` (scripts/test.sh starts one cluster
//! per run) or, when that is unset, in a private cluster started for this
//! test alone and removed when it ends — so `cargo test` needs nothing
//! started by hand.

use std::path::PathBuf;

use super::{Cluster, PgError, StartOptions, create_database, drop_database};

/// A fresh, empty database.
#[derive(Debug)]
pub struct Scratch {
    /// URL of the new database (as a role that may create databases).
    pub url: String,
    /// The shared cluster's admin URL and this database's name, to drop it
    /// when done: a run of the suite creates hundreds of databases, which
    /// would otherwise fill the disk.
    shared: Option<(String, String)>,
    own_cluster: Option<(Cluster, PathBuf)>,
}

impl Scratch {
    pub async fn new() -> Result<Self, PgError> {
        let (admin_url, own_cluster) = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => (url, None),
            _ => {
                let dir = std::env::temp_dir().join(format!("spdyn-pg-{}", suffix()));
                let root = dir.clone();
                let cluster = tokio::task::spawn_blocking(move || {
                    Cluster::start(
                        &root,
                        StartOptions {
                            durable: false,
                            port: None,
                        },
                    )
                })
                .await
                .map_err(|e| PgError::Io {
                    what: "starting a test cluster".into(),
                    source: std::io::Error::other(e),
                })??;
                (cluster.url("postgres"), Some((cluster, dir)))
            }
        };
        let name = format!("spdyn_test_{}", suffix());
        create_database(&admin_url, &name).await?;
        Ok(Self {
            url: with_database(&admin_url, &name),
            shared: own_cluster.is_none().then_some((admin_url, name)),
            own_cluster,
        })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.shared.take() {
            // Drop may run inside a runtime that cannot block on itself; a
            // thread with its own small runtime can.
            let dropped = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
                    .and_then(|rt| {
                        rt.block_on(drop_database(&admin_url, &name))
                            .map_err(|e| e.to_string())
                    })
            })
            .join();
            if let Ok(Err(error)) = dropped {
                eprintln!("could not drop a test database: {error}");
            }
        }
        if let Some((cluster, dir)) = self.own_cluster.take() {
            let _ = cluster.stop();
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// 20 random lowercase characters (valid in database and directory names).
fn suffix() -> String {
    crate::domain::tokens::update_token().replace('-', "")[..20].to_owned()
}

/// `url` with its database (the last path segment) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{name}?{query}"),
        None => format!("{root}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://u:p@h:1/spdyn", "t"),
            "postgres://u:p@h:1/t"
        );
        assert_eq!(
            with_database("postgres://u:p@h:1", "t"),
            "postgres://u:p@h:1/t"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t"),
            "postgres://u@h/t?sslmode=disable"
        );
    }
}
