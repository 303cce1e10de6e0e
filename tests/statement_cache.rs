//! A connection's prepared statements are bounded: schema tenants' statements
//! name their schema, so each tenant has statements of its own, and one
//! connection serving many of them keeps at most the configured number,
//! the rest deallocated on the server.

mod support;

use support::placements::{World, bulk_schema_tenants};
use support::probes::backend_pid;
use support::{Customer, NewCustomer};
use tenantry::Tenantry;

/// Statements the connection prepared over the protocol, but for the
/// driver's own type lookups, as its session sees them.
async fn prepared_statements(db: &Tenantry, tenant: tenantry::TenantId) -> i64 {
    db.tenant(tenant)
        .await
        .unwrap()
        .raw_query(
            "SELECT count(*) FROM pg_prepared_statements
             WHERE NOT from_sql AND statement NOT LIKE '%pg_catalog.%'",
            &[],
        )
        .await
        .unwrap()[0]
        .get(0)
}

#[tokio::test]
async fn one_connection_serving_many_schema_tenants_keeps_a_bounded_number_of_statements() {
    let world = World::create().await;
    let admin = world.admin(tenantry::MAIN_SERVER, None).await;
    let prefix = format!("c{}_", world.main.suffix);
    let tenants = bulk_schema_tenants(&admin, &prefix, 150, &world.main.app_role).await;
    const CACHE: usize = 8;
    let db = Tenantry::connect(world.app_config().pool_size(1).statement_cache_size(CACHE))
        .await
        .unwrap();
    let pid = backend_pid(&db.tenant(tenants[0]).await.unwrap()).await;
    for (n, id) in tenants.iter().enumerate() {
        let tenant = db.tenant(*id).await.unwrap();
        tenant
            .insert(NewCustomer::named(&format!("customer {n}")))
            .exec()
            .await
            .unwrap();
        assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 1);
        if n % 50 == 49 {
            let statements = prepared_statements(&db, *id).await;
            // The cache, and the context's five shared statements.
            assert!(
                statements <= (CACHE + 5) as i64,
                "{statements} statements prepared after {} tenants",
                n + 1
            );
            // On the one connection all along: the bound is the cache's.
            assert_eq!(backend_pid(&tenant).await, pid);
        }
    }
}
