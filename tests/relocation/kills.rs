//! Moves killed at each step and run again. Each kill is the operator's
//! task aborted at its next await once the step is reported, as when its
//! process dies there. Until the move is run again the tenant is served
//! from one place: writing where it was before the fence, refused with
//! `TenantMoving` under it, writing at the destination after the flip.
//! Run again, the move finishes with every row; rolled back instead, the
//! tenant is where it was, writing, its destination gone.

use std::sync::Arc;

use tenantry::ops::{
    Destination, Operator, PlacementKind, RelocationProgress, RelocationReport, RelocationStep,
};
use tenantry::{Error, MAIN_SERVER, Placement, TenantId, TenantStatus};
use tokio::sync::Notify;

use super::fixtures::{contents, customers_at, fill, handle_at, keys_and_indexes, to};
use crate::support::NewCustomer;
use crate::support::placements::{SECOND, TENANT};
use crate::support::tenants::Tenants;

/// Where to kill a move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum KillAt {
    /// Once this step is reported.
    Step(RelocationStep),
    /// Once the first table is copied.
    MidCopy,
}

/// Starts relocating `id` to `destination` and kills the move at `at`.
pub(super) async fn killed(
    operator: &Arc<Operator>,
    id: TenantId,
    destination: &Destination,
    at: KillAt,
) {
    let reached = Arc::new(Notify::new());
    let relocation = tokio::spawn({
        let (operator, reached) = (operator.clone(), reached.clone());
        let destination = destination.clone();
        async move {
            let progress = move |event: RelocationProgress| {
                let hit = match (&event, at) {
                    (RelocationProgress::Step(step), KillAt::Step(kill)) => *step == kill,
                    (RelocationProgress::Copied { .. }, KillAt::MidCopy) => true,
                    _ => false,
                };
                if hit {
                    reached.notify_one();
                }
            };
            operator
                .relocate_with_progress(id, &destination, &TENANT, &progress)
                .await
        }
    });
    reached.notified().await;
    relocation.abort();
    match relocation.await {
        Err(error) if error.is_cancelled() => {}
        other => panic!("{at:?}: the move ended before the kill: {other:?}"),
    }
}

/// Kills a move of a pool tenant with rows at `at`, checks where it is
/// served and whether it writes, then finishes the move by running it
/// again, or rolls it back if `roll_back`.
async fn kill_and_resume(at: KillAt, roll_back: bool) {
    let tenants = Tenants::provision(&[("moving", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let source = tenants.placed[0].record.clone();
    let db = tenants.connect().await;
    let tenant = db.tenant(id).await.unwrap();
    fill(&tenant, "c", 5).await;
    let operator = Arc::new(tenants.world.operator());
    killed(&operator, id, &to(PlacementKind::Database, SECOND), at).await;

    let record = operator.tenant(id).await.unwrap();
    let relocation = operator.relocation(id).await.unwrap().expect("recorded");
    let write = db
        .tenant(id)
        .await
        .unwrap()
        .insert(NewCustomer::named("while killed"))
        .exec()
        .await;
    let mut written = 5;
    match at {
        KillAt::Step(RelocationStep::Flipped) => {
            assert_eq!(record.status, TenantStatus::Active, "{at:?}");
            assert_eq!(record.server, SECOND, "{at:?}");
            // A handle resolved before this process heard of the flip is
            // refused by the source's fence; one resolved after writes.
            match write {
                Ok(_) => written += 1,
                Err(Error::TenantMoved { .. }) => {}
                other => panic!("{at:?}: {other:?}"),
            }
            // The registry serves it from the destination: once this
            // process heard of it, its writes go there.
            let moved = handle_at(&db, id, &relocation.to).await;
            moved
                .insert(NewCustomer::named("after the flip"))
                .exec()
                .await
                .unwrap();
            written += 1;
        }
        KillAt::Step(RelocationStep::Fenced) => {
            assert_eq!(record.status, TenantStatus::Moving, "{at:?}");
            assert!(
                matches!(write, Err(Error::TenantMoving { id: refused, .. }) if refused == id),
                "{at:?}: {write:?}"
            );
            // Reads go on under the fence.
            assert_eq!(contents(&tenant).await.unwrap().customers.len(), 5);
        }
        _ => {
            assert_eq!(record.status, TenantStatus::Active, "{at:?}");
            assert_eq!(record.server, MAIN_SERVER, "{at:?}");
            write.unwrap_or_else(|error| panic!("{at:?}: {error}"));
            written += 1;
        }
    }

    if roll_back {
        let rolled = operator.rollback_relocation(id).await.unwrap();
        assert_eq!(rolled.step, RelocationStep::RolledBack, "{at:?}");
        let record = operator.tenant(id).await.unwrap();
        assert_eq!(
            (&record.placement, record.server.as_str(), record.status),
            (&source.placement, MAIN_SERVER, TenantStatus::Active),
            "{at:?}"
        );
        assert_eq!(customers_at(&tenants, &relocation.to, id).await, None);
        let back = handle_at(&db, id, &relocation.from).await;
        back.insert(NewCustomer::named("after the rollback"))
            .exec()
            .await
            .unwrap();
        assert_eq!(
            contents(&back).await.unwrap().customers.len(),
            written + 1,
            "{at:?}: every write kept"
        );
        return;
    }
    // Killed mid-copy, with the destination's indexes and keys dropped
    // for it, the copy's transaction left nothing: every one is there.
    let source_keys = keys_and_indexes(&tenants.world.admin(MAIN_SERVER, None).await).await;
    let Placement::Database(database) = &relocation.to.placement else {
        panic!("moved to a database");
    };
    if at == KillAt::MidCopy {
        let destination = tenants.world.admin(SECOND, Some(database.as_str())).await;
        assert_eq!(keys_and_indexes(&destination).await, source_keys, "{at:?}");
    }
    let report: RelocationReport = operator
        .relocate(id, &to(PlacementKind::Database, SECOND), &TENANT)
        .await
        .unwrap_or_else(|error| panic!("{at:?}: run again: {error}"));
    assert_eq!(report.relocation.id, relocation.id, "{at:?}: the same move");
    assert_eq!(report.relocation.step, RelocationStep::Flipped, "{at:?}");
    let destination = tenants.world.admin(SECOND, Some(database.as_str())).await;
    assert_eq!(keys_and_indexes(&destination).await, source_keys, "{at:?}");
    let moved = handle_at(&db, id, &report.relocation.to).await;
    assert_eq!(
        contents(&moved).await.unwrap().customers.len(),
        written,
        "{at:?}: every write arrived"
    );
    moved
        .insert(NewCustomer::named("after"))
        .exec()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_move_killed_after_its_plan_or_its_destination_is_made_finishes_when_run_again() {
    kill_and_resume(KillAt::Step(RelocationStep::Planned), false).await;
    kill_and_resume(KillAt::Step(RelocationStep::Prepared), false).await;
}

#[tokio::test]
async fn a_move_killed_mid_copy_or_after_it_finishes_when_run_again() {
    kill_and_resume(KillAt::MidCopy, false).await;
    kill_and_resume(KillAt::Step(RelocationStep::Copied), false).await;
}

#[tokio::test]
async fn a_move_killed_under_its_fence_refuses_writes_and_finishes_when_run_again() {
    kill_and_resume(KillAt::Step(RelocationStep::Fenced), false).await;
}

#[tokio::test]
async fn a_move_killed_after_its_flip_is_served_from_the_destination_and_completes() {
    kill_and_resume(KillAt::Step(RelocationStep::Flipped), false).await;
}

#[tokio::test]
async fn a_killed_move_rolls_back_at_any_step_and_keeps_every_write() {
    kill_and_resume(KillAt::MidCopy, true).await;
    kill_and_resume(KillAt::Step(RelocationStep::Fenced), true).await;
    kill_and_resume(KillAt::Step(RelocationStep::Flipped), true).await;
}

#[tokio::test]
async fn two_operators_relocating_one_tenant_at_once_make_one_move() {
    let tenants = Tenants::provision(&[("moving", PlacementKind::Schema, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let db = tenants.connect().await;
    fill(&db.tenant(id).await.unwrap(), "c", 5).await;
    let (first, second) = (tenants.world.operator(), tenants.world.operator());
    let destination = to(PlacementKind::Pool, SECOND);
    let (a, b) = tokio::join!(
        first.relocate(id, &destination, &TENANT),
        second.relocate(id, &destination, &TENANT)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.relocation.id, b.relocation.id, "one move");
    assert_eq!(a.relocation.step, RelocationStep::Flipped);
    // One of them copied; the other found the move flipped.
    assert_eq!(a.rows_copied + b.rows_copied, 15);
    let moved = handle_at(&db, id, &a.relocation.to).await;
    assert_eq!(contents(&moved).await.unwrap().customers.len(), 5);
    assert_eq!(customers_at(&tenants, &a.relocation.to, id).await, Some(5));
}
