//! Limits per tenant and tier, against the real server: each tier's
//! statement timeout fires for its tenants only, set in the statement's own
//! context and gone with it; a tenant over its rate or its concurrent
//! statements is refused (or waits its turn) before it takes a connection,
//! while other tenants go on; a greedy tenant holds no more than its share
//! of the pool, so others do not wait behind it; and a tier, or a tenant's
//! own limits, changed in the registry apply to running processes, while
//! the application role can change neither them nor servers or moves.

mod support;

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use support::Customer;
use support::eventually::eventually;
use support::placements::{TENANT, World};
use tenantry::ops::{NewTenant, PlacementKind};
use tenantry::{Config, Error, LimitOverrides, Limits, MAIN_SERVER, Tenant, TenantId, Tenantry};

/// Provisions a pool tenant named `name` of tier `tier`.
async fn tenant_of_tier(world: &World, name: &str, tier: &str) -> TenantId {
    let tenant = NewTenant::new(&world.slug(name), PlacementKind::Pool).with_plan(tier);
    world.operator.provision(&tenant, &TENANT).await.unwrap().id
}

/// The tiers of these tests: `free` stops statements after 200 ms,
/// `enterprise` after 5 s; `standard` has no limit.
fn tiered(config: Config) -> Config {
    config
        .tier(
            "free",
            Limits::default().statement_timeout(Duration::from_millis(200)),
        )
        .tier(
            "enterprise",
            Limits::default().statement_timeout(Duration::from_secs(5)),
        )
}

async fn connect(config: Config) -> Tenantry {
    Tenantry::connect(config).await.expect("connect")
}

/// Asserts that `outcome` is `tenant`'s statement timeout of `limit`.
fn assert_timed_out<T: std::fmt::Debug>(outcome: Result<T, Error>, tenant: TenantId, limit: u64) {
    match outcome {
        Err(Error::StatementTimeout {
            tenant: Some(id),
            limit: Some(got),
            ..
        }) if id == tenant && got == Duration::from_millis(limit) => {}
        other => panic!("expected {tenant}'s timeout of {limit} ms, got {other:?}"),
    }
}

#[tokio::test]
async fn each_tier_gets_its_own_statement_timeout_in_every_form() {
    let world = World::create().await;
    let free = tenant_of_tier(&world, "free", "free").await;
    let enterprise = tenant_of_tier(&world, "enterprise", "enterprise").await;
    let standard = tenant_of_tier(&world, "standard", "standard").await;
    // One connection: a timeout left on it would reach the next tenant.
    let db = connect(tiered(world.app_config()).pool_size(1)).await;
    let (free, enterprise, standard) = (
        db.tenant(free).await.unwrap(),
        db.tenant(enterprise).await.unwrap(),
        db.tenant(standard).await.unwrap(),
    );
    let sleep = "SELECT pg_sleep(0.4)";
    // Hand-written SQL: `SET LOCAL` after the `BEGIN`.
    assert_timed_out(free.raw_query(sleep, &[]).await, free.tenant(), 200);
    enterprise.raw_query(sleep, &[]).await.unwrap();
    standard.raw_query(sleep, &[]).await.unwrap();
    // A transaction: every statement in it.
    let transaction = free.transaction().await.unwrap();
    assert_timed_out(transaction.raw_query(sleep, &[]).await, free.tenant(), 200);
    drop(transaction);
    // A built statement, its context bound in its own message group: kept
    // waiting by a lock on its table, once prepared (preparing runs before
    // the group, under the server's own timeout).
    free.select::<Customer>().count().await.unwrap();
    let admin = world.admin(MAIN_SERVER, None).await;
    admin
        .batch_execute("BEGIN; LOCK TABLE customers IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let started = Instant::now();
    assert_timed_out(free.select::<Customer>().count().await, free.tenant(), 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    let waiting = tokio::spawn({
        let enterprise = enterprise.clone();
        async move { enterprise.select::<Customer>().count().await }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    admin.batch_execute("COMMIT").await.unwrap();
    assert_eq!(waiting.await.unwrap().unwrap(), 0, "enterprise waits 5 s");
    // Nothing of the free tier's timeout is left on the connection.
    standard.raw_query(sleep, &[]).await.unwrap();
}

#[tokio::test]
async fn a_tenant_over_its_rate_is_refused_with_when_to_retry() {
    let world = World::create().await;
    let free = tenant_of_tier(&world, "free", "free").await;
    let queued = tenant_of_tier(&world, "queued", "queued").await;
    let other = tenant_of_tier(&world, "other", "free").await;
    let two = NonZeroU32::new(2).unwrap();
    let rate = Limits::default().rate(two, two);
    let config = world
        .app_config()
        .tier("free", rate)
        .tier("queued", rate.queue(Duration::from_secs(2)));
    let db = connect(config).await;
    let free = db.tenant(free).await.unwrap();
    // The burst passes, the next statement does not.
    for _ in 0..2 {
        free.select::<Customer>().count().await.unwrap();
    }
    let retry_after = match free.select::<Customer>().count().await {
        Err(Error::RateLimited {
            tenant,
            retry_after,
        }) if tenant == free.tenant() => retry_after,
        other => panic!("expected a rate limit, got {other:?}"),
    };
    assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_millis(500));
    // Another tenant of the same tier has a bucket of its own.
    let other = db.tenant(other).await.unwrap();
    other.select::<Customer>().count().await.unwrap();
    tokio::time::sleep(retry_after).await;
    free.select::<Customer>().count().await.unwrap();
    // A tier with a queue waits for the bucket to refill instead.
    let queued = db.tenant(queued).await.unwrap();
    let started = Instant::now();
    for _ in 0..4 {
        queued.select::<Customer>().count().await.unwrap();
    }
    assert!(started.elapsed() >= Duration::from_millis(800));
}

#[tokio::test]
async fn a_tenant_at_its_concurrency_cap_is_refused_until_one_ends() {
    let world = World::create().await;
    let capped = tenant_of_tier(&world, "capped", "capped").await;
    let other = tenant_of_tier(&world, "other", "capped").await;
    let queued = tenant_of_tier(&world, "queued", "queued").await;
    let one = Limits::default().concurrent_statements(1);
    let config = world
        .app_config()
        .tier("capped", one)
        .tier("queued", one.queue(Duration::from_secs(2)));
    let db = connect(config).await;
    let capped = db.tenant(capped).await.unwrap();
    let open = capped.transaction().await.unwrap();
    match capped.select::<Customer>().count().await {
        Err(Error::TooManyStatements { tenant, limit, .. }) => {
            assert_eq!((tenant, limit), (capped.tenant(), 1));
        }
        other => panic!("expected the concurrency cap, got {other:?}"),
    }
    // Another tenant is not held back.
    let other = db.tenant(other).await.unwrap();
    other.select::<Customer>().count().await.unwrap();
    open.commit().await.unwrap();
    capped.select::<Customer>().count().await.unwrap();
    // With a queue, the next statement waits for the open one.
    let queued = db.tenant(queued).await.unwrap();
    let open = queued.transaction().await.unwrap();
    let waiting = tokio::spawn({
        let queued = queued.clone();
        async move { queued.select::<Customer>().count().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "it waits for its turn");
    open.commit().await.unwrap();
    assert_eq!(waiting.await.unwrap().unwrap(), 0);
}

/// How long `quiet`'s statement takes while `greedy` runs 8 statements of
/// 600 ms at once on a pool of 4 connections.
async fn quiet_wait_beside_greedy(greedy: &Tenant, quiet: &Tenant) -> Duration {
    let hogs: Vec<_> = (0..8)
        .map(|_| {
            let greedy = greedy.clone();
            tokio::spawn(async move { greedy.raw_query("SELECT pg_sleep(0.6)", &[]).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    quiet.select::<Customer>().count().await.unwrap();
    let waited = started.elapsed();
    for hog in hogs {
        hog.await.unwrap().unwrap();
    }
    waited
}

#[tokio::test]
async fn a_greedy_tenant_holds_no_more_than_its_share_of_the_pool() {
    let world = World::create().await;
    let greedy = tenant_of_tier(&world, "greedy", "greedy").await;
    let quiet = tenant_of_tier(&world, "quiet", "quiet").await;
    let pool = |config: Config| config.pool_size(4).wait_timeout(Duration::from_secs(10));
    // Without a share, the greedy tenant takes every connection.
    let unlimited = connect(pool(world.app_config())).await;
    let waited = quiet_wait_beside_greedy(
        &unlimited.tenant(greedy).await.unwrap(),
        &unlimited.tenant(quiet).await.unwrap(),
    )
    .await;
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    // With half the pool, the other half stays free for the others.
    let half = Limits::default()
        .connection_share(0.5)
        .queue(Duration::from_secs(10));
    let shared = connect(pool(world.app_config()).tier("greedy", half)).await;
    let waited = quiet_wait_beside_greedy(
        &shared.tenant(greedy).await.unwrap(),
        &shared.tenant(quiet).await.unwrap(),
    )
    .await;
    assert!(waited < Duration::from_millis(300), "{waited:?}");
}

#[tokio::test]
async fn a_tier_changed_in_the_registry_applies_without_a_restart() {
    let world = World::create().await;
    let id = tenant_of_tier(&world, "mover", "standard").await;
    let db = connect(tiered(world.app_config())).await;
    let tenant = db.tenant(id).await.unwrap();
    let sleep = || tenant.raw_query("SELECT pg_sleep(0.3)", &[]);
    sleep().await.unwrap();
    let record = world.operator.set_tier(id, "free").await.unwrap();
    assert_eq!(record.plan, "free");
    let outcome = eventually(Duration::from_secs(2), sleep, Result::is_err).await;
    assert_timed_out(outcome, id, 200);
    // The same handle, back on a tier without a limit.
    world.operator.set_tier(id, "standard").await.unwrap();
    eventually(Duration::from_secs(2), sleep, Result::is_ok)
        .await
        .unwrap();
    assert!(matches!(
        world.operator.set_tier(id, " ").await,
        Err(tenantry::ops::Error::BlankTier)
    ));
}

#[tokio::test]
async fn limits_set_in_the_registry_apply_without_a_restart() {
    let world = World::create().await;
    let id = tenant_of_tier(&world, "overridden", "free").await;
    let other = tenant_of_tier(&world, "neighbour", "free").await;
    let db = connect(tiered(world.app_config())).await;
    let tenant = db.tenant(id).await.unwrap();
    let sleep = || tenant.raw_query("SELECT pg_sleep(0.3)", &[]);
    assert_timed_out(sleep().await, id, 200);
    // A longer timeout of its own; the tier's other limits stay.
    let own = LimitOverrides::default().statement_timeout(Duration::from_secs(2));
    let record = world.operator.set_limits(id, &own).await.unwrap();
    assert_eq!(record.limits, own);
    eventually(Duration::from_secs(2), sleep, Result::is_ok)
        .await
        .unwrap();
    // Another tenant of the tier keeps the tier's limit.
    let neighbour = db.tenant(other).await.unwrap();
    assert_timed_out(
        neighbour.raw_query("SELECT pg_sleep(0.3)", &[]).await,
        other,
        200,
    );
    // A cap of one statement at once, on the same running handle.
    let capped = own.concurrent_statements(1);
    world.operator.set_limits(id, &capped).await.unwrap();
    let (open, second) = eventually(
        Duration::from_secs(2),
        || async {
            let open = tenant.transaction().await.unwrap();
            (open, tenant.select::<Customer>().count().await)
        },
        |(_, second)| second.is_err(),
    )
    .await;
    assert!(
        matches!(second, Err(Error::TooManyStatements { tenant, limit: 1, .. }) if tenant == id),
        "{second:?}"
    );
    open.commit().await.unwrap();
    // Cleared, the tenant is back on its tier's limits.
    let record = world
        .operator
        .set_limits(id, &LimitOverrides::default())
        .await
        .unwrap();
    assert!(record.limits.is_empty());
    let outcome = eventually(Duration::from_secs(2), sleep, Result::is_err).await;
    assert_timed_out(outcome, id, 200);
    // The registry refuses limits it does not know, by hand too.
    let admin = world.admin(MAIN_SERVER, None).await;
    for bad in [
        r#"{"timeout_ms": 5}"#,
        r#"{"rate_per_second": 5}"#,
        r#"{"connection_share": 2}"#,
        r#"{"batch": "no"}"#,
        r#"[]"#,
    ] {
        let refused = admin
            .execute(
                "UPDATE tenantry_control.tenants SET limits = $2::text::jsonb WHERE id = $1",
                &[&id.as_uuid(), &bad],
            )
            .await;
        assert!(refused.is_err(), "{bad}");
    }
}

/// The application role, which every tenant's hand-written SQL runs as,
/// changes nothing the registry decides with: no tenant's limits, tier,
/// status or place, no server's address, no move; nor can it read them
/// beyond one tenant's row by id.
#[tokio::test]
async fn the_application_role_changes_no_limits_servers_or_moves() {
    let world = World::create().await;
    let id = tenant_of_tier(&world, "victim", "free").await;
    let app = world.main.app_client().await;
    for sql in [
        r#"UPDATE tenantry_control.tenants SET limits = '{"batch": true}'"#,
        "UPDATE tenantry_control.tenants SET plan = 'enterprise'",
        "UPDATE tenantry_control.tenants SET status = 'active', server = 'second'",
        "INSERT INTO tenantry_control.servers (name, url, added_by)
         VALUES ('rogue', 'postgres://127.0.0.1:1/x', 'app')",
        "UPDATE tenantry_control.servers SET url = 'postgres://127.0.0.1:1/x'",
        "DELETE FROM tenantry_control.servers",
        "UPDATE tenantry_control.relocations SET step = 'finished'",
        "INSERT INTO tenantry_control.relocations (tenant_id, from_placement, from_server,
         to_placement, to_server, step, drop_source)
         VALUES (gen_random_uuid(), 'pool', 'main', 'pool', 'second', 'planned', true)",
        "SELECT limits FROM tenantry_control.tenants",
        "SELECT * FROM tenantry_control.relocations",
    ] {
        let refused = app.execute(sql, &[]).await.expect_err(sql);
        assert_eq!(
            refused.code(),
            Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql}: {refused}"
        );
    }
    let admin = world.admin(MAIN_SERVER, None).await;
    let row = admin
        .query_one(
            "SELECT plan, limits::text, server FROM tenantry_control.tenants WHERE id = $1",
            &[&id.as_uuid()],
        )
        .await
        .unwrap();
    let (plan, limits, server): (String, String, String) = (row.get(0), row.get(1), row.get(2));
    assert_eq!((plan.as_str(), limits.as_str()), ("free", "{}"));
    assert_eq!(server, MAIN_SERVER);
}
