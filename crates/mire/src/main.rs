//! `mire`: the portal and JSON API of MIRE – Milano in Rete, and its admin commands.

mod coworking_import;
mod proximity;
mod seed;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use mire_domain::accounts::{check_new_password, Email, Role};
use mire_store::accounts::NewUser;
use mire_store::Db;
use mire_web::{AppState, Config};

#[derive(Parser)]
#[command(
    name = "mire",
    version,
    about = "MIRE – Milano in Rete: the alliance portal, JSON API and admin commands"
)]
struct Cli {
    /// Configuration file (defaults < this file < MIRE_* environment variables).
    #[arg(long, global = true, default_value = "mire.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal and the API (the default).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (or MIRE_LISTEN).
        #[arg(long)]
        listen: Option<String>,
        /// Do not load the demo organisations and accounts into an empty database.
        #[arg(long)]
        no_demo: bool,
    },
    /// Apply database migrations and the reference data, then exit.
    Migrate,
    /// Operator tasks.
    #[command(subcommand)]
    Admin(Admin),
    /// Import data the product can use.
    #[command(subcommand)]
    Import(Import),
    /// The proximity model: travel times in Milan.
    #[command(subcommand)]
    Proximity(ProximityCommand),
}

#[derive(Subcommand)]
enum Import {
    /// Build a walking network from an OpenStreetMap file (.osm.pbf or .osm XML) and save it
    /// for the server (setting proximity_streets, MIRE_PROXIMITY_STREETS).
    Osm {
        /// The OpenStreetMap extract.
        file: PathBuf,
        /// Where to save the walking network.
        #[arg(long, default_value = "mire-streets.bin")]
        out: PathBuf,
    },
    /// Import the Comune di Milano's list of qualified coworking spaces (CSV, `;` or `,`).
    /// Every row is checked first; if any is wrong nothing is written.
    Coworkings {
        /// The CSV file (Denominazione, Indirizzo, Municipio, Latitudine, Longitudine, ...).
        file: PathBuf,
        /// Check the file and report what would be imported, without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// The coworking operator organisation (id) the spaces belong to; if omitted, the
        /// organisation of the imported list, created on the first import.
        #[arg(long)]
        operator: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ProximityCommand {
    /// Write the model's nodes and edges (CSV, GeoJSON) into DIR, to check them in a GIS tool.
    ExportNetwork {
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum Admin {
    /// Create a confirmed account with a role (coordinator/evaluator in the default alliance,
    /// other roles in the organisation given with --org).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        role: Role,
        #[arg(long)]
        org: Option<i64>,
        #[arg(long)]
        name: Option<String>,
        /// The alliance (slug) of a coordinator or evaluator; the first alliance if omitted.
        #[arg(long)]
        alliance: Option<String>,
    },
    /// Host another alliance (one installation can serve several territorial networks).
    CreateAlliance {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// The territory it covers, in words (e.g. "Comune di Bergamo").
        #[arg(long)]
        territory: String,
        #[arg(long, default_value = "")]
        summary_it: String,
        #[arg(long, default_value = "")]
        summary_en: String,
    },
    /// Print a new personal API token for the account.
    Token {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config =
        Config::load(&cli.config, |k| std::env::var(k).ok()).map_err(anyhow::Error::msg)?;
    init_logging(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cli.command, config))
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MIRE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn open(config: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&config.database_url)
        .await
        .with_context(|| "cannot open the database")?;
    db.migrate().await.context("migrations failed")?;
    seed::reference(&db)
        .await
        .context("loading the reference data")?;
    Ok(db)
}

async fn run(command: Option<Command>, mut config: Config) -> anyhow::Result<()> {
    match command.unwrap_or(Command::Serve {
        listen: None,
        no_demo: false,
    }) {
        Command::Serve { listen, no_demo } => {
            if let Some(l) = listen {
                config.listen = l;
            }
            if no_demo {
                config.demo = false;
            }
            serve(config).await
        }
        Command::Migrate => {
            let db = open(&config).await?;
            db.close().await;
            println!("database ready");
            Ok(())
        }
        Command::Import(Import::Osm { file, out }) => proximity::import_osm_file(&file, &out),
        Command::Import(Import::Coworkings {
            file,
            dry_run,
            operator,
        }) => coworking_import::run(&config, &file, dry_run, operator).await,
        Command::Proximity(ProximityCommand::ExportNetwork { out }) => {
            proximity::export_network(&config, &out)
        }
        Command::Admin(admin) => {
            let db = open(&config).await?;
            let result = run_admin(&db, admin).await;
            db.close().await;
            result
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let db = open(&config).await?;
    let demo_accounts = if config.demo {
        seed::demo(&db).await.context("loading the demo data")?
    } else {
        None
    };
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let state = AppState::new(db.clone(), config)?;
    println!("MIRE listening on http://{addr}");
    if let Some(password) = demo_accounts {
        println!(
            "Demo accounts (password \"{password}\"): {}",
            seed::DEMO_EMAILS.join(", ")
        );
    }
    use std::io::Write;
    std::io::stdout().flush().ok();
    let app = mire_web::app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Listens for SIGINT and SIGTERM from the moment it is called: installed before the server
/// announces itself, so a signal sent right after "listening" still stops it gracefully.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let (mut int, mut term) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! { _ = int.recv() => {}, _ = term.recv() => {} }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await.ok();
        tracing::info!("shutting down: finishing requests in flight");
    })
}

async fn run_admin(db: &Db, admin: Admin) -> anyhow::Result<()> {
    match admin {
        Admin::CreateAlliance {
            slug,
            name,
            territory,
            summary_it,
            summary_en,
        } => {
            let valid_slug = !slug.is_empty()
                && slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid_slug {
                bail!("the slug may hold only lower-case letters, digits and '-'");
            }
            let new = mire_store::alliance::NewAlliance {
                slug: &slug,
                name: &name,
                territory: &territory,
                summary_it: &summary_it,
                summary_en: &summary_en,
            };
            let id = db.create_alliance(&new).await.map_err(|e| match e {
                mire_store::StoreError::Conflict(_) => {
                    anyhow::anyhow!("an alliance with slug '{slug}' already exists")
                }
                e => e.into(),
            })?;
            println!("{id}");
            Ok(())
        }
        Admin::CreateUser {
            email,
            password,
            role,
            org,
            name,
            alliance,
        } => {
            let email =
                Email::parse(&email).map_err(|e| anyhow::anyhow!("email: {}", e.message))?;
            check_new_password("password", &password)
                .map_err(|e| anyhow::anyhow!("password: {}", e.message))?;
            if !role.is_alliance_role() && role != Role::Worker && org.is_none() {
                bail!("the role {role} is held in an organisation: give --org ID");
            }
            if let Some(org) = org {
                db.organization(org)
                    .await
                    .with_context(|| format!("no organisation with id {org}"))?;
            }
            let hash =
                tokio::task::spawn_blocking(move || mire_web::security::hash_password(&password))
                    .await?;
            let display =
                name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("").to_owned());
            let id = db
                .create_user(&NewUser {
                    email: email.as_str(),
                    password_hash: &hash,
                    display_name: &display,
                    locale: "it",
                    is_demo: false,
                    verified: true,
                })
                .await
                .map_err(|e| match e {
                    mire_store::StoreError::Conflict(_) => {
                        anyhow::anyhow!("an account with this e-mail already exists")
                    }
                    e => e.into(),
                })?;
            if role.is_alliance_role() {
                let slug = alliance.unwrap_or_default();
                let alliance = db
                    .alliance(&slug)
                    .await
                    .with_context(|| format!("no alliance '{slug}'"))?;
                db.grant_alliance_role(id, alliance.id, role.as_str())
                    .await?;
            } else if let Some(org) = org {
                db.grant_organization_role(id, org, role.as_str()).await?;
            }
            println!("{id}");
            Ok(())
        }
        Admin::Token { email, name } => {
            let email =
                Email::parse(&email).map_err(|e| anyhow::anyhow!("email: {}", e.message))?;
            let user = db
                .user_id_by_email(email.as_str())
                .await?
                .context("no account with this e-mail")?;
            let token = format!("mire_{}", mire_web::security::random_token());
            let hash = mire_web::security::token_hash(&token);
            db.create_api_token(user, &name, &hash, &token[..12])
                .await?;
            println!("{token}");
            Ok(())
        }
    }
}
