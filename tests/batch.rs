//! Batch work against the real server: a tenant's batch handle takes only
//! its server's batch connections, so long exports that spend them all leave
//! the requests of every tenant, its own included, served at once; batch
//! statements run under the tier's batch timeout, not its statement
//! timeout; and a tier without batch work is refused before anything is
//! sent, from the moment the registry gives the tenant that tier.

mod support;

use std::time::{Duration, Instant};

use support::Customer;
use support::eventually::eventually;
use support::placements::{TENANT, World};
use tenantry::ops::{NewTenant, PlacementKind};
use tenantry::{Config, Error, Limits, Tenant, TenantId, Tenantry};

/// Provisions a pool tenant named `name` of tier `tier`.
async fn tenant_of_tier(world: &World, name: &str, tier: &str) -> TenantId {
    let tenant = NewTenant::new(&world.slug(name), PlacementKind::Pool).with_plan(tier);
    world.operator.provision(&tenant, &TENANT).await.unwrap().id
}

async fn connect(config: Config) -> Tenantry {
    Tenantry::connect(config).await.expect("connect")
}

/// The statements of a long export: four of a second each, all at once.
const EXPORTS: usize = 4;
const EXPORT: &str = "SELECT pg_sleep(1)";

/// How long a request of `noisy` and one of `quiet` take while `exports`
/// (a handle of `noisy`) runs [`EXPORTS`] long statements at once on a
/// server with 2 connections for requests and 2 for batch work; and how
/// long the exports took in all.
async fn requests_beside_exports(
    exports: &Tenant,
    noisy: &Tenant,
    quiet: &Tenant,
) -> (Duration, Duration) {
    let started = Instant::now();
    let running: Vec<_> = (0..EXPORTS)
        .map(|_| {
            let exports = exports.clone();
            tokio::spawn(async move { exports.raw_query(EXPORT, &[]).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let asked = Instant::now();
    noisy.select::<Customer>().count().await.unwrap();
    quiet.select::<Customer>().count().await.unwrap();
    let waited = asked.elapsed();
    for export in running {
        export.await.unwrap().unwrap();
    }
    (waited, started.elapsed())
}

#[tokio::test]
async fn batch_work_that_spends_its_connections_leaves_requests_served() {
    let world = World::create().await;
    let noisy = tenant_of_tier(&world, "noisy", "standard").await;
    let quiet = tenant_of_tier(&world, "quiet", "standard").await;
    let config = world
        .app_config()
        .pool_size(2)
        .batch_connections(2)
        .wait_timeout(Duration::from_secs(10));
    let db = connect(config).await;
    let (noisy, quiet) = (
        db.tenant(noisy).await.unwrap(),
        db.tenant(quiet).await.unwrap(),
    );
    // Run as requests, the exports take every connection: both tenants wait.
    let (waited, _) = requests_beside_exports(&noisy, &noisy, &quiet).await;
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
    // Run as batch work, they wait for each other, never for the requests.
    let (waited, took) = requests_beside_exports(&noisy.batch().unwrap(), &noisy, &quiet).await;
    assert!(waited < Duration::from_millis(300), "{waited:?}");
    assert!(took >= Duration::from_secs(2), "two at a time: {took:?}");
}

#[tokio::test]
async fn batch_work_runs_under_the_batch_timeout() {
    let world = World::create().await;
    let id = tenant_of_tier(&world, "free", "free").await;
    let free = Limits::default()
        .statement_timeout(Duration::from_millis(200))
        .batch_timeout(Duration::from_millis(800));
    let db = connect(world.app_config().tier("free", free)).await;
    let tenant = db.tenant(id).await.unwrap();
    let batch = tenant.batch().unwrap();
    let sleep = |seconds: f64| format!("SELECT pg_sleep({seconds})");
    batch.raw_query(&sleep(0.4), &[]).await.unwrap();
    let timed_out = |outcome: Result<_, Error>, limit: u64| match outcome {
        Err(Error::StatementTimeout {
            tenant: Some(tenant),
            limit: Some(got),
            ..
        }) => tenant == id && got == Duration::from_millis(limit),
        _ => false,
    };
    assert!(timed_out(tenant.raw_query(&sleep(0.4), &[]).await, 200));
    assert!(timed_out(batch.raw_query(&sleep(1.2), &[]).await, 800));
    let transaction = batch.transaction().await.unwrap();
    assert!(timed_out(
        transaction.raw_query(&sleep(1.2), &[]).await,
        800
    ));
}

#[tokio::test]
async fn a_tier_without_batch_work_is_refused_before_anything_is_sent() {
    let world = World::create().await;
    let id = tenant_of_tier(&world, "mover", "standard").await;
    let no_batch = Limits::default().allow_batch(false);
    let db = connect(world.app_config().tier("free", no_batch)).await;
    let tenant = db.tenant(id).await.unwrap();
    let batch = tenant.batch().unwrap();
    batch.select::<Customer>().count().await.unwrap();
    world.operator.set_tier(id, "free").await.unwrap();
    let refused = |outcome: &Result<u64, Error>| matches!(outcome, Err(Error::BatchNotAllowed { tenant }) if *tenant == id);
    let count = || batch.select::<Customer>().count();
    let outcome = eventually(Duration::from_secs(2), count, refused).await;
    assert!(refused(&outcome), "{outcome:?}");
    // Its requests go on; a new batch handle is refused at once.
    tenant.select::<Customer>().count().await.unwrap();
    let tenant = db.tenant(id).await.unwrap();
    assert!(matches!(
        tenant.batch(),
        Err(Error::BatchNotAllowed { tenant }) if tenant == id
    ));
}
