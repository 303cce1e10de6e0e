//! The audit log as `tenantry audit list` and `verify` print it.

use serde::Serialize;
use tenantry_ops::audit::{AuditEntry, AuditVerification};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::table::Table;

/// One row of the log in the JSON output.
#[derive(Debug, Serialize)]
struct EntryLine<'a> {
    id: i64,
    tenant: String,
    actor: &'a str,
    reason: &'a str,
    ticket: Option<&'a str>,
    /// RFC 3339.
    accessed_at: String,
    /// RFC 3339.
    expires_at: String,
    recorded_by: &'a str,
    hash: &'a str,
}

/// The chain's check in the JSON output.
#[derive(Debug, Serialize)]
struct VerificationLine {
    intact: bool,
    rows_checked: u64,
    /// The first broken link: the row's id and what is wrong.
    broken_row: Option<i64>,
    problem: Option<String>,
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// Prints `entries`: a JSON array, or a table.
pub(crate) fn print_entries(entries: &[AuditEntry], json: bool) {
    if json {
        let lines: Vec<EntryLine> = entries
            .iter()
            .map(|entry| EntryLine {
                id: entry.id,
                tenant: entry.tenant.to_string(),
                actor: &entry.actor,
                reason: &entry.reason,
                ticket: entry.ticket.as_deref(),
                accessed_at: rfc3339(entry.accessed_at),
                expires_at: rfc3339(entry.expires_at),
                recorded_by: &entry.recorded_by,
                hash: &entry.hash,
            })
            .collect();
        super::print_json(&lines);
        return;
    }
    if entries.is_empty() {
        println!("no recorded access");
        return;
    }
    let mut table = Table::new(&["ID", "ACCESSED AT", "ACTOR", "TICKET", "REASON"]);
    for entry in entries {
        table.row(vec![
            entry.id.to_string(),
            rfc3339(entry.accessed_at),
            entry.actor.clone(),
            entry.ticket.clone().unwrap_or_else(|| "-".to_owned()),
            entry.reason.clone(),
        ]);
    }
    print!("{}", table.render());
}

/// Prints what checking the chain found: a JSON object, or one line.
pub(crate) fn print_verification(verification: &AuditVerification, json: bool) {
    if json {
        super::print_json(&VerificationLine {
            intact: verification.is_intact(),
            rows_checked: verification.intact,
            broken_row: verification.broken.as_ref().map(|broken| broken.id),
            problem: verification.broken.as_ref().map(ToString::to_string),
        });
        return;
    }
    match &verification.broken {
        None => println!(
            "audit log intact: {} rows, each chained to the one before",
            verification.intact
        ),
        Some(broken) => println!(
            "audit log broken after {} intact rows: {broken}",
            verification.intact
        ),
    }
}
