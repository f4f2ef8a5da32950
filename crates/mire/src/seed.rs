//! Reference data (the MIRE alliance, its action lines and programmes, its lead partner) is
//! loaded into every database; the demo seed (fictional organisations and people, marked as
//! demo) only into an empty one, unless `--no-demo`.

use mire_domain::alliance::OrganizationInput;
use mire_geo::territory::Territory;
use mire_geo::LatLon;
use mire_store::accounts::NewUser;
use mire_store::alliance::{ActionLine, NewAlliance, Programme};
use mire_store::Db;
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    alliance: AllianceData,
    action_lines: Vec<LineData>,
    programmes: Vec<ProgrammeData>,
    lead_partner: OrganizationInput,
}

#[derive(Deserialize)]
struct AllianceData {
    slug: String,
    name: String,
    territory: String,
    summary_it: String,
    summary_en: String,
}

#[derive(Deserialize)]
struct LineData {
    slug: String,
    name_it: String,
    name_en: String,
    summary_it: String,
    summary_en: String,
}

#[derive(Deserialize)]
struct ProgrammeData {
    name: String,
    start_year: i64,
    end_year: Option<i64>,
    summary_it: String,
    summary_en: String,
}

#[derive(Deserialize)]
struct Demo {
    password: String,
    organizations: Vec<DemoOrganization>,
    users: Vec<DemoUser>,
    #[serde(default)]
    coworking: DemoCoworking,
}

/// Fictional spaces of the demo coworking operator, with resources and approved offers, and
/// fictional demands for desks.
#[derive(Deserialize, Default)]
struct DemoCoworking {
    spaces: Vec<DemoSpace>,
    #[serde(default)]
    demands: Vec<DemoDemand>,
}

/// A demand posted by a demo user (for their organisation when `organization` is given); its
/// first day is `from_in_days` after the demo is loaded, so it is never in the past.
#[derive(Deserialize)]
struct DemoDemand {
    poster: String,
    organization: Option<usize>,
    from_in_days: i64,
    #[serde(flatten)]
    input: mire_domain::coworking_demand::DemandInput,
}

#[derive(Deserialize)]
struct DemoSpace {
    organization: usize,
    #[serde(flatten)]
    input: mire_domain::coworking::SpaceInput,
    resources: Vec<mire_domain::coworking::ResourceInput>,
    offers: Vec<mire_domain::coworking::OfferInput>,
}

#[derive(Deserialize)]
struct DemoOrganization {
    #[serde(flatten)]
    input: OrganizationInput,
    role: String,
    lines: Vec<String>,
}

#[derive(Deserialize)]
struct DemoUser {
    email: String,
    name: String,
    role: String,
    organization: Option<usize>,
}

pub const DEMO_EMAILS: &[&str] = &[
    "coordinamento@mire.demo",
    "impresa@mire.demo",
    "lavoratore@mire.demo",
    "coworking@mire.demo",
    "valutazione@mire.demo",
];

fn place(o: &OrganizationInput) -> Option<(i64, i64)> {
    let p = Territory::milan().locate(LatLon::new(o.lat?, o.lon?))?;
    Some((i64::from(p.nil_id), i64::from(p.municipio)))
}

/// Loads the reference data once, into a database that has no alliance yet.
pub async fn reference(db: &Db) -> anyhow::Result<()> {
    if !db.is_empty().await? {
        return Ok(());
    }
    let r: Reference = serde_json::from_str(include_str!("../../../data/seed/reference.json"))?;
    let a = &r.alliance;
    let alliance = db
        .create_alliance(&NewAlliance {
            slug: &a.slug,
            name: &a.name,
            territory: &a.territory,
            summary_it: &a.summary_it,
            summary_en: &a.summary_en,
        })
        .await?;
    let mut line_ids = vec![];
    for (i, l) in r.action_lines.iter().enumerate() {
        let line = ActionLine {
            id: 0,
            slug: l.slug.clone(),
            position: i as i64 + 1,
            name_it: l.name_it.clone(),
            name_en: l.name_en.clone(),
            summary_it: l.summary_it.clone(),
            summary_en: l.summary_en.clone(),
        };
        line_ids.push(db.add_action_line(alliance, &line).await?);
    }
    for p in &r.programmes {
        let programme = Programme {
            id: 0,
            name: p.name.clone(),
            start_year: p.start_year,
            end_year: p.end_year,
            summary_it: p.summary_it.clone(),
            summary_en: p.summary_en.clone(),
        };
        db.add_programme(alliance, &programme).await?;
    }
    let lead = r
        .lead_partner
        .validate()
        .map_err(|e| anyhow::anyhow!("reference lead partner: {e:?}"))?;
    let org = db
        .create_organization(&lead, place(&r.lead_partner), None, "partner", false)
        .await?;
    db.add_member(alliance, org, "lead_partner", &line_ids)
        .await?;
    Ok(())
}

/// Loads the demo organisations and accounts when none are there yet; returns the demo
/// password to print.
pub async fn demo(db: &Db) -> anyhow::Result<Option<String>> {
    if db.user_id_by_email(DEMO_EMAILS[0]).await?.is_some() {
        return Ok(Some(demo_data()?.password));
    }
    let d = demo_data()?;
    let alliance = db.default_alliance().await?;
    let lines = db.action_lines(alliance.id).await?;
    let mut org_ids = vec![];
    for o in &d.organizations {
        let new = o
            .input
            .validate()
            .map_err(|e| anyhow::anyhow!("demo organisation {}: {e:?}", o.input.name))?;
        let id = db
            .create_organization(&new, place(&o.input), None, "partner", true)
            .await?;
        let ids: Vec<i64> = lines
            .iter()
            .filter(|l| o.lines.contains(&l.slug))
            .map(|l| l.id)
            .collect();
        db.add_member(alliance.id, id, &o.role, &ids).await?;
        org_ids.push(id);
    }
    let password = d.password.clone();
    let hash =
        tokio::task::spawn_blocking(move || mire_web::security::hash_password(&password)).await?;
    for u in &d.users {
        let id = db
            .create_user(&NewUser {
                email: &u.email,
                password_hash: &hash,
                display_name: &u.name,
                locale: "it",
                is_demo: true,
                verified: true,
            })
            .await?;
        match u.organization {
            Some(i) => db.grant_organization_role(id, org_ids[i], &u.role).await?,
            None => db.grant_alliance_role(id, alliance.id, &u.role).await?,
        }
    }
    demo_coworking(db, &d, &org_ids).await?;
    demo_demands(db, &d, &org_ids, alliance.id).await?;
    Ok(Some(d.password))
}

/// The demo spaces, placed in their NIL and Municipio, with offers approved by the demo
/// coordinator.
async fn demo_coworking(db: &Db, d: &Demo, org_ids: &[i64]) -> anyhow::Result<()> {
    let coordinator = db.user_id_by_email(DEMO_EMAILS[0]).await?;
    let today = mire_store::coworking::today();
    for sp in &d.coworking.spaces {
        let new = sp
            .input
            .validate()
            .map_err(|e| anyhow::anyhow!("demo space {}: {e:?}", sp.input.name))?;
        let p = Territory::milan()
            .locate(LatLon::new(new.lat, new.lon))
            .ok_or_else(|| anyhow::anyhow!("demo space {} is outside Milan", new.name))?;
        let place = (i64::from(p.nil_id), i64::from(p.municipio));
        let id = db
            .create_space(org_ids[sp.organization], &new, place, None, true)
            .await?;
        for r in &sp.resources {
            let r = r
                .validate()
                .map_err(|e| anyhow::anyhow!("demo resource {}: {e:?}", r.name))?;
            db.add_resource(id, &r).await?;
        }
        for o in &sp.offers {
            let o = o
                .validate(today)
                .map_err(|e| anyhow::anyhow!("demo offer {}: {e:?}", o.title))?;
            let offer = db.create_offer(id, &o, None).await?;
            if let Some(c) = coordinator {
                db.decide_offer(offer, true, c).await?;
            }
        }
    }
    Ok(())
}

/// The demo demands, each near the NIL it names.
async fn demo_demands(db: &Db, d: &Demo, org_ids: &[i64], alliance: i64) -> anyhow::Result<()> {
    use mire_domain::coworking_demand::Near;
    let today = mire_store::coworking::today();
    for dd in &d.coworking.demands {
        let poster = db
            .user_id_by_email(&dd.poster)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo demand: no user {}", dd.poster))?;
        let mut input = dd.input.clone();
        let from = today.iter_days().nth(dd.from_in_days.max(0) as usize);
        input.from_date = from.map(mire_domain::coworking::iso).unwrap_or_default();
        let known = |id: u16| Territory::milan().nil(id).is_some();
        let new = input
            .validate(dd.organization.is_some(), today, known)
            .map_err(|e| anyhow::anyhow!("demo demand of {}: {e:?}", dd.poster))?;
        let Near::Nil(nil) = new.near else {
            anyhow::bail!("demo demands name their NIL");
        };
        db.create_demand(&mire_store::coworking_demand::DemandRecord {
            alliance_id: alliance,
            posted_by: poster,
            organization_id: dd.organization.map(|i| org_ids[i]),
            demand: &new,
            nils: &[(i64::from(nil), new.desks)],
            is_demo: true,
        })
        .await?;
    }
    Ok(())
}

fn demo_data() -> anyhow::Result<Demo> {
    Ok(serde_json::from_str(include_str!(
        "../../../data/seed/demo.json"
    ))?)
}
