//! The catalog rows the audit reads: the queries of [`super::queries`], sent
//! together on one connection.

use std::collections::HashSet;

use futures_util::future::try_join_all;
use tokio_postgres::types::{Oid, ToSql};
use tokio_postgres::{Client, Row};

use super::TablePrivilege;
use super::queries::{
    DEFINER_FUNCTIONS, EXCLUSIONS, FOREIGN_KEYS, INDEXES, POLICIES, RELATION_NAMES, ROLES,
    TABLE_PRIVILEGES, TABLES, TRIGGERS, VIEWS,
};
use super::shards::{self, Shard};
use crate::Error;
use tenantry_postgres::contract::{
    CONTROL_SCHEMA, SERVER_LOOKUP, SUPPORT_ACCESS_RECORD, TENANT_LOOKUP, TENANTS_RECORDED,
};

/// The name that stands for `PUBLIC` (every role) where an application role
/// is expected: no role can be named so.
pub(super) const PUBLIC: &str = "public";

/// A tenant-scoped table.
pub(super) struct Table {
    pub(super) oid: Oid,
    pub(super) schema: String,
    pub(super) name: String,
    pub(super) row_security: bool,
    pub(super) forced: bool,
    pub(super) tenant_attnum: i16,
    /// Whether tenantry's write fence guards it (`None`: the database has
    /// no fence, so none is expected).
    pub(super) fenced: Option<bool>,
}

/// A row-level security policy of a scoped table.
pub(super) struct Policy {
    pub(super) table: Oid,
    /// `*` (all), `r` (select), `a` (insert), `w` (update) or `d` (delete).
    pub(super) command: String,
    pub(super) permissive: bool,
    /// The roles it applies to; `0` is `PUBLIC`.
    pub(super) roles: Vec<Oid>,
    pub(super) has_using: bool,
    pub(super) has_with_check: bool,
}

/// An index of a scoped table.
pub(super) struct Index {
    pub(super) table: Oid,
    pub(super) name: String,
    pub(super) unique: bool,
    pub(super) valid: bool,
    pub(super) partial: bool,
    /// The key columns' numbers (`0` for an expression), without `INCLUDE`d ones.
    pub(super) keys: Vec<i16>,
    /// The unique or primary-key constraint it backs.
    pub(super) constraint: Option<String>,
    /// A partition's copy of an index of its parent.
    pub(super) inherited: bool,
}

/// A foreign key from a scoped table to a table with the tenant column.
pub(super) struct ForeignKey {
    pub(super) table: Oid,
    pub(super) name: String,
    pub(super) columns: Vec<i16>,
    pub(super) referenced_columns: Vec<i16>,
    pub(super) referenced_schema: String,
    pub(super) referenced_table: String,
    pub(super) referenced_tenant_attnum: i16,
}

/// An exclusion constraint of a scoped table.
pub(super) struct Exclusion {
    pub(super) table: Oid,
    pub(super) name: String,
    /// The key columns' numbers (`0` for an expression).
    pub(super) columns: Vec<i16>,
    /// The operator each key column is compared with, in the same order.
    pub(super) operators: Vec<String>,
}

/// A trigger of a scoped table, and its function.
pub(super) struct Trigger {
    pub(super) table: Oid,
    pub(super) name: String,
    pub(super) function_schema: String,
    pub(super) function: String,
    /// The function's source.
    pub(super) body: String,
    /// Whether the function sets its own `search_path`.
    pub(super) pinned: bool,
}

/// A view or materialized view that reads a scoped table.
pub(super) struct View {
    pub(super) schema: String,
    pub(super) name: String,
    pub(super) materialized: bool,
    pub(super) security_invoker: bool,
}

/// Privileges an application role can use on a table.
pub(super) struct Grant {
    pub(super) schema: String,
    pub(super) table: String,
    /// Whether the table is the registry's (else it is tenant-scoped).
    pub(super) control: bool,
    /// The application role, or `public`.
    pub(super) role: String,
    /// Sorted.
    pub(super) privileges: Vec<TablePrivilege>,
}

/// A `SECURITY DEFINER` function whose owner bypasses row-level security,
/// that application roles can call.
pub(super) struct DefinerFunction {
    pub(super) schema: String,
    pub(super) name: String,
    /// Its argument types, as `pg_get_function_identity_arguments` gives them.
    pub(super) arguments: String,
    pub(super) owner: String,
    /// The application roles (or `public`) that can call it.
    pub(super) callers: Vec<String>,
}

/// An application role that exists.
pub(super) struct Role {
    pub(super) name: String,
    pub(super) superuser: bool,
    pub(super) bypass_rls: bool,
    pub(super) privileges_of: Vec<Oid>,
}

/// Everything the audit looks at.
pub(super) struct Catalog {
    pub(super) tables: Vec<Table>,
    /// On Citus, the shards of the distributed scoped tables.
    pub(super) shards: Vec<Shard>,
    pub(super) policies: Vec<Policy>,
    pub(super) indexes: Vec<Index>,
    pub(super) foreign_keys: Vec<ForeignKey>,
    pub(super) exclusions: Vec<Exclusion>,
    pub(super) triggers: Vec<Trigger>,
    /// The names of every relation outside the system schemas.
    pub(super) relation_names: HashSet<String>,
    pub(super) views: Vec<View>,
    pub(super) roles: Vec<Role>,
    /// What the application roles can do to scoped tables that row-level
    /// security does not restrict, and to the registry's tables.
    pub(super) grants: Vec<Grant>,
    pub(super) definer_functions: Vec<DefinerFunction>,
}

impl Catalog {
    /// Reads the catalog; the queries are pipelined on the one connection.
    pub(super) async fn read(
        client: &Client,
        schemas: &[String],
        tenant_column: &str,
        app_roles: &[String],
    ) -> Result<Self, Error> {
        let scope: [&(dyn ToSql + Sync); 2] = [&schemas, &tenant_column];
        let role_names: [&(dyn ToSql + Sync); 1] = [&app_roles];
        let grantees = if app_roles.is_empty() {
            vec![PUBLIC.to_owned()]
        } else {
            app_roles.to_vec()
        };
        let control: [&(dyn ToSql + Sync); 4] =
            [&schemas, &tenant_column, &grantees, &CONTROL_SCHEMA];
        let application_functions = [
            TENANT_LOOKUP,
            TENANTS_RECORDED,
            SERVER_LOOKUP,
            SUPPORT_ACCESS_RECORD,
        ]
        .as_slice();
        let control_and_functions: [&(dyn ToSql + Sync); 5] = [
            &schemas,
            &tenant_column,
            &grantees,
            &CONTROL_SCHEMA,
            &application_functions,
        ];
        let queries: [(&str, &[&(dyn ToSql + Sync)]); 11] = [
            (TABLES, &scope),
            (POLICIES, &scope),
            (INDEXES, &scope),
            (FOREIGN_KEYS, &scope),
            (EXCLUSIONS, &scope),
            (TRIGGERS, &scope),
            (RELATION_NAMES, &[]),
            (VIEWS, &scope),
            (ROLES, &role_names),
            (TABLE_PRIVILEGES, &control),
            (DEFINER_FUNCTIONS, &control_and_functions),
        ];
        let results = try_join_all(queries.map(|(sql, params)| client.query(sql, params))).await?;
        let [
            tables,
            policies,
            indexes,
            foreign_keys,
            exclusions,
            triggers,
            relation_names,
            views,
            roles,
            grants,
            definer_functions,
        ]: [Vec<Row>; 11] = results.try_into().expect("one result per query");
        let oids: Vec<Oid> = tables.iter().map(|row| row.get(0)).collect();
        let shards = shards::read(client, &oids).await?;
        // Citus refuses triggers on distributed tables: no fence is expected.
        let distributed = shards::distributed(&shards);
        Ok(Self {
            tables: tables
                .iter()
                .map(|row| {
                    let oid = row.get(0);
                    Table {
                        oid,
                        schema: row.get(1),
                        name: row.get(2),
                        row_security: row.get(3),
                        forced: row.get(4),
                        tenant_attnum: row.get(5),
                        fenced: row
                            .get::<_, Option<bool>>(6)
                            .filter(|_| !distributed.contains(&oid)),
                    }
                })
                .collect(),
            shards,
            policies: policies
                .iter()
                .map(|row| Policy {
                    table: row.get(0),
                    command: row.get(1),
                    permissive: row.get(2),
                    roles: row.get(3),
                    has_using: row.get(4),
                    has_with_check: row.get(5),
                })
                .collect(),
            indexes: indexes
                .iter()
                .map(|row| {
                    let mut keys: Vec<i16> = row.get(5);
                    let key_count: i16 = row.get(6);
                    keys.truncate(usize::try_from(key_count).unwrap_or(0));
                    Index {
                        table: row.get(0),
                        name: row.get(1),
                        unique: row.get(2),
                        valid: row.get(3),
                        partial: row.get(4),
                        keys,
                        constraint: row.get(7),
                        inherited: row.get(8),
                    }
                })
                .collect(),
            foreign_keys: foreign_keys
                .iter()
                .map(|row| ForeignKey {
                    table: row.get(0),
                    name: row.get(1),
                    columns: row.get(2),
                    referenced_columns: row.get(3),
                    referenced_schema: row.get(4),
                    referenced_table: row.get(5),
                    referenced_tenant_attnum: row.get(6),
                })
                .collect(),
            exclusions: exclusions
                .iter()
                .map(|row| Exclusion {
                    table: row.get(0),
                    name: row.get(1),
                    columns: row.get(2),
                    operators: row.get(3),
                })
                .collect(),
            triggers: triggers
                .iter()
                .map(|row| Trigger {
                    table: row.get(0),
                    name: row.get(1),
                    function_schema: row.get(2),
                    function: row.get(3),
                    body: row.get(4),
                    pinned: row.get(5),
                })
                .collect(),
            relation_names: relation_names.iter().map(|row| row.get(0)).collect(),
            views: views
                .iter()
                .map(|row| View {
                    schema: row.get(0),
                    name: row.get(1),
                    materialized: row.get(2),
                    security_invoker: row.get(3),
                })
                .collect(),
            roles: roles
                .iter()
                .map(|row| Role {
                    name: row.get(0),
                    superuser: row.get(1),
                    bypass_rls: row.get(2),
                    privileges_of: row.get(3),
                })
                .collect(),
            grants: grants.iter().map(grant).collect(),
            definer_functions: definer_functions
                .iter()
                .map(|row| {
                    let mut callers: Vec<String> = row.get(4);
                    callers.sort();
                    DefinerFunction {
                        schema: row.get(0),
                        name: row.get(1),
                        arguments: row.get(2),
                        owner: row.get(3),
                        callers,
                    }
                })
                .collect(),
        })
    }
}

/// A row of (schema, table, control, role, privilege names).
fn grant(row: &Row) -> Grant {
    let names: Vec<String> = row.get(4);
    let mut privileges: Vec<TablePrivilege> = names
        .iter()
        .filter_map(|name| TablePrivilege::from_sql(name))
        .collect();
    privileges.sort();
    Grant {
        schema: row.get(0),
        table: row.get(1),
        control: row.get(2),
        role: row.get(3),
        privileges,
    }
}
