//! What `tenantry verify` found, per database.

use std::collections::BTreeSet;

use serde::Serialize;
use tenantry_ops::verify::{DatabaseFindings, DatabaseKind, Finding, VerifyReport};

/// The JSON document.
#[derive(Debug, Serialize)]
struct Document {
    clean: bool,
    findings: usize,
    databases: Vec<DatabaseDocument>,
}

/// One audited database.
#[derive(Debug, Serialize)]
struct DatabaseDocument {
    server: String,
    database: String,
    /// `server` (its own database), `template` or `tenant`.
    kind: &'static str,
    /// The tenant whose database it is.
    tenant: Option<String>,
    findings: Vec<FindingDocument>,
}

/// One finding: where, and the message.
#[derive(Debug, Serialize)]
struct FindingDocument {
    /// `None` for a role.
    schema: Option<String>,
    object: String,
    message: String,
}

impl From<&DatabaseFindings> for DatabaseDocument {
    fn from(database: &DatabaseFindings) -> Self {
        let (kind, tenant) = match database.kind {
            DatabaseKind::Server => ("server", None),
            DatabaseKind::Template => ("template", None),
            DatabaseKind::Tenant(id) => ("tenant", Some(id.to_string())),
        };
        Self {
            server: database.server.clone(),
            database: database.database.clone(),
            kind,
            tenant,
            findings: database
                .findings
                .iter()
                .map(FindingDocument::from)
                .collect(),
        }
    }
}

impl From<&Finding> for FindingDocument {
    fn from(finding: &Finding) -> Self {
        Self {
            schema: finding.schema().map(str::to_owned),
            object: finding.object().to_owned(),
            message: finding.to_string(),
        }
    }
}

/// Prints the report as one JSON document.
pub(crate) fn print_json(report: &VerifyReport) {
    super::print_json(&Document {
        clean: report.is_clean(),
        findings: report.count(),
        databases: report
            .databases
            .iter()
            .map(DatabaseDocument::from)
            .collect(),
    });
}

/// One line per finding, prefixed with its server and database, then a
/// total (the message names the schema and the object).
pub(crate) fn text(report: &VerifyReport) -> String {
    let mut out = String::new();
    for database in &report.databases {
        for finding in &database.findings {
            out.push_str(&format!(
                "{}/{}: {finding}\n",
                database.server, database.database
            ));
        }
    }
    let servers: BTreeSet<&str> = report
        .databases
        .iter()
        .map(|database| database.server.as_str())
        .collect();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    out.push_str(&format!(
        "{} in {} on {}\n",
        plural(report.count(), "finding"),
        plural(report.databases.len(), "database"),
        plural(servers.len(), "server")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_finding_is_one_line_naming_its_server_and_database() {
        let report = VerifyReport {
            databases: vec![
                DatabaseFindings {
                    server: "main".to_owned(),
                    database: "saas".to_owned(),
                    kind: DatabaseKind::Server,
                    findings: vec![Finding::RowSecurityNotForced {
                        schema: "public".to_owned(),
                        table: "notes".to_owned(),
                    }],
                },
                DatabaseFindings {
                    server: "eu-1".to_owned(),
                    database: "saas".to_owned(),
                    kind: DatabaseKind::Server,
                    findings: Vec::new(),
                },
            ],
        };
        assert_eq!(
            text(&report),
            "main/saas: public.notes does not force row-level security, so its owner bypasses the policies: run `ALTER TABLE public.notes FORCE ROW LEVEL SECURITY`\n1 finding in 2 databases on 2 servers\n"
        );
    }
}
