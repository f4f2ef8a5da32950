//! The operator's spaces: the list of spaces it manages, creating and editing a space, its
//! resources and its offers to alliance members.

use super::*;

#[derive(Template)]
#[template(path = "coworking/manage.html")]
struct ManagePage {
    p: Page,
    operators: Vec<(Organization, Vec<Space>)>,
}

/// The coworking operators the viewer represents.
async fn operators_of(s: &AppState, v: &Viewer) -> Result<Vec<Organization>, PageError> {
    Ok(s.db
        .organizations_of(v.id())
        .await?
        .into_iter()
        .map(|(o, _)| o)
        .filter(|o| o.kind == OrgKind::CoworkingOperator.as_str() && v.represents(o.id))
        .collect())
}

pub async fn manage(State(s): State<AppState>, p: Page) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let mut operators = vec![];
    for org in operators_of(&s, &v).await? {
        let spaces = s.db.spaces_of_organization(org.id).await?;
        operators.push((org, spaces));
    }
    render(&ManagePage { p, operators })
}

/// A space the viewer runs; 403 for anyone else.
pub(super) async fn managed(s: &AppState, p: &Page, raw: &str) -> Result<Space, PageError> {
    let v = p.require()?;
    let space = s.db.space(page_id(raw)?).await?;
    if !may_manage(v, &space) {
        return Err(PageError::Forbidden);
    }
    Ok(space)
}

#[derive(Template)]
#[template(path = "coworking/space_form.html")]
struct SpaceFormPage {
    p: Page,
    form: FormState,
    /// `/coworking/gestione/spazi/nuovo?org=N` or `/coworking/gestione/spazi/N/modifica`.
    action: String,
    title: String,
    org_name: String,
    weekdays: Vec<(String, String)>,
    amenities: Vec<Choice>,
}

fn space_form_page(
    p: Page,
    form: FormState,
    action: String,
    title: String,
    org_name: String,
    chosen: &[String],
) -> SpaceFormPage {
    let weekdays = WEEKDAY_KEYS
        .iter()
        .map(|k| (format!("hours_{k}"), p.t(&format!("weekday-{k}"))))
        .collect();
    let amenities = Amenity::ALL
        .iter()
        .map(|a| Choice {
            value: a.as_str().to_owned(),
            label: p.label("amenity", a.as_str()),
            checked: chosen.iter().any(|c| c == a.as_str()),
        })
        .collect();
    SpaceFormPage {
        p,
        form,
        action,
        title,
        org_name,
        weekdays,
        amenities,
    }
}

const SPACE_TEXT_FIELDS: [&str; 16] = [
    "space_name",
    "description_it",
    "description_en",
    "address",
    "lat",
    "lon",
    "closures",
    "email",
    "phone",
    "website",
    "price_day",
    "price_half_day",
    "price_month",
    "horizon_days",
    "max_active_bookings",
    "cancel_hours",
];

fn space_values(pairs: &[(String, String)]) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = SPACE_TEXT_FIELDS
        .iter()
        .map(|k| (*k, first(pairs, k)))
        .collect();
    for k in [
        "hours_mon",
        "hours_tue",
        "hours_wed",
        "hours_thu",
        "hours_fri",
        "hours_sat",
        "hours_sun",
    ] {
        v.push((k, first(pairs, k)));
    }
    v
}

fn space_values_of(lang: Lang, space: &Space, closures: &[String]) -> Vec<(&'static str, String)> {
    let hours = space.hours();
    let mut v = vec![
        ("space_name", space.name.clone()),
        (
            "description_it",
            space.description_it.clone().unwrap_or_default(),
        ),
        (
            "description_en",
            space.description_en.clone().unwrap_or_default(),
        ),
        ("address", space.address.clone()),
        ("lat", space.lat.to_string()),
        ("lon", space.lon.to_string()),
        ("closures", closures.join("\n")),
        ("email", space.email.clone().unwrap_or_default()),
        ("phone", space.phone.clone().unwrap_or_default()),
        ("website", space.website.clone().unwrap_or_default()),
        ("price_day", euro_field(lang, space.price_day_cents)),
        (
            "price_half_day",
            euro_field(lang, space.price_half_day_cents),
        ),
        ("price_month", euro_field(lang, space.price_month_cents)),
        ("horizon_days", space.horizon_days.to_string()),
        ("max_active_bookings", space.max_active_bookings.to_string()),
        ("cancel_hours", space.cancel_hours.to_string()),
    ];
    let keys = [
        "hours_mon",
        "hours_tue",
        "hours_wed",
        "hours_thu",
        "hours_fri",
        "hours_sat",
        "hours_sun",
    ];
    for (k, d) in keys.iter().zip(hours.0.iter()) {
        v.push((
            k,
            d.map(|(o, c)| format!("{}-{}", rules::clock(o), rules::clock(c)))
                .unwrap_or_default(),
        ));
    }
    v
}

/// Reads the space form into the domain's input; number problems are reported by field.
fn space_input(pairs: &[(String, String)], e: &mut Invalid) -> SpaceInput {
    let coord = |field: &'static str, e: &mut Invalid| -> Option<f64> {
        let raw = first(pairs, field).trim().replace(',', ".");
        if raw.is_empty() {
            return None;
        }
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                e.push(field, "error-number");
                None
            }
        }
    };
    let lat = coord("lat", e);
    let lon = coord("lon", e);
    let mut hours = std::collections::BTreeMap::new();
    for k in WEEKDAY_KEYS {
        let v = first(pairs, &format!("hours_{k}"));
        if !v.trim().is_empty() {
            hours.insert(k.to_owned(), v);
        }
    }
    SpaceInput {
        name: first(pairs, "space_name"),
        description_it: first(pairs, "description_it"),
        description_en: first(pairs, "description_en"),
        address: first(pairs, "address"),
        lat,
        lon,
        opening_hours: Some(hours),
        closures: first(pairs, "closures")
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect(),
        amenities: all(pairs, "amenity"),
        email: first(pairs, "email"),
        phone: first(pairs, "phone"),
        website: first(pairs, "website"),
        price_day_cents: cents_field("price_day", &first(pairs, "price_day"), e),
        price_half_day_cents: cents_field("price_half_day", &first(pairs, "price_half_day"), e),
        price_month_cents: cents_field("price_month", &first(pairs, "price_month"), e),
        horizon_days: number_field("horizon_days", &first(pairs, "horizon_days"), e),
        max_active_bookings: number_field(
            "max_active_bookings",
            &first(pairs, "max_active_bookings"),
            e,
        ),
        cancel_hours: number_field("cancel_hours", &first(pairs, "cancel_hours"), e),
    }
}

const SPACE_FIELD_NAMES: [(&str, &str); 5] = [
    ("name", "space_name"),
    ("price_day_cents", "price_day"),
    ("price_half_day_cents", "price_half_day"),
    ("price_month_cents", "price_month"),
    ("opening_hours", "hours_mon"),
];

async fn operator_org(s: &AppState, p: &Page, raw: &str) -> Result<Organization, PageError> {
    let v = p.require()?;
    let org = s.db.organization(page_id(raw)?).await?;
    if !v.represents(org.id) || org.kind != OrgKind::CoworkingOperator.as_str() {
        return Err(PageError::Forbidden);
    }
    Ok(org)
}

pub async fn new_space_form(
    State(s): State<AppState>,
    p: Page,
    q: Params,
) -> Result<Response, PageError> {
    let org = operator_org(&s, &p, q.get("org")).await?;
    let d = rules::BookingRules::default();
    let mut values = vec![
        ("horizon_days", d.horizon_days.to_string()),
        ("max_active_bookings", d.max_active_bookings.to_string()),
        ("cancel_hours", d.cancel_hours.to_string()),
    ];
    for k in [
        "hours_mon",
        "hours_tue",
        "hours_wed",
        "hours_thu",
        "hours_fri",
    ] {
        values.push((k, "09:00-18:00".to_owned()));
    }
    let title = p.t("cw-new-space");
    render(&space_form_page(
        p,
        FormState::new(values, Invalid::default()),
        format!("/coworking/gestione/spazi/nuovo?org={}", org.id),
        title,
        org.name,
        &[],
    ))
}

pub async fn create_space(
    State(s): State<AppState>,
    p: Page,
    q: Params,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let org = operator_org(&s, &p, q.get("org")).await?;
    let v = p.require()?.clone();
    let mut e = Invalid::default();
    let input = space_input(&pairs, &mut e);
    let errors = match input.validate() {
        Ok(new) if e.is_empty() => match crate::coworking::create_space(&s, &v, org.id, &new).await
        {
            Ok(id) => {
                return Ok(Redirect::to(&format!("/coworking/gestione/spazi/{id}")).into_response())
            }
            Err(Failure::Invalid(i)) => i,
            Err(f) => return Err(PageError::from(f)),
        },
        Ok(_) => e,
        Err(i) => i.overridden_by(e),
    };
    let form = FormState::new(space_values(&pairs), rename(errors, &SPACE_FIELD_NAMES));
    let title = p.t("cw-new-space");
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &space_form_page(
            p,
            form,
            format!("/coworking/gestione/spazi/nuovo?org={}", org.id),
            title,
            org.name,
            &all(&pairs, "amenity"),
        ),
    )
}

pub async fn edit_space_form(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let closures =
        s.db.space_closures(space.id, mire_store::coworking::today())
            .await?;
    let chosen: Vec<String> = space
        .amenity_list()
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect();
    let title = p.t1("cw-edit-space", "name", &space.name);
    let form = FormState::new(
        space_values_of(p.lang, &space, &closures),
        Invalid::default(),
    );
    render(&space_form_page(
        p,
        form,
        format!("/coworking/gestione/spazi/{}/modifica", space.id),
        title,
        space.organization_name.clone(),
        &chosen,
    ))
}

pub async fn update_space(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let mut e = Invalid::default();
    let input = space_input(&pairs, &mut e);
    let errors = match input.validate() {
        Ok(new) if e.is_empty() => match crate::coworking::locate(new.lat, new.lon) {
            Ok(place) => {
                s.db.update_space(space.id, &new, place).await?;
                return Ok(Redirect::to(&format!(
                    "/coworking/gestione/spazi/{}?salvato=1",
                    space.id
                ))
                .into_response());
            }
            Err(i) => i,
        },
        Ok(_) => e,
        Err(i) => i.overridden_by(e),
    };
    let form = FormState::new(space_values(&pairs), rename(errors, &SPACE_FIELD_NAMES));
    let title = p.t1("cw-edit-space", "name", &space.name);
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &space_form_page(
            p,
            form,
            format!("/coworking/gestione/spazi/{}/modifica", space.id),
            title,
            space.organization_name.clone(),
            &all(&pairs, "amenity"),
        ),
    )
}

#[derive(Template)]
#[template(path = "coworking/manage_space.html")]
struct ManageSpacePage {
    p: Page,
    space: Space,
    place: String,
    resources: Vec<(String, String, i64, String)>,
    offers: Vec<OfferView>,
    resource_form: FormState,
    offer_form: FormState,
    resource_kinds: Vec<&'static str>,
    offer_kinds: Vec<&'static str>,
    notice: String,
}

async fn manage_space_page(
    s: &AppState,
    p: Page,
    space: Space,
    resource_form: FormState,
    offer_form: FormState,
    notice: String,
) -> Result<ManageSpacePage, PageError> {
    let lang = p.lang;
    let resources =
        s.db.resources(space.id)
            .await?
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    p.label("resource-kind", &r.kind),
                    r.seats,
                    money(lang, r.price_cents),
                )
            })
            .collect();
    let offers =
        s.db.offers(space.id, false)
            .await?
            .iter()
            .map(|o| offer_view(&p, o))
            .collect();
    Ok(ManageSpacePage {
        place: format!("{} · Municipio {}", nil_name(space.nil_id), space.municipio),
        p,
        space,
        resources,
        offers,
        resource_form,
        offer_form,
        resource_kinds: ResourceKind::ALL.iter().map(|k| k.as_str()).collect(),
        offer_kinds: OfferKind::ALL.iter().map(|k| k.as_str()).collect(),
        notice,
    })
}

pub async fn manage_space(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let notice = match () {
        _ if q.get("salvato") == "1" => p.t("cw-notice-saved"),
        _ if q.get("risorsa") == "1" => p.t("cw-notice-resource"),
        _ if q.get("offerta") == "1" => p.t("cw-notice-offer"),
        _ => String::new(),
    };
    render(
        &manage_space_page(
            &s,
            p,
            space,
            FormState::default(),
            FormState::default(),
            notice,
        )
        .await?,
    )
}

#[derive(serde::Deserialize)]
pub struct ResourceForm {
    #[serde(default)]
    resource_kind: String,
    #[serde(default)]
    resource_name: String,
    #[serde(default)]
    seats: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    half_price: String,
}

pub async fn add_resource(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<ResourceForm>,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let mut e = Invalid::default();
    let input = ResourceInput {
        kind: f.resource_kind.clone(),
        name: f.resource_name.clone(),
        seats: number_field("seats", &f.seats, &mut e),
        price_cents: cents_field("price", &f.price, &mut e),
        half_day_price_cents: cents_field("half_price", &f.half_price, &mut e),
    };
    let errors = match input.validate() {
        Ok(new) if e.is_empty() => {
            s.db.add_resource(space.id, &new).await?;
            return Ok(
                Redirect::to(&format!("/coworking/gestione/spazi/{}?risorsa=1", space.id))
                    .into_response(),
            );
        }
        Ok(_) => e,
        // A number typed wrong is reported once, by the page's own message.
        Err(i) => i.overridden_by(e),
    };
    let errors = rename(
        errors,
        &[
            ("kind", "resource_kind"),
            ("name", "resource_name"),
            ("price_cents", "price"),
            ("half_day_price_cents", "half_price"),
        ],
    );
    let form = FormState::new(
        [
            ("resource_kind", f.resource_kind),
            ("resource_name", f.resource_name),
            ("seats", f.seats),
            ("price", f.price),
            ("half_price", f.half_price),
        ],
        errors,
    );
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &manage_space_page(&s, p, space, form, FormState::default(), String::new()).await?,
    )
}

#[derive(serde::Deserialize)]
pub struct OfferForm {
    #[serde(default)]
    offer_kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    discount_percent: String,
    #[serde(default)]
    trial_days: String,
    #[serde(default)]
    pack_days: String,
    #[serde(default)]
    pack_price: String,
    #[serde(default)]
    valid_until: String,
}

pub async fn create_offer(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<OfferForm>,
) -> Result<Response, PageError> {
    let space = managed(&s, &p, &id).await?;
    let by = p.require()?.id();
    let mut e = Invalid::default();
    let input = OfferInput {
        kind: f.offer_kind.clone(),
        title: f.title.clone(),
        description: f.description.clone(),
        discount_percent: number_field("discount_percent", &f.discount_percent, &mut e),
        trial_days: number_field("trial_days", &f.trial_days, &mut e),
        pack_days: number_field("pack_days", &f.pack_days, &mut e),
        pack_price_cents: cents_field("pack_price", &f.pack_price, &mut e),
        valid_until: f.valid_until.clone(),
    };
    let errors = match input.validate(mire_store::coworking::today()) {
        Ok(new) if e.is_empty() => {
            s.db.create_offer(space.id, &new, Some(by)).await?;
            return Ok(
                Redirect::to(&format!("/coworking/gestione/spazi/{}?offerta=1", space.id))
                    .into_response(),
            );
        }
        Ok(_) => e,
        Err(i) => i.overridden_by(e),
    };
    let errors = rename(
        errors,
        &[("kind", "offer_kind"), ("pack_price_cents", "pack_price")],
    );
    let form = FormState::new(
        [
            ("offer_kind", f.offer_kind),
            ("title", f.title),
            ("description", f.description),
            ("discount_percent", f.discount_percent),
            ("trial_days", f.trial_days),
            ("pack_days", f.pack_days),
            ("pack_price", f.pack_price),
            ("valid_until", f.valid_until),
        ],
        errors,
    );
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &manage_space_page(&s, p, space, FormState::default(), form, String::new()).await?,
    )
}
