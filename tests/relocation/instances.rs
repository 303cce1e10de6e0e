//! A second application instance, its cache warm with the tenant's old
//! place, routes to the new place once the move flips: the registry's
//! notification revokes its handles, and the fence refuses a write that
//! races it.

use std::time::Duration;

use tenantry::ops::PlacementKind;
use tenantry::{MAIN_SERVER, Tenantry};

use super::fixtures::{contents, fill, handle_at, moved, relocate, to};
use crate::support::eventually::eventually;
use crate::support::placements::SECOND;
use crate::support::tenants::Tenants;
use crate::support::{Customer, NewCustomer};

#[tokio::test]
async fn a_second_instance_with_a_warm_cache_routes_to_the_new_place() {
    let tenants = Tenants::provision(&[("hot", PlacementKind::Schema, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let first = tenants.connect().await;
    let second = Tenantry::connect(tenants.world.app_config()).await.unwrap();
    let writer = first.tenant(id).await.unwrap();
    fill(&writer, "c", 5).await;
    // Both caches are warm: each has resolved the tenant and read.
    let warm = second.tenant(id).await.unwrap();
    let before = contents(&warm).await.unwrap();
    assert_eq!(before.customers.len(), 5);

    let report = relocate(&tenants, id, &to(PlacementKind::Database, SECOND)).await;
    let place = &report.relocation.to;
    let mut moved_handles = Vec::new();
    for (db, old) in [(&first, &writer), (&second, &warm)] {
        let refused = eventually(
            Duration::from_secs(10),
            || async { old.select::<Customer>().count().await },
            |result| moved(result, id),
        )
        .await;
        assert!(moved(&refused, id), "{refused:?}");
        let tenant = handle_at(db, id, place).await;
        assert_eq!(contents(&tenant).await.unwrap(), before);
        moved_handles.push(tenant);
    }
    for tenant in &moved_handles {
        tenant
            .insert(NewCustomer::named("after"))
            .exec()
            .await
            .unwrap();
    }
    let tenant = handle_at(&second, id, place).await;
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 7);
}
