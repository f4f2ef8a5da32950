//! MIRE's domain: the rules of the alliance, free of IO.
//!
//! Every value that comes from a user passes through a constructor here that either returns a
//! valid value or a [`FieldError`] naming the field and a message id the web layer translates.

pub mod accounts;
pub mod alliance;
pub mod coworking;
pub mod coworking_demand;
pub mod coworking_import;
pub mod proximity;
pub mod text;

use serde::Serialize;

/// Why a value given for a field was refused. `message` is a Fluent message id
/// (`error-required`, `error-too-long`, ...) so the page or API can speak the user's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: &'static str,
}

impl FieldError {
    pub const fn new(field: &'static str, message: &'static str) -> Self {
        Self { field, message }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// All the problems found in one submission, in field order, so a form can show them together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps the value when it is valid, records the error otherwise.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, field: &'static str, message: &'static str) {
        self.0.push(FieldError::new(field, message));
    }

    /// Adds the errors a form found before validation (a number typed wrong), each replacing
    /// whatever validation then said of the same field, so a field is reported once.
    pub fn overridden_by(mut self, form_errors: Invalid) -> Invalid {
        self.0
            .retain(|x| !form_errors.0.iter().any(|y| y.field == x.field));
        self.0.extend(form_errors.0);
        self
    }

    pub fn for_field(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.message)
    }
}

/// Declares a closed set of identifiers shared by CLI, API, database and templates, with one
/// spelling each (`"coworking_operator"`), parsed strictly.
#[macro_export]
macro_rules! identifiers {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $id:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $id)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $id),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($id => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("unknown value '{s}'; expected one of: {}", all.join(", "))
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_errors_replace_validation_errors_of_the_same_field() {
        let mut validation = Invalid::default();
        validation.push("name", "error-required");
        validation.push("seats", "error-required");
        let mut form = Invalid::default();
        form.push("seats", "error-number");
        let merged = validation.overridden_by(form);
        assert_eq!(merged.for_field("seats"), Some("error-number"));
        assert_eq!(merged.for_field("name"), Some("error-required"));
        assert_eq!(merged.0.len(), 2);
    }
}
