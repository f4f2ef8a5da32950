//! Free text typed by people: trimmed, bounded, never empty where required.

use crate::FieldError;

/// Trims `raw` and checks it holds between 1 and `max` characters.
pub fn required(field: &'static str, raw: &str, max: usize) -> Result<String, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, "error-required"));
    }
    bounded(field, v, max)
}

/// Trims `raw`; empty becomes `None`, longer than `max` characters is refused.
pub fn optional(field: &'static str, raw: &str, max: usize) -> Result<Option<String>, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    bounded(field, v, max).map(Some)
}

fn bounded(field: &'static str, v: &str, max: usize) -> Result<String, FieldError> {
    // Control characters (other than newlines and tabs in long text) have no place in a name
    // or an address and make logs and CSV exports misbehave.
    if v.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(field, "error-control-chars"));
    }
    if v.chars().count() > max {
        return Err(FieldError::new(field, "error-too-long"));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(required("name", "  Coop  ", 10).unwrap(), "Coop");
        assert_eq!(
            required("name", "   ", 10).unwrap_err().message,
            "error-required"
        );
        assert_eq!(
            required("name", &"x".repeat(11), 10).unwrap_err().message,
            "error-too-long"
        );
        assert_eq!(required("name", "àèìòù", 5).unwrap(), "àèìòù");
        assert_eq!(optional("site", "", 10).unwrap(), None);
        assert_eq!(
            required("name", "a\u{0}b", 10).unwrap_err().message,
            "error-control-chars"
        );
    }
}
