//! How a request names its tenant: by id, or by a slug that the
//! application's [`Directory`](crate::Directory) maps to an id.

use std::fmt;

use tenantry_query::TenantId;

/// The most characters a slug may have.
const MAX_SLUG: usize = 63;

/// A tenant as a token, a key, a header, a host or a path names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TenantName {
    /// Its id, a UUID.
    Id(TenantId),
    /// A slug: lower-case ASCII letters, digits, `_` and `-`.
    Slug(String),
}

impl TenantName {
    /// The name `text` gives: a UUID in its hyphenated form is an id,
    /// anything else a slug, which must be 1 to 63 lower-case letters,
    /// digits, `_` or `-`; `None` for text that is neither. The other forms
    /// of a UUID are not ids: 32 digits without hyphens is a slug the
    /// registry accepts, which some tenant may have chosen.
    ///
    /// ```
    /// use tenantry_axum::TenantName;
    ///
    /// assert!(matches!(TenantName::parse("acme"), Some(TenantName::Slug(_))));
    /// assert!(matches!(
    ///     TenantName::parse("5f1c4b1e-8a3e-4a0b-9c55-0d0c3a7b7e01"),
    ///     Some(TenantName::Id(_))
    /// ));
    /// assert_eq!(TenantName::parse("ACME; drop"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(id) = TenantId::in_name(text) {
            return Some(TenantName::Id(id));
        }
        let slug_like = !text.is_empty()
            && text.len() <= MAX_SLUG
            && text.bytes().all(|byte| {
                byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_' || byte == b'-'
            });
        slug_like.then(|| TenantName::Slug(text.to_owned()))
    }
}

impl fmt::Display for TenantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TenantName::Id(id) => write!(f, "{id}"),
            TenantName::Slug(slug) => f.write_str(slug),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "deadbeef-0000-4000-8000-00000000002a";

    #[test]
    fn only_the_hyphenated_form_is_an_id() {
        let id: TenantId = ID.parse().unwrap();
        assert_eq!(TenantName::parse(ID), Some(TenantName::Id(id)));
        assert_eq!(
            TenantName::parse(&ID.to_ascii_uppercase()),
            Some(TenantName::Id(id))
        );
        // The simple form is a slug the registry accepts (a letter, then
        // letters and digits): a tenant may have chosen it, and it must not
        // name the tenant whose id it spells.
        let simple = ID.replace('-', "");
        assert_eq!(
            TenantName::parse(&simple),
            Some(TenantName::Slug(simple.clone()))
        );
        let long_slug = "a".repeat(ID.len());
        assert_eq!(
            TenantName::parse(&long_slug),
            Some(TenantName::Slug(long_slug.clone()))
        );
        for other in [format!("{{{ID}}}"), format!("urn:uuid:{ID}")] {
            assert_eq!(TenantName::parse(&other), None, "{other}");
        }
    }
}
