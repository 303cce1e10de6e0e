//! The one-line message of each finding: what is wrong, why it lets one
//! tenant reach another, and the fix.

use std::fmt;

use super::Finding;
use super::catalog::PUBLIC;
use tenantry_postgres::contract::TENANT_LOOKUP;

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
            Self::WritesNotFenced { schema, table } => {
                let table = qualified(schema, table);
                write!(
                    f,
                    "{table} is not guarded by tenantry's write fence, so a tenant can write its rows here from another placement, and a suspended tenant can still write: run `SELECT tenantry.isolate_table('{table}')`"
                )
            }
            Self::ShardNotIsolated {
                schema,
                table,
                shard,
            } => {
                let table = qualified(schema, table);
                write!(
                    f,
                    "shard {shard} of {table} does not have row-level security enabled and forced with a policy on its Citus worker, so statements routed to it are not isolated: run `SELECT tenantry.isolate_table('{table}')`"
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
                tenantry_postgres::contract::TENANT_SETTING,
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
                tenantry_postgres::contract::TENANT_SETTING,
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
            Self::UnpinnedTriggerFunction {
                schema,
                table,
                trigger,
                function_schema,
                function,
                relation,
            } => {
                let function = qualified(function_schema, function);
                write!(
                    f,
                    "trigger {} of {} runs {function}, which names {} without a schema and sets no search_path of its own, so it reads or writes whichever one the caller's search_path finds first (the shared pool's, or another tenant's schema): add `SET search_path FROM CURRENT` to the function in its migration (each runs with its target's schema as search_path), or qualify the names (the check: a relation's name in the body, code or string, with no `.` before or after it)",
                    identifier(trigger),
                    qualified(schema, table),
                    identifier(relation),
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
            Self::BypassingPrivilege {
                schema,
                table,
                role,
                privileges,
            } => {
                let (table, role) = (qualified(schema, table), grantee(role));
                write!(
                    f,
                    "application role {role} holds {} on tenant-scoped {table} (directly, through PUBLIC or through a role it belongs to), which row-level security does not restrict: TRUNCATE empties every tenant's rows, TRIGGER runs the role's code on every tenant's writes, REFERENCES lets its foreign keys probe other tenants' keys; run `REVOKE {} ON {table} FROM {role}` (and from PUBLIC and those roles), and grant only SELECT, INSERT, UPDATE, DELETE",
                    list(privileges),
                    privileges
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            }
            Self::RegistryAccessible {
                schema,
                table,
                role,
                privileges,
            } => {
                let (table, role) = (qualified(schema, table), grantee(role));
                write!(
                    f,
                    "application role {role} holds {} on the tenant registry's {table} (directly, through PUBLIC or through a role it belongs to), so every tenant's id, slug, placement and plan is one query away (and writes re-route tenants): run `REVOKE ALL ON {table} FROM {role}` (and from PUBLIC and those roles); the application resolves one tenant at a time through {}",
                    list(privileges),
                    qualified(schema, TENANT_LOOKUP),
                )
            }
            Self::DefinerFunction {
                schema,
                function,
                arguments,
                owner,
                roles,
            } => {
                let function = format!("{}({arguments})", qualified(schema, function));
                let callers: Vec<String> = roles.iter().map(|role| grantee(role)).collect();
                write!(
                    f,
                    "function {function} is SECURITY DEFINER, owned by {}, who bypasses row-level security (a superuser, BYPASSRLS or the owner of tenant-scoped tables), and {} may execute it, so it reads and writes every tenant's rows: run `REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC, {}` or `ALTER FUNCTION {function} SECURITY INVOKER`",
                    identifier(owner),
                    list(&callers),
                    callers
                        .iter()
                        .filter(|caller| *caller != "PUBLIC")
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            }
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

/// An application role as `GRANT` names it: `PUBLIC` stands for every role.
fn grantee(role: &str) -> String {
    if role == PUBLIC {
        "PUBLIC".to_owned()
    } else {
        identifier(role)
    }
}

/// `A`, `A and B`, `A, B and C`.
fn list<T: fmt::Display>(items: &[T]) -> String {
    let names: Vec<String> = items.iter().map(ToString::to_string).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::PolicyCommand;

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
}
