//! The alliance (Alleanza di Conciliazione): organisations, their membership and its rules.

use crate::{identifiers, text, FieldError, Invalid};

identifiers! {
    /// What kind of body an organisation is.
    OrgKind {
        Company = "company",
        CoworkingOperator = "coworking_operator",
        WelfareProvider = "welfare_provider",
        PublicBody = "public_body",
        Cooperative = "cooperative",
        Association = "association",
        Other = "other",
    }
}

identifiers! {
    /// EU size class (Recommendation 2003/361/EC): micro < 10 staff, small < 50,
    /// medium < 250, large otherwise. MPMI = micro, small and medium.
    SizeClass {
        Micro = "micro",
        Small = "small",
        Medium = "medium",
        Large = "large",
    }
}

identifiers! {
    /// The place of a member in the alliance (capofila = lead partner).
    MemberRole {
        LeadPartner = "lead_partner",
        Partner = "partner",
        Member = "member",
    }
}

identifiers! {
    /// Where a request to join the alliance stands.
    RequestStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
}

pub const NAME_MAX: usize = 200;
pub const SECTOR_MAX: usize = 120;
pub const ADDRESS_MAX: usize = 300;
pub const MESSAGE_MAX: usize = 2000;
pub const REASON_MAX: usize = 2000;

/// An Italian tax identifier of an organisation: the 11-digit codice fiscale / partita IVA of
/// a legal person, or the 16-character codice fiscale of a sole trader. Both carry a check
/// character, verified here so that typos are caught at the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxCode(String);

impl TaxCode {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let v: String = raw.trim().to_uppercase();
        let v = v
            .strip_prefix("IT")
            .filter(|r| r.len() == 11)
            .unwrap_or(&v)
            .to_owned();
        if v.is_empty() {
            return Err(FieldError::new("tax_code", "error-required"));
        }
        let ok = match v.len() {
            11 => vat_number_is_valid(&v),
            16 => personal_code_is_valid(&v),
            _ => false,
        };
        if ok {
            Ok(Self(v))
        } else {
            Err(FieldError::new("tax_code", "error-tax-code"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Partita IVA check digit: a Luhn variant over the first ten digits.
fn vat_number_is_valid(v: &str) -> bool {
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let d: Vec<u32> = v.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = (0..10)
        .map(|i| {
            if i % 2 == 0 {
                d[i]
            } else {
                let x = d[i] * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            }
        })
        .sum();
    (10 - sum % 10) % 10 == d[10]
}

/// Codice fiscale of a person (DM 23/12/1976): the 16th character is a check letter computed
/// from the others with the odd/even position tables. Letters replacing digits (omocodia) are
/// accepted where digits are expected.
fn personal_code_is_valid(v: &str) -> bool {
    const ODD: [u32; 26] = [
        1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24,
        23,
    ];
    let b = v.as_bytes();
    let shape_ok = b.iter().enumerate().all(|(i, c)| match i {
        0..=5 | 8 | 11 | 15 => c.is_ascii_uppercase(),
        _ => c.is_ascii_digit() || b"LMNPQRSTUV".contains(c),
    });
    if !shape_ok {
        return false;
    }
    // Digits and letters share a 0-25 index: '0'..'9' as 0..9, 'A'..'Z' as 0..25.
    let index = |c: u8| -> u32 {
        if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A')
        }
    };
    let sum: u32 = b[..15]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if i % 2 == 0 {
                ODD[index(c) as usize]
            } else {
                index(c)
            }
        })
        .sum();
    b[15] == b'A' + (sum % 26) as u8
}

/// A latitude/longitude pair as typed or sent, checked for range only; whether it lies in
/// the alliance's territory is the geography's business.
pub fn coordinates(lat: Option<f64>, lon: Option<f64>, errors: &mut Invalid) -> Option<(f64, f64)> {
    match (lat, lon) {
        (Some(lat), Some(lon))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
        {
            Some((lat, lon))
        }
        (None, None) => None,
        _ => {
            errors.push("lat", "error-coordinates");
            None
        }
    }
}

/// A new organisation as submitted, before it is stored.
#[derive(Debug, Clone)]
pub struct NewOrganization {
    pub name: String,
    pub kind: OrgKind,
    pub tax_code: TaxCode,
    pub size_class: Option<SizeClass>,
    pub sector: Option<String>,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// Raw fields of an organisation form or API body, all as text so nothing typed is lost.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OrganizationInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub tax_code: String,
    #[serde(default)]
    pub size_class: String,
    #[serde(default)]
    pub sector: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
}

impl OrganizationInput {
    /// Validates every field and reports all problems at once.
    pub fn validate(&self) -> Result<NewOrganization, Invalid> {
        let mut errors = Invalid::default();
        let name = errors.check(text::required("name", &self.name, NAME_MAX));
        let kind = errors
            .check(OrgKind::parse(self.kind.trim()).ok_or(FieldError::new("kind", "error-choice")));
        let tax_code = errors.check(TaxCode::parse(&self.tax_code));
        let size_class = match self.size_class.trim() {
            "" => None,
            s => errors
                .check(SizeClass::parse(s).ok_or(FieldError::new("size_class", "error-choice"))),
        };
        if kind == Some(OrgKind::Company)
            && size_class.is_none()
            && !errors.0.iter().any(|e| e.field == "size_class")
        {
            errors.push("size_class", "error-required");
        }
        let sector = errors
            .check(text::optional("sector", &self.sector, SECTOR_MAX))
            .flatten();
        let address = errors.check(text::required("address", &self.address, ADDRESS_MAX));
        let coords = coordinates(self.lat, self.lon, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewOrganization {
            name: name.unwrap_or_default(),
            kind: kind.unwrap_or(OrgKind::Other),
            tax_code: tax_code.expect("checked above"),
            size_class,
            sector,
            address: address.unwrap_or_default(),
            lat: coords.map(|c| c.0),
            lon: coords.map(|c| c.1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vat_numbers() {
        // Comune di Milano's own codice fiscale / partita IVA.
        assert!(TaxCode::parse("01199250158").is_ok());
        assert!(TaxCode::parse("IT01199250158").is_ok());
        assert_eq!(
            TaxCode::parse("01199250159").unwrap_err().message,
            "error-tax-code"
        );
        assert!(TaxCode::parse("0119925015").is_err());
        assert!(TaxCode::parse("0119925015A").is_err());
    }

    #[test]
    fn personal_codes() {
        assert!(TaxCode::parse("RSSMRA85T10A562S").is_ok());
        assert!(TaxCode::parse("rssmra85t10a562s").is_ok());
        assert!(TaxCode::parse("RSSMRA85T10A562T").is_err());
        assert!(TaxCode::parse("RSSMRA85T10A56'S").is_err());
        assert!(TaxCode::parse("'; DROP TABLE x;").is_err());
    }

    #[test]
    fn organisation_reports_every_problem() {
        let input = OrganizationInput {
            kind: "company".into(),
            tax_code: "123".into(),
            ..Default::default()
        };
        let fields: Vec<&str> = input
            .validate()
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "tax_code", "size_class", "address"]);
        let ok = OrganizationInput {
            name: "Bottega Srl".into(),
            kind: "company".into(),
            tax_code: "01199250158".into(),
            size_class: "micro".into(),
            address: "Via Dante 1, Milano".into(),
            lat: Some(45.46),
            lon: Some(9.18),
            ..Default::default()
        };
        assert_eq!(ok.validate().unwrap().kind, OrgKind::Company);
        let far = OrganizationInput {
            lat: Some(123.0),
            ..ok
        };
        assert_eq!(
            far.validate().unwrap_err().0[0].message,
            "error-coordinates"
        );
    }
}
