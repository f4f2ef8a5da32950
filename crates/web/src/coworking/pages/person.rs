//! A person's own coworking: a booking's confirmation and calendar file, "my bookings" with
//! history, waitlist places and credits, cancelling and leaving the waitlist.

use super::*;

pub struct BookingView {
    pub id: i64,
    pub space_id: i64,
    pub space_name: String,
    pub address: String,
    pub resource: String,
    pub date: String,
    pub period: String,
    pub price: String,
    pub pricing: String,
    pub status: String,
    pub cancellable: bool,
    pub deadline: String,
    pub active: bool,
}

async fn booking_view(
    s: &AppState,
    p: &Page,
    b: &Booking,
    spaces: &mut HashMap<i64, Space>,
) -> Result<BookingView, PageError> {
    let space = match spaces.entry(b.space_id) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => e.insert(s.db.space(b.space_id).await?),
    };
    let (deadline, cancellable) = start_and_deadline(b, space)
        .map(|(d, c)| (datetime_text(p.lang, d), c))
        .unwrap_or_default();
    Ok(BookingView {
        id: b.id,
        space_id: b.space_id,
        space_name: b.space_name.clone(),
        address: b.space_address.clone(),
        resource: b.resource_name.clone(),
        date: date_text(p.lang, &b.date),
        period: period_text(p, &b.period, b.hour),
        price: money(p.lang, b.price_cents),
        pricing: p.label("pricing", &b.pricing),
        status: p.label("booking-status", &b.status),
        cancellable,
        deadline,
        active: b.status == "confirmed",
    })
}

#[derive(Template)]
#[template(path = "coworking/booking.html")]
struct BookingPage {
    p: Page,
    b: BookingView,
    just_booked: bool,
}

/// The viewer's own booking; anyone else's is "not found", so ids reveal nothing.
async fn own_booking(s: &AppState, v: &Viewer, raw: &str) -> Result<Booking, PageError> {
    let b = s.db.booking(page_id(raw)?).await?;
    if b.user_id != v.id() {
        return Err(PageError::NotFound);
    }
    Ok(b)
}

pub async fn booking(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let b = own_booking(&s, &v, &id).await?;
    let view = booking_view(&s, &p, &b, &mut HashMap::new()).await?;
    render(&BookingPage {
        p,
        b: view,
        just_booked: q.get("nuova") == "1",
    })
}

pub async fn booking_ics(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let b = own_booking(&s, &v, &id).await?;
    let space = s.db.space(b.space_id).await?;
    let body = crate::coworking::ics(&b, &space, &s.config.base_url());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"prenotazione-{}.ics\"", b.id),
            ),
        ],
        body,
    )
        .into_response())
}

pub struct WaitView {
    pub id: i64,
    pub space_id: i64,
    pub space_name: String,
    pub resource: String,
    pub date: String,
    pub period: String,
    pub position: i64,
}

pub struct CreditView {
    pub space_id: i64,
    pub space_name: String,
    pub until: String,
    pub available: i64,
}

#[derive(Template)]
#[template(path = "coworking/my_bookings.html")]
struct MyBookingsPage {
    p: Page,
    upcoming: Vec<BookingView>,
    history: Vec<BookingView>,
    waitlist: Vec<WaitView>,
    credits: Vec<CreditView>,
    notice: String,
    tools: Vec<(String, String)>,
}

pub async fn my_bookings(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let (up, past) = s.db.bookings_of_user(v.id(), 100).await?;
    let mut spaces = HashMap::new();
    let mut upcoming = vec![];
    for b in &up {
        upcoming.push(booking_view(&s, &p, b, &mut spaces).await?);
    }
    let mut history = vec![];
    for b in &past {
        history.push(booking_view(&s, &p, b, &mut spaces).await?);
    }
    let waitlist =
        s.db.waitlist_of_user(v.id())
            .await?
            .into_iter()
            .map(|w| WaitView {
                period: period_text(&p, &w.period, Some(w.hour)),
                date: date_text(p.lang, &w.date),
                id: w.id,
                space_id: w.space_id,
                space_name: w.space_name,
                resource: w.resource_name,
                position: w.position,
            })
            .collect();
    let credits =
        s.db.credits_of_user(v.id())
            .await?
            .into_iter()
            .map(|c| CreditView {
                until: date_text(p.lang, &c.valid_until),
                space_id: c.space_id,
                space_name: c.space_name,
                available: c.available,
            })
            .collect();
    let notice = match () {
        _ if q.get("annullata") == "1" => p.t("cw-notice-cancelled"),
        _ if q.get("attesa") == "1" => p.t("cw-notice-waitlisted"),
        _ if q.get("uscito") == "1" => p.t("cw-notice-left"),
        _ => String::new(),
    };
    render(&MyBookingsPage {
        tools: tools(&p),
        p,
        upcoming,
        history,
        waitlist,
        credits,
        notice,
    })
}

pub async fn cancel(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let booking_id = page_id(&id)?;
    match crate::coworking::cancel(&s, &v, booking_id).await {
        Ok(_) => Ok(Redirect::to("/coworking/prenotazioni?annullata=1").into_response()),
        Err(Failure::Conflict(code)) => {
            let body = if code == "too_late" {
                p.t("cw-too-late-body")
            } else {
                p.t("cw-not-active-body")
            };
            let title = p.t("cw-cancel-refused");
            let link = Some(("/coworking/prenotazioni".to_owned(), p.t("cw-my-bookings")));
            render_status(
                StatusCode::CONFLICT,
                &Notice {
                    p,
                    title,
                    body,
                    link,
                },
            )
        }
        Err(f) => Err(PageError::from(f)),
    }
}

pub async fn leave_waitlist(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    s.db.leave_waitlist(page_id(&id)?, v.id()).await?;
    Ok(Redirect::to("/coworking/prenotazioni?uscito=1").into_response())
}
