//! Where messages go. E-mail: a real SMTP server (lettre; STARTTLS unless the server is on
//! loopback). SMS: an HTTP SMS gateway speaking the common Twilio-style Messages API. Without
//! either, the local dev mailbox table takes that channel, so a newcomer can finish every flow.

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

/// An HTTP SMS gateway with the Twilio-style Messages API: `POST {base}/2010-04-01/Accounts/{account}/Messages.json`
/// with form fields `To`, `From`, `Body` and HTTP basic authentication.
#[derive(Debug, Clone)]
pub struct SmsConfig {
    pub base_url: String,
    pub account: String,
    pub token: String,
    pub from: String,
    pub timeout_secs: u64,
}

#[derive(Clone)]
struct Smtp {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

#[derive(Clone)]
struct SmsGateway {
    config: SmsConfig,
    http: reqwest::Client,
}

/// The routes for each channel. A channel with neither a gateway nor the dev mailbox fails
/// loudly (retried, then `dead`), never silently.
#[derive(Clone)]
pub struct Transport {
    smtp: Option<Box<Smtp>>,
    sms: Option<SmsGateway>,
    mailbox: Option<Db>,
    /// Merchants' webhook endpoints; without it webhook messages go to the dev mailbox (if on).
    webhooks: Option<super::webhook::WebhookSender>,
}

impl Transport {
    /// Every channel into the dev mailbox (the default).
    pub fn dev_mailbox(db: Db) -> Transport {
        Transport { smtp: None, sms: None, mailbox: Some(db), webhooks: None }
    }

    /// E-mail over SMTP; other channels need their own gateway.
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
        Ok(Transport {
            smtp: Some(Box::new(Smtp { mailer: builder.build(), from })),
            sms: None,
            mailbox: None,
            webhooks: None,
        })
    }

    /// Add an SMS gateway. Plain HTTP is accepted only on loopback (a local relay or a test stand-in).
    pub fn with_sms(mut self, config: SmsConfig) -> anyhow::Result<Transport> {
        let url = reqwest::Url::parse(&config.base_url)?;
        let host = url.host_str().unwrap_or("");
        anyhow::ensure!(
            url.scheme() == "https" || is_loopback_host(host),
            "the SMS gateway must use https (or be on loopback)"
        );
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(config.timeout_secs)).build()?;
        self.sms = Some(SmsGateway { config, http });
        Ok(self)
    }

    /// Deliver webhook messages to merchants' endpoints, signed (`notify::webhook`).
    pub fn with_webhooks(mut self, sender: super::webhook::WebhookSender) -> Transport {
        self.webhooks = Some(sender);
        self
    }

    /// True when the dev mailbox takes e-mail (and so its pages may be shown on loopback).
    pub fn is_dev_mailbox(&self) -> bool {
        self.mailbox.is_some() && self.smtp.is_none()
    }

    pub fn name(&self) -> &'static str {
        match (&self.smtp, &self.sms) {
            (None, None) => "dev-mailbox",
            (Some(_), None) => "smtp",
            (None, Some(_)) => "dev-mailbox+sms-gateway",
            (Some(_), Some(_)) => "smtp+sms-gateway",
        }
    }

    /// Deliver one message through its channel's route.
    pub async fn deliver(&self, outbox_id: &str, m: &OutboxMessage) -> Result<String, String> {
        if let (Channel::Webhook, Some(webhooks)) = (m.channel, &self.webhooks) {
            return webhooks.deliver(m).await;
        }
        match (m.channel, &self.smtp, &self.sms, &self.mailbox) {
            (Channel::Email, Some(smtp), _, _) => send_email(smtp, outbox_id, m).await,
            (Channel::Sms, _, Some(gateway), _) => send_sms(gateway, m).await,
            (_, _, _, Some(db)) => to_mailbox(db, outbox_id, m).await,
            (channel, ..) => Err(format!("no gateway is configured for {} messages", channel.as_str())),
        }
    }
}

async fn send_email(smtp: &Smtp, outbox_id: &str, m: &OutboxMessage) -> Result<String, String> {
    let to: Mailbox = m.recipient.parse().map_err(|e| format!("bad recipient address: {e}"))?;
    let email = Message::builder()
        .from(smtp.from.clone())
        .to(to)
        .subject(m.subject.clone())
        .message_id(Some(format!("<{outbox_id}@anshin>")))
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.clone())
        .map_err(|e| format!("cannot build message: {e}"))?;
    let response = smtp.mailer.send(email).await.map_err(|e| format!("smtp: {e}"))?;
    Ok(format!("smtp {}", response.code()))
}

async fn send_sms(gateway: &SmsGateway, m: &OutboxMessage) -> Result<String, String> {
    let c = &gateway.config;
    let url = format!("{}/2010-04-01/Accounts/{}/Messages.json", c.base_url.trim_end_matches('/'), c.account);
    let response = gateway
        .http
        .post(url)
        .basic_auth(&c.account, Some(&c.token))
        .form(&[("To", m.recipient.as_str()), ("From", c.from.as_str()), ("Body", m.body.as_str())])
        .send()
        .await
        // Never the URL or the body in an error: the body holds the code.
        .map_err(|e| format!("sms gateway: {}", e.without_url()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("sms gateway answered {status}"));
    }
    let reply: serde_json::Value = response.json().await.unwrap_or_default();
    Ok(format!("sms {}", reply["sid"].as_str().unwrap_or("accepted")))
}

async fn to_mailbox(db: &Db, outbox_id: &str, m: &OutboxMessage) -> Result<String, String> {
    let keys = db.keys().ok_or("dev mailbox: no server key to seal the body with")?;
    // ON CONFLICT: a redelivery after a crash must not show the message twice.
    sqlx::query(
        "INSERT INTO dev_mailbox (outbox_id, channel, recipient, subject, body, delivered_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (outbox_id) DO NOTHING",
    )
    .bind(outbox_id)
    .bind(m.channel.as_str())
    .bind(&m.recipient)
    .bind(&m.subject)
    .bind(keys.seal_message(&m.body, outbox_id))
    .bind(now_ms())
    .execute(db.write_pool())
    .await
    .map_err(|e| format!("dev mailbox: {e}"))?;
    Ok("dev mailbox".into())
}

pub fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}
