//! The engine: the city model in memory and point-to-point queries on it.

use serde::Serialize;

use super::atm::{HeadwayModel, RideTimes, TransitData};
use super::city::CityArea;
use super::grid::{GridIndex, Projection};
use super::landmarks::Landmarks;
use super::network::{Edge, Network, NodeKind};
use super::search::{dijkstra, Settings, Tree, NO_PARENT, UNREACHED};
use super::services::ServiceCatalog;
use super::streets::StreetNetwork;
use super::{LegMode, Mode, Params, ProximityError};
use crate::LatLon;

/// Cell of the stop index: about the access radius divided by four, so a radius query
/// looks at a handful of cells.
const STOP_CELL_M: f64 = 250.0;
/// Share of the straight-line bound the goal direction uses: covers the projection's error
/// (under 0.3 % across the city) with room to spare.
const GOAL_MARGIN: f64 = 0.99;
/// Cell of the street-node index: streets are dense, small cells keep lookups short.
const STREET_CELL_M: f64 = 100.0;

/// The proximity model of a city, ready for queries. Build it once ([`Proximity::milan`])
/// and share it (`Arc<Proximity>`): every query takes `&self`.
pub struct Proximity {
    pub(crate) params: Params,
    pub(crate) proj: Projection,
    pub(crate) network: Network,
    landmarks: Landmarks,
    stop_grid: GridIndex,
    street_grid: Option<GridIndex>,
    pub(crate) catalog: ServiceCatalog,
    pub(crate) city: CityArea,
    transit: TransitData,
    rides: Box<dyn RideTimes + Send + Sync>,
}

impl std::fmt::Debug for Proximity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proximity")
            .field("nodes", &self.network.nodes().len())
            .field("edges", &self.network.edge_count())
            .field("streets", &self.street_grid.is_some())
            .finish()
    }
}

/// A place along a journey: a stop (with its name), a street corner or an end point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waypoint {
    pub at: LatLon,
    pub name: Option<String>,
}

/// One part of a journey done with one mode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leg {
    pub mode: LegMode,
    pub from: Waypoint,
    pub to: Waypoint,
    /// Seconds of the leg, waiting included.
    pub seconds: u32,
    /// Seconds waited at the first stop (0 for walks).
    pub wait_seconds: u32,
    /// Metres travelled (walks: along the street or the straight line times the detour).
    pub metres: f64,
    /// Line as people know it ("M1", "90"), for rides.
    pub line: Option<String>,
    /// Route variant, terminus to terminus, for rides.
    pub route: Option<String>,
}

/// The fastest way from A to B.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Journey {
    pub seconds: u32,
    pub minutes: f64,
    pub legs: Vec<Leg>,
}

/// Travel times from one origin to everywhere (within a budget).
pub struct Reach<'a> {
    engine: &'a Proximity,
    origin: LatLon,
    mode: Mode,
    limit: u32,
    tree: Tree,
    /// Whether the origin found graph nodes to start from.
    attached: bool,
}

impl Proximity {
    /// Milan: the shipped parameters, ATM network, services and NIL (loads in well under a
    /// second; the benchmarks print the figure).
    pub fn milan() -> Result<Proximity, ProximityError> {
        let params = Params::shipped();
        let city = CityArea::milan(params.accessibility.sample_spacing_m);
        let rides = HeadwayModel::new(&params);
        let mut catalog = ServiceCatalog::milan()?;
        catalog.retain(|p| city.locate(p).is_some());
        Ok(Proximity::new(
            params,
            TransitData::milan_atm()?,
            Box::new(rides),
            catalog,
            city,
        ))
    }

    /// A model from its parts: any transit data, ride-time source and city.
    pub fn new(
        params: Params,
        transit: TransitData,
        rides: Box<dyn RideTimes + Send + Sync>,
        catalog: ServiceCatalog,
        city: CityArea,
    ) -> Proximity {
        let fallback = city.nils().first().and_then(|n| n.samples.first().copied());
        let proj = Projection::for_points(
            transit.stops.iter().map(|s| s.at),
            fallback.unwrap_or(LatLon::new(45.4642, 9.19)),
        );
        let network = Network::build(&transit, rides.as_ref(), &params, None, &proj);
        let stop_grid = GridIndex::new(network.xy[..transit.stops.len()].to_vec(), STOP_CELL_M);
        let landmarks = Landmarks::choose(&network);
        Proximity {
            params,
            proj,
            network,
            landmarks,
            stop_grid,
            street_grid: None,
            catalog,
            city,
            transit,
            rides,
        }
    }

    /// Uses a walking network for every walking leg from now on (rebuilds the graph).
    pub fn with_streets(mut self, streets: &StreetNetwork) -> Proximity {
        self.network = Network::build(
            &self.transit,
            self.rides.as_ref(),
            &self.params,
            Some(streets),
            &self.proj,
        );
        let base = self.network.stop_count();
        self.street_grid = Some(GridIndex::new(
            self.network.xy[base..].to_vec(),
            STREET_CELL_M,
        ));
        self.landmarks = Landmarks::choose(&self.network);
        self
    }

    /// Whether walking legs use a street network.
    pub fn has_streets(&self) -> bool {
        self.street_grid.is_some()
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    pub fn catalog(&self) -> &ServiceCatalog {
        &self.catalog
    }

    /// The categories with points, where `coworking` (the spaces the caller read from its
    /// database) stands for the catalog's own coworking points unless it is empty: what the
    /// isochrone, the accessibility report and "what is around" all measure.
    pub fn categories_with<'a>(
        &'a self,
        coworking: &'a [super::ServicePoint],
    ) -> Vec<(super::Category, &'a [super::ServicePoint])> {
        let mut categories: Vec<_> = self
            .catalog
            .categories()
            .filter(|(c, p)| !p.is_empty() && *c != super::Category::Coworking)
            .collect();
        let coworking = if coworking.is_empty() {
            self.catalog.points(super::Category::Coworking)
        } else {
            coworking
        };
        if !coworking.is_empty() {
            categories.push((super::Category::Coworking, coworking));
        }
        categories
    }

    /// Replaces the points of a category, e.g. coworking spaces read from the database.
    pub fn set_points(&mut self, category: super::Category, points: Vec<super::ServicePoint>) {
        self.catalog.set(category, points);
    }

    pub fn city(&self) -> &CityArea {
        &self.city
    }

    /// Approximate bytes of the model's main arrays.
    pub fn heap_bytes(&self) -> usize {
        self.network.heap_bytes()
            + self.landmarks.heap_bytes()
            + (self.stop_grid.len() + self.street_grid.as_ref().map_or(0, GridIndex::len)) * 24
    }

    /// Checks that a point is a coordinate inside the city; the API answers 422 otherwise.
    pub fn check_point(&self, p: LatLon) -> Result<(), ProximityError> {
        let valid = p.lat.is_finite()
            && p.lon.is_finite()
            && (-90.0..=90.0).contains(&p.lat)
            && (-180.0..=180.0).contains(&p.lon);
        if !valid {
            return Err(ProximityError::InvalidCoordinates);
        }
        match self.city.locate(p) {
            Some(_) => Ok(()),
            None => Err(ProximityError::OutsideCity {
                lat: p.lat,
                lon: p.lon,
            }),
        }
    }

    /// Checks a time budget in minutes and turns it into seconds.
    pub fn budget_secs(&self, minutes: f64) -> Result<u32, ProximityError> {
        let max = self.params.isochrone.max_minutes;
        if !(minutes > 0.0 && minutes <= max) {
            return Err(ProximityError::InvalidBudget { max });
        }
        Ok((minutes * 60.0).round() as u32)
    }

    /// Graph nodes a traveller at `p` can start from (or end at), with the walking seconds:
    /// stops within the access distance (straight-line walking), or the nearest street node.
    pub fn attach(&self, p: LatLon, mode: Mode) -> Vec<(u32, u32)> {
        let xy = self.proj.xy(p);
        if let Some(streets) = &self.street_grid {
            let base = self.network.stop_count() as u32;
            return streets
                .nearest(xy, self.params.streets.max_snap_m)
                .map(|(i, d)| vec![(base + i, self.params.walk_secs_network(d))])
                .unwrap_or_default();
        }
        let mut nodes = Vec::new();
        if mode == Mode::Transit {
            self.stop_grid
                .within(xy, self.params.walking.max_access_m, |i, d| {
                    nodes.push((i, self.params.walk_secs_straight(d)));
                });
        }
        nodes
    }

    /// Seconds to walk straight from `a` to `b`, when the model walks without the graph:
    /// always without streets; with streets only when a point is off the street network
    /// (`attached` says whether each point found a node).
    pub fn direct_walk_secs(&self, a: LatLon, b: LatLon, attached: (bool, bool)) -> Option<u32> {
        if self.has_streets() && attached.0 && attached.1 {
            return None;
        }
        Some(self.params.walk_secs_straight(self.proj.distance_m(a, b)))
    }

    pub(crate) fn settings(&self, mode: Mode, limit: u32, backward: bool) -> Settings {
        Settings {
            limit,
            rides: mode == Mode::Transit,
            backward,
        }
    }

    /// The fastest journey from `from` to `to`: a search from the nodes near `from` that
    /// stops as soon as no unsettled node can improve the best arrival found.
    pub fn travel_time(
        &self,
        from: LatLon,
        to: LatLon,
        mode: Mode,
    ) -> Result<Journey, ProximityError> {
        self.check_point(from)?;
        self.check_point(to)?;
        let seeds = self.attach(from, mode);
        let mut targets = self.attach(to, mode);
        targets.sort_unstable();
        let attached = (!seeds.is_empty(), !targets.is_empty());
        let direct = self
            .direct_walk_secs(from, to, attached)
            .unwrap_or(UNREACHED);
        let (mut best, mut best_node) = (direct, None);
        let secs_per_m = GOAL_MARGIN / self.params.fastest_speed_m_s();
        let goal = self
            .landmarks
            .toward(&self.network, &self.proj, to, &targets, secs_per_m);
        let settings = self.settings(mode, UNREACHED - 1, false);
        let tree = dijkstra(
            &self.network,
            &seeds,
            settings,
            |v| goal.at(v),
            |v, d, key| {
                if key >= best {
                    return None;
                }
                if let Ok(i) = targets.binary_search_by_key(&v, |t| t.0) {
                    if d + targets[i].1 < best {
                        best = d + targets[i].1;
                        best_node = Some((v, targets[i].1));
                    }
                }
                Some(best)
            },
        );
        if best == UNREACHED {
            return Err(ProximityError::NoRoute);
        }
        let legs = match best_node {
            Some((node, egress)) if best < direct => self.legs(&tree, from, to, node, egress),
            _ => vec![self.walk_leg(
                waypoint(from),
                waypoint(to),
                direct,
                self.straight_walk_m(from, to),
            )],
        };
        Ok(Journey {
            seconds: best,
            minutes: minutes(best),
            legs,
        })
    }

    /// Times from `from` to every node within `limit_secs` (or everywhere with `None`).
    pub fn one_to_all(
        &self,
        from: LatLon,
        mode: Mode,
        limit_secs: Option<u32>,
    ) -> Result<Reach<'_>, ProximityError> {
        self.check_point(from)?;
        let limit = limit_secs.unwrap_or(UNREACHED - 1);
        let seeds = self.attach(from, mode);
        let tree = dijkstra(
            &self.network,
            &seeds,
            self.settings(mode, limit, false),
            |_| 0,
            |_, _, _| Some(UNREACHED),
        );
        let attached = !seeds.is_empty();
        Ok(Reach {
            engine: self,
            origin: from,
            mode,
            limit,
            tree,
            attached,
        })
    }

    /// Rebuilds the legs of the path that ends at `last` and then walks `egress` seconds.
    fn legs(&self, tree: &Tree, from: LatLon, to: LatLon, last: u32, egress: u32) -> Vec<Leg> {
        let mut path: Vec<(u32, Edge)> = Vec::new();
        let mut v = last;
        while tree.parent[v as usize].0 != NO_PARENT {
            let (u, slot) = tree.parent[v as usize];
            path.push((u, self.network.edges_from(u)[slot as usize]));
            v = u;
        }
        path.reverse();
        let first = v;
        let mut legs = Vec::new();
        let mut walk = Some(self.walk_leg(
            waypoint(from),
            self.waypoint(first),
            tree.dist[first as usize],
            self.access_m(from, first),
        ));
        for (u, e) in path {
            if e.is_walk() {
                let leg = walk.get_or_insert_with(|| {
                    self.walk_leg(self.waypoint(u), self.waypoint(u), 0, 0.0)
                });
                leg.to = self.waypoint(e.to);
                leg.seconds += e.secs;
                leg.metres += e.metres as f64;
                continue;
            }
            legs.extend(walk.take().filter(|w| w.seconds > 0));
            legs.push(self.ride_leg(u, e));
        }
        let leg = walk
            .get_or_insert_with(|| self.walk_leg(self.waypoint(last), self.waypoint(last), 0, 0.0));
        leg.to = waypoint(to);
        leg.seconds += egress;
        leg.metres += self.access_m(to, last);
        legs.extend(walk.filter(|w| w.seconds > 0));
        legs
    }

    fn ride_leg(&self, from: u32, e: Edge) -> Leg {
        let route = &self.network.routes()[e.route as usize];
        Leg {
            mode: route.mode.into(),
            from: self.waypoint(from),
            to: self.waypoint(e.to),
            seconds: e.secs,
            wait_seconds: self.rides.wait_secs(route).min(e.secs),
            metres: e.metres as f64,
            line: Some(route.line.clone()),
            route: Some(route.name.clone()),
        }
    }

    fn walk_leg(&self, from: Waypoint, to: Waypoint, seconds: u32, metres: f64) -> Leg {
        Leg {
            mode: LegMode::Walk,
            from,
            to,
            seconds,
            wait_seconds: 0,
            metres,
            line: None,
            route: None,
        }
    }

    /// Metres walked between a point and the node it attaches to.
    fn access_m(&self, p: LatLon, node: u32) -> f64 {
        let d = grid_distance(&self.proj, p, self.network.nodes()[node as usize].at);
        if self.has_streets() {
            d
        } else {
            d * self.params.walking.detour_factor
        }
    }

    fn straight_walk_m(&self, a: LatLon, b: LatLon) -> f64 {
        self.proj.distance_m(a, b) * self.params.walking.detour_factor
    }

    pub(crate) fn waypoint(&self, node: u32) -> Waypoint {
        let n = self.network.nodes()[node as usize];
        let name = match n.kind {
            NodeKind::Stop(s) => Some(self.network.stops()[s as usize].name.clone()),
            NodeKind::Street => None,
        };
        Waypoint { at: n.at, name }
    }
}

impl Reach<'_> {
    pub fn origin(&self) -> LatLon {
        self.origin
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Seconds from the origin to each graph node (`u32::MAX` when out of reach).
    pub fn node_secs(&self) -> &[u32] {
        &self.tree.dist
    }

    /// Seconds from the origin to any point, within the budget, walking the last part.
    pub fn secs_to(&self, p: LatLon) -> Option<u32> {
        let e = self.engine;
        let nodes = e.attach(p, self.mode);
        let attached = (self.attached, !nodes.is_empty());
        let mut best = e
            .direct_walk_secs(self.origin, p, attached)
            .unwrap_or(UNREACHED);
        for (node, walk) in nodes {
            let d = self.tree.dist[node as usize];
            if d != UNREACHED {
                best = best.min(d + walk);
            }
        }
        (best <= self.limit).then_some(best)
    }
}

fn grid_distance(proj: &Projection, a: LatLon, b: LatLon) -> f64 {
    proj.distance_m(a, b)
}

fn waypoint(at: LatLon) -> Waypoint {
    Waypoint { at, name: None }
}

/// Minutes with one decimal, for people (as in [`Journey::minutes`]).
pub fn minutes(secs: u32) -> f64 {
    (secs as f64 / 6.0).round() / 10.0
}
