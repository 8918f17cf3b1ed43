//! Building the application ([`app`]) and running it ([`run`]): database
//! (configured or private cluster), migrations, first administrator, HTTP
//! listener, mail sender and housekeeping.

use std::{future::Future, sync::Arc, time::Duration};

use tokio::sync::Notify;

use anyhow::Context;
use axum::{
    Json, Router,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use sqlx::PgPool;
use utoipa::OpenApi;

use crate::{
    Config, db, mail, ops,
    pg::{self, Cluster, StartOptions},
    routes,
    state::AppState,
};

/// Name of the database inside a private cluster.
const PRIVATE_DATABASE: &str = "spdyn";
/// Under data_dir: the private cluster's database URL, for a local dnsd
/// (`[sync] database_url_file`).
pub const DATABASE_URL_FILE: &str = "database-url";
/// How often expired sessions, reset links, old mail records and old log
/// entries are removed.
const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);
/// The portal's stylesheet and its one script (copy buttons), compiled in.
const STYLESHEET: &str = include_str!("../static/style.css");
const COPY_SCRIPT: &str = include_str!("../static/copy.js");

/// The whole HTTP application: web UI, JSON API, OpenAPI document, health.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(routes::web::router(state.clone()))
        .nest("/api/v1", routes::api::router())
        .merge(routes::oauth::router())
        .route("/api/openapi.json", get(openapi))
        .route("/static/style.css", get(|| asset("text/css", STYLESHEET)))
        .route(
            "/static/copy.js",
            get(|| asset("text/javascript", COPY_SCRIPT)),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .with_state(state)
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(routes::api::ApiDoc::openapi())
}

async fn asset(kind: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, format!("{kind}; charset=utf-8")),
            (header::CACHE_CONTROL, "public, max-age=3600".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// Ready when the database answers.
async fn readyz(State(state): State<AppState>) -> StatusCode {
    match sqlx::query("SELECT 1").execute(&state.db).await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Headers on every answer: no framing, no sniffing, no referrer (reset links
/// are in URLs), a CSP that allows only the portal's own script file (no
/// inline script, nothing from elsewhere), no caching of pages
/// that may show a token once, and — when the portal is served over TLS —
/// HSTS, so a browser never again asks for it over plain HTTP (where a
/// network attacker could strip TLS before the first redirect).
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.http.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// An open database, and the private cluster behind it if control started one.
#[derive(Debug)]
pub struct Database {
    pub pool: PgPool,
    pub cluster: Option<Cluster>,
}

impl Database {
    /// Connects to the configured database, or creates and starts the private
    /// cluster under `data_dir/postgres`; then applies the migrations.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let (url, cluster) = match config.database.url()? {
            Some(url) => (url, None),
            None => {
                let root = config.data_dir.join("postgres");
                tracing::info!(dir = %root.display(), "starting the private PostgreSQL cluster");
                let cluster = tokio::task::spawn_blocking(move || {
                    Cluster::start(
                        &root,
                        StartOptions {
                            durable: true,
                            port: None,
                        },
                    )
                })
                .await??;
                let url = cluster.url(PRIVATE_DATABASE);
                // dnsd on this machine follows the same database: it reads
                // the URL (with its password) from this owner-only file.
                pg::write_private(&config.data_dir.join(DATABASE_URL_FILE), &url)?;
                (url, Some(cluster))
            }
        };
        match prepare(cluster.as_ref(), config, &url).await {
            Ok(pool) => Ok(Self { pool, cluster }),
            Err(error) => {
                if let Some(cluster) = cluster {
                    stop_cluster(cluster).await;
                }
                Err(error)
            }
        }
    }

    /// For a one-off command (e.g. `control reseller add`): the database of
    /// a control that is running now — a private cluster is shared through
    /// its URL file, not started a second time — else opened as `serve`
    /// would open it.
    pub async fn open_for_command(config: &Config) -> anyhow::Result<Self> {
        if config.database.url()?.is_none()
            && let Ok(url) = std::fs::read_to_string(config.data_dir.join(DATABASE_URL_FILE))
            && let Ok(pool) = db::connect_as_app(url.trim(), 2).await
        {
            return Ok(Self {
                pool,
                cluster: None,
            });
        }
        Self::open(config).await
    }

    /// Closes the pool and stops the private cluster, if any.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            stop_cluster(cluster).await;
        }
    }
}

async fn prepare(cluster: Option<&Cluster>, config: &Config, url: &str) -> anyhow::Result<PgPool> {
    if let Some(cluster) = cluster {
        pg::create_database(&cluster.url("postgres"), PRIVATE_DATABASE).await?;
    }
    // Migrations run as the owner; everything else as the application role,
    // which row-level security binds.
    let owner = db::connect(url, 1)
        .await
        .context("connecting to PostgreSQL")?;
    db::migrate(&owner).await.context("applying migrations")?;
    owner.close().await;
    db::connect_as_app(url, config.database.max_connections)
        .await
        .context("connecting to PostgreSQL as the application role")
}

async fn stop_cluster(cluster: Cluster) {
    match tokio::task::spawn_blocking(move || cluster.stop()).await {
        Ok(Ok(())) => tracing::info!("private PostgreSQL cluster stopped"),
        Ok(Err(error)) => tracing::error!(%error, "stopping the private PostgreSQL cluster"),
        Err(error) => tracing::error!(%error, "stopping the private PostgreSQL cluster"),
    }
}

/// Runs control until `shutdown` completes, then stops what it started.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let database = Database::open(&config).await?;
    let result = serve(config, database.pool.clone(), shutdown).await;
    database.close().await;
    result
}

async fn serve(
    config: Config,
    pool: PgPool,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if let Some((admin, password)) = ops::accounts::ensure_first_admin(&pool, &config).await? {
        // Printed (not logged) once: logs must never hold secrets.
        let name = &admin.name;
        println!("first admin created (shown only now): name={name} password={password}");
        if let Some(label) = &config.hosts.demo_host {
            let licensing = crate::state::licensing(&config);
            let (host, token) =
                ops::hosts::create_demo_host(&pool, &config, &admin, label, licensing).await?;
            println!("demo host created (shown only now): name={host} token={token}");
        }
    }
    let totp_key = crate::auth::totp_key::TotpKey::load(&config)?;
    let form_key = crate::auth::form_key::FormKey::load(&config)?;
    let transport = mail::Transport::from_config(&config.mail)?;
    let from = config.mail.from.parse().context("mail.from")?;
    let listener = tokio::net::TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.http.listen))?;
    let addr = listener.local_addr()?;
    crate::log_listening("control-http", addr);
    let public_url = config.http.public_url.clone();
    let state = AppState::new(pool.clone(), config, totp_key, form_key);
    let sender = tokio::spawn(mail::run_sender(
        pool.clone(),
        transport,
        from,
        state.mail_wake.clone(),
    ));
    let pruner = tokio::spawn(housekeeping(
        pool.clone(),
        state.config.accounts.log_retention_days,
    ));
    let jobs = tokio::spawn(licence_and_digest_jobs(
        pool,
        state.config.clone(),
        state.mail_wake.clone(),
    ));
    tracing::info!(portal = %public_url, "control ready");
    let limits = crate::http::Limits::from_config(&state.config.http);
    crate::http::serve(listener, app(state), limits, shutdown).await;
    sender.abort();
    pruner.abort();
    jobs.abort();
    tracing::info!("control stopping");
    Ok(())
}

/// Every [`PRUNE_INTERVAL`], and at start: expired sessions, reset and
/// e-mail confirmation links, authorization codes, old mail records, and action-log entries past their retention.
async fn housekeeping(pool: PgPool, log_retention_days: u32) {
    let mut tick = tokio::time::interval(PRUNE_INTERVAL);
    loop {
        tick.tick().await;
        let pruned = async {
            let mut tx = db::scope::Tx::begin(&pool, db::scope::System).await?;
            let sessions = db::sessions::prune(&mut tx).await?;
            let resets =
                db::resets::prune(&mut tx).await? + db::email_changes::prune(&mut tx).await?;
            let mails = db::mail::prune(&mut tx).await?;
            let log = db::log::prune(&mut tx, log_retention_days).await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>((sessions, resets, mails, log))
        }
        .await;
        match pruned {
            Ok((sessions, resets, mails, log)) => {
                tracing::debug!(sessions, resets, mails, log, "housekeeping")
            }
            Err(error) => tracing::warn!(%error, "housekeeping"),
        }
    }
}

/// The licence sweep (dnsd learns when a grace period ends) and the daily
/// digest, each on its own interval; the sweep runs at start too, so a
/// shifted clock or a long stop takes effect at once.
async fn licence_and_digest_jobs(pool: PgPool, config: Arc<Config>, mail_wake: Arc<Notify>) {
    let mut sweep = tokio::time::interval(Duration::from_secs(config.licences.sweep_seconds));
    let mut digest =
        tokio::time::interval(Duration::from_secs(config.dashboard.digest_check_seconds));
    loop {
        tokio::select! {
            _ = sweep.tick() => {
                match ops::licences::sweep(&pool, crate::state::licensing(&config)).await {
                    Ok(0) => {}
                    Ok(changed) => tracing::info!(changed, "licence sweep"),
                    Err(error) => tracing::warn!(%error, "licence sweep"),
                }
            }
            _ = digest.tick() => {
                match ops::dashboard::send_digests(&pool, &config, crate::state::licensing(&config)).await {
                    Ok(0) => {}
                    Ok(sent) => {
                        tracing::info!(sent, "daily digests queued");
                        mail_wake.notify_one();
                    }
                    Err(error) => tracing::warn!(%error, "daily digest"),
                }
            }
        }
    }
}
