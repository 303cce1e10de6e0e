//! Background jobs: a tenant travels in a job's payload as a `TenantRef`
//! and is resumed through the registry when the job runs. Nothing is
//! ambient: jobs of many tenants interleaved on one thread each touch only
//! their own rows; a job whose tenant moved since it was enqueued runs in
//! the new place, and one whose tenant was suspended or erased gets the
//! typed error.

mod support;

use std::cell::Cell;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tenantry::ops::{PlacementKind, Reason};
use tenantry::{Error, MAIN_SERVER, Tenant, TenantId, TenantRef, TenantStatus, Tenantry};
use uuid::Uuid;

use support::eventually::eventually;
use support::placements::SECOND;
use support::tenants::Tenants;
use support::{Customer, NewCustomer};

/// A job: add customer `name` to `tenant`.
#[derive(Serialize, Deserialize)]
struct AddCustomer {
    tenant: TenantRef,
    name: String,
}

/// The payload of a job adding `name` to `tenant`, as a queue would hold it.
fn enqueue(tenant: &Tenant, name: &str) -> String {
    serde_json::to_string(&AddCustomer {
        tenant: tenant.to_ref(),
        name: name.to_owned(),
    })
    .unwrap()
}

/// Records `id` on `server` in the registry, as a move does last.
async fn register_on(tenants: &Tenants, id: TenantId, server: &str) {
    tenants
        .world
        .admin(MAIN_SERVER, None)
        .await
        .execute(
            "UPDATE tenantry_control.tenants SET server = $2 WHERE id = $1",
            &[&id.as_uuid(), &server],
        )
        .await
        .unwrap();
}

/// What `db.resume` says of the job in `payload` once `done` accepts it
/// (within five seconds: the registry's change travels by notification).
async fn resumed_until(
    db: &Tenantry,
    payload: &str,
    done: impl Fn(&Result<Tenant, Error>) -> bool,
) -> Result<Tenant, Error> {
    let job: AddCustomer = serde_json::from_str(payload).unwrap();
    eventually(Duration::from_secs(5), || db.resume(job.tenant), done).await
}

#[test]
fn jobs_of_many_tenants_interleaved_on_one_thread_each_touch_only_their_own_rows() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tenants = Tenants::provision(&[
            ("pool_a", PlacementKind::Pool, MAIN_SERVER),
            ("pool_b", PlacementKind::Pool, MAIN_SERVER),
            ("schema", PlacementKind::Schema, SECOND),
            ("database", PlacementKind::Database, MAIN_SERVER),
        ])
        .await;
        let db = tenants.connect().await;
        let handles = tenants.handles(&db).await;
        // Five rounds of one job per tenant, in the order a queue got them.
        let mut queue = Vec::new();
        for round in 0..5 {
            for (placed, tenant) in tenants.placed.iter().zip(&handles) {
                queue.push(enqueue(tenant, &format!("{}_{round}", placed.label)));
            }
        }
        let labels: BTreeMap<TenantId, &str> = tenants
            .placed
            .iter()
            .map(|placed| (placed.record.id, placed.label))
            .collect();

        // One worker thread runs them all at once: each job yields at every
        // statement, so their statements interleave.
        let worker = std::thread::current().id();
        let (running, most) = (Cell::new(0), Cell::new(0));
        let jobs = queue.iter().map(|payload| async {
            let job: AddCustomer = serde_json::from_str(payload).unwrap();
            running.set(running.get() + 1);
            most.set(most.get().max(running.get()));
            let tenant = db.resume(job.tenant).await.unwrap();
            let label = labels[&job.tenant.id()];
            tenant
                .insert(NewCustomer::named(&job.name))
                .exec()
                .await
                .unwrap();
            tokio::task::yield_now().await;
            for customer in tenant.select::<Customer>().all().await.unwrap() {
                assert_eq!(customer.tenant_id, job.tenant.id());
                assert!(
                    customer.name.starts_with(&format!("{label}_")),
                    "{label}'s job read {}",
                    customer.name
                );
            }
            running.set(running.get() - 1);
            assert_eq!(std::thread::current().id(), worker);
        });
        futures_util::future::join_all(jobs).await;
        assert_eq!(most.get(), queue.len(), "the jobs did not interleave");

        // Where each tenant's rows physically live, as a superuser sees them:
        // each has its five, and nothing of anyone else's.
        for placed in &tenants.placed {
            let location = placed.location();
            let rows = tenants
                .admin(&location)
                .await
                .query(
                    &format!(
                        "SELECT tenant_id, name FROM \"{}\".customers ORDER BY name",
                        location.schema
                    ),
                    &[],
                )
                .await
                .unwrap();
            let mine: Vec<String> = rows
                .iter()
                .filter(|row| row.get::<_, Uuid>(0) == placed.uuid())
                .map(|row| row.get(1))
                .collect();
            let expected: Vec<String> = (0..5)
                .map(|round| format!("{}_{round}", placed.label))
                .collect();
            assert_eq!(mine, expected, "{}", placed.label);
            for row in &rows {
                let owner: Uuid = row.get(0);
                let name: String = row.get(1);
                let label = labels[&TenantId::from_uuid(owner)];
                assert!(
                    name.starts_with(&format!("{label}_")),
                    "{name} is {label}'s row"
                );
            }
        }
    });
}

#[tokio::test]
async fn a_job_resumes_its_tenant_where_the_registry_says_and_as_it_is_when_it_runs() {
    let tenants = Tenants::provision(&[("tenant", PlacementKind::Pool, MAIN_SERVER)]).await;
    let placed = &tenants.placed[0];
    let id = placed.record.id;
    let db = tenants.connect().await;
    let handle = db.tenant(id).await.unwrap();
    handle
        .insert(NewCustomer::named("before"))
        .exec()
        .await
        .unwrap();
    let payload = enqueue(&handle, "queued");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&payload).unwrap()["tenant"],
        id.to_string()
    );
    let operator = tenants.world.operator();
    let why = Reason::new("billing", "unpaid");

    // Suspended after it was enqueued: the typed error, in any process.
    operator.suspend(id, &why).await.unwrap();
    let suspended = resumed_until(&db, &payload, Result::is_err).await;
    assert!(
        matches!(
            suspended,
            Err(Error::TenantNotActive {
                status: TenantStatus::Suspended,
                ..
            })
        ),
        "{:?}",
        suspended.map(drop)
    );
    let elsewhere = tenants.connect().await;
    assert!(matches!(
        resumed_until(&elsewhere, &payload, Result::is_err).await,
        Err(Error::TenantNotActive { .. })
    ));
    operator.resume(id, &why).await.unwrap();
    let served = resumed_until(&db, &payload, Result::is_ok).await.unwrap();
    assert_eq!(served.select::<Customer>().count().await.unwrap(), 1);

    // Moved after it was enqueued: it runs in the new place, where the
    // handle made before the move is refused.
    register_on(&tenants, id, SECOND).await;
    let moved = resumed_until(&db, &payload, |tenant| {
        tenant
            .as_ref()
            .is_ok_and(|tenant| tenant.server() == SECOND)
    })
    .await
    .unwrap();
    assert_eq!(
        moved.select::<Customer>().count().await.unwrap(),
        0,
        "reads the new place"
    );
    assert!(matches!(
        handle.select::<Customer>().count().await,
        Err(Error::TenantMoved { .. })
    ));
    register_on(&tenants, id, MAIN_SERVER).await;

    // Erased after it was enqueued: the tombstone's error.
    operator.erase(id, &why).await.unwrap();
    let erased = resumed_until(&db, &payload, Result::is_err).await;
    assert!(
        matches!(erased, Err(Error::TenantErased { id: gone }) if gone == id),
        "{:?}",
        erased.map(drop)
    );
    // A tenant never registered is unknown.
    let stranger = TenantRef::new(TenantId::random());
    assert!(matches!(
        db.resume(stranger).await,
        Err(Error::UnknownTenant { .. })
    ));
}
