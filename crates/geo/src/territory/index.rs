//! A lookup structure that makes point-in-shape tests cheap for detailed outlines.
//!
//! A Municipio outline has up to 9,000 vertices. A horizontal ray from a point can only cross
//! edges that span the point's latitude, so the edges are filed into latitude bands and a test
//! reads one band: a few dozen edges instead of thousands. The answer is the same as
//! [`MultiPolygon::contains`], because it counts the same crossings with the same rule.

use crate::LatLon;

use super::geometry::{crossing_lon, edges, BBox, MultiPolygon};

/// Average number of edges per band; small enough that a test reads a handful of edges.
const EDGES_PER_BAND: usize = 4;

#[derive(Debug)]
pub(super) struct ShapeIndex {
    bbox: BBox,
    band_height: f64,
    /// `bands[i]` holds every edge whose latitude range meets band `i`.
    bands: Vec<Vec<(LatLon, LatLon)>>,
}

impl ShapeIndex {
    pub(super) fn new(shape: &MultiPolygon) -> ShapeIndex {
        let bbox = shape.bbox();
        let all_edges: Vec<(LatLon, LatLon)> = shape
            .polygons
            .iter()
            .flat_map(|polygon| polygon.rings())
            .flat_map(edges)
            .collect();
        let band_count = (all_edges.len() / EDGES_PER_BAND).max(1);
        let band_height =
            ((bbox.max.lat - bbox.min.lat) / band_count as f64).max(f64::MIN_POSITIVE);
        let mut index = ShapeIndex {
            bbox,
            band_height,
            bands: vec![Vec::new(); band_count],
        };
        for (a, b) in all_edges {
            let (low, high) = (index.band(a.lat.min(b.lat)), index.band(a.lat.max(b.lat)));
            for band in &mut index.bands[low..=high] {
                band.push((a, b));
            }
        }
        index
    }

    pub(super) fn bbox(&self) -> BBox {
        self.bbox
    }

    /// Even-odd ray casting over the edges of the point's band only.
    pub(super) fn contains(&self, p: LatLon) -> bool {
        if !self.bbox.contains(p) {
            return false;
        }
        let crossings = self.bands[self.band(p.lat)]
            .iter()
            .filter(|&&(a, b)| crossing_lon(a, b, p.lat).is_some_and(|lon| p.lon < lon))
            .count();
        crossings % 2 == 1
    }

    fn band(&self, lat: f64) -> usize {
        let offset = ((lat - self.bbox.min.lat) / self.band_height).floor();
        (offset.max(0.0) as usize).min(self.bands.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::territory::geometry::Polygon;

    /// A star with many spikes and a hole: the index must agree with plain ray casting
    /// everywhere, including on vertices.
    #[test]
    fn agrees_with_plain_ray_casting() {
        let star: Vec<LatLon> = (0..200)
            .map(|i| {
                let angle = i as f64 * std::f64::consts::TAU / 200.0;
                let radius = if i % 2 == 0 { 0.01 } else { 0.004 };
                LatLon::new(45.46 + radius * angle.sin(), 9.19 + radius * angle.cos())
            })
            .collect();
        let hole = vec![
            LatLon::new(45.459, 9.189),
            LatLon::new(45.459, 9.191),
            LatLon::new(45.461, 9.19),
        ];
        let shape = MultiPolygon {
            polygons: vec![Polygon {
                exterior: star.clone(),
                holes: vec![hole.clone()],
            }],
        };
        let index = ShapeIndex::new(&shape);
        let grid = (0..120 * 120).map(|k| {
            LatLon::new(
                45.448 + 0.0002 * (k / 120) as f64,
                9.178 + 0.0002 * (k % 120) as f64,
            )
        });
        let mut inside = 0;
        for p in grid.chain(star).chain(hole) {
            assert_eq!(index.contains(p), shape.contains(p), "{p:?}");
            inside += usize::from(index.contains(p));
        }
        assert!(inside > 1000);
    }
}
