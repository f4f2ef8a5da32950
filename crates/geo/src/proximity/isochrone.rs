//! What is within T minutes of a point: neighbourhoods, service points and a map of cells.

use serde::Serialize;
use serde_json::json;

use super::grid::Projection;
use super::search::UNREACHED;
use super::services::{Category, ServicePoint};
use super::{Mode, Proximity, ProximityError, Reach};
use crate::LatLon;

/// A NIL the isochrone touches, with the share of its area (sample points) reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NilReach {
    pub nil_id: u16,
    pub name: String,
    pub share: f64,
}

/// A service point and the seconds to reach it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReachedPoint {
    pub category: Category,
    pub point: ServicePoint,
    pub seconds: u32,
}

/// A horizontal run of reachable cells, as its south-west and north-east corners.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CellRun {
    pub south_west: LatLon,
    pub north_east: LatLon,
}

/// The area reachable from a point within a time budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Isochrone {
    pub origin: LatLon,
    pub mode: Mode,
    pub minutes: f64,
    /// NIL with at least one reached sample point, by id.
    pub nils: Vec<NilReach>,
    /// Service points of every category within the budget, fastest first.
    pub points: Vec<ReachedPoint>,
    /// Side of the square cells, metres.
    pub cell_m: f64,
    /// Reached cells, merged into runs along each row.
    pub cells: Vec<CellRun>,
}

impl Isochrone {
    /// Ids of the NIL reached (at least one sample point).
    pub fn nil_ids(&self) -> Vec<u16> {
        self.nils.iter().map(|n| n.nil_id).collect()
    }

    /// Number of cells reached.
    pub fn cell_count(&self, proj_cell_m: f64) -> usize {
        let width = |r: &CellRun| {
            let p = Projection::around(r.south_west);
            (p.xy(r.north_east)[0] / proj_cell_m).round() as usize
        };
        self.cells.iter().map(width).sum()
    }

    /// GeoJSON FeatureCollection: one MultiPolygon of the reached cells, with the reached
    /// NIL ids and the budget as properties, and one Point per reached service.
    pub fn to_geojson(&self) -> serde_json::Value {
        let polygons: Vec<_> = self
            .cells
            .iter()
            .map(|r| {
                let (sw, ne) = (r.south_west, r.north_east);
                json!([[
                    [sw.lon, sw.lat],
                    [ne.lon, sw.lat],
                    [ne.lon, ne.lat],
                    [sw.lon, ne.lat],
                    [sw.lon, sw.lat]
                ]])
            })
            .collect();
        let mut features = vec![json!({
            "type": "Feature",
            "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            "properties": {
                "minutes": self.minutes,
                "mode": self.mode.slug(),
                "cell_m": self.cell_m,
                "origin": [self.origin.lon, self.origin.lat],
                "nil_ids": self.nil_ids(),
            },
        })];
        features.extend(self.points.iter().map(|r| {
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [r.point.at.lon, r.point.at.lat]},
                "properties": {"category": r.category.slug(), "id": r.point.id, "name": r.point.name, "seconds": r.seconds},
            })
        }));
        json!({"type": "FeatureCollection", "features": features})
    }
}

impl Proximity {
    /// Everything within `minutes` of `from`: the points of [`Proximity::categories_with`]
    /// `coworking`.
    pub fn isochrone(
        &self,
        from: LatLon,
        minutes: f64,
        mode: Mode,
        coworking: &[ServicePoint],
    ) -> Result<Isochrone, ProximityError> {
        let limit = self.budget_secs(minutes)?;
        let reach = self.one_to_all(from, mode, Some(limit))?;
        let nils = self.nils_reached(&reach);
        let mut points: Vec<ReachedPoint> = self
            .categories_with(coworking)
            .into_iter()
            .flat_map(|(category, pts)| reached_points(&reach, category, pts))
            .collect();
        points.sort_by_key(|r| (r.seconds, r.category));
        let cell_m = self.params.isochrone.cell_m;
        let cells = self.cells(&reach, limit, cell_m);
        Ok(Isochrone {
            origin: from,
            mode,
            minutes,
            nils,
            points,
            cell_m,
            cells,
        })
    }

    /// The `k` points of `category` fastest to reach from `from` (searching up to the
    /// longest budget in the parameters).
    pub fn nearest(
        &self,
        from: LatLon,
        category: Category,
        k: usize,
        mode: Mode,
    ) -> Result<Vec<ReachedPoint>, ProximityError> {
        self.nearest_among(from, category, self.catalog.points(category), k, mode)
    }

    /// The same for any list of points (e.g. coworking spaces with free desks today).
    pub fn nearest_among(
        &self,
        from: LatLon,
        category: Category,
        points: &[ServicePoint],
        k: usize,
        mode: Mode,
    ) -> Result<Vec<ReachedPoint>, ProximityError> {
        let limit = self.budget_secs(self.params.isochrone.max_minutes)?;
        let reach = self.one_to_all(from, mode, Some(limit))?;
        let mut found = reached_points(&reach, category, points);
        found.sort_by(|a, b| {
            a.seconds
                .cmp(&b.seconds)
                .then_with(|| a.point.id.cmp(&b.point.id))
        });
        found.truncate(k);
        Ok(found)
    }

    fn nils_reached(&self, reach: &Reach) -> Vec<NilReach> {
        self.city
            .nils()
            .iter()
            .filter_map(|nil| {
                let hits = nil
                    .samples
                    .iter()
                    .filter(|s| reach.secs_to(**s).is_some())
                    .count();
                (hits > 0).then(|| NilReach {
                    nil_id: nil.id,
                    name: nil.name.clone(),
                    share: hits as f64 / nil.samples.len() as f64,
                })
            })
            .collect()
    }

    /// Cells whose centre is reached, scanning only the box that walking from reached nodes
    /// could cover.
    fn cells(&self, reach: &Reach, limit: u32, cell_m: f64) -> Vec<CellRun> {
        let (lo, hi) = self.reach_box(reach, limit);
        let (cols, rows) = (
            ((hi[0] - lo[0]) / cell_m).ceil() as usize,
            ((hi[1] - lo[1]) / cell_m).ceil() as usize,
        );
        let mut runs = Vec::new();
        for r in 0..rows {
            let y = lo[1] + r as f64 * cell_m;
            let mut start: Option<usize> = None;
            for c in 0..=cols {
                let centre = [lo[0] + (c as f64 + 0.5) * cell_m, y + cell_m / 2.0];
                let hit = c < cols && reach.secs_to(self.proj.latlon(centre)).is_some();
                match (hit, start) {
                    (true, None) => start = Some(c),
                    (false, Some(s)) => {
                        let sw = self.proj.latlon([lo[0] + s as f64 * cell_m, y]);
                        let ne = self.proj.latlon([lo[0] + c as f64 * cell_m, y + cell_m]);
                        runs.push(CellRun {
                            south_west: sw,
                            north_east: ne,
                        });
                        start = None;
                    }
                    _ => {}
                }
            }
        }
        runs
    }

    /// Projected box around the origin and every reached node, widened by the walk the
    /// remaining time allows.
    fn reach_box(&self, reach: &Reach, limit: u32) -> ([f64; 2], [f64; 2]) {
        let speed = self.params.walking.speed_m_s
            / if self.has_streets() {
                1.0
            } else {
                self.params.walking.detour_factor
            };
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        let mut grow = |p: [f64; 2], secs: u32| {
            let r = (limit - secs) as f64 * speed;
            for k in 0..2 {
                lo[k] = lo[k].min(p[k] - r);
                hi[k] = hi[k].max(p[k] + r);
            }
        };
        grow(self.proj.xy(reach.origin()), 0);
        for (node, &d) in reach.node_secs().iter().enumerate() {
            if d != UNREACHED && d <= limit {
                grow(self.network.xy[node], d);
            }
        }
        (lo, hi)
    }
}

fn reached_points(reach: &Reach, category: Category, points: &[ServicePoint]) -> Vec<ReachedPoint> {
    points
        .iter()
        .filter_map(|p| {
            reach.secs_to(p.at).map(|seconds| ReachedPoint {
                category,
                point: p.clone(),
                seconds,
            })
        })
        .collect()
}
