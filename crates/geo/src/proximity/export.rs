//! Writes the model's graph as CSV and GeoJSON, so anyone can check it in a GIS tool or
//! recompute travel times independently (`mire proximity export-network --out DIR`).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use super::network::NodeKind;
use super::{Proximity, ProximityError};

/// What was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportSummary {
    pub nodes: usize,
    pub edges: usize,
    pub files: Vec<PathBuf>,
}

const README: &str = "MIRE proximity model export (data: Comune di Milano / ATM open data, CC BY 4.0).

nodes.csv  id,kind,stop_id,name,lat,lon        kind = stop | street
edges.csv  from,to,seconds,metres,mode,line,route_id   directed; mode = walk | metro | tram | bus | trolleybus
network.geojson  the same nodes (Point) and edges (LineString between their end nodes)
params.json  the parameters of the model

How a query uses the graph. A ride edge joins a stop to every later stop of one route and
costs the wait at boarding (half the headway) plus the ride. Without a street network, a
point reaches every stop within walking.max_access_m metres in straight line, in
ceil(distance * walking.detour_factor / walking.speed_m_s) seconds, and two points can also
be joined by such a straight walk. Those walking distances are measured in a local
equirectangular projection centred on the mean of the stops (within 0.3 % of great-circle
distances in the city). With a street network, a point joins its nearest street node at
walking speed.
";

impl Proximity {
    /// Writes `nodes.csv`, `edges.csv`, `network.geojson`, `params.json` and `README.txt`
    /// into `dir` (created if missing).
    pub fn export_network(&self, dir: &Path) -> Result<ExportSummary, ProximityError> {
        std::fs::create_dir_all(dir)?;
        let files = vec![
            self.write_nodes(&dir.join("nodes.csv"))?,
            self.write_edges(&dir.join("edges.csv"))?,
            self.write_geojson(&dir.join("network.geojson"))?,
            write_text(
                &dir.join("params.json"),
                &serde_json::to_string_pretty(&self.params).unwrap_or_default(),
            )?,
            write_text(&dir.join("README.txt"), README)?,
        ];
        Ok(ExportSummary {
            nodes: self.network.nodes().len(),
            edges: self.network.edge_count(),
            files,
        })
    }

    fn write_nodes(&self, path: &Path) -> Result<PathBuf, ProximityError> {
        let mut w = csv_writer(path)?;
        w.write_record(["id", "kind", "stop_id", "name", "lat", "lon"])
            .map_err(csv_err)?;
        for (id, node) in self.network.nodes().iter().enumerate() {
            let (kind, stop_id, name) = match node.kind {
                NodeKind::Stop(s) => {
                    let stop = &self.network.stops()[s as usize];
                    ("stop", stop.id.as_str(), stop.name.as_str())
                }
                NodeKind::Street => ("street", "", ""),
            };
            let row = [
                id.to_string(),
                kind.into(),
                stop_id.into(),
                name.into(),
                node.at.lat.to_string(),
                node.at.lon.to_string(),
            ];
            w.write_record(&row).map_err(csv_err)?;
        }
        w.flush()?;
        Ok(path.to_path_buf())
    }

    fn write_edges(&self, path: &Path) -> Result<PathBuf, ProximityError> {
        let mut w = csv_writer(path)?;
        w.write_record([
            "from", "to", "seconds", "metres", "mode", "line", "route_id",
        ])
        .map_err(csv_err)?;
        for from in 0..self.network.nodes().len() as u32 {
            for e in self.network.edges_from(from) {
                let (mode, line, route) = self.edge_labels(e.route);
                let row = [
                    from.to_string(),
                    e.to.to_string(),
                    e.secs.to_string(),
                    format!("{:.1}", e.metres),
                    mode.into(),
                    line,
                    route,
                ];
                w.write_record(&row).map_err(csv_err)?;
            }
        }
        w.flush()?;
        Ok(path.to_path_buf())
    }

    fn edge_labels(&self, route: u32) -> (&'static str, String, String) {
        match self.network.routes().get(route as usize) {
            Some(r) => (r.mode.slug(), r.line.clone(), r.id.clone()),
            None => ("walk", String::new(), String::new()),
        }
    }

    fn write_geojson(&self, path: &Path) -> Result<PathBuf, ProximityError> {
        let nodes = self.network.nodes();
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
        let mut first = true;
        let mut feature = |value: serde_json::Value,
                           out: &mut std::io::BufWriter<std::fs::File>| {
            let sep = if std::mem::take(&mut first) {
                ""
            } else {
                ",\n"
            };
            write!(out, "{sep}{value}")
        };
        for (id, n) in nodes.iter().enumerate() {
            let kind = if matches!(n.kind, NodeKind::Stop(_)) {
                "stop"
            } else {
                "street"
            };
            let name = self.waypoint(id as u32).name;
            let value = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [n.at.lon, n.at.lat]},
                "properties": {"id": id, "kind": kind, "name": name}});
            feature(value, &mut out)?;
        }
        for from in 0..nodes.len() as u32 {
            for e in self.network.edges_from(from) {
                let (a, b) = (nodes[from as usize].at, nodes[e.to as usize].at);
                let (mode, line, _) = self.edge_labels(e.route);
                let value = json!({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[a.lon, a.lat], [b.lon, b.lat]]},
                    "properties": {"from": from, "to": e.to, "seconds": e.secs, "mode": mode, "line": line}});
                feature(value, &mut out)?;
            }
        }
        out.write_all(b"\n]}\n")?;
        out.flush()?;
        Ok(path.to_path_buf())
    }
}

fn csv_writer(path: &Path) -> Result<csv::Writer<std::fs::File>, ProximityError> {
    Ok(csv::Writer::from_writer(std::fs::File::create(path)?))
}

fn csv_err(e: csv::Error) -> ProximityError {
    ProximityError::Io(std::io::Error::other(e.to_string()))
}

fn write_text(path: &Path, text: &str) -> Result<PathBuf, ProximityError> {
    std::fs::write(path, text)?;
    Ok(path.to_path_buf())
}
