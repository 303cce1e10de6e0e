//! Erasure with a proof, in every placement on two servers: foreign keys
//! between scoped tables, a shared table that refers to the tenant, a
//! writing transaction under way, and the tombstone every handle and every
//! later provisioning meets.

use tenantry::ops::{Error as OpsError, NewTenant, PlacementKind, Reason};
use tenantry::{Error, MAIN_SERVER, Placement};
use tokio_postgres::error::SqlState;

use super::erasure_fixtures::{erased, filled, usage_rows, writing};
use crate::support::placements::{SECOND, TENANT};
use crate::support::{Customer, Invoice};

#[tokio::test]
async fn an_erasure_leaves_nothing_in_any_placement_and_proves_it() {
    let (tenants, db, handles) = filled(
        &[
            ("pool_main", PlacementKind::Pool, MAIN_SERVER),
            ("pool_second", PlacementKind::Pool, SECOND),
            ("schema_second", PlacementKind::Schema, SECOND),
            ("db_main", PlacementKind::Database, MAIN_SERVER),
            ("stays_pool", PlacementKind::Pool, MAIN_SERVER),
            ("stays_schema", PlacementKind::Schema, SECOND),
        ],
        3,
    )
    .await;
    let operator = tenants.world.operator();
    let why = Reason::new("dpo@example.com", "right to erasure").with_reference("GDPR-2024-17");
    for (placed, tenant) in tenants.placed.iter().zip(&handles).take(4) {
        let label = placed.label;
        // A transaction that has written holds the erasure back, and what it
        // committed is erased too.
        let transaction = writing(tenant).await;
        let erasure = tokio::spawn({
            let operator = tenants.world.operator();
            let (id, why) = (placed.record.id, why.clone());
            async move { operator.erase(id, &why).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(
            !erasure.is_finished(),
            "{label}: the erasure waits for the writer"
        );
        transaction.commit().await.unwrap();
        let record = erasure
            .await
            .unwrap()
            .unwrap_or_else(|error| panic!("{label}: {error}"));

        assert_eq!(
            (record.tenant, record.slug.as_str()),
            (placed.record.id, placed.record.slug.as_str())
        );
        assert_eq!(record.placement, placed.record.placement.to_string());
        assert_eq!(
            record.servers[0], placed.record.server,
            "{label}: its server first"
        );
        assert_eq!(record.servers.len(), 2);
        assert_eq!(
            (
                record.actor.as_str(),
                record.reason.as_str(),
                record.reference.as_deref()
            ),
            ("dpo@example.com", "right to erasure", Some("GDPR-2024-17"))
        );
        assert!(
            record.checks.iter().all(|check| check.remaining == 0),
            "{label}: {record:#?}"
        );
        for server in [MAIN_SERVER, SECOND] {
            for table in ["public.customers", "public.invoices", "shared.usage"] {
                assert!(
                    record
                        .checks
                        .iter()
                        .any(|check| check.server == server && check.object == table),
                    "{label}: {table} on {server} not checked: {:#?}",
                    record.checks
                );
            }
        }
        if let Placement::Schema(own) | Placement::Database(own) = &placed.record.placement {
            assert!(
                record
                    .checks
                    .iter()
                    .any(|check| check.object.ends_with(own.as_str())),
                "{label}: its own schema or database is not checked"
            );
        }
        assert!(record.is_intact() && record.digest.len() == 64, "{label}");
        assert_eq!(
            operator.erasure_record(placed.record.id).await.unwrap(),
            record
        );
        // Idempotent: the same proof again.
        assert_eq!(
            operator.erase(placed.record.id, &why).await.unwrap(),
            record,
            "{label}"
        );

        // What the proof says, seen independently.
        let location = placed.location();
        let admin = tenants.world.admin(&location.server, None).await;
        let customers: i64 = admin
            .query_one(
                "SELECT count(*) FROM public.customers WHERE tenant_id = $1",
                &[&placed.uuid()],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(customers, 0, "{label}");
        assert_eq!(usage_rows(&tenants, placed.uuid()).await, 0, "{label}");
        let own_gone: bool = admin
            .query_one(
                "SELECT NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)
                    AND NOT EXISTS (SELECT FROM pg_database WHERE datname = $1)",
                &[&placed.record.slug.replace(
                    &placed.record.slug,
                    &format!("tenant_{}", placed.record.slug),
                )],
            )
            .await
            .unwrap()
            .get(0);
        assert!(own_gone, "{label}: its schema or database is left");

        // The tombstone: every handle, old or new, gets the typed error.
        erased(
            tenant.select::<Customer>().count().await,
            placed.record.id,
            label,
        );
        erased(
            db.tenant(placed.record.id).await.map(drop),
            placed.record.id,
            label,
        );
        let fresh = tenants.connect().await;
        erased(
            fresh.tenant(placed.record.id).await.map(drop),
            placed.record.id,
            label,
        );
        // Its slug and its id are never provisioned again.
        let kind = match placed.record.placement {
            Placement::Pool => PlacementKind::Pool,
            Placement::Schema(_) => PlacementKind::Schema,
            Placement::Database(_) => PlacementKind::Database,
        };
        for again in [
            NewTenant::new(&placed.record.slug, kind).on_server(&placed.record.server),
            NewTenant::new("another_slug", kind).with_id(placed.record.id),
        ] {
            match operator.provision(&again, &TENANT).await {
                Err(OpsError::Runtime(Error::TenantErased { id })) => {
                    assert_eq!(id, placed.record.id)
                }
                other => panic!("{label}: provisioning an erased tenant again: {other:?}"),
            }
        }
        assert!(matches!(
            operator
                .resume(placed.record.id, &Reason::new("ops", "undo"))
                .await,
            Err(OpsError::Runtime(Error::TenantErased { .. }))
        ));
    }
    // The neighbours keep everything.
    for (placed, tenant) in tenants.placed.iter().zip(&handles).skip(4) {
        assert_eq!(
            tenant.select::<Customer>().count().await.unwrap(),
            3,
            "{}",
            placed.label
        );
        assert_eq!(
            tenant.select::<Invoice>().count().await.unwrap(),
            3,
            "{}",
            placed.label
        );
        assert_eq!(
            usage_rows(&tenants, placed.uuid()).await,
            2,
            "{}",
            placed.label
        );
    }
    // The proof and the tombstone cannot be rewritten, even by their owner.
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    let erased_id = tenants.placed[0].uuid();
    for sql in [
        "UPDATE tenantry_control.erasures SET actor = 'nobody'",
        "DELETE FROM tenantry_control.erasures",
        "TRUNCATE tenantry_control.erasures",
    ] {
        let error = admin.batch_execute(sql).await.expect_err(sql);
        assert_eq!(
            error.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}"
        );
    }
    for sql in [
        "UPDATE tenantry_control.tenants SET status = 'active' WHERE id = $1",
        "DELETE FROM tenantry_control.tenants WHERE id = $1",
    ] {
        let error = admin.execute(sql, &[&erased_id]).await.expect_err(sql);
        assert_eq!(
            error.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}"
        );
    }
}
