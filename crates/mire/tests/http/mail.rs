//! E-mail through an SMTP server: with STARTTLS (the default) or TLS from the first byte,
//! nothing but the greeting, EHLO and STARTTLS travels in the clear; a server that does not
//! offer STARTTLS receives neither the credentials nor the message, and the person's action
//! still succeeds.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufStream};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use crate::common::*;

/// How the fake server protects its connections.
#[derive(Clone, Copy, PartialEq)]
enum Offer {
    /// Offers STARTTLS after EHLO.
    StartTls,
    /// TLS from the first byte.
    ImplicitTls,
    /// Never encrypts.
    Plain,
}

/// What the fake server received: each command (a message as one `DATA ...` entry), and
/// whether it came encrypted. Each is recorded before the reply is sent, so once the
/// client's request is answered, everything it sent is here.
#[derive(Clone, Default)]
struct Transcript(Arc<Mutex<Vec<(bool, String)>>>);

impl Transcript {
    fn push(&self, encrypted: bool, line: String) {
        self.0.lock().unwrap().push((encrypted, line));
    }

    fn entries(&self) -> Vec<(bool, String)> {
        self.0.lock().unwrap().clone()
    }
}

struct FakeSmtp {
    /// `localhost:PORT`: the name its certificate carries.
    server: String,
    /// Its self-signed certificate (PEM), for `MIRE_SMTP_CA_FILE`.
    ca_file: PathBuf,
    transcript: Transcript,
}

async fn fake_smtp(offer: Offer) -> FakeSmtp {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let ca_file = std::env::temp_dir().join(format!(
        "mire-smtp-ca-{}-{}.pem",
        std::process::id(),
        Rng::quiet().suffix()
    ));
    std::fs::write(&ca_file, cert.cert.pem()).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let tls = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![CertificateDer::from(cert.cert.der().to_vec())], key)
    .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let transcript = Transcript::default();
    let t = transcript.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, t) = (acceptor.clone(), t.clone());
            tokio::spawn(async move {
                if offer == Offer::ImplicitTls {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut s = BufStream::new(tls);
                    let _ = s.write_all(b"220 fake ESMTP\r\n").await;
                    let _ = s.flush().await;
                    let _ = session(&mut s, true, offer, &t).await;
                    return;
                }
                let mut s = BufStream::new(tcp);
                let _ = s.write_all(b"220 fake ESMTP\r\n").await;
                let _ = s.flush().await;
                if let Ok(true) = session(&mut s, false, offer, &t).await {
                    if let Ok(tls) = acceptor.accept(s.into_inner()).await {
                        let _ = session(&mut BufStream::new(tls), true, offer, &t).await;
                    }
                }
            });
        }
    });
    FakeSmtp {
        server: format!("localhost:{port}"),
        ca_file,
        transcript,
    }
}

/// Answers commands until QUIT or the end of the connection; `true` when the client asked
/// for STARTTLS and the connection is to be encrypted.
async fn session<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut BufStream<S>,
    encrypted: bool,
    offer: Offer,
    t: &Transcript,
) -> std::io::Result<bool> {
    loop {
        let mut line = String::new();
        if s.read_line(&mut line).await? == 0 {
            return Ok(false);
        }
        let line = line.trim_end().to_owned();
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" if offer == Offer::StartTls && !encrypted => {
                b"250-fake\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"
            }
            "EHLO" => b"250-fake\r\n250 AUTH PLAIN\r\n",
            "STARTTLS" if offer == Offer::StartTls && !encrypted => {
                t.push(encrypted, line);
                s.write_all(b"220 go ahead\r\n").await?;
                s.flush().await?;
                return Ok(true);
            }
            "AUTH" => b"235 accepted\r\n",
            "MAIL" | "RCPT" => b"250 ok\r\n",
            "DATA" => {
                s.write_all(b"354 go on\r\n").await?;
                s.flush().await?;
                let mut message = String::new();
                loop {
                    let mut l = String::new();
                    if s.read_line(&mut l).await? == 0 || l == ".\r\n" {
                        break;
                    }
                    message.push_str(&l);
                }
                t.push(encrypted, format!("DATA {message}"));
                s.write_all(b"250 queued\r\n").await?;
                s.flush().await?;
                continue;
            }
            "QUIT" => {
                s.write_all(b"221 bye\r\n").await?;
                s.flush().await?;
                return Ok(false);
            }
            _ => b"502 unknown\r\n",
        };
        t.push(encrypted, line);
        s.write_all(answer).await?;
        s.flush().await?;
    }
}

/// A server that sends its mail through `smtp`, with `extra` settings.
fn server_mailing_through(smtp: &FakeSmtp, extra: &[(&str, &str)]) -> TestServer {
    let mut env = vec![
        ("MIRE_SMTP_SERVER".to_owned(), smtp.server.clone()),
        ("MIRE_SMTP_USERNAME".to_owned(), "portal".to_owned()),
        ("MIRE_SMTP_PASSWORD".to_owned(), "relay-secret".to_owned()),
        (
            "MIRE_SMTP_CA_FILE".to_owned(),
            smtp.ca_file.display().to_string(),
        ),
    ];
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    TestServer::start_with(ServerOptions {
        env,
        ..Default::default()
    })
}

/// Asks for a password reset for `email` on the page, as a person would.
async fn ask_reset(server: &TestServer, email: &str) {
    let web = server.web();
    let csrf = web.csrf("/password-dimenticata").await;
    let page = web
        .post_form(
            "/password-dimenticata",
            &[("csrf", &csrf), ("email", email)],
        )
        .await;
    assert_eq!(page.status, 200, "{page}");
}

/// Checks that the reset message for `email` was delivered, after the relay's credentials,
/// and whether it travelled `encrypted`.
fn delivered_reset(entries: &[(bool, String)], email: &str, encrypted: bool) {
    use base64::Engine;
    let secret = base64::engine::general_purpose::STANDARD.encode("\0portal\0relay-secret");
    let commands: Vec<&str> = entries.iter().map(|(_, l)| l.as_str()).collect();
    assert!(
        commands.contains(&format!("AUTH PLAIN {secret}").as_str())
            && commands.contains(&format!("RCPT TO:<{email}>").as_str()),
        "{entries:?}"
    );
    let (sent_encrypted, message) = entries
        .iter()
        .find(|(_, l)| l.starts_with("DATA "))
        .unwrap_or_else(|| panic!("no message: {entries:?}"));
    assert_eq!(*sent_encrypted, encrypted, "{entries:?}");
    assert!(message.contains("/reimposta-password?token="), "{message}");
}

#[tokio::test]
async fn with_starttls_only_ehlo_and_starttls_travel_in_the_clear() {
    let smtp = fake_smtp(Offer::StartTls).await;
    let server = server_mailing_through(&smtp, &[]);
    let person = server.person();
    ask_reset(&server, &person.email).await;

    let entries = smtp.transcript.entries();
    let clear: Vec<&str> = entries
        .iter()
        .filter(|(encrypted, _)| !encrypted)
        .map(|(_, l)| l.as_str())
        .collect();
    assert_eq!(clear, ["EHLO mire", "STARTTLS"], "{entries:?}");
    delivered_reset(&entries, &person.email, true);
    assert!(
        outbox_messages_to(&server, &person.email).is_empty(),
        "sent, not filed"
    );

    // A certificate the portal does not trust ends the exchange at the handshake.
    let strict = server_mailing_through(&smtp, &[("MIRE_SMTP_CA_FILE", "")]);
    let person = strict.person();
    let before = smtp.transcript.entries().len();
    ask_reset(&strict, &person.email).await;
    assert_eq!(
        smtp.transcript.entries()[before..],
        [
            (false, "EHLO mire".to_owned()),
            (false, "STARTTLS".to_owned())
        ]
    );
}

#[tokio::test]
async fn with_tls_everything_is_encrypted() {
    let smtp = fake_smtp(Offer::ImplicitTls).await;
    let server = server_mailing_through(&smtp, &[("MIRE_SMTP_TLS", "tls")]);
    let person = server.person();
    ask_reset(&server, &person.email).await;

    let entries = smtp.transcript.entries();
    assert!(
        entries.iter().all(|(encrypted, _)| *encrypted),
        "{entries:?}"
    );
    delivered_reset(&entries, &person.email, true);
}

#[tokio::test]
async fn a_server_without_starttls_gets_neither_credentials_nor_message() {
    let smtp = fake_smtp(Offer::Plain).await;
    let server = server_mailing_through(&smtp, &[]);
    let person = server.person();
    // The person is told the same as always; the failure is the operator's to see in the log.
    ask_reset(&server, &person.email).await;
    assert_eq!(
        smtp.transcript.entries(),
        [(false, "EHLO mire".to_owned())],
        "nothing after EHLO"
    );

    // A relay on this machine may be used in the clear, when the configuration says so.
    let local = server_mailing_through(&smtp, &[("MIRE_SMTP_TLS", "none")]);
    let person = local.person();
    ask_reset(&local, &person.email).await;
    delivered_reset(&smtp.transcript.entries()[1..], &person.email, false);
}
