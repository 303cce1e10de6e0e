//! Hand-written SQL that forgets the tenant filter, on a tenant's handle and
//! in its transaction, sees and changes only that tenant's rows, in every
//! placement; a row written for another tenant, or moved to another tenant,
//! is refused by the policy's WITH CHECK with a typed error (the tenant
//! migrations isolate their tables in every placement, which is checked
//! first); and naming another placement's table explicitly reaches nothing.

use tenantry::{Error, Tenant, TenantId};
use uuid::Uuid;

use super::{SEEDED_CUSTOMERS, SHARED_CUSTOMERS, Seeded};
use crate::support::tenants::{Location, TABLES};

#[tokio::test]
async fn hand_written_sql_without_a_tenant_filter_stays_within_its_tenant() {
    let seeded = Seeded::everywhere().await;
    assert_every_table_is_isolated(&seeded).await;
    for (placed, tenant) in seeded.each() {
        let before = seeded.snapshot().await;
        let label = placed.label;
        let own = tenant.tenant().as_uuid();
        assert_eq!(owners_seen(tenant).await, [own], "{label}");
        let shared: i64 = tenant
            .raw_query(
                "SELECT count(*) FROM customers WHERE id = ANY($1)",
                &[&SHARED_CUSTOMERS.to_vec()],
            )
            .await
            .unwrap()[0]
            .get(0);
        assert_eq!(shared as usize, SHARED_CUSTOMERS.len(), "{label}");
        let touched = tenant
            .raw_execute(
                "UPDATE customers SET email = $1",
                &[&format!("{label}@example.com")],
            )
            .await
            .unwrap();
        assert_eq!(
            touched as usize, SEEDED_CUSTOMERS,
            "{label} updated other rows"
        );

        let transaction = tenant.transaction().await.unwrap();
        let seen: Vec<Uuid> = transaction
            .raw_query("SELECT DISTINCT tenant_id FROM invoices", &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        assert_eq!(seen, [own], "{label} in a transaction");
        let touched = transaction
            .raw_execute("UPDATE invoices SET paid = true", &[])
            .await
            .unwrap();
        assert_eq!(
            touched, 4,
            "{label} updated other invoices in a transaction"
        );
        transaction.commit().await.unwrap();

        for other in seeded.others(placed) {
            assert_writes_for_another_tenant_are_refused(tenant, label, other).await;
        }
        seeded.assert_only_changed(&before, Some(placed)).await;
    }
}

/// The tenant ids whose customers `tenant`'s unfiltered SQL sees.
async fn owners_seen(tenant: &Tenant) -> Vec<Uuid> {
    tenant
        .raw_query("SELECT DISTINCT tenant_id FROM customers", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

async fn assert_writes_for_another_tenant_are_refused(
    tenant: &Tenant,
    label: &str,
    other: TenantId,
) {
    let insert = "INSERT INTO customers (tenant_id, id, name) VALUES ($1, $2, 'planted')";
    let other_id = other.as_uuid();
    let planted = tenant
        .raw_execute(insert, &[&other_id, &Uuid::new_v4()])
        .await;
    assert_refused(planted, &format!("{label} inserted a row for {other}"));
    let moved = tenant
        .raw_execute(
            "UPDATE customers SET tenant_id = $1 WHERE id = $2",
            &[&other_id, &SHARED_CUSTOMERS[0]],
        )
        .await;
    assert_refused(moved, &format!("{label} moved its row to {other}"));
    let deleted = tenant
        .raw_execute("DELETE FROM invoices WHERE tenant_id = $1", &[&other_id])
        .await
        .unwrap();
    assert_eq!(deleted, 0, "{label} deleted {other}'s invoices");

    let transaction = tenant.transaction().await.unwrap();
    let planted = transaction
        .raw_execute(insert, &[&other_id, &Uuid::new_v4()])
        .await;
    assert_refused(
        planted,
        &format!("{label} inserted a row for {other} in a transaction"),
    );
    transaction.rollback().await.unwrap();
    let transaction = tenant.transaction().await.unwrap();
    let moved = transaction
        .raw_execute(
            "UPDATE invoices SET tenant_id = $1 WHERE amount = 100",
            &[&other_id],
        )
        .await;
    assert_refused(
        moved,
        &format!("{label} moved its invoice to {other} in a transaction"),
    );
    transaction.rollback().await.unwrap();
}

fn assert_refused(outcome: Result<u64, Error>, what: &str) {
    assert!(
        matches!(outcome, Err(Error::PermissionDenied { .. })),
        "{what}: {outcome:?}"
    );
}

/// Every table of every placement has row-level security enabled and forced,
/// and a policy that checks written rows against the tenant context.
async fn assert_every_table_is_isolated(seeded: &Seeded) {
    for location in seeded.tenants.locations() {
        let admin = seeded.tenants.admin(&location).await;
        for table in TABLES {
            let row = admin
                .query_one(
                    "SELECT c.relrowsecurity AND c.relforcerowsecurity,
                            coalesce(bool_and(p.with_check LIKE '%tenantry.tenant_id%'), false)
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     LEFT JOIN pg_policies p ON p.schemaname = n.nspname AND p.tablename = c.relname
                     WHERE n.nspname = $1 AND c.relname = $2
                     GROUP BY c.relrowsecurity, c.relforcerowsecurity",
                    &[&location.schema, &table],
                )
                .await
                .unwrap();
            assert!(
                row.get::<_, bool>(0),
                "RLS is not forced on {table} at {location:?}"
            );
            assert!(
                row.get::<_, bool>(1),
                "no WITH CHECK on {table} at {location:?}"
            );
        }
    }
}

#[tokio::test]
async fn hand_written_sql_naming_another_placements_table_reaches_nothing() {
    let seeded = Seeded::everywhere().await;
    let before = seeded.snapshot().await;
    for (placed, tenant) in seeded.each() {
        let here = placed.location();
        let reachable = seeded
            .tenants
            .locations()
            .into_iter()
            .filter(|there| *there != here && same_database(there, &here));
        for there in reachable {
            let table = format!("\"{}\".customers", there.schema);
            let read = tenant
                .raw_query(&format!("SELECT tenant_id FROM {table}"), &[])
                .await;
            let what = format!("{} reading {table}", placed.label);
            match read {
                Ok(rows) => assert!(rows.is_empty(), "{what}: {} rows", rows.len()),
                Err(error) => assert!(
                    matches!(error, Error::PermissionDenied { .. }),
                    "{what}: {error}"
                ),
            }
            let written = tenant
                .raw_execute(&format!("UPDATE {table} SET name = 'overwritten'"), &[])
                .await;
            // The placement refuses the write outright.
            match written {
                Err(Error::OutsidePlacement { id, .. }) => assert_eq!(id, placed.record.id),
                other => panic!("{what}: updating gave {other:?}"),
            }
        }
    }
    seeded.assert_only_changed(&before, None).await;
}

fn same_database(one: &Location, other: &Location) -> bool {
    one.server == other.server && one.database == other.database
}
