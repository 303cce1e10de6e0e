//! Row-level security: the database's own guard on the shared tables.
//!
//! Isolation is defined once, by the `tenantry.isolate_table` function that
//! every migrated database holds (see the migrations' bootstrap): these are
//! the calls to it from Rust.

use tenantry_query::Identifier;
use tokio_postgres::Client;

use crate::Error;
use crate::migrate::bootstrap;

/// The name of the policy tenantry creates.
pub const POLICY_NAME: &str = "tenantry_tenant_isolation";

/// The SQL that isolates `table` (optionally in `schema`) by its
/// `tenant_column`, through `tenantry.isolate_table`: row-level security
/// enabled and forced (so the table's owner is restricted too), one policy
/// whose `USING` and `WITH CHECK` both compare the tenant column with the
/// transaction-local tenant context, and the write fence (a statement
/// trigger that keeps each tenant's writes in its own placement). Without a
/// context no row is visible and no row can be written; nothing errors and
/// nothing leaks. The database must hold the `tenantry` schema, which
/// [`isolate_table`] and every migration create.
///
/// ```
/// # use tenantry_ops::rls::isolate_table_sql;
/// # use tenantry_query::Identifier;
/// let invoices = Identifier::new("invoices").unwrap();
/// let sql = isolate_table_sql(None, &invoices, &Identifier::new("tenant_id").unwrap());
/// assert_eq!(sql, r#"SELECT tenantry.isolate_table('"invoices"', 'tenant_id')"#);
/// ```
pub fn isolate_table_sql(
    schema: Option<&Identifier>,
    table: &Identifier,
    tenant_column: &Identifier,
) -> String {
    let table = match schema {
        Some(schema) => format!("{}.{}", schema.quoted(), table.quoted()),
        None => table.quoted(),
    };
    // Identifiers hold no quote: they are safe in a literal.
    format!("SELECT tenantry.isolate_table('{table}', '{tenant_column}')")
}

/// Isolates `table` (in `schema`, if given) by its tenant column
/// `tenant_id`, after creating what tenantry keeps in the database if it is
/// missing (the `tenantry` schema, its helpers, the write fence): the call a
/// migration makes for each tenant-scoped table of the shared pool.
pub async fn isolate_table(
    client: &Client,
    schema: Option<&str>,
    table: &str,
) -> Result<(), Error> {
    isolate_table_on(client, schema, table, "tenant_id").await
}

/// [`isolate_table`] with another tenant column than `tenant_id`.
pub async fn isolate_table_on(
    client: &Client,
    schema: Option<&str>,
    table: &str,
    tenant_column: &str,
) -> Result<(), Error> {
    let schema = schema.map(Identifier::new).transpose()?;
    let table = Identifier::new(table)?;
    let column = Identifier::new(tenant_column)?;
    bootstrap(client).await?;
    client
        .batch_execute(&isolate_table_sql(schema.as_ref(), &table, &column))
        .await?;
    Ok(())
}
