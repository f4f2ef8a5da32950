//! Dijkstra's algorithm on the [`Network`], from several seeds at once, with a time budget,
//! an optional early stop and an optional goal direction (A*).
//!
//! The priority queue is a binary heap of `(key << 32) | node` in one `u64`: one comparison
//! per sift and 8 bytes per entry, with lazy deletion of outdated entries. Point-to-point
//! queries pass a lower bound of the seconds still needed from each node (see
//! `landmarks.rs`); a node's key is its time plus that bound, and the search can stop when
//! the smallest key left reaches the best arrival found. Without a bound (`|_| 0`) this is
//! plain Dijkstra.

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

/// Runs the search. `bound(node)` is a lower bound of the seconds from `node` to the goal
/// (0 for searches without a goal). `settled(node, seconds, key)` is called when a node is
/// taken from the queue and returns `None` to stop, or the best arrival known so far: nodes
/// whose key reaches it cannot lead to a better one and are not queued.
pub(crate) fn dijkstra(
    net: &Network,
    seeds: &[(u32, u32)],
    settings: Settings,
    bound: impl Fn(u32) -> u32,
    mut settled: impl FnMut(u32, u32, u32) -> Option<u32>,
) -> Tree {
    let n = net.nodes().len();
    // Each node's bound is computed once: it costs more than a relaxation.
    let mut bounds = vec![UNREACHED; n];
    let mut bound = |v: u32| {
        let b = &mut bounds[v as usize];
        if *b == UNREACHED {
            *b = bound(v);
        }
        *b
    };
    let mut dist = vec![UNREACHED; n];
    let mut parent = vec![(NO_PARENT, 0u32); n];
    let mut heap = BinaryHeap::with_capacity(64);
    for &(node, secs) in seeds {
        if secs <= settings.limit && secs < dist[node as usize] {
            dist[node as usize] = secs;
            heap.push(Reverse(key(secs.saturating_add(bound(node)), node)));
        }
    }
    while let Some(Reverse(k)) = heap.pop() {
        let (queued, v) = ((k >> 32) as u32, k as u32);
        let d = dist[v as usize];
        if queued > d.saturating_add(bound(v)) {
            continue;
        }
        let Some(cutoff) = settled(v, d, queued) else {
            break;
        };
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
                let k = nd.saturating_add(bound(e.to));
                if k >= cutoff {
                    continue;
                }
                dist[e.to as usize] = nd;
                parent[e.to as usize] = (v, slot as u32);
                heap.push(Reverse(key(k, e.to)));
            }
        }
    }
    Tree { dist, parent }
}

fn key(secs: u32, node: u32) -> u64 {
    (secs as u64) << 32 | node as u64
}
