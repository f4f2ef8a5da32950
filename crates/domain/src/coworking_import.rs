//! Reading the Comune di Milano's list of qualified coworking spaces (CSV) into spaces to
//! import: tolerant of column order, header spelling (Italian/English, case, accents), `;` or
//! `,` separators, decimal commas, a UTF-8 BOM and CRLF, UTF-8 or Windows-1252 bytes
//! ([`decode`]); strict about every row's values.
//! Pure code: placing the coordinates in Milan is the caller's job (`mire_geo`).

use crate::alliance::NAME_MAX;
use crate::coworking::SEATS_MAX;

/// One valid row of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedSpace {
    /// The line of the file the row starts on (the header is line 1).
    pub row: usize,
    pub name: String,
    pub address: String,
    /// The Municipio the file states (informative: the space is placed by its coordinates).
    pub municipio: Option<u8>,
    pub lat: f64,
    pub lon: f64,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub seats: Option<i64>,
}

/// What is wrong with one cell (or row, or the whole file when `row` is 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    /// The column as named in the file's header ("" for the whole row or file).
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, self.column.is_empty()) {
            (0, _) => write!(f, "file: {}", self.message),
            (r, true) => write!(f, "row {r}: {}", self.message),
            (r, false) => write!(f, "row {r}, column \"{}\": {}", self.column, self.message),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Address,
    Municipio,
    Lat,
    Lon,
    Website,
    Email,
    Phone,
    Seats,
}

/// Lower case, accents removed, only letters and digits kept: "Sito Web" -> "sitoweb".
fn normalise_header(h: &str) -> String {
    h.chars()
        .flat_map(|c| c.to_lowercase())
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ä' => 'a',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            other => other,
        })
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn field_of(header: &str) -> Option<Field> {
    let h = normalise_header(header);
    Some(match h.as_str() {
        "denominazione"
        | "nome"
        | "name"
        | "nomecoworking"
        | "denominazionecoworking"
        | "ragionesociale"
        | "spazio" => Field::Name,
        "indirizzo" | "address" | "via" | "indirizzocompleto" => Field::Address,
        "municipio" | "mun" | "district" => Field::Municipio,
        "latitudine" | "latitude" | "lat" | "laty4326" | "y" => Field::Lat,
        "longitudine" | "longitude" | "lon" | "lng" | "long" | "longx4326" | "x" => Field::Lon,
        "sitoweb" | "sito" | "website" | "web" | "url" | "sitointernet" => Field::Website,
        "email" | "mail" | "posta" | "postaelettronica" | "indirizzoemail" => Field::Email,
        "telefono" | "tel" | "phone" | "telephone" | "recapitotelefonico" => Field::Phone,
        "posti" | "seats" | "postidisponibili" | "postazioni" | "numeroposti" | "capienza" => {
            Field::Seats
        }
        _ => return None,
    })
}

/// Splits CSV text into records of fields (quotes with doubled quotes inside, separators and
/// line breaks inside quotes). Returns each record with the line it starts on.
fn records(text: &str, sep: char) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
                any = true;
            }
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                out.push((start_line, std::mem::take(&mut record)));
                line += 1;
                start_line = line;
                any = false;
            }
            c if c == sep => {
                record.push(std::mem::take(&mut field));
                any = true;
            }
            c => {
                field.push(c);
                any = true;
            }
        }
    }
    if any || !field.is_empty() || !record.is_empty() {
        record.push(field);
        out.push((start_line, record));
    }
    // Blank lines are not rows.
    out.retain(|(_, r)| r.iter().any(|f| !f.trim().is_empty()));
    out
}

/// `;` or `,`: whichever appears more often outside quotes in the header line.
fn detect_separator(text: &str) -> char {
    let header = text.lines().next().unwrap_or("");
    let (mut semi, mut comma, mut quoted) = (0, 0, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => semi += 1,
            ',' if !quoted => comma += 1,
            _ => {}
        }
    }
    if semi >= comma && semi > 0 {
        ';'
    } else {
        ','
    }
}

/// A coordinate in degrees: a decimal point or an Italian decimal comma.
fn parse_degrees(raw: &str) -> Option<f64> {
    let s = raw.trim().replace(',', ".");
    if s.matches('.').count() > 1 {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn optional(raw: Option<&String>) -> Option<String> {
    raw.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The character encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Windows-1252 characters of bytes 0x80 to 0x9F; the other bytes are Latin-1, i.e. the code
/// point of the same number. The five bytes Windows leaves undefined map to the C1 controls,
/// as browsers decode them (WHATWG Encoding Standard).
const WINDOWS_1252_HIGH: [char; 32] = [
    '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}', '\u{8f}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}', '\u{178}',
];

/// Decodes a file's bytes: valid UTF-8 (with or without a BOM, which [`read`] skips) as it
/// is; anything else as Windows-1252, the encoding of spreadsheets saved on Italian Windows
/// and of many open-data exports. Every byte has a character in Windows-1252, so this never
/// fails; a file in yet another encoding shows as odd letters in the names, not as an error.
pub fn decode(bytes: &[u8]) -> (String, Encoding) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_owned(), Encoding::Utf8),
        Err(_) => (
            bytes.iter().map(|&b| windows_1252_char(b)).collect(),
            Encoding::Windows1252,
        ),
    }
}

fn windows_1252_char(byte: u8) -> char {
    match byte {
        0x80..=0x9f => WINDOWS_1252_HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// Reads the whole file and returns every valid space, or every error found (all rows are
/// checked, so one run lists all that must be fixed).
pub fn parse(text: &str) -> Result<Vec<ImportedSpace>, Vec<RowError>> {
    let (spaces, errors) = read(text);
    if errors.is_empty() {
        Ok(spaces)
    } else {
        Err(errors)
    }
}

/// Reads the whole file: the valid rows and the errors of the others (a file-level error, row
/// 0, means no row could be read).
pub fn read(text: &str) -> (Vec<ImportedSpace>, Vec<RowError>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let file_error = |m: &str| {
        vec![RowError {
            row: 0,
            column: String::new(),
            message: m.to_string(),
        }]
    };
    let sep = detect_separator(text);
    let mut rows = records(text, sep).into_iter();
    let Some((_, header)) = rows.next() else {
        return (Vec::new(), file_error("the file is empty"));
    };
    let mut columns: Vec<Option<Field>> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for h in &header {
        let f = field_of(h);
        if f.is_some() && columns.contains(&f) {
            return (
                Vec::new(),
                file_error(&format!(
                    "the column \"{}\" appears twice in the header",
                    h.trim()
                )),
            );
        }
        columns.push(f);
        names.push(h.trim().to_string());
    }
    let mut missing = Vec::new();
    for (f, label) in [
        (Field::Name, "name (Denominazione/Nome)"),
        (Field::Address, "address (Indirizzo)"),
        (Field::Lat, "latitude (Latitudine/LAT_Y_4326/lat)"),
        (Field::Lon, "longitude (Longitudine/LONG_X_4326/lon)"),
    ] {
        if !columns.contains(&Some(f)) {
            missing.push(label);
        }
    }
    if !missing.is_empty() {
        return (
            Vec::new(),
            file_error(&format!(
                "the header lacks the column(s): {}",
                missing.join(", ")
            )),
        );
    }
    let col_name = |f: Field| -> String {
        columns
            .iter()
            .position(|c| *c == Some(f))
            .map(|i| names[i].clone())
            .unwrap_or_default()
    };

    let mut spaces = Vec::new();
    let mut errors = Vec::new();
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for (row, record) in rows {
        let mut row_errors: Vec<RowError> = Vec::new();
        let mut err = |f: Field, message: String| {
            row_errors.push(RowError {
                row,
                column: col_name(f),
                message,
            })
        };
        if record.len() > header.len() {
            errors.push(RowError {
                row,
                column: String::new(),
                message: format!(
                    "it has {} values but the header has {} columns",
                    record.len(),
                    header.len()
                ),
            });
            continue;
        }
        let get = |f: Field| -> Option<&String> {
            columns
                .iter()
                .position(|c| *c == Some(f))
                .and_then(|i| record.get(i))
        };
        let name = optional(get(Field::Name)).unwrap_or_default();
        if name.is_empty() {
            err(Field::Name, "the name is missing".into());
        } else if name.chars().count() > NAME_MAX {
            err(
                Field::Name,
                format!("the name is longer than {NAME_MAX} characters"),
            );
        }
        let address = optional(get(Field::Address)).unwrap_or_default();
        if address.is_empty() {
            err(Field::Address, "the address is missing".into());
        } else if address.chars().count() > 300 {
            err(
                Field::Address,
                "the address is longer than 300 characters".into(),
            );
        }
        let mut coordinate = |f: Field, what: &str, limit: f64| -> Option<f64> {
            match optional(get(f)) {
                None => {
                    err(f, format!("the {what} is missing"));
                    None
                }
                Some(raw) => match parse_degrees(&raw) {
                    None => {
                        err(
                            f,
                            format!("\"{raw}\" is not a {what} in degrees (e.g. 45,4642)"),
                        );
                        None
                    }
                    Some(v) if v.abs() > limit => {
                        err(f, format!("{raw} is not a valid {what}"));
                        None
                    }
                    Some(v) => Some(v),
                },
            }
        };
        let lat = coordinate(Field::Lat, "latitude", 90.0);
        let lon = coordinate(Field::Lon, "longitude", 180.0);
        let municipio = match optional(get(Field::Municipio)) {
            None => None,
            Some(raw) => {
                // "5", "Municipio 5", "MUNICIPIO 5".
                let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
                match digits.parse::<u8>() {
                    Ok(m @ 1..=9) if raw.chars().any(|c| c.is_ascii_digit()) => Some(m),
                    _ => {
                        err(
                            Field::Municipio,
                            format!("\"{raw}\" is not a Municipio (1 to 9)"),
                        );
                        None
                    }
                }
            }
        };
        let email = optional(get(Field::Email));
        if let Some(e) = &email {
            let ok = e.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
            }) && !e.contains(char::is_whitespace)
                && e.matches('@').count() == 1;
            if !ok {
                err(Field::Email, format!("\"{e}\" is not an e-mail address"));
            }
        }
        let website = optional(get(Field::Website)).map(|w| {
            if w.starts_with("http://") || w.starts_with("https://") {
                w
            } else {
                format!("https://{w}")
            }
        });
        if let Some(w) = &website {
            if w.contains(char::is_whitespace) || !w.contains('.') {
                err(Field::Website, format!("\"{w}\" is not a web address"));
            }
        }
        let phone = optional(get(Field::Phone));
        if let Some(p) = &phone {
            let ok = p
                .chars()
                .all(|c| c.is_ascii_digit() || " +./-()".contains(c))
                && p.chars().filter(|c| c.is_ascii_digit()).count() >= 6;
            if !ok {
                err(Field::Phone, format!("\"{p}\" is not a telephone number"));
            }
        }
        let seats = match optional(get(Field::Seats)) {
            None => None,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=SEATS_MAX).contains(&n) => Some(n),
                Ok(n) => {
                    err(
                        Field::Seats,
                        format!("{n} seats: the number must be between 1 and {SEATS_MAX}"),
                    );
                    None
                }
                Err(_) => {
                    err(
                        Field::Seats,
                        format!("\"{raw}\" is not a whole number of seats"),
                    );
                    None
                }
            },
        };
        if !name.is_empty() && !address.is_empty() {
            let key = (name.to_lowercase(), address.to_lowercase());
            if let Some((_, _, first)) = seen.iter().find(|(n, a, _)| (n, a) == (&key.0, &key.1)) {
                row_errors.push(RowError {
                    row,
                    column: String::new(),
                    message: format!("the same space (name and address) is already in row {first}"),
                });
            } else {
                seen.push((key.0, key.1, row));
            }
        }
        if !row_errors.is_empty() {
            errors.extend(row_errors);
        } else if let (Some(lat), Some(lon)) = (lat, lon) {
            spaces.push(ImportedSpace {
                row,
                name,
                address,
                municipio,
                lat,
                lon,
                website,
                email,
                phone,
                seats,
            });
        }
    }
    (spaces, errors)
}

/// The number of data rows (for a progress bar before parsing).
pub fn count_rows(text: &str) -> usize {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    records(text, detect_separator(text))
        .len()
        .saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_read_as_it_is_with_or_without_bom() {
        let text = "Nome;Indirizzo\nCaffè Municipalità;Via Brera 1\n";
        assert_eq!(decode(text.as_bytes()), (text.to_owned(), Encoding::Utf8));
        let with_bom = format!("\u{feff}{text}");
        let (decoded, encoding) = decode(with_bom.as_bytes());
        assert_eq!(encoding, Encoding::Utf8);
        assert_eq!(read(&decoded).0, read(text).0);
    }

    #[test]
    fn other_bytes_are_read_as_windows_1252() {
        // "Caffè Municipalità – 20 €" as Windows-1252 writes it: è E8, à E0, en dash 96,
        // euro 80; plus the rest of Latin-1 and every byte of the 0x80-0x9F block.
        let bytes = b"Caff\xe8 Municipalit\xe0 \x96 20 \x80";
        assert_eq!(
            decode(bytes),
            (
                "Caffè Municipalità – 20 €".to_owned(),
                Encoding::Windows1252
            )
        );
        let (all, _) = decode(&(0x80..=0xffu8).collect::<Vec<u8>>());
        let chars: Vec<char> = all.chars().collect();
        assert_eq!(chars.len(), 128, "one character per byte");
        assert_eq!(chars[0x92 - 0x80], '\u{2019}', "right single quote");
        assert_eq!(chars[0x9f - 0x80], 'Ÿ');
        assert_eq!(chars[0xa0 - 0x80], '\u{a0}', "Latin-1 from 0xA0 on");
        assert_eq!(chars[0xff - 0x80], 'ÿ');
    }

    #[test]
    fn a_windows_1252_list_imports_its_accented_names() {
        let mut bytes = b"Denominazione;Indirizzo;Latitudine;Longitudine;Posti\r\n".to_vec();
        bytes.extend_from_slice(b"Caff\xe8 Municipalit\xe0;Via Citt\xe0 1;45,4642;9,19;10\r\n");
        let (text, encoding) = decode(&bytes);
        assert_eq!(encoding, Encoding::Windows1252);
        let spaces = parse(&text).expect("a valid file");
        assert_eq!(spaces[0].name, "Caffè Municipalità");
        assert_eq!(spaces[0].address, "Via Città 1");
    }

    #[test]
    fn semicolon_decimal_commas_bom_crlf() {
        let text = "\u{feff}Denominazione;Indirizzo;Municipio;Latitudine;Longitudine;Sito web;Email;Telefono;Posti\r\n\
                    Spazio Uno;Via Roma 1;1;45,4642;9,19;www.uno.it;info@uno.it;02 1234567;20\r\n\
                    \"Due; e tre\";\"Corso \"\"Buenos\"\" Aires 5\";Municipio 3;45,47;9,21;;;;\r\n";
        let s = parse(text).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "Spazio Uno");
        assert_eq!(s[0].row, 2);
        assert!((s[0].lat - 45.4642).abs() < 1e-9);
        assert_eq!(s[0].website.as_deref(), Some("https://www.uno.it"));
        assert_eq!(s[0].seats, Some(20));
        assert_eq!(s[0].municipio, Some(1));
        assert_eq!(s[1].name, "Due; e tre");
        assert_eq!(s[1].address, "Corso \"Buenos\" Aires 5");
        assert_eq!(s[1].municipio, Some(3));
        assert_eq!(s[1].seats, None);
        assert_eq!(s[1].email, None);
    }

    #[test]
    fn comma_reordered_english_headers() {
        let text = "lon,LAT,Seats,ADDRESS,Name,E-mail,Phone,Website\n\
                    9.19,45.46,5,Via Verdi 2,Hub,a@b.it,+39 02 111222,https://hub.it\n";
        let s = parse(text).unwrap();
        assert_eq!(s[0].name, "Hub");
        assert!((s[0].lon - 9.19).abs() < 1e-9);
        assert_eq!(s[0].seats, Some(5));
        assert_eq!(s[0].email.as_deref(), Some("a@b.it"));
        assert_eq!(s[0].website.as_deref(), Some("https://hub.it"));
    }

    #[test]
    fn open_data_header_names_and_accents() {
        let text =
            "NOME;INDIRIZZO;MUNICIPIO;LONG_X_4326;LAT_Y_4326;SITO WEB;POSTI DISPONIBILI;Città\n\
                    X;Via A 1;2;9,2;45,48;;3;Milano\n";
        let s = parse(text).unwrap();
        assert!((s[0].lat - 45.48).abs() < 1e-9);
        assert!((s[0].lon - 9.2).abs() < 1e-9);
        assert_eq!(s[0].seats, Some(3));
        assert_eq!(normalise_header("Località É"), "localitae");
        assert_eq!(field_of("Sito Web"), Some(Field::Website));
        assert_eq!(field_of("Denominazione"), Some(Field::Name));
    }

    #[test]
    fn blank_lines_are_skipped_and_rows_counted() {
        let text = "Nome;Indirizzo;lat;lon\n\nA;Via 1;45,46;9,19\n;;;\n";
        let s = parse(text).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].row, 3, "rows are numbered by their line in the file");
        assert_eq!(count_rows(text), 1);
    }

    fn errors(text: &str) -> Vec<String> {
        parse(text)
            .unwrap_err()
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn every_bad_row_is_reported_with_row_and_column() {
        let text =
            "Nome;Indirizzo;Municipio;Latitudine;Longitudine;Email;Telefono;Posti;Sito web\n\
                    ;Via 1;1;45,46;9,19;;;;\n\
                    B;;1;abc;9,19;;;;\n\
                    C;Via 3;12;45,46;;;;;\n\
                    D;Via 4;1;45,46;9,19;nope;;-2;\n\
                    E;Via 5;1;45,46;9,19;;ciao;tre;bad site\n\
                    F;Via 6;1;145,46;9,1,9;;;;\n\
                    G;Via 7;1;45,46;9,19;;;;\n\
                    g;VIA 7;1;45,46;9,19;;;;\n";
        let e = errors(text);
        let expect = [
            "row 2, column \"Nome\": the name is missing",
            "row 3, column \"Indirizzo\": the address is missing",
            "row 3, column \"Latitudine\": \"abc\" is not a latitude in degrees (e.g. 45,4642)",
            "row 4, column \"Longitudine\": the longitude is missing",
            "row 4, column \"Municipio\": \"12\" is not a Municipio (1 to 9)",
            "row 5, column \"Email\": \"nope\" is not an e-mail address",
            "row 5, column \"Posti\": -2 seats: the number must be between 1 and 1000",
            "row 6, column \"Telefono\": \"ciao\" is not a telephone number",
            "row 6, column \"Posti\": \"tre\" is not a whole number of seats",
            "row 6, column \"Sito web\": \"https://bad site\" is not a web address",
            "row 7, column \"Latitudine\": 145,46 is not a valid latitude",
            "row 7, column \"Longitudine\": \"9,1,9\" is not a longitude in degrees (e.g. 45,4642)",
            "row 9: the same space (name and address) is already in row 8",
        ];
        for x in expect {
            assert!(e.contains(&x.to_string()), "missing {x:?} in {e:#?}");
        }
        assert_eq!(e.len(), expect.len(), "{e:#?}");
    }

    #[test]
    fn file_level_errors() {
        assert_eq!(errors(""), ["file: the file is empty"]);
        assert_eq!(errors("\u{feff}"), ["file: the file is empty"]);
        let e = errors("Nome;Telefono\nA;02 123456\n");
        assert!(e[0].contains("lacks the column(s): address"), "{e:?}");
        assert!(e[0].contains("latitude"), "{e:?}");
        let e = errors("Nome;Denominazione;Indirizzo;lat;lon\n");
        assert!(e[0].contains("appears twice"), "{e:?}");
        let e = errors("Nome;Indirizzo;lat;lon\nA;Via 1;45,4;9,1;extra\n");
        assert_eq!(e, ["row 2: it has 5 values but the header has 4 columns"]);
    }

    #[test]
    fn header_only_is_an_empty_import() {
        assert_eq!(parse("Nome;Indirizzo;lat;lon\r\n").unwrap(), vec![]);
    }
}
