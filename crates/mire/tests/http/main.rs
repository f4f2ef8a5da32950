//! HTTP integration tests: the real `mire` binary, started per test on a database of its own
//! (SQLite by default; PostgreSQL when `MIRE_TEST_DATABASE` is set, as `cargo xtask test`
//! does), driven over HTTP as an API client or a browser would.

#[path = "../common/mod.rs"]
mod common;

mod authorization;
mod cli;
mod coworking;
mod coworking_accessibility;
mod coworking_demand;
mod coworking_import;
mod coworking_pages;
mod coworking_race;
mod coworking_travel;
mod health;
mod hostile_input;
mod mail;
mod membership;
mod pages;
mod proximity;
mod rate_limit;
mod time_regained;
mod tokens;
