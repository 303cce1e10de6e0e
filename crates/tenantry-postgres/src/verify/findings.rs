//! What the audit reports: one [`Finding`] per problem, each with a one-line
//! message naming the object and the fix.

use std::fmt;

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
    pub(super) const USING: [PolicyCommand; 3] = [Self::Select, Self::Update, Self::Delete];
    /// The commands whose policies need a `WITH CHECK` clause (which rows may be written).
    pub(super) const WITH_CHECK: [PolicyCommand; 2] = [Self::Insert, Self::Update];

    /// Whether a policy with `pg_policy.polcmd` `code` covers this command.
    pub(super) fn covered_by(self, code: &str) -> bool {
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

/// One problem [`verify`](super::verify) found. Its [`Display`](fmt::Display) is a one-line
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
    /// An exclusion constraint of a tenant-scoped table does not compare the
    /// tenant column with `=`, so it spans tenants: a write that conflicts
    /// with another tenant's row fails, which tells one tenant that the
    /// other's row exists (the same oracle as a unique key without it).
    ExclusionWithoutTenant {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
        /// The exclusion constraint.
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
            Self::ExclusionWithoutTenant { schema, table, .. } => (0, schema, table, 7),
            Self::ViewBypassesRowSecurity { schema, view, .. } => (0, schema, view, 8),
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
            Self::ExclusionWithoutTenant {
                schema,
                table,
                constraint,
                tenant_column,
            } => {
                let column = identifier(tenant_column);
                write!(
                    f,
                    "exclusion constraint {} of {} does not compare {column} with =, so a write that conflicts with another tenant's row reveals that row: add `{column} WITH =` to it (a GiST index needs the btree_gist extension for it)",
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

/// Sorts by table (roles last), then by check, then by the rest.
pub(super) fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then_with(|| a.cmp(b)));
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
