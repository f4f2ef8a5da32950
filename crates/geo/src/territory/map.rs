//! Server-drawn SVG maps of Milan: NIL and Municipi outlines, choropleths and markers.
//!
//! Pages must work without JavaScript, on a phone and with a screen reader, so the map is a
//! self-contained `<svg>`: a `viewBox` lets it scale to any width, `<title>`/`<desc>` name it,
//! each marker carries its own `<title>` and, with a link, is a focusable `<a>`.
//!
//! Colours come from presentation attributes, so the map renders standalone; page CSS can
//! restyle it through the classes `map-nils`/`map-nil`, `map-municipi`/`map-municipio`,
//! `map-municipio-label`, `map-marker`/`map-marker-{kind}` and `map-legend`. CSS rules beat
//! presentation attributes, so style the default NIL fill on the group `.map-nils`, not on
//! `.map-nil`, or the choropleth colours given to [`Map::fill_nil`] are hidden.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::LatLon;

use super::simplify::simplify;
use super::{BBox, MultiPolygon, Territory};

/// Outline simplification tolerance. Milan is about 20 km wide, so 10 m is under half a
/// pixel on an 800 px map and about one pixel at 1600 px; it cuts the vertices by ~90 %.
const SIMPLIFY_TOLERANCE_M: f64 = 10.0;
/// Blank border around the city, in pixels, so outer strokes are not clipped.
const MARGIN_PX: f64 = 8.0;
const MARKER_RADIUS_PX: f64 = 6.0;
const LEGEND_ROW_PX: f64 = 22.0;
const LEGEND_SWATCH_PX: f64 = 14.0;

/// Simplified outlines of a territory, computed once for all maps (see `Territory::outlines`).
#[derive(Debug)]
pub(super) struct Outlines {
    /// Parallel to `Territory::nils`.
    nils: Vec<MultiPolygon>,
    /// Parallel to `Territory::municipi`.
    municipi: Vec<MultiPolygon>,
    /// Where each Municipio's number is written: a point well inside its full outline.
    municipio_labels: Vec<LatLon>,
}

impl Outlines {
    fn of(territory: &Territory) -> Outlines {
        let simplified = |shape| simplify(shape, SIMPLIFY_TOLERANCE_M);
        Outlines {
            nils: territory
                .nils
                .iter()
                .map(|n| simplified(&n.shape))
                .collect(),
            municipi: territory
                .municipi
                .iter()
                .map(|m| simplified(&m.shape))
                .collect(),
            municipio_labels: territory
                .municipi
                .iter()
                .map(|m| m.shape.interior_point())
                .collect(),
        }
    }
}

/// Equirectangular projection of the city onto SVG pixels, longitude scaled by the cosine of
/// the middle latitude so Milan keeps its shape (at 45.5° a degree of longitude is 70 % of one
/// of latitude).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    west: f64,
    north: f64,
    /// Pixels per degree of latitude; a degree of longitude gets this times the cosine.
    pixels_per_degree: f64,
    cos_lat: f64,
    width: f64,
    height: f64,
}

impl Projection {
    /// Fits `bbox` into `width_px` pixels (margins included); the height follows.
    pub fn fit(bbox: BBox, width_px: u32) -> Projection {
        let cos_lat = bbox.center().lat.to_radians().cos();
        let width = f64::from(width_px.max(64));
        let span_lon = (bbox.max.lon - bbox.min.lon).max(1e-9);
        let pixels_per_degree = (width - 2.0 * MARGIN_PX) / (span_lon * cos_lat);
        let height = (bbox.max.lat - bbox.min.lat) * pixels_per_degree + 2.0 * MARGIN_PX;
        Projection {
            west: bbox.min.lon,
            north: bbox.max.lat,
            pixels_per_degree,
            cos_lat,
            width,
            height: height.ceil(),
        }
    }

    /// SVG user units: x to the east, y down from the north edge.
    pub fn project(&self, p: LatLon) -> (f64, f64) {
        (
            MARGIN_PX + (p.lon - self.west) * self.cos_lat * self.pixels_per_degree,
            MARGIN_PX + (self.north - p.lat) * self.pixels_per_degree,
        )
    }

    pub fn width(&self) -> f64 {
        self.width
    }

    /// Height of the map itself, without the legend.
    pub fn height(&self) -> f64 {
        self.height
    }
}

/// A point of interest drawn on a map: a coworking space, a welfare service, a home.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub at: LatLon,
    /// Accessible name, shown as a tooltip and read by screen readers.
    pub label: String,
    /// Makes the marker a keyboard-focusable link; unsafe schemes (`javascript:`…) are dropped.
    pub href: Option<String>,
    /// Suffix of the CSS class `map-marker-{kind}`, e.g. "coworking".
    pub kind: String,
}

impl Marker {
    pub fn new(at: LatLon, label: impl Into<String>, kind: impl Into<String>) -> Marker {
        Marker {
            at,
            label: label.into(),
            href: None,
            kind: kind.into(),
        }
    }

    pub fn with_href(mut self, href: impl Into<String>) -> Marker {
        self.href = Some(href.into());
        self
    }
}

/// A map of a territory being prepared; [`Map::render`] draws it.
#[derive(Debug, Clone)]
pub struct Map<'a> {
    territory: &'a Territory,
    projection: Projection,
    id: String,
    title: String,
    description: String,
    nil_fills: BTreeMap<u16, (String, String)>,
    legend: Vec<(String, String)>,
    markers: Vec<Marker>,
}

impl<'a> Map<'a> {
    /// A map drawn for a display `width_px` pixels wide: strokes, labels and markers are sized
    /// in those pixels. The `<svg>` has a `viewBox` and no `width`/`height`, so it takes the
    /// width of its container (a phone screen, a `<figure>`) and keeps its proportions.
    pub fn new(territory: &'a Territory, width_px: u32) -> Self {
        Map {
            territory,
            projection: Projection::fit(territory.bbox(), width_px),
            id: "mire-map".to_string(),
            title: "Mappa di Milano".to_string(),
            description: format!(
                "I {} Municipi e i {} NIL (Nuclei d'Identità Locale).",
                territory.municipi().len(),
                territory.nils().len()
            ),
            nil_fills: BTreeMap::new(),
            legend: Vec::new(),
            markers: Vec::new(),
        }
    }

    /// Prefix of the element ids, to keep them unique when a page shows several maps.
    /// Characters other than letters, digits, `-` and `_` are dropped.
    pub fn id(mut self, id: &str) -> Self {
        let id = css_identifier(id);
        if !id.is_empty() {
            self.id = id;
        }
        self
    }

    /// The accessible name and description; say in words what the map shows.
    pub fn title(mut self, title: &str, description: &str) -> Self {
        self.title = title.to_string();
        self.description = description.to_string();
        self
    }

    /// Paints one NIL: `fill` is a `#rgb`/`#rrggbb` colour or else a CSS class; `label` is
    /// added to the NIL's tooltip (e.g. "12 coworking").
    pub fn fill_nil(mut self, id: u16, fill: &str, label: &str) -> Self {
        self.nil_fills
            .insert(id, (fill.to_string(), label.to_string()));
        self
    }

    /// Rows of (colour or CSS class, text) drawn under the map.
    pub fn legend(mut self, items: Vec<(String, String)>) -> Self {
        self.legend = items;
        self
    }

    pub fn marker(mut self, marker: Marker) -> Self {
        self.markers.push(marker);
        self
    }

    pub fn markers(mut self, markers: impl IntoIterator<Item = Marker>) -> Self {
        self.markers.extend(markers);
        self
    }

    pub fn projection(&self) -> Projection {
        self.projection
    }

    /// Where a point lands in the SVG's user units.
    pub fn project(&self, p: LatLon) -> (f64, f64) {
        self.projection.project(p)
    }

    /// Total height in user units, legend included.
    pub fn height(&self) -> f64 {
        let legend = if self.legend.is_empty() {
            0.0
        } else {
            LEGEND_ROW_PX * self.legend.len() as f64 + MARGIN_PX
        };
        self.projection.height() + legend
    }

    /// The `<svg>` element, ready to inline in a page or serve as `image/svg+xml`.
    pub fn render(&self) -> String {
        let outlines = self
            .territory
            .outlines
            .get_or_init(|| Outlines::of(self.territory));
        let mut svg = String::with_capacity(128 * 1024);
        self.open_svg(&mut svg);
        self.write_nils(&mut svg, outlines);
        self.write_municipi(&mut svg, outlines);
        self.write_markers(&mut svg);
        self.write_legend(&mut svg);
        svg.push_str("</svg>\n");
        svg
    }

    /// A map whose markers are links is a group of interactive things, not a flat image:
    /// `role="img"` would hide the links from assistive technology.
    fn open_svg(&self, svg: &mut String) {
        let has_links = self.markers.iter().any(|m| self.visible_href(m).is_some());
        let role = if has_links { "group" } else { "img" };
        let id = &self.id;
        let _ = writeln!(
            svg,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"map\" viewBox=\"0 0 {} {}\" \
             role=\"{role}\" aria-labelledby=\"{id}-title\" aria-describedby=\"{id}-desc\">\
             <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
            self.projection.width(),
            self.height().ceil(),
            escape(&self.title),
            escape(&self.description),
        );
    }

    fn write_nils(&self, svg: &mut String, outlines: &Outlines) {
        svg.push_str(
            "<g class=\"map-nils\" fill=\"#f3f4f6\" stroke=\"#9aa1ac\" stroke-width=\"0.6\" \
             stroke-linejoin=\"round\">\n",
        );
        for (nil, outline) in self.territory.nils().iter().zip(&outlines.nils) {
            let (class, fill, tooltip) = match self.nil_fills.get(&nil.id) {
                Some((paint, label)) => {
                    let (class, fill) = paint_attributes(paint);
                    (class, fill, format!("{}: {label}", nil.name))
                }
                None => (String::new(), String::new(), nil.name.clone()),
            };
            let _ = writeln!(
                svg,
                "<path class=\"map-nil{class}\"{fill} data-nil=\"{}\" d=\"{}\"><title>{}</title></path>",
                nil.id,
                path_data(outline, &self.projection),
                escape(&tooltip),
            );
        }
        svg.push_str("</g>\n");
    }

    /// Thicker borders drawn over the NIL, then the Municipio numbers with a white halo.
    fn write_municipi(&self, svg: &mut String, outlines: &Outlines) {
        svg.push_str(
            "<g class=\"map-municipi\" fill=\"none\" stroke=\"#2f3640\" stroke-width=\"1.8\" \
             stroke-linejoin=\"round\">\n",
        );
        for (municipio, outline) in self.territory.municipi().iter().zip(&outlines.municipi) {
            let _ = writeln!(
                svg,
                "<path class=\"map-municipio\" data-municipio=\"{}\" d=\"{}\"/>",
                municipio.number,
                path_data(outline, &self.projection),
            );
        }
        svg.push_str(
            "</g>\n<g class=\"map-municipio-label\" aria-hidden=\"true\" font-family=\"sans-serif\" \
             font-size=\"16\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"#17324d\" \
             stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">\n",
        );
        for (municipio, &at) in self
            .territory
            .municipi()
            .iter()
            .zip(&outlines.municipio_labels)
        {
            let (x, y) = self.projection.project(at);
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" dy=\"0.35em\">{}</text>",
                decimal(x),
                decimal(y),
                municipio.number
            );
        }
        svg.push_str("</g>\n");
    }

    /// Markers outside the map are left out: an invisible link would still take focus.
    fn write_markers(&self, svg: &mut String) {
        if self.markers.is_empty() {
            return;
        }
        svg.push_str(
            "<g class=\"map-markers\" fill=\"#0066cc\" stroke=\"#ffffff\" stroke-width=\"1.5\">\n",
        );
        let visible = self.markers.iter().filter(|m| self.on_map(m.at));
        for marker in visible {
            let (x, y) = self.projection.project(marker.at);
            let class = format!("map-marker map-marker-{}", css_identifier(&marker.kind));
            let title = format!("<title>{}</title>", escape(&marker.label));
            let circle = format!(
                "<circle cx=\"{}\" cy=\"{}\" r=\"{MARKER_RADIUS_PX}\"/>",
                decimal(x),
                decimal(y)
            );
            let _ = match self.visible_href(marker) {
                Some(href) => writeln!(
                    svg,
                    "<a class=\"{class}\" href=\"{}\">{title}{circle}</a>",
                    escape(href)
                ),
                None => writeln!(svg, "<g class=\"{class}\">{title}{circle}</g>"),
            };
        }
        svg.push_str("</g>\n");
    }

    fn write_legend(&self, svg: &mut String) {
        if self.legend.is_empty() {
            return;
        }
        svg.push_str(
            "<g class=\"map-legend\" font-family=\"sans-serif\" font-size=\"13\" fill=\"#1a1a1a\">\n",
        );
        for (row, (paint, text)) in self.legend.iter().enumerate() {
            let top = self.projection.height() + LEGEND_ROW_PX * row as f64;
            let (class, fill) = paint_attributes(paint);
            let _ = writeln!(
                svg,
                "<rect class=\"map-legend-swatch{class}\"{fill} x=\"{MARGIN_PX}\" y=\"{}\" \
                 width=\"{LEGEND_SWATCH_PX}\" height=\"{LEGEND_SWATCH_PX}\" stroke=\"#5c6370\"/>\
                 <text x=\"{}\" y=\"{}\">{}</text>",
                decimal(top),
                decimal(MARGIN_PX + LEGEND_SWATCH_PX + 6.0),
                decimal(top + LEGEND_SWATCH_PX - 2.0),
                escape(text),
            );
        }
        svg.push_str("</g>\n");
    }

    fn on_map(&self, p: LatLon) -> bool {
        let (x, y) = self.projection.project(p);
        (0.0..=self.projection.width()).contains(&x)
            && (0.0..=self.projection.height()).contains(&y)
    }

    fn visible_href<'m>(&self, marker: &'m Marker) -> Option<&'m str> {
        let href = marker.href.as_deref()?;
        (self.on_map(marker.at) && is_safe_href(href)).then_some(href)
    }
}

/// ` class-suffix` and ` fill="…"` attributes for a value that is a colour or a class.
fn paint_attributes(paint: &str) -> (String, String) {
    if is_hex_colour(paint) {
        (String::new(), format!(" fill=\"{paint}\""))
    } else {
        let class = css_identifier(paint);
        if class.is_empty() {
            (String::new(), String::new())
        } else {
            (format!(" {class}"), String::new())
        }
    }
}

fn is_hex_colour(value: &str) -> bool {
    value.strip_prefix('#').is_some_and(|hex| {
        [3, 4, 6, 8].contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

/// Keeps letters, digits, `-` and `_`, so a value cannot break out of an attribute or
/// smuggle several classes.
fn css_identifier(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Relative links and web, mail and phone links; anything with another scheme
/// (`javascript:`, `data:`) could run code when followed.
fn is_safe_href(href: &str) -> bool {
    let href = href.trim();
    let scheme_end = href.find(':');
    let path_start = href.find(['/', '?', '#']);
    match (scheme_end, path_start) {
        (Some(colon), path) if path.is_none_or(|p| colon < p) => {
            let scheme = href[..colon].to_ascii_lowercase();
            ["http", "https", "mailto", "tel"].contains(&scheme.as_str())
        }
        _ => true,
    }
}

/// Text safe both as element content and inside a double- or single-quoted attribute.
/// Characters XML 1.0 forbids (most control characters) are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// SVG path data on a 0.1 px grid: the first point of each ring absolute, the next ones as
/// offsets (shorter), computed between rounded points so no rounding error accumulates.
fn path_data(shape: &MultiPolygon, projection: &Projection) -> String {
    let mut d = String::new();
    for ring in shape.polygons.iter().flat_map(|p| p.rings()) {
        let mut points: Vec<(i64, i64)> = ring
            .iter()
            .map(|&p| {
                let (x, y) = projection.project(p);
                ((x * 10.0).round() as i64, (y * 10.0).round() as i64)
            })
            .collect();
        points.dedup();
        if points.len() > 1 && points.first() == points.last() {
            points.pop();
        }
        if points.len() < 3 {
            continue;
        }
        d.push('M');
        push_pair(&mut d, points[0]);
        d.push('l');
        for pair in points.windows(2) {
            push_pair(&mut d, (pair[1].0 - pair[0].0, pair[1].1 - pair[0].1));
        }
        d.push('z');
    }
    d
}

fn push_pair(d: &mut String, (x, y): (i64, i64)) {
    push_number(d, x);
    push_number(d, y);
}

/// A number in tenths, written in the fewest characters; a minus sign doubles as separator.
fn push_number(d: &mut String, tenths: i64) {
    if tenths >= 0 && d.ends_with(|c: char| c.is_ascii_digit()) {
        d.push(' ');
    }
    d.push_str(&tenths_to_decimal(tenths));
}

fn tenths_to_decimal(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let (whole, tenth) = (tenths.unsigned_abs() / 10, tenths.unsigned_abs() % 10);
    if tenth == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{tenth}")
    }
}

/// A coordinate rounded to 0.1 px.
fn decimal(value: f64) -> String {
    tenths_to_decimal((value * 10.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_control_characters() {
        assert_eq!(
            escape("<a href=\"x\">Tom & 'Jerry'</a>\u{0}"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn numbers_use_tenths_and_compact_separators() {
        let mut d = String::from("M");
        push_pair(&mut d, (1234, -5));
        push_pair(&mut d, (10, 7));
        assert_eq!(d, "M123.4-0.5 1 0.7");
    }

    #[test]
    fn only_safe_links_are_kept() {
        assert!(is_safe_href("/coworking/12"));
        assert!(is_safe_href("https://www.comune.milano.it/"));
        assert!(is_safe_href("?page=2#risultati"));
        assert!(is_safe_href("spazi/3?a=b:c"));
        assert!(!is_safe_href("javascript:alert(1)"));
        assert!(!is_safe_href(" JavaScript:alert(1)"));
        assert!(!is_safe_href("data:text/html,<script>"));
    }

    #[test]
    fn colours_become_fills_and_anything_else_a_class() {
        assert_eq!(
            paint_attributes("#a1b2c3"),
            (String::new(), " fill=\"#a1b2c3\"".into())
        );
        assert_eq!(paint_attributes("q3"), (" q3".into(), String::new()));
        assert_eq!(
            paint_attributes("x\" onload=\"evil"),
            (" xonloadevil".into(), String::new())
        );
    }

    #[test]
    fn projection_keeps_the_city_in_proportion() {
        let bbox = BBox {
            min: LatLon::new(45.0, 9.0),
            max: LatLon::new(45.1, 9.1),
        };
        let projection = Projection::fit(bbox, 416);
        let (x0, y0) = projection.project(bbox.min);
        let (x1, y1) = projection.project(bbox.max);
        assert!((x1 - x0 - 400.0).abs() < 1e-9);
        // 0.1° of longitude at 45° is cos(45.05°) times 0.1° of latitude.
        let expected_height = 400.0 / 45.05f64.to_radians().cos();
        assert!(((y0 - y1) - expected_height).abs() < 1e-6);
        assert!(y1 > 0.0 && y0 < projection.height());
    }
}
