//! Suspending and resuming: the registry records who, when and why in a
//! history nobody can rewrite, a handle is refused at its next statement,
//! and a blank reason changes nothing.

use tenantry::ops::{Error as OpsError, PlacementKind, Reason};
use tenantry::{Error, MAIN_SERVER, TenantStatus};
use tokio_postgres::error::SqlState;

use crate::support::placements::SECOND;
use crate::support::tenants::Tenants;
use crate::support::{Customer, NewCustomer};

/// The rows of the status history of `tenant`: status, actor, reason, reference.
async fn history(
    tenants: &Tenants,
    tenant: tenantry::TenantId,
) -> Vec<(String, String, String, Option<String>)> {
    tenants
        .world
        .admin(MAIN_SERVER, None)
        .await
        .query(
            "SELECT status, actor, reason, reference FROM tenantry_control.status_changes
             WHERE tenant_id = $1 ORDER BY id",
            &[&tenant.as_uuid()],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2), row.get(3)))
        .collect()
}

#[tokio::test]
async fn a_handle_is_refused_at_its_next_statement_once_suspended_in_every_placement() {
    let tenants = Tenants::provision(&[
        ("pool", PlacementKind::Pool, SECOND),
        ("schema", PlacementKind::Schema, MAIN_SERVER),
        ("database", PlacementKind::Database, SECOND),
    ])
    .await;
    let db = tenants.connect().await;
    let operator = &tenants.world.operator;
    let why = Reason::new("billing-bot", "invoice 117 unpaid").with_reference("BILL-117");
    for (tenant, placed) in tenants.handles(&db).await.iter().zip(&tenants.placed) {
        let label = placed.label;
        tenant
            .insert(NewCustomer::named("before"))
            .exec()
            .await
            .unwrap();
        let suspended = operator.suspend(tenant.tenant(), &why).await.unwrap();
        assert_eq!(suspended.status, TenantStatus::Suspended, "{label}");
        let change = suspended.last_change.expect("the change is recorded");
        assert_eq!(
            (change.status, change.actor.as_str(), change.reason.as_str()),
            (TenantStatus::Suspended, "billing-bot", "invoice 117 unpaid"),
            "{label}"
        );
        assert_eq!(change.reference.as_deref(), Some("BILL-117"));
        // The handle made before: a write is refused at once, by the fence
        // in its placement; a read as soon as the registry's notification
        // reaches this process (reads are not fenced).
        let refused = |outcome: Result<(), Error>, what: &str| match outcome {
            Err(Error::TenantNotActive { id, status }) => {
                assert_eq!((id, status), (tenant.tenant(), TenantStatus::Suspended));
            }
            other => panic!("{label}: a {what} of a suspended tenant: {other:?}"),
        };
        let write = tenant
            .insert(NewCustomer::named("late"))
            .exec()
            .await
            .map(drop);
        refused(write, "write");
        let heard = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let read = loop {
            let read = tenant.select::<Customer>().count().await.map(drop);
            if read.is_err() || std::time::Instant::now() > heard {
                break read;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        refused(read, "read");
        assert!(matches!(
            db.tenant(tenant.tenant()).await,
            Err(Error::TenantNotActive {
                status: TenantStatus::Suspended,
                ..
            })
        ));

        let resumed = operator
            .resume(tenant.tenant(), &Reason::new("billing-bot", "paid"))
            .await
            .unwrap();
        assert_eq!(resumed.status, TenantStatus::Active);
        assert_eq!(resumed.last_change.unwrap().reason, "paid");
        tenant
            .insert(NewCustomer::named("after"))
            .exec()
            .await
            .unwrap();
        assert_eq!(
            tenant.select::<Customer>().count().await.unwrap(),
            2,
            "{label}"
        );
        assert_eq!(
            history(&tenants, tenant.tenant()).await,
            [
                (
                    "suspended".to_owned(),
                    "billing-bot".to_owned(),
                    "invoice 117 unpaid".to_owned(),
                    Some("BILL-117".to_owned())
                ),
                (
                    "active".to_owned(),
                    "billing-bot".to_owned(),
                    "paid".to_owned(),
                    None
                ),
            ],
            "{label}"
        );
    }
}

#[tokio::test]
async fn a_blank_reason_changes_nothing() {
    let tenants = Tenants::provision(&[("pool", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    for (reason, field) in [
        (Reason::new(" ", "why"), "actor"),
        (Reason::new("ops", ""), "reason"),
        (Reason::new("ops", "why").with_reference("\t"), "reference"),
    ] {
        match tenants.world.operator.suspend(id, &reason).await {
            Err(OpsError::BlankReason { field: blank }) => assert_eq!(blank, field),
            other => panic!("a blank {field}: {other:?}"),
        }
    }
    let db = tenants.connect().await;
    let tenant = db.tenant(id).await.expect("still active");
    tenant
        .insert(NewCustomer::named("still"))
        .exec()
        .await
        .unwrap();
    assert!(history(&tenants, id).await.is_empty());
    let record = &tenants.world.operator.tenants().await.unwrap()[0];
    assert_eq!(
        (record.status, &record.last_change),
        (TenantStatus::Active, &None)
    );
}

#[tokio::test]
async fn the_status_history_cannot_be_rewritten_or_read_by_the_application() {
    let tenants = Tenants::provision(&[("pool", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    tenants
        .world
        .operator
        .suspend(id, &Reason::new("ops", "abuse report"))
        .await
        .unwrap();
    // Not even its owner, a superuser here, may rewrite it.
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    for sql in [
        "UPDATE tenantry_control.status_changes SET reason = 'nothing happened'",
        "DELETE FROM tenantry_control.status_changes",
        "TRUNCATE tenantry_control.status_changes",
    ] {
        let error = admin.batch_execute(sql).await.expect_err(sql);
        assert_eq!(
            error.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {error}"
        );
    }
    let app = tokio_postgres::connect(&tenants.world.main.app_url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(app.1);
    for sql in [
        "SELECT * FROM tenantry_control.status_changes",
        "INSERT INTO tenantry_control.status_changes (tenant_id, status, actor, reason)
             VALUES (gen_random_uuid(), 'active', 'app', 'forged')",
    ] {
        let error = app.0.batch_execute(sql).await.expect_err(sql);
        assert_eq!(
            error.code(),
            Some(&SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {error}"
        );
    }
    assert_eq!(history(&tenants, id).await.len(), 1);
}
