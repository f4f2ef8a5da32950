//! What every page shares: the context a template needs (language, viewer, anti-forgery
//! token), form state that keeps what was typed, and the error pages.

use std::collections::HashMap;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use fluent_bundle::FluentValue;
use mire_domain::Invalid;

use crate::error::PageError;
use crate::i18n::{request_lang, Lang};
use crate::request::{CsrfToken, Viewer};
use crate::I18N;

/// The context of one page view.
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    pub viewer: Option<Viewer>,
    pub csrf: String,
    /// Path and query of this page, to come back to after switching language.
    pub here: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Page {
            lang: parts.extensions.get::<Lang>().copied().unwrap_or_default(),
            viewer: parts.extensions.get::<Option<Viewer>>().cloned().flatten(),
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        })
    }
}

impl Page {
    /// Translates a message id.
    pub fn t(&self, id: &str) -> String {
        I18N.t(self.lang, id, &[])
    }

    /// Translates a message id with one argument.
    pub fn t1(&self, id: &str, name: &str, value: impl std::fmt::Display) -> String {
        let v = value.to_string();
        let arg = match v.parse::<f64>() {
            Ok(n) => FluentValue::from(n),
            Err(_) => FluentValue::from(v),
        };
        I18N.t(self.lang, id, &[(name, arg)])
    }

    /// The label of a form field, for error summaries.
    pub fn field_label(&self, field: &str) -> String {
        self.t(&format!("field-{}", field.replace('_', "-")))
    }

    /// Picks the Italian or English version of a text stored in both.
    pub fn pick<'a>(&self, it: &'a str, en: &'a str) -> &'a str {
        self.lang.pick(it, en)
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn other_code(&self) -> &'static str {
        self.lang.other().code()
    }

    pub fn switch_href(&self) -> String {
        let next: String = form_urlencoded::byte_serialize(self.here.as_bytes()).collect();
        format!("/lingua/{}?next={next}", self.other_code())
    }

    /// The signed-in person, or a detour through the login page.
    pub fn require(&self) -> Result<&Viewer, PageError> {
        self.viewer
            .as_ref()
            .ok_or_else(|| PageError::SignIn(self.here.clone()))
    }

    pub fn signed_in(&self) -> bool {
        self.viewer.is_some()
    }

    pub fn name(&self) -> &str {
        self.viewer
            .as_ref()
            .map(|v| v.user.display_name.as_str())
            .unwrap_or("")
    }

    pub fn is_coordinator(&self) -> bool {
        self.viewer
            .as_ref()
            .is_some_and(|v| v.roles.iter().any(|r| r.role == "coordinator"))
    }

    /// `aria-current` for the navigation link of the section the page belongs to.
    pub fn current(&self, prefix: &str) -> &'static str {
        let path = self.here.split('?').next().unwrap_or("");
        let on = if prefix == "/" {
            path == "/"
        } else {
            path.starts_with(prefix)
        };
        if on {
            "page"
        } else {
            "false"
        }
    }

    /// Kind, role and size identifiers shown in words.
    pub fn label(&self, prefix: &str, id: &str) -> String {
        self.t(&format!("{prefix}-{}", id.replace('_', "-")))
    }

    pub fn date(&self, epoch: &i64) -> String {
        chrono::DateTime::from_timestamp(*epoch, 0)
            .map(|d| match self.lang {
                Lang::It => d.format("%d/%m/%Y").to_string(),
                Lang::En => d.format("%d %b %Y").to_string(),
            })
            .unwrap_or_default()
    }
}

/// What was typed in a form and what was wrong with it, so a refused form comes back
/// filled in, with a summary on top and a message by each field.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    pub values: HashMap<String, String>,
    pub errors: Invalid,
}

impl FormState {
    pub fn new(values: impl IntoIterator<Item = (&'static str, String)>, errors: Invalid) -> Self {
        Self {
            values: values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            errors,
        }
    }

    pub fn v(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or("")
    }

    pub fn e(&self, field: &str) -> Option<&'static str> {
        self.errors.for_field(field)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn selected(&self, field: &str, value: &str) -> bool {
        self.v(field) == value
    }
}

/// Renders a template into a response, 200 or the status given.
pub fn render(t: &impl Template) -> Result<Response, PageError> {
    Ok(Html(t.render()?).into_response())
}

pub fn render_status(status: StatusCode, t: &impl Template) -> Result<Response, PageError> {
    Ok((status, Html(t.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    p: Page,
    message: String,
}

/// A self-contained error page in the request's language.
pub fn error_page(key: &str) -> String {
    let p = Page {
        lang: request_lang(),
        viewer: None,
        csrf: String::new(),
        here: "/".into(),
    };
    let message = p.t(key);
    ErrorPage { p, message }
        .render()
        .unwrap_or_else(|_| "error".into())
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    if crate::request::is_api_path(uri.path()) {
        return crate::error::ApiError::NotFound.into_response();
    }
    PageError::NotFound.into_response()
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct Notice {
    pub p: Page,
    pub title: String,
    pub body: String,
    pub link: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "raw.html")]
struct RawPage<'a> {
    p: &'a Page,
    title: &'a str,
    body: &'a str,
}

/// Puts trusted, already-escaped HTML inside the site layout.
pub fn wrap(p: &Page, title: &str, body: &str) -> String {
    RawPage { p, title, body }.render().unwrap_or_default()
}
