//! Writers of the tenant keep writing through its move: every write is
//! either made before the flip in the old place (and copied), or after it in
//! the new place, or refused with `TenantMoving` (and tried again); none is
//! lost, none is made twice. A tenant beside it in the pool writes on
//! undisturbed.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tenantry::ops::PlacementKind;
use tenantry::{Error, MAIN_SERVER, TenantId, Tenantry};
use tokio::task::JoinHandle;

use super::fixtures::{fill, handle_at, relocate, to};
use crate::support::placements::SECOND;
use crate::support::tenants::Tenants;
use crate::support::{Customer, NewCustomer};

/// What a writer saw.
#[derive(Default, Debug)]
struct Written {
    /// The names of the customers whose insert was acknowledged.
    acknowledged: BTreeSet<String>,
    /// Refusals with `TenantMoving`.
    moving: usize,
    /// Refusals with `TenantMoved` (a new handle was made).
    moved: usize,
}

/// Inserts customers `{prefix}{n}` for `id` until `stop`, one at a time,
/// each tried again until it is acknowledged: after `TenantMoving`'s wait,
/// or with a new handle after `TenantMoved`.
fn writer(
    db: Arc<Tenantry>,
    id: TenantId,
    prefix: &'static str,
    stop: Arc<AtomicBool>,
    writes: Arc<AtomicUsize>,
) -> JoinHandle<Written> {
    tokio::spawn(async move {
        let mut written = Written::default();
        let mut tenant = db.tenant(id).await.unwrap();
        let mut n = 0;
        while !stop.load(Ordering::Acquire) {
            let name = format!("{prefix}{n}");
            loop {
                match tenant.insert(NewCustomer::named(&name)).exec().await {
                    Ok(1) => break,
                    Err(Error::TenantMoving {
                        id: refused,
                        retry_after,
                    }) => {
                        assert_eq!(refused, id);
                        written.moving += 1;
                        tokio::time::sleep(retry_after.min(Duration::from_millis(20))).await;
                    }
                    Err(Error::TenantMoved { .. }) => {
                        written.moved += 1;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        tenant = db.tenant(id).await.unwrap();
                    }
                    other => panic!("{name}: {other:?}"),
                }
            }
            written.acknowledged.insert(name);
            writes.fetch_add(1, Ordering::AcqRel);
            n += 1;
        }
        written
    })
}

#[tokio::test]
async fn writes_during_a_move_are_neither_lost_nor_duplicated() {
    let tenants = Tenants::provision(&[
        ("moving", PlacementKind::Pool, MAIN_SERVER),
        ("neighbour", PlacementKind::Pool, MAIN_SERVER),
    ])
    .await;
    let db = Arc::new(tenants.connect().await);
    let handles = tenants.handles(&db).await;
    fill(&handles[0], "seed", 50).await;
    let (id, neighbour) = (tenants.placed[0].record.id, tenants.placed[1].record.id);

    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicUsize::new(0));
    let writers = [
        writer(db.clone(), id, "a", stop.clone(), writes.clone()),
        writer(db.clone(), id, "b", stop.clone(), writes.clone()),
        writer(
            db.clone(),
            neighbour,
            "n",
            stop.clone(),
            Arc::new(AtomicUsize::new(0)),
        ),
    ];
    // Writes are under way before the move starts...
    while writes.load(Ordering::Acquire) < 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let report = relocate(&tenants, id, &to(PlacementKind::Database, SECOND)).await;
    // ... and go on after it.
    let after_flip = writes.load(Ordering::Acquire);
    while writes.load(Ordering::Acquire) < after_flip + 10 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::Release);
    let mut acknowledged = BTreeSet::new();
    let mut refused = 0;
    let [a, b, n] = writers;
    for writer in [a, b] {
        let written = writer.await.unwrap();
        refused += written.moving + written.moved;
        acknowledged.extend(written.acknowledged);
    }
    let neighbour_written = n.await.unwrap();
    assert_eq!(neighbour_written.moving + neighbour_written.moved, 0);

    let tenant = handle_at(&db, id, &report.relocation.to).await;
    let names: Vec<String> = tenant
        .select::<Customer>()
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|customer| customer.name)
        .filter(|name| !name.starts_with("seed"))
        .collect();
    let unique: BTreeSet<String> = names.iter().cloned().collect();
    assert_eq!(unique.len(), names.len(), "a write was made twice");
    assert_eq!(
        unique, acknowledged,
        "a write was lost, or one not acknowledged was made"
    );
    eprintln!(
        "{} writes, {refused} refused and tried again, blocked {:?}",
        acknowledged.len(),
        report.blocked
    );

    // The neighbour's writes all stayed in the pool.
    let neighbour_handle = db.tenant(neighbour).await.unwrap();
    let kept = neighbour_handle.select::<Customer>().count().await.unwrap();
    assert_eq!(kept as usize, neighbour_written.acknowledged.len());
}
