//! `mire import coworkings FILE.csv`: the Comune di Milano's list of qualified coworking spaces.
//! Reads and checks every row (parsing in `mire_domain::coworking_import`, places with
//! `mire_geo`), then writes all of them in one transaction, or nothing.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use mire_domain::coworking_import::{self, Encoding, ImportedSpace, RowError};
use mire_geo::territory::Territory;
use mire_geo::LatLon;
use mire_web::Config;

/// A valid row with its place (nil_id, municipio).
type Placed = (ImportedSpace, (i64, i64));

pub async fn run(
    config: &Config,
    file: &Path,
    dry_run: bool,
    operator: Option<i64>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (text, encoding) = coworking_import::decode(&bytes);
    if encoding != Encoding::Utf8 {
        // Said up front: a file in an unexpected encoding shows as odd letters in the names.
        println!(
            "{} is not UTF-8: file read as {}",
            file.display(),
            encoding.name()
        );
    }
    let (spaces, mut errors) = coworking_import::read(&text);
    let (rows, place_errors) = place(&spaces, coworking_import::count_rows(&text));
    errors.extend(place_errors);
    errors.sort_by_key(|e| e.row);
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("error: {e}");
        }
        let bad: std::collections::BTreeSet<usize> = errors.iter().map(|e| e.row).collect();
        bail!(
            "{} error(s) in {} row(s) of {}: nothing was imported",
            errors.len(),
            bad.len(),
            file.display()
        );
    }

    let db = crate::open(config).await?;
    let result = write(&db, &rows, dry_run, operator).await;
    db.close().await;
    result
}

/// Places each valid row in its NIL and Municipio, showing progress on stderr.
fn place(spaces: &[ImportedSpace], total: usize) -> (Vec<Placed>, Vec<RowError>) {
    let milan = Territory::milan();
    let mut rows = Vec::with_capacity(spaces.len());
    let mut errors = Vec::new();
    let mut stderr = std::io::stderr();
    for (i, s) in spaces.iter().enumerate() {
        match milan.locate(LatLon::new(s.lat, s.lon)) {
            Some(p) => rows.push((s.clone(), (i64::from(p.nil_id), i64::from(p.municipio)))),
            None => errors.push(RowError {
                row: s.row,
                column: "coordinates".into(),
                message: format!(
                    "{}, {} is outside the Comune di Milano (latitude, longitude)",
                    s.lat, s.lon
                ),
            }),
        }
        let _ = write!(
            stderr,
            "\rchecking rows: {}/{}",
            i + 1,
            spaces.len().max(total)
        );
    }
    let _ = writeln!(
        stderr,
        "\rchecking rows: {}/{} read",
        total.max(spaces.len()),
        total.max(spaces.len())
    );
    (rows, errors)
}

async fn write(
    db: &mire_store::Db,
    rows: &[Placed],
    dry_run: bool,
    operator: Option<i64>,
) -> anyhow::Result<()> {
    if let Some(id) = operator {
        let org = match db.organization(id).await {
            Ok(o) => o,
            Err(mire_store::StoreError::NotFound) => {
                bail!("--operator {id}: no organisation has this id; nothing was imported")
            }
            Err(e) => return Err(e.into()),
        };
        if org.kind != "coworking_operator" {
            bail!(
                "--operator {id}: \"{}\" is a {}, not a coworking_operator; nothing was imported",
                org.name,
                org.kind
            );
        }
    }
    if dry_run {
        println!(
            "dry run: {} space(s) would be imported (created or updated); nothing was written",
            rows.len()
        );
        for (s, (nil, municipio)) in rows {
            println!(
                "  row {}: {} – {} (Municipio {municipio}, NIL {nil}){}",
                s.row,
                s.name,
                s.address,
                s.seats.map(|n| format!(", {n} seats")).unwrap_or_default()
            );
        }
        return Ok(());
    }
    eprint!("writing {} space(s) in one transaction...", rows.len());
    let summary = db
        .import_spaces(operator, rows)
        .await
        .context("the import failed; nothing was written")?;
    eprintln!(" done");
    println!(
        "imported {} space(s) for organisation {}: {} created, {} updated, {} open-desk resource(s) added",
        rows.len(),
        summary.operator_id,
        summary.created,
        summary.updated,
        summary.resources_created
    );
    Ok(())
}
