//! A tenant's writes stay in its own placement however they are sent: a
//! trigger of a schema tenant writes to the tenant's schema, never to the
//! shared pool's table of the same name; hand-written SQL cannot put a
//! tenant's rows in another tenant's schema or in the pool, nor another's
//! in its own; and once a tenant is suspended, no write of it commits in its
//! placement, whatever any process's cache says.

mod support;

use std::time::Duration;

use support::placements::{MIGRATIONS, SECOND, World, because};
use support::tenants::{Location, POOL_AND_TWO_SCHEMAS, Tenants};
use support::{Customer, NewCustomer};
use tenantry::ops::PlacementKind;
use tenantry::ops::migrate::MigrateOptions;
use tenantry::{Error, MAIN_SERVER, Tenant, TenantStatus};
use uuid::Uuid;

fn new_customer() -> NewCustomer {
    NewCustomer::named("audited")
}

/// Rows of `table` in `schema` of the main server's test database.
async fn count(world: &World, schema: &str, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {schema}.{table}");
    world
        .admin(MAIN_SERVER, None)
        .await
        .query_one(&sql, &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_schema_tenants_triggers_write_to_its_own_schema_however_the_statement_is_sent() {
    let world = World::create().await;
    let record = world
        .provision("audited", PlacementKind::Schema, MAIN_SERVER)
        .await;
    let schema = record.placement.schema().unwrap().as_str().to_owned();
    // The same audit trigger on the pool's customers and the tenant's, whose
    // function names `audit_log` without a schema, as tenant migrations do.
    let admin = world.admin(MAIN_SERVER, None).await;
    admin
        .batch_execute(&format!(
            "CREATE FUNCTION public.audit_customer() RETURNS trigger LANGUAGE plpgsql
                 AS $$ BEGIN INSERT INTO audit_log VALUES (NEW.tenant_id, NEW.id); RETURN NEW; END $$;
             CREATE TABLE public.audit_log (tenant_id uuid, id uuid);
             CREATE TABLE {schema}.audit_log (tenant_id uuid, id uuid);
             CREATE TRIGGER audit AFTER INSERT ON public.customers
                 FOR EACH ROW EXECUTE FUNCTION public.audit_customer();
             CREATE TRIGGER audit AFTER INSERT ON {schema}.customers
                 FOR EACH ROW EXECUTE FUNCTION public.audit_customer();
             GRANT INSERT ON public.audit_log, {schema}.audit_log TO {role};",
            role = world.main.app_role,
        ))
        .await
        .unwrap();
    let db = world.connect().await;
    let tenant: Tenant = db.tenant(record.id).await.unwrap();

    // A single built statement, a transaction, hand-written SQL.
    tenant.insert(new_customer()).exec().await.unwrap();
    let transaction = tenant.transaction().await.unwrap();
    transaction.insert(new_customer()).exec().await.unwrap();
    transaction.commit().await.unwrap();
    let customer = new_customer();
    tenant
        .raw_execute(
            "INSERT INTO customers (tenant_id, id, name) VALUES ($1, $2, $3)",
            &[&record.id.as_uuid(), &customer.id, &customer.name],
        )
        .await
        .unwrap();

    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 3);
    assert_eq!(count(&world, &schema, "audit_log").await, 3);
    assert_eq!(
        count(&world, "public", "audit_log").await,
        0,
        "nothing of the schema tenant reaches the shared pool"
    );
}

/// Tenant-scoped tables in a schema, as `schema.customers`.
fn customers_of(location: &Location) -> String {
    format!("{}.customers", location.schema)
}

/// Writes a customer of the tenant into `table`, by hand.
async fn write_into(tenant: &Tenant, table: &str) -> Result<u64, Error> {
    tenant
        .raw_execute(
            &format!("INSERT INTO {table} (tenant_id, id, name) VALUES ($1, $2, 'stray')"),
            &[&tenant.tenant().as_uuid(), &Uuid::new_v4()],
        )
        .await
}

/// Rows named 'stray' wherever tenant tables live on the main server.
async fn strays(tenants: &Tenants) -> i64 {
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    let mut total = 0;
    for placed in &tenants.placed {
        let location = placed.location();
        if location.server != MAIN_SERVER || location.database.is_some() {
            continue;
        }
        let sql = format!(
            "SELECT count(*) FROM {} WHERE name = 'stray'",
            customers_of(&location)
        );
        total += admin.query_one(&sql, &[]).await.unwrap().get::<_, i64>(0);
    }
    total
}

#[tokio::test]
async fn a_tenant_writes_only_to_its_own_placement_in_both_directions() {
    let tenants = Tenants::provision(&POOL_AND_TWO_SCHEMAS).await;
    let db = tenants.connect().await;
    let handles = tenants.handles(&db).await;
    for (writer, placed) in handles.iter().zip(&tenants.placed) {
        for (target, other) in handles.iter().zip(&tenants.placed) {
            let table = customers_of(&other.location());
            let written = write_into(writer, &table).await;
            if writer.tenant() == target.tenant() || other.location() == placed.location() {
                assert_eq!(written.unwrap(), 1, "{} into its own {table}", placed.label);
            } else {
                match written {
                    Err(Error::OutsidePlacement { id, .. }) => assert_eq!(id, writer.tenant()),
                    other => panic!("{} wrote into {table}: {other:?}", placed.label),
                }
                // Updates and deletes are refused all the same.
                let updated = writer
                    .raw_execute(&format!("UPDATE {table} SET name = name"), &[])
                    .await;
                assert!(matches!(updated, Err(Error::OutsidePlacement { .. })));
            }
        }
    }
    assert_eq!(
        strays(&tenants).await,
        3,
        "one row each, in its own placement"
    );
}

#[tokio::test]
async fn a_write_after_its_tenant_is_suspended_never_commits_in_any_placement() {
    let tenants = Tenants::provision(&[
        ("pool", PlacementKind::Pool, MAIN_SERVER),
        ("schema", PlacementKind::Schema, MAIN_SERVER),
        ("database", PlacementKind::Database, MAIN_SERVER),
        ("schema_second", PlacementKind::Schema, SECOND),
    ])
    .await;
    let db = tenants.connect().await;
    let operator = &tenants.world.operator;
    for (tenant, placed) in tenants.handles(&db).await.iter().zip(&tenants.placed) {
        let label = placed.label;
        // A transaction that has written holds the fence: the suspension
        // waits for it, and it commits whole.
        let transaction = tenant.transaction().await.unwrap();
        transaction.insert(new_customer()).exec().await.unwrap();
        let suspension = tokio::spawn({
            let operator = tenants.world.operator();
            let id = tenant.tenant();
            async move {
                operator
                    .suspend(id, &because("suspended by the test"))
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!suspension.is_finished(), "{label}: the suspension waits");
        transaction.insert(new_customer()).exec().await.unwrap();
        transaction.commit().await.unwrap();
        suspension.await.unwrap().unwrap();
        let admin = tenants
            .world
            .admin(&placed.record.server, placed.location().database.as_deref())
            .await;
        let rows = || async {
            let sql = format!("SELECT count(*) FROM {}", customers_of(&placed.location()));
            admin.query_one(&sql, &[]).await.unwrap().get::<_, i64>(0)
        };
        assert_eq!(rows().await, 2, "{label}");

        // A transaction begun before the suspension cannot write after it,
        // whatever the handle's cached route says.
        operator
            .resume(tenant.tenant(), &because("resumed by the test"))
            .await
            .unwrap();
        let db = tenants.connect().await;
        let tenant = db.tenant(placed.record.id).await.unwrap();
        let transaction = tenant.transaction().await.unwrap();
        assert_eq!(transaction.select::<Customer>().count().await.unwrap(), 2);
        operator
            .suspend(tenant.tenant(), &because("suspended by the test"))
            .await
            .unwrap();
        match transaction.insert(new_customer()).exec().await {
            Err(Error::TenantNotActive { id, status }) => {
                assert_eq!((id, status), (tenant.tenant(), TenantStatus::Suspended));
            }
            other => panic!("{label}: a write after the suspension: {other:?}"),
        }
        assert!(matches!(
            transaction.commit().await,
            Err(Error::TransactionAborted)
        ));
        assert_eq!(rows().await, 2, "{label}: nothing more was written");
    }
}

#[tokio::test]
async fn a_process_that_missed_the_suspension_cannot_write_either() {
    let world = World::create().await;
    // A pool-only process, started while the registry recorded no tenant,
    // never hears of the suspension: its handles go to the shared pool
    // whatever the registry says.
    let blind = world.main.connect().await;
    let tenants = Tenants::provision_in(world, &[("pool", PlacementKind::Pool, MAIN_SERVER)]).await;
    let id = tenants.placed[0].record.id;
    let tenant = blind.tenant(id).await.unwrap();
    tenant.insert(new_customer()).exec().await.unwrap();
    tenants
        .world
        .operator
        .suspend(id, &because("suspended by the test"))
        .await
        .unwrap();
    match tenant.insert(new_customer()).exec().await {
        Err(Error::TenantNotActive { status, .. }) => assert_eq!(status, TenantStatus::Suspended),
        other => panic!("a write after the suspension: {other:?}"),
    }
    // A tenant this database does not serve writes nothing here.
    let stranger = blind.tenant(tenantry::TenantId::random()).await.unwrap();
    assert!(matches!(
        stranger.insert(new_customer()).exec().await,
        Err(Error::OutsidePlacement { .. })
    ));
    // Reads are not fenced; the registry's router refuses them.
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 1);
    tenants
        .world
        .operator
        .resume(id, &because("resumed by the test"))
        .await
        .unwrap();
    tenant.insert(new_customer()).exec().await.unwrap();
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 2);
}

#[tokio::test]
async fn a_tenant_provisioned_before_its_residency_was_recorded_is_fenced_after_the_next_migration()
{
    let tenants = Tenants::provision(&[("schema", PlacementKind::Schema, MAIN_SERVER)]).await;
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    admin
        .batch_execute("DELETE FROM tenantry.residents")
        .await
        .unwrap();
    let db = tenants.connect().await;
    let tenant = &tenants.handles(&db).await[0];
    write_into(tenant, "public.customers").await.unwrap();

    let report = tenants
        .world
        .operator
        .migrate(&MIGRATIONS, MigrateOptions::default())
        .await
        .unwrap();
    assert!(report.is_success());
    assert!(matches!(
        write_into(tenant, "public.customers").await,
        Err(Error::OutsidePlacement { .. })
    ));
    write_into(tenant, "customers").await.unwrap();
}

#[tokio::test]
async fn a_suspension_that_waits_too_long_for_a_writing_transaction_changes_nothing() {
    let tenants = Tenants::provision(&[("pool", PlacementKind::Pool, MAIN_SERVER)]).await;
    let db = tenants.connect().await;
    let tenant = &tenants.handles(&db).await[0];
    let transaction = tenant.transaction().await.unwrap();
    transaction.insert(new_customer()).exec().await.unwrap();
    let impatient = tenants
        .world
        .operator()
        .fence_wait(Duration::from_millis(200));
    match impatient
        .suspend(tenant.tenant(), &because("suspended by the test"))
        .await
    {
        Err(tenantry::ops::Error::FenceTimeout { id, waited }) => {
            assert_eq!((id, waited), (tenant.tenant(), Duration::from_millis(200)));
        }
        other => panic!("expected the fence to time out, got {other:?}"),
    }
    let unchanged = &impatient.tenants().await.unwrap()[0];
    assert_eq!(
        (unchanged.status, &unchanged.last_change),
        (TenantStatus::Active, &None),
        "no change is recorded"
    );
    transaction.insert(new_customer()).exec().await.unwrap();
    transaction.commit().await.unwrap();
    tenant.insert(new_customer()).exec().await.unwrap();
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 3);
    let tenant = db.tenant(tenant.tenant()).await.expect("still active");
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 3);
}
