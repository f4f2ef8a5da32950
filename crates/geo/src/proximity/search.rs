//! Dijkstra's algorithm on the [`Network`], from several seeds at once, with a time budget
//! and an optional early stop.
//!
//! The priority queue is a binary heap of `(seconds << 32) | node` keys in one `u64`: one
//! comparison per sift and 8 bytes per entry. With integer seconds and lazy deletion this is
//! as fast as a radix heap on graphs of this size (see the benchmarks).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::network::Network;

/// Distance of a node the search did not reach.
pub(crate) const UNREACHED: u32 = u32::MAX;
/// Parent of a seed node.
pub(crate) const NO_PARENT: u32 = u32::MAX;

/// What a search may use and how far it goes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// Nodes farther than this many seconds are left unreached.
    pub limit: u32,
    /// Whether ride edges may be used (false for walking-only searches on streets).
    pub rides: bool,
    /// Follow edges backwards: distances *to* the seeds instead of *from* them.
    pub backward: bool,
}

/// The result: seconds to every node, and how each node was reached.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub dist: Vec<u32>,
    /// For each node, the previous node and the edge's slot in its adjacency list.
    pub parent: Vec<(u32, u32)>,
}

/// Runs the search. `settled(node, seconds)` is called when a node's time becomes final
/// and returns whether to go on, which lets point-to-point queries stop early.
pub(crate) fn dijkstra(
    net: &Network,
    seeds: &[(u32, u32)],
    settings: Settings,
    mut settled: impl FnMut(u32, u32) -> bool,
) -> Tree {
    let n = net.nodes().len();
    let mut dist = vec![UNREACHED; n];
    let mut parent = vec![(NO_PARENT, 0u32); n];
    let mut heap = BinaryHeap::with_capacity(64);
    for &(node, secs) in seeds {
        if secs <= settings.limit && secs < dist[node as usize] {
            dist[node as usize] = secs;
            heap.push(Reverse(key(secs, node)));
        }
    }
    while let Some(Reverse(k)) = heap.pop() {
        let (d, v) = ((k >> 32) as u32, k as u32);
        if d > dist[v as usize] {
            continue;
        }
        if !settled(v, d) {
            break;
        }
        let edges = if settings.backward {
            net.edges_into(v)
        } else {
            net.edges_from(v)
        };
        for (slot, e) in edges.iter().enumerate() {
            if !settings.rides && !e.is_walk() {
                continue;
            }
            let nd = d.saturating_add(e.secs);
            if nd < dist[e.to as usize] && nd <= settings.limit {
                dist[e.to as usize] = nd;
                parent[e.to as usize] = (v, slot as u32);
                heap.push(Reverse(key(nd, e.to)));
            }
        }
    }
    Tree { dist, parent }
}

fn key(secs: u32, node: u32) -> u64 {
    (secs as u64) << 32 | node as u64
}
