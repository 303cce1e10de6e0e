//! Session state left behind by hand-written SQL never reaches the next
//! borrower of the connection. With one connection per pool, a tenant's raw
//! SQL (on its handle or in its transaction) creates a temporary table that
//! shadows `customers` with forged rows, sets the tenant setting for the
//! session, switches row security off, points `search_path` elsewhere,
//! assumes a role that bypasses row-level security, or replaces or drops the
//! connection's prepared statements; afterwards every tenant on that
//! connection (the culprit included) still sees exactly its own rows through
//! the builder, a stream and hand-written SQL, runs as the application role,
//! and the global handle sees no tenant's rows.

use tenantry::{Error, MAIN_SERVER, Tenant};

use super::{
    OneConnection, SHARING, assert_sees_exactly, backend_pid, create_pool_customers_view,
    seen_by_the_global_handle,
};
use crate::support::database::{TestDatabase, main_port};
use crate::support::placements::{SECOND, SECOND_PORT};
use crate::support::tenants::Placed;

/// How the culprit sends its statements.
#[derive(Clone, Copy)]
enum Via {
    /// One by one on its handle.
    Handle,
    /// In a transaction it commits.
    Transaction,
}

impl Via {
    async fn run(self, tenant: &Tenant, statements: &[String]) -> Result<(), Error> {
        match self {
            Via::Handle => {
                for statement in statements {
                    tenant.raw_execute(statement, &[]).await?;
                }
                Ok(())
            }
            Via::Transaction => {
                let transaction = tenant.transaction().await?;
                for statement in statements {
                    transaction.raw_execute(statement, &[]).await?;
                }
                transaction.commit().await
            }
        }
    }
}

/// On each server, once every tenant sharing the connection has read its
/// rows (so the connection holds their prepared statements), the tenant at
/// `culprit` (an index into the server's [`SHARING`] turns) runs what
/// `statements` makes for it; then every tenant on the connection, the
/// culprit last, must see exactly its own rows, as the application role.
async fn assert_nothing_is_inherited(
    shared: &OneConnection,
    culprit: usize,
    via: Via,
    statements: impl Fn(&Placed) -> Vec<String>,
) {
    create_pool_customers_view(&shared.seeded).await;
    let app_role = &shared.seeded.tenants.world.main.app_role;
    for (server, turns) in SHARING {
        let connection = backend_pid(shared.get(turns[0]).0).await;
        for label in turns {
            let (tenant, expected) = shared.get(label);
            assert_eq!(backend_pid(tenant).await, connection, "{label}");
            assert_sees_exactly(tenant, expected, &format!("{label} before")).await;
        }
        let placed = shared.seeded.tenants.get(turns[culprit]);
        let statements = statements(placed);
        via.run(shared.get(placed.label).0, &statements)
            .await
            .unwrap_or_else(|error| panic!("{}: {statements:?}: {error}", placed.label));
        for label in turns.iter().cycle().skip(culprit + 1).take(turns.len()) {
            let (tenant, expected) = shared.get(label);
            let when = format!("{label} after {} ran {statements:?}", placed.label);
            assert_sees_exactly(tenant, expected, &when).await;
            let role: String = tenant
                .raw_query("SELECT current_user::text", &[])
                .await
                .unwrap()[0]
                .get(0);
            assert_eq!(&role, app_role, "{when}");
        }
        let global = seen_by_the_global_handle(&shared.db).await;
        assert!(
            matches!(&global, Ok(rows) if rows.is_empty()),
            "the global handle after {} on {server} ran {statements:?}: {global:?}",
            placed.label
        );
    }
}

/// [`assert_nothing_is_inherited`] for one `statement`, the same for every culprit.
async fn assert_statement_leaves_nothing(culprit: usize, via: Via, statement: &str) {
    let shared = OneConnection::sharing_servers().await;
    assert_nothing_is_inherited(&shared, culprit, via, |_| vec![statement.to_owned()]).await;
}

/// The index of the pool tenant in each server's turns, and of the schema tenant.
const POOL: usize = 0;
const SCHEMA: usize = 1;

#[tokio::test]
async fn a_temporary_table_never_shadows_the_next_borrowers_table() {
    let shared = OneConnection::sharing_servers().await;
    let ids: Vec<String> = shared
        .seeded
        .tenants
        .placed
        .iter()
        .map(|placed| format!("'{}'", placed.record.id))
        .collect();
    let forge = format!(
        "INSERT INTO pg_temp.customers (tenant_id, id, name, email)
         SELECT owner, id, 'forged', NULL
         FROM unnest(ARRAY[{}]::uuid[]) owner, unnest(ARRAY[{}]::uuid[]) id",
        ids.join(", "),
        super::SHARED_CUSTOMERS
            .iter()
            .map(|id| format!("'{id}'"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_nothing_is_inherited(&shared, POOL, Via::Transaction, |_| {
        vec![
            "CREATE TEMP TABLE customers (LIKE public.customers)".to_owned(),
            forge.clone(),
        ]
    })
    .await;
}

#[tokio::test]
async fn a_session_level_tenant_setting_never_outlives_the_statement() {
    let shared = OneConnection::sharing_servers().await;
    assert_nothing_is_inherited(&shared, POOL, Via::Handle, |culprit| {
        vec![format!("SET tenantry.tenant_id = '{}'", culprit.record.id)]
    })
    .await;
    assert_nothing_is_inherited(&shared, POOL, Via::Transaction, |culprit| {
        vec![format!(
            "SELECT set_config('tenantry.tenant_id', '{}', false)",
            culprit.record.id
        )]
    })
    .await;
}

#[tokio::test]
async fn row_security_switched_off_is_on_again_for_the_next_borrower() {
    assert_statement_leaves_nothing(POOL, Via::Handle, "SET row_security = off").await;
}

#[tokio::test]
async fn a_search_path_set_for_the_session_never_redirects_the_next_borrower() {
    let shared = OneConnection::sharing_servers().await;
    assert_nothing_is_inherited(&shared, SCHEMA, Via::Handle, |culprit| {
        vec![format!(
            "SET search_path = \"{}\", public",
            culprit.location().schema
        )]
    })
    .await;
}

#[tokio::test]
async fn a_role_assumed_for_the_session_is_shed_before_the_next_borrower() {
    // A role that bypasses row-level security, which the application role
    // may assume, on each server. Made before the tenants, so that it is
    // dropped after their databases (which hold its privileges).
    let auditors = [
        TestDatabase::empty_on(main_port(), None).await,
        TestDatabase::empty_on(SECOND_PORT, None).await,
    ];
    let shared = OneConnection::sharing_servers().await;
    let world = &shared.seeded.tenants.world;
    let servers = [(MAIN_SERVER, &world.main), (SECOND, &world.second)];
    for ((server, host), auditor) in servers.into_iter().zip(&auditors) {
        let schemas: Vec<String> = shared
            .seeded
            .tenants
            .locations()
            .into_iter()
            .filter(|location| location.server == server && location.database.is_none())
            .map(|location| format!("\"{}\"", location.schema))
            .collect();
        host.admin()
            .await
            .batch_execute(&format!(
                "ALTER ROLE {role} BYPASSRLS;
                 GRANT USAGE ON SCHEMA {schemas} TO {role};
                 GRANT SELECT ON ALL TABLES IN SCHEMA {schemas} TO {role};
                 GRANT {role} TO {app}",
                role = auditor.app_role,
                schemas = schemas.join(", "),
                app = host.app_role
            ))
            .await
            .expect("make the auditor role");
    }
    let auditor_of = |placed: &Placed| match placed.record.server.as_str() {
        SECOND => &auditors[1].app_role,
        _ => &auditors[0].app_role,
    };
    assert_nothing_is_inherited(&shared, POOL, Via::Transaction, |culprit| {
        vec![format!("SET ROLE {}", auditor_of(culprit))]
    })
    .await;
}

/// Replaces every prepared statement of the session that reads whole
/// customers by one that returns a forged customer of whichever tenant runs it.
const HIJACK_CUSTOMER_READS: &str = r#"DO $$
DECLARE victim record;
BEGIN
    FOR victim IN SELECT name FROM pg_prepared_statements
        WHERE statement LIKE 'SELECT "customers"."id", "customers"."tenant_id", "customers"."name", "customers"."email" FROM %'
          AND parameter_types = '{uuid}'::regtype[]
    LOOP
        EXECUTE format('DEALLOCATE %I', victim.name);
        EXECUTE format(
            'PREPARE %I (uuid) AS SELECT %L::uuid, $1, %L::text, NULL::text',
            victim.name, '00000000-0000-0000-0000-0000000000c1', 'forged');
    END LOOP;
END $$"#;

#[tokio::test]
async fn a_prepared_statement_replaced_by_hand_written_sql_never_serves_the_next_borrower() {
    assert_statement_leaves_nothing(POOL, Via::Handle, HIJACK_CUSTOMER_READS).await;
}

/// Replaces the connection's shared statement that sets a built statement's
/// tenant by one that sets `culprit`'s, whoever runs it; fails if there is
/// no such statement to replace.
fn hijack_the_shared_context(culprit: &Placed) -> Vec<String> {
    vec![format!(
        r#"DO $$
DECLARE victim record;
BEGIN
    FOR victim IN SELECT name FROM pg_prepared_statements
        WHERE statement LIKE 'SELECT set_config(''tenantry.tenant_id'', $1, true)%'
    LOOP
        EXECUTE format('DEALLOCATE %I', victim.name);
        EXECUTE format(
            'PREPARE %I (text) AS SELECT set_config(''tenantry.tenant_id'', %L, true), $1',
            victim.name, '{}');
    END LOOP;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no shared context statement on this connection';
    END IF;
END $$"#,
        culprit.record.id
    )]
}

#[tokio::test]
async fn the_shared_context_statement_replaced_by_hand_written_sql_never_serves_the_next_borrower()
{
    let shared = OneConnection::sharing_servers().await;
    assert_nothing_is_inherited(&shared, POOL, Via::Handle, hijack_the_shared_context).await;
}

#[tokio::test]
async fn prepared_statements_dropped_by_hand_written_sql_do_not_fail_the_next_borrower() {
    assert_statement_leaves_nothing(SCHEMA, Via::Transaction, "DEALLOCATE ALL").await;
}
