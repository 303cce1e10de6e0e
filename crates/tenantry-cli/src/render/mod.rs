//! What the commands print: tables for people, JSON for programs.

pub(crate) mod audit;
pub(crate) mod erasure;
pub(crate) mod findings;
pub(crate) mod migration;
pub(crate) mod relocation;
pub(crate) mod servers;
pub(crate) mod table;
pub(crate) mod tenants;

/// Prints `document` as one JSON document on standard output.
pub(crate) fn print_json(document: &impl serde::Serialize) {
    let text = serde_json::to_string_pretty(document).expect("serializable to JSON");
    println!("{text}");
}

/// A moment as RFC 3339, as every document and table prints it.
pub(crate) fn timestamp(at: time::OffsetDateTime) -> String {
    use time::format_description::well_known::Rfc3339;
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}
