//! The routable graph: stops (and street nodes when a walking network is loaded) joined by
//! walking edges and ride edges, stored as compressed adjacency arrays (CSR) in both
//! directions.
//!
//! A ride edge goes from a stop to *every later stop* of the same route and costs the wait
//! at boarding plus the in-vehicle time: a traveller who stays on board does not wait again,
//! and the graph needs no "on board" nodes. Among parallel edges between the same two stops
//! only the fastest is kept. See docs/proximity.md for why this shape is fast.

use std::collections::HashMap;

use super::atm::{RideTimes, Stop, TransitData};
use super::grid::{GridIndex, Projection};
use super::streets::StreetNetwork;
use super::{Params, Route};
use crate::LatLon;

/// The `route` of an edge walked on foot.
pub const WALK_ROUTE: u32 = u32::MAX;

/// A directed edge. In the reverse adjacency `to` is the edge's source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub to: u32,
    pub secs: u32,
    /// Length travelled, for emissions and display.
    pub metres: f32,
    /// Index into [`Network::routes`], or [`WALK_ROUTE`].
    pub route: u32,
}

impl Edge {
    pub fn is_walk(&self) -> bool {
        self.route == WALK_ROUTE
    }
}

/// What a graph node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// Index into [`Network::stops`].
    Stop(u32),
    /// A node of the OpenStreetMap walking network.
    Street,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    pub at: LatLon,
    pub kind: NodeKind,
}

/// The graph and the transit data it was built from.
#[derive(Debug, Clone)]
pub struct Network {
    nodes: Vec<Node>,
    pub(crate) xy: Vec<[f64; 2]>,
    first_out: Vec<u32>,
    out: Vec<Edge>,
    first_in: Vec<u32>,
    inc: Vec<Edge>,
    stops: Vec<Stop>,
    routes: Vec<Route>,
}

impl Network {
    /// Builds the graph. Without streets, stops within the transfer distance are joined by
    /// straight-line walks; with streets, every stop is linked to its nearest street node
    /// and all walking happens on the street graph.
    pub(crate) fn build(
        transit: &TransitData,
        rides: &dyn RideTimes,
        params: &Params,
        streets: Option<&StreetNetwork>,
        proj: &Projection,
    ) -> Network {
        let mut nodes: Vec<Node> = transit
            .stops
            .iter()
            .enumerate()
            .map(|(i, s)| Node {
                at: s.at,
                kind: NodeKind::Stop(i as u32),
            })
            .collect();
        if let Some(streets) = streets {
            nodes.extend(streets.points().iter().map(|&at| Node {
                at,
                kind: NodeKind::Street,
            }));
        }
        let xy: Vec<[f64; 2]> = nodes.iter().map(|n| proj.xy(n.at)).collect();
        let mut edges = ride_edges(transit, rides);
        match streets {
            None => edges.extend(transfer_edges(&xy, params)),
            Some(streets) => edges.extend(street_edges(streets, &xy, transit.stops.len(), params)),
        }
        let (first_out, out) = csr(nodes.len(), edges.iter().copied());
        let reversed = edges
            .iter()
            .map(|&(from, e)| (e.to, Edge { to: from, ..e }));
        let (first_in, inc) = csr(nodes.len(), reversed);
        let routes = transit.patterns.iter().map(|p| p.route.clone()).collect();
        Network {
            nodes,
            xy,
            first_out,
            out,
            first_in,
            inc,
            stops: transit.stops.clone(),
            routes,
        }
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    pub fn stops(&self) -> &[Stop] {
        &self.stops
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    pub fn edge_count(&self) -> usize {
        self.out.len()
    }

    /// Edges leaving `node`.
    pub fn edges_from(&self, node: u32) -> &[Edge] {
        let v = node as usize;
        &self.out[self.first_out[v] as usize..self.first_out[v + 1] as usize]
    }

    /// Edges arriving at `node`, with `to` set to their source.
    pub fn edges_into(&self, node: u32) -> &[Edge] {
        let v = node as usize;
        &self.inc[self.first_in[v] as usize..self.first_in[v + 1] as usize]
    }

    /// Bytes held by the graph arrays (for the memory figure of the benchmarks).
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.nodes.capacity() * size_of::<Node>()
            + self.xy.capacity() * size_of::<[f64; 2]>()
            + (self.first_out.capacity() + self.first_in.capacity()) * 4
            + (self.out.capacity() + self.inc.capacity()) * size_of::<Edge>()
            + self
                .stops
                .iter()
                .map(|s| size_of::<Stop>() + s.name.len() + s.id.len())
                .sum::<usize>()
            + self
                .routes
                .iter()
                .map(|r| size_of::<Route>() + r.name.len() + 8)
                .sum::<usize>()
    }

    pub(crate) fn stop_count(&self) -> usize {
        self.stops.len()
    }
}

/// One edge from each stop to every later stop of each route; the fastest of parallel edges.
fn ride_edges(transit: &TransitData, rides: &dyn RideTimes) -> Vec<(u32, Edge)> {
    let mut best: HashMap<(u32, u32), Edge> = HashMap::new();
    let mut order: Vec<(u32, u32)> = Vec::new();
    for (route_index, pattern) in transit.patterns.iter().enumerate() {
        let metres = pattern.segment_metres(&transit.stops);
        let secs: Vec<u32> = metres
            .iter()
            .enumerate()
            .map(|(k, &m)| rides.ride_secs(pattern, k, m))
            .collect();
        let wait = rides.wait_secs(&pattern.route);
        for i in 0..pattern.stops.len() {
            let (mut t, mut m) = (wait, 0.0f64);
            for j in i + 1..pattern.stops.len() {
                t += secs[j - 1];
                m += metres[j - 1];
                let key = (pattern.stops[i], pattern.stops[j]);
                if key.0 == key.1 {
                    continue;
                }
                let edge = Edge {
                    to: key.1,
                    secs: t,
                    metres: m as f32,
                    route: route_index as u32,
                };
                match best.get_mut(&key) {
                    Some(e) if e.secs <= t => {}
                    Some(e) => *e = edge,
                    None => {
                        best.insert(key, edge);
                        order.push(key);
                    }
                }
            }
        }
    }
    order.into_iter().map(|k| (k.0, best[&k])).collect()
}

/// Straight-line walks between stops closer than the transfer distance.
fn transfer_edges(xy: &[[f64; 2]], params: &Params) -> Vec<(u32, Edge)> {
    let radius = params.walking.max_transfer_m;
    let grid = GridIndex::new(xy.to_vec(), radius.max(50.0));
    let mut edges = Vec::new();
    for (from, p) in xy.iter().enumerate() {
        grid.within(*p, radius, |to, d| {
            if to as usize != from {
                let secs = params.walk_secs_straight(d);
                let metres = (d * params.walking.detour_factor) as f32;
                edges.push((
                    from as u32,
                    Edge {
                        to,
                        secs,
                        metres,
                        route: WALK_ROUTE,
                    },
                ));
            }
        });
    }
    edges
}

/// Street segments in both directions, and a link between each stop and its nearest street
/// node (street nodes come after the stops in the node list).
fn street_edges(
    streets: &StreetNetwork,
    xy: &[[f64; 2]],
    stop_count: usize,
    params: &Params,
) -> Vec<(u32, Edge)> {
    let base = stop_count as u32;
    let mut edges = Vec::new();
    for u in 0..streets.points().len() as u32 {
        for &(v, metres) in streets.neighbours(u) {
            let secs = params.walk_secs_network(metres as f64);
            edges.push((
                base + u,
                Edge {
                    to: base + v,
                    secs,
                    metres,
                    route: WALK_ROUTE,
                },
            ));
        }
    }
    let grid = GridIndex::new(xy[stop_count..].to_vec(), 100.0);
    for (stop, p) in xy[..stop_count].iter().enumerate() {
        if let Some((street, d)) = grid.nearest(*p, params.streets.max_snap_m) {
            let secs = params.walk_secs_network(d);
            let link = |to| Edge {
                to,
                secs,
                metres: d as f32,
                route: WALK_ROUTE,
            };
            edges.push((stop as u32, link(base + street)));
            edges.push((base + street, link(stop as u32)));
        }
    }
    edges
}

/// Compressed sparse rows: edges grouped by source, in input order within a source.
fn csr(n: usize, edges: impl Iterator<Item = (u32, Edge)> + Clone) -> (Vec<u32>, Vec<Edge>) {
    let mut first = vec![0u32; n + 1];
    for (from, _) in edges.clone() {
        first[from as usize + 1] += 1;
    }
    for v in 0..n {
        first[v + 1] += first[v];
    }
    let mut next = first.clone();
    let placeholder = Edge {
        to: 0,
        secs: 0,
        metres: 0.0,
        route: WALK_ROUTE,
    };
    let mut out = vec![placeholder; first[n] as usize];
    for (from, e) in edges {
        out[next[from as usize] as usize] = e;
        next[from as usize] += 1;
    }
    (first, out)
}
