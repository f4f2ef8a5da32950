//! A very small PostgreSQL client, enough to create and drop test databases.
//!
//! It speaks the frontend/backend protocol (version 3) over a plain TCP socket: a startup
//! message, then simple queries. Only `trust` and cleartext-password authentication are
//! supported, which is what a local test server offers; anything else is reported clearly.
//! Having no dependency, it is shared by `cargo xtask` and the HTTP integration tests (which
//! include this file with `#[path]`), and works on machines without the `psql` client.

#![allow(dead_code)]

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The parts of a `postgres://user[:password]@host[:port]/database` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgUrl {
    pub user: String,
    pub password: Option<String>,
    pub host: String,
    pub port: u16,
    pub database: String,
}

impl PgUrl {
    pub fn parse(url: &str) -> Result<PgUrl, String> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(|| format!("not a postgres:// URL: {url}"))?;
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (auth, host_db) = match rest.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, rest),
        };
        let (user, password) = match auth {
            Some(a) => match a.split_once(':') {
                Some((u, p)) => (u.to_owned(), Some(p.to_owned())),
                None => (a.to_owned(), None),
            },
            None => ("postgres".to_owned(), None),
        };
        let (host_port, database) = host_db.split_once('/').unwrap_or((host_db, ""));
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>().map_err(|_| format!("bad port in {url}"))?,
            ),
            None => (host_port, 5432),
        };
        let host = if host.is_empty() { "127.0.0.1" } else { host };
        let database = if database.is_empty() {
            user.clone()
        } else {
            database.to_owned()
        };
        Ok(PgUrl {
            user,
            password,
            host: host.to_owned(),
            port,
            database,
        })
    }

    /// The same server and credentials, another database.
    pub fn with_database(&self, database: &str) -> PgUrl {
        PgUrl {
            database: database.to_owned(),
            ..self.clone()
        }
    }

    pub fn to_url(&self) -> String {
        let auth = match &self.password {
            Some(p) => format!("{}:{}", self.user, p),
            None => self.user.clone(),
        };
        format!(
            "postgres://{auth}@{}:{}/{}",
            self.host, self.port, self.database
        )
    }
}

/// One open session with the server.
pub struct PgConn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl PgConn {
    pub fn connect(url: &PgUrl) -> Result<PgConn, String> {
        let addr = format!("{}:{}", url.host, url.port);
        let stream = TcpStream::connect(&addr)
            .map_err(|e| format!("cannot reach PostgreSQL at {addr}: {e}"))?;
        stream.set_read_timeout(Some(Duration::from_secs(60))).ok();
        let writer = stream.try_clone().map_err(|e| e.to_string())?;
        let mut conn = PgConn {
            reader: BufReader::new(stream),
            writer,
        };

        let mut body = Vec::new();
        body.extend_from_slice(&196_608u32.to_be_bytes()); // protocol 3.0
        for (k, v) in [
            ("user", url.user.as_str()),
            ("database", url.database.as_str()),
            ("client_encoding", "UTF8"),
        ] {
            body.extend_from_slice(k.as_bytes());
            body.push(0);
            body.extend_from_slice(v.as_bytes());
            body.push(0);
        }
        body.push(0);
        let mut msg = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        msg.extend_from_slice(&body);
        conn.writer.write_all(&msg).map_err(|e| e.to_string())?;

        loop {
            let (tag, body) = conn.read_message()?;
            match tag {
                b'R' => match be_u32(&body, 0) {
                    0 => {}
                    3 => {
                        let password = url
                            .password
                            .as_deref()
                            .ok_or("the server asks for a password and the URL has none")?;
                        let mut p = password.as_bytes().to_vec();
                        p.push(0);
                        conn.send(b'p', &p)?;
                    }
                    other => {
                        return Err(format!(
                            "PostgreSQL asks for authentication method {other}; only trust and cleartext \
                             password are supported by the test tooling"
                        ))
                    }
                },
                b'E' => return Err(format!("PostgreSQL refused the connection: {}", error_text(&body))),
                b'Z' => return Ok(conn),
                _ => {} // ParameterStatus, BackendKeyData, notices
            }
        }
    }

    /// Runs one or more statements; returns the rows (text format, NULL as `None`).
    pub fn query(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, String> {
        let mut q = sql.as_bytes().to_vec();
        q.push(0);
        self.send(b'Q', &q)?;
        let mut rows = Vec::new();
        let mut error = None;
        loop {
            let (tag, body) = self.read_message()?;
            match tag {
                b'D' => {
                    let n = u16::from_be_bytes([body[0], body[1]]) as usize;
                    let mut at = 2;
                    let mut row = Vec::with_capacity(n);
                    for _ in 0..n {
                        let len = be_u32(&body, at) as i32;
                        at += 4;
                        if len < 0 {
                            row.push(None);
                        } else {
                            let end = at + len as usize;
                            row.push(Some(String::from_utf8_lossy(&body[at..end]).into_owned()));
                            at = end;
                        }
                    }
                    rows.push(row);
                }
                b'E' => error = Some(error_text(&body)),
                b'Z' => break,
                _ => {}
            }
        }
        match error {
            Some(e) => Err(format!("{e} (in: {sql})")),
            None => Ok(rows),
        }
    }

    fn send(&mut self, tag: u8, body: &[u8]) -> Result<(), String> {
        let mut msg = vec![tag];
        msg.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        msg.extend_from_slice(body);
        self.writer
            .write_all(&msg)
            .map_err(|e| format!("writing to PostgreSQL: {e}"))
    }

    fn read_message(&mut self) -> Result<(u8, Vec<u8>), String> {
        let mut head = [0u8; 5];
        self.reader
            .read_exact(&mut head)
            .map_err(|e| format!("reading from PostgreSQL: {e}"))?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len.saturating_sub(4)];
        self.reader
            .read_exact(&mut body)
            .map_err(|e| format!("reading from PostgreSQL: {e}"))?;
        Ok((head[0], body))
    }
}

impl Drop for PgConn {
    fn drop(&mut self) {
        let _ = self.send(b'X', &[]);
    }
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The severity, SQLSTATE and message fields of an ErrorResponse.
fn error_text(body: &[u8]) -> String {
    let mut parts = Vec::new();
    for field in body.split(|&b| b == 0) {
        if let Some((&code, value)) = field.split_first() {
            if matches!(code, b'S' | b'C' | b'M' | b'D') {
                parts.push(String::from_utf8_lossy(value).into_owned());
            }
        }
    }
    parts.join(" ")
}

/// Test database names are made by the tooling; refuse anything that would need quoting.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(format!(
            "refusing database name {name:?}: lower-case letters, digits and _ only, at most 63"
        ))
    }
}

/// Creates database `name` on the server of `admin` (which names an existing database).
pub fn create_database(admin: &PgUrl, name: &str) -> Result<(), String> {
    check_name(name)?;
    PgConn::connect(admin)?
        .query(&format!("CREATE DATABASE {name}"))
        .map(|_| ())
}

/// Drops database `name` if it exists, ending any session still connected to it.
pub fn drop_database(admin: &PgUrl, name: &str) -> Result<(), String> {
    check_name(name)?;
    let mut conn = PgConn::connect(admin)?;
    conn.query(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))?;
    conn.query(&format!("DROP DATABASE IF EXISTS {name}"))
        .map(|_| ())
}

/// The databases whose name starts with `prefix`.
pub fn databases_with_prefix(admin: &PgUrl, prefix: &str) -> Result<Vec<String>, String> {
    check_name(prefix)?;
    let rows = PgConn::connect(admin)?.query(&format!(
        "SELECT datname FROM pg_database WHERE starts_with(datname, '{prefix}') ORDER BY datname"
    ))?;
    Ok(rows
        .into_iter()
        .filter_map(|mut r| r.pop().flatten())
        .collect())
}
