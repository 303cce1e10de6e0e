//! A destination that does not take the copy as it was sent (a trigger
//! there drops rows) fails verification: the move is rolled back, the
//! destination's rows removed, and the tenant is untouched, writing on.

use tenantry::ops::{Error as OpsError, Place, PlacementKind, RelocationStep};
use tenantry::{MAIN_SERVER, Placement, TenantStatus};

use super::fixtures::{contents, customers_at, fill, to};
use crate::support::NewCustomer;
use crate::support::placements::{SECOND, TENANT};
use crate::support::tenants::Tenants;

#[tokio::test]
async fn a_copy_that_does_not_verify_is_rolled_back_and_the_tenant_is_untouched() {
    let tenants = Tenants::provision(&[("pool", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    let tenant = db.tenant(id).await.unwrap();
    fill(&tenant, "c", 3).await;
    let before = contents(&tenant).await.unwrap();

    // The second server's pool silently drops one event of the tenant.
    tenants
        .world
        .admin(SECOND, None)
        .await
        .batch_execute(
            "CREATE FUNCTION public.drop_event() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RETURN CASE WHEN NEW.id = 1 THEN NULL ELSE NEW END; END $$;
             CREATE TRIGGER drop_event BEFORE INSERT ON public.events
                 FOR EACH ROW EXECUTE FUNCTION public.drop_event();",
        )
        .await
        .unwrap();
    let failed = tenants
        .world
        .operator
        .relocate(id, &to(PlacementKind::Pool, SECOND), &TENANT)
        .await;
    match failed {
        Err(OpsError::VerificationFailed {
            id: failed,
            table,
            source_rows: 3,
            target_rows: 2,
        }) => {
            assert_eq!(failed, id);
            assert_eq!(table, "public.events");
        }
        other => panic!("the copy verified: {other:?}"),
    }

    // Nothing of the move is left at the destination; the tenant is served
    // where it was, and writes.
    let second_pool = Place {
        placement: Placement::Pool,
        server: SECOND.to_owned(),
    };
    assert_eq!(customers_at(&tenants, &second_pool, id).await, Some(0));
    let record = tenants.world.operator.tenant(id).await.unwrap();
    assert_eq!(
        (record.placement, record.server.as_str(), record.status),
        (Placement::Pool, MAIN_SERVER, TenantStatus::Active)
    );
    let relocation = tenants
        .world
        .operator
        .relocation(id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(relocation.step, RelocationStep::RolledBack);
    assert!(relocation.error.unwrap().contains("does not match"));
    assert_eq!(contents(&tenant).await.unwrap(), before);
    tenant
        .insert(NewCustomer::named("after"))
        .exec()
        .await
        .unwrap();
}
