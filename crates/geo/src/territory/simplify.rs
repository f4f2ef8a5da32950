//! Douglas-Peucker simplification in metres, to draw light maps from heavy survey outlines.

use crate::LatLon;

use super::geometry::{LocalPlane, MultiPolygon, Polygon};

/// The shape with every ring simplified so no dropped vertex was farther than `tolerance_m`
/// from the kept outline. Holes that shrink to nothing are dropped; an exterior always keeps
/// at least a triangle, so no NIL vanishes from a map.
pub fn simplify(shape: &MultiPolygon, tolerance_m: f64) -> MultiPolygon {
    let plane = LocalPlane::at(shape.bbox().center());
    let polygons = shape
        .polygons
        .iter()
        .map(|polygon| Polygon {
            exterior: simplify_ring(&plane, &polygon.exterior, tolerance_m),
            holes: polygon
                .holes
                .iter()
                .map(|hole| simplify_ring(&plane, hole, tolerance_m))
                .filter(|hole| hole.len() >= 3)
                .collect(),
        })
        .collect();
    MultiPolygon { polygons }
}

/// An open ring is cut at its first vertex and at the vertex farthest from it, and each half is
/// simplified as a line: both cut points are certain to stay.
fn simplify_ring(plane: &LocalPlane, ring: &[LatLon], tolerance_m: f64) -> Vec<LatLon> {
    if ring.len() <= 3 {
        return ring.to_vec();
    }
    let points: Vec<(f64, f64)> = ring.iter().map(|&p| plane.to_xy(p)).collect();
    let far = (1..points.len())
        .max_by(|&i, &j| distance(points[0], points[i]).total_cmp(&distance(points[0], points[j])))
        .unwrap_or(1);
    let mut closed = points.clone();
    closed.push(points[0]);
    let mut keep = vec![false; closed.len()];
    mark_kept(&closed, 0, far, tolerance_m, &mut keep);
    mark_kept(&closed, far, closed.len() - 1, tolerance_m, &mut keep);
    let kept: Vec<LatLon> = (0..ring.len())
        .filter(|&i| keep[i])
        .map(|i| ring[i])
        .collect();
    if kept.len() >= 3 {
        kept
    } else {
        widest_triangle(ring, &points, far)
    }
}

/// Marks the vertices of `line[first..=last]` that Douglas-Peucker keeps, with an explicit
/// stack so a long outline cannot overflow the call stack.
fn mark_kept(line: &[(f64, f64)], first: usize, last: usize, tolerance_m: f64, keep: &mut [bool]) {
    keep[first] = true;
    keep[last] = true;
    let mut pending = vec![(first, last)];
    while let Some((a, b)) = pending.pop() {
        let farthest = (a + 1..b)
            .map(|i| (i, distance_to_line(line[i], line[a], line[b])))
            .max_by(|x, y| x.1.total_cmp(&y.1));
        if let Some((i, d)) = farthest {
            if d > tolerance_m {
                keep[i] = true;
                pending.push((a, i));
                pending.push((i, b));
            }
        }
    }
}

/// The first vertex, the farthest one and the vertex farthest from the line between them.
fn widest_triangle(ring: &[LatLon], points: &[(f64, f64)], far: usize) -> Vec<LatLon> {
    let third = (1..points.len())
        .filter(|&i| i != far)
        .max_by(|&i, &j| {
            let di = distance_to_line(points[i], points[0], points[far]);
            let dj = distance_to_line(points[j], points[0], points[far]);
            di.total_cmp(&dj)
        })
        .unwrap_or(1);
    let mut corners = [0, far, third];
    corners.sort_unstable();
    corners.iter().map(|&i| ring[i]).collect()
}

fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    (b.0 - a.0).hypot(b.1 - a.1)
}

/// Distance from `p` to the segment `a`-`b`.
fn distance_to_line(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length2 = dx * dx + dy * dy;
    if length2 == 0.0 {
        return distance(p, a);
    }
    let t = (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / length2).clamp(0.0, 1.0);
    distance(p, (a.0 + t * dx, a.1 + t * dy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_wiggles_below_tolerance_and_keeps_corners() {
        // A ~1.1 km square whose south side wiggles by ~1 m every ~11 m.
        let mut ring: Vec<LatLon> = (0..=100)
            .map(|i| {
                let wiggle = if i % 2 == 0 { 0.0 } else { 0.00001 };
                LatLon::new(45.0 + wiggle, 9.0 + 0.0001 * i as f64)
            })
            .collect();
        ring.push(LatLon::new(45.01, 9.01));
        ring.push(LatLon::new(45.01, 9.0));
        let shape = MultiPolygon {
            polygons: vec![Polygon {
                exterior: ring,
                holes: vec![],
            }],
        };
        let simple = simplify(&shape, 5.0);
        assert_eq!(simple.polygons[0].exterior.len(), 4);
        let area_change = (simple.area_m2() - shape.area_m2()).abs() / shape.area_m2();
        assert!(area_change < 0.01, "{area_change}");
        let fine = simplify(&shape, 0.1);
        assert!(fine.polygons[0].exterior.len() > 50);
    }
}
