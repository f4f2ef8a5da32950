//! Lower bounds of travel time for goal-directed search (A*, landmarks and triangle
//! inequality, "ALT").
//!
//! A few landmark nodes on the edge of the network store their times to and from every
//! node. For a node `v` and the destination's access nodes `t` (reached after `w_t` seconds
//! of walking), the triangle inequality gives `time(v, t) + w_t >= time(L, t) + w_t -
//! time(L, v)` and `>= time(v, L) - (time(t, L) - w_t)`. The bound also includes the
//! straight-line distance at the fastest speed of the model. The best of these bounds lets a
//! point-to-point query skip most of the city; queries stay exact because no bound ever
//! exceeds the true time (the tests compare with plain Dijkstra).

use super::grid::{dist, Projection};
use super::network::Network;
use super::search::{dijkstra, Settings, UNREACHED};
use crate::LatLon;

/// Eight landmarks, one per compass sector: enough to bound trips in every direction,
/// few enough that bounds cost a handful of lookups per node.
const LANDMARKS: usize = 8;

/// Times between the landmarks and every node: `[time(L, v), time(v, L)]` at `v * count +
/// l`, so the bounds of a node read one cache line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Landmarks {
    count: usize,
    table: Vec<[u32; 2]>,
}

/// What a query needs to bound times to its destination.
pub(crate) struct GoalBound<'a> {
    landmarks: &'a Landmarks,
    net: &'a Network,
    /// Per landmark: min over targets of time(L, t) + w_t.
    from_landmark: Vec<u32>,
    /// Per landmark: max over targets of time(t, L) - w_t (may be negative).
    to_landmark: Vec<i64>,
    goal_xy: [f64; 2],
    secs_per_m: f64,
}

impl Landmarks {
    /// Picks the node farthest from the centre in each compass sector and runs a forward
    /// and a backward search from each.
    pub(crate) fn choose(net: &Network) -> Landmarks {
        let picks = sector_extremes(&net.xy);
        let count = picks.len();
        let n = net.nodes().len();
        let mut table = vec![[UNREACHED; 2]; n * count];
        for (l, &node) in picks.iter().enumerate() {
            for (side, backward) in [(0, false), (1, true)] {
                let settings = Settings {
                    limit: UNREACHED - 1,
                    rides: true,
                    backward,
                };
                let tree = dijkstra(
                    net,
                    &[(node, 0)],
                    settings,
                    |_| 0,
                    |_, _, _| Some(UNREACHED),
                );
                for (v, d) in tree.dist.into_iter().enumerate() {
                    table[v * count + l][side] = d;
                }
            }
        }
        Landmarks { count, table }
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.table.capacity() * 8
    }

    /// Bounds towards a destination reached from `targets` (node, walking seconds) and
    /// located at `goal`.
    pub(crate) fn toward<'a>(
        &'a self,
        net: &'a Network,
        proj: &Projection,
        goal: LatLon,
        targets: &[(u32, u32)],
        secs_per_m: f64,
    ) -> GoalBound<'a> {
        let mut from_landmark = vec![UNREACHED; self.count];
        let mut to_landmark = vec![i64::MIN; self.count];
        for &(t, w) in targets {
            for l in 0..self.count {
                let [f, b] = self.table[t as usize * self.count + l];
                if f != UNREACHED {
                    from_landmark[l] = from_landmark[l].min(f + w);
                }
                let b = if b == UNREACHED {
                    i64::MAX
                } else {
                    b as i64 - w as i64
                };
                to_landmark[l] = to_landmark[l].max(b);
            }
        }
        GoalBound {
            landmarks: self,
            net,
            from_landmark,
            to_landmark,
            goal_xy: proj.xy(goal),
            secs_per_m,
        }
    }
}

impl GoalBound<'_> {
    /// A lower bound of the seconds from `v` to the destination through the graph.
    pub(crate) fn at(&self, v: u32) -> u32 {
        let mut best = (dist(self.goal_xy, self.net.xy[v as usize]) * self.secs_per_m) as i64;
        let lm = self.landmarks;
        let row = &lm.table[v as usize * lm.count..(v as usize + 1) * lm.count];
        for (l, &[f, b]) in row.iter().enumerate() {
            if f != UNREACHED && self.from_landmark[l] != UNREACHED {
                best = best.max(self.from_landmark[l] as i64 - f as i64);
            }
            // i64::MIN: no targets; i64::MAX: a target cannot reach the landmark.
            if b != UNREACHED && self.to_landmark[l] != i64::MAX && self.to_landmark[l] != i64::MIN
            {
                best = best.max(b as i64 - self.to_landmark[l]);
            }
        }
        best.clamp(0, (UNREACHED / 2) as i64) as u32
    }
}

/// The node farthest from the centroid in each of `LANDMARKS` equal angular sectors.
fn sector_extremes(xy: &[[f64; 2]]) -> Vec<u32> {
    if xy.is_empty() {
        return Vec::new();
    }
    let n = xy.len() as f64;
    let centre = [
        xy.iter().map(|p| p[0]).sum::<f64>() / n,
        xy.iter().map(|p| p[1]).sum::<f64>() / n,
    ];
    let mut best: Vec<Option<(f64, u32)>> = vec![None; LANDMARKS];
    for (i, p) in xy.iter().enumerate() {
        let angle = (p[1] - centre[1]).atan2(p[0] - centre[0]) + std::f64::consts::PI;
        let sector =
            ((angle / std::f64::consts::TAU * LANDMARKS as f64) as usize).min(LANDMARKS - 1);
        let d = dist(*p, centre);
        if best[sector].is_none_or(|(bd, _)| d > bd) {
            best[sector] = Some((d, i as u32));
        }
    }
    best.into_iter().flatten().map(|(_, i)| i).collect()
}
