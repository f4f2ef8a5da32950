//! The operator's day: today's bookings with check-in, and the dashboard of occupancy and
//! revenue per day and week, with its chart and CSV export.

use super::operator::managed;
use super::*;

pub struct DayBooking {
    pub id: i64,
    pub resource: String,
    pub period: String,
    pub person: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "coworking/today.html")]
struct TodayPage {
    p: Page,
    space: Space,
    date: String,
    bookings: Vec<DayBooking>,
}

pub async fn today(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let date = mire_store::coworking::today();
    let mut bookings = vec![];
    for b in s.db.space_bookings(space.id, date).await? {
        let person =
            s.db.user(b.user_id)
                .await
                .map(|u| u.display_name)
                .unwrap_or_default();
        bookings.push(DayBooking {
            id: b.id,
            resource: b.resource_name.clone(),
            period: period_text(&p, &b.period, b.hour),
            person,
            status: p.label("booking-status", &b.status),
        });
    }
    render(&TodayPage {
        date: date_text(p.lang, &rules::iso(date)),
        p,
        space,
        bookings,
    })
}

#[derive(serde::Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    status: String,
}

pub async fn check_in(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<CheckInForm>,
) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let b = s.db.booking(page_id(&id)?).await?;
    let space = s.db.space(b.space_id).await?;
    if !may_manage(&v, &space) {
        return Err(PageError::Forbidden);
    }
    let status = CheckIn::parse(f.status.trim()).ok_or(PageError::BadRequest)?;
    match s.db.check_in(b.id, status, v.id()).await {
        Ok(()) | Err(DecisionError::AlreadyDecided) => {}
        Err(DecisionError::NotFound) => return Err(PageError::NotFound),
        Err(DecisionError::Store(e)) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!("/coworking/gestione/spazi/{}/oggi", space.id)).into_response())
}

pub struct DayRow {
    pub date: String,
    pub bookings: i64,
    pub attended: i64,
    pub no_show: i64,
    pub occupancy: String,
    pub list: String,
    pub revenue: String,
}

#[derive(Template)]
#[template(path = "coworking/dashboard.html")]
struct DashboardPage {
    p: Page,
    space: Space,
    form: FormState,
    days: Vec<DayRow>,
    weeks: Vec<DayRow>,
    totals: DayRow,
    chart: String,
    csv_href: String,
}

fn percent_text(lang: Lang, v: f64) -> String {
    let t = format!("{v:.1} %");
    match lang {
        Lang::It => t.replace('.', ","),
        Lang::En => t,
    }
}

fn row(lang: Lang, label: String, days: &[&DashboardDay]) -> DayRow {
    let n = days.len().max(1) as f64;
    DayRow {
        date: label,
        bookings: days.iter().map(|d| d.bookings).sum(),
        attended: days.iter().map(|d| d.attended).sum(),
        no_show: days.iter().map(|d| d.no_show).sum(),
        occupancy: percent_text(
            lang,
            days.iter().map(|d| d.occupancy_percent).sum::<f64>() / n,
        ),
        list: money(lang, days.iter().map(|d| d.revenue_list_cents).sum()),
        revenue: money(lang, days.iter().map(|d| d.revenue_cents).sum()),
    }
}

/// Occupancy per day as an SVG bar chart; the table next to it carries the same numbers.
fn occupancy_chart(p: &Page, days: &[DashboardDay]) -> String {
    let (w, h, top, bottom, left) = (640.0, 220.0, 10.0, 30.0, 36.0);
    let plot_h = h - top - bottom;
    let n = days.len().max(1) as f64;
    let bw = (w - left - 10.0) / n;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\">\
         <title id=\"chart-title\">{}</title><desc id=\"chart-desc\">{}</desc>",
        askama_escape(&p.t("cw-chart-title")),
        askama_escape(&p.t("cw-chart-desc")),
    );
    for pct in [0, 50, 100] {
        let y = top + plot_h * (1.0 - f64::from(pct) / 100.0);
        svg.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"chart-grid\"/>\
             <text x=\"{}\" y=\"{:.1}\" class=\"chart-label\" text-anchor=\"end\">{pct}%</text>",
            w - 10.0,
            left - 4.0,
            y + 4.0
        ));
    }
    for (i, d) in days.iter().enumerate() {
        let v = d.occupancy_percent.clamp(0.0, 100.0);
        let bh = plot_h * v / 100.0;
        let x = left + bw * i as f64 + bw * 0.15;
        svg.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" class=\"chart-bar\"><title>{}: {}</title></rect>",
            top + plot_h - bh,
            (bw * 0.7).max(1.0),
            askama_escape(&date_text(p.lang, &d.date)),
            percent_text(p.lang, v)
        ));
        if i % 7 == 0 {
            svg.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\" class=\"chart-label\">{}</text>",
                h - 10.0,
                askama_escape(&d.date[5..])
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

fn askama_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn dashboard_range(q: &Params, e: &mut Invalid) -> (NaiveDate, NaiveDate) {
    let today = mire_store::coworking::today();
    let read = |name: &'static str, e: &mut Invalid| match q.get(name).trim() {
        "" => None,
        v => e.check(rules::parse_date(name, v)),
    };
    let to = read("date_to", e).unwrap_or(today + Duration::days(7));
    let from = read("date_from", e).unwrap_or(to - Duration::days(34));
    if from > to {
        e.push("date_from", "error-date-order");
    } else if (to - from).num_days() > 366 {
        e.push("date_to", "error-date-range");
    }
    if e.is_empty() {
        (from, to)
    } else {
        (today - Duration::days(27), today + Duration::days(7))
    }
}

pub async fn dashboard(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let mut e = Invalid::default();
    let (from, to) = dashboard_range(&q, &mut e);
    let days = s.db.dashboard(space.id, from, to).await?;
    if q.get("format") == "csv" && e.is_empty() {
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"coworking-{}-{}-{}.csv\"",
                        space.id,
                        rules::iso(from),
                        rules::iso(to)
                    ),
                ),
            ],
            crate::coworking::dashboard_csv(&days),
        )
            .into_response());
    }
    let lang = p.lang;
    let rows = days
        .iter()
        .map(|d| row(lang, date_text(lang, &d.date), &[d]))
        .collect();
    let mut weeks: Vec<DayRow> = vec![];
    let mut current: Vec<&DashboardDay> = vec![];
    let mut week_key: Option<chrono::IsoWeek> = None;
    for d in &days {
        let date = rules::parse_date("date", &d.date).unwrap_or(from);
        let key = date.iso_week();
        if week_key.is_some_and(|k| k != key) {
            let w = week_key.expect("set");
            weeks.push(row(
                lang,
                p.t1("cw-week", "week", format!("{}/{}", w.week(), w.year())),
                &current,
            ));
            current.clear();
        }
        week_key = Some(key);
        current.push(d);
    }
    if let Some(w) = week_key {
        weeks.push(row(
            lang,
            p.t1("cw-week", "week", format!("{}/{}", w.week(), w.year())),
            &current,
        ));
    }
    let all_days: Vec<&DashboardDay> = days.iter().collect();
    let totals = row(lang, p.t("cw-total"), &all_days);
    let chart = occupancy_chart(&p, &days);
    let csv_href = format!(
        "/coworking/gestione/spazi/{}/cruscotto?date_from={}&date_to={}&format=csv",
        space.id,
        rules::iso(from),
        rules::iso(to)
    );
    let status = if e.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = FormState::new(
        [
            (
                "date_from",
                if e.is_empty() {
                    rules::iso(from)
                } else {
                    q.get("date_from").to_owned()
                },
            ),
            (
                "date_to",
                if e.is_empty() {
                    rules::iso(to)
                } else {
                    q.get("date_to").to_owned()
                },
            ),
        ],
        e,
    );
    render_status(
        status,
        &DashboardPage {
            p,
            space,
            form,
            days: rows,
            weeks,
            totals,
            chart,
            csv_href,
        },
    )
}
