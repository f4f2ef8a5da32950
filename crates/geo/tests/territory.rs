//! The territory of Milan as the rest of MIRE relies on it: the embedded open data loads,
//! addresses land in the right NIL and Municipio, and the SVG map is safe to inline in a page.

use mire_geo::territory::{Map, Marker, Nil, Territory};
use mire_geo::LatLon;

fn milan() -> &'static Territory {
    Territory::milan()
}

fn nil_named(name: &str) -> u16 {
    milan()
        .nils()
        .iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("no NIL named {name}"))
        .id
}

#[test]
fn loads_88_nil_and_9_municipi_sorted() {
    let t = milan();
    let nil_ids: Vec<u16> = t.nils().iter().map(|n| n.id).collect();
    assert_eq!(nil_ids, (1..=88).collect::<Vec<_>>());
    let numbers: Vec<u8> = t.municipi().iter().map(|m| m.number).collect();
    assert_eq!(numbers, (1..=9).collect::<Vec<_>>());
    assert_eq!(t.nil(1).unwrap().name, "DUOMO");
    assert_eq!(t.nil(88).unwrap().name, "PARCO BOSCO IN CITTA'");
    assert!(t.nil(0).is_none() && t.nil(89).is_none());
    assert_eq!(t.municipio(9).unwrap().number, 9);
    assert!(t.municipio(0).is_none() && t.municipio(10).is_none());
}

/// Landmarks whose NIL and Municipio are public knowledge.
#[test]
fn known_places_land_in_their_nil_and_municipio() {
    let cases = [
        ("Piazza del Duomo", 45.4642, 9.1900, "DUOMO", 1),
        ("Pinacoteca di Brera", 45.4719, 9.1879, "BRERA", 1),
        (
            "Stazione Centrale",
            45.4860,
            9.2045,
            "STAZIONE CENTRALE - PONTE SEVESO",
            2,
        ),
        (
            "Politecnico, Città Studi",
            45.4781,
            9.2274,
            "CITTA' STUDI",
            3,
        ),
        (
            "Gratosoglio, torri bianche",
            45.4115,
            9.1725,
            "GRATOSOGLIO - Q.RE MISSAGLIA - Q.RE TERRAZZE",
            5,
        ),
        (
            "Baggio, Sant'Apollinare",
            45.4626,
            9.0905,
            "BAGGIO - Q.RE DEGLI OLMI - Q.RE VALSESIA",
            7,
        ),
        (
            "Stadio di San Siro",
            45.4781,
            9.1240,
            "STADIO - IPPODROMI",
            7,
        ),
        ("Università Bicocca", 45.5138, 9.2110, "BICOCCA", 9),
    ];
    for (what, lat, lon, nil, municipio) in cases {
        let place = milan()
            .locate(LatLon::new(lat, lon))
            .unwrap_or_else(|| panic!("{what} is in Milan"));
        assert_eq!(place.nil_id, nil_named(nil), "NIL of {what}");
        assert_eq!(place.municipio, municipio, "Municipio of {what}");
        assert!(milan().contains(LatLon::new(lat, lon)));
    }
}

#[test]
fn places_outside_milan_are_none() {
    for (what, lat, lon) in [
        ("Bergamo", 45.69, 9.67),
        ("Rho", 45.528, 9.04),
        ("Sesto San Giovanni", 45.5350, 9.2330),
        ("Null Island", 0.0, 0.0),
    ] {
        let p = LatLon::new(lat, lon);
        assert_eq!(milan().locate(p), None, "{what}");
        assert!(!milan().contains(p), "{what}");
    }
}

#[test]
fn every_nil_interior_point_locates_to_its_own_nil() {
    for nil in milan().nils() {
        let p = nil.shape.interior_point();
        assert!(nil.shape.contains(p), "interior point of {}", nil.name);
        let place = milan()
            .locate(p)
            .unwrap_or_else(|| panic!("{} in Milan", nil.name));
        assert_eq!(place.nil_id, nil.id, "{}", nil.name);
        if nil.shape.contains(nil.centroid) {
            assert_eq!(milan().locate(nil.centroid).unwrap().nil_id, nil.id);
        }
    }
}

#[test]
fn nil_municipio_is_the_one_holding_it() {
    let municipio_of = |name| milan().nil(nil_named(name)).unwrap().municipio;
    assert_eq!(municipio_of("DUOMO"), 1);
    assert_eq!(
        municipio_of("GRATOSOGLIO - Q.RE MISSAGLIA - Q.RE TERRAZZE"),
        5
    );
    assert_eq!(municipio_of("BAGGIO - Q.RE DEGLI OLMI - Q.RE VALSESIA"), 7);
    for number in 1..=9 {
        assert!(milan().nils().iter().any(|n| n.municipio == number));
    }
    // Straddling NIL, by share of surface: ISOLA is 81 % in Municipio 9, SARPI 75 % in 8.
    assert_eq!(municipio_of("ISOLA"), 9);
    assert_eq!(municipio_of("SARPI"), 8);
}

/// Measured on a finer grid than the one the loader samples, no Municipio holds clearly
/// more of a NIL than the one it is assigned to.
#[test]
fn nil_municipio_holds_most_of_its_surface() {
    for nil in milan().nils() {
        let shares = municipio_shares(nil, 40);
        let assigned = shares[usize::from(nil.municipio)];
        let largest = shares.iter().copied().fold(0.0, f64::max);
        assert!(largest - assigned < 0.02, "{}: {shares:?}", nil.name);
    }
}

/// Fraction of the NIL's sample points (a `side`×`side` grid) in each Municipio, by number.
fn municipio_shares(nil: &Nil, side: usize) -> [f64; 10] {
    let bbox = nil.shape.bbox();
    let mut counts = [0usize; 10];
    for i in 0..side {
        for j in 0..side {
            let f = |k: usize| (k as f64 + 0.3) / side as f64;
            let p = LatLon::new(
                bbox.min.lat + (bbox.max.lat - bbox.min.lat) * f(i),
                bbox.min.lon + (bbox.max.lon - bbox.min.lon) * f(j),
            );
            if let Some(place) = milan().locate(p).filter(|place| place.nil_id == nil.id) {
                counts[usize::from(place.municipio)] += 1;
            }
        }
    }
    let total = counts.iter().sum::<usize>().max(1) as f64;
    counts.map(|c| c as f64 / total)
}

#[test]
fn residents_sum_to_the_2024_total() {
    let total: u32 = milan().nils().iter().map(|n| n.residents_2024).sum();
    assert_eq!(total, 1_407_044);
    assert_eq!(milan().nil(17).unwrap().residents_2024, 18_169); // ADRIANO
    assert_eq!(milan().nil(87).unwrap().residents_2024, 224); // ASSIANO
}

/// Milan covers 181.67 km²; the NIL and the Municipi each tile it.
#[test]
fn areas_add_up_to_the_city() {
    let km2 = |m2: f64| m2 / 1e6;
    let nils: f64 = milan().nils().iter().map(|n| n.area_m2).sum();
    let municipi: f64 = milan().municipi().iter().map(|m| m.area_m2).sum();
    assert!((km2(nils) - 181.67).abs() < 1.8, "NIL {} km²", km2(nils));
    assert!(
        (km2(municipi) - 181.67).abs() < 1.8,
        "Municipi {} km²",
        km2(municipi)
    );
    let duomo = km2(milan().nil(1).unwrap().area_m2);
    assert!((1.0..2.5).contains(&duomo), "DUOMO {duomo} km²");
}

#[test]
fn city_box_holds_every_nil() {
    let bbox = milan().bbox();
    for nil in milan().nils() {
        assert!(bbox.contains(nil.centroid), "{}", nil.name);
    }
    assert!(bbox.contains(LatLon::new(45.4642, 9.1900)));
    assert!(!bbox.contains(LatLon::new(45.69, 9.67)));
}

/// Vertices and edge midpoints of a NIL lie on borders: each must get one answer, the same
/// every time, naming a NIL that touches the point.
#[test]
fn points_on_borders_get_one_deterministic_answer() {
    let duomo = milan().nil(1).unwrap();
    let ring = &duomo.shape.polygons[0].exterior;
    let midpoints = ring
        .windows(2)
        .map(|w| LatLon::new((w[0].lat + w[1].lat) / 2.0, (w[0].lon + w[1].lon) / 2.0));
    for p in ring.iter().copied().chain(midpoints) {
        let first = milan().locate(p).expect("the centre is in Milan");
        assert_eq!(milan().locate(p), Some(first));
        let nil = milan().nil(first.nil_id).unwrap();
        assert!(
            nil.shape.contains(p) || nil.shape.distance_to_border_m(p) < 1.0,
            "{p:?} given to {}",
            nil.name
        );
    }
}

// ---------------------------------------------------------------------------------------------
// SVG map

/// A small XML checker: tags balance, attributes are quoted and hold no raw `<` or `"`, and
/// every `&` starts an entity. Returns the number of elements.
fn check_well_formed(xml: &str) -> Result<usize, String> {
    let mut open: Vec<String> = Vec::new();
    let mut elements = 0;
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        check_text(&rest[..start])?;
        let end = rest[start..].find('>').ok_or("unterminated tag")? + start;
        let tag = &rest[start + 1..end];
        if let Some(name) = tag.strip_prefix('/') {
            let expected = open.pop().ok_or(format!("stray </{name}>"))?;
            if expected != name {
                return Err(format!("</{name}> closes <{expected}>"));
            }
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name = tag.split_whitespace().next().ok_or("empty tag")?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == ':') {
                return Err(format!("bad element name {name:?}"));
            }
            check_attributes(&tag[name.len()..])?;
            elements += 1;
            if !self_closing {
                open.push(name.to_string());
            }
        }
        rest = &rest[end + 1..];
    }
    check_text(rest)?;
    match open.pop() {
        Some(name) => Err(format!("<{name}> never closed")),
        None => Ok(elements),
    }
}

fn check_attributes(mut attributes: &str) -> Result<(), String> {
    loop {
        attributes = attributes.trim_start();
        if attributes.is_empty() {
            return Ok(());
        }
        let (name, after) = attributes
            .split_once("=\"")
            .ok_or(format!("bad attribute in {attributes:?}"))?;
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':')
        {
            return Err(format!("bad attribute name {name:?}"));
        }
        let (value, after) = after.split_once('"').ok_or("unterminated attribute")?;
        check_text(value)?;
        attributes = after;
    }
}

fn check_text(text: &str) -> Result<(), String> {
    if text.contains('<') {
        return Err(format!("raw < in {text:?}"));
    }
    for (i, _) in text.match_indices('&') {
        let entity = &text[i + 1..];
        let end = entity.find(';').ok_or("& without ;")?;
        let name = &entity[..end];
        let known = ["amp", "lt", "gt", "quot", "apos"].contains(&name)
            || name
                .strip_prefix('#')
                .is_some_and(|n| n.parse::<u32>().is_ok());
        if !known {
            return Err(format!("unknown entity &{name};"));
        }
    }
    Ok(())
}

#[test]
fn the_checker_catches_broken_xml() {
    assert!(check_well_formed("<svg><g></g></svg>").is_ok());
    assert!(check_well_formed("<svg><g></svg>").is_err());
    assert!(check_well_formed("<svg><title>a < b</title></svg>").is_err());
    assert!(check_well_formed("<svg><title>a & b</title></svg>").is_err());
    assert!(check_well_formed("<svg a=\"x\"y\"></svg>").is_err());
}

#[test]
fn plain_map_is_light_accessible_and_well_formed() {
    let svg = Map::new(milan(), 800).render();
    let elements = check_well_formed(&svg).unwrap();
    assert!(elements > 88 + 9);
    assert!(svg.len() < 150_000, "{} bytes", svg.len());
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains("viewBox=\"0 0 800 "));
    assert!(svg.contains("role=\"img\""));
    assert!(svg.contains("aria-labelledby=\"mire-map-title\" aria-describedby=\"mire-map-desc\""));
    assert!(
        svg.contains("<title id=\"mire-map-title\">")
            && svg.contains("<desc id=\"mire-map-desc\">")
    );
    assert_eq!(svg.matches("class=\"map-nil\"").count(), 88);
    assert_eq!(svg.matches("class=\"map-municipio\"").count(), 9);
    for number in 1..=9 {
        assert!(
            svg.contains(&format!("dy=\"0.35em\">{number}</text>")),
            "label {number}"
        );
    }
    assert!(svg.contains("<title>BAGGIO - Q.RE DEGLI OLMI - Q.RE VALSESIA</title>"));
    assert!(svg.contains("<title>CITTA&#39; STUDI</title>"));
}

#[test]
fn coordinates_have_at_most_one_decimal() {
    let svg = Map::new(milan(), 640)
        .marker(Marker::new(LatLon::new(45.4642, 9.19), "Duomo", "home"))
        .render();
    assert_eq!(svg.matches(" dy=\"0.35em\"").count(), 9);
    let without_label_offsets = svg.replace(" dy=\"0.35em\"", "");
    let numbers: Vec<&str> = without_label_offsets
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|token| token.contains('.'))
        .collect();
    assert!(numbers.len() > 1000, "path data uses decimals");
    for number in numbers {
        let decimals = number.split('.').nth(1).unwrap_or("");
        assert!(decimals.len() <= 1, "{number}");
    }
}

#[test]
fn hostile_labels_are_escaped_everywhere() {
    let evil = "<script>alert(\"x\")</script> & 'quoted'";
    let svg = Map::new(milan(), 600)
        .id("mappa\" onload=\"x")
        .title(evil, evil)
        .fill_nil(1, "\"><script>", evil)
        .legend(vec![("#123456".into(), evil.into())])
        .marker(Marker::new(LatLon::new(45.4642, 9.19), evil, "evil\"kind"))
        .marker(Marker::new(LatLon::new(45.47, 9.18), evil, "x").with_href("javascript:alert(1)"))
        .render();
    check_well_formed(&svg).unwrap();
    assert!(!svg.contains("<script"));
    assert!(!svg.contains("onload=\""));
    assert!(!svg.contains("javascript:"));
    assert!(
        svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;")
    );
    assert!(svg.contains("class=\"map-marker map-marker-evilkind\""));
    // The unsafe link is drawn as a plain marker, so the map stays a single image.
    assert!(svg.contains("role=\"img\"") && !svg.contains("<a "));
}

#[test]
fn linked_markers_are_focusable_and_named() {
    let map = Map::new(milan(), 800)
        .marker(
            Marker::new(LatLon::new(45.4642, 9.19), "Coworking Duomo", "coworking")
                .with_href("/coworking/1?x=1&y=2"),
        )
        .marker(
            Marker::new(LatLon::new(45.69, 9.67), "Bergamo", "coworking").with_href("/coworking/2"),
        );
    let svg = map.render();
    check_well_formed(&svg).unwrap();
    assert!(svg.contains("role=\"group\""));
    assert!(svg.contains(
        "<a class=\"map-marker map-marker-coworking\" href=\"/coworking/1?x=1&amp;y=2\"><title>Coworking Duomo</title><circle"
    ));
    assert!(!svg.contains("Bergamo"), "markers off the map are left out");
    let (x, y) = map.project(LatLon::new(45.4642, 9.19));
    let circle = format!("<circle cx=\"{:.1}\" cy=\"{:.1}\"", x, y).replace(".0\"", "\"");
    assert!(svg.contains(&circle), "{circle}");
}

#[test]
fn choropleth_colours_and_classes_reach_their_nil() {
    let svg = Map::new(milan(), 800)
        .fill_nil(1, "#d7301f", "12 coworking")
        .fill_nil(2, "quintile-3", "3 coworking")
        .legend(vec![
            ("#d7301f".into(), "10 o più".into()),
            ("quintile-3".into(), "3-5".into()),
        ])
        .render();
    check_well_formed(&svg).unwrap();
    assert!(svg.contains("<path class=\"map-nil\" fill=\"#d7301f\" data-nil=\"1\""));
    assert!(svg.contains("<title>DUOMO: 12 coworking</title>"));
    assert!(svg.contains("<path class=\"map-nil quintile-3\" data-nil=\"2\""));
    assert!(svg.contains("class=\"map-legend-swatch quintile-3\""));
    assert!(svg.contains(">10 o più</text>"));
}

#[test]
fn projection_keeps_milan_in_proportion_and_north_up() {
    let map = Map::new(milan(), 1000);
    let bbox = milan().bbox();
    let (x_min, y_max) = map.project(bbox.min); // south-west corner
    let (x_max, y_min) = map.project(bbox.max); // north-east corner
    assert!(y_min < y_max, "north is up");
    assert!(x_min < x_max, "east is right");
    let width_m = LatLon::new(bbox.center().lat, bbox.min.lon)
        .distance_m(LatLon::new(bbox.center().lat, bbox.max.lon));
    let height_m =
        LatLon::new(bbox.min.lat, bbox.min.lon).distance_m(LatLon::new(bbox.max.lat, bbox.min.lon));
    let pixel_ratio = (x_max - x_min) / (y_max - y_min);
    assert!(
        (pixel_ratio - width_m / height_m).abs() < 0.01,
        "{pixel_ratio}"
    );
    assert!(x_min >= 0.0 && x_max <= map.projection().width());
    assert!(y_max <= map.projection().height());
}
