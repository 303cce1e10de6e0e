//! Attacks on the write fence, each a test that failed before its fix:
//!
//! - a transaction that chose `REPEATABLE READ` and read before its
//!   tenant's suspension wrote, and committed, after it (the fence read the
//!   residency with the transaction's old snapshot; it now locks the
//!   tenant's residency row, which a repeatable-read transaction cannot do
//!   once the row changed after its snapshot);
//! - the fence lock was an advisory lock every role may take: one tenant's
//!   SQL took another tenant's and stalled its writes or its suspension (the
//!   row lock is on a table the application role has no right on);
//! - a pool table isolated with `rls::isolate_table` had no fence at all.

mod support;

use std::time::Duration;

use support::placements::{World, because};
use support::tenants::Tenants;
use support::{Customer, NewCustomer};
use tenantry::ops::PlacementKind;
use tenantry::{Error, MAIN_SERVER};
use tokio_postgres::error::SqlState;
use uuid::Uuid;

/// The first key of every tenant's fence lock, as the fence takes it.
const FENCE_LOCK_NAMESPACE: i32 = 0x666e_6365;

/// How long a write or a status change may wait before it counts as stalled.
const STALLED: Duration = Duration::from_secs(3);

/// Rows of `table` (schema-qualified) on the main server's test database.
async fn rows(world: &World, table: &str) -> i64 {
    world
        .admin(MAIN_SERVER, None)
        .await
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_repeatable_read_transaction_that_read_before_the_suspension_cannot_write_after_it() {
    let tenants = Tenants::provision(&[
        ("pool", PlacementKind::Pool, MAIN_SERVER),
        ("schema", PlacementKind::Schema, MAIN_SERVER),
    ])
    .await;
    let db = tenants.connect().await;
    let operator = &tenants.world.operator;
    for (tenant, placed) in tenants.handles(&db).await.iter().zip(&tenants.placed) {
        let label = placed.label;
        let table = format!("{}.customers", placed.location().schema);
        let transaction = tenant.transaction().await.unwrap();
        // Hand-written SQL may choose the isolation level: nothing has
        // taken a snapshot yet after the context's `SET LOCAL`s.
        transaction
            .raw_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", &[])
            .await
            .unwrap();
        // A read takes the transaction's snapshot while the tenant is active.
        assert_eq!(transaction.select::<Customer>().count().await.unwrap(), 0);
        // It wrote nothing, so the suspension does not wait for it.
        tokio::time::timeout(
            STALLED,
            operator.suspend(tenant.tenant(), &because("suspended by the test")),
        )
        .await
        .expect("the suspension waits for no write")
        .unwrap();

        let written = transaction
            .insert(NewCustomer::named("after the suspension"))
            .exec()
            .await;
        let committed = match &written {
            Ok(_) => transaction.commit().await.is_ok(),
            Err(_) => false,
        };
        assert_eq!(
            rows(&tenants.world, &table).await,
            0,
            "{label}: a write made after the suspension committed ({written:?}, committed: {committed})"
        );
        // Refused: the fence's lock on the changed residency row cannot be
        // taken from the transaction's older snapshot.
        match written {
            Err(Error::Database { source })
                if source.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE) => {}
            other => panic!("{label}: expected a serialization failure, got {other:?}"),
        }
    }
}

/// Hand-written SQL of `holder` that takes `victim`'s fence lock (`mode`:
/// `pg_advisory_xact_lock` or `pg_advisory_xact_lock_shared`) and keeps it
/// until the returned transaction ends.
async fn hold_fence_lock_of(
    holder: &tenantry::Tenant,
    victim: Uuid,
    function: &str,
) -> tenantry::TenantTransaction {
    let transaction = holder.transaction().await.unwrap();
    transaction
        .raw_query(
            &format!("SELECT {function}($1, hashtext($2::text))"),
            &[&FENCE_LOCK_NAMESPACE, &victim.to_string()],
        )
        .await
        .expect("any role may take any advisory lock");
    transaction
}

#[tokio::test]
async fn a_tenant_cannot_stall_another_tenants_writes_by_taking_its_fence_lock() {
    let tenants = Tenants::provision(&[
        ("attacker", PlacementKind::Pool, MAIN_SERVER),
        ("victim", PlacementKind::Schema, MAIN_SERVER),
    ])
    .await;
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    let (attacker, victim) = (&handles[0], &handles[1]);
    let hold =
        hold_fence_lock_of(attacker, victim.tenant().as_uuid(), "pg_advisory_xact_lock").await;

    let write =
        tokio::time::timeout(STALLED, victim.insert(NewCustomer::named("stalled")).exec()).await;
    hold.rollback().await.unwrap();
    assert!(
        matches!(write, Ok(Ok(1))),
        "the victim's write waited on the attacker's lock: {write:?}"
    );
}

#[tokio::test]
async fn a_tenant_cannot_stall_another_tenants_suspension_by_taking_its_fence_lock() {
    let tenants = Tenants::provision(&[
        ("attacker", PlacementKind::Pool, MAIN_SERVER),
        ("victim", PlacementKind::Pool, MAIN_SERVER),
    ])
    .await;
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    let (attacker, victim) = (&handles[0], &handles[1]);
    // Shared, as the victim's own writes take it: the suspension must wait
    // for the victim's writes, not for anybody who asks.
    let hold = hold_fence_lock_of(
        attacker,
        victim.tenant().as_uuid(),
        "pg_advisory_xact_lock_shared",
    )
    .await;
    let suspension = tokio::time::timeout(
        STALLED,
        tenants
            .world
            .operator
            .suspend(victim.tenant(), &because("suspended by the test")),
    )
    .await;
    hold.rollback().await.unwrap();
    assert!(
        matches!(suspension, Ok(Ok(_))),
        "the victim's suspension waited on the attacker's lock: {:?}",
        suspension.map(|outcome| outcome.map(|record| record.status))
    );
}

#[tokio::test]
async fn a_pool_table_isolated_with_the_rls_helper_is_fenced_too() {
    let (blind, tenants) = Tenants::pool_and_schema_beside_a_blind_process().await;
    // A shared pool table isolated as the README's row-level security
    // section and the quickstart do it.
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    admin
        .batch_execute(&format!(
            "CREATE TABLE public.notes (tenant_id uuid NOT NULL, id uuid NOT NULL, body text,
                 PRIMARY KEY (tenant_id, id));
             GRANT SELECT, INSERT, UPDATE, DELETE ON public.notes TO {role};",
            role = tenants.world.main.app_role
        ))
        .await
        .unwrap();
    tenantry::ops::rls::isolate_table(&admin, None, "notes")
        .await
        .unwrap();
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    let (pool, schema) = (&handles[0], &handles[1]);

    // The schema tenant's rows live in its schema, never in the pool.
    let stray = schema
        .raw_execute(
            "INSERT INTO public.notes (tenant_id, id, body) VALUES ($1, $2, 'stray')",
            &[&schema.tenant().as_uuid(), &Uuid::new_v4()],
        )
        .await;
    // A suspended tenant writes nothing.
    tenants
        .world
        .operator
        .suspend(pool.tenant(), &because("suspended by the test"))
        .await
        .unwrap();
    let late = blind
        .tenant(pool.tenant())
        .await
        .unwrap()
        .raw_execute(
            "INSERT INTO public.notes (tenant_id, id, body) VALUES ($1, $2, 'late')",
            &[&pool.tenant().as_uuid(), &Uuid::new_v4()],
        )
        .await;
    assert_eq!(
        rows(&tenants.world, "public.notes").await,
        0,
        "written into an unfenced pool table: the schema tenant's {stray:?}, the suspended tenant's {late:?}"
    );
    assert!(
        matches!(stray, Err(Error::OutsidePlacement { .. })),
        "{stray:?}"
    );
    assert!(
        matches!(late, Err(Error::TenantNotActive { .. })),
        "{late:?}"
    );
}
