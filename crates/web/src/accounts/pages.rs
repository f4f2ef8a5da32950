use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use mire_domain::accounts::{check_new_password, Email, DISPLAY_NAME_MAX};
use mire_domain::{text, Invalid};
use mire_store::accounts::{ApiToken, NewUser};
use serde::Deserialize;

use super::LINK_TTL_SECS;
use crate::error::PageError;
use crate::i18n::Lang;
use crate::mail::Message;
use crate::pages::{render, render_status, FormState, Notice, Page};
use crate::request::{
    session_cookie, ClientAddr, Form, Params, LANG_COOKIE, SESSION_COOKIE, SESSION_DAYS,
};
use crate::security::{decoy_hash, hash_password, random_token, token_hash, verify_password};
use crate::AppState;

/// Runs argon2 on the blocking pool: it takes tens of milliseconds of CPU on purpose.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))
}

/// Only paths on this site are followed after login, never another site's address.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/area-personale"
    }
}

#[derive(Template)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    p: Page,
    form: FormState,
    next: String,
}

pub async fn login_form(p: Page, q: Params) -> Result<Response, PageError> {
    render(&LoginPage {
        p,
        form: FormState::default(),
        next: q.get("next").to_owned(),
    })
}

#[derive(Deserialize)]
pub struct LoginInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(s): State<AppState>,
    p: Page,
    ClientAddr(addr): ClientAddr,
    jar: CookieJar,
    Form(input): Form<LoginInput>,
) -> Result<Response, PageError> {
    let mut errors = Invalid::default();
    if !s.login_limit.allow(&addr) {
        errors.push("email", "error-too-many-attempts");
        let form = FormState::new([("email", input.email)], errors);
        return render_status(
            StatusCode::TOO_MANY_REQUESTS,
            &LoginPage {
                p,
                form,
                next: input.next,
            },
        );
    }
    let email = Email::parse(&input.email)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_default();
    let found = s.db.user_credentials(&email).await?;
    let password = input.password.clone();
    // The same work whether or not the account exists: timing tells nothing.
    let (user, hash) = match found {
        Some((u, h)) => (Some(u), h),
        None => (None, decoy_hash().to_owned()),
    };
    let ok = blocking(move || verify_password(&password, &hash)).await?;
    match user.filter(|_| ok) {
        Some(user) => Ok(sign_in(&s, user.id, jar, safe_next(&input.next)).await?),
        None => {
            errors.push("email", "error-login");
            let form = FormState::new([("email", input.email)], errors);
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &LoginPage {
                    p,
                    form,
                    next: input.next,
                },
            )
        }
    }
}

/// Opens a session (a fresh id, so none planted before login survives) and goes to `to`.
pub async fn sign_in(
    s: &AppState,
    user_id: i64,
    jar: CookieJar,
    to: &str,
) -> Result<Response, PageError> {
    let token = random_token();
    s.db.create_session(&token_hash(&token), user_id, SESSION_DAYS * 86400)
        .await?;
    let jar = jar.add(session_cookie(token, s.config.secure_cookies));
    Ok((jar, Redirect::to(to)).into_response())
}

pub async fn logout(
    State(s): State<AppState>,
    jar: CookieJar,
    Form(_): Form<serde_json::Value>,
) -> Result<Response, PageError> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        s.db.delete_session(&token_hash(c.value())).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/")).into_response())
}

#[derive(Template)]
#[template(path = "accounts/signup.html")]
struct SignupPage {
    p: Page,
    form: FormState,
}

pub async fn signup_form(p: Page) -> Result<Response, PageError> {
    let form = FormState::new([("account_type", "worker".to_owned())], Invalid::default());
    render(&SignupPage { p, form })
}

#[derive(Deserialize)]
pub struct SignupInput {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    account_type: String,
}

/// Creates an unconfirmed account and e-mails a confirmation link. The answer is the same
/// whether or not the address already has an account: its owner gets an e-mail instead.
pub async fn signup(
    State(s): State<AppState>,
    p: Page,
    ClientAddr(addr): ClientAddr,
    Form(input): Form<SignupInput>,
) -> Result<Response, PageError> {
    let mut errors = Invalid::default();
    let name = errors.check(text::required(
        "display_name",
        &input.display_name,
        DISPLAY_NAME_MAX,
    ));
    let email = errors.check(Email::parse(&input.email));
    errors.check(check_new_password("password", &input.password));
    // No choice made (radio buttons send nothing) means the common case: a worker.
    if !matches!(input.account_type.as_str(), "" | "worker" | "organization") {
        errors.push("account_type", "error-choice");
    }
    if errors.is_empty() && !s.signup_limit.allow(&addr) {
        errors.push("email", "error-too-many-attempts");
    }
    if !errors.is_empty() {
        let status = if errors.for_field("email") == Some("error-too-many-attempts") {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let form = FormState::new(
            [
                ("display_name", input.display_name),
                ("email", input.email),
                ("account_type", input.account_type),
            ],
            errors,
        );
        return render_status(status, &SignupPage { p, form });
    }
    let (name, email) = (name.unwrap_or_default(), email.expect("validated"));
    signup_mail(&s, p.lang, &name, email.as_str(), input.password).await?;
    render(&Notice {
        title: p.t("signup-sent-title"),
        body: p.t1("signup-sent-body", "email", email.as_str()),
        link: None,
        p,
    })
}

/// Registers `email` (or, if taken, warns its owner) and sends the right e-mail.
pub async fn signup_mail(
    s: &AppState,
    lang: Lang,
    name: &str,
    email: &str,
    password: String,
) -> Result<(), PageError> {
    let hash = blocking(move || hash_password(&password)).await?;
    let new = NewUser {
        email,
        password_hash: &hash,
        display_name: name,
        locale: lang.code(),
        is_demo: false,
        verified: false,
    };
    let t = |id: &str| crate::I18N.t(lang, id, &[]);
    let base = s.config.base_url();
    let message = match s.db.create_user(&new).await {
        Ok(user_id) => {
            let token = random_token();
            s.db.create_email_token(user_id, "verify", &token_hash(&token), LINK_TTL_SECS)
                .await?;
            Message {
                to: email.to_owned(),
                subject: t("mail-verify-subject"),
                body: format!(
                    "{}\n\n{base}/conferma-email?token={token}\n\n{}",
                    t("mail-verify-body"),
                    t("mail-signature")
                ),
            }
        }
        Err(mire_store::StoreError::Conflict(_)) => Message {
            to: email.to_owned(),
            subject: t("mail-exists-subject"),
            body: format!(
                "{}\n\n{base}/accedi\n{base}/password-dimenticata\n\n{}",
                t("mail-exists-body"),
                t("mail-signature")
            ),
        },
        Err(e) => return Err(e.into()),
    };
    s.mailer.send(message).await;
    Ok(())
}

pub async fn confirm_email(
    State(s): State<AppState>,
    p: Page,
    jar: CookieJar,
    q: Params,
) -> Result<Response, PageError> {
    match s
        .db
        .consume_email_token(&token_hash(q.get("token")), "verify")
        .await?
    {
        Some(user_id) => sign_in(&s, user_id, jar, "/area-personale?benvenuto=1").await,
        None => render_status(
            StatusCode::BAD_REQUEST,
            &Notice {
                title: p.t("link-invalid-title"),
                body: p.t("link-invalid-body"),
                link: Some(("/accedi".into(), p.t("nav-login"))),
                p,
            },
        ),
    }
}

#[derive(Template)]
#[template(path = "accounts/forgot.html")]
struct ForgotPage {
    p: Page,
    form: FormState,
}

pub async fn forgot_form(p: Page) -> Result<Response, PageError> {
    render(&ForgotPage {
        p,
        form: FormState::default(),
    })
}

#[derive(Deserialize)]
pub struct ForgotInput {
    #[serde(default)]
    email: String,
}

/// Sends a reset link if the address has an account; says the same either way.
pub async fn forgot(
    State(s): State<AppState>,
    p: Page,
    ClientAddr(addr): ClientAddr,
    Form(input): Form<ForgotInput>,
) -> Result<Response, PageError> {
    let email = match Email::parse(&input.email) {
        Ok(e) => e,
        Err(e) => {
            let form = FormState::new([("email", input.email)], Invalid(vec![e]));
            return render_status(StatusCode::UNPROCESSABLE_ENTITY, &ForgotPage { p, form });
        }
    };
    if !s.login_limit.allow(&addr) {
        return Err(PageError::TooManyRequests);
    }
    if let Some(user_id) = s.db.user_id_by_email(email.as_str()).await? {
        let token = random_token();
        s.db.create_email_token(user_id, "reset", &token_hash(&token), 3600)
            .await?;
        let base = s.config.base_url();
        s.mailer
            .send(Message {
                to: email.as_str().to_owned(),
                subject: p.t("mail-reset-subject"),
                body: format!(
                    "{}\n\n{base}/reimposta-password?token={token}\n\n{}",
                    p.t("mail-reset-body"),
                    p.t("mail-signature")
                ),
            })
            .await;
    }
    render(&Notice {
        title: p.t("forgot-sent-title"),
        body: p.t1("forgot-sent-body", "email", email.as_str()),
        link: None,
        p,
    })
}

#[derive(Template)]
#[template(path = "accounts/reset.html")]
struct ResetPage {
    p: Page,
    form: FormState,
    token: String,
}

pub async fn reset_form(p: Page, q: Params) -> Result<Response, PageError> {
    render(&ResetPage {
        p,
        form: FormState::default(),
        token: q.get("token").to_owned(),
    })
}

#[derive(Deserialize)]
pub struct ResetInput {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub async fn reset(
    State(s): State<AppState>,
    p: Page,
    Form(input): Form<ResetInput>,
) -> Result<Response, PageError> {
    if let Err(e) = check_new_password("password", &input.password) {
        let form = FormState::new([], Invalid(vec![e]));
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ResetPage {
                p,
                form,
                token: input.token,
            },
        );
    }
    let Some(user_id) =
        s.db.consume_email_token(&token_hash(&input.token), "reset")
            .await?
    else {
        return render_status(
            StatusCode::BAD_REQUEST,
            &Notice {
                title: p.t("link-invalid-title"),
                body: p.t("link-invalid-body"),
                link: None,
                p,
            },
        );
    };
    let password = input.password;
    let hash = blocking(move || hash_password(&password)).await?;
    s.db.set_password(user_id, &hash).await?;
    render(&Notice {
        title: p.t("reset-done-title"),
        body: p.t("reset-done-body"),
        link: Some(("/accedi".into(), p.t("nav-login"))),
        p,
    })
}

#[derive(Template)]
#[template(path = "accounts/profile.html")]
struct ProfilePage {
    p: Page,
    form: FormState,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
    saved: bool,
}

async fn profile_page(
    s: &AppState,
    p: Page,
    form: Option<FormState>,
    new_token: Option<String>,
    saved: bool,
) -> Result<ProfilePage, PageError> {
    let v = p.require()?;
    let tokens = s.db.api_tokens(v.id()).await?;
    let form = form.unwrap_or_else(|| {
        FormState::new(
            [
                ("display_name", v.user.display_name.clone()),
                ("locale", v.user.locale.clone()),
            ],
            Invalid::default(),
        )
    });
    Ok(ProfilePage {
        p,
        form,
        tokens,
        new_token,
        saved,
    })
}

pub async fn profile(State(s): State<AppState>, p: Page) -> Result<Response, PageError> {
    render(&profile_page(&s, p, None, None, false).await?)
}

#[derive(Deserialize)]
pub struct ProfileInput {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    locale: String,
}

pub async fn update_profile(
    State(s): State<AppState>,
    p: Page,
    jar: CookieJar,
    Form(input): Form<ProfileInput>,
) -> Result<Response, PageError> {
    let id = p.require()?.id();
    let mut errors = Invalid::default();
    let name = errors.check(text::required(
        "display_name",
        &input.display_name,
        DISPLAY_NAME_MAX,
    ));
    let lang = Lang::parse(&input.locale);
    if lang.is_none() {
        errors.push("locale", "error-choice");
    }
    if !errors.is_empty() {
        let form = FormState::new(
            [
                ("display_name", input.display_name),
                ("locale", input.locale),
            ],
            errors,
        );
        let page = profile_page(&s, p, Some(form), None, false).await?;
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let lang = lang.unwrap_or_default();
    s.db.update_profile(id, &name.unwrap_or_default(), lang.code())
        .await?;
    let jar = jar.add(lang_cookie(lang));
    Ok((jar, Redirect::to("/profilo?salvato=1")).into_response())
}

#[derive(Deserialize)]
pub struct TokenInput {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(s): State<AppState>,
    p: Page,
    Form(input): Form<TokenInput>,
) -> Result<Response, PageError> {
    let id = p.require()?.id();
    match text::required("token_name", &input.name, 80) {
        Ok(name) => {
            let (_, token) = super::api::issue_token(&s, id, &name).await?;
            render(&profile_page(&s, p, None, Some(token), false).await?)
        }
        Err(e) => {
            let page = profile_page(&s, p, None, None, false).await?;
            let form = FormState {
                errors: Invalid(vec![e]),
                ..page.form
            };
            render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ProfilePage { form, ..page },
            )
        }
    }
}

pub async fn revoke_token(
    State(s): State<AppState>,
    p: Page,
    Path(token_id): Path<String>,
    Form(_): Form<serde_json::Value>,
) -> Result<Response, PageError> {
    let id = p.require()?.id();
    let token_id: i64 = token_id.parse().map_err(|_| PageError::NotFound)?;
    s.db.revoke_api_token(id, token_id).await?;
    Ok(Redirect::to("/profilo").into_response())
}

pub async fn download_data(State(s): State<AppState>, p: Page) -> Result<Response, PageError> {
    let id = p.require()?.id();
    let data = s.db.export_user_data(id).await?;
    let body =
        serde_json::to_string_pretty(&data).map_err(|e| PageError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"mire-my-data.json\"",
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "accounts/delete.html")]
struct DeletePage {
    p: Page,
    form: FormState,
}

pub async fn delete_form(p: Page) -> Result<Response, PageError> {
    p.require()?;
    render(&DeletePage {
        p,
        form: FormState::default(),
    })
}

#[derive(Deserialize)]
pub struct DeleteInput {
    #[serde(default)]
    password: String,
}

/// Erases the account after the password is confirmed, then ends the session.
pub async fn delete_account(
    State(s): State<AppState>,
    p: Page,
    jar: CookieJar,
    Form(input): Form<DeleteInput>,
) -> Result<Response, PageError> {
    let v = p.require()?;
    let email = v.user.email.clone().unwrap_or_default();
    let id = v.id();
    let hash =
        s.db.user_credentials(&email)
            .await?
            .map(|(_, h)| h)
            .unwrap_or_else(|| decoy_hash().to_owned());
    let password = input.password;
    if !blocking(move || verify_password(&password, &hash)).await? {
        let form = FormState::new(
            [],
            Invalid(vec![mire_domain::FieldError::new(
                "password",
                "error-password-wrong",
            )]),
        );
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &DeletePage { p, form });
    }
    s.db.delete_user(id).await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    let page = Notice {
        title: p.t("deleted-title"),
        body: p.t("deleted-body"),
        link: None,
        p: Page { viewer: None, ..p },
    };
    Ok((jar, render(&page)?).into_response())
}

fn lang_cookie(lang: Lang) -> Cookie<'static> {
    Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .max_age(cookie::time::Duration::days(365))
        .same_site(axum_extra::extract::cookie::SameSite::Lax)
        .build()
}

/// Remembers the language in a cookie and goes back to the page the person was on.
pub async fn switch_language(Path(code): Path<String>, q: Params, jar: CookieJar) -> Response {
    let lang = Lang::parse(&code).unwrap_or_default();
    let to = if q.get("next").is_empty() {
        "/"
    } else {
        safe_next(q.get("next"))
    };
    (jar.add(lang_cookie(lang)), Redirect::to(to)).into_response()
}
