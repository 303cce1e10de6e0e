//! Every transition between placements, on one server and across the two:
//! every row arrives, the registry and new handles go to the new place,
//! handles made before (batch handles and support access too) are refused,
//! the source refuses writes until it is dropped, and the other tenants see
//! nothing.

use tenantry::ops::{Error as OpsError, Place, PlacementKind, RelocationStep};
use tenantry::{Access, Error, MAIN_SERVER, Placement, TenantStatus};

use super::fixtures::{contents, customers_at, fill, handle_at, moved, relocate, to};
use crate::support::eventually::eventually;
use crate::support::placements::{SECOND, TENANT};
use crate::support::tenants::Tenants;
use crate::support::{Customer, NewCustomer};

/// The terms of a support access that outlives the test.
fn support_terms() -> Access {
    Access {
        actor: "ada@support".to_owned(),
        reason: "a ticket during a move".to_owned(),
        ticket: None,
        expires: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    }
}

/// Moves each tenant of `moves` (label, placement, server, then the
/// destination's placement and server) while bystanders in both pools
/// keep their rows, and checks everything the module promises.
async fn moves_and_checks(
    moves: &[(
        &'static str,
        PlacementKind,
        &'static str,
        PlacementKind,
        &'static str,
    )],
) {
    let mut spots: Vec<_> = moves
        .iter()
        .map(|&(label, kind, server, _, _)| (label, kind, server))
        .collect();
    spots.push(("bystander_main", PlacementKind::Pool, MAIN_SERVER));
    spots.push(("bystander_second", PlacementKind::Pool, SECOND));
    let tenants = Tenants::provision(&spots).await;
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    for (placed, tenant) in tenants.placed.iter().zip(&handles) {
        fill(tenant, placed.label, 4).await;
    }
    let bystanders = [&handles[moves.len()], &handles[moves.len() + 1]];
    let mut bystanders_before = Vec::new();
    for bystander in bystanders {
        bystanders_before.push(contents(bystander).await.unwrap());
    }

    for (index, &(label, _, _, kind, server)) in moves.iter().enumerate() {
        let placed = &tenants.placed[index];
        let (id, old) = (placed.record.id, &handles[index]);
        let before = contents(old).await.unwrap();
        let from = Place {
            placement: placed.record.placement.clone(),
            server: placed.record.server.clone(),
        };

        // A transaction begun at the source before the move, that writes
        // only after it.
        let stale = old.transaction().await.unwrap();
        stale.select::<Customer>().count().await.unwrap();
        // Its batch handle and a support access, made before the move.
        let old_batch = old.batch().unwrap();
        let old_support = db.support_access(id, support_terms()).await.unwrap();

        let report = relocate(&tenants, id, &to(kind, server)).await;
        let destination = report.relocation.to.clone();
        assert_eq!(report.relocation.step, RelocationStep::Flipped, "{label}");
        assert_eq!(report.relocation.from, from, "{label}");
        let arrived = match destination.placement {
            Placement::Pool => PlacementKind::Pool,
            Placement::Schema(_) => PlacementKind::Schema,
            Placement::Database(_) => PlacementKind::Database,
        };
        assert_eq!(arrived, kind, "{label}");
        assert_eq!(destination.server, server, "{label}");
        assert!(report.blocked.is_some(), "{label}");
        assert_eq!(
            report.rows_copied, 12,
            "{label}: 4 customers, invoices and events copied once"
        );
        let record = tenants.world.operator.tenant(id).await.unwrap();
        assert_eq!(
            (&record.placement, record.server.as_str(), record.status),
            (&destination.placement, server, TenantStatus::Active),
            "{label}"
        );

        // The source's fence refuses its write: the tenant moved (in one
        // database, whose one residency row is the destination's now, its
        // rows live elsewhere).
        let late = stale.insert(NewCustomer::named("late")).exec().await;
        let one_database = from.server == destination.server
            && from.placement.database().is_none()
            && destination.placement.database().is_none();
        if one_database {
            assert!(
                matches!(late, Err(Error::OutsidePlacement { id: refused, .. }) if refused == id),
                "{label}: {late:?}"
            );
        } else {
            assert!(moved(&late, id), "{label}: {late:?}");
        }
        drop(stale);

        // New handles go to the new place and read every row as it was.
        let new = handle_at(&db, id, &destination).await;
        assert_eq!(contents(&new).await.unwrap(), before, "{label}");
        new.insert(NewCustomer::named("after the move"))
            .exec()
            .await
            .unwrap();
        // The handle made before is refused once its process hears of it.
        let refused = eventually(
            std::time::Duration::from_secs(10),
            || async { old.select::<Customer>().count().await },
            |result| moved(result, id),
        )
        .await;
        assert!(moved(&refused, id), "{label}: {refused:?}");
        // So are the batch handle and the support access made before it:
        // neither writes at the source nor reads there.
        let late = old_batch
            .insert(NewCustomer::named("late batch"))
            .exec()
            .await;
        assert!(moved(&late, id), "{label}: batch {late:?}");
        let late = old_batch.raw_query("SELECT id FROM customers", &[]).await;
        assert!(moved(&late, id), "{label}: batch {late:?}");
        let late = old_support.select::<Customer>().count().await;
        assert!(moved(&late, id), "{label}: support {late:?}");

        // The source is kept, unchanged, until the move is finished.
        assert_eq!(customers_at(&tenants, &from, id).await, Some(4), "{label}");
        assert_eq!(
            customers_at(&tenants, &destination, id).await,
            Some(5),
            "{label}"
        );
        let finished = tenants.world.operator.finish_relocation(id).await.unwrap();
        assert_eq!(finished.step, RelocationStep::Finished, "{label}");
        let left = customers_at(&tenants, &from, id).await;
        assert!(
            matches!(left, None | Some(0)),
            "{label}: {left:?} left at the source"
        );
        assert_eq!(contents(&new).await.unwrap().customers.len(), 5, "{label}");
        assert!(matches!(
            tenants.world.operator.finish_relocation(id).await,
            Err(OpsError::NoRelocation { .. })
        ));
    }

    for (bystander, before) in bystanders.iter().zip(&bystanders_before) {
        assert_eq!(&contents(bystander).await.unwrap(), before);
    }
}

#[tokio::test]
async fn pool_tenants_move_to_a_schema_and_to_a_database_on_either_server() {
    moves_and_checks(&[
        (
            "pool_to_schema",
            PlacementKind::Pool,
            MAIN_SERVER,
            PlacementKind::Schema,
            MAIN_SERVER,
        ),
        (
            "pool_to_database",
            PlacementKind::Pool,
            MAIN_SERVER,
            PlacementKind::Database,
            SECOND,
        ),
        (
            "pool_to_pool",
            PlacementKind::Pool,
            SECOND,
            PlacementKind::Pool,
            MAIN_SERVER,
        ),
    ])
    .await;
}

#[tokio::test]
async fn schema_tenants_move_to_a_database_and_to_the_pool() {
    moves_and_checks(&[
        (
            "schema_to_database",
            PlacementKind::Schema,
            MAIN_SERVER,
            PlacementKind::Database,
            MAIN_SERVER,
        ),
        (
            "schema_to_pool",
            PlacementKind::Schema,
            SECOND,
            PlacementKind::Pool,
            SECOND,
        ),
        (
            "schema_to_schema",
            PlacementKind::Schema,
            MAIN_SERVER,
            PlacementKind::Schema,
            SECOND,
        ),
    ])
    .await;
}

#[tokio::test]
async fn database_tenants_move_to_the_pool_and_to_a_schema() {
    moves_and_checks(&[
        (
            "database_to_pool",
            PlacementKind::Database,
            SECOND,
            PlacementKind::Pool,
            MAIN_SERVER,
        ),
        (
            "database_to_schema",
            PlacementKind::Database,
            MAIN_SERVER,
            PlacementKind::Schema,
            MAIN_SERVER,
        ),
        (
            "database_to_database",
            PlacementKind::Database,
            MAIN_SERVER,
            PlacementKind::Database,
            SECOND,
        ),
    ])
    .await;
}

#[tokio::test]
async fn a_move_to_where_the_tenant_lives_or_at_another_version_is_refused_and_makes_nothing() {
    let tenants = Tenants::provision(&[("pool", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let operator = &tenants.world.operator;
    let same = operator
        .relocate(id, &to(PlacementKind::Pool, MAIN_SERVER), &TENANT)
        .await;
    assert!(
        matches!(same, Err(OpsError::SamePlacement { .. })),
        "{same:?}"
    );
    let unknown = operator
        .relocate(id, &to(PlacementKind::Database, "nowhere"), &TENANT)
        .await;
    assert!(
        matches!(
            unknown,
            Err(OpsError::Runtime(tenantry::Error::UnknownServer { .. }))
        ),
        "{unknown:?}"
    );

    // Migrations other than those the tenant's tables have applied.
    static OTHER: tenantry::ops::migrate::MigrationSet =
        tenantry::embed_migrations!("tests/migrations/backfill");
    let other = operator
        .relocate(id, &to(PlacementKind::Schema, SECOND), &OTHER)
        .await;
    assert!(
        matches!(
            other,
            Err(OpsError::VersionMismatch {
                from: Some(3),
                to: Some(2),
                ..
            })
        ),
        "{other:?}"
    );
    let schema = format!("tenant_{}", tenants.placed[0].record.slug);
    let made: bool = tenants
        .world
        .admin(SECOND, None)
        .await
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)",
            &[&schema],
        )
        .await
        .unwrap()
        .get(0);
    assert!(!made, "a refused move made its schema");
    // The refused move is recorded rolled back, with why.
    let recorded = operator.relocation(id).await.unwrap().expect("a move");
    assert_eq!(recorded.step, RelocationStep::RolledBack);
    assert!(recorded.error.unwrap().contains("version"));
    assert_eq!(
        operator.tenant(id).await.unwrap().status,
        TenantStatus::Active
    );
    assert!(matches!(
        operator.rollback_relocation(id).await,
        Err(OpsError::NoRelocation { .. })
    ));
}

#[tokio::test]
async fn an_erasure_waits_for_the_move_to_end_that_keeps_a_second_copy() {
    let tenants = Tenants::provision(&[("erased", PlacementKind::Schema, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    fill(&db.tenant(id).await.unwrap(), "c", 3).await;
    let report = relocate(&tenants, id, &to(PlacementKind::Database, SECOND)).await;
    let operator = &tenants.world.operator;
    let why = crate::support::placements::because("right to erasure");

    // The source schema is kept: an erasure now would leave it behind.
    let refused = operator.erase(id, &why).await;
    assert!(
        matches!(
            refused,
            Err(OpsError::RelocationInProgress {
                step: RelocationStep::Flipped,
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(
        operator.tenant(id).await.unwrap().status,
        TenantStatus::Active
    );
    assert_eq!(
        customers_at(&tenants, &report.relocation.from, id).await,
        Some(3)
    );

    operator.finish_relocation(id).await.unwrap();
    let proof = operator.erase(id, &why).await.unwrap();
    assert!(
        proof.checks.iter().all(|check| check.remaining == 0),
        "{proof:#?}"
    );
    assert_eq!(
        customers_at(&tenants, &report.relocation.from, id).await,
        None
    );
    assert_eq!(
        customers_at(&tenants, &report.relocation.to, id).await,
        None
    );
}

#[tokio::test]
async fn a_suspended_tenant_stays_suspended_through_its_open_move() {
    let tenants = Tenants::provision(&[("paused", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    fill(&db.tenant(id).await.unwrap(), "c", 2).await;
    let destination = to(PlacementKind::Schema, SECOND);
    relocate(&tenants, id, &destination).await;
    let operator = &tenants.world.operator;
    let why = crate::support::placements::because("unpaid");
    operator.suspend(id, &why).await.unwrap();

    // Neither running the move again nor moving it back serves it again.
    let again = operator.relocate(id, &destination, &TENANT).await;
    let back = operator.rollback_relocation(id).await;
    for refused in [again.map(drop), back.map(drop)] {
        assert!(
            matches!(
                refused,
                Err(OpsError::Runtime(tenantry::Error::TenantNotActive {
                    status: TenantStatus::Suspended,
                    ..
                }))
            ),
            "{refused:?}"
        );
    }
    assert_eq!(
        operator.tenant(id).await.unwrap().status,
        TenantStatus::Suspended
    );

    operator.resume(id, &why).await.unwrap();
    let rolled = operator.rollback_relocation(id).await.unwrap();
    assert_eq!(rolled.step, RelocationStep::RolledBack);
    let back = handle_at(&db, id, &rolled.from).await;
    assert_eq!(contents(&back).await.unwrap().customers.len(), 2);
}
