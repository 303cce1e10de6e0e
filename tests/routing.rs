//! Routing through the registry: a database with a registry is routed
//! through it unless the configuration says pool-only, one without is
//! refused unless it does, and a pool-only configuration is refused once
//! the registry records a tenant; unknown and inactive tenants are refused;
//! a change made by one process reaches every other's cache promptly; a
//! handle made before its tenant was suspended or moved is refused at its
//! next statement, never served from the old route; and a listener that
//! silently stops answering is replaced, so no change goes unseen.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::database::{TestDatabase, main_port};
use support::eventually::eventually;
use support::placements::{SECOND, World};
use support::tenants::Tenants;
use support::{Customer, NewCustomer};
use tenantry::ops::PlacementKind;
use tenantry::{
    Config, Error, MAIN_SERVER, Tenant, TenantId, TenantRecord, TenantStatus, Tenantry,
};

/// Sets column `column` of tenant `id`'s registry row to `value`, as another
/// process would.
async fn set_registry(world: &World, id: TenantId, column: &str, value: &str) {
    world
        .admin(MAIN_SERVER, None)
        .await
        .execute(
            &format!("UPDATE tenantry_control.tenants SET {column} = $2 WHERE id = $1"),
            &[&id.as_uuid(), &value],
        )
        .await
        .unwrap();
}

/// The status `db.tenant(id)` is refused for, once it is refused (within a
/// second), or `None`.
async fn refused_status(db: &Tenantry, id: TenantId) -> Option<TenantStatus> {
    let lookup = || db.tenant(id);
    match eventually(Duration::from_secs(1), lookup, Result::is_err).await {
        Err(Error::TenantNotActive { status, .. }) => Some(status),
        _ => None,
    }
}

/// Two servers with one tenant, `name`, in `kind` on `server`, and the
/// application connected through the registry.
async fn one_tenant(
    name: &str,
    kind: PlacementKind,
    server: &str,
) -> (World, TenantRecord, Tenantry) {
    let world = World::create().await;
    let record = world.provision(name, kind, server).await;
    let db = world.connect().await;
    (world, record, db)
}

/// The outcome of `tenant`'s next statement, once it satisfies `done`, or
/// the last outcome after two seconds.
async fn count_until(
    tenant: &Tenant,
    done: impl Fn(&Result<u64, Error>) -> bool,
) -> Result<u64, Error> {
    let count = || tenant.select::<Customer>().count();
    eventually(Duration::from_secs(2), count, done).await
}

#[tokio::test]
async fn without_a_routing_choice_a_database_with_a_registry_is_routed_through_it() {
    let tenants = Tenants::provision(&[
        ("pool", PlacementKind::Pool, MAIN_SERVER),
        ("schema", PlacementKind::Schema, MAIN_SERVER),
        ("database", PlacementKind::Database, SECOND),
    ])
    .await;
    let world = &tenants.world;
    // The application's settings name its servers, and nothing about routing.
    let config = Config::new(&world.main.app_url())
        .and_then(|config| config.server(SECOND, &world.second.app_url()))
        .unwrap();
    let db = Tenantry::connect(config).await.unwrap();
    for placed in &tenants.placed {
        let tenant = db.tenant(placed.record.id).await.unwrap();
        assert_eq!(tenant.placement(), &placed.record.placement);
        assert_eq!(tenant.server(), placed.record.server);
        tenant
            .insert(NewCustomer::named(placed.label))
            .exec()
            .await
            .unwrap();
    }
    // Each tenant's row is where it lives, and nowhere else.
    let written: BTreeSet<_> = tenants.dump().await.into_keys().collect();
    let expected: BTreeSet<_> = tenants
        .placed
        .iter()
        .map(|placed| (placed.location(), "customers", placed.uuid()))
        .collect();
    assert_eq!(written, expected);
    let unknown = TenantId::random();
    assert!(matches!(db.tenant(unknown).await, Err(Error::UnknownTenant { id }) if id == unknown));
}

#[tokio::test]
async fn a_database_without_a_registry_is_refused_unless_the_configuration_says_pool_only() {
    let database = TestDatabase::empty_on(main_port(), None).await;
    let config = || Config::new(&database.app_url()).unwrap();
    match Tenantry::connect(config()).await {
        Err(error @ Error::RoutingNotChosen) => {
            assert!(error.to_string().contains("Config::pool_only"), "{error}")
        }
        other => panic!("no registry and no choice: {:?}", other.map(drop)),
    }
    match Tenantry::connect(config().registry()).await {
        Err(Error::NoRegistry) => {}
        other => panic!("the registry asked for is missing: {:?}", other.map(drop)),
    }
    let db = Tenantry::connect(config().pool_only()).await.unwrap();
    let tenant = db.tenant(TenantId::random()).await.unwrap();
    assert_eq!(tenant.server(), MAIN_SERVER);
    assert_eq!(db.cached_tenants(), 0, "no registry is consulted");
}

#[tokio::test]
async fn pool_only_is_refused_once_the_registry_records_a_tenant() {
    let world = World::create().await;
    // The operator's migrations make an empty registry: pool-only is fine.
    world.main.connect().await;
    world
        .provision("elsewhere", PlacementKind::Schema, MAIN_SERVER)
        .await;
    match Tenantry::connect(world.main.app_config()).await {
        Err(Error::RegistryInUse) => {}
        other => panic!(
            "a registered tenant may be misrouted: {:?}",
            other.map(drop)
        ),
    }
}

#[tokio::test]
async fn a_role_that_may_not_use_the_registry_is_told_so() {
    let world = World::create().await;
    world
        .admin(MAIN_SERVER, None)
        .await
        .batch_execute(&format!(
            "REVOKE USAGE ON SCHEMA tenantry_control FROM {}",
            world.main.app_role
        ))
        .await
        .unwrap();
    // The registry is still seen, from the catalogs: neither way of routing
    // proceeds without it.
    for config in [world.app_config(), world.main.app_config()] {
        match Tenantry::connect(config).await {
            Err(Error::Config(message)) => {
                assert!(message.contains("may not execute"), "{message}")
            }
            other => panic!("a registry out of reach: {:?}", other.map(drop)),
        }
    }
}

#[tokio::test]
async fn unknown_and_inactive_tenants_are_refused() {
    let world = World::create().await;
    let db = world.connect().await;
    let unknown = TenantId::random();
    assert!(matches!(db.tenant(unknown).await, Err(Error::UnknownTenant { id }) if id == unknown));
    let record = world
        .provision("suspended", PlacementKind::Schema, MAIN_SERVER)
        .await;
    db.tenant(record.id).await.unwrap();
    set_registry(&world, record.id, "status", "suspended").await;
    // The registry change reaches this process's cache without a restart.
    assert_eq!(
        refused_status(&db, record.id).await,
        Some(TenantStatus::Suspended)
    );
    // Nor can the application make a handle that skips the registry: that
    // is for the operator's privileged connection.
    assert!(matches!(db.tenant_at(&record).await, Err(Error::Config(_))));
    // Allowing a privileged role does not make an ordinary role one.
    let allowed = Tenantry::connect(world.app_config().allow_privileged_role())
        .await
        .unwrap();
    assert!(matches!(
        allowed.tenant_at(&record).await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn registry_changes_reach_every_process_promptly() {
    let world = World::create().await;
    let record = world
        .provision("moved", PlacementKind::Pool, MAIN_SERVER)
        .await;
    let (first, second) = (world.connect().await, world.connect().await);
    first.tenant(record.id).await.unwrap();
    second.tenant(record.id).await.unwrap();
    assert!(first.cached_tenants() == 1 && second.cached_tenants() == 1);
    // Another process (here the operator's connection) changes the registry.
    // (A tenant `moving` is still served where it is, until its move flips.)
    set_registry(&world, record.id, "status", "suspended").await;
    for db in [&first, &second] {
        assert_eq!(
            refused_status(db, record.id).await,
            Some(TenantStatus::Suspended),
            "a cached route outlived the registry change"
        );
    }
}

#[tokio::test]
async fn a_handle_of_a_suspended_tenant_is_refused_until_it_is_active_again() {
    let (world, record, db) = one_tenant("paused", PlacementKind::Schema, SECOND).await;
    let tenant = db.tenant(record.id).await.unwrap();
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 0);

    set_registry(&world, record.id, "status", "suspended").await;
    let refused = count_until(&tenant, Result::is_err).await;
    assert!(
        matches!(
            refused,
            Err(Error::TenantNotActive {
                status: TenantStatus::Suspended,
                ..
            })
        ),
        "a handle made before the suspension still ran: {refused:?}"
    );
    assert!(matches!(
        tenant.raw_query("SELECT 1", &[]).await,
        Err(Error::TenantNotActive { .. })
    ));
    assert!(matches!(
        tenant.transaction().await.map(drop),
        Err(Error::TenantNotActive { .. })
    ));

    set_registry(&world, record.id, "status", "active").await;
    let served = count_until(&tenant, Result::is_ok).await;
    assert_eq!(served.unwrap(), 0, "the same handle serves again");
}

#[tokio::test]
async fn handles_made_by_racing_lookups_are_all_refused_after_a_change() {
    let (world, record, db) = one_tenant("raced", PlacementKind::Pool, SECOND).await;
    // Lookups of one tenant on a cold cache, all at once.
    let lookups = (0..16).map(|_| db.tenant(record.id));
    let handles = futures_util::future::try_join_all(lookups).await.unwrap();
    set_registry(&world, record.id, "status", "suspended").await;
    for handle in &handles {
        let refused = count_until(handle, Result::is_err).await;
        assert!(
            matches!(refused, Err(Error::TenantNotActive { .. })),
            "a handle outlived the change: {refused:?}"
        );
    }
}

#[tokio::test]
async fn a_handle_of_a_moved_tenant_is_refused_and_a_new_one_goes_to_the_new_place() {
    let (world, record, db) = one_tenant("mover", PlacementKind::Pool, MAIN_SERVER).await;
    let before = db.tenant(record.id).await.unwrap();
    assert_eq!(before.server(), MAIN_SERVER);
    before.select::<Customer>().count().await.unwrap();

    set_registry(&world, record.id, "server", SECOND).await;
    let refused = count_until(&before, Result::is_err).await;
    assert!(
        matches!(refused, Err(Error::TenantMoved { id }) if id == record.id),
        "a handle sent a statement to the tenant's old server: {refused:?}"
    );
    let after = db.tenant(record.id).await.unwrap();
    assert_eq!(after.server(), SECOND);
    assert_eq!(after.select::<Customer>().count().await.unwrap(), 0);
}

/// The pid of a backend other than `other_than` that listens for registry
/// changes for `role`, waiting up to two seconds for one.
async fn listener_pid(world: &World, role: &str, other_than: i32) -> Option<i32> {
    let admin = world.admin(MAIN_SERVER, None).await;
    let listener = || async {
        admin
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE usename = $1 AND query LIKE 'LISTEN %' AND pid <> $2",
                &[&role, &other_than],
            )
            .await
            .unwrap()
            .map(|row| row.get(0))
    };
    eventually(Duration::from_secs(2), listener, Option::is_some).await
}

#[tokio::test]
async fn a_listener_that_stops_answering_is_replaced_and_no_change_is_missed() {
    let world = World::create().await;
    let record = world
        .provision("watched", PlacementKind::Pool, MAIN_SERVER)
        .await;
    let config = world
        .app_config()
        .registry_heartbeat(Duration::from_millis(200));
    let db = tenantry::Tenantry::connect(config).await.unwrap();
    let tenant = db.tenant(record.id).await.unwrap();
    tenant.select::<Customer>().count().await.unwrap();

    // The listener's backend freezes: no error, no notification, no answer.
    let role = &world.main.app_role;
    let frozen = listener_pid(&world, role, 0).await.expect("a listener");
    let signal = |name: &str| {
        let status = std::process::Command::new("kill")
            .args([name, &frozen.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {name} {frozen}");
    };
    signal("-STOP");
    set_registry(&world, record.id, "status", "suspended").await;
    let refused = count_until(&tenant, Result::is_err).await;
    signal("-CONT");
    assert!(
        matches!(refused, Err(Error::TenantNotActive { .. })),
        "a change made while the listener was frozen was missed: {refused:?}"
    );
    assert!(
        listener_pid(&world, role, frozen).await.is_some(),
        "the frozen listener was not replaced"
    );
}
