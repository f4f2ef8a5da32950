//! People and what they may do: e-mail addresses, passwords, roles.

use crate::{identifiers, FieldError};

identifiers! {
    /// What a person does on the platform. Organisation roles (`worker`, `company`,
    /// `coworking_operator`, `welfare_provider`, `partner`) are held in an organisation;
    /// `coordinator` and `evaluator` are held in an alliance.
    Role {
        Worker = "worker",
        Company = "company",
        CoworkingOperator = "coworking_operator",
        WelfareProvider = "welfare_provider",
        Partner = "partner",
        Coordinator = "coordinator",
        Evaluator = "evaluator",
    }
}

impl Role {
    /// True for the roles that belong to an alliance's staff rather than to an organisation.
    pub fn is_alliance_role(self) -> bool {
        matches!(self, Role::Coordinator | Role::Evaluator)
    }
}

pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 10;
/// argon2 works on any length, but a cap keeps a hostile 10 MB password from costing seconds.
pub const PASSWORD_MAX: usize = 200;
pub const DISPLAY_NAME_MAX: usize = 120;

/// An e-mail address, lower-cased so that one person has one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let v = raw.trim().to_lowercase();
        if v.is_empty() {
            return Err(FieldError::new("email", "error-required"));
        }
        if v.len() > EMAIL_MAX {
            return Err(FieldError::new("email", "error-too-long"));
        }
        let valid = match v.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !v.contains(|c: char| {
                        c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c)
                    })
                    && !domain.contains('@')
            }
            None => false,
        };
        if valid {
            Ok(Self(v))
        } else {
            Err(FieldError::new("email", "error-email"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a new password against the policy: long enough, not absurdly long, not all one
/// character. Length beats composition rules (NIST SP 800-63B).
pub fn check_new_password(field: &'static str, raw: &str) -> Result<(), FieldError> {
    let n = raw.chars().count();
    if n < PASSWORD_MIN {
        return Err(FieldError::new(field, "error-password-short"));
    }
    if n > PASSWORD_MAX {
        return Err(FieldError::new(field, "error-too-long"));
    }
    let first = raw.chars().next();
    if raw.chars().all(|c| Some(c) == first) {
        return Err(FieldError::new(field, "error-password-weak"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Anna@Example.IT ").unwrap().as_str(),
            "anna@example.it"
        );
        for bad in [
            "", "anna", "anna@", "@x.it", "a@b", "a b@c.it", "a@b@c.it", "<a>@b.it", "a@.it",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(check_new_password("password", "short").is_err());
        assert!(check_new_password("password", "aaaaaaaaaaaa").is_err());
        assert!(check_new_password("password", "correct horse battery").is_ok());
        assert!(check_new_password("password", &"ab".repeat(101)).is_err());
    }

    #[test]
    fn role_identifiers_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Role::parse("admin"), None);
        assert!(Role::Coordinator.is_alliance_role());
        assert!(!Role::Company.is_alliance_role());
    }
}
