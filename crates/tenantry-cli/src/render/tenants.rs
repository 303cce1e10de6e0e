//! The registry as `tenantry tenants list` prints it.

use serde::Serialize;
use tenantry_postgres::{LimitOverrides, MigrationFailure, Placement, StatusChange, TenantRecord};

use super::relocation::RelocationLine;
use super::table::Table;
use super::timestamp;
use tenantry_ops::RelocationRecord;

/// One tenant in the JSON output.
#[derive(Debug, Serialize)]
struct TenantLine<'a> {
    id: String,
    slug: &'a str,
    /// `pool`, `schema` or `database`.
    placement: &'static str,
    /// The tenant's own schema, for the schema placement.
    schema: Option<&'a str>,
    /// The tenant's own database, for the database placement.
    database: Option<&'a str>,
    server: &'a str,
    plan: &'a str,
    /// The limits of its own, above its tier's (milliseconds for durations).
    limits: &'a LimitOverrides,
    status: &'static str,
    /// RFC 3339.
    created_at: String,
    /// RFC 3339.
    updated_at: String,
    /// The highest tenant migration its tables have applied, as recorded.
    schema_version: Option<i64>,
    /// The last migration run's failure on its tables.
    migration_failure: Option<FailureLine<'a>>,
    /// The last suspension, resumption or erasure: who, when, why.
    last_change: Option<ChangeLine<'a>>,
}

/// A tenant's last status change in the JSON output.
#[derive(Debug, Serialize)]
struct ChangeLine<'a> {
    status: &'static str,
    actor: &'a str,
    reason: &'a str,
    reference: Option<&'a str>,
    /// RFC 3339.
    at: String,
}

impl<'a> ChangeLine<'a> {
    fn of(change: &'a StatusChange) -> Self {
        ChangeLine {
            status: change.status.as_str(),
            actor: &change.actor,
            reason: &change.reason,
            reference: change.reference.as_deref(),
            at: timestamp(change.at),
        }
    }
}

/// A status change in one cell: `suspended by alice at <when>: <why> (<reference>)`.
fn change_cell(change: &StatusChange) -> String {
    let reference = change
        .reference
        .as_ref()
        .map_or_else(String::new, |reference| format!(" ({reference})"));
    format!(
        "{} by {} at {}: {}{reference}",
        change.status,
        change.actor,
        timestamp(change.at),
        change.reason
    )
}

/// A tenant's last migration failure in the JSON output.
#[derive(Debug, Serialize)]
struct FailureLine<'a> {
    version: i64,
    error: &'a str,
    /// RFC 3339.
    at: String,
}

impl<'a> FailureLine<'a> {
    fn of(failure: &'a MigrationFailure) -> Self {
        FailureLine {
            version: failure.version,
            error: &failure.error,
            at: timestamp(failure.at),
        }
    }
}

impl<'a> TenantLine<'a> {
    fn of(tenant: &'a TenantRecord) -> Self {
        let (schema, database) = match &tenant.placement {
            Placement::Pool => (None, None),
            Placement::Schema(schema) => (Some(schema.as_str()), None),
            Placement::Database(database) => (None, Some(database.as_str())),
        };
        TenantLine {
            id: tenant.id.to_string(),
            slug: &tenant.slug,
            placement: tenant.placement.kind(),
            schema,
            database,
            server: &tenant.server,
            plan: &tenant.plan,
            limits: &tenant.limits,
            status: tenant.status.as_str(),
            created_at: timestamp(tenant.created_at),
            updated_at: timestamp(tenant.updated_at),
            schema_version: tenant.schema_version,
            migration_failure: tenant.migration_failure.as_ref().map(FailureLine::of),
            last_change: tenant.last_change.as_ref().map(ChangeLine::of),
        }
    }
}

/// Prints one tenant: a JSON object, or one `field: value` line each.
pub(crate) fn print_one(tenant: &TenantRecord, json: bool) {
    if json {
        super::print_json(&TenantLine::of(tenant));
    } else {
        print!("{}", details(tenant));
    }
}

/// One tenant with its last relocation, as `tenants show` prints it.
#[derive(Debug, Serialize)]
struct ShownLine<'a> {
    #[serde(flatten)]
    tenant: TenantLine<'a>,
    /// Its last relocation, if it was ever relocated.
    relocation: Option<RelocationLine>,
}

/// Prints one tenant and where its last relocation stands: a JSON object,
/// or one `field: value` line each.
pub(crate) fn print_shown(
    tenant: &TenantRecord,
    relocation: Option<&RelocationRecord>,
    json: bool,
) {
    if json {
        super::print_json(&ShownLine {
            tenant: TenantLine::of(tenant),
            relocation: relocation.map(RelocationLine::of),
        });
    } else {
        let moved = relocation.map_or_else(|| "-".to_owned(), super::relocation::summary);
        println!("{}{:<12} {moved}", details(tenant), "relocation");
    }
}

/// One tenant, one `field: value` line each.
fn details(tenant: &TenantRecord) -> String {
    let or_none = |value: Option<String>| value.unwrap_or_else(|| "-".to_owned());
    let lines = [
        ("id", tenant.id.to_string()),
        ("slug", tenant.slug.clone()),
        ("placement", tenant.placement.to_string()),
        ("server", tenant.server.clone()),
        ("plan", tenant.plan.clone()),
        ("limits", limits_cell(&tenant.limits)),
        ("status", tenant.status.to_string()),
        ("created_at", timestamp(tenant.created_at)),
        ("updated_at", timestamp(tenant.updated_at)),
        (
            "version",
            or_none(tenant.schema_version.map(|version| version.to_string())),
        ),
        (
            "last change",
            or_none(tenant.last_change.as_ref().map(change_cell)),
        ),
    ];
    lines
        .iter()
        .map(|(field, value)| format!("{field:<12} {value}\n"))
        .collect()
}

/// A tenant's own limits in one cell: as stored, or `-` for none.
fn limits_cell(limits: &LimitOverrides) -> String {
    if limits.is_empty() {
        return "-".to_owned();
    }
    serde_json::to_string(limits).unwrap_or_else(|error| error.to_string())
}

/// Prints every tenant as a JSON array.
pub(crate) fn print_json(tenants: &[TenantRecord]) {
    let lines: Vec<TenantLine<'_>> = tenants.iter().map(TenantLine::of).collect();
    super::print_json(&lines);
}

/// The registry as a table, then the number of tenants. The last columns
/// are the last migration run's failure on the tenant's tables and its last
/// status change, if any.
pub(crate) fn table(tenants: &[TenantRecord]) -> String {
    let mut table = Table::new(&[
        "id",
        "slug",
        "placement",
        "server",
        "plan",
        "status",
        "created_at",
        "version",
        "migration",
        "last change",
    ]);
    for tenant in tenants {
        table.row(vec![
            tenant.id.to_string(),
            tenant.slug.clone(),
            tenant.placement.to_string(),
            tenant.server.clone(),
            tenant.plan.clone(),
            tenant.status.to_string(),
            timestamp(tenant.created_at),
            tenant
                .schema_version
                .map_or_else(|| "-".to_owned(), |version| version.to_string()),
            tenant.migration_failure.as_ref().map_or_else(
                || "-".to_owned(),
                |failure| {
                    format!(
                        "failed at {} ({}): {}",
                        failure.version,
                        timestamp(failure.at),
                        failure.error
                    )
                },
            ),
            tenant
                .last_change
                .as_ref()
                .map_or_else(|| "-".to_owned(), change_cell),
        ]);
    }
    let mut out = String::new();
    if !table.is_empty() {
        out.push_str(&table.render());
        out.push('\n');
    }
    let plural = if tenants.len() == 1 { "" } else { "s" };
    out.push_str(&format!("{} tenant{plural}\n", tenants.len()));
    out
}
