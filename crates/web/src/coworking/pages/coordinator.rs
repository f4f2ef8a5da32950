//! The coordinator's decisions on the offers operators propose to alliance members.

use super::*;

/// True when the viewer coordinates the default alliance or one the space's operator is in.
async fn coordinates_space(s: &AppState, v: &Viewer, space_id: i64) -> Result<bool, PageError> {
    let default = s.db.default_alliance().await?;
    if v.is_coordinator(default.id) {
        return Ok(true);
    }
    let space = s.db.space(space_id).await?;
    let alliances =
        s.db.alliances_of_organization(space.organization_id)
            .await?;
    Ok(alliances.iter().any(|a| v.is_coordinator(*a)))
}

#[derive(Template)]
#[template(path = "coworking/offers.html")]
struct OffersPage {
    p: Page,
    offers: Vec<OfferView>,
    notice: String,
}

pub async fn offers(State(s): State<AppState>, p: Page, q: Params) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    if !v.roles.iter().any(|r| r.role == "coordinator") {
        return Err(PageError::Forbidden);
    }
    let mut offers = vec![];
    for o in s.db.pending_offers().await? {
        if coordinates_space(&s, &v, o.space_id).await? {
            offers.push(offer_view(&p, &o));
        }
    }
    let notice = match q.get("decisa") {
        "approvata" => p.t("cw-notice-approved"),
        "respinta" => p.t("cw-notice-rejected"),
        "gia" => p.t("cw-notice-already-decided"),
        _ => String::new(),
    };
    render(&OffersPage { p, offers, notice })
}

async fn decide(s: AppState, p: Page, raw: String, approve: bool) -> Result<Response, PageError> {
    let v = p.require()?.clone();
    let offer = s.db.offer(page_id(&raw)?).await?;
    if !coordinates_space(&s, &v, offer.space_id).await? {
        return Err(PageError::Forbidden);
    }
    let outcome = match s.db.decide_offer(offer.id, approve, v.id()).await {
        Ok(()) if approve => "approvata",
        Ok(()) => "respinta",
        Err(DecisionError::AlreadyDecided) => "gia",
        Err(DecisionError::NotFound) => return Err(PageError::NotFound),
        Err(DecisionError::Store(e)) => return Err(e.into()),
    };
    Ok(Redirect::to(&format!("/coordinamento/convenzioni?decisa={outcome}")).into_response())
}

pub async fn approve_offer(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    decide(s, p, id, true).await
}

pub async fn reject_offer(
    State(s): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    decide(s, p, id, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_become_cents() {
        assert_eq!(euros_to_cents(""), Ok(None));
        assert_eq!(euros_to_cents("25"), Ok(Some(2500)));
        assert_eq!(euros_to_cents("25,5"), Ok(Some(2550)));
        assert_eq!(euros_to_cents("0.99"), Ok(Some(99)));
        assert_eq!(euros_to_cents("-3"), Err(()));
        assert_eq!(euros_to_cents("1,234"), Err(()));
        assert_eq!(euros_to_cents("abc"), Err(()));
    }

    #[test]
    fn points_in_both_notations() {
        assert_eq!(parse_point("45.4642, 9.19"), Some((45.4642, 9.19)));
        assert_eq!(parse_point("45,4642; 9,19"), Some((45.4642, 9.19)));
        assert_eq!(parse_point("45,4642, 9,19"), Some((45.4642, 9.19)));
        assert_eq!(parse_point("nord"), None);
    }
}
