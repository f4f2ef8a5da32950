//! Accounts: sign-up with e-mail confirmation, login, logout, password reset, profile,
//! personal API tokens, "download my data" and "delete my account".

pub(crate) mod api;
mod pages;

use axum::routing::{get, post};
use axum::Router;

use crate::AppState;

pub use pages::{sign_in, signup_mail};

/// How long an e-mailed link stays valid.
const LINK_TTL_SECS: i64 = 24 * 3600;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accedi", get(pages::login_form).post(pages::login))
        .route("/esci", post(pages::logout))
        .route("/registrati", get(pages::signup_form).post(pages::signup))
        .route("/conferma-email", get(pages::confirm_email))
        .route(
            "/password-dimenticata",
            get(pages::forgot_form).post(pages::forgot),
        )
        .route(
            "/reimposta-password",
            get(pages::reset_form).post(pages::reset),
        )
        .route("/profilo", get(pages::profile).post(pages::update_profile))
        .route("/profilo/token", post(pages::create_token))
        .route("/profilo/token/{id}/revoca", post(pages::revoke_token))
        .route("/profilo/dati", get(pages::download_data))
        .route(
            "/profilo/elimina",
            get(pages::delete_form).post(pages::delete_account),
        )
        .route("/lingua/{code}", get(pages::switch_language))
        .route("/api/v1/me", get(api::me))
        .route("/api/v1/me/data", get(api::my_data))
        .route(
            "/api/v1/me/tokens",
            get(api::tokens).post(api::create_token),
        )
        .route(
            "/api/v1/me/tokens/{id}",
            axum::routing::delete(api::revoke_token),
        )
}
