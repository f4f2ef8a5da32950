use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use mire_domain::text;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::request::{ApiJson, ApiViewer};
use crate::security::{random_token, token_hash};
use crate::AppState;

/// The caller and every role they hold.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, description = "The caller"), (status = 401)))]
pub async fn me(ApiViewer(v): ApiViewer) -> Json<Value> {
    Json(json!({
        "id": v.user.id,
        "email": v.user.email,
        "display_name": v.user.display_name,
        "locale": v.user.locale,
        "roles": v.roles,
    }))
}

/// Everything the platform holds about the caller.
#[utoipa::path(get, path = "/api/v1/me/data", tag = "accounts", responses((status = 200)))]
pub async fn my_data(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(s.db.export_user_data(v.id()).await?))
}

#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "accounts", responses((status = 200)))]
pub async fn tokens(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "items": s.db.api_tokens(v.id()).await? })))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    #[serde(default)]
    name: String,
}

/// Creates a personal API token; its value is shown only in this answer.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "accounts", request_body = NewToken, responses((status = 201)))]
pub async fn create_token(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<impl IntoResponse, ApiError> {
    let name =
        text::required("name", &body.name, 80).map_err(|e| ApiError::field(e.field, e.message))?;
    let (id, token) = issue_token(&s, v.id(), &name).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "name": name, "token": token })),
    ))
}

#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "accounts", responses((status = 204), (status = 404)))]
pub async fn revoke_token(
    State(s): State<AppState>,
    ApiViewer(v): ApiViewer,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    s.db.revoke_api_token(v.id(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a token, keeps its hash, returns its id and the one copy of its value.
pub async fn issue_token(
    s: &AppState,
    user_id: i64,
    name: &str,
) -> Result<(i64, String), mire_store::StoreError> {
    let token = format!("mire_{}", random_token());
    let id =
        s.db.create_api_token(user_id, name, &token_hash(&token), &token[..12])
            .await?;
    Ok((id, token))
}
