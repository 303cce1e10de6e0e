//! An erasure's proof as `tenantry tenants erase` and `erasure-report`
//! print it.

use serde::Serialize;
use tenantry_ops::{ErasureCheck, ErasureRecord};
use time::format_description::well_known::Rfc3339;

use super::table::Table;

/// The proof in the JSON output.
#[derive(Debug, Serialize)]
struct ReportLine<'a> {
    tenant: String,
    slug: &'a str,
    placement: &'a str,
    servers: &'a [String],
    checks: Vec<CheckLine<'a>>,
    actor: &'a str,
    reason: &'a str,
    reference: Option<&'a str>,
    /// RFC 3339.
    erased_at: String,
    /// SHA-256, lower-case hex.
    digest: &'a str,
    /// Whether the digest matches the fields.
    intact: bool,
}

/// One check in the JSON output.
#[derive(Debug, Serialize)]
struct CheckLine<'a> {
    server: &'a str,
    database: &'a str,
    object: &'a str,
    remaining: i64,
}

impl<'a> CheckLine<'a> {
    fn of(check: &'a ErasureCheck) -> Self {
        CheckLine {
            server: &check.server,
            database: &check.database,
            object: &check.object,
            remaining: check.remaining,
        }
    }
}

fn erased_at(record: &ErasureRecord) -> String {
    record
        .erased_at
        .format(&Rfc3339)
        .unwrap_or_else(|_| record.erased_at.to_string())
}

/// Prints `record`: a JSON object, or its fields then a table of checks.
pub(crate) fn print(record: &ErasureRecord, json: bool) {
    if json {
        super::print_json(&ReportLine {
            tenant: record.tenant.to_string(),
            slug: &record.slug,
            placement: &record.placement,
            servers: &record.servers,
            checks: record.checks.iter().map(CheckLine::of).collect(),
            actor: &record.actor,
            reason: &record.reason,
            reference: record.reference.as_deref(),
            erased_at: erased_at(record),
            digest: &record.digest,
            intact: record.is_intact(),
        });
    } else {
        print!("{}", text(record));
    }
}

/// The record's fields, then one row per check.
fn text(record: &ErasureRecord) -> String {
    let mut out = format!(
        "tenant      {}\nslug        {}\nplacement   {}\nservers     {}\nerased_at   {}\nactor       {}\nreason      {}\nreference   {}\ndigest      {} ({})\n\n",
        record.tenant,
        record.slug,
        record.placement,
        record.servers.join(", "),
        erased_at(record),
        record.actor,
        record.reason,
        record.reference.as_deref().unwrap_or("-"),
        record.digest,
        if record.is_intact() {
            "intact"
        } else {
            "DOES NOT MATCH"
        },
    );
    let mut table = Table::new(&["server", "database", "checked", "remaining"]);
    for check in &record.checks {
        table.row(vec![
            check.server.clone(),
            check.database.clone(),
            check.object.clone(),
            check.remaining.to_string(),
        ]);
    }
    out.push_str(&table.render());
    out.push('\n');
    out
}
