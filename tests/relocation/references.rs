//! Foreign keys at the destination: a copied row that refers to a row the
//! destination lacks is refused with a typed error and the move rolled
//! back, whether the keys are checked as the rows go in (the shared pool)
//! or once after the copy (a database of the tenant's own, whose indexes
//! and keys are made after the rows); and a copy made so ends with the
//! same indexes and keys, by name and definition, as its source.

use tenantry::ops::{Error as OpsError, PlacementKind, RelocationStep};
use tenantry::{MAIN_SERVER, Placement, TenantStatus};

use super::fixtures::{contents, customers_at, fill, handle_at, keys_and_indexes, relocate, to};
use crate::support::NewCustomer;
use crate::support::placements::{SECOND, TENANT};
use crate::support::tenants::Tenants;

/// A pool tenant with three customers and, written past the foreign key
/// by a superuser, an invoice of a customer it does not have, relocated to
/// `placement` on the second server: the move is refused and rolled back.
async fn a_broken_reference_is_refused(placement: PlacementKind) {
    let tenants = Tenants::provision(&[("pool", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    let tenant = db.tenant(id).await.unwrap();
    fill(&tenant, "c", 3).await;
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    admin
        .batch_execute("SET session_replication_role = replica")
        .await
        .unwrap();
    admin
        .execute(
            "INSERT INTO public.invoices (tenant_id, id, customer_id, amount, paid, created_at)
             VALUES ($1, gen_random_uuid(), gen_random_uuid(), 1, false, now())",
            &[&id.as_uuid()],
        )
        .await
        .unwrap();
    let before = contents(&tenant).await.unwrap();

    let failed = tenants
        .world
        .operator
        .relocate(id, &to(placement, SECOND), &TENANT)
        .await;
    match failed {
        Err(OpsError::BrokenReference {
            id: failed,
            table,
            constraint,
        }) => {
            assert_eq!(failed, id);
            assert_eq!(table, "public.invoices");
            assert!(constraint.starts_with("invoices_"), "{constraint}");
        }
        other => panic!("the copy was taken: {other:?}"),
    }

    // Nothing of the move is left at the destination; the tenant is served
    // where it was, and writes.
    let relocation = tenants
        .world
        .operator
        .relocation(id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(relocation.step, RelocationStep::RolledBack);
    assert!(relocation.error.unwrap().contains("refers to rows"));
    let left = customers_at(&tenants, &relocation.to, id).await;
    assert!(matches!(left, None | Some(0)), "{left:?} left");
    let record = tenants.world.operator.tenant(id).await.unwrap();
    assert_eq!(
        (record.placement, record.server.as_str(), record.status),
        (Placement::Pool, MAIN_SERVER, TenantStatus::Active)
    );
    assert_eq!(contents(&tenant).await.unwrap(), before);
    tenant
        .insert(NewCustomer::named("after"))
        .exec()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_broken_reference_is_refused_at_a_database_of_its_own() {
    a_broken_reference_is_refused(PlacementKind::Database).await;
}

#[tokio::test]
async fn a_broken_reference_is_refused_in_the_shared_pool() {
    a_broken_reference_is_refused(PlacementKind::Pool).await;
}

#[tokio::test]
async fn a_database_of_its_own_ends_with_the_sources_indexes_and_keys() {
    let tenants = Tenants::provision(&[("pool", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    let tenant = db.tenant(id).await.unwrap();
    fill(&tenant, "c", 5).await;
    let before = contents(&tenant).await.unwrap();

    let report = relocate(&tenants, id, &to(PlacementKind::Database, SECOND)).await;
    let Placement::Database(database) = &report.relocation.to.placement else {
        panic!("moved to a database");
    };
    let source = keys_and_indexes(&tenants.world.admin(MAIN_SERVER, None).await).await;
    let destination = tenants.world.admin(SECOND, Some(database.as_str())).await;
    assert_eq!(keys_and_indexes(&destination).await, source);
    let valid: bool = destination
        .query_one(
            "SELECT bool_and(i.indisvalid) AND bool_and(k.convalidated)
             FROM pg_index i, pg_constraint k
             WHERE i.indrelid = 'public.invoices'::regclass
               AND k.conrelid = 'public.invoices'::regclass",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(valid, "an index or key of the copy is not valid");

    let tenant = handle_at(&db, id, &report.relocation.to).await;
    assert_eq!(contents(&tenant).await.unwrap(), before);
}
