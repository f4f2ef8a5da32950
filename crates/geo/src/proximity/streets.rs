//! A walking network (from OpenStreetMap or generated), and its compact file format.
//!
//! File layout, all little-endian: the magic `MIREWLK1`, node count `n` (u32), directed
//! edge count `m` (u32), then `n` pairs of (lat, lon) in 1e-7 degrees (i32, about 1 cm),
//! `n + 1` edge offsets (u32), and `m` pairs of (target u32, length in centimetres u32).
//! A Milan extract of about 200,000 walking nodes takes a few megabytes and loads in
//! milliseconds, so the server can read it at start.

use std::io::{Read, Write};
use std::path::Path;

use super::ProximityError;
use crate::LatLon;

const MAGIC: &[u8; 8] = b"MIREWLK1";
const DEGREE_SCALE: f64 = 1e7;
const CM_PER_M: f64 = 100.0;

/// Undirected walking network: points and the street segments between them.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetNetwork {
    points: Vec<LatLon>,
    first: Vec<u32>,
    /// (neighbour, metres), both directions of every segment.
    adjacent: Vec<(u32, f32)>,
}

impl StreetNetwork {
    /// Builds the network from points and segments between them (indices into `points`);
    /// the length of each segment is its great-circle length. Segments out of range or
    /// from a point to itself are ignored.
    pub fn from_segments(points: Vec<LatLon>, segments: &[(u32, u32)]) -> StreetNetwork {
        let n = points.len();
        let valid = |&&(a, b): &&(u32, u32)| a != b && (a as usize) < n && (b as usize) < n;
        let mut first = vec![0u32; n + 1];
        for &(a, b) in segments.iter().filter(valid) {
            first[a as usize + 1] += 1;
            first[b as usize + 1] += 1;
        }
        for v in 0..n {
            first[v + 1] += first[v];
        }
        let mut next = first.clone();
        let mut adjacent = vec![(0u32, 0f32); first[n] as usize];
        for &(a, b) in segments.iter().filter(valid) {
            let metres = points[a as usize].distance_m(points[b as usize]) as f32;
            for (u, v) in [(a, b), (b, a)] {
                adjacent[next[u as usize] as usize] = (v, metres);
                next[u as usize] += 1;
            }
        }
        StreetNetwork {
            points,
            first,
            adjacent,
        }
    }

    pub fn points(&self) -> &[LatLon] {
        &self.points
    }

    /// Neighbours of a point with the segment length in metres.
    pub fn neighbours(&self, node: u32) -> &[(u32, f32)] {
        let v = node as usize;
        &self.adjacent[self.first[v] as usize..self.first[v + 1] as usize]
    }

    /// Number of street segments (each counted once).
    pub fn segment_count(&self) -> usize {
        self.adjacent.len() / 2
    }

    /// Writes the compact file the server loads at start.
    pub fn save(&self, path: &Path) -> Result<(), ProximityError> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        out.write_all(MAGIC)?;
        out.write_all(&(self.points.len() as u32).to_le_bytes())?;
        out.write_all(&(self.adjacent.len() as u32).to_le_bytes())?;
        for p in &self.points {
            out.write_all(&((p.lat * DEGREE_SCALE).round() as i32).to_le_bytes())?;
            out.write_all(&((p.lon * DEGREE_SCALE).round() as i32).to_le_bytes())?;
        }
        for f in &self.first {
            out.write_all(&f.to_le_bytes())?;
        }
        for &(v, metres) in &self.adjacent {
            out.write_all(&v.to_le_bytes())?;
            out.write_all(&((metres as f64 * CM_PER_M).round() as u32).to_le_bytes())?;
        }
        out.flush()?;
        Ok(())
    }

    /// Reads a file written by [`StreetNetwork::save`], checking that it is consistent.
    pub fn load(path: &Path) -> Result<StreetNetwork, ProximityError> {
        let mut bytes = Vec::new();
        std::fs::File::open(path)?.read_to_end(&mut bytes)?;
        StreetNetwork::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<StreetNetwork, ProximityError> {
        let bad = |what: &str| ProximityError::StreetFile(what.to_string());
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(bad("not a MIRE walking network file"));
        }
        let word = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        let (n, m) = (word(8) as usize, word(12) as usize);
        let expected = 16 + n * 8 + (n + 1) * 4 + m * 8;
        if bytes.len() != expected {
            return Err(bad("truncated or oversized file"));
        }
        let points: Vec<LatLon> = (0..n)
            .map(|i| {
                let at = 16 + i * 8;
                let lat = word(at) as i32 as f64 / DEGREE_SCALE;
                let lon = word(at + 4) as i32 as f64 / DEGREE_SCALE;
                LatLon::new(lat, lon)
            })
            .collect();
        let base = 16 + n * 8;
        let first: Vec<u32> = (0..=n).map(|i| word(base + i * 4)).collect();
        if first[0] != 0 || first[n] as usize != m || first.windows(2).any(|w| w[0] > w[1]) {
            return Err(bad("edge offsets are inconsistent"));
        }
        let base = base + (n + 1) * 4;
        let adjacent: Vec<(u32, f32)> = (0..m)
            .map(|i| {
                (
                    word(base + i * 8),
                    (word(base + i * 8 + 4) as f64 / CM_PER_M) as f32,
                )
            })
            .collect();
        if adjacent.iter().any(|&(v, _)| v as usize >= n) {
            return Err(bad("an edge points outside the network"));
        }
        Ok(StreetNetwork {
            points,
            first,
            adjacent,
        })
    }
}
