//! A firm's coworking credits: the packs on offer, buying one, assigning credits to employees
//! and the staff's use. Only the firm's representatives see them.

use super::*;

pub struct PackView {
    pub id: i64,
    pub space_name: String,
    pub days: i64,
    pub assigned: i64,
    pub spent: i64,
    pub until: String,
    pub price: String,
    pub label: String,
}

pub struct UseView {
    pub person: String,
    pub space_name: String,
    pub date: String,
    pub period: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "coworking/credits.html")]
struct CreditsPage {
    p: Page,
    org: Organization,
    packs: Vec<PackView>,
    employees: Vec<(String, i64, i64)>,
    uses: Vec<UseView>,
    workers: Vec<Choice>,
    pack_choices: Vec<Choice>,
    offers: Vec<OfferView>,
    form: FormState,
    notice: String,
}

/// Credit packs on offer in force, any space.
async fn packs_on_offer(s: &AppState, p: &Page) -> Result<Vec<OfferView>, PageError> {
    let spaces =
        s.db.search_spaces(&SpaceSearch {
            with_offers: true,
            limit: 200,
            ..Default::default()
        })
        .await?;
    let mut out = vec![];
    for h in spaces {
        for o in s.db.offers(h.id, true).await? {
            if o.kind == OfferKind::CreditPack.as_str() {
                out.push(offer_view(p, &o));
            }
        }
    }
    Ok(out)
}

async fn credits_page(
    s: &AppState,
    p: Page,
    org: Organization,
    form: FormState,
    notice: String,
) -> Result<CreditsPage, PageError> {
    let report = s.db.organization_credits(org.id).await?;
    let lang = p.lang;
    let workers =
        s.db.organization_people(org.id)
            .await?
            .into_iter()
            .filter(|x| x.role == "worker")
            .map(|x| Choice {
                checked: form.v("user_id") == x.user_id.to_string(),
                value: x.user_id.to_string(),
                label: x.display_name,
            })
            .collect();
    let packs: Vec<PackView> = report
        .packs
        .iter()
        .map(|k| PackView {
            id: k.id,
            space_name: k.space_name.clone(),
            days: k.days,
            assigned: k.assigned,
            spent: k.spent,
            until: date_text(lang, &k.valid_until),
            price: money(lang, k.price_cents),
            label: crate::I18N.t(
                lang,
                "cw-pack-choice",
                &[
                    ("space", k.space_name.clone().into()),
                    ("left", (k.days - k.assigned).into()),
                    ("date", date_text(lang, &k.valid_until).into()),
                ],
            ),
        })
        .collect();
    let pack_choices = packs
        .iter()
        .map(|k| Choice {
            value: k.id.to_string(),
            label: k.label.clone(),
            checked: form.v("pack_id") == k.id.to_string(),
        })
        .collect();
    let uses = report
        .uses
        .iter()
        .map(|u| UseView {
            person: u.display_name.clone(),
            space_name: u.space_name.clone(),
            date: date_text(lang, &u.date),
            period: p.label("period", &u.period),
            status: p.label("booking-status", &u.status),
        })
        .collect();
    Ok(CreditsPage {
        offers: packs_on_offer(s, &p).await?,
        employees: report
            .employees
            .iter()
            .map(|x| (x.display_name.clone(), x.assigned, x.spent))
            .collect(),
        p,
        org,
        packs,
        uses,
        workers,
        pack_choices,
        form,
        notice,
    })
}

pub async fn credits(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    q: Params,
) -> Result<Response, PageError> {
    let org = crate::alliance::represented(&s, &p, &id).await?;
    let notice = match () {
        _ if q.get("assegnati") == "1" => p.t("cw-notice-assigned"),
        _ if q.get("acquistato") == "1" => p.t("cw-notice-purchased"),
        _ => String::new(),
    };
    let form = FormState::new([("count", "1".to_owned())], Invalid::default());
    render(&credits_page(&s, p, org, form, notice).await?)
}

#[derive(serde::Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    pack_id: String,
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    count: String,
}

pub async fn assign_credits(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, PageError> {
    let org = crate::alliance::represented(&s, &p, &id).await?;
    let mut e = Invalid::default();
    let pack = match f.pack_id.trim().parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            e.push("pack_id", "error-required");
            None
        }
    };
    let user = match f.user_id.trim().parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            e.push("user_id", "error-required");
            None
        }
    };
    let count = match f.count.trim().parse::<i64>() {
        Ok(n) if (1..=rules::PACK_DAYS_MAX).contains(&n) => Some(n),
        _ => {
            e.push("count", "error-number-range");
            None
        }
    };
    if let (Some(pack), Some(user), Some(count), true) = (pack, user, count, e.is_empty()) {
        match s.db.assign_credits(org.id, pack, user, count).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/organizzazioni/{}/crediti?assegnati=1", org.id))
                        .into_response(),
                )
            }
            Err(CreditError::NotEmployee) => e.push("user_id", "error-not-employee"),
            Err(CreditError::NotEnough) => e.push("count", "error-not-enough-credits"),
            Err(CreditError::NotFound) | Err(CreditError::NotAvailable) => {
                e.push("pack_id", "error-choice")
            }
            Err(CreditError::Store(err)) => return Err(err.into()),
        }
    }
    let form = FormState::new(
        [
            ("pack_id", f.pack_id),
            ("user_id", f.user_id),
            ("count", f.count),
        ],
        e,
    );
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &credits_page(&s, p, org, form, String::new()).await?,
    )
}

#[derive(serde::Deserialize)]
pub struct PurchaseForm {
    #[serde(default)]
    offer_id: String,
}

pub async fn purchase_pack(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(f): Form<PurchaseForm>,
) -> Result<Response, PageError> {
    let org = crate::alliance::represented(&s, &p, &id).await?;
    let by = p.require()?.id();
    let offer = page_id(f.offer_id.trim())?;
    let mut e = Invalid::default();
    match s.db.purchase_credit_pack(offer, org.id, by).await {
        Ok(_) => {
            return Ok(
                Redirect::to(&format!("/organizzazioni/{}/crediti?acquistato=1", org.id))
                    .into_response(),
            )
        }
        Err(CreditError::Store(err)) => return Err(err.into()),
        Err(_) => e.push("offer_id", "error-offer-not-available"),
    }
    let form = FormState::new([("count", "1".to_owned())], e);
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &credits_page(&s, p, org, form, String::new()).await?,
    )
}
