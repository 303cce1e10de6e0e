//! Every placement behind the same handle: tenants in the shared pool, in
//! schemas and in databases of their own, on two servers at once, routed by
//! the registry. The same adversarial checks run against each tenant, with
//! overlapping ids in every placement.

mod support;

use std::time::Duration;

use support::placements::{SECOND, World};
use support::{Customer, Invoice, NewCustomer, NewInvoice};
use tenantry::ops::PlacementKind;
use tenantry::{Error, MAIN_SERVER, Placement, Tenant, TenantId};
use time::OffsetDateTime;
use uuid::Uuid;

const SHARED_ID: Uuid = Uuid::from_u128(0x5eed);

/// Writes the same rows (same ids) into `tenant`, with its own name.
async fn fill(tenant: &Tenant, name: &str) {
    tenant
        .insert(NewCustomer {
            id: SHARED_ID,
            name: name.to_owned(),
            email: None,
        })
        .exec()
        .await
        .unwrap();
    tenant
        .insert(NewInvoice {
            id: SHARED_ID,
            customer_id: SHARED_ID,
            amount_cents: 100,
            paid: false,
            note: Some(name.to_owned()),
            created_at: OffsetDateTime::now_utc(),
        })
        .exec()
        .await
        .unwrap();
}

/// The checks every tenant must pass, whatever its placement.
async fn assert_isolated(tenant: &Tenant, name: &str, others: &[TenantId]) {
    let customers = tenant.select::<Customer>().all().await.unwrap();
    assert_eq!(customers.len(), 1, "{name} sees {customers:?}");
    assert_eq!(customers[0].name, name);
    assert_eq!(customers[0].tenant_id, tenant.tenant());
    let joined: Vec<(String, Option<String>)> = tenant
        .select::<Invoice>()
        .inner_join::<Customer>(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
        .columns((Customer::NAME, Invoice::NOTE))
        .all()
        .await
        .unwrap();
    assert_eq!(joined, [(name.to_owned(), Some(name.to_owned()))]);
    let renamed = tenant
        .update::<Customer>()
        .set(Customer::EMAIL, Some(format!("{name}@example.com")))
        .filter(Customer::ID.eq(SHARED_ID))
        .exec()
        .await
        .unwrap();
    assert_eq!(renamed, 1, "{name} updated rows of others");
    // Hand-written SQL without a tenant filter, unqualified table names.
    let raw = tenant
        .raw_query("SELECT count(*), min(name) FROM customers", &[])
        .await
        .unwrap();
    assert_eq!(raw[0].get::<_, i64>(0), 1, "{name}: raw SQL saw other rows");
    assert_eq!(raw[0].get::<_, String>(1), name);
    // An upsert whose key collides with every other tenant's row inserts nothing
    // of theirs and updates only this tenant's own row.
    let upserted = tenant
        .insert(NewCustomer {
            id: SHARED_ID,
            name: name.to_owned(),
            email: None,
        })
        .on_conflict_update(Customer::EMAIL)
        .all()
        .await
        .unwrap();
    assert_eq!(upserted.len(), 1);
    assert_eq!(upserted[0].tenant_id, tenant.tenant());
    let deleted = tenant
        .delete::<Invoice>()
        .filter(Invoice::ID.eq(Uuid::from_u128(0xdead)))
        .exec()
        .await
        .unwrap();
    assert_eq!(deleted, 0);
    for other in others {
        let intrusion = tenant
            .raw_execute(
                "INSERT INTO customers (tenant_id, id, name) VALUES ($1, $2, 'intruder')",
                &[&other.as_uuid(), &Uuid::new_v4()],
            )
            .await;
        assert!(
            matches!(intrusion, Err(Error::PermissionDenied { .. })),
            "{name} wrote a row for {other}: {intrusion:?}"
        );
        let moved = tenant
            .raw_execute(
                "UPDATE customers SET name = 'stolen' WHERE tenant_id = $1",
                &[&other.as_uuid()],
            )
            .await
            .unwrap();
        assert_eq!(moved, 0, "{name} updated another tenant's rows");
    }
}

#[tokio::test]
async fn every_placement_on_two_servers_is_isolated_behind_one_handle() {
    let world = World::create().await;
    let kinds = [
        ("pool_main", PlacementKind::Pool, MAIN_SERVER),
        ("pool_second", PlacementKind::Pool, SECOND),
        ("schema_main", PlacementKind::Schema, MAIN_SERVER),
        ("schema_second", PlacementKind::Schema, SECOND),
        ("db_main", PlacementKind::Database, MAIN_SERVER),
        ("db_second", PlacementKind::Database, SECOND),
    ];
    let mut records = Vec::new();
    for (name, kind, server) in kinds {
        records.push((name, world.provision(name, kind, server).await));
    }
    let db = world.connect().await;
    let ids: Vec<TenantId> = records.iter().map(|(_, record)| record.id).collect();
    let mut tenants = Vec::new();
    for (name, record) in &records {
        let tenant = db.tenant(record.id).await.unwrap();
        assert_eq!(tenant.placement(), &record.placement);
        assert_eq!(tenant.server(), record.server);
        fill(&tenant, name).await;
        tenants.push((name, tenant));
    }
    for (name, tenant) in &tenants {
        let others: Vec<TenantId> = ids
            .iter()
            .copied()
            .filter(|id| *id != tenant.tenant())
            .collect();
        assert_isolated(tenant, name, &others).await;
    }
    // A subquery built by one tenant's handle is refused in another's
    // statement, whatever the two placements.
    for ((_, outer), (_, inner)) in tenants.iter().zip(tenants.iter().skip(1)) {
        let mixed = outer
            .select::<Invoice>()
            .filter(Invoice::CUSTOMER_ID.in_query(inner.select::<Customer>().columns(Customer::ID)))
            .all()
            .await;
        assert!(
            matches!(
                mixed,
                Err(Error::Query(tenantry::QueryError::ScopeMismatch { .. }))
            ),
            "{mixed:?}"
        );
    }
    // Where the rows physically are: one pool row per server and tenant
    // there, one row in each schema and each database.
    for (name, record) in &records {
        let (client, table) = match &record.placement {
            Placement::Pool => (
                world.admin(&record.server, None).await,
                "public.customers".to_owned(),
            ),
            Placement::Schema(schema) => (
                world.admin(&record.server, None).await,
                format!("{schema}.customers"),
            ),
            Placement::Database(database) => (
                world.admin(&record.server, Some(database.as_str())).await,
                "public.customers".to_owned(),
            ),
        };
        let rows = client
            .query(
                &format!("SELECT name FROM {table} WHERE tenant_id = $1"),
                &[&record.id.as_uuid()],
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 1, "{name}");
        assert_eq!(rows[0].get::<_, String>(0), *name);
    }
}

#[tokio::test]
async fn database_tenants_share_a_bounded_connection_budget() {
    const BUDGET: usize = 4;
    let world = World::create().await;
    let mut ids = Vec::new();
    for n in 0..6 {
        ids.push(
            world
                .provision(&format!("b{n}"), PlacementKind::Database, MAIN_SERVER)
                .await
                .id,
        );
    }
    let config = world
        .app_config()
        .pool_size(1)
        .database_pool_size(2)
        .connection_budget(BUDGET)
        .wait_timeout(Duration::from_secs(20));
    let db = tenantry::Tenantry::connect(config).await.unwrap();
    let admin = world.admin(MAIN_SERVER, None).await;
    let role = world.main.app_role.clone();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        tokio::spawn(async move {
            let mut most = 0_i64;
            while !done.load(std::sync::atomic::Ordering::Acquire) {
                let rows = admin
                    .query(
                        "SELECT 1 FROM pg_stat_activity WHERE usename = $1",
                        &[&role],
                    )
                    .await
                    .unwrap();
                most = most.max(rows.len() as i64);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            most
        })
    };
    let mut work = Vec::new();
    for id in &ids {
        let tenant = db.tenant(*id).await.unwrap();
        for _ in 0..4 {
            let tenant = tenant.clone();
            work.push(tokio::spawn(async move {
                tenant
                    .raw_query("SELECT pg_sleep(0.05)", &[])
                    .await
                    .map(drop)
            }));
        }
    }
    for task in work {
        task.await
            .unwrap()
            .expect("every statement runs, waiting for the budget if need be");
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    let most = sampler.await.unwrap();
    assert!(
        most as usize <= BUDGET,
        "{most} connections were open, the budget is {BUDGET}"
    );
    assert!(
        most >= 2,
        "the test should have used several connections at once"
    );
    assert!(db.open_connections(MAIN_SERVER).unwrap() <= BUDGET);
}
