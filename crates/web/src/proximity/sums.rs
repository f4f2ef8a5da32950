//! Time regained summed over coworking bookings: per worker, per firm, per Municipio of
//! residence. One engine call per distinct (home, office, space, mode), remembered across
//! requests ([`DaySavings`]), multiplied by the share of a day each booking counts for
//! (`mire_domain::proximity::day_shares`).
//!
//! Privacy: a person's own figures go to that person only; a firm's figures are sums over its
//! employees (role `worker`) with a commute profile, for its representatives and the
//! coordinators of its alliances; Municipi with fewer than [`MIN_GROUP`] contributing workers
//! are shown without figures.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use mire_domain::proximity::{day_shares, BookedDay};
use mire_geo::proximity::{CommuteMode, Proximity};
use mire_geo::territory::Territory;
use mire_geo::LatLon;
use mire_store::proximity::{CommuteBooking, CommuteProfile};
use serde::Serialize;

/// The smallest number of contributing workers a Municipio figure may be published for.
pub const MIN_GROUP: usize = 3;

/// Sums of time and CO2 regained.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Totals {
    /// Working days at a coworking space (half days count one half).
    pub days: f64,
    /// Round-trip commute minutes saved.
    pub minutes_saved: f64,
    pub kg_co2_avoided: f64,
    pub km_avoided: f64,
    /// Bookings counted (a share of a day greater than zero).
    pub bookings: usize,
    /// Counted bookings the engine could not compute (no route): left out of the sums.
    pub not_computed: usize,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.days += other.days;
        self.minutes_saved += other.minutes_saved;
        self.kg_co2_avoided += other.kg_co2_avoided;
        self.km_avoided += other.km_avoided;
        self.bookings += other.bookings;
        self.not_computed += other.not_computed;
    }

    /// Rounded for answers: two decimals (the engine's own precision).
    pub fn rounded(mut self) -> Totals {
        let r = |x: f64| (x * 100.0).round() / 100.0;
        self.days = r(self.days);
        self.minutes_saved = r(self.minutes_saved);
        self.kg_co2_avoided = r(self.kg_co2_avoided);
        self.km_avoided = r(self.km_avoided);
        self
    }
}

/// One booking's contribution to a person's own total.
#[derive(Debug, Clone, Serialize)]
pub struct BookingSaving {
    pub booking_id: i64,
    pub date: String,
    pub period: String,
    pub status: String,
    pub space_id: i64,
    pub space_name: String,
    pub day_share: f64,
    /// `None` when the engine found no route (the booking is then left out).
    pub minutes_saved: Option<f64>,
    pub kg_co2_avoided: Option<f64>,
    pub km_avoided: Option<f64>,
}

/// Minutes, kg CO2 and vehicle km saved by one day at a space.
type DaySaving = (f64, f64, f64);

/// What one day at a space saves, by home, office, space and mode, as computed so far. The
/// engine's answer is a pure function of these (the model is loaded once), and it is the
/// costly part of every sum (two routings), so the public aggregates, recomputed on each
/// request, only route the trips they have not met before.
#[derive(Default)]
pub struct DaySavings(Mutex<HashMap<DayKey, Option<DaySaving>>>);

type DayKey = ([u64; 6], CommuteMode);

impl DaySavings {
    /// Past this many remembered trips the memory starts again (about 10 MB at most).
    const MAX: usize = 100_000;

    fn get(
        &self,
        engine: &Proximity,
        home: LatLon,
        office: LatLon,
        space: LatLon,
        mode: CommuteMode,
    ) -> Option<DaySaving> {
        let bits = |p: LatLon| [p.lat.to_bits(), p.lon.to_bits()];
        let ([a, b], [c, d], [e, f]) = (bits(home), bits(office), bits(space));
        let key = ([a, b, c, d, e, f], mode);
        // A panic elsewhere while holding the lock leaves a map that is still right.
        let lock = || self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = lock().get(&key) {
            return *known;
        }
        let saving = engine
            .time_regained(home, office, space, mode)
            .ok()
            .map(|r| {
                (
                    r.minutes_saved_per_day,
                    r.kg_co2_avoided_per_day,
                    r.km_avoided_per_day,
                )
            });
        let mut memo = lock();
        if memo.len() >= Self::MAX {
            memo.clear();
        }
        memo.insert(key, saving);
        saving
    }
}

/// The engine's view of a profile.
fn commute(p: &CommuteProfile) -> Option<(LatLon, LatLon, CommuteMode)> {
    Some((
        LatLon::new(p.home_lat, p.home_lon),
        LatLon::new(p.office_lat, p.office_lon),
        CommuteMode::parse(&p.mode)?,
    ))
}

/// Each person's bookings with their saving, grouped by person.
pub fn savings(
    engine: &Proximity,
    days_saved: &DaySavings,
    profiles: &[CommuteProfile],
    bookings: &[CommuteBooking],
) -> BTreeMap<i64, Vec<BookingSaving>> {
    let by_user: HashMap<i64, &CommuteProfile> = profiles.iter().map(|p| (p.user_id, p)).collect();
    let mut grouped: BTreeMap<i64, Vec<&CommuteBooking>> = BTreeMap::new();
    for b in bookings {
        grouped.entry(b.user_id).or_default().push(b);
    }
    let mut out = BTreeMap::new();
    for (user, list) in grouped {
        let Some((home, office, mode)) = by_user.get(&user).and_then(|p| commute(p)) else {
            continue;
        };
        let days: Vec<BookedDay> = list
            .iter()
            .map(|b| BookedDay {
                id: b.booking_id,
                date: &b.date,
                period: &b.period,
                status: &b.status,
            })
            .collect();
        let shares = day_shares(&days);
        let lines = list
            .iter()
            .zip(shares)
            .map(|(b, share)| {
                let saving = if share > 0.0 {
                    days_saved.get(
                        engine,
                        home,
                        office,
                        LatLon::new(b.space_lat, b.space_lon),
                        mode,
                    )
                } else {
                    Some((0.0, 0.0, 0.0))
                };
                BookingSaving {
                    booking_id: b.booking_id,
                    date: b.date.clone(),
                    period: b.period.clone(),
                    status: b.status.clone(),
                    space_id: b.space_id,
                    space_name: b.space_name.clone(),
                    day_share: share,
                    minutes_saved: saving.map(|s| s.0 * share),
                    kg_co2_avoided: saving.map(|s| s.1 * share),
                    km_avoided: saving.map(|s| s.2 * share),
                }
            })
            .collect();
        out.insert(user, lines);
    }
    out
}

/// The sum of one person's booking savings.
pub fn total(lines: &[BookingSaving]) -> Totals {
    let mut t = Totals::default();
    for l in lines.iter().filter(|l| l.day_share > 0.0) {
        match (l.minutes_saved, l.kg_co2_avoided, l.km_avoided) {
            (Some(m), Some(kg), Some(km)) => {
                t.days += l.day_share;
                t.minutes_saved += m;
                t.kg_co2_avoided += kg;
                t.km_avoided += km;
                t.bookings += 1;
            }
            _ => t.not_computed += 1,
        }
    }
    t
}

/// A firm's sum over its employees with a commute profile.
#[derive(Debug, Clone, Serialize)]
pub struct GroupTotals {
    /// People with a commute profile in the group.
    pub workers_with_profile: usize,
    /// Of them, those with at least one counted day.
    pub workers_contributing: usize,
    pub totals: Totals,
}

pub fn group(
    engine: &Proximity,
    days_saved: &DaySavings,
    profiles: &[CommuteProfile],
    bookings: &[CommuteBooking],
) -> GroupTotals {
    let per_person = savings(engine, days_saved, profiles, bookings);
    let mut totals = Totals::default();
    let mut contributing = 0;
    for lines in per_person.values() {
        let t = total(lines);
        if t.days > 0.0 {
            contributing += 1;
        }
        totals.add(&t);
    }
    GroupTotals {
        workers_with_profile: profiles.len(),
        workers_contributing: contributing,
        totals: totals.rounded(),
    }
}

/// One Municipio of residence in the public aggregate.
#[derive(Debug, Clone, Serialize)]
pub struct MunicipioTotals {
    pub municipio: u8,
    /// Whether the figures are withheld (fewer than [`MIN_GROUP`] contributing workers).
    pub suppressed: bool,
    /// Contributing workers; `None` when suppressed.
    pub workers: Option<usize>,
    pub totals: Option<Totals>,
}

/// Every Municipio, with figures only where at least [`MIN_GROUP`] workers contribute.
pub fn by_municipio(
    engine: &Proximity,
    days_saved: &DaySavings,
    profiles: &[CommuteProfile],
    bookings: &[CommuteBooking],
) -> Vec<MunicipioTotals> {
    let per_person = savings(engine, days_saved, profiles, bookings);
    let home: HashMap<i64, i64> = profiles
        .iter()
        .map(|p| (p.user_id, p.home_municipio))
        .collect();
    let mut sums: BTreeMap<i64, (usize, Totals)> = BTreeMap::new();
    for (user, lines) in &per_person {
        let t = total(lines);
        if t.days <= 0.0 {
            continue;
        }
        let Some(m) = home.get(user) else { continue };
        let entry = sums.entry(*m).or_default();
        entry.0 += 1;
        entry.1.add(&t);
    }
    Territory::milan()
        .municipi()
        .iter()
        .map(|m| {
            let (workers, totals) = sums.get(&i64::from(m.number)).cloned().unwrap_or_default();
            let suppressed = workers < MIN_GROUP;
            MunicipioTotals {
                municipio: m.number,
                suppressed,
                workers: (!suppressed).then_some(workers),
                totals: (!suppressed).then(|| totals.rounded()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(user_id: i64, home: (f64, f64), municipio: i64) -> CommuteProfile {
        CommuteProfile {
            user_id,
            home_lat: home.0,
            home_lon: home.1,
            home_nil_id: None,
            home_municipio: municipio,
            office_lat: 45.5136,
            office_lon: 9.2110,
            office_nil_id: None,
            mode: "transit".into(),
            updated_at: 0,
        }
    }

    fn booking(id: i64, user_id: i64, date: &str, period: &str) -> CommuteBooking {
        CommuteBooking {
            booking_id: id,
            user_id,
            date: date.into(),
            period: period.into(),
            status: "confirmed".into(),
            space_id: 1,
            space_name: "Spazio".into(),
            space_lat: 45.4390,
            space_lon: 9.2240,
        }
    }

    #[test]
    fn sums_follow_the_day_rule_and_small_municipi_are_withheld() {
        let engine = Proximity::milan().unwrap();
        let home = (45.4405, 9.2255);
        let day = engine
            .time_regained(
                LatLon::new(home.0, home.1),
                LatLon::new(45.5136, 9.2110),
                LatLon::new(45.4390, 9.2240),
                CommuteMode::Transit,
            )
            .unwrap()
            .minutes_saved_per_day;
        let profiles: Vec<_> = (1..=4)
            .map(|u| profile(u, home, if u == 4 { 7 } else { 4 }))
            .collect();
        let bookings = vec![
            booking(1, 1, "2026-03-02", "morning"),
            booking(2, 1, "2026-03-02", "afternoon"),
            booking(3, 1, "2026-03-03", "morning"),
            booking(4, 2, "2026-03-02", "full_day"),
            booking(5, 3, "2026-03-02", "hour"),
            booking(6, 3, "2026-03-04", "full_day"),
            booking(7, 4, "2026-03-02", "full_day"),
        ];
        let memo = DaySavings::default();
        let per_person = savings(&engine, &memo, &profiles, &bookings);
        let first = total(&per_person[&1]);
        assert_eq!(first.days, 1.5);
        assert!((first.minutes_saved - 1.5 * day).abs() < 1e-9);
        assert_eq!(total(&per_person[&3]).days, 1.0, "room hours count nothing");

        let rows = by_municipio(&engine, &memo, &profiles, &bookings);
        assert_eq!(rows.len(), 9);
        let m4 = rows.iter().find(|r| r.municipio == 4).unwrap();
        assert_eq!(m4.workers, Some(3));
        assert_eq!(m4.totals.as_ref().unwrap().days, 3.5);
        let m7 = rows.iter().find(|r| r.municipio == 7).unwrap();
        assert!(m7.suppressed && m7.workers.is_none() && m7.totals.is_none());

        let firm = group(&engine, &memo, &profiles[..2], &bookings[..4]);
        assert_eq!(firm.workers_with_profile, 2);
        assert_eq!(firm.workers_contributing, 2);
        assert_eq!(firm.totals.days, 2.5);
    }
}
