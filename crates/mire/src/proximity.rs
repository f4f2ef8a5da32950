//! `mire import osm` and `mire proximity export-network`: the operator's side of the
//! proximity engine (`mire_geo::proximity`).

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use mire_geo::proximity::{import_osm, StreetNetwork};
use mire_geo::territory::Territory;
use mire_web::Config;

/// How often a long step says it is still working.
const TICK: Duration = Duration::from_secs(5);

/// Runs `work`, printing on stderr every few seconds that it is still running.
fn with_ticker<T>(what: &str, work: impl FnOnce() -> T) -> T {
    let (done, finished) = mpsc::channel::<()>();
    let started = Instant::now();
    let label = what.to_owned();
    let ticker = std::thread::spawn(move || {
        while let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(TICK) {
            eprintln!("  ... still {label} ({} s)", started.elapsed().as_secs());
        }
    });
    let result = work();
    drop(done);
    let _ = ticker.join();
    result
}

fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / (1u64 << 10) as f64),
        b => format!("{b} bytes"),
    }
}

/// `mire import osm FILE --out PATH`: keeps the ways pedestrians may use, saves the network
/// in MIRE's own format and says how to give it to the server.
pub fn import_osm_file(file: &Path, out: &Path) -> anyhow::Result<()> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    eprintln!(
        "1/3 reading {} ({}): walkable ways first, then their nodes",
        file.display(),
        size_text(size)
    );
    let started = Instant::now();
    let network = with_ticker("reading", || import_osm(file))
        .with_context(|| format!("importing {}", file.display()))?;
    let nodes = network.points().len();
    let segments = network.segment_count();
    eprintln!(
        "    {nodes} nodes and {segments} street segments in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if nodes == 0 {
        bail!(
            "{} has no way a pedestrian may use (highway=footway, pedestrian, residential, ...): nothing to save",
            file.display()
        );
    }
    let milan = Territory::milan();
    let inside = network
        .points()
        .iter()
        .filter(|p| milan.contains(**p))
        .count();
    if inside == 0 {
        eprintln!(
            "warning: none of the nodes lies inside the Comune di Milano; queries in Milan will keep straight-line walks"
        );
    }
    eprintln!("2/3 saving to {}", out.display());
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    network
        .save(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("3/3 checking that the saved file reads back");
    let again = StreetNetwork::load(out)
        .with_context(|| format!("the file just written, {}, does not load", out.display()))?;
    if again.points().len() != nodes || again.segment_count() != segments {
        bail!(
            "the file just written, {}, differs from the network built",
            out.display()
        );
    }
    let written = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    let shown = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
    println!(
        "walking network: {nodes} nodes ({inside} inside the Comune di Milano), {segments} street segments"
    );
    println!("saved to {} ({})", shown.display(), size_text(written));
    println!("to use it, start the server with");
    println!("  MIRE_PROXIMITY_STREETS={} mire serve", shown.display());
    println!(
        "or set proximity_streets = \"{}\" in mire.toml",
        shown.display()
    );
    Ok(())
}

/// `mire proximity export-network --out DIR`: the graph the server uses (with the configured
/// walking network, if any) as CSV and GeoJSON.
pub fn export_network(config: &Config, out: &Path) -> anyhow::Result<()> {
    eprintln!("loading the proximity model");
    let engine = mire_web::proximity::load_engine(config)?;
    eprintln!("writing to {}", out.display());
    let summary = with_ticker("writing", || engine.export_network(out))
        .with_context(|| format!("exporting to {}", out.display()))?;
    println!(
        "{} nodes and {} edges{}",
        summary.nodes,
        summary.edges,
        if engine.has_streets() {
            " (with the walking network)"
        } else {
            ""
        }
    );
    for file in &summary.files {
        println!("  {}", file.display());
    }
    Ok(())
}
