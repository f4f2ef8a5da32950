//! The two ways a request fails: as JSON for the API, as a page for people. Internal errors
//! are logged with their cause and shown only as a generic message.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use mire_domain::Invalid;
use mire_store::StoreError;
use serde_json::json;

use crate::i18n::request_lang;
use crate::I18N;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthenticated,
    Forbidden,
    NotFound,
    /// A stable code such as `tax_code_taken`, `already_pending`, `not_pending`.
    Conflict(&'static str),
    UnsupportedMediaType,
    PayloadTooLarge,
    Invalid(Invalid),
    TooManyRequests,
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(code) => (StatusCode::CONFLICT, code),
            ApiError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ApiError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// A single-field validation error.
    pub fn field(field: &'static str, message: &'static str) -> ApiError {
        let mut i = Invalid::default();
        i.push(field, message);
        ApiError::Invalid(i)
    }
}

/// The id of a record named in a path: a positive integer, else the record does not exist.
pub fn record_id(raw: &str) -> Option<i64> {
    raw.parse::<i64>().ok().filter(|id| *id > 0)
}

/// A path id for the API: anything but a positive integer is an unknown record (404).
pub fn api_id(raw: &str) -> Result<i64, ApiError> {
    record_id(raw).ok_or(ApiError::NotFound)
}

/// A path id for a page: anything but a positive integer is an unknown record (404).
pub fn page_id(raw: &str) -> Result<i64, PageError> {
    record_id(raw).ok_or(PageError::NotFound)
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(_) => ApiError::Conflict("conflict"),
            StoreError::Database(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let lang = request_lang();
        let (status, code) = self.parts();
        let mut body = json!({ "code": code, "message": I18N.t(lang, &format!("api-{}", code.replace('_', "-")), &[]) });
        match &self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::BadRequest(detail) => body["detail"] = json!(detail),
            ApiError::Invalid(invalid) => {
                body["fields"] = invalid
                    .0
                    .iter()
                    .map(|e| json!({ "field": e.field, "message": I18N.t(lang, e.message, &[]) }))
                    .collect();
            }
            _ => {}
        }
        if body["message"] == json!(format!("api-{}", code.replace('_', "-"))) {
            body["message"] = json!(I18N.t(lang, "api-conflict", &[]));
        }
        (status, Json(body)).into_response()
    }
}

/// A page that could not be shown.
#[derive(Debug)]
pub enum PageError {
    NotFound,
    Forbidden,
    /// The form's anti-forgery token was missing or stale.
    Csrf,
    TooManyRequests,
    BadRequest,
    /// The page needs a signed-in person: go to the login page, then come back here.
    SignIn(String),
    Internal(String),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PageError::NotFound,
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(e.to_string())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, key) = match &self {
            PageError::SignIn(next) => {
                let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
                return axum::response::Redirect::to(&format!("/accedi?next={next}"))
                    .into_response();
            }
            PageError::NotFound => (StatusCode::NOT_FOUND, "error-page-not-found"),
            PageError::Forbidden => (StatusCode::FORBIDDEN, "error-page-forbidden"),
            PageError::Csrf => (StatusCode::FORBIDDEN, "error-page-csrf"),
            PageError::TooManyRequests => (StatusCode::TOO_MANY_REQUESTS, "error-page-too-many"),
            PageError::BadRequest => (StatusCode::BAD_REQUEST, "error-page-bad-request"),
            PageError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-page-internal")
            }
        };
        (status, Html(crate::pages::error_page(key))).into_response()
    }
}
