//! MIRE's portal and JSON API, served by axum. One module per area, each holding its pages
//! and its API; `request` holds what every handler shares (who is asking, in which language,
//! with which anti-forgery token).

pub mod accounts;
pub mod alliance;
mod api;
mod assets;
pub mod config;
pub mod coworking;
pub mod error;
pub mod i18n;
mod mail;
mod pages;
pub mod proximity;
mod request;
pub mod security;

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use axum::Router;
use mire_store::Db;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;
use i18n::I18n;
use security::RateLimiter;

/// The largest request body accepted: forms and JSON here are small; anything bigger is abuse.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// The messages of both languages, parsed once.
pub static I18N: LazyLock<I18n> = LazyLock::new(I18n::new);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: Db,
    pub config: Config,
    /// The proximity model of Milan, loaded once at start (see `proximity`).
    pub proximity: Arc<proximity::ProximityState>,
    mailer: mail::Mailer,
    login_limit: RateLimiter,
    signup_limit: RateLimiter,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Fails when the proximity model cannot be loaded (its data is embedded, so only a
    /// damaged walking-network file named in the configuration should make it fail), or when
    /// `mail.smtp_ca_file` holds no readable certificate.
    pub fn new(db: Db, config: Config) -> anyhow::Result<AppState> {
        let proximity = proximity::ProximityState::load(&config).inspect_err(|e| {
            tracing::error!(error = format!("{e:#}"), "cannot load the proximity model");
        })?;
        let rl = &config.rate_limit;
        Ok(AppState(Arc::new(Inner {
            proximity: Arc::new(proximity),
            login_limit: RateLimiter::new(rl.login_per_15min, Duration::from_secs(15 * 60)),
            signup_limit: RateLimiter::new(rl.signup_per_hour, Duration::from_secs(3600)),
            mailer: mail::Mailer::new(config.mail.clone()).map_err(anyhow::Error::msg)?,
            db,
            config,
        })))
    }
}

/// The whole application: pages, API, assets, with the layers every request passes.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(alliance::routes())
        .merge(accounts::routes())
        .merge(coworking::routes())
        .merge(proximity::routes())
        .merge(api::routes())
        .merge(assets::routes())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            request::identify,
        ))
        .layer(axum::middleware::from_fn(request::security_headers))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(CatchPanicLayer::custom(request::panic_response))
        .layer(TraceLayer::new_for_http().make_span_with(request::span))
        .with_state(state)
}
