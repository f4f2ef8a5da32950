//! Time regained (tempo ritrovato): which coworking bookings count as days not spent
//! commuting to the office, and for how much of a day.
//!
//! The rule, applied to each person's bookings:
//! - only bookings `confirmed` or `attended` count; `cancelled` and `no_show` do not;
//! - a desk booked for the full day counts as one day, a morning or an afternoon as half a
//!   day; a meeting room booked by the hour is not a working day and counts nothing;
//! - a person cannot regain more than one commute per date: bookings of the same date are
//!   taken in order (full days first, then by booking id) until the date adds up to one day.
//!
//! The saving of a day is the engine's round-trip saving; half a day saves half of it.

use crate::coworking::Period;

/// Whether a booking in this status counts.
pub fn status_counts(status: &str) -> bool {
    matches!(status, "confirmed" | "attended")
}

/// The share of a working day a booking of `period` stands for.
pub fn period_share(period: &str) -> f64 {
    match Period::parse(period) {
        Some(Period::FullDay) => 1.0,
        Some(Period::Morning) | Some(Period::Afternoon) => 0.5,
        Some(Period::Hour) | None => 0.0,
    }
}

/// One booking as the rule sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct BookedDay<'a> {
    pub id: i64,
    pub date: &'a str,
    pub period: &'a str,
    pub status: &'a str,
}

/// The share of a day each booking of one person counts for, in the order given.
pub fn day_shares(bookings: &[BookedDay<'_>]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..bookings.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&bookings[a], &bookings[b]);
        x.date
            .cmp(y.date)
            .then(period_share(y.period).total_cmp(&period_share(x.period)))
            .then(x.id.cmp(&y.id))
    });
    let mut shares = vec![0.0; bookings.len()];
    let mut used: Option<(&str, f64)> = None;
    for i in order {
        let b = &bookings[i];
        if !status_counts(b.status) {
            continue;
        }
        let taken = match used {
            Some((date, taken)) if date == b.date => taken,
            _ => 0.0,
        };
        let share = period_share(b.period).min(1.0 - taken).max(0.0);
        shares[i] = share;
        used = Some((b.date, taken + share));
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day<'a>(id: i64, date: &'a str, period: &'a str, status: &'a str) -> BookedDay<'a> {
        BookedDay {
            id,
            date,
            period,
            status,
        }
    }

    #[test]
    fn full_days_count_one_half_days_half_rooms_nothing() {
        let shares = day_shares(&[
            day(1, "2026-03-02", "full_day", "confirmed"),
            day(2, "2026-03-03", "morning", "attended"),
            day(3, "2026-03-04", "afternoon", "confirmed"),
            day(4, "2026-03-05", "hour", "confirmed"),
        ]);
        assert_eq!(shares, [1.0, 0.5, 0.5, 0.0]);
    }

    #[test]
    fn cancelled_and_no_show_bookings_do_not_count() {
        let shares = day_shares(&[
            day(1, "2026-03-02", "full_day", "cancelled"),
            day(2, "2026-03-03", "full_day", "no_show"),
            day(3, "2026-03-02", "full_day", "confirmed"),
        ]);
        assert_eq!(shares, [0.0, 0.0, 1.0]);
    }

    #[test]
    fn a_date_never_adds_up_to_more_than_one_day() {
        let shares = day_shares(&[
            day(1, "2026-03-02", "morning", "confirmed"),
            day(2, "2026-03-02", "afternoon", "confirmed"),
            day(3, "2026-03-03", "morning", "confirmed"),
            day(4, "2026-03-03", "full_day", "confirmed"),
            day(5, "2026-03-03", "afternoon", "attended"),
        ]);
        assert_eq!(shares, [0.5, 0.5, 0.0, 1.0, 0.0]);
        let total: f64 = shares.iter().sum();
        assert_eq!(total, 2.0);
    }
}
