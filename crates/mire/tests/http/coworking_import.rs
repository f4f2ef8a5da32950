//! `mire import coworkings FILE.csv`: the Comune di Milano's list of qualified coworking spaces,
//! imported all or nothing, placed by its coordinates, never duplicated on re-import.

use serde_json::Value;

use crate::common::*;

/// Writes `bytes` to a new file in the temporary folder and returns its path.
fn csv_file(name: &str, bytes: &[u8]) -> String {
    let mut rng = Rng::quiet();
    let path = std::env::temp_dir().join(format!("mire-import-{}-{name}", rng.suffix()));
    std::fs::write(&path, bytes).expect("write the CSV file");
    path.to_string_lossy().into_owned()
}

async fn spaces(server: &TestServer) -> Vec<Value> {
    server
        .api(None)
        .get("/api/v1/coworking/spaces")
        .await
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

fn named<'a>(items: &'a [Value], name: &str) -> &'a Value {
    items
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no space named {name:?} in {items:#?}"))
}

/// The open-data shape: `;`, decimal commas, a BOM, CRLF, Italian headers.
fn semicolon_file() -> Vec<u8> {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend_from_slice(
        "Denominazione;Indirizzo;Municipio;Latitudine;Longitudine;Sito web;Email;Telefono;Posti\r\n\
         Cowork Duomo Prova;Piazza del Duomo 1;1;45,4642;9,1900;www.duomo-prova.it;info@duomo-prova.it;02 1234567;20\r\n\
         \"Bicocca Lab; spazio condiviso\";Piazza dell'Ateneo Nuovo 1;9;45,5136;9,2110;;;;\r\n"
            .as_bytes(),
    );
    bytes
}

#[tokio::test]
async fn valid_files_are_imported_once_and_reimports_update() {
    let server = TestServer::start();
    let before = spaces(&server).await.len();
    let file = csv_file("semicolon.csv", &semicolon_file());

    // A dry run reports and writes nothing.
    let dry = server.mire(&["import", "coworkings", &file, "--dry-run"]);
    assert!(dry.success, "{dry}");
    assert!(dry.stdout.contains("2 space(s) would be imported"), "{dry}");
    assert!(dry.stdout.contains("Cowork Duomo Prova"), "{dry}");
    assert!(dry.stderr.contains("2/2"), "progress on stderr:\n{dry}");
    assert_eq!(
        spaces(&server).await.len(),
        before,
        "a dry run writes nothing"
    );

    let first = server.mire(&["import", "coworkings", &file]);
    assert!(first.success, "{first}");
    assert!(first.stdout.contains("2 created, 0 updated"), "{first}");
    let items = spaces(&server).await;
    assert_eq!(items.len(), before + 2, "{items:#?}");
    let duomo = named(&items, "Cowork Duomo Prova");
    assert_eq!(duomo["municipio"], 1, "{duomo}");
    assert_eq!(
        duomo["desk_seats"], 20,
        "one open desk with the seats: {duomo}"
    );
    let bicocca = named(&items, "Bicocca Lab; spazio condiviso");
    assert_eq!(bicocca["municipio"], 9, "{bicocca}");
    let detail = server
        .api(None)
        .get(&format!("/api/v1/coworking/spaces/{}", duomo["id"]))
        .await
        .expect(200);
    assert_eq!(
        detail["organization_name"],
        "Elenco coworking qualificati – Comune di Milano (importazione)",
        "{detail}"
    );
    assert_eq!(detail["website"], "https://www.duomo-prova.it", "{detail}");

    // The same file again: updated, not duplicated.
    let again = server.mire(&["import", "coworkings", &file]);
    assert!(again.success, "{again}");
    assert!(again.stdout.contains("0 created, 2 updated"), "{again}");
    assert_eq!(spaces(&server).await.len(), before + 2);

    // `,`, English headers in another order, a changed seat count and one new space.
    let comma = csv_file(
        "comma.csv",
        b"Seats,lon,lat,Name,Address,Phone\n\
          35,9.19,45.4642,Cowork Duomo Prova,Piazza del Duomo 1,\n\
          8,9.0880,45.4620,Baggio Desk,Via delle Forze Armate 1,+39 02 7654321\n",
    );
    let third = server.mire(&["import", "coworkings", &comma]);
    assert!(third.success, "{third}");
    assert!(third.stdout.contains("1 created, 1 updated"), "{third}");
    let items = spaces(&server).await;
    assert_eq!(items.len(), before + 3, "{items:#?}");
    assert_eq!(named(&items, "Cowork Duomo Prova")["desk_seats"], 35);
    assert_eq!(named(&items, "Baggio Desk")["nil_id"], 55);
}

#[tokio::test]
async fn a_file_with_errors_imports_nothing_and_names_every_error() {
    let server = TestServer::start();
    let before = spaces(&server).await.len();
    let file = csv_file(
        "errors.csv",
        "Nome;Indirizzo;Latitudine;Longitudine;Posti\n\
         Spazio Buono;Via Dante 1;45,4660;9,1860;10\n\
         Coordinate Rotte;Via Verdi 2;quarantacinque;9,19;5\n\
         A Roma;Via del Corso 1;41,9028;12,4964;5\n\
         ;Via Senza Nome 3;45,47;9,2;5\n\
         Posti Strani;Via Torino 4;45,46;9,18;molti\n"
            .as_bytes(),
    );
    for args in [
        vec!["import", "coworkings", file.as_str()],
        vec!["import", "coworkings", file.as_str(), "--dry-run"],
    ] {
        let out = server.mire(&args);
        assert!(!out.success, "a bad file must fail:\n{out}");
        for expected in [
            "row 3, column \"Latitudine\": \"quarantacinque\" is not a latitude",
            "row 4, column \"coordinates\": 41.9028, 12.4964 is outside the Comune di Milano",
            "row 5, column \"Nome\": the name is missing",
            "row 6, column \"Posti\": \"molti\" is not a whole number of seats",
            "nothing was imported",
        ] {
            assert!(
                out.stderr.contains(expected),
                "missing {expected:?}:\n{out}"
            );
        }
        assert!(!out.stderr.contains("row 2"), "row 2 is valid:\n{out}");
        assert_eq!(
            spaces(&server).await.len(),
            before,
            "not even the valid row is imported"
        );
    }
}

#[tokio::test]
async fn the_operator_must_exist_and_run_coworking() {
    let server = TestServer::start();
    let mut rng = Rng::quiet();
    let before = spaces(&server).await.len();
    let file = csv_file("operator.csv", &semicolon_file());

    let missing = server.mire(&["import", "coworkings", &file, "--operator", "999999"]);
    assert!(!missing.success, "{missing}");
    assert!(missing.stderr.contains("no organisation"), "{missing}");

    let firm = server
        .person()
        .api
        .create_organization(&organization_body(&mut rng, "company", DUOMO))
        .await;
    let firm_id = firm["id"].as_i64().unwrap().to_string();
    let wrong = server.mire(&["import", "coworkings", &file, "--operator", &firm_id]);
    assert!(!wrong.success, "{wrong}");
    assert!(wrong.stderr.contains("not a coworking_operator"), "{wrong}");
    assert_eq!(spaces(&server).await.len(), before);

    let operator = server
        .person()
        .api
        .create_organization(&organization_body(&mut rng, "coworking_operator", DUOMO))
        .await;
    let op_id = operator["id"].as_i64().unwrap();
    let out = server.mire(&[
        "import",
        "coworkings",
        &file,
        "--operator",
        &op_id.to_string(),
    ]);
    assert!(out.success, "{out}");
    let items = spaces(&server).await;
    assert_eq!(items.len(), before + 2);
    let detail = server
        .api(None)
        .get(&format!(
            "/api/v1/coworking/spaces/{}",
            named(&items, "Cowork Duomo Prova")["id"]
        ))
        .await
        .expect(200);
    assert_eq!(detail["organization_id"], op_id, "{detail}");
}

#[tokio::test]
async fn a_windows_1252_file_keeps_its_accented_names() {
    let server = TestServer::start();
    // As a spreadsheet on Italian Windows saves it: è is E8, à is E0, ù is F9; no BOM.
    let mut bytes = b"Denominazione;Indirizzo;Municipio;Latitudine;Longitudine;Posti\r\n".to_vec();
    bytes.extend_from_slice(
        b"Caff\xe8 Municipalit\xe0;Via Citt\xe0 di Castello 2;1;45,4642;9,1900;8\r\n",
    );
    bytes.extend_from_slice(b"Pi\xf9 Spazio;Corso Lodi 100;4;45,4390;9,2240;\r\n");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file is not UTF-8"
    );
    let file = csv_file("windows-1252.csv", &bytes);

    let out = server.mire(&["import", "coworkings", &file]);
    assert!(out.success, "{out}");
    assert!(
        out.stdout.contains("file read as Windows-1252"),
        "the command says how it read the file:\n{out}"
    );
    assert!(out.stdout.contains("2 created, 0 updated"), "{out}");
    let items = spaces(&server).await;
    let cafe = named(&items, "Caffè Municipalità");
    assert_eq!(cafe["address"], "Via Città di Castello 2", "{cafe}");
    assert_eq!(cafe["desk_seats"], 8, "{cafe}");
    named(&items, "Più Spazio");

    // The same list in UTF-8 is the same list: a re-import updates, it does not duplicate.
    // (These accented letters have the same numbers in Latin-1 and Unicode.)
    let utf8: String = bytes.iter().map(|&b| char::from(b)).collect();
    let again = server.mire(&[
        "import",
        "coworkings",
        &csv_file("utf-8.csv", utf8.as_bytes()),
    ]);
    assert!(again.success, "{again}");
    assert!(!again.stdout.contains("Windows-1252"), "{again}");
    assert!(again.stdout.contains("0 created, 2 updated"), "{again}");
}
