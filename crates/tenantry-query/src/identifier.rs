//! Validated SQL identifiers for the names tenantry generates (schemas, databases).

use std::fmt;
use std::sync::Arc;

use crate::Error;

/// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1).
const MAX_LEN: usize = 63;

/// A schema or database name that is safe to put in SQL.
///
/// Only lower-case ASCII letters, digits and `_`, starting with a letter or `_`,
/// at most 63 bytes, and not starting with `pg_` (reserved by PostgreSQL).
/// Anything else is an [`Error::InvalidIdentifier`], never SQL. Cloning is cheap.
///
/// ```
/// # use tenantry_query::Identifier;
/// assert!(Identifier::new("tenant_acme").is_ok());
/// assert!(Identifier::new("acme\"; DROP TABLE invoices; --").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identifier(Arc<str>);

impl Identifier {
    /// Validates `name` as an identifier.
    pub fn new(name: &str) -> Result<Self, Error> {
        let reason = if name.is_empty() {
            Some("it is empty")
        } else if name.len() > MAX_LEN {
            Some("it is longer than 63 bytes")
        } else if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            Some("only lower-case ASCII letters, digits and '_' are allowed")
        } else if name.as_bytes()[0].is_ascii_digit() {
            Some("it starts with a digit")
        } else if name.starts_with("pg_") {
            Some("names starting with 'pg_' are reserved by PostgreSQL")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(Error::InvalidIdentifier {
                name: name.to_owned(),
                reason,
            }),
            None => Ok(Self(Arc::from(name))),
        }
    }

    /// The name, unquoted.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name quoted for SQL (`"name"`); safe because of the validation.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}
