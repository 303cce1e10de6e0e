//! The checks: from the catalog rows read to the findings.

use std::collections::HashMap;

use tokio_postgres::types::Oid;

use super::catalog::{Catalog, Policy, Role, Table};
use super::unqualified::unqualified_relation;
use super::{Finding, PolicyCommand, VerifyOptions};

/// The scoped tables by oid.
type Tables<'a> = HashMap<Oid, &'a Table>;

/// The findings of `catalog`, unsorted.
pub(super) fn audit(catalog: &Catalog, options: &VerifyOptions) -> Vec<Finding> {
    let tables: Tables = catalog
        .tables
        .iter()
        .map(|table| (table.oid, table))
        .collect();
    let column = &options.tenant_column;
    let mut findings = Vec::new();
    for table in &catalog.tables {
        row_security(catalog, table, &mut findings);
        fence(table, &mut findings);
        shards(catalog, table, &mut findings);
        indexes(catalog, table, column, &mut findings);
    }
    keys(catalog, &tables, column, &mut findings);
    triggers(catalog, &tables, &mut findings);
    views(catalog, &mut findings);
    privileges(catalog, &mut findings);
    definer_functions(catalog, &mut findings);
    roles(catalog, &options.app_roles, &mut findings);
    findings
}

/// The write fence, where the database has one.
fn fence(table: &Table, findings: &mut Vec<Finding>) {
    if table.fenced == Some(false) {
        findings.push(Finding::WritesNotFenced {
            schema: table.schema.clone(),
            table: table.name.clone(),
        });
    }
}

/// On Citus, each shard of the table isolated where it is.
fn shards(catalog: &Catalog, table: &Table, findings: &mut Vec<Finding>) {
    let shards = catalog
        .shards
        .iter()
        .filter(|shard| shard.table == table.oid);
    for shard in shards.filter(|shard| !shard.isolated) {
        findings.push(Finding::ShardNotIsolated {
            schema: table.schema.clone(),
            table: table.name.clone(),
            shard: shard.id,
        });
    }
}

/// Row-level security enabled and forced, and permissive policies applying
/// to the application roles that cover every command.
fn row_security(catalog: &Catalog, table: &Table, findings: &mut Vec<Finding>) {
    let (schema, name) = (&table.schema, &table.name);
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
}

/// An index led by the tenant column, and unique indexes that include it.
fn indexes(catalog: &Catalog, table: &Table, column: &str, findings: &mut Vec<Finding>) {
    let mut tenant_indexed = false;
    for index in catalog
        .indexes
        .iter()
        .filter(|index| index.table == table.oid)
    {
        if index.valid && !index.partial && index.keys.first() == Some(&table.tenant_attnum) {
            tenant_indexed = true;
        }
        if index.unique && !index.inherited && !index.keys.contains(&table.tenant_attnum) {
            findings.push(Finding::UniqueWithoutTenant {
                schema: table.schema.clone(),
                table: table.name.clone(),
                constraint: index
                    .constraint
                    .clone()
                    .unwrap_or_else(|| index.name.clone()),
                tenant_column: column.to_owned(),
            });
        }
    }
    if !tenant_indexed {
        findings.push(Finding::NoTenantIndex {
            schema: table.schema.clone(),
            table: table.name.clone(),
            tenant_column: column.to_owned(),
        });
    }
}

/// Foreign keys that pair the tenant columns, and exclusion constraints
/// that compare them with `=`.
fn keys(catalog: &Catalog, tables: &Tables, column: &str, findings: &mut Vec<Finding>) {
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
                tenant_column: column.to_owned(),
            });
        }
    }
    for exclusion in &catalog.exclusions {
        let Some(table) = tables.get(&exclusion.table) else {
            continue;
        };
        let per_tenant = exclusion
            .columns
            .iter()
            .zip(&exclusion.operators)
            .any(|(column, operator)| *column == table.tenant_attnum && operator == "=");
        if !per_tenant {
            findings.push(Finding::ExclusionWithoutTenant {
                schema: table.schema.clone(),
                table: table.name.clone(),
                constraint: exclusion.name.clone(),
                tenant_column: column.to_owned(),
            });
        }
    }
}

/// Trigger functions that set their own `search_path` or name no relation
/// without a schema.
fn triggers(catalog: &Catalog, tables: &Tables, findings: &mut Vec<Finding>) {
    for trigger in catalog.triggers.iter().filter(|trigger| !trigger.pinned) {
        let Some(table) = tables.get(&trigger.table) else {
            continue;
        };
        if let Some(relation) = unqualified_relation(&trigger.body, &catalog.relation_names) {
            findings.push(Finding::UnpinnedTriggerFunction {
                schema: table.schema.clone(),
                table: table.name.clone(),
                trigger: trigger.name.clone(),
                function_schema: trigger.function_schema.clone(),
                function: trigger.function.clone(),
                relation,
            });
        }
    }
}

/// Views with their owner's rights, and materialized views, over scoped tables.
fn views(catalog: &Catalog, findings: &mut Vec<Finding>) {
    for view in &catalog.views {
        if view.materialized || !view.security_invoker {
            findings.push(Finding::ViewBypassesRowSecurity {
                schema: view.schema.clone(),
                view: view.name.clone(),
                materialized: view.materialized,
            });
        }
    }
}

/// What the application roles may do that they must not: on scoped tables,
/// what row-level security does not restrict; on the registry, anything.
fn privileges(catalog: &Catalog, findings: &mut Vec<Finding>) {
    for grant in &catalog.grants {
        let (schema, table, role, privileges) = (
            grant.schema.clone(),
            grant.table.clone(),
            grant.role.clone(),
            grant.privileges.clone(),
        );
        findings.push(if grant.control {
            Finding::RegistryAccessible {
                schema,
                table,
                role,
                privileges,
            }
        } else {
            Finding::BypassingPrivilege {
                schema,
                table,
                role,
                privileges,
            }
        });
    }
}

/// `SECURITY DEFINER` functions that bypass row-level security and that the
/// application roles can call (the catalog reads only those).
fn definer_functions(catalog: &Catalog, findings: &mut Vec<Finding>) {
    for function in &catalog.definer_functions {
        findings.push(Finding::DefinerFunction {
            schema: function.schema.clone(),
            function: function.name.clone(),
            arguments: function.arguments.clone(),
            owner: function.owner.clone(),
            roles: function.callers.clone(),
        });
    }
}

/// Application roles that exist and that row-level security restricts.
fn roles(catalog: &Catalog, app_roles: &[String], findings: &mut Vec<Finding>) {
    for name in app_roles {
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
}

/// Whether `policy` applies to every application role: it is for `PUBLIC`,
/// or each (existing) role has the privileges of one of its roles. With no
/// application role known, only a policy for `PUBLIC` does.
fn applies_to(policy: &Policy, roles: &[Role]) -> bool {
    const PUBLIC_OID: Oid = 0;
    if policy.roles.contains(&PUBLIC_OID) {
        return true;
    }
    !roles.is_empty()
        && roles.iter().all(|role| {
            role.privileges_of
                .iter()
                .any(|granted| policy.roles.contains(granted))
        })
}
