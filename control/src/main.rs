//! The `control` binary: serve the portal and API, apply migrations, or run a
//! private PostgreSQL cluster for tests and development.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use control::{
    Config,
    pg::{Cluster, StartOptions},
    startup,
};

/// Log filter when neither `RUST_LOG` nor `[log] filter` sets one.
const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn";

/// spdyn control: the web portal and JSON API over PostgreSQL.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (TOML).
    #[arg(
        short,
        long,
        env = "CONTROL_CONFIG",
        default_value = "/etc/spdyn/control.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal and the API (the default). Without a configured
    /// database a private PostgreSQL cluster is started under data_dir.
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Check the configuration and exit.
    CheckConfig,
    /// Reseller organisations (operator actions).
    #[command(subcommand)]
    Reseller(ResellerCommand),
    /// A private PostgreSQL cluster from the server binaries on this machine
    /// (for tests and development; no configuration needed).
    #[command(subcommand)]
    Postgres(PostgresCommand),
}

#[derive(Subcommand)]
enum ResellerCommand {
    /// Create a reseller with its first portal user, who is mailed a link
    /// to choose a password (two-factor enrolment follows at the first
    /// sign-in). Logged as done by the first operator.
    Add {
        /// The organisation's name.
        #[arg(long)]
        name: String,
        /// The first portal user's name.
        #[arg(long)]
        user: String,
        /// The first portal user's e-mail address.
        #[arg(long)]
        email: String,
        /// `en` or `de`.
        #[arg(long, default_value = "en")]
        language: String,
    },
}

#[derive(Subcommand)]
enum PostgresCommand {
    /// Create (if needed) and start a cluster; prints its database URL.
    Start {
        /// Directory of the cluster (created if missing).
        #[arg(long)]
        dir: PathBuf,
        /// Without fsync: much faster, for throwaway test clusters.
        #[arg(long)]
        fast: bool,
    },
    /// Stop the cluster in the directory.
    Stop {
        #[arg(long)]
        dir: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // One crypto provider for every rustls user in the process (sqlx, lettre);
    // a second one would fail at run time.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Postgres(command) = command {
        return postgres(&runtime, command);
    }
    let config =
        Config::load(&cli.config).with_context(|| format!("loading {}", cli.config.display()))?;
    match command {
        Command::Serve => {
            spdyn_common::logging::init(&config.log, DEFAULT_LOG_FILTER);
            runtime.block_on(async {
                let stop = spdyn_common::shutdown::signal_listener()
                    .context("listening for signals")?;
                startup::run(config, stop).await
            })
        }
        Command::Migrate => {
            spdyn_common::logging::init(&config.log, DEFAULT_LOG_FILTER);
            runtime.block_on(async {
                startup::Database::open(&config).await?.close().await;
                println!("migrations applied");
                Ok(())
            })
        }
        Command::CheckConfig => {
            println!(
                "{}: ok ({} zones)",
                cli.config.display(),
                config.hosts.zones.len()
            );
            Ok(())
        }
        Command::Reseller(ResellerCommand::Add {
            name,
            user,
            email,
            language,
        }) => runtime.block_on(async {
            let language = control::domain::accounts::Language::from_code(&language)
                .context("--language is en or de")?;
            let database = startup::Database::open_for_command(&config).await?;
            let first = control::ops::resellers::NewResellerUser {
                name: &user,
                email: &email,
                language,
            };
            let result =
                control::ops::resellers::create_as_first_operator(&database.pool, &config, &name, first)
                    .await;
            database.close().await;
            let (reseller, user) = result?;
            println!(
                "reseller created: id={} name={} user={} (a mail with a link to choose a password is queued to {})",
                reseller.id, reseller.name, user.name, user.email
            );
            Ok(())
        }),
        Command::Postgres(_) => unreachable!("handled above"),
    }
}

fn postgres(runtime: &tokio::runtime::Runtime, command: PostgresCommand) -> anyhow::Result<()> {
    match command {
        PostgresCommand::Start { dir, fast } => {
            let cluster = Cluster::start(
                &dir,
                StartOptions {
                    durable: !fast,
                    port: None,
                },
            )?;
            runtime.block_on(control::pg::create_database(
                &cluster.url("postgres"),
                "spdyn",
            ))?;
            println!("{}", cluster.url("spdyn"));
            Ok(())
        }
        PostgresCommand::Stop { dir } => Ok(Cluster::stop_dir(&dir)?),
    }
}
