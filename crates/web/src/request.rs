//! Per-request plumbing shared by all areas: language, anti-forgery token, the signed-in
//! person, security headers, and the extractors that turn bodies into checked input.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use mire_store::accounts::{RoleGrant, User};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, PageError};
use crate::i18n::{Lang, REQUEST_LANG};
use crate::security::{random_token, same_secret, token_hash};
use crate::AppState;

pub const SESSION_COOKIE: &str = "mire_session";
pub const CSRF_COOKIE: &str = "mire_csrf";
pub const LANG_COOKIE: &str = "mire_lang";

/// The person making the request, with every role they hold.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    pub roles: Vec<RoleGrant>,
}

impl Viewer {
    pub fn id(&self) -> i64 {
        self.user.id
    }

    pub fn is_coordinator(&self, alliance_id: i64) -> bool {
        self.has_alliance_role(alliance_id, "coordinator")
    }

    pub fn has_alliance_role(&self, alliance_id: i64, role: &str) -> bool {
        self.roles
            .iter()
            .any(|r| r.alliance_id == Some(alliance_id) && r.role == role)
    }

    /// The role held in this organisation, if any.
    pub fn organization_role(&self, organization_id: i64) -> Option<&str> {
        self.roles
            .iter()
            .find(|r| r.organization_id == Some(organization_id))
            .map(|r| r.role.as_str())
    }

    /// Representatives (any role but plain employee) act for the organisation.
    pub fn represents(&self, organization_id: i64) -> bool {
        self.organization_role(organization_id)
            .is_some_and(|r| r != "worker")
    }
}

/// The anti-forgery token of this browser (double-submit cookie).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Resolves language, CSRF token and viewer once per request and puts them in its extensions.
/// Pages identify people by session cookie; the API only by `Authorization: Bearer`, so a
/// browser's cookies can never be used to call it from another site.
pub async fn identify(
    State(state): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Response {
    // The JSON API, not the human-readable page that documents it (/api/docs).
    let is_api = is_api_path(req.uri().path());
    let lang = if is_api {
        header_str(req.headers(), header::ACCEPT_LANGUAGE).and_then(Lang::from_accept_language)
    } else {
        jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value()))
    }
    .unwrap_or_default();

    let (csrf, new_csrf) = match jar
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 43)
    {
        Some(v) => (v, false),
        None => (random_token(), true),
    };

    let viewer = if is_api {
        match bearer(req.headers()) {
            Some(token) => match state.db.api_token_user(&token_hash(token)).await {
                Ok(Some(user)) => viewer_of(&state, user).await,
                Ok(None) => None,
                Err(e) => return ApiError::from(e).into_response(),
            },
            None => None,
        }
    } else {
        match jar.get(SESSION_COOKIE) {
            Some(c) => match state.db.session_user(&token_hash(c.value())).await {
                Ok(Some(user)) => viewer_of(&state, user).await,
                _ => None,
            },
            None => None,
        }
    };

    req.extensions_mut().insert(lang);
    req.extensions_mut().insert(CsrfToken(csrf.clone()));
    req.extensions_mut().insert(viewer);
    let mut resp = REQUEST_LANG.scope(lang, next.run(req)).await;
    if new_csrf && !is_api {
        let cookie = Cookie::build((CSRF_COOKIE, csrf))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(state.config.secure_cookies)
            .build();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/v1/") || path == "/api/openapi.json"
}

async fn viewer_of(state: &AppState, user: User) -> Option<Viewer> {
    let roles = state.db.roles(user.id).await.ok()?;
    Some(Viewer { user, roles })
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn bearer(h: &HeaderMap) -> Option<&str> {
    header_str(h, header::AUTHORIZATION)?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Headers that make the browser refuse what the portal never does: inline scripts, framing,
/// content sniffing, leaking addresses to other sites.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    let set = |h: &mut HeaderMap, k: &'static str, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(h, "content-security-policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "geolocation=(self), camera=(), microphone=()",
    );
    resp
}

pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a handler panicked");
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// One log span per request: method and path, never query strings (they may hold tokens).
pub fn span(req: &axum::http::Request<Body>) -> tracing::Span {
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
}

/// The signed-in person, if any.
pub struct MaybeViewer(pub Option<Viewer>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeViewer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeViewer(
            parts.extensions.get::<Option<Viewer>>().cloned().flatten(),
        ))
    }
}

/// An API caller with a valid token; 401 otherwise.
pub struct ApiViewer(pub Viewer);

impl<S: Send + Sync> FromRequestParts<S> for ApiViewer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Option<Viewer>>()
            .cloned()
            .flatten()
            .map(ApiViewer)
            .ok_or(ApiError::Unauthenticated)
    }
}

/// A JSON body, with every way it can be wrong answered as a JSON error.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = header_str(req.headers(), header::CONTENT_TYPE)
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            // Well-formed JSON with a wrong type in it is bad data (422), not bad syntax (400).
            if e.is_data() {
                ApiError::field("body", "error-json-type")
            } else {
                ApiError::BadRequest(format!("malformed JSON: {e}"))
            }
        })
    }
}

/// A submitted HTML form whose anti-forgery token matched the browser's cookie.
pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = PageError;
    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        let expected = req
            .extensions()
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| PageError::BadRequest)?;
        let pairs = decode_pairs(&bytes);
        let sent = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or("");
        if expected.is_empty() || !same_secret(sent, &expected) {
            return Err(PageError::Csrf);
        }
        let encode = |pairs: &[(String, String)]| {
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
        };
        serde_urlencoded::from_str(&encode(&pairs))
            .or_else(|_| {
                // A field sent twice (a tampered form) keeps its first value rather than
                // losing everything that was typed.
                let mut seen = std::collections::HashSet::new();
                let first: Vec<_> = pairs
                    .iter()
                    .filter(|(k, _)| seen.insert(k.clone()))
                    .cloned()
                    .collect();
                serde_urlencoded::from_str(&encode(&first))
            })
            .map(Form)
            .map_err(|_| PageError::BadRequest)
    }
}

/// The client address for rate limits: the TCP peer.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Ok(ClientAddr(addr))
    }
}

/// A session cookie for a freshly signed-in person.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time_days(SESSION_DAYS))
        .build()
}

pub const SESSION_DAYS: i64 = 14;

fn time_days(d: i64) -> cookie::time::Duration {
    cookie::time::Duration::days(d)
}

/// Decodes `a=1&b=2`, replacing undecodable bytes and dropping NUL characters: no field of
/// the product can hold one, and PostgreSQL refuses them in text.
fn decode_pairs(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw)
        .map(|(k, v)| (k.replace('\0', ""), v.replace('\0', "")))
        .collect()
}

/// Query-string parameters, read tolerantly: repeated keys keep the first value and
/// undecodable bytes are replaced, so no query string can make a page fail.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The first value given for `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        Ok(Params(decode_pairs(q.as_bytes())))
    }
}
