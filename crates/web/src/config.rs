//! Configuration: built-in defaults, then `mire.toml`, then `MIRE_*` environment variables
//! (and `DATABASE_URL`), each overriding the one before.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address the portal listens on.
    pub listen: String,
    /// `sqlite://mire.db` (embedded) or `postgres://user@host/db`.
    pub database_url: String,
    /// Public address of the portal, for links in e-mails. Defaults to `http://{listen}`.
    pub base_url: Option<String>,
    /// Mark cookies `Secure`: turn on when the portal is served over HTTPS.
    pub secure_cookies: bool,
    /// Load the demo seed into an empty database.
    pub demo: bool,
    pub mail: MailConfig,
    pub rate_limit: RateLimitConfig,
    /// Log lines as JSON (for log collectors) instead of text.
    pub log_json: bool,
    /// Walking network made by `mire import osm` (a file path); empty: straight-line walks.
    pub proximity_streets: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct MailConfig {
    pub from: String,
    /// Folder where messages are written as `.eml` files when no SMTP server is configured.
    pub outbox_dir: PathBuf,
    /// `host:port` of an SMTP relay; empty means "write to the outbox".
    pub smtp_server: String,
    pub smtp_username: String,
    pub smtp_password: String,
    /// How the connection to `smtp_server` is protected.
    pub smtp_tls: SmtpTls,
    /// A PEM file of certificates to trust besides the usual public ones (a private CA);
    /// empty: the public ones only.
    pub smtp_ca_file: String,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Upgraded with STARTTLS before anything else is sent; a server that does not offer it
    /// gets nothing.
    #[default]
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
    /// In the clear: only for a relay on the same machine.
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitConfig {
    /// Login attempts allowed per client address in 15 minutes.
    pub login_per_15min: u32,
    /// Sign-ups allowed per client address in an hour.
    pub signup_per_hour: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://mire.db".into(),
            base_url: None,
            secure_cookies: false,
            demo: true,
            mail: MailConfig::default(),
            rate_limit: RateLimitConfig::default(),
            log_json: false,
            proximity_streets: String::new(),
        }
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            from: "MIRE <noreply@mire.localhost>".into(),
            outbox_dir: PathBuf::from("outbox"),
            smtp_server: String::new(),
            smtp_username: String::new(),
            smtp_password: String::new(),
            smtp_tls: SmtpTls::default(),
            smtp_ca_file: String::new(),
        }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            login_per_15min: 10,
            signup_per_hour: 5,
        }
    }
}

/// Environment variables and the setting each one overrides.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("MIRE_LISTEN", "listen"),
    ("DATABASE_URL", "database_url"),
    ("MIRE_DATABASE_URL", "database_url"),
    ("MIRE_BASE_URL", "base_url"),
    ("MIRE_SECURE_COOKIES", "secure_cookies"),
    ("MIRE_DEMO", "demo"),
    ("MIRE_LOG_JSON", "log_json"),
    ("MIRE_PROXIMITY_STREETS", "proximity_streets"),
    ("MIRE_MAIL_FROM", "mail.from"),
    ("MIRE_OUTBOX_DIR", "mail.outbox_dir"),
    ("MIRE_SMTP_SERVER", "mail.smtp_server"),
    ("MIRE_SMTP_USERNAME", "mail.smtp_username"),
    ("MIRE_SMTP_PASSWORD", "mail.smtp_password"),
    ("MIRE_SMTP_TLS", "mail.smtp_tls"),
    ("MIRE_SMTP_CA_FILE", "mail.smtp_ca_file"),
    (
        "MIRE_RATE_LIMIT_LOGIN_PER_15MIN",
        "rate_limit.login_per_15min",
    ),
    (
        "MIRE_RATE_LIMIT_SIGNUP_PER_HOUR",
        "rate_limit.signup_per_hour",
    ),
];

impl Config {
    /// Reads `file` (if it exists) over the defaults, then the environment over both.
    pub fn load(file: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let mut doc = toml::Table::try_from(Config::default()).map_err(|e| e.to_string())?;
        if file.exists() {
            let text =
                std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let over: toml::Table = text
                .parse()
                .map_err(|e| format!("{}: {e}", file.display()))?;
            merge(&mut doc, over);
        }
        for (var, key) in ENV_VARS {
            if let Some(raw) = env(var) {
                set(&mut doc, key, &raw);
            }
        }
        doc.try_into()
            .map_err(|e: toml::de::Error| format!("configuration: {e}"))
    }

    pub fn base_url(&self) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// Sets `a.b` to `raw`, typed like the default it replaces (so `MIRE_DEMO=false` is a bool).
fn set(doc: &mut toml::Table, key: &str, raw: &str) {
    let (table, leaf) = match key.split_once('.') {
        Some((section, leaf)) => match doc.get_mut(section) {
            Some(toml::Value::Table(t)) => (t, leaf),
            _ => return,
        },
        None => (doc, key),
    };
    let value = match table.get(leaf) {
        Some(toml::Value::Boolean(_)) => {
            toml::Value::Boolean(matches!(raw, "1" | "true" | "yes" | "on"))
        }
        Some(toml::Value::Integer(_)) => match raw.parse() {
            Ok(n) => toml::Value::Integer(n),
            Err(_) => toml::Value::String(raw.into()),
        },
        _ => toml::Value::String(raw.into()),
    };
    table.insert(leaf.into(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_beats_file_beats_defaults() {
        let dir = std::env::temp_dir().join(format!("mire-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("mire.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\n[rate_limit]\nsignup_per_hour = 50\n",
        )
        .unwrap();
        let env = |k: &str| match k {
            "MIRE_DEMO" => Some("false".to_owned()),
            "MIRE_RATE_LIMIT_LOGIN_PER_15MIN" => Some("99".to_owned()),
            _ => None,
        };
        let c = Config::load(&file, env).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.rate_limit.signup_per_hour, 50);
        assert_eq!(c.rate_limit.login_per_15min, 99);
        assert!(!c.demo);
        assert_eq!(c.database_url, "sqlite://mire.db");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
