//! Coworking demand: firms and workers say how many desks they need, on which weekdays, from
//! when, near which NIL (or near their staff's homes) and for what budget; operators answer.
//!
//! Pure rules: the validation of a posted demand and the spreading of a firm's desks over the
//! NIL its staff live in. Where the staff live, and whether a NIL exists, the caller knows.

use chrono::{Duration, NaiveDate};

use crate::coworking::{parse_date, WEEKDAY_KEYS};
use crate::{identifiers, text, FieldError, Invalid};

identifiers! {
    /// A demand is open until its poster (or the firm) closes it; closed demands are no
    /// longer shown to operators nor counted in the supply and demand sums.
    DemandStatus {
        Open = "open",
        Closed = "closed",
    }
}

/// Desks a firm may ask for in one demand.
pub const DESKS_MAX: i64 = 500;
/// The highest budget per desk-day, 1,000 EUR.
pub const BUDGET_MAX_CENTS: i64 = 100_000;
pub const NOTE_MAX: usize = 1000;
pub const MESSAGE_MAX: usize = 2000;
/// How far ahead a demand may start.
pub const AHEAD_MAX_DAYS: i64 = 365;

/// Days of the week as a bit mask, Monday bit 0 (the order of [`WEEKDAY_KEYS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(pub i64);

impl Weekdays {
    /// Reads `mon`..`sun` keys; at least one, each known (repeats are harmless).
    pub fn parse(field: &'static str, raw: &[String]) -> Result<Weekdays, FieldError> {
        let mut mask = 0;
        for r in raw {
            let i = WEEKDAY_KEYS
                .iter()
                .position(|k| k.eq_ignore_ascii_case(r.trim()))
                .ok_or(FieldError::new(field, "error-choice"))?;
            mask |= 1 << i;
        }
        if mask == 0 {
            return Err(FieldError::new(field, "error-demand-weekdays"));
        }
        Ok(Weekdays(mask))
    }

    /// The keys of the days in the mask, Monday first.
    pub fn keys(self) -> Vec<&'static str> {
        WEEKDAY_KEYS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, k)| *k)
            .collect()
    }
}

/// Where the desks are wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Near {
    Nil(u16),
    /// Spread over the home NIL of the firm's staff (firms only).
    StaffHomes,
}

/// Raw fields of a demand form or API body.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct DemandInput {
    #[serde(default)]
    pub desks: Option<serde_json::Number>,
    #[serde(default)]
    pub weekdays: Vec<String>,
    /// First day the desks are needed, YYYY-MM-DD.
    #[serde(default)]
    pub from_date: String,
    #[serde(default)]
    pub near_nil_id: Option<serde_json::Number>,
    #[serde(default)]
    pub near_staff_homes: bool,
    /// Highest price per desk-day the poster would pay, in cents.
    #[serde(default)]
    pub budget_cents: Option<serde_json::Number>,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDemand {
    pub desks: i64,
    pub weekdays: Weekdays,
    pub from_date: NaiveDate,
    pub near: Near,
    pub budget_cents: Option<i64>,
    pub note: Option<String>,
}

impl DemandInput {
    /// Checks every field at once. `for_firm` is true when posting for an organisation (a
    /// person posting for themselves asks for exactly one desk, near one NIL); `today` is
    /// Milan's date; `known_nil` says whether a NIL id exists.
    pub fn validate(
        &self,
        for_firm: bool,
        today: NaiveDate,
        known_nil: impl Fn(u16) -> bool,
    ) -> Result<NewDemand, Invalid> {
        let mut e = Invalid::default();
        let desks = self.desks(for_firm, &mut e);
        let weekdays = e.check(Weekdays::parse("weekdays", &self.weekdays));
        let from_date = e.check(from_date(&self.from_date, today));
        let near = self.near(for_firm, known_nil, &mut e);
        let budget_cents = match &self.budget_cents {
            None => None,
            Some(n) => e.check(
                n.as_i64()
                    .filter(|c| (0..=BUDGET_MAX_CENTS).contains(c))
                    .ok_or(FieldError::new("budget_cents", "error-number-range")),
            ),
        };
        let note = e
            .check(text::optional("note", &self.note, NOTE_MAX))
            .flatten();
        match (desks, weekdays, from_date, near) {
            (Some(desks), Some(weekdays), Some(from_date), Some(near)) if e.is_empty() => {
                Ok(NewDemand {
                    desks,
                    weekdays,
                    from_date,
                    near,
                    budget_cents,
                    note,
                })
            }
            _ => Err(e),
        }
    }

    fn desks(&self, for_firm: bool, e: &mut Invalid) -> Option<i64> {
        let n = match &self.desks {
            None if for_firm => {
                e.push("desks", "error-required");
                return None;
            }
            None => return Some(1),
            Some(n) => n.as_i64(),
        };
        match n {
            Some(1) => Some(1),
            Some(_) if !for_firm => {
                e.push("desks", "error-demand-one-desk");
                None
            }
            Some(d) if (1..=DESKS_MAX).contains(&d) => Some(d),
            _ => {
                e.push("desks", "error-number-range");
                None
            }
        }
    }

    fn near(
        &self,
        for_firm: bool,
        known_nil: impl Fn(u16) -> bool,
        e: &mut Invalid,
    ) -> Option<Near> {
        match (&self.near_nil_id, self.near_staff_homes) {
            (Some(_), true) => {
                e.push("near_nil_id", "error-demand-near-both");
                None
            }
            (None, true) if !for_firm => {
                e.push("near_staff_homes", "error-demand-staff-homes-firm");
                None
            }
            (None, true) => Some(Near::StaffHomes),
            (None, false) => {
                e.push("near_nil_id", "error-required");
                None
            }
            (Some(n), false) => {
                let id = n
                    .as_u64()
                    .and_then(|v| u16::try_from(v).ok())
                    .filter(|id| known_nil(*id));
                if id.is_none() {
                    e.push("near_nil_id", "error-choice");
                }
                id.map(Near::Nil)
            }
        }
    }
}

/// The first day: a date from today (Milan) up to [`AHEAD_MAX_DAYS`] ahead.
fn from_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    let d = parse_date("from_date", raw)?;
    if d < today {
        return Err(FieldError::new("from_date", "error-date-past"));
    }
    if d > today + Duration::days(AHEAD_MAX_DAYS) {
        return Err(FieldError::new("from_date", "error-demand-too-far"));
    }
    Ok(d)
}

/// An operator's answer message: required, at most [`MESSAGE_MAX`] characters.
pub fn answer_message(raw: &str) -> Result<String, FieldError> {
    text::required("message", raw, MESSAGE_MAX)
}

/// Spreads `desks` over the NIL where staff live, in proportion to how many live in each
/// (`homes`: NIL id and people). Largest remainder: each NIL gets the whole part of its
/// share, the desks left over go one each to the largest remainders, ties to the lower NIL
/// id. NIL left with no desk are omitted; the result is ordered by NIL id and sums to
/// `desks` (empty when nobody lives anywhere).
pub fn spread_over_homes(desks: i64, homes: &[(u16, u32)]) -> Vec<(u16, i64)> {
    let mut homes: Vec<(u16, i64)> = homes
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(id, n)| (*id, i64::from(*n)))
        .collect();
    homes.sort();
    homes.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
    let people: i64 = homes.iter().map(|(_, n)| n).sum();
    if people == 0 || desks <= 0 {
        return vec![];
    }
    let mut shares: Vec<(u16, i64, i64)> = homes
        .iter()
        .map(|(id, n)| (*id, desks * n / people, desks * n % people))
        .collect();
    let mut left = desks - shares.iter().map(|s| s.1).sum::<i64>();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|&a, &b| {
        shares[b]
            .2
            .cmp(&shares[a].2)
            .then(shares[a].0.cmp(&shares[b].0))
    });
    for i in order {
        if left == 0 {
            break;
        }
        shares[i].1 += 1;
        left -= 1;
    }
    shares
        .into_iter()
        .filter(|s| s.1 > 0)
        .map(|(id, d, _)| (id, d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Number;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input() -> DemandInput {
        DemandInput {
            desks: Some(Number::from(4)),
            weekdays: vec!["mon".into(), "wed".into()],
            from_date: "2026-03-10".into(),
            near_nil_id: Some(Number::from(35)),
            near_staff_homes: false,
            budget_cents: Some(Number::from(2000)),
            note: "  Vicino alla metro  ".into(),
        }
    }

    fn known(id: u16) -> bool {
        (1..=88).contains(&id)
    }

    fn errors(i: &DemandInput, firm: bool) -> Vec<(&'static str, &'static str)> {
        match i.validate(firm, d("2026-03-02"), known) {
            Ok(_) => vec![],
            Err(e) => e.0.iter().map(|f| (f.field, f.message)).collect(),
        }
    }

    #[test]
    fn a_firm_demand_is_read() {
        let ok = input().validate(true, d("2026-03-02"), known).unwrap();
        assert_eq!(ok.desks, 4);
        assert_eq!(ok.weekdays.keys(), ["mon", "wed"]);
        assert_eq!(ok.from_date, d("2026-03-10"));
        assert_eq!(ok.near, Near::Nil(35));
        assert_eq!(ok.budget_cents, Some(2000));
        assert_eq!(ok.note.as_deref(), Some("Vicino alla metro"));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = DemandInput {
            desks: Some(Number::from(501)),
            weekdays: vec![],
            from_date: "2026-03-01".into(),
            near_nil_id: Some(Number::from(999)),
            near_staff_homes: false,
            budget_cents: Some(Number::from(100_001)),
            note: "x".repeat(NOTE_MAX + 1),
        };
        assert_eq!(
            errors(&bad, true),
            [
                ("desks", "error-number-range"),
                ("weekdays", "error-demand-weekdays"),
                ("from_date", "error-date-past"),
                ("near_nil_id", "error-choice"),
                ("budget_cents", "error-number-range"),
                ("note", "error-too-long"),
            ]
        );
    }

    #[test]
    fn desks_and_places_depend_on_who_posts() {
        let mut i = input();
        assert_eq!(errors(&i, false), [("desks", "error-demand-one-desk")]);
        i.desks = None;
        assert_eq!(errors(&i, false), []);
        assert_eq!(errors(&i, true), [("desks", "error-required")]);
        i.desks = Some(Number::from(0));
        assert_eq!(errors(&i, true), [("desks", "error-number-range")]);
        i.desks = Some(Number::from(500));
        assert_eq!(errors(&i, true), []);
        i.near_staff_homes = true;
        assert_eq!(
            errors(&i, true),
            [("near_nil_id", "error-demand-near-both")]
        );
        i.near_nil_id = None;
        let ok = i.validate(true, d("2026-03-02"), known).unwrap();
        assert_eq!(ok.near, Near::StaffHomes);
        i.desks = None;
        assert_eq!(
            errors(&i, false),
            [("near_staff_homes", "error-demand-staff-homes-firm")]
        );
        i.near_staff_homes = false;
        assert_eq!(errors(&i, false), [("near_nil_id", "error-required")]);
    }

    #[test]
    fn the_first_day_is_within_a_year_from_today() {
        let mut i = input();
        for (day, expected) in [
            ("2026-03-02", vec![]),
            ("2027-03-02", vec![]),
            ("2027-03-03", vec![("from_date", "error-demand-too-far")]),
            ("2026-03-01", vec![("from_date", "error-date-past")]),
            ("", vec![("from_date", "error-required")]),
            ("2026-02-30", vec![("from_date", "error-date")]),
        ] {
            i.from_date = day.into();
            assert_eq!(errors(&i, true), expected, "{day}");
        }
    }

    #[test]
    fn weekdays_are_a_set() {
        let w = |v: &[&str]| {
            Weekdays::parse(
                "weekdays",
                &v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(w(&["mon", "MON", "sun"]).unwrap().keys(), ["mon", "sun"]);
        assert_eq!(w(&["mon", "sun"]).unwrap().0, 0b100_0001);
        assert_eq!(w(&["lun"]).unwrap_err().message, "error-choice");
        assert_eq!(w(&[]).unwrap_err().message, "error-demand-weekdays");
    }

    #[test]
    fn desks_follow_where_the_staff_live() {
        // 10 desks, 3 + 2 + 1 people: shares 5, 3.33, 1.67 -> 5, 3, 2.
        assert_eq!(
            spread_over_homes(10, &[(22, 2), (15, 3), (35, 1)]),
            [(15, 5), (22, 3), (35, 2)]
        );
        // Equal remainders go to the lower NIL id first.
        assert_eq!(
            spread_over_homes(2, &[(40, 1), (12, 1), (30, 1)]),
            [(12, 1), (30, 1)]
        );
        // Fewer desks than NIL: the NIL left without a desk are omitted.
        assert_eq!(spread_over_homes(1, &[(5, 1), (6, 3)]), [(6, 1)]);
        // The same NIL given twice counts its people together.
        assert_eq!(
            spread_over_homes(4, &[(7, 1), (7, 1), (8, 2)]),
            [(7, 2), (8, 2)]
        );
        assert_eq!(spread_over_homes(3, &[]), []);
        assert_eq!(spread_over_homes(3, &[(9, 0)]), []);
    }

    #[test]
    fn spreading_always_sums_to_the_desks() {
        let homes = [(1, 7), (2, 3), (3, 3), (4, 1), (5, 11)];
        for desks in 1..=DESKS_MAX {
            let out = spread_over_homes(desks, &homes);
            assert_eq!(out.iter().map(|(_, d)| d).sum::<i64>(), desks);
            assert!(out.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn answers_need_a_message() {
        assert_eq!(answer_message("  Ciao ").unwrap(), "Ciao");
        assert_eq!(answer_message(" ").unwrap_err().message, "error-required");
        assert_eq!(
            answer_message(&"x".repeat(MESSAGE_MAX + 1))
                .unwrap_err()
                .message,
            "error-too-long"
        );
    }
}
