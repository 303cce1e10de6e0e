//! A tenant's writes stay in its own placement however they are sent: a
//! trigger of a schema tenant writes to the tenant's schema, never to the
//! shared pool's table of the same name.

mod support;

use support::placements::World;
use support::{Customer, NewCustomer};
use tenantry::{MAIN_SERVER, PlacementKind, Tenant};
use uuid::Uuid;

fn new_customer() -> NewCustomer {
    NewCustomer {
        id: Uuid::new_v4(),
        name: "audited".to_owned(),
        email: None,
    }
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
