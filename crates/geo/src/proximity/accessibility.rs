//! The 15-minute city: for every NIL, the share of its residents who reach each category
//! of service within the threshold, and a city-wide score.
//!
//! One backward search per category, seeded at every point of the category, gives the time
//! from every graph node to the nearest point; each resident sample point then needs only
//! a look at its own access nodes. This costs a handful of searches instead of one per
//! sample point (thousands).

use serde::Serialize;

use super::grid::GridIndex;
use super::search::{dijkstra, UNREACHED};
use super::services::{Category, ServicePoint};
use super::{Mode, Proximity};

/// Share of residents reaching a category.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CategoryShare {
    pub category: Category,
    /// 0 to 1.
    pub share: f64,
    /// Residents (2024) that reach it.
    pub residents: f64,
}

/// Accessibility of one NIL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NilAccessibility {
    pub nil_id: u16,
    pub name: String,
    pub municipio: u8,
    pub residents: u32,
    pub shares: Vec<CategoryShare>,
    /// Mean share over the categories, 0 to 100.
    pub score: f64,
}

/// Accessibility of the whole city.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessibilityReport {
    pub minutes: f64,
    pub mode: Mode,
    pub nils: Vec<NilAccessibility>,
    /// Population-weighted shares over all NIL.
    pub city: Vec<CategoryShare>,
    /// Mean of the city shares, 0 to 100.
    pub score: f64,
}

impl Proximity {
    /// Accessibility of every NIL to every category with points (the shipped ones plus
    /// `coworking`, the spaces the caller passes; pass `&[]` to leave coworking out unless
    /// set with [`Proximity::set_points`]), within `accessibility.minutes` of the parameters.
    pub fn accessibility(&self, mode: Mode, coworking: &[ServicePoint]) -> AccessibilityReport {
        let limit = (self.params.accessibility.minutes * 60.0).round() as u32;
        let categories = self.categories_with(coworking);
        let samples: Vec<_> = self
            .city
            .nils()
            .iter()
            .flat_map(|n| n.samples.iter().copied())
            .collect();
        let access: Vec<Vec<(u32, u32)>> = samples.iter().map(|s| self.attach(*s, mode)).collect();
        let reached: Vec<Vec<bool>> = categories
            .iter()
            .map(|(_, points)| self.samples_reaching(points, &samples, &access, mode, limit))
            .collect();
        self.report(mode, &categories, &reached)
    }

    /// For each sample point, whether some point of the category is within `limit`.
    fn samples_reaching(
        &self,
        points: &[ServicePoint],
        samples: &[crate::LatLon],
        access: &[Vec<(u32, u32)>],
        mode: Mode,
        limit: u32,
    ) -> Vec<bool> {
        let seeds: Vec<(u32, u32)> = points
            .iter()
            .flat_map(|p| self.attach(p.at, mode))
            .collect();
        let to_service = dijkstra(
            &self.network,
            &seeds,
            self.settings(mode, limit, true),
            |_| 0,
            |_, _, _| Some(UNREACHED),
        )
        .dist;
        let walk_radius =
            self.params.walking.speed_m_s * limit as f64 / self.params.walking.detour_factor;
        let direct = (!self.has_streets()).then(|| {
            GridIndex::new(
                points.iter().map(|p| self.proj.xy(p.at)).collect(),
                walk_radius.max(100.0),
            )
        });
        samples
            .iter()
            .zip(access)
            .map(|(s, nodes)| {
                let by_graph = nodes.iter().any(|&(n, w)| {
                    let d = to_service[n as usize];
                    d != UNREACHED && d + w <= limit
                });
                by_graph
                    || direct
                        .as_ref()
                        .is_some_and(|g| self.walks_to_any(g, *s, limit))
            })
            .collect()
    }

    /// Whether a straight-line walk reaches an indexed point within `limit` seconds.
    fn walks_to_any(&self, grid: &GridIndex, s: crate::LatLon, limit: u32) -> bool {
        let radius =
            self.params.walking.speed_m_s * limit as f64 / self.params.walking.detour_factor;
        let mut hit = false;
        grid.within(self.proj.xy(s), radius, |_, d| {
            hit |= self.params.walk_secs_straight(d) <= limit
        });
        hit
    }

    fn report(
        &self,
        mode: Mode,
        categories: &[(Category, &[ServicePoint])],
        reached: &[Vec<bool>],
    ) -> AccessibilityReport {
        let mut offset = 0;
        let mut city = vec![0.0; categories.len()];
        let mut nils = Vec::new();
        for nil in self.city.nils() {
            let n = nil.samples.len();
            let weight = nil.residents as f64 / n as f64;
            let shares: Vec<CategoryShare> = categories
                .iter()
                .zip(reached)
                .enumerate()
                .map(|(k, ((category, _), hits))| {
                    let count = hits[offset..offset + n].iter().filter(|h| **h).count();
                    city[k] += count as f64 * weight;
                    let share = count as f64 / n as f64;
                    CategoryShare {
                        category: *category,
                        share,
                        residents: share * nil.residents as f64,
                    }
                })
                .collect();
            offset += n;
            nils.push(NilAccessibility {
                nil_id: nil.id,
                name: nil.name.clone(),
                municipio: nil.municipio,
                residents: nil.residents,
                score: mean_percent(&shares),
                shares,
            });
        }
        let total = self.city.residents().max(1) as f64;
        let city: Vec<CategoryShare> = categories
            .iter()
            .zip(city)
            .map(|((category, _), residents)| CategoryShare {
                category: *category,
                share: residents / total,
                residents,
            })
            .collect();
        let minutes = self.params.accessibility.minutes;
        AccessibilityReport {
            minutes,
            mode,
            nils,
            score: mean_percent(&city),
            city,
        }
    }
}

fn mean_percent(shares: &[CategoryShare]) -> f64 {
    if shares.is_empty() {
        return 0.0;
    }
    100.0 * shares.iter().map(|s| s.share).sum::<f64>() / shares.len() as f64
}
