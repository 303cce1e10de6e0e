//! An audit of the database catalog for what would let one tenant reach
//! another's rows in the shared pool: the check to run in CI.
//!
//! A table is tenant-scoped when it has the tenant column. For each one in the
//! given schemas, [`verify`] reports row-level security that is off or not
//! forced, missing policy clauses, a missing index led by the tenant column,
//! foreign keys and unique constraints that ignore the tenant column; and for
//! each application role, one that does not exist or that row-level security
//! does not restrict.
//!
//! ```no_run
//! # async fn audit(client: &tokio_postgres::Client) -> Result<(), tenantry_postgres::Error> {
//! use tenantry_postgres::verify::{VerifyOptions, verify};
//!
//! let options = VerifyOptions {
//!     app_roles: vec!["app".to_owned()],
//!     ..VerifyOptions::default()
//! };
//! let findings = verify(client, &options).await?;
//! for finding in &findings {
//!     eprintln!("{finding}");
//! }
//! assert!(findings.is_empty(), "tenant isolation has {} problems", findings.len());
//! # Ok(())
//! # }
//! ```

mod catalog;

use std::collections::HashMap;
use std::fmt;

use tokio_postgres::types::Oid;

use crate::Error;
use catalog::{Catalog, Policy, Role};

/// What [`verify`] checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    /// The schemas holding tenant-scoped tables (default: `public`).
    pub schemas: Vec<String>,
    /// The column that makes a table tenant-scoped (default: `tenant_id`).
    pub tenant_column: String,
    /// The roles the application connects as (default: none). Each must exist
    /// and be restricted by row-level security, and the policies must apply
    /// to each; with none given, only policies for `PUBLIC` count.
    pub app_roles: Vec<String>,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            schemas: vec!["public".to_owned()],
            tenant_column: "tenant_id".to_owned(),
            app_roles: Vec::new(),
        }
    }
}

/// A statement kind a row-level security policy covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyCommand {
    /// `SELECT` (and the rows `UPDATE`, `DELETE` and `RETURNING` read).
    Select,
    /// `INSERT`.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
}

impl PolicyCommand {
    /// The commands whose policies need a `USING` clause (which rows are seen).
    const USING: [PolicyCommand; 3] = [Self::Select, Self::Update, Self::Delete];
    /// The commands whose policies need a `WITH CHECK` clause (which rows may be written).
    const WITH_CHECK: [PolicyCommand; 2] = [Self::Insert, Self::Update];

    /// Whether a policy with `pg_policy.polcmd` `code` covers this command.
    fn covered_by(self, code: &str) -> bool {
        match code {
            "*" => true,
            "r" => self == Self::Select,
            "a" => self == Self::Insert,
            "w" => self == Self::Update,
            "d" => self == Self::Delete,
            _ => false,
        }
    }
}

impl fmt::Display for PolicyCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Select => "SELECT",
            Self::Insert => "INSERT",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        })
    }
}

/// One problem [`verify`] found. Its [`Display`](fmt::Display) is a one-line
/// message saying what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Finding {
    /// Row-level security is not enabled on a tenant-scoped table, so every
    /// tenant's rows are visible to every tenant.
    RowSecurityDisabled {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
    },
    /// Row-level security is enabled but not forced, so the table's owner
    /// (often the role migrations and the application both use) bypasses it.
    RowSecurityNotForced {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
    },
    /// No permissive policy that applies to the application roles has a
    /// `USING` clause for these commands: which rows they see is not
    /// restricted to the tenant (with no such policy at all, they see none).
    MissingUsing {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
        /// The commands left without one, in `SELECT`, `INSERT`, `UPDATE`,
        /// `DELETE` order.
        commands: Vec<PolicyCommand>,
    },
    /// No permissive policy that applies to the application roles has an
    /// explicit `WITH CHECK` clause for these commands, so which rows they
    /// may write is not stated (PostgreSQL falls back on `USING` for `ALL`
    /// and `UPDATE` policies, or refuses every write when there is none).
    MissingWithCheck {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
        /// The commands left without one, in `SELECT`, `INSERT`, `UPDATE`,
        /// `DELETE` order.
        commands: Vec<PolicyCommand>,
    },
    /// No valid, non-partial index has the tenant column first, so every
    /// tenant-filtered query reads the whole table.
    NoTenantIndex {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
        /// The tenant column.
        tenant_column: String,
    },
    /// A foreign key between tenant-scoped tables does not pair the tenant
    /// column of both sides. Referential checks bypass row-level security, so
    /// a row of one tenant could point at another tenant's row (and learn
    /// that it exists).
    ForeignKeyWithoutTenant {
        /// The referencing table's schema.
        schema: String,
        /// The referencing table.
        table: String,
        /// The foreign key constraint.
        constraint: String,
        /// The referenced table's schema.
        referenced_schema: String,
        /// The referenced table.
        referenced_table: String,
        /// The tenant column.
        tenant_column: String,
    },
    /// A unique constraint, primary key or unique index of a tenant-scoped
    /// table does not include the tenant column among its key columns, so
    /// uniqueness spans tenants: a conflicting write tells one tenant that
    /// another has the value.
    UniqueWithoutTenant {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
        /// The constraint, or the index when no constraint backs it.
        constraint: String,
        /// The tenant column.
        tenant_column: String,
    },
    /// A view reads tenant-scoped tables with its owner's rights (it is not
    /// `security_invoker`), so row-level security is checked against the
    /// owner, who may bypass it; or a materialized view stores every
    /// tenant's rows of them, which row-level security does not protect.
    ViewBypassesRowSecurity {
        /// The view's schema.
        schema: String,
        /// The view.
        view: String,
        /// Whether it is a materialized view.
        materialized: bool,
    },
    /// An application role does not exist.
    RoleMissing {
        /// The role.
        role: String,
    },
    /// An application role is a superuser, so row-level security does not
    /// apply to it.
    SuperuserRole {
        /// The role.
        role: String,
    },
    /// An application role has `BYPASSRLS`, so row-level security does not
    /// apply to it.
    BypassRlsRole {
        /// The role.
        role: String,
    },
}

impl Finding {
    /// Orders findings by table (roles last), then by check.
    fn sort_key(&self) -> (u8, &str, &str, u8) {
        match self {
            Self::RowSecurityDisabled { schema, table } => (0, schema, table, 0),
            Self::RowSecurityNotForced { schema, table } => (0, schema, table, 1),
            Self::MissingUsing { schema, table, .. } => (0, schema, table, 2),
            Self::MissingWithCheck { schema, table, .. } => (0, schema, table, 3),
            Self::NoTenantIndex { schema, table, .. } => (0, schema, table, 4),
            Self::ForeignKeyWithoutTenant { schema, table, .. } => (0, schema, table, 5),
            Self::UniqueWithoutTenant { schema, table, .. } => (0, schema, table, 6),
            Self::ViewBypassesRowSecurity { schema, view, .. } => (0, schema, view, 7),
            Self::RoleMissing { role } => (1, role, "", 0),
            Self::SuperuserRole { role } => (1, role, "", 1),
            Self::BypassRlsRole { role } => (1, role, "", 2),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RowSecurityDisabled { schema, table } => {
                let table = qualified(schema, table);
                write!(
                    f,
                    "{table} is tenant-scoped but row-level security is not enabled, so every tenant sees every row: run `ALTER TABLE {table} ENABLE ROW LEVEL SECURITY` (tenantry's isolate_table enables, forces and adds the policy)"
                )
            }
            Self::RowSecurityNotForced { schema, table } => {
                let table = qualified(schema, table);
                write!(
                    f,
                    "{table} does not force row-level security, so its owner bypasses the policies: run `ALTER TABLE {table} FORCE ROW LEVEL SECURITY`"
                )
            }
            Self::MissingUsing {
                schema,
                table,
                commands,
            } => write!(
                f,
                "{} has no permissive policy with a USING clause for {} that applies to the application roles: create one for ALL comparing the tenant column with current_setting('{}') in USING and WITH CHECK (tenantry's isolate_table does)",
                qualified(schema, table),
                list(commands),
                crate::TENANT_SETTING,
            ),
            Self::MissingWithCheck {
                schema,
                table,
                commands,
            } => write!(
                f,
                "{} has no permissive policy with a WITH CHECK clause for {} that applies to the application roles, so which rows they may write is not stated: add WITH CHECK comparing the tenant column with current_setting('{}') (tenantry's isolate_table does)",
                qualified(schema, table),
                list(commands),
                crate::TENANT_SETTING,
            ),
            Self::NoTenantIndex {
                schema,
                table,
                tenant_column,
            } => {
                let column = identifier(tenant_column);
                write!(
                    f,
                    "{table} has no index led by {column}, so every tenant's queries scan the whole table: lead its primary key with it, e.g. PRIMARY KEY ({column}, id), or run `CREATE INDEX ON {table} ({column})`",
                    table = qualified(schema, table),
                )
            }
            Self::ForeignKeyWithoutTenant {
                schema,
                table,
                constraint,
                referenced_schema,
                referenced_table,
                tenant_column,
            } => {
                let column = identifier(tenant_column);
                write!(
                    f,
                    "foreign key {} of {} references {} without pairing {column} on both sides, and referential checks bypass row-level security, so a row can point at another tenant's row: reference ({column}, ...) to ({column}, ...)",
                    identifier(constraint),
                    qualified(schema, table),
                    qualified(referenced_schema, referenced_table),
                )
            }
            Self::UniqueWithoutTenant {
                schema,
                table,
                constraint,
                tenant_column,
            } => {
                let column = identifier(tenant_column);
                write!(
                    f,
                    "unique key {} of {} does not include {column}, so a conflicting write reveals another tenant's value: make it unique per tenant by adding {column} to its columns",
                    identifier(constraint),
                    qualified(schema, table),
                )
            }
            Self::ViewBypassesRowSecurity {
                schema,
                view,
                materialized: false,
            } => {
                let view = qualified(schema, view);
                write!(
                    f,
                    "view {view} reads tenant-scoped tables with its owner's rights, so row-level security is checked against the owner, not the tenant: run `ALTER VIEW {view} SET (security_invoker = true)`"
                )
            }
            Self::ViewBypassesRowSecurity {
                schema,
                view,
                materialized: true,
            } => write!(
                f,
                "materialized view {} stores every tenant's rows of tenant-scoped tables, which row-level security does not protect: drop it, or keep it from the application roles",
                qualified(schema, view)
            ),
            Self::RoleMissing { role } => write!(
                f,
                "application role {} does not exist: create it (LOGIN NOSUPERUSER NOBYPASSRLS) or correct the name",
                identifier(role)
            ),
            Self::SuperuserRole { role } => {
                let role = identifier(role);
                write!(
                    f,
                    "application role {role} is a superuser, so row-level security does not apply to it: run `ALTER ROLE {role} NOSUPERUSER` or connect as an ordinary role"
                )
            }
            Self::BypassRlsRole { role } => {
                let role = identifier(role);
                write!(
                    f,
                    "application role {role} has BYPASSRLS, so row-level security does not apply to it: run `ALTER ROLE {role} NOBYPASSRLS`"
                )
            }
        }
    }
}

/// Audits the catalog of the database `client` is connected to: for every
/// tenant-scoped table of `options.schemas` (one with a column named
/// `options.tenant_column`) and every role of `options.app_roles`, the
/// problems found, sorted by table (then by check), role findings last. An
/// empty list means the checks pass.
///
/// Reads `pg_class`, `pg_attribute`, `pg_policy`, `pg_index`,
/// `pg_constraint`, `pg_rewrite`, `pg_depend` and `pg_roles` with six
/// queries, whatever the number of tables; any role can run it. The checks,
/// per table:
///
/// * row-level security enabled ([`Finding::RowSecurityDisabled`]) and forced
///   ([`Finding::RowSecurityNotForced`]);
/// * permissive policies applying to the application roles (through `PUBLIC`
///   or a role whose privileges each one has) that together give a `USING`
///   clause for `SELECT`, `UPDATE` and `DELETE` ([`Finding::MissingUsing`])
///   and a `WITH CHECK` clause for `INSERT` and `UPDATE`
///   ([`Finding::MissingWithCheck`]): one `ALL` policy with both, or one per
///   command;
/// * a valid, non-partial index whose first column is the tenant column
///   ([`Finding::NoTenantIndex`]);
/// * every foreign key to a table that has the tenant column (in any schema,
///   the table itself included) pairs the tenant columns
///   ([`Finding::ForeignKeyWithoutTenant`]);
/// * every primary key, unique constraint and unique index has the tenant
///   column among its key columns ([`Finding::UniqueWithoutTenant`]; a key
///   that only mentions it inside an expression is reported too);
/// * every view that reads it runs with its caller's rights, and no
///   materialized view stores it ([`Finding::ViewBypassesRowSecurity`]).
///
/// A partition is a table of its own (it can be queried directly), but a
/// foreign key or unique index it inherits is reported once, on its parent.
pub async fn verify(
    client: &tokio_postgres::Client,
    options: &VerifyOptions,
) -> Result<Vec<Finding>, Error> {
    let catalog = Catalog::read(
        client,
        &options.schemas,
        &options.tenant_column,
        &options.app_roles,
    )
    .await?;
    let mut findings = audit(&catalog, options);
    sort(&mut findings);
    findings.dedup();
    Ok(findings)
}

/// Sorts by table (roles last), then by check, then by the rest.
fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then_with(|| a.cmp(b)));
}

/// The findings of `catalog`, unsorted.
fn audit(catalog: &Catalog, options: &VerifyOptions) -> Vec<Finding> {
    let mut findings = Vec::new();
    let tables: HashMap<Oid, &catalog::Table> = catalog
        .tables
        .iter()
        .map(|table| (table.oid, table))
        .collect();
    let tenant_column = || options.tenant_column.clone();

    for table in &catalog.tables {
        let (schema, name) = (table.schema.clone(), table.name.clone());
        if !table.row_security {
            findings.push(Finding::RowSecurityDisabled {
                schema: schema.clone(),
                table: name.clone(),
            });
        }
        if !table.forced {
            findings.push(Finding::RowSecurityNotForced {
                schema: schema.clone(),
                table: name.clone(),
            });
        }

        let policies: Vec<&Policy> = catalog
            .policies
            .iter()
            .filter(|policy| {
                policy.table == table.oid && policy.permissive && applies_to(policy, &catalog.roles)
            })
            .collect();
        let uncovered = |commands: &[PolicyCommand], has: fn(&Policy) -> bool| {
            commands
                .iter()
                .copied()
                .filter(|command| {
                    !policies
                        .iter()
                        .any(|policy| has(policy) && command.covered_by(&policy.command))
                })
                .collect::<Vec<_>>()
        };
        let commands = uncovered(&PolicyCommand::USING, |policy| policy.has_using);
        if !commands.is_empty() {
            findings.push(Finding::MissingUsing {
                schema: schema.clone(),
                table: name.clone(),
                commands,
            });
        }
        let commands = uncovered(&PolicyCommand::WITH_CHECK, |policy| policy.has_with_check);
        if !commands.is_empty() {
            findings.push(Finding::MissingWithCheck {
                schema: schema.clone(),
                table: name.clone(),
                commands,
            });
        }

        let indexes = catalog
            .indexes
            .iter()
            .filter(|index| index.table == table.oid);
        let mut tenant_indexed = false;
        for index in indexes {
            if index.valid && !index.partial && index.keys.first() == Some(&table.tenant_attnum) {
                tenant_indexed = true;
            }
            if index.unique && !index.inherited && !index.keys.contains(&table.tenant_attnum) {
                findings.push(Finding::UniqueWithoutTenant {
                    schema: schema.clone(),
                    table: name.clone(),
                    constraint: index
                        .constraint
                        .clone()
                        .unwrap_or_else(|| index.name.clone()),
                    tenant_column: tenant_column(),
                });
            }
        }
        if !tenant_indexed {
            findings.push(Finding::NoTenantIndex {
                schema: schema.clone(),
                table: name.clone(),
                tenant_column: tenant_column(),
            });
        }
    }

    for key in &catalog.foreign_keys {
        let Some(table) = tables.get(&key.table) else {
            continue;
        };
        let paired = key
            .columns
            .iter()
            .zip(&key.referenced_columns)
            .any(|(column, referenced)| {
                *column == table.tenant_attnum && *referenced == key.referenced_tenant_attnum
            });
        if !paired {
            findings.push(Finding::ForeignKeyWithoutTenant {
                schema: table.schema.clone(),
                table: table.name.clone(),
                constraint: key.name.clone(),
                referenced_schema: key.referenced_schema.clone(),
                referenced_table: key.referenced_table.clone(),
                tenant_column: tenant_column(),
            });
        }
    }

    for view in &catalog.views {
        if view.materialized || !view.security_invoker {
            findings.push(Finding::ViewBypassesRowSecurity {
                schema: view.schema.clone(),
                view: view.name.clone(),
                materialized: view.materialized,
            });
        }
    }

    for name in &options.app_roles {
        match catalog.roles.iter().find(|role| &role.name == name) {
            None => findings.push(Finding::RoleMissing { role: name.clone() }),
            Some(role) if role.superuser => {
                findings.push(Finding::SuperuserRole { role: name.clone() })
            }
            Some(role) if role.bypass_rls => {
                findings.push(Finding::BypassRlsRole { role: name.clone() })
            }
            Some(_) => {}
        }
    }
    findings
}

/// Whether `policy` applies to every application role: it is for `PUBLIC`,
/// or each (existing) role has the privileges of one of its roles. With no
/// application role known, only a policy for `PUBLIC` does.
fn applies_to(policy: &Policy, roles: &[Role]) -> bool {
    const PUBLIC: Oid = 0;
    if policy.roles.contains(&PUBLIC) {
        return true;
    }
    !roles.is_empty()
        && roles.iter().all(|role| {
            role.privileges_of
                .iter()
                .any(|granted| policy.roles.contains(granted))
        })
}

/// `schema.table`, each part quoted when it has to be.
fn qualified(schema: &str, table: &str) -> String {
    format!("{}.{}", identifier(schema), identifier(table))
}

/// `name` as SQL writes it: bare when it is a plain lower-case identifier,
/// double-quoted otherwise.
fn identifier(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `A`, `A and B`, `A, B and C`.
fn list(commands: &[PolicyCommand]) -> String {
    let names: Vec<String> = commands.iter().map(ToString::to_string).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_only_when_needed() {
        assert_eq!(qualified("public", "invoices_2024"), "public.invoices_2024");
        assert_eq!(qualified("Sales", "my\"table"), "\"Sales\".\"my\"\"table\"");
    }

    #[test]
    fn messages_are_one_line_and_name_what_to_fix() {
        let finding = Finding::MissingWithCheck {
            schema: "public".to_owned(),
            table: "notes".to_owned(),
            commands: vec![PolicyCommand::Insert, PolicyCommand::Update],
        };
        let message = finding.to_string();
        assert!(
            message.starts_with(
                "public.notes has no permissive policy with a WITH CHECK clause for INSERT and UPDATE"
            ),
            "{message}"
        );
        let finding = Finding::UniqueWithoutTenant {
            schema: "public".to_owned(),
            table: "users".to_owned(),
            constraint: "users_email_key".to_owned(),
            tenant_column: "org_id".to_owned(),
        };
        assert_eq!(
            finding.to_string(),
            "unique key users_email_key of public.users does not include org_id, so a conflicting write reveals another tenant's value: make it unique per tenant by adding org_id to its columns"
        );
        assert!(!finding.to_string().contains('\n'));
    }

    #[test]
    fn findings_sort_by_table_then_check_with_roles_last() {
        let mut findings = [
            Finding::SuperuserRole {
                role: "app".to_owned(),
            },
            Finding::NoTenantIndex {
                schema: "public".to_owned(),
                table: "a".to_owned(),
                tenant_column: "tenant_id".to_owned(),
            },
            Finding::RowSecurityNotForced {
                schema: "public".to_owned(),
                table: "b".to_owned(),
            },
            Finding::RowSecurityDisabled {
                schema: "public".to_owned(),
                table: "a".to_owned(),
            },
        ];
        sort(&mut findings);
        let keys: Vec<_> = findings.iter().map(Finding::sort_key).collect();
        assert_eq!(
            keys,
            [
                (0, "public", "a", 0),
                (0, "public", "a", 4),
                (0, "public", "b", 1),
                (1, "app", "", 1),
            ]
        );
    }
}
