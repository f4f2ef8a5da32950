//! Importing OpenStreetMap files the test writes itself, in XML and in PBF.

use std::path::PathBuf;

use mire_geo::proximity::{
    import_osm, CityArea, HeadwayModel, Mode, Params, Proximity, ServiceCatalog, StreetNetwork,
    TransitData,
};
use mire_geo::LatLon;

/// Five nodes on a line 100 m apart (west to east) and one node north of the first.
/// Node 6 is only on the motorway, which pedestrians may not use.
fn nodes() -> Vec<(i64, LatLon)> {
    let per_lon = 111_195.08 * 45.46f64.to_radians().cos();
    let mut nodes: Vec<(i64, LatLon)> = (0..5)
        .map(|i| (i + 1, LatLon::new(45.46, 9.15 + i as f64 * 100.0 / per_lon)))
        .collect();
    nodes.push((6, LatLon::new(45.46 + 100.0 / 111_195.08, 9.15)));
    nodes
}

/// (id, node refs, tags)
type Way = (i64, Vec<i64>, Vec<(&'static str, &'static str)>);

fn ways() -> Vec<Way> {
    vec![
        (
            10,
            vec![1, 2, 3],
            vec![("highway", "residential"), ("name", "Via Prova")],
        ),
        (11, vec![3, 4, 5], vec![("highway", "footway")]),
        (12, vec![1, 6], vec![("highway", "motorway")]),
        (
            13,
            vec![5, 6],
            vec![("highway", "service"), ("access", "private")],
        ),
    ]
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mire-osm-{}-{name}", std::process::id()))
}

fn osm_xml() -> String {
    let mut xml = String::from("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n");
    for (id, at) in nodes() {
        xml += &format!(
            "  <node id=\"{id}\" lat=\"{}\" lon=\"{}\" version=\"1\"/>\n",
            at.lat, at.lon
        );
    }
    for (id, refs, tags) in ways() {
        xml += &format!("  <way id=\"{id}\">\n");
        for r in refs {
            xml += &format!("    <nd ref=\"{r}\"/>\n");
        }
        for (k, v) in tags {
            xml += &format!("    <tag k=\"{k}\" v=\"{v}\"/>\n");
        }
        xml += "  </way>\n";
    }
    xml + "</osm>\n"
}

/// The walking network both files must give: nodes 1-5 in a line, 4 segments.
fn assert_walking_line(net: &StreetNetwork) {
    assert_eq!(net.points().len(), 5);
    assert_eq!(net.segment_count(), 4);
    let length: f32 = (0..5)
        .flat_map(|v| net.neighbours(v).iter().map(|n| n.1))
        .sum::<f32>()
        / 2.0;
    assert!((length - 400.0).abs() < 1.0, "{length}");
}

#[test]
fn an_osm_xml_file_gives_the_ways_pedestrians_may_use() {
    let path = temp("walk.osm");
    std::fs::write(&path, osm_xml()).unwrap();
    let net = import_osm(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_walking_line(&net);
}

#[test]
fn an_osm_pbf_file_gives_the_same_network() {
    let path = temp("walk.osm.pbf");
    std::fs::write(&path, pbf::file(&nodes(), &ways())).unwrap();
    let net = import_osm(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_walking_line(&net);
}

#[test]
fn a_broken_osm_file_is_an_import_error() {
    let path = temp("broken.osm.pbf");
    std::fs::write(&path, b"not a pbf file at all").unwrap();
    let err = import_osm(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    assert!(
        matches!(err, mire_geo::proximity::ProximityError::Osm(_)),
        "{err:?}"
    );
}

#[test]
fn once_loaded_walking_follows_the_imported_streets() {
    let path = temp("engine.osm");
    std::fs::write(&path, osm_xml()).unwrap();
    let streets = import_osm(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let params = Params::shipped();
    let rides = HeadwayModel::new(&params);
    let city = CityArea::rectangle(LatLon::new(45.45, 9.14), LatLon::new(45.47, 9.17));
    let engine = Proximity::new(
        params.clone(),
        TransitData::default(),
        Box::new(rides),
        ServiceCatalog::default(),
        city,
    )
    .with_streets(&streets);
    let all = nodes();
    // Node 1 to node 5: 400 m along the residential street and the footway. The motorway
    // and the private road through node 6 are not part of the walking network.
    let j = engine.travel_time(all[0].1, all[4].1, Mode::Walk).unwrap();
    let expected = 400.0 / params.walking.speed_m_s;
    assert!(
        (j.seconds as f64 - expected).abs() <= 5.0,
        "{} vs {expected}",
        j.seconds
    );
    let straight = params.walk_secs_straight(all[0].1.distance_m(all[4].1));
    assert!(
        j.seconds < straight,
        "street walking ignores the straight-line detour factor"
    );
}

/// A minimal OSM PBF writer (protocol buffers by hand): one header block and one data block
/// with plain nodes and ways, stored uncompressed.
mod pbf {
    use super::Way;
    use mire_geo::LatLon;

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn zigzag(v: i64) -> u64 {
        ((v << 1) ^ (v >> 63)) as u64
    }

    fn field_varint(out: &mut Vec<u8>, field: u64, v: u64) {
        varint(out, field << 3);
        varint(out, v);
    }

    fn field_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
        varint(out, field << 3 | 2);
        varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }

    fn packed(values: impl Iterator<Item = u64>) -> Vec<u8> {
        let mut out = Vec::new();
        values.for_each(|v| varint(&mut out, v));
        out
    }

    fn block(kind: &str, payload: &[u8]) -> Vec<u8> {
        let mut blob = Vec::new();
        field_bytes(&mut blob, 1, payload);
        field_varint(&mut blob, 2, payload.len() as u64);
        let mut header = Vec::new();
        field_bytes(&mut header, 1, kind.as_bytes());
        field_varint(&mut header, 3, blob.len() as u64);
        let mut out = (header.len() as u32).to_be_bytes().to_vec();
        out.extend(header);
        out.extend(blob);
        out
    }

    pub fn file(nodes: &[(i64, LatLon)], ways: &[Way]) -> Vec<u8> {
        let mut header = Vec::new();
        field_bytes(&mut header, 4, b"OsmSchema-V0.6");
        let mut strings: Vec<&str> = vec![""];
        let mut index = |s: &'static str| -> u64 {
            if let Some(i) = strings.iter().position(|x| *x == s) {
                return i as u64;
            }
            strings.push(s);
            strings.len() as u64 - 1
        };
        let mut group = Vec::new();
        for &(id, at) in nodes {
            let mut node = Vec::new();
            field_varint(&mut node, 1, zigzag(id));
            field_varint(&mut node, 8, zigzag((at.lat * 1e7).round() as i64));
            field_varint(&mut node, 9, zigzag((at.lon * 1e7).round() as i64));
            field_bytes(&mut group, 1, &node);
        }
        for (id, refs, tags) in ways {
            let mut way = Vec::new();
            field_varint(&mut way, 1, *id as u64);
            let keys: Vec<u64> = tags.iter().map(|(k, _)| index(k)).collect();
            let vals: Vec<u64> = tags.iter().map(|(_, v)| index(v)).collect();
            field_bytes(&mut way, 2, &packed(keys.into_iter()));
            field_bytes(&mut way, 3, &packed(vals.into_iter()));
            let deltas = refs.iter().scan(0i64, |prev, &r| {
                let d = r - *prev;
                *prev = r;
                Some(zigzag(d))
            });
            field_bytes(&mut way, 8, &packed(deltas));
            field_bytes(&mut group, 3, &way);
        }
        let mut table = Vec::new();
        for s in &strings {
            field_bytes(&mut table, 1, s.as_bytes());
        }
        let mut primitive = Vec::new();
        field_bytes(&mut primitive, 1, &table);
        field_bytes(&mut primitive, 2, &group);
        let mut out = block("OSMHeader", &header);
        out.extend(block("OSMData", &primitive));
        out
    }
}
