//! The report of `tenantry migrate`: a summary table, or one JSON document.

use serde::Serialize;
use tenantry_ops::migrate::{AppliedMigration, MigrationReport, Outcome, TargetReport};

use super::table::Table;

/// Above this many targets, current ones are counted rather than listed.
const LISTED_IN_FULL: usize = 20;

/// How many targets ended each way.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Counts {
    /// Every target.
    pub(crate) targets: usize,
    /// Nothing was pending.
    pub(crate) current: usize,
    /// Migrations are pending (dry run).
    pub(crate) pending: usize,
    /// Migrations were applied now.
    pub(crate) applied: usize,
    /// A migration failed.
    pub(crate) failed: usize,
    /// An applied migration was changed since (an error too).
    pub(crate) changed: usize,
    /// Applied versions the set does not have (a warning).
    pub(crate) unknown: usize,
}

impl Counts {
    pub(crate) fn of(report: &MigrationReport) -> Self {
        let mut counts = Counts {
            targets: report.targets.len(),
            ..Counts::default()
        };
        for line in &report.targets {
            match line.outcome {
                Outcome::Current => counts.current += 1,
                Outcome::Pending(_) => counts.pending += 1,
                Outcome::Applied(_) => counts.applied += 1,
                Outcome::Failed { .. } => counts.failed += 1,
                Outcome::Changed(_) => counts.changed += 1,
            }
        }
        counts.unknown = report.warnings().count();
        counts
    }
}

/// The JSON document.
#[derive(Debug, Serialize)]
struct Document<'a> {
    dry_run: bool,
    success: bool,
    counts: Counts,
    targets: Vec<TargetLine<'a>>,
}

/// One target in the JSON document.
#[derive(Debug, Serialize)]
struct TargetLine<'a> {
    set: &'static str,
    server: &'a str,
    /// `null` for the server's own database.
    database: Option<&'a str>,
    schema: &'a str,
    tenant: Option<String>,
    /// `current`, `pending`, `applied`, `failed` or `changed`.
    outcome: &'static str,
    /// Pending or applied versions (for a failure, those applied before it).
    versions: &'a [i64],
    /// The version that failed, or the applied one that changed.
    failed_version: Option<i64>,
    /// Why it failed.
    error: Option<String>,
    /// Applied versions the set does not have.
    unknown: Vec<UnknownLine<'a>>,
    /// The highest version the target has applied after the run.
    schema_version: Option<i64>,
}

/// An applied version the set does not have, in the JSON document.
#[derive(Debug, Serialize)]
struct UnknownLine<'a> {
    version: i64,
    name: &'a str,
}

impl<'a> UnknownLine<'a> {
    fn of(migration: &'a AppliedMigration) -> Self {
        UnknownLine {
            version: migration.version,
            name: &migration.name,
        }
    }
}

impl<'a> TargetLine<'a> {
    fn of(line: &'a TargetReport) -> Self {
        let (outcome, versions, failed_version, error): (_, &[i64], _, _) = match &line.outcome {
            Outcome::Current => ("current", &[], None, None),
            Outcome::Pending(versions) => ("pending", versions, None, None),
            Outcome::Applied(versions) => ("applied", versions, None, None),
            Outcome::Failed {
                version,
                applied,
                error,
            } => ("failed", applied, Some(*version), Some(error.clone())),
            Outcome::Changed(migration) => (
                "changed",
                &[],
                Some(migration.version),
                Some(line.outcome.to_string()),
            ),
        };
        let target = &line.target;
        TargetLine {
            set: target.set.as_str(),
            server: &target.server,
            database: target.database.as_ref().map(|database| database.as_str()),
            schema: target.schema.as_str(),
            tenant: target.tenant.map(|tenant| tenant.to_string()),
            outcome,
            versions,
            failed_version,
            error,
            unknown: line.unknown.iter().map(UnknownLine::of).collect(),
            schema_version: line.schema_version,
        }
    }
}

/// Prints the report as JSON: every target, and the counts.
pub(crate) fn print_json(report: &MigrationReport, dry_run: bool) {
    super::print_json(&Document {
        dry_run,
        success: report.is_success(),
        counts: Counts::of(report),
        targets: report.targets.iter().map(TargetLine::of).collect(),
    });
}

/// The summary for people: a table of the targets (failures first, and in a
/// large run only the targets that are not current), then the counts.
pub(crate) fn summary(report: &MigrationReport, dry_run: bool) -> String {
    let counts = Counts::of(report);
    let list_current = report.targets.len() <= LISTED_IN_FULL;
    let mut table = Table::new(&["set", "server", "database", "schema", "tenant", "outcome"]);
    let failed_first = report
        .failures()
        .chain(report.targets.iter().filter(|line| {
            !line.outcome.is_error()
                && (list_current || line.outcome != Outcome::Current || !line.unknown.is_empty())
        }));
    for line in failed_first {
        let target = &line.target;
        table.row(vec![
            target.set.as_str().to_owned(),
            target.server.clone(),
            target
                .database
                .as_ref()
                .map_or_else(|| "-".to_owned(), ToString::to_string),
            target.schema.to_string(),
            target
                .tenant
                .map_or_else(|| "-".to_owned(), |tenant| tenant.to_string()),
            line.outcome.to_string(),
        ]);
    }
    let mut out = String::new();
    if !table.is_empty() {
        out.push_str(&table.render());
        out.push('\n');
    }
    if !list_current && counts.current > 0 {
        out.push_str(&format!("{} current targets not listed.\n", counts.current));
    }
    let mode = if dry_run { " (dry run)" } else { "" };
    out.push_str(&format!(
        "{} targets{mode}: {} applied, {} pending, {} current, {} failed, {} changed\n",
        counts.targets,
        counts.applied,
        counts.pending,
        counts.current,
        counts.failed,
        counts.changed
    ));
    if counts.unknown > 0 {
        out.push_str(&format!(
            "Targets with applied migrations this set does not have: {} (see the warnings).\n",
            counts.unknown
        ));
    }
    out
}

/// What `line` has applied that the set does not have, for a warning.
pub(crate) fn unknown(line: &TargetReport) -> String {
    let migrations: Vec<String> = line.unknown.iter().map(ToString::to_string).collect();
    format!(
        "applied migrations not in this set: {}",
        migrations.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use tenantry_ops::migrate::{SetKind, Target};
    use tenantry_query::Identifier;

    use super::*;

    fn line(schema: &str, outcome: Outcome) -> TargetReport {
        TargetReport {
            target: Target {
                set: SetKind::Tenant,
                server: "main".to_owned(),
                database: None,
                schema: Identifier::new(schema).unwrap(),
                tenant: None,
            },
            outcome,
            unknown: Vec::new(),
            schema_version: None,
        }
    }

    fn report(current: usize) -> MigrationReport {
        let mut targets = vec![
            line("public", Outcome::Applied(vec![1, 2])),
            line(
                "tenant_b",
                Outcome::Failed {
                    version: 2,
                    applied: vec![1],
                    error: "syntax error".to_owned(),
                },
            ),
        ];
        targets.extend((0..current).map(|n| line(&format!("tenant_c{n}"), Outcome::Current)));
        MigrationReport { targets }
    }

    #[test]
    fn a_small_run_lists_every_target_failures_first() {
        let summary = summary(&report(1), false);
        let lines: Vec<&str> = summary.lines().collect();
        assert!(lines[0].starts_with("set "), "{summary}");
        assert!(lines[2].contains("tenant_b") && lines[2].ends_with("failed at 2: syntax error"));
        assert!(lines[3].contains("public") && lines[3].ends_with("applied 1, 2"));
        assert!(lines[4].contains("tenant_c0") && lines[4].ends_with("current"));
        assert_eq!(
            lines.last().unwrap(),
            &"3 targets: 1 applied, 0 pending, 1 current, 1 failed, 0 changed"
        );
    }

    #[test]
    fn a_large_run_counts_current_targets_instead_of_listing_them() {
        let summary = summary(&report(30), true);
        assert!(!summary.contains("tenant_c"), "{summary}");
        assert!(summary.contains("tenant_b") && summary.contains("public"));
        assert!(summary.contains("30 current targets not listed."));
        assert!(summary.ends_with(
            "32 targets (dry run): 1 applied, 0 pending, 30 current, 1 failed, 0 changed\n"
        ));
    }

    #[test]
    fn counts_separate_pending_from_applied() {
        let mut report = report(2);
        report
            .targets
            .push(line("tenant_p", Outcome::Pending(vec![3])));
        let counts = Counts::of(&report);
        assert_eq!(
            (
                counts.targets,
                counts.current,
                counts.pending,
                counts.applied,
                counts.failed
            ),
            (5, 2, 1, 1, 1)
        );
    }

    #[test]
    fn a_changed_migration_is_listed_with_failures_and_unknown_ones_are_warned_about() {
        let mut report = report(30);
        let changed = AppliedMigration {
            version: 1,
            name: "create_customers".to_owned(),
        };
        report
            .targets
            .push(line("tenant_x", Outcome::Changed(changed)));
        let mut ahead = line("tenant_y", Outcome::Current);
        ahead.unknown = vec![AppliedMigration {
            version: 4,
            name: "add_vip".to_owned(),
        }];
        report.targets.push(ahead);
        let summary = summary(&report, false);
        let lines: Vec<&str> = summary.lines().collect();
        assert!(
            lines[3].contains("tenant_x")
                && lines[3]
                    .ends_with("migration 1 (create_customers) changed after it was applied"),
            "{summary}"
        );
        assert!(summary.contains("tenant_y"), "{summary}");
        assert!(summary.contains(
            "34 targets: 1 applied, 0 pending, 31 current, 1 failed, 1 changed\n\
             Targets with applied migrations this set does not have: 1 (see the warnings).\n"
        ));
        assert_eq!(
            unknown(&report.targets[33]),
            "applied migrations not in this set: 4 (add_vip)"
        );
    }
}
