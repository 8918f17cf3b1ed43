//! A private PostgreSQL cluster made from the server binaries on the machine
//! (initdb, pg_ctl): used when no database URL is configured, by
//! `control postgres start|stop`, and by the tests.
//!
//! initdb and postgres refuse to run as root, so when control runs as root
//! they run as the `postgres` system user through `runuser`, and the cluster
//! directory is handed to that user. The cluster listens on 127.0.0.1 only
//! (no Unix socket, so no shared socket directory is needed) and requires a
//! password (SCRAM) kept in a file readable only by control's user.

pub mod scratch;

use std::{
    fs,
    io::Write,
    net::TcpListener,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    process::Command,
};

/// Superuser and database name inside a private cluster.
pub const USER: &str = "spdyn";
/// How long pg_ctl waits for start and stop.
const WAIT_SECS: &str = "60";

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under \
         /usr/lib/postgresql/*/bin: install the Debian package `postgresql` \
         (apt-get install postgresql), or set database.url to an existing server"
    )]
    NoBinaries,
    #[error("running as root, but there is no `postgres` system user to run PostgreSQL as")]
    NoPostgresUser,
    #[error(
        "the postgres user cannot write {0}: every directory above it must be searchable \
         by others (chmod o+x), or put data_dir elsewhere, or set database.url"
    )]
    Unreachable(PathBuf),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{command} failed: {output}")]
    Command { command: String, output: String },
    #[error("database: {0}")]
    Sql(#[from] sqlx::Error),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgError {
    let what = what.into();
    move |source| PgError::Io { what, source }
}

/// How a cluster is started.
#[derive(Debug, Clone, Copy)]
pub struct StartOptions {
    /// `false` for throwaway test clusters: no fsync (much faster, and a crash
    /// may lose the cluster, which tests do not care about).
    pub durable: bool,
    /// Listen on this port instead of a free one (a cluster restarted on the
    /// same port keeps its URL).
    pub port: Option<u16>,
}

/// A running private cluster under `root` (`root/data` is PGDATA).
#[derive(Debug)]
pub struct Cluster {
    root: PathBuf,
    port: u16,
    password: String,
    runner: Runner,
}

impl Cluster {
    /// Creates the cluster under `root` if it does not exist yet, and starts it
    /// on a free loopback port. A server left running by an earlier process
    /// (which crashed before stopping it) is stopped first.
    pub fn start(root: &Path, options: StartOptions) -> Result<Self, PgError> {
        let runner = Runner::detect()?;
        fs::create_dir_all(root).map_err(io(format!("creating {}", root.display())))?;
        let root = root
            .canonicalize()
            .map_err(io(format!("resolving {}", root.display())))?;
        runner.hand_over(&root)?;
        runner.check_reachable(&root)?;
        let data = root.join("data");
        let password_file = root.join("password");
        if !data.join("PG_VERSION").exists() {
            // A half-made directory from an interrupted initdb would be refused.
            if data.exists() {
                fs::remove_dir_all(&data).map_err(io(format!("removing {}", data.display())))?;
            }
            let password = crate::domain::tokens::random_secret();
            write_private(&password_file, &password)?;
            // initdb reads the password as the server user; that copy is
            // removed again right after.
            let pwfile = root.join(".initdb-password");
            write_private(&pwfile, &password)?;
            runner.hand_over(&pwfile)?;
            let mut initdb = runner.command("initdb");
            initdb
                .arg("-D")
                .arg(&data)
                .args(["-U", USER, "--auth=scram-sha-256", "-E", "UTF8"])
                .args(["--locale=C.UTF-8"])
                .arg(format!("--pwfile={}", pwfile.display()));
            if !options.durable {
                initdb.arg("--no-sync");
            }
            let result = run(initdb.current_dir(&root));
            let _ = fs::remove_file(&pwfile);
            result?;
        }
        let password = fs::read_to_string(&password_file)
            .map_err(io(format!("reading {}", password_file.display())))?
            .trim()
            .to_owned();
        let cluster_runner = runner.clone();
        let mut cluster = Self {
            root,
            port: 0,
            password,
            runner: cluster_runner,
        };
        if stop_data_dir(&cluster.runner, &data)? {
            tracing::warn!(
                dir = %data.display(),
                "stopped the private PostgreSQL cluster an earlier start left running \
                 (it ended without stopping it)"
            );
        }
        // A free port can be taken between our probe and postgres' bind:
        // try a few.
        let mut last = None;
        let attempts = if options.port.is_some() { 1 } else { 3 };
        for _ in 0..attempts {
            let port = match options.port {
                Some(port) => port,
                None => free_port()?,
            };
            let mut settings =
                format!("-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''");
            if !options.durable {
                settings
                    .push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            let mut pg_ctl = runner.command("pg_ctl");
            pg_ctl
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(cluster.root.join("server.log"))
                .args(["-w", "-t", WAIT_SECS, "-o", &settings, "start"])
                .current_dir(&cluster.root);
            match run(&mut pg_ctl) {
                Ok(_) => {
                    cluster.port = port;
                    let port_file = cluster.root.join("port");
                    fs::write(&port_file, port.to_string())
                        .map_err(io(format!("writing {}", port_file.display())))?;
                    return Ok(cluster);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or(PgError::NoBinaries))
    }

    /// The URL of `database` in this cluster, as the superuser.
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{USER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (fast shutdown: open sessions are ended).
    pub fn stop(&self) -> Result<(), PgError> {
        stop_data_dir(&self.runner, &self.root.join("data")).map(drop)
    }

    /// Stops a cluster started earlier under `root` by another process
    /// (nothing to do when there is none).
    pub fn stop_dir(root: &Path) -> Result<(), PgError> {
        match root.canonicalize() {
            // pg_ctl runs in `root`: relative paths would point elsewhere.
            Ok(root) => stop_data_dir(&Runner::detect()?, &root.join("data")).map(drop),
            Err(_) => Ok(()),
        }
    }
}

/// Stops the server of `data` if one runs; says whether one did.
fn stop_data_dir(runner: &Runner, data: &Path) -> Result<bool, PgError> {
    if !data.join("postmaster.pid").exists() {
        return Ok(false);
    }
    let mut pg_ctl = runner.command("pg_ctl");
    pg_ctl
        .arg("-D")
        .arg(data)
        .args(["-m", "fast", "-w", "-t", WAIT_SECS, "stop"]);
    match run(pg_ctl.current_dir(data.parent().unwrap_or(data))) {
        // A stale pid file of a server that is gone already.
        Err(PgError::Command { output, .. })
            if output.contains("Is server running?") || output.contains("No such process") =>
        {
            Ok(false)
        }
        other => other.map(|_| true),
    }
}

/// Creates `name` in the cluster at `admin_url` unless it exists.
pub async fn create_database(admin_url: &str, name: &str) -> Result<(), PgError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        // Identifiers cannot be bound as parameters; quote it.
        let sql = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    Ok(())
}

/// Drops `name` in the cluster at `admin_url`, ending its sessions first.
pub async fn drop_database(admin_url: &str, name: &str) -> Result<(), PgError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    let sql = format!(
        "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
        name.replace('"', "\"\"")
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Runs PostgreSQL programs directly, or as `postgres` when we are root.
#[derive(Debug, Clone)]
struct Runner {
    bin_dir: PathBuf,
    /// uid and gid of `postgres` when running as root.
    as_postgres: Option<(u32, u32)>,
}

impl Runner {
    fn detect() -> Result<Self, PgError> {
        let bin_dir = find_bin_dir().ok_or(PgError::NoBinaries)?;
        let as_postgres = if effective_uid() == Some(0) {
            Some(postgres_ids().ok_or(PgError::NoPostgresUser)?)
        } else {
            None
        };
        Ok(Self {
            bin_dir,
            as_postgres,
        })
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin_dir.join(program);
        match self.as_postgres {
            Some(_) => {
                let mut command = Command::new("runuser");
                command.args(["-u", "postgres", "--"]).arg(program);
                command
            }
            None => Command::new(program),
        }
    }

    /// Fails clearly when the server user cannot reach the cluster directory
    /// (initdb's own message would be obscure).
    fn check_reachable(&self, root: &Path) -> Result<(), PgError> {
        if self.as_postgres.is_none() {
            return Ok(());
        }
        let ok = Command::new("runuser")
            .args(["-u", "postgres", "--", "test", "-w"])
            .arg(root)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Ok(())
        } else {
            Err(PgError::Unreachable(root.to_owned()))
        }
    }

    /// Gives a path we created to the server user (when running as root).
    fn hand_over(&self, path: &Path) -> Result<(), PgError> {
        if let Some((uid, gid)) = self.as_postgres {
            std::os::unix::fs::chown(path, Some(uid), Some(gid))
                .map_err(io(format!("handing {} to postgres", path.display())))?;
        }
        Ok(())
    }
}

fn run(command: &mut Command) -> Result<String, PgError> {
    let described = format!("{command:?}");
    let output = command
        .output()
        .map_err(io(format!("running {described}")))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        Err(PgError::Command {
            command: described,
            output: text.trim().to_owned(),
        })
    }
}

/// The directory holding initdb and pg_ctl: PATH first, then the newest
/// Debian install under /usr/lib/postgresql.
fn find_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
    });
    on_path.or_else(|| {
        let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse().ok()?;
                let bin = entry.path().join("bin");
                bin.join("initdb").is_file().then_some((version, bin))
            })
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    })
}

/// The effective uid, from /proc (no unsafe libc call needed).
fn effective_uid() -> Option<u32> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// uid and gid of the `postgres` user (through NSS, as `id` sees it).
fn postgres_ids() -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output().ok()?;
        if !out.status.success() {
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn free_port() -> Result<u16, PgError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(io("finding a free port"))?
        .port())
}

/// Writes a file only its owner can read.
/// Writes a file only its owner can read (passwords, database URLs).
pub fn write_private(path: &Path, text: &str) -> Result<(), PgError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io(format!("writing {}", path.display())))?;
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(text.as_bytes()))
        .map_err(io(format!("writing {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_the_server_user_cannot_reach_is_named_in_the_error() {
        if effective_uid() != Some(0) {
            // Only root hands the cluster to the postgres user. The test
            // script runs as root and says the suite must be complete.
            assert!(
                std::env::var_os("SPDYN_REQUIRE_TOOLS").is_none(),
                "this test needs root"
            );
            eprintln!("skipping: not root");
            return;
        }
        use std::os::unix::fs::PermissionsExt;
        let locked = tempfile::tempdir().unwrap();
        // root's and closed to others: postgres cannot enter.
        fs::set_permissions(locked.path(), fs::Permissions::from_mode(0o700)).unwrap();
        let root = locked.path().join("pg");
        match Cluster::start(
            &root,
            StartOptions {
                durable: false,
                port: None,
            },
        ) {
            Err(PgError::Unreachable(path)) => assert!(path.ends_with("pg")),
            Ok(cluster) => {
                let _ = cluster.stop();
                panic!("the cluster started in a directory postgres cannot reach");
            }
            Err(other) => panic!("expected Unreachable, got {other}"),
        }
    }
}
