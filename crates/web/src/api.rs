//! The API's own description: OpenAPI generated from the handlers, served as JSON and as a
//! readable page drawn on the server (no CDN, no script).

use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use crate::pages::Page;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MIRE API",
        description = "MIRE – Milano in Rete: alliance, accounts, proximity. Authenticate with `Authorization: Bearer <token>`; errors are `{\"code\", \"message\"}`."
    ),
    paths(
        crate::accounts::api::me,
        crate::accounts::api::my_data,
        crate::accounts::api::tokens,
        crate::accounts::api::create_token,
        crate::accounts::api::revoke_token,
        crate::alliance::api::list_organizations,
        crate::alliance::api::create_organization,
        crate::alliance::api::organization,
        crate::alliance::api::alliances,
        crate::alliance::api::members,
        crate::alliance::api::requests,
        crate::alliance::api::create_request,
        crate::alliance::api::approve,
        crate::alliance::api::reject,
        crate::coworking::api::search,
        crate::coworking::api::space,
        crate::coworking::api::create_space,
        crate::coworking::api::update_space,
        crate::coworking::api::add_resource,
        crate::coworking::api::availability,
        crate::coworking::api::create_offer,
        crate::coworking::api::pending_offers,
        crate::coworking::api::approve_offer,
        crate::coworking::api::reject_offer,
        crate::coworking::api::purchase_pack,
        crate::coworking::api::assign_credits,
        crate::coworking::api::organization_credits,
        crate::coworking::api::create_booking,
        crate::coworking::api::booking,
        crate::coworking::api::cancel_booking,
        crate::coworking::api::booking_ics,
        crate::coworking::api::check_in,
        crate::coworking::api::leave_waitlist,
        crate::coworking::api::my_bookings,
        crate::coworking::api::space_bookings,
        crate::coworking::api::dashboard,
        crate::coworking::demand::create_demand,
        crate::coworking::demand::list_demands,
        crate::coworking::demand::get_demand,
        crate::coworking::demand::delete_demand,
        crate::coworking::demand::demands_in_reach,
        crate::coworking::demand::create_answer,
        crate::coworking::demand::supply_demand,
        crate::proximity::api::travel_time,
        crate::proximity::api::isochrone,
        crate::proximity::api::nil_accessibility,
        crate::proximity::api::time_regained,
        crate::proximity::commute::get_commute,
        crate::proximity::commute::put_commute,
        crate::proximity::commute::delete_commute,
        crate::proximity::commute::my_time_regained,
        crate::proximity::commute::organization_time_regained,
        crate::proximity::commute::municipi_time_regained,
    )
)]
struct ApiDoc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/openapi.json",
            get(|| async { Json(ApiDoc::openapi()) }),
        )
        .route("/api/docs", get(docs))
        .route("/health", get(health))
}

async fn docs(p: Page) -> Response {
    let doc = ApiDoc::openapi();
    let mut rows = String::new();
    for (path, item) in &doc.paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PUT", &item.put),
        ] {
            if let Some(op) = op {
                let summary = op
                    .summary
                    .clone()
                    .or(op.description.clone())
                    .unwrap_or_default();
                rows.push_str(&format!(
                    "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                    escape(path),
                    escape(&summary)
                ));
            }
        }
    }
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/api/openapi.json\">openapi.json</a></p>\
         <table class=\"table\"><caption class=\"visually-hidden\">{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{rows}</tbody></table>",
        p.t("api-docs-title"),
        p.t("api-docs-lead"),
        p.t("api-docs-title"),
        p.t("api-docs-method"),
        p.t("api-docs-path"),
        p.t("api-docs-summary"),
    );
    Html(crate::pages::wrap(&p, &p.t("api-docs-title"), &body)).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Liveness and database reachability, for load balancers and operators.
async fn health(axum::extract::State(s): axum::extract::State<AppState>) -> Response {
    match s.db.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok", "database": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "error", "database": "unreachable" })),
            )
                .into_response()
        }
    }
}
