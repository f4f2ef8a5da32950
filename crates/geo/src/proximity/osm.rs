//! OpenStreetMap import: keeps the ways a pedestrian may use and builds a [`StreetNetwork`].
//!
//! Both `.osm.pbf` and `.osm` XML are read in two passes: first the ways (to learn which
//! nodes matter), then the coordinates of those nodes only. A city extract has millions of
//! nodes, most of them building outlines, and this keeps memory to the walking network.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use super::{ProximityError, StreetNetwork};
use crate::LatLon;

/// Highways people walk along (with or without a sidewalk tag) in Italian cities.
const WALKABLE_HIGHWAYS: &[&str] = &[
    "footway",
    "pedestrian",
    "path",
    "steps",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "track",
    "road",
    "corridor",
    "platform",
];

/// Highways where walking is allowed only when a `foot` tag says so.
const FOOT_TAG_REQUIRED: &[&str] = &["cycleway", "bridleway", "trunk", "trunk_link"];

/// Values of `foot` that allow walking whatever the highway or access tags say.
const FOOT_ALLOWED: &[&str] = &["yes", "designated", "permissive"];

/// True when the tags of a way say a pedestrian may walk along it.
pub fn is_walkable(tags: &[(String, String)]) -> bool {
    let tag = |key: &str| tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let Some(highway) = tag("highway") else {
        return false;
    };
    let foot = tag("foot");
    if foot == Some("no") {
        return false;
    }
    if foot.is_some_and(|f| FOOT_ALLOWED.contains(&f)) {
        return highway != "proposed" && highway != "construction";
    }
    if matches!(tag("access"), Some("no") | Some("private")) {
        return false;
    }
    WALKABLE_HIGHWAYS.contains(&highway) && !FOOT_TAG_REQUIRED.contains(&highway)
}

/// Reads an OpenStreetMap file (`.pbf` for the binary format, anything else as XML) and
/// returns its walking network. This is what `mire import osm FILE` calls.
pub fn import_osm(path: &Path) -> Result<StreetNetwork, ProximityError> {
    let pbf = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pbf"));
    let mut ways: Vec<Vec<i64>> = Vec::new();
    let mut keep_way = |refs: Vec<i64>, tags: &[(String, String)]| {
        if refs.len() >= 2 && is_walkable(tags) {
            ways.push(refs);
        }
    };
    if pbf {
        scan_pbf(path, &mut |_, _| {}, &mut keep_way)?;
    } else {
        scan_xml(path, &mut |_, _| {}, &mut keep_way)?;
    }
    let wanted: HashSet<i64> = ways.iter().flatten().copied().collect();
    let mut coords: HashMap<i64, LatLon> = HashMap::with_capacity(wanted.len());
    let mut keep_node = |id: i64, at: LatLon| {
        if wanted.contains(&id) {
            coords.insert(id, at);
        }
    };
    if pbf {
        scan_pbf(path, &mut keep_node, &mut |_, _| {})?;
    } else {
        scan_xml(path, &mut keep_node, &mut |_, _| {})?;
    }
    Ok(network_of(&ways, &coords))
}

/// Joins consecutive nodes of each way; nodes missing from the file split the way.
fn network_of(ways: &[Vec<i64>], coords: &HashMap<i64, LatLon>) -> StreetNetwork {
    let mut index: HashMap<i64, u32> = HashMap::new();
    let mut points = Vec::new();
    let mut segments = Vec::new();
    let mut id_of = |osm: i64| -> Option<u32> {
        let at = *coords.get(&osm)?;
        Some(*index.entry(osm).or_insert_with(|| {
            points.push(at);
            points.len() as u32 - 1
        }))
    };
    for way in ways {
        for pair in way.windows(2) {
            if let (Some(a), Some(b)) = (id_of(pair[0]), id_of(pair[1])) {
                segments.push((a, b));
            }
        }
    }
    StreetNetwork::from_segments(points, &segments)
}

/// Node refs and tags of the way being read.
type PendingWay = (Vec<i64>, Vec<(String, String)>);
type NodeSink<'a> = dyn FnMut(i64, LatLon) + 'a;
type WaySink<'a> = dyn FnMut(Vec<i64>, &[(String, String)]) + 'a;

fn scan_pbf(path: &Path, nodes: &mut NodeSink, ways: &mut WaySink) -> Result<(), ProximityError> {
    use osmpbf::{Element, ElementReader};
    let osm_err = |e: osmpbf::Error| ProximityError::Osm(e.to_string());
    let reader = ElementReader::from_path(path).map_err(osm_err)?;
    reader
        .for_each(|element| match element {
            Element::Node(n) => nodes(n.id(), LatLon::new(n.lat(), n.lon())),
            Element::DenseNode(n) => nodes(n.id(), LatLon::new(n.lat(), n.lon())),
            Element::Way(w) => {
                let tags: Vec<(String, String)> = w
                    .tags()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                ways(w.refs().collect(), &tags);
            }
            Element::Relation(_) => {}
        })
        .map_err(osm_err)
}

fn scan_xml(path: &Path, nodes: &mut NodeSink, ways: &mut WaySink) -> Result<(), ProximityError> {
    let mut reader = quick_xml::Reader::from_file(path).map_err(xml_err)?;
    let mut buf = Vec::new();
    let mut way: Option<PendingWay> = None;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(xml_err)?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"node" => {
                    if let Some((id, at)) = node_of(&e)? {
                        nodes(id, at);
                    }
                }
                b"way" if empty => {}
                b"way" => way = Some((Vec::new(), Vec::new())),
                b"nd" => {
                    if let (Some(w), Some(r)) = (way.as_mut(), attr(&e, b"ref")?) {
                        w.0.push(parse_num(&r)?);
                    }
                }
                b"tag" => {
                    if let (Some(w), Some(k), Some(v)) =
                        (way.as_mut(), attr(&e, b"k")?, attr(&e, b"v")?)
                    {
                        w.1.push((k, v));
                    }
                }
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == b"way" => {
                if let Some((refs, tags)) = way.take() {
                    ways(refs, &tags);
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

fn node_of(e: &BytesStart) -> Result<Option<(i64, LatLon)>, ProximityError> {
    let (Some(id), Some(lat), Some(lon)) = (attr(e, b"id")?, attr(e, b"lat")?, attr(e, b"lon")?)
    else {
        return Ok(None);
    };
    let (lat, lon): (f64, f64) = (parse_num(&lat)?, parse_num(&lon)?);
    Ok(Some((parse_num(&id)?, LatLon::new(lat, lon))))
}

fn attr(e: &BytesStart, key: &[u8]) -> Result<Option<String>, ProximityError> {
    for a in e.attributes() {
        let a = a.map_err(|err| ProximityError::Osm(err.to_string()))?;
        if a.key.as_ref() == key {
            return Ok(Some(a.unescape_value().map_err(xml_err)?.into_owned()));
        }
    }
    Ok(None)
}

fn parse_num<T: std::str::FromStr>(text: &str) -> Result<T, ProximityError> {
    text.parse()
        .map_err(|_| ProximityError::Osm(format!("not a number: {text}")))
}

fn xml_err(e: quick_xml::Error) -> ProximityError {
    ProximityError::Osm(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pedestrians_walk_streets_and_paths_but_not_motorways_or_private_roads() {
        assert!(is_walkable(&tags(&[("highway", "residential")])));
        assert!(is_walkable(&tags(&[("highway", "footway")])));
        assert!(is_walkable(&tags(&[
            ("highway", "cycleway"),
            ("foot", "designated")
        ])));
        assert!(is_walkable(&tags(&[
            ("highway", "service"),
            ("access", "private"),
            ("foot", "yes")
        ])));
        assert!(!is_walkable(&tags(&[("highway", "motorway")])));
        assert!(!is_walkable(&tags(&[("highway", "cycleway")])));
        assert!(!is_walkable(&tags(&[
            ("highway", "service"),
            ("access", "private")
        ])));
        assert!(!is_walkable(&tags(&[
            ("highway", "primary"),
            ("foot", "no")
        ])));
        assert!(!is_walkable(&tags(&[("building", "yes")])));
    }
}
