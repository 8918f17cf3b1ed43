//! The `dnsd` binary: run the server, or manage a running one.

use std::{io::Read, path::PathBuf};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use dnsd::{
    admin::{AddAccount, AddHost, IMPORT_BATCH, ImportHost, client::AdminClient},
    config::Config,
};

/// Log filter when neither `RUST_LOG` nor `[log] filter` sets one.
const DEFAULT_LOG_FILTER: &str = "info,hickory_server=warn,sled=warn";

/// spdyn dnsd: authoritative DNS and dyndns2 updates for dynamic hosts.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (TOML).
    #[arg(
        short,
        long,
        env = "DNSD_CONFIG",
        default_value = "/etc/spdyn/dnsd.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Run,
    /// Check the configuration and exit.
    CheckConfig,
    /// Manage hosts of the running server.
    #[command(subcommand)]
    Host(HostCommand),
    /// Manage accounts of the running server.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Update tokens in bulk.
    #[command(subcommand)]
    Tokens(TokensCommand),
}

#[derive(Subcommand)]
enum HostCommand {
    /// Create a host; prints its new update token on the last line.
    Add {
        fqdn: String,
        /// Account that owns the host (enables account-mode updates).
        #[arg(long)]
        account: Option<String>,
        /// TTL in seconds (default: the zone's host_ttl).
        #[arg(long)]
        ttl: Option<u32>,
        /// Make `*.fqdn` answer like the host.
        #[arg(long)]
        wildcard: bool,
    },
    /// List hosts with their addresses and token use.
    List,
    /// Create many hosts from a CSV file `hostname,ipv4,ipv6` (either address
    /// may be empty; a header line is skipped). No tokens are made: run
    /// `dnsd tokens export` afterwards.
    Import { file: PathBuf },
    /// Delete a host.
    Remove { fqdn: String },
    /// Exchange the host's token: prints the new one; the old stops at once.
    Token { fqdn: String },
    /// Disable a host: it stops resolving and updates answer `fatal`.
    Disable { fqdn: String },
    /// Enable a disabled host.
    Enable { fqdn: String },
    /// Mark the host's licence as expired: it keeps resolving, updates answer `!donator`.
    Expire { fqdn: String },
    /// Mark the host's licence as valid again.
    Renew { fqdn: String },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account; reads the password from the first line of stdin.
    Add { name: String },
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Create tokens for every host without one and write them as CSV
    /// (hostname, token). The tokens are shown only this once.
    Export {
        #[arg(long, default_value = "spdyn_update_token.csv")]
        out: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // One crypto provider for every rustls user in the process (HTTPS
    // listeners, the admin client); a second one would fail at run time.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config =
        Config::load(&cli.config).with_context(|| format!("loading {}", cli.config.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => {
            spdyn_common::logging::init(&config.log, DEFAULT_LOG_FILTER);
            runtime.block_on(run(config))
        }
        Command::CheckConfig => {
            for zone in &config.zones {
                dnsd::zone::Zone::from_config(zone)?;
            }
            let transfers = config.transfers()?;
            let secondaries: usize = transfers.zones.iter().map(|z| z.secondaries.len()).sum();
            println!(
                "{}: ok ({} zones, {} TSIG keys, {secondaries} secondaries)",
                cli.config.display(),
                config.zones.len(),
                config.keys.len(),
            );
            Ok(())
        }
        Command::Host(command) => runtime.block_on(host(client(&config)?, command)),
        Command::Account(AccountCommand::Add { name }) => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .context("reading the password from stdin")?;
            let password = input.lines().next().unwrap_or("").to_owned();
            if password.is_empty() {
                bail!("no password on stdin");
            }
            runtime.block_on(async {
                client(&config)?
                    .add_account(&AddAccount {
                        name: name.clone(),
                        password,
                    })
                    .await?;
                println!("account {name} created");
                Ok(())
            })
        }
        Command::Tokens(TokensCommand::Export { out }) => runtime.block_on(async {
            let tokens = client(&config)?.export_tokens().await?;
            let mut csv = String::from("hostname,token\n");
            for token in &tokens {
                csv.push_str(&format!("{},{}\n", token.hostname, token.token));
            }
            std::fs::write(&out, csv).with_context(|| format!("writing {}", out.display()))?;
            println!("{} new tokens written to {}", tokens.len(), out.display());
            Ok(())
        }),
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    let stop = spdyn_common::shutdown::signal_listener().context("listening for signals")?;
    let running = dnsd::start(&config).await?;
    tracing::info!(
        zones = config.zones.len(),
        names = running.store.index().len(),
        "dnsd ready"
    );
    stop.await;
    tracing::info!("dnsd stopping");
    // An empty journal and a host snapshot: the next start replays nothing
    // and reads the hosts from one file.
    running.store.close().await.context("closing the store")?;
    Ok(())
}

fn client(config: &Config) -> anyhow::Result<AdminClient> {
    Ok(AdminClient::new(
        config.admin.listen,
        config.admin.secret()?,
    ))
}

async fn host(client: AdminClient, command: HostCommand) -> anyhow::Result<()> {
    match command {
        HostCommand::Add {
            fqdn,
            account,
            ttl,
            wildcard,
        } => {
            let created = client
                .add_host(&AddHost {
                    name: fqdn,
                    account,
                    ttl,
                    wildcard,
                })
                .await?;
            println!(
                "host {} created; its update token (shown once):",
                created.hostname
            );
            println!("{}", created.token);
        }
        HostCommand::List => {
            println!(
                "{:<40} {:<15} {:<39} {:<8} {:<6} last update",
                "host", "ipv4", "ipv6", "enabled", "token"
            );
            for host in client.list_hosts().await? {
                let token = match (host.has_token, host.token_last_used) {
                    (false, _) => "none",
                    (true, None) => "unused",
                    (true, Some(_)) => "used",
                };
                println!(
                    "{:<40} {:<15} {:<39} {:<8} {:<6} {}",
                    host.name,
                    host.ipv4.as_deref().unwrap_or("-"),
                    host.ipv6.as_deref().unwrap_or("-"),
                    if host.enabled { "yes" } else { "no" },
                    token,
                    format_millis(host.updated),
                );
            }
        }
        HostCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let mut batch = Vec::with_capacity(IMPORT_BATCH);
            let (mut created, mut seen) = (0, 0);
            for (number, line) in text.lines().enumerate() {
                let Some(host) = parse_import_line(line)
                    .with_context(|| format!("{}:{}", file.display(), number + 1))?
                else {
                    continue;
                };
                batch.push(host);
                seen += 1;
                if batch.len() == IMPORT_BATCH {
                    created += client.import_hosts(&batch).await?;
                    batch.clear();
                }
            }
            if !batch.is_empty() {
                created += client.import_hosts(&batch).await?;
            }
            println!("{created} of {seen} hosts created");
        }
        HostCommand::Remove { fqdn } => {
            client.remove_host(&fqdn).await?;
            println!("host {fqdn} removed");
        }
        HostCommand::Token { fqdn } => {
            let created = client.exchange_token(&fqdn).await?;
            println!(
                "new update token for {} (the old one no longer works):",
                created.hostname
            );
            println!("{}", created.token);
        }
        HostCommand::Disable { fqdn } => {
            client.set_enabled(&fqdn, false).await?;
            println!("host {fqdn} disabled");
        }
        HostCommand::Enable { fqdn } => {
            client.set_enabled(&fqdn, true).await?;
            println!("host {fqdn} enabled");
        }
        HostCommand::Expire { fqdn } => {
            client.set_licence(&fqdn, true).await?;
            println!("licence of {fqdn} marked expired");
        }
        HostCommand::Renew { fqdn } => {
            client.set_licence(&fqdn, false).await?;
            println!("licence of {fqdn} marked valid");
        }
    }
    Ok(())
}

/// One CSV line of an import; `None` for blank, comment and header lines.
fn parse_import_line(line: &str) -> anyhow::Result<Option<ImportHost>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') || line.starts_with("hostname") {
        return Ok(None);
    }
    let mut fields = line.split(',').map(str::trim);
    let name = fields.next().unwrap_or_default().to_owned();
    let parse = |field: Option<&str>| -> anyhow::Result<Option<std::net::IpAddr>> {
        match field {
            None | Some("") => Ok(None),
            Some(text) => Ok(Some(
                text.parse()
                    .with_context(|| format!("bad address {text}"))?,
            )),
        }
    };
    let (v4, v6) = (parse(fields.next())?, parse(fields.next())?);
    let ipv4 = match v4 {
        Some(std::net::IpAddr::V4(a)) => Some(a),
        None => None,
        Some(other) => bail!("{other} is not IPv4"),
    };
    let ipv6 = match v6 {
        Some(std::net::IpAddr::V6(a)) => Some(a),
        None => None,
        Some(other) => bail!("{other} is not IPv6"),
    };
    Ok(Some(ImportHost { name, ipv4, ipv6 }))
}

/// Seconds since the epoch (`never` for 0); operators convert with `date -d @…`.
fn format_millis(ms: u64) -> String {
    if ms == 0 {
        "never".into()
    } else {
        format!("@{}", ms / 1000)
    }
}
