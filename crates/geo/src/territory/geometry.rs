//! Plane geometry on WGS84 coordinates at the scale of a city.
//!
//! Milan spans about 20 km, so a local equirectangular plane (longitude scaled by the cosine of
//! the latitude) measures areas and distances to well under 0.1 %: no projection library is
//! needed. Rings are stored open: the last vertex connects back to the first.

use serde::Serialize;

use crate::LatLon;

/// Metres per degree of latitude on the mean-radius sphere used by [`LatLon::distance_m`].
const METRES_PER_DEGREE: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

/// A latitude/longitude rectangle, used to skip shapes that cannot contain a point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BBox {
    /// South-west corner.
    pub min: LatLon,
    /// North-east corner.
    pub max: LatLon,
}

impl BBox {
    /// The smallest box holding every point, or `None` when there are none.
    pub fn around(points: impl IntoIterator<Item = LatLon>) -> Option<BBox> {
        let mut points = points.into_iter();
        let first = points.next()?;
        let start = BBox {
            min: first,
            max: first,
        };
        Some(points.fold(start, BBox::extend))
    }

    /// Borders count as inside, so a point on a shape's edge is never pruned too early.
    pub fn contains(&self, p: LatLon) -> bool {
        (self.min.lat..=self.max.lat).contains(&p.lat)
            && (self.min.lon..=self.max.lon).contains(&p.lon)
    }

    /// The smallest box holding both boxes.
    pub fn union(self, other: BBox) -> BBox {
        self.extend(other.min).extend(other.max)
    }

    /// The centre of the box, also the natural origin of a local plane.
    pub fn center(&self) -> LatLon {
        LatLon::new(
            (self.min.lat + self.max.lat) / 2.0,
            (self.min.lon + self.max.lon) / 2.0,
        )
    }

    fn extend(self, p: LatLon) -> BBox {
        BBox {
            min: LatLon::new(self.min.lat.min(p.lat), self.min.lon.min(p.lon)),
            max: LatLon::new(self.max.lat.max(p.lat), self.max.lon.max(p.lon)),
        }
    }
}

/// One area with an outer ring and optional holes (GeoJSON `Polygon`), rings stored open.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub exterior: Vec<LatLon>,
    pub holes: Vec<Vec<LatLon>>,
}

impl Polygon {
    /// The exterior ring first, then the holes.
    pub fn rings(&self) -> impl Iterator<Item = &[LatLon]> {
        std::iter::once(self.exterior.as_slice()).chain(self.holes.iter().map(Vec::as_slice))
    }

    /// Even-odd ray casting over the exterior and the holes together, so a point in a hole
    /// crosses one more edge and falls outside.
    ///
    /// The ray is half-open (a vertex counts on its upper side, a point on an edge counts only
    /// for the shape to its right or above), so a point on a border shared by two shapes with
    /// the same vertices is inside exactly one of them.
    pub fn contains(&self, p: LatLon) -> bool {
        let crossings = self
            .rings()
            .flat_map(edges)
            .filter(|&(a, b)| crossing_lon(a, b, p.lat).is_some_and(|lon| p.lon < lon))
            .count();
        crossings % 2 == 1
    }

    pub fn bbox(&self) -> BBox {
        BBox::around(self.exterior.iter().copied()).unwrap_or(BBox {
            min: LatLon::new(0.0, 0.0),
            max: LatLon::new(0.0, 0.0),
        })
    }
}

/// A set of disjoint polygons (GeoJSON `MultiPolygon`); a plain `Polygon` is a set of one.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiPolygon {
    pub polygons: Vec<Polygon>,
}

impl MultiPolygon {
    pub fn contains(&self, p: LatLon) -> bool {
        self.polygons.iter().any(|polygon| polygon.contains(p))
    }

    /// The box around every exterior ring; computed on each call, so callers that test many
    /// points keep their own copy.
    pub fn bbox(&self) -> BBox {
        self.polygons
            .iter()
            .map(Polygon::bbox)
            .reduce(BBox::union)
            .unwrap_or(BBox {
                min: LatLon::new(0.0, 0.0),
                max: LatLon::new(0.0, 0.0),
            })
    }

    fn rings(&self) -> impl Iterator<Item = &[LatLon]> {
        self.polygons.iter().flat_map(Polygon::rings)
    }

    /// Surface in square metres: exteriors minus holes.
    pub fn area_m2(&self) -> f64 {
        let plane = LocalPlane::at(self.bbox().center());
        self.polygons
            .iter()
            .flat_map(|polygon| oriented_moments(&plane, polygon))
            .map(|m| m.area)
            .sum()
    }

    /// The centre of mass of the surface. For a concave shape it may fall outside: use
    /// [`MultiPolygon::interior_point`] when the point must be inside.
    pub fn centroid(&self) -> LatLon {
        let plane = LocalPlane::at(self.bbox().center());
        let total = self
            .polygons
            .iter()
            .flat_map(|polygon| oriented_moments(&plane, polygon))
            .fold(Moments::default(), Moments::add);
        if total.area == 0.0 {
            return self.bbox().center();
        }
        plane.to_latlon(total.x / total.area, total.y / total.area)
    }

    /// A point strictly inside the shape, as far as possible from its left and right borders:
    /// the middle of the widest inside stretch along a few horizontal lines. Good for labels
    /// and for asking "which Municipio holds this NIL".
    pub fn interior_point(&self) -> LatLon {
        let bbox = self.bbox();
        let lines = 24;
        let height = bbox.max.lat - bbox.min.lat;
        let latitudes = (0..lines).map(|i| bbox.min.lat + height * (i as f64 + 0.5) / lines as f64);
        std::iter::once(self.centroid().lat)
            .chain(latitudes)
            .filter_map(|lat| self.widest_inside_stretch(lat))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, p)| p)
            .unwrap_or_else(|| bbox.center())
    }

    /// Width in degrees and midpoint of the longest inside stretch on the parallel `lat`.
    fn widest_inside_stretch(&self, lat: f64) -> Option<(f64, LatLon)> {
        let mut lons: Vec<f64> = self
            .rings()
            .flat_map(edges)
            .filter_map(|(a, b)| crossing_lon(a, b, lat))
            .collect();
        lons.sort_by(f64::total_cmp);
        lons.chunks_exact(2)
            .map(|pair| {
                (
                    pair[1] - pair[0],
                    LatLon::new(lat, (pair[0] + pair[1]) / 2.0),
                )
            })
            .filter(|(width, _)| *width > 0.0)
            .max_by(|a, b| a.0.total_cmp(&b.0))
    }

    /// Distance in metres from `p` to the nearest border of the shape (0 on the border).
    pub fn distance_to_border_m(&self, p: LatLon) -> f64 {
        let plane = LocalPlane::at(p);
        self.rings()
            .flat_map(edges)
            .map(|(a, b)| segment_distance(plane.to_xy(a), plane.to_xy(b)))
            .fold(f64::INFINITY, f64::min)
    }
}

/// The edges of an open ring, including the closing one.
pub(crate) fn edges(ring: &[LatLon]) -> impl Iterator<Item = (LatLon, LatLon)> + '_ {
    let closing = ring.last().copied().into_iter().zip(ring.first().copied());
    closing.chain(ring.windows(2).map(|w| (w[0], w[1])))
}

/// Longitude where edge `a`-`b` crosses the parallel `lat`, if it does.
///
/// An edge spans the half-open interval of latitudes [lower, upper), and the longitude is
/// computed from the lower endpoint whatever the ring's direction: two shapes sharing an edge
/// get bit-identical answers, which makes borders deterministic.
pub(super) fn crossing_lon(a: LatLon, b: LatLon, lat: f64) -> Option<f64> {
    if (a.lat > lat) == (b.lat > lat) {
        return None;
    }
    let (low, high) = if a.lat < b.lat { (a, b) } else { (b, a) };
    Some(low.lon + (lat - low.lat) * (high.lon - low.lon) / (high.lat - low.lat))
}

/// Distance from the origin to the segment `a`-`b` in a plane.
fn segment_distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length2 = dx * dx + dy * dy;
    let t = if length2 == 0.0 {
        0.0
    } else {
        (-(a.0 * dx + a.1 * dy) / length2).clamp(0.0, 1.0)
    };
    (a.0 + t * dx).hypot(a.1 + t * dy)
}

/// Area and first moments of a ring in a local plane.
#[derive(Debug, Default, Clone, Copy)]
struct Moments {
    area: f64,
    x: f64,
    y: f64,
}

impl Moments {
    /// Shoelace sums: signed area and area-weighted centroid coordinates.
    fn of_ring(plane: &LocalPlane, ring: &[LatLon]) -> Moments {
        edges(ring)
            .map(|(a, b)| {
                let ((x0, y0), (x1, y1)) = (plane.to_xy(a), plane.to_xy(b));
                let cross = x0 * y1 - x1 * y0;
                Moments {
                    area: cross / 2.0,
                    x: (x0 + x1) * cross / 6.0,
                    y: (y0 + y1) * cross / 6.0,
                }
            })
            .fold(Moments::default(), Moments::add)
    }

    fn add(self, other: Moments) -> Moments {
        Moments {
            area: self.area + other.area,
            x: self.x + other.x,
            y: self.y + other.y,
        }
    }

    /// The same moments with the area made positive (`sign` 1) or negative (`sign` -1).
    fn with_sign(self, sign: f64) -> Moments {
        let k = if self.area * sign < 0.0 { -1.0 } else { 1.0 };
        Moments {
            area: self.area * k,
            x: self.x * k,
            y: self.y * k,
        }
    }
}

/// Exterior counted positive and holes negative, whatever the rings' winding in the file.
fn oriented_moments(plane: &LocalPlane, polygon: &Polygon) -> Vec<Moments> {
    let exterior = Moments::of_ring(plane, &polygon.exterior).with_sign(1.0);
    let holes = polygon
        .holes
        .iter()
        .map(|hole| Moments::of_ring(plane, hole).with_sign(-1.0));
    std::iter::once(exterior).chain(holes).collect()
}

/// A flat map in metres around an origin: x east, y north.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LocalPlane {
    origin: LatLon,
    metres_per_degree_lon: f64,
}

impl LocalPlane {
    pub(crate) fn at(origin: LatLon) -> LocalPlane {
        LocalPlane {
            origin,
            metres_per_degree_lon: METRES_PER_DEGREE * origin.lat.to_radians().cos(),
        }
    }

    pub(crate) fn to_xy(self, p: LatLon) -> (f64, f64) {
        (
            (p.lon - self.origin.lon) * self.metres_per_degree_lon,
            (p.lat - self.origin.lat) * METRES_PER_DEGREE,
        )
    }

    pub(crate) fn to_latlon(self, x: f64, y: f64) -> LatLon {
        LatLon::new(
            self.origin.lat + y / METRES_PER_DEGREE,
            self.origin.lon + x / self.metres_per_degree_lon,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 0.01° square around (45.0, 9.0) with a square hole in the middle.
    fn square_with_hole() -> MultiPolygon {
        let ring = |lo: f64, hi: f64| {
            vec![
                LatLon::new(45.0 + lo, 9.0 + lo),
                LatLon::new(45.0 + lo, 9.0 + hi),
                LatLon::new(45.0 + hi, 9.0 + hi),
                LatLon::new(45.0 + hi, 9.0 + lo),
            ]
        };
        MultiPolygon {
            polygons: vec![Polygon {
                exterior: ring(0.0, 0.01),
                holes: vec![ring(0.004, 0.006)],
            }],
        }
    }

    #[test]
    fn holes_are_outside() {
        let shape = square_with_hole();
        assert!(shape.contains(LatLon::new(45.002, 9.002)));
        assert!(!shape.contains(LatLon::new(45.005, 9.005)));
        assert!(!shape.contains(LatLon::new(45.02, 9.005)));
    }

    #[test]
    fn area_subtracts_holes() {
        let shape = square_with_hole();
        let side_m = 0.01 * METRES_PER_DEGREE;
        let expected = side_m * side_m * 45.005f64.to_radians().cos() * (1.0 - 0.04);
        assert!((shape.area_m2() - expected).abs() / expected < 1e-3);
    }

    #[test]
    fn interior_point_avoids_the_hole() {
        let shape = square_with_hole();
        let p = shape.interior_point();
        assert!(shape.contains(p), "{p:?}");
        let c = shape.centroid();
        assert!((c.lat - 45.005).abs() < 1e-6 && (c.lon - 9.005).abs() < 1e-6);
    }

    #[test]
    fn shared_edge_belongs_to_exactly_one_side() {
        let west = Polygon {
            exterior: vec![
                LatLon::new(45.0, 9.0),
                LatLon::new(45.0, 9.013),
                LatLon::new(45.01, 9.007),
                LatLon::new(45.01, 9.0),
            ],
            holes: vec![],
        };
        // The same border, walked the other way round.
        let east = Polygon {
            exterior: vec![
                LatLon::new(45.0, 9.013),
                LatLon::new(45.0, 9.02),
                LatLon::new(45.01, 9.02),
                LatLon::new(45.01, 9.007),
            ],
            holes: vec![],
        };
        for i in 1..100 {
            let t = i as f64 / 100.0;
            let on_border = LatLon::new(45.0 + 0.01 * t, 9.013 - 0.006 * t);
            assert!(
                west.contains(on_border) != east.contains(on_border),
                "{on_border:?}"
            );
        }
    }

    #[test]
    fn distance_to_border_in_metres() {
        let shape = square_with_hole();
        let d = shape.distance_to_border_m(LatLon::new(44.999, 9.005));
        assert!((d - 0.001 * METRES_PER_DEGREE).abs() < 0.5, "{d}");
    }
}
