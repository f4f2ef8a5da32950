//! Outgoing e-mail. Without an SMTP relay configured, messages are written as `.eml` files to
//! the outbox folder (and the file name logged), so password resets work out of the box.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufStream};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use crate::config::{MailConfig, SmtpTls};

pub struct Mailer {
    config: MailConfig,
    /// Trusts Mozilla's roots, plus the certificates of `smtp_ca_file` when given.
    tls: TlsConnector,
}

pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mailer {
    /// Fails when `smtp_ca_file` names a file that holds no readable certificate.
    pub fn new(config: MailConfig) -> Result<Self, String> {
        use tokio_rustls::rustls::pki_types::{pem::PemObject, CertificateDer};
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let ca_file = config.smtp_ca_file.trim();
        if !ca_file.is_empty() {
            let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(ca_file)
                .and_then(|certs| certs.collect())
                .map_err(|e| format!("mail.smtp_ca_file {ca_file}: {e}"))?;
            if certs.is_empty() {
                return Err(format!("mail.smtp_ca_file {ca_file}: no certificate in it"));
            }
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| format!("mail.smtp_ca_file {ca_file}: {e}"))?;
            }
        }
        let tls = ClientConfig::builder_with_provider(Arc::new(
            tokio_rustls::rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Self {
            config,
            tls: TlsConnector::from(Arc::new(tls)),
        })
    }

    /// Sends or files the message. Failures are logged, not returned: a user's action (a
    /// request decided, a reset asked) must not fail because the mail relay is down.
    pub async fn send(&self, m: Message) {
        let eml = self.render(&m);
        if self.config.smtp_server.is_empty() {
            match self.write_to_outbox(&eml).await {
                Ok(path) => {
                    tracing::info!(file = %path.display(), subject = %m.subject, "e-mail written to outbox")
                }
                Err(e) => tracing::error!(error = %e, "could not write e-mail to outbox"),
            }
        } else if let Err(e) = self.send_smtp(&m.to, &eml).await {
            tracing::error!(error = %e, server = %self.config.smtp_server, "SMTP delivery failed");
        }
    }

    fn render(&self, m: &Message) -> String {
        // Header values never carry user-typed newlines: that would let them add headers.
        let clean = |s: &str| s.replace(['\r', '\n'], " ");
        format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
            clean(&self.config.from),
            clean(&m.to),
            encode_subject(&clean(&m.subject)),
            m.body.replace("\r\n", "\n").replace('\n', "\r\n")
        )
    }

    async fn write_to_outbox(&self, eml: &str) -> std::io::Result<PathBuf> {
        tokio::fs::create_dir_all(&self.config.outbox_dir).await?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let path = self.config.outbox_dir.join(format!(
            "{}-{:09}-{}.eml",
            stamp.as_secs(),
            stamp.subsec_nanos(),
            &crate::security::random_token()[..8]
        ));
        tokio::fs::write(&path, eml).await?;
        Ok(path)
    }

    /// A minimal SMTP client (RFC 5321): one message per connection, AUTH PLAIN when a user
    /// name is set. With `smtp_tls = "starttls"` (the default) nothing but EHLO and STARTTLS
    /// is sent before the connection is encrypted, and a server that does not offer STARTTLS
    /// gets nothing; `"tls"` encrypts from the first byte (port 465); `"none"` sends in the
    /// clear, for a relay on the same machine.
    async fn send_smtp(&self, to: &str, eml: &str) -> std::io::Result<()> {
        let server = self.config.smtp_server.trim();
        let tcp = tokio::net::TcpStream::connect(server).await?;
        match self.config.smtp_tls {
            SmtpTls::None => {
                let mut s = BufStream::new(tcp);
                reply(&mut s, '2').await?;
                self.deliver(s, to, eml).await
            }
            SmtpTls::Tls => {
                let tls = self.tls.connect(server_name(server)?, tcp).await?;
                let mut s = BufStream::new(tls);
                reply(&mut s, '2').await?;
                self.deliver(s, to, eml).await
            }
            SmtpTls::Starttls => {
                let mut s = BufStream::new(tcp);
                reply(&mut s, '2').await?;
                let offered = command(&mut s, "EHLO mire", '2').await?;
                if !offered
                    .iter()
                    .any(|l| l.to_ascii_uppercase().contains("STARTTLS"))
                {
                    return Err(std::io::Error::other(
                        "the SMTP server does not offer STARTTLS: nothing was sent \
                         (set mail.smtp_tls to \"none\" only for a relay on this machine)",
                    ));
                }
                command(&mut s, "STARTTLS", '2').await?;
                let tls = self
                    .tls
                    .connect(server_name(server)?, s.into_inner())
                    .await?;
                self.deliver(BufStream::new(tls), to, eml).await
            }
        }
    }

    /// EHLO, AUTH, the envelope and the message, once the connection is as protected as
    /// the configuration asks (and the server's greeting read).
    async fn deliver<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut s: BufStream<S>,
        to: &str,
        eml: &str,
    ) -> std::io::Result<()> {
        use base64::Engine;
        command(&mut s, "EHLO mire", '2').await?;
        if !self.config.smtp_username.is_empty() {
            let secret = format!(
                "\0{}\0{}",
                self.config.smtp_username, self.config.smtp_password
            );
            let auth = format!(
                "AUTH PLAIN {}",
                base64::engine::general_purpose::STANDARD.encode(secret)
            );
            command(&mut s, &auth, '2').await?;
        }
        let from = address_of(&self.config.from);
        command(&mut s, &format!("MAIL FROM:<{from}>"), '2').await?;
        command(&mut s, &format!("RCPT TO:<{}>", address_of(to)), '2').await?;
        command(&mut s, "DATA", '3').await?;
        // Dot-stuffing: a line starting with '.' gets another one.
        let body = eml.replace("\r\n.", "\r\n..");
        command(&mut s, &format!("{body}\r\n."), '2').await?;
        s.write_all(b"QUIT\r\n").await?;
        s.flush().await?;
        Ok(())
    }
}

/// The host part of `host:port`, as the name the server's certificate must carry.
fn server_name(
    server: &str,
) -> std::io::Result<tokio_rustls::rustls::pki_types::ServerName<'static>> {
    let host = server
        .rsplit_once(':')
        .map_or(server, |(host, _)| host)
        .trim_start_matches('[')
        .trim_end_matches(']');
    tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| std::io::Error::other(format!("SMTP server name {host}: {e}")))
}

/// Sends one command line and reads the reply, which must start with `first`; returns the
/// reply's lines.
async fn command<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufStream<S>,
    line: &str,
    first: char,
) -> std::io::Result<Vec<String>> {
    s.write_all(format!("{line}\r\n").as_bytes()).await?;
    s.flush().await?;
    reply(s, first).await
}

/// Reads one reply (all its lines); an error unless its code starts with `first`.
async fn reply<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufStream<S>,
    first: char,
) -> std::io::Result<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if s.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::other("SMTP server closed the connection"));
        }
        let last = line.as_bytes().get(3) != Some(&b'-');
        lines.push(line.trim_end().to_owned());
        if last {
            break;
        }
    }
    if lines[lines.len() - 1].starts_with(first) {
        Ok(lines)
    } else {
        Err(std::io::Error::other(format!(
            "SMTP: {}",
            lines.join(" | ")
        )))
    }
}

fn address_of(s: &str) -> String {
    match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => s[a + 1..b].to_owned(),
        _ => s.trim().to_owned(),
    }
}

/// RFC 2047 encoding so accented subjects survive every mail client.
fn encode_subject(s: &str) -> String {
    use base64::Engine;
    if s.is_ascii() {
        s.to_owned()
    } else {
        format!(
            "=?utf-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    }
}
