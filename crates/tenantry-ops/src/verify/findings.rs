//! What the audit reports: one [`Finding`] per problem, each with a one-line
//! message naming the object and the fix.

use super::{PolicyCommand, TablePrivilege};

/// One problem [`verify`](super::verify) found. Its [`Display`](std::fmt::Display) is a one-line
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
    /// The database has tenantry's write fence, but this table is not
    /// guarded by it: a tenant's hand-written SQL can write its rows here
    /// from outside this placement, and a suspended or moving tenant's
    /// transaction can still write.
    WritesNotFenced {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
    },
    /// On Citus, a shard of a distributed table does not have row-level
    /// security enabled and forced with a policy on the worker that holds
    /// it: statements routed there are not isolated, whatever the
    /// coordinator's table says.
    ShardNotIsolated {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
        /// The shard's id.
        shard: i64,
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
    /// A trigger of a tenant-scoped table runs a function that names a
    /// relation without a schema and has no `search_path` of its own
    /// (`SET search_path` in its definition), so the relation is whichever
    /// the caller's `search_path` finds first: a schema tenant's write can
    /// land in the shared pool's table, or in another tenant's schema.
    ///
    /// The rule: the function (in any language but C) is flagged when its
    /// body, code and string literals alike (not comments), contains the
    /// name of a relation of the database (outside the system schemas) with
    /// no `.` before or after it. A column or variable named like a table is
    /// taken for one; pinning the `search_path` clears the finding either way.
    UnpinnedTriggerFunction {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
        /// The trigger.
        trigger: String,
        /// The function's schema.
        function_schema: String,
        /// The function.
        function: String,
        /// The first relation its body names without a schema.
        relation: String,
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
    /// An application role holds a privilege on a tenant-scoped table that
    /// row-level security does not restrict (directly, through `PUBLIC`, or
    /// through a role it is a member of): `TRUNCATE` empties every tenant's
    /// rows at once, `TRIGGER` runs the role's own code on every tenant's
    /// writes, and `REFERENCES` lets a foreign key of its own probe for
    /// another tenant's keys.
    BypassingPrivilege {
        /// The table's schema.
        schema: String,
        /// The table.
        table: String,
        /// The application role (`public` when none is given: `PUBLIC`).
        role: String,
        /// What it holds: `TRUNCATE`, `REFERENCES` and `TRIGGER`, in that order.
        privileges: Vec<TablePrivilege>,
    },
    /// An application role holds a privilege on a table of the tenant
    /// registry (directly, through `PUBLIC`, or through a role it is a
    /// member of): reading it lists every tenant's id, slug, placement and
    /// plan; writing it re-routes tenants. The application resolves a tenant
    /// through the registry's lookup function, which returns that tenant's
    /// row only.
    RegistryAccessible {
        /// The registry's schema.
        schema: String,
        /// The table.
        table: String,
        /// The application role (`public` when none is given: `PUBLIC`).
        role: String,
        /// What it holds, in `SELECT`, `INSERT`, `UPDATE`, `DELETE`,
        /// `TRUNCATE`, `REFERENCES`, `TRIGGER` order.
        privileges: Vec<TablePrivilege>,
    },
    /// A `SECURITY DEFINER` function runs with the rights of an owner that
    /// bypasses row-level security (a superuser, a `BYPASSRLS` role, or the
    /// owner of tenant-scoped tables), and application roles may call it
    /// (directly or through `PUBLIC`): whatever it reads or writes, it does
    /// for every tenant's rows.
    DefinerFunction {
        /// The function's schema.
        schema: String,
        /// The function.
        function: String,
        /// Its argument types, as `pg_get_function_identity_arguments` gives them.
        arguments: String,
        /// Its owner.
        owner: String,
        /// The application roles that may call it (`public` when none is
        /// given: `PUBLIC`), sorted.
        roles: Vec<String>,
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
    /// The schema of the object the finding is about; `None` for a role,
    /// which belongs to the server rather than to a database.
    pub fn schema(&self) -> Option<&str> {
        self.location().0
    }

    /// The object the finding is about: a table, view, function or role.
    pub fn object(&self) -> &str {
        self.location().1
    }

    fn location(&self) -> (Option<&str>, &str) {
        match self {
            Self::RowSecurityDisabled { schema, table }
            | Self::RowSecurityNotForced { schema, table }
            | Self::WritesNotFenced { schema, table }
            | Self::ShardNotIsolated { schema, table, .. }
            | Self::MissingUsing { schema, table, .. }
            | Self::MissingWithCheck { schema, table, .. }
            | Self::NoTenantIndex { schema, table, .. }
            | Self::ForeignKeyWithoutTenant { schema, table, .. }
            | Self::UniqueWithoutTenant { schema, table, .. }
            | Self::ExclusionWithoutTenant { schema, table, .. }
            | Self::UnpinnedTriggerFunction { schema, table, .. }
            | Self::BypassingPrivilege { schema, table, .. }
            | Self::RegistryAccessible { schema, table, .. } => (Some(schema), table),
            Self::ViewBypassesRowSecurity { schema, view, .. } => (Some(schema), view),
            Self::DefinerFunction {
                schema, function, ..
            } => (Some(schema), function),
            Self::RoleMissing { role }
            | Self::SuperuserRole { role }
            | Self::BypassRlsRole { role } => (None, role),
        }
    }

    /// Where the check comes among those of one object.
    fn check(&self) -> u8 {
        match self {
            Self::RowSecurityDisabled { .. } | Self::RoleMissing { .. } => 0,
            Self::RowSecurityNotForced { .. } | Self::SuperuserRole { .. } => 1,
            Self::MissingUsing { .. } | Self::BypassRlsRole { .. } => 2,
            Self::MissingWithCheck { .. } => 3,
            Self::NoTenantIndex { .. } => 4,
            Self::ForeignKeyWithoutTenant { .. } => 5,
            Self::UniqueWithoutTenant { .. } => 6,
            Self::ExclusionWithoutTenant { .. } => 7,
            Self::UnpinnedTriggerFunction { .. } => 8,
            Self::ViewBypassesRowSecurity { .. } => 9,
            Self::BypassingPrivilege { .. } => 10,
            Self::RegistryAccessible { .. } => 11,
            Self::DefinerFunction { .. } => 12,
            Self::WritesNotFenced { .. } => 13,
            Self::ShardNotIsolated { .. } => 14,
        }
    }

    /// Orders findings by object (roles last), then by check.
    fn sort_key(&self) -> (bool, &str, &str, u8) {
        let (schema, object) = self.location();
        (schema.is_none(), schema.unwrap_or(""), object, self.check())
    }
}

/// Sorts by object (roles last), then by check, then by the rest.
pub(super) fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then_with(|| a.cmp(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

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
                (false, "public", "a", 0),
                (false, "public", "a", 4),
                (false, "public", "b", 1),
                (true, "", "app", 1),
            ]
        );
    }
}
