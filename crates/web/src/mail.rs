//! Outgoing e-mail. Without an SMTP relay configured, messages are written as `.eml` files to
//! the outbox folder (and the file name logged), so password resets work out of the box.

use std::path::PathBuf;

use crate::config::MailConfig;

pub struct Mailer {
    config: MailConfig,
}

pub struct Message {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Mailer {
    pub fn new(config: MailConfig) -> Self {
        Self { config }
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

    /// A minimal SMTP client (RFC 5321) for a trusted relay on the local network: EHLO,
    /// optional AUTH PLAIN, one message. TLS is left to the relay (e.g. a local postfix).
    async fn send_smtp(&self, to: &str, eml: &str) -> std::io::Result<()> {
        use base64::Engine;
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let stream = tokio::net::TcpStream::connect(&self.config.smtp_server).await?;
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        let from = address_of(&self.config.from);
        let mut lines = vec!["EHLO mire".to_owned()];
        if !self.config.smtp_username.is_empty() {
            let secret = format!(
                "\0{}\0{}",
                self.config.smtp_username, self.config.smtp_password
            );
            lines.push(format!(
                "AUTH PLAIN {}",
                base64::engine::general_purpose::STANDARD.encode(secret)
            ));
        }
        lines.extend([
            format!("MAIL FROM:<{from}>"),
            format!("RCPT TO:<{}>", address_of(to)),
            "DATA".into(),
        ]);
        expect_reply(&mut r, '2').await?;
        for line in lines {
            w.write_all(format!("{line}\r\n").as_bytes()).await?;
            let first = if line == "DATA" { '3' } else { '2' };
            expect_reply(&mut r, first).await?;
        }
        // Dot-stuffing: a line starting with '.' gets another one.
        let body = eml.replace("\r\n.", "\r\n..");
        w.write_all(format!("{body}\r\n.\r\n").as_bytes()).await?;
        expect_reply(&mut r, '2').await?;
        w.write_all(b"QUIT\r\n").await?;
        return Ok(());

        async fn expect_reply(
            r: &mut (impl AsyncBufReadExt + Unpin),
            first: char,
        ) -> std::io::Result<()> {
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).await? == 0 {
                    return Err(std::io::Error::other("SMTP server closed the connection"));
                }
                if line.as_bytes().get(3) == Some(&b'-') {
                    continue;
                }
                return if line.starts_with(first) {
                    Ok(())
                } else {
                    Err(std::io::Error::other(format!("SMTP: {}", line.trim())))
                };
            }
        }
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
