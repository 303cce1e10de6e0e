//! Behind PgBouncer in transaction mode: the tenant context is
//! transaction-local, so it never survives into another client's
//! transaction on a shared server connection; statements are prepared inside
//! their own transaction. Two server connections serve many tenants at once.
//! Session state that hand-written SQL leaves on a shared server connection
//! (where no reset reaches it) cannot capture another tenant's statements.
//! The registry's listener, which the pooler would starve of notifications,
//! connects directly. Support access records each use there too.

mod support;

use std::time::Duration;

use support::database::TestDatabase;
use support::eventually::eventually;
use support::placements::TENANT;
use support::pooler::Pooler;
use support::{Customer, NewCustomer};
use tenantry::ops::{NewTenant, Operator, PlacementKind};
use tenantry::{Access, Config, Error, TenantId, Tenantry};
use uuid::Uuid;

#[tokio::test]
async fn tenants_stay_isolated_through_a_transaction_mode_pooler() {
    let database = TestDatabase::create().await;
    let pooler = Pooler::start(&database, 2);
    let config = Config::new(&pooler.app_url(&database))
        .unwrap()
        .transaction_pooler()
        .pool_only()
        .pool_size(12);
    let db = Tenantry::connect(config).await.unwrap();
    let shared_id = Uuid::new_v4();
    let mut tenants = Vec::new();
    for n in 0..6 {
        let tenant = db.tenant(TenantId::random()).await.unwrap();
        tenant
            .insert(NewCustomer {
                id: shared_id,
                name: format!("tenant {n}"),
                email: None,
            })
            .exec()
            .await
            .unwrap();
        tenants.push(tenant);
    }
    let mut work = Vec::new();
    for round in 0..20 {
        for (n, tenant) in tenants.iter().enumerate() {
            let tenant = tenant.clone();
            work.push(tokio::spawn(async move {
                let expected = format!("tenant {n}");
                if round % 2 == 0 {
                    let customer = tenant
                        .select::<Customer>()
                        .filter(Customer::ID.eq(shared_id))
                        .one()
                        .await
                        .unwrap();
                    assert_eq!(customer.name, expected);
                } else {
                    let rows = tenant
                        .raw_query("SELECT name FROM customers", &[])
                        .await
                        .unwrap();
                    let names: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
                    assert_eq!(names, [expected]);
                }
            }));
        }
    }
    for task in work {
        task.await.unwrap();
    }
    let transaction = tenants[0].transaction().await.unwrap();
    transaction
        .update::<Customer>()
        .set(Customer::NAME, "renamed")
        .exec()
        .await
        .unwrap();
    transaction.rollback().await.unwrap();
    assert_eq!(
        tenants[0].select::<Customer>().one().await.unwrap().name,
        "tenant 0"
    );
    let intrusion = tenants[1]
        .raw_execute(
            "INSERT INTO customers (tenant_id, id, name) VALUES ($1, $2, 'intruder')",
            &[&tenants[2].tenant().as_uuid(), &Uuid::new_v4()],
        )
        .await;
    assert!(matches!(intrusion, Err(Error::PermissionDenied { .. })));
    // A plain client through the same pooler sees no tenant's rows.
    let (client, connection) =
        tokio_postgres::connect(&pooler.app_url(&database), tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(connection);
    let rows = client
        .simple_query("SELECT name FROM customers")
        .await
        .unwrap();
    let data_rows = rows
        .iter()
        .filter(|message| matches!(message, tokio_postgres::SimpleQueryMessage::Row(_)))
        .count();
    assert_eq!(data_rows, 0);
}

#[tokio::test]
async fn a_temporary_table_left_on_a_shared_server_connection_captures_nothing() {
    let database = TestDatabase::create().await;
    // One server connection: every client's transactions run on it in turn.
    let pooler = Pooler::start(&database, 1);
    // Another process leaves a temporary table on the server connection.
    let (intruder, connection) =
        tokio_postgres::connect(&pooler.app_url(&database), tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(connection);
    intruder
        .simple_query("CREATE TEMP TABLE customers (LIKE public.customers)")
        .await
        .unwrap();
    let config = Config::new(&pooler.app_url(&database))
        .unwrap()
        .transaction_pooler()
        .pool_only()
        .pool_size(1);
    let db = Tenantry::connect(config).await.unwrap();
    let victim = db.tenant(TenantId::random()).await.unwrap();
    victim
        .insert(NewCustomer {
            id: Uuid::new_v4(),
            name: "victim".to_owned(),
            email: None,
        })
        .exec()
        .await
        .unwrap();
    assert_eq!(victim.select::<Customer>().count().await.unwrap(), 1);
    let captured = intruder
        .simple_query("SELECT name FROM pg_temp.customers")
        .await
        .unwrap();
    assert!(
        !captured
            .iter()
            .any(|message| matches!(message, tokio_postgres::SimpleQueryMessage::Row(_))),
        "the temporary table captured the tenant's row"
    );
    let stored: i64 = database
        .admin()
        .await
        .query_one("SELECT count(*) FROM public.customers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 1, "the row did not reach the tenant's table");
}

#[tokio::test]
async fn the_registry_listener_connects_directly_past_the_pooler() {
    let database = TestDatabase::create().await;
    let pooler = Pooler::start(&database, 2);
    // No routing choice: the registry is found through the pooler, and its
    // listener needs a direct connection all the same.
    let pooled = || {
        Config::new(&pooler.app_url(&database))
            .unwrap()
            .transaction_pooler()
    };
    match Tenantry::connect(pooled()).await {
        Err(Error::Config(message)) => assert!(message.contains("registry_listener"), "{message}"),
        other => panic!(
            "a listener behind the pooler must be refused: {:?}",
            other.map(drop)
        ),
    }
    let operator = Operator::new(Config::new(&database.admin_url()).unwrap());
    let record = operator
        .provision(
            &NewTenant::new(&format!("t{}_pooled", database.suffix), PlacementKind::Pool),
            &TENANT,
        )
        .await
        .unwrap();
    let config = pooled().registry_listener(&database.app_url()).unwrap();
    let db = Tenantry::connect(config).await.unwrap();
    let tenant = db.tenant(record.id).await.unwrap();
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 0);
    // Routes are cached only while the listener is subscribed.
    assert_eq!(db.cached_tenants(), 1, "the listener did not subscribe");
    database
        .admin()
        .await
        .execute(
            "UPDATE tenantry_control.tenants SET status = 'suspended' WHERE id = $1",
            &[&record.id.as_uuid()],
        )
        .await
        .unwrap();
    let count = || tenant.select::<Customer>().count();
    let refused = eventually(Duration::from_secs(2), count, Result::is_err).await;
    assert!(
        matches!(refused, Err(Error::TenantNotActive { .. })),
        "the registry change did not arrive: {refused:?}"
    );
}

#[tokio::test]
async fn support_access_is_recorded_through_a_transaction_mode_pooler() {
    let database = TestDatabase::create().await;
    let pooler = Pooler::start(&database, 2);
    let config = Config::new(&pooler.app_url(&database))
        .unwrap()
        .transaction_pooler()
        .pool_only()
        .pool_size(4);
    let db = Tenantry::connect(config).await.unwrap();
    let (mine, theirs) = (TenantId::random(), TenantId::random());
    for (id, name) in [(mine, "mine"), (theirs, "theirs")] {
        db.tenant(id)
            .await
            .unwrap()
            .insert(NewCustomer::named(name))
            .exec()
            .await
            .unwrap();
    }
    let access = Access {
        actor: "ada@support".to_owned(),
        reason: "through the pooler".to_owned(),
        ticket: None,
        expires: time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
    };
    let support = db.support_access(mine, access).await.unwrap();
    let names = |customers: Vec<Customer>| -> Vec<String> {
        customers
            .into_iter()
            .map(|customer| customer.name)
            .collect()
    };
    assert_eq!(
        names(support.select::<Customer>().all().await.unwrap()),
        ["mine"]
    );
    let raw: Vec<String> = support
        .raw_query("SELECT name FROM customers", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(raw, ["mine"]);
    let transaction = support.transaction().await.unwrap();
    assert_eq!(
        names(transaction.select::<Customer>().all().await.unwrap()),
        ["mine"]
    );
    transaction.commit().await.unwrap();
    let written = support
        .raw_query("UPDATE customers SET name = 'changed' RETURNING id", &[])
        .await;
    assert!(written.is_err(), "{written:?}");

    let admin = database.admin().await;
    let recorded: Vec<(uuid::Uuid, String)> = admin
        .query(
            "SELECT tenant_id, reason FROM tenantry_control.support_access ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    // Three uses; the refused write's row went with its transaction.
    assert_eq!(
        recorded,
        vec![(mine.as_uuid(), "through the pooler".to_owned()); 3]
    );
}
