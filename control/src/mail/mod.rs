//! Outgoing mail: the texts, the transport (SMTP through lettre, or a
//! directory in development) and the sender task that drains `mail_outbox`.

pub mod texts;

use std::{path::PathBuf, sync::Arc, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Body, Mailbox, header::ContentTransferEncoding, header::ContentType},
    transport::smtp::authentication::Credentials,
};
use sqlx::PgPool;
use tokio::sync::Notify;

use crate::{
    config::{MailConfig, SmtpSecurity},
    db,
};

/// How often the sender looks for due mails when nobody wakes it.
const POLL: Duration = Duration::from_secs(10);
/// Mails sent per transaction.
const BATCH: i64 = 20;

/// Where mails go.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per mail (development).
    Dir(PathBuf),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => f.write_str("Transport::Smtp"),
            Transport::Dir(dir) => write!(f, "Transport::Dir({})", dir.display()),
        }
    }
}

impl Transport {
    pub fn from_config(config: &MailConfig) -> anyhow::Result<Self> {
        if let Some(dir) = &config.mail_dir {
            std::fs::create_dir_all(dir)?;
            return Ok(Transport::Dir(dir.clone()));
        }
        let smtp = config
            .smtp
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("mail needs mail_dir or [mail.smtp]"))?;
        let builder = match smtp.security {
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
            }
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
        };
        let mut builder = builder
            .port(smtp.port)
            .timeout(Some(Duration::from_secs(30)));
        if let (Some(user), Some(password)) = (&smtp.user, smtp.password()?) {
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    async fn send(&self, message: Message) -> anyhow::Result<()> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(Into::into),
            Transport::Dir(dir) => {
                let name = format!(
                    "{}-{}.eml",
                    time::OffsetDateTime::now_utc().unix_timestamp_nanos(),
                    std::process::id()
                );
                // Written under a temporary name and renamed: whoever reads
                // the directory never sees half a mail.
                let partial = dir.join(format!(".{name}.partial"));
                tokio::fs::write(&partial, message.formatted()).await?;
                tokio::fs::rename(&partial, dir.join(name))
                    .await
                    .map_err(Into::into)
            }
        }
    }
}

/// Builds a plain-text mail. The body is quoted-printable so long lines
/// (links) survive any relay unchanged.
pub fn compose(from: &Mailbox, to: &str, subject: &str, body: &str) -> anyhow::Result<Message> {
    Ok(Message::builder()
        .from(from.clone())
        .to(to.parse()?)
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(
            Body::new_with_encoding(body.to_owned(), ContentTransferEncoding::QuotedPrintable)
                .map_err(|_| anyhow::anyhow!("mail body cannot be encoded"))?,
        )?)
}

/// Runs forever: sends due mails whenever woken and every few seconds.
/// Failures are retried with exponential backoff (up to an hour).
pub async fn run_sender(pool: PgPool, transport: Transport, from: Mailbox, wake: Arc<Notify>) {
    loop {
        match send_due(&pool, &transport, &from).await {
            Ok(sent) if sent > 0 => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "mail outbox"),
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

async fn send_due(pool: &PgPool, transport: &Transport, from: &Mailbox) -> anyhow::Result<usize> {
    let mut tx = db::scope::Tx::begin(pool, db::scope::System).await?;
    let due = db::mail::due(&mut tx, BATCH).await?;
    let mut sent = 0;
    for mail in &due {
        let result = match compose(from, &mail.to_addr, &mail.subject, &mail.body) {
            Ok(message) => transport.send(message).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {
                db::mail::mark_sent(&mut tx, mail.id).await?;
                tracing::info!(mail = mail.id, "mail sent");
                sent += 1;
            }
            Err(error) => {
                let retry = 60_i64
                    .saturating_mul(1 << mail.attempts.clamp(0, 6))
                    .min(3600);
                tracing::warn!(mail = mail.id, %error, retry, "mail not sent");
                db::mail::mark_failed(&mut tx, mail.id, &error.to_string(), retry).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(sent)
}
