//! Row-level security: the database's own guard on the shared tables.

use tenantry_query::Identifier;
use tokio_postgres::GenericClient;

use crate::Error;
use crate::tenant_context::current_tenant_expression;

/// The name of the policy tenantry creates.
pub const POLICY_NAME: &str = "tenantry_tenant_isolation";

/// The SQL that isolates `table` (optionally in `schema`) by its
/// `tenant_column`: row-level security enabled and forced (so the table's
/// owner is restricted too), and one policy whose `USING` and `WITH CHECK`
/// both compare the tenant column with the transaction-local tenant context.
/// Without a context no row is visible and no row can be written; nothing
/// errors and nothing leaks.
///
/// ```
/// use tenantry_postgres::rls::isolate_table_sql;
/// use tenantry_query::Identifier;
///
/// let sql = isolate_table_sql(None, &Identifier::new("invoices").unwrap(), &Identifier::new("tenant_id").unwrap());
/// assert!(sql.contains("FORCE ROW LEVEL SECURITY"));
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
    let column = tenant_column.quoted();
    let current = current_tenant_expression();
    format!(
        "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n\
         ALTER TABLE {table} FORCE ROW LEVEL SECURITY;\n\
         DROP POLICY IF EXISTS {POLICY_NAME} ON {table};\n\
         CREATE POLICY {POLICY_NAME} ON {table} \
         USING ({column} = {current}) \
         WITH CHECK ({column} = {current});"
    )
}

/// Runs [`isolate_table_sql`] for `table` (in `schema`, if given) with the
/// tenant column `tenant_id`: the call a migration makes for each
/// tenant-scoped table of the shared pool.
pub async fn isolate_table(
    client: &impl GenericClient,
    schema: Option<&str>,
    table: &str,
) -> Result<(), Error> {
    let schema = schema.map(Identifier::new).transpose()?;
    let table = Identifier::new(table)?;
    let column = Identifier::new("tenant_id")?;
    client
        .batch_execute(&isolate_table_sql(schema.as_ref(), &table, &column))
        .await?;
    Ok(())
}
