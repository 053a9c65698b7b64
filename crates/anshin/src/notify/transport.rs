//! Where messages go: a real SMTP server (lettre, STARTTLS unless the server is on loopback) or,
//! by default, the local dev mailbox table.

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Channel, OutboxMessage};
use crate::storage::{Db, now_ms};

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
    /// Plain SMTP is allowed only to a server on loopback (a local relay or a test listener).
    pub timeout_secs: u64,
}

#[derive(Clone)]
pub enum Transport {
    DevMailbox(Db),
    Smtp { mailer: Box<AsyncSmtpTransport<Tokio1Executor>>, from: Mailbox },
}

impl Transport {
    pub fn smtp(config: &SmtpConfig) -> anyhow::Result<Transport> {
        let loopback = is_loopback_host(&config.host);
        let tls = if loopback { Tls::None } else { Tls::Required(TlsParameters::new(config.host.clone())?) };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(std::time::Duration::from_secs(config.timeout_secs)));
        if let (Some(user), Some(pass)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        let from: Mailbox = config.from.parse()?;
        Ok(Transport::Smtp { mailer: Box::new(builder.build()), from })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Transport::DevMailbox(_) => "dev-mailbox",
            Transport::Smtp { .. } => "smtp",
        }
    }

    /// Deliver one message. In SMTP mode only e-mail has a real gateway so far; other channels
    /// fail loudly (and end up `dead`) rather than vanish. The dev mailbox takes every channel.
    pub async fn deliver(&self, outbox_id: &str, m: &OutboxMessage) -> Result<String, String> {
        match (self, m.channel) {
            (Transport::Smtp { mailer, from, .. }, Channel::Email) => {
                let to: Mailbox = m.recipient.parse().map_err(|e| format!("bad recipient address: {e}"))?;
                let email = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(m.subject.clone())
                    .message_id(Some(format!("<{outbox_id}@anshin>")))
                    .header(ContentType::TEXT_PLAIN)
                    .body(m.body.clone())
                    .map_err(|e| format!("cannot build message: {e}"))?;
                let response = mailer.send(email).await.map_err(|e| format!("smtp: {e}"))?;
                Ok(format!("smtp {}", response.code()))
            }
            (Transport::Smtp { .. }, channel) => {
                // Not silently dropped: it fails, is retried, and ends as `dead` for an operator to see.
                Err(format!("no gateway is configured for {} messages", channel.as_str()))
            }
            (Transport::DevMailbox(db), _) => {
                // ON CONFLICT: a redelivery after a crash must not show the message twice.
                sqlx::query(
                    "INSERT INTO dev_mailbox (outbox_id, channel, recipient, subject, body, delivered_at_ms)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (outbox_id) DO NOTHING",
                )
                .bind(outbox_id)
                .bind(m.channel.as_str())
                .bind(&m.recipient)
                .bind(&m.subject)
                .bind(&m.body)
                .bind(now_ms())
                .execute(db.write_pool())
                .await
                .map_err(|e| format!("dev mailbox: {e}"))?;
                Ok("dev mailbox".into())
            }
        }
    }
}

pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}
