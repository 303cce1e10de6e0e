//! The known traps of running a tenant context over a pipelined, pooled
//! driver, each reproduced against a real server: statement order inside the
//! pipeline, a bind value of the wrong type, LIMIT parameters, a cancelled
//! future (on the client and on the server), a dead connection, an exhausted pool, privileged roles, and the
//! prepared-statement cache.

mod support;

use std::time::Duration;

use support::database::TestDatabase;
use support::probes::{backend_pid, context_of, idle_in_transaction};
use support::{Customer, DriftedInvoice, NewCustomer};
use tenantry::{Config, Error, TenantId, Tenantry};
use uuid::Uuid;

#[tokio::test]
async fn a_pipelined_statement_runs_inside_its_tenant_context() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    for _ in 0..3 {
        let tenant_id = TenantId::random();
        let tenant = db.tenant(tenant_id).await.unwrap();
        // The first run prepares the statement; later runs use the cache.
        assert_eq!(context_of(&tenant).await, tenant_id.to_string());
        tenant.select::<Customer>().count().await.unwrap();
        assert_eq!(context_of(&tenant).await, tenant_id.to_string());
    }
    let admin = database.admin().await;
    assert_eq!(idle_in_transaction(&admin, &database.app_role).await, 0);
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_refused_before_anything_is_sent() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    match acme
        .raw_query("SELECT count(*) FROM invoices WHERE amount > $1", &[&5_i32])
        .await
    {
        Err(Error::ParameterType {
            position: 1,
            expected,
            ..
        }) => assert_eq!(expected, "int8"),
        other => panic!("expected a parameter type error, got {other:?}"),
    }
    match acme
        .select::<DriftedInvoice>()
        .filter(DriftedInvoice::AMOUNT.gt(5))
        .all()
        .await
    {
        Err(Error::ParameterType { position: 2, .. }) => {}
        other => panic!("expected a parameter type error, got {other:?}"),
    }
    let admin = database.admin().await;
    assert_eq!(idle_in_transaction(&admin, &database.app_role).await, 0);
    let other_id = TenantId::random();
    let other = db.tenant(other_id).await.unwrap();
    assert_eq!(context_of(&other).await, other_id.to_string());
}

#[tokio::test]
async fn limit_and_offset_are_bound_as_bigint() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    for n in 0..5 {
        acme.insert(NewCustomer {
            id: Uuid::new_v4(),
            name: format!("customer {n}"),
            email: None,
        })
        .exec()
        .await
        .unwrap();
    }
    let page = acme
        .select::<Customer>()
        .order_by(Customer::NAME.asc())
        .limit(2)
        .offset(3)
        .all()
        .await
        .unwrap();
    let names: Vec<&str> = page.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["customer 3", "customer 4"]);
}

#[tokio::test]
async fn a_cancelled_statement_never_returns_its_connection_in_a_transaction() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let first_pid = backend_pid(&acme).await;
    let cancelled = tokio::time::timeout(
        Duration::from_millis(100),
        acme.raw_query("SELECT pg_sleep(1)", &[]),
    )
    .await;
    assert!(
        cancelled.is_err(),
        "the statement should have been cancelled"
    );

    let admin = database.admin().await;
    assert_eq!(idle_in_transaction(&admin, &database.app_role).await, 0);
    let next_id = TenantId::random();
    let next = db.tenant(next_id).await.unwrap();
    assert_eq!(context_of(&next).await, next_id.to_string());
    assert_ne!(
        backend_pid(&next).await,
        first_pid,
        "the connection of the cancelled statement must have been closed"
    );

    // The same for a transaction dropped while a statement is in flight.
    let transaction = next.transaction().await.unwrap();
    let cancelled = tokio::time::timeout(
        Duration::from_millis(100),
        transaction.raw_query("SELECT pg_sleep(1)", &[]),
    )
    .await;
    assert!(cancelled.is_err());
    drop(transaction);
    assert_eq!(idle_in_transaction(&admin, &database.app_role).await, 0);
    assert_eq!(context_of(&acme).await, acme.tenant().to_string());
}

#[tokio::test]
async fn hand_written_sql_naming_the_system_catalog_keeps_its_connection() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let pid = backend_pid(&acme).await;
    for _ in 0..3 {
        let rows = acme
            .raw_query("SELECT count(*) FROM pg_catalog.pg_class", &[])
            .await
            .unwrap();
        assert!(rows[0].get::<_, i64>(0) > 0);
        // Its session was reset and checked, and the connection kept.
        assert_eq!(backend_pid(&acme).await, pid);
    }
}

#[tokio::test]
async fn a_connection_past_its_lifetime_is_replaced_at_its_next_loan() {
    let database = TestDatabase::create().await;
    let config = database
        .app_config()
        .pool_size(1)
        .connection_lifetime(Duration::from_millis(500));
    let db = Tenantry::connect(config).await.unwrap();
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let first = backend_pid(&acme).await;
    assert_eq!(backend_pid(&acme).await, first, "kept within its lifetime");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let second = backend_pid(&acme).await;
    assert_ne!(second, first, "replaced after its lifetime");
    assert_eq!(acme.select::<Customer>().count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_cancel_request_and_a_statement_timeout_are_told_apart() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let admin = database.admin().await;
    // Another session cancels the statement while it runs.
    let sleeping = acme.raw_query("SELECT pg_sleep(5)", &[]);
    let cancel = async {
        loop {
            let cancelled: i64 = admin
                .query_one(
                    "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity
                     WHERE usename = $1 AND query = 'SELECT pg_sleep(5)' AND state = 'active'",
                    &[&database.app_role],
                )
                .await
                .unwrap()
                .get(0);
            if cancelled > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let (slept, ()) = futures_util::future::join(sleeping, cancel).await;
    match slept {
        Err(Error::Cancelled { .. }) => {}
        other => panic!("expected a cancelled statement, got {other:?}"),
    }
    // The statement's own time limit.
    admin
        .batch_execute(&format!(
            "ALTER ROLE {} SET statement_timeout = '50ms'",
            database.app_role
        ))
        .await
        .unwrap();
    let db = database.connect_single().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    match acme.raw_query("SELECT pg_sleep(1)", &[]).await {
        Err(Error::StatementTimeout { .. }) => {}
        other => panic!("expected a statement timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_cancelled_statement_is_cancelled_on_the_server_too() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    // A write still running when its caller gives up: pipelined with its
    // COMMIT, it would commit a moment later if the server ran it to the end.
    let cancelled = tokio::time::timeout(
        Duration::from_millis(100),
        acme.raw_execute(
            "INSERT INTO customers (tenant_id, id, name) \
             SELECT $1, gen_random_uuid(), 'late' FROM pg_sleep(1)",
            &[&acme.tenant().as_uuid()],
        ),
    )
    .await;
    assert!(cancelled.is_err(), "the write should have been cancelled");
    let admin = database.admin().await;
    let sleeping = || async {
        admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND query LIKE '%pg_sleep(1)%'",
                &[&database.app_role],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sleeping().await,
        0,
        "the server still runs the dropped statement"
    );
    // Past the time the statement would have taken, nothing was written.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let written: i64 = admin
        .query_one("SELECT count(*) FROM customers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        written, 0,
        "a dropped write committed behind its caller's back"
    );
}

#[tokio::test]
async fn a_dead_connection_is_an_error_and_the_pool_recovers() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let pid = backend_pid(&acme).await;
    let admin = database.admin().await;
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        admin
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .await
            .unwrap();
    });
    match acme.raw_query("SELECT pg_sleep(5)", &[]).await {
        Err(Error::ConnectionLost { .. }) => {}
        other => panic!("expected a lost connection, got {other:?}"),
    }
    killer.await.unwrap();
    assert_ne!(backend_pid(&acme).await, pid);
    assert_eq!(acme.select::<Customer>().count().await.unwrap(), 0);
}

#[tokio::test]
async fn an_exhausted_pool_is_a_typed_timeout() {
    let database = TestDatabase::create().await;
    let db = Tenantry::connect(
        database
            .app_config()
            .pool_size(1)
            .wait_timeout(Duration::from_millis(100)),
    )
    .await
    .unwrap();
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let held = acme.transaction().await.unwrap();
    match acme.select::<Customer>().all().await {
        Err(Error::PoolTimeout { waited }) => assert_eq!(waited, Duration::from_millis(100)),
        other => panic!("expected a pool timeout, got {other:?}"),
    }
    held.commit().await.unwrap();
    assert_eq!(acme.select::<Customer>().count().await.unwrap(), 0);
}

#[tokio::test]
async fn roles_that_bypass_row_level_security_are_refused() {
    let database = TestDatabase::create().await;
    let superuser_url = database.app_url().replace(&database.app_role, "postgres");
    match Tenantry::connect(Config::new(&superuser_url).unwrap()).await {
        Err(Error::PrivilegedRole { role }) => assert_eq!(role, "postgres"),
        Ok(_) => panic!("a superuser must be refused"),
        Err(other) => panic!("expected a privileged role error, got {other:?}"),
    }
    Tenantry::connect(Config::new(&superuser_url).unwrap().allow_privileged_role())
        .await
        .expect("an explicit opt-out is honoured");
    // Any server's role is checked, not only the main one's.
    let privileged_elsewhere = database
        .app_config()
        .server("eu-1", &superuser_url)
        .unwrap();
    match Tenantry::connect(privileged_elsewhere).await {
        Err(Error::PrivilegedRole { role }) => assert_eq!(role, "postgres"),
        Ok(_) => panic!("a superuser on another server must be refused"),
        Err(other) => panic!("expected a privileged role error, got {other:?}"),
    }

    let admin = database.admin().await;
    admin
        .batch_execute(&format!("ALTER ROLE {} BYPASSRLS", database.app_role))
        .await
        .unwrap();
    match Tenantry::connect(database.app_config()).await {
        Err(Error::PrivilegedRole { role }) => assert_eq!(role, database.app_role),
        Ok(_) => panic!("a BYPASSRLS role must be refused"),
        Err(other) => panic!("expected a privileged role error, got {other:?}"),
    }
}

#[tokio::test]
async fn types_are_looked_up_again_after_a_session_reset() {
    let database = TestDatabase::create().await;
    database
        .admin()
        .await
        .batch_execute(
            "CREATE TYPE mood AS ENUM ('calm', 'busy'); CREATE TYPE weather AS ENUM ('sun', 'rain')",
        )
        .await
        .unwrap();
    let db = database.connect_single().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    // Each hand-written query resets the session before the next borrower;
    // the driver's lookups of custom types must not outlive it.
    for sql in [
        "SELECT 'calm'::mood",
        "SELECT 'sun'::weather",
        "SELECT ARRAY['busy'::mood]",
    ] {
        let rows = acme.raw_query(sql, &[]).await;
        assert!(
            matches!(&rows, Ok(rows) if rows.len() == 1),
            "{sql}: {rows:?}"
        );
    }
}

#[tokio::test]
async fn a_statement_dropped_by_hand_is_noticed_beside_the_drivers_own() {
    let database = TestDatabase::create().await;
    database
        .admin()
        .await
        .batch_execute("CREATE TYPE mood AS ENUM ('calm', 'busy')")
        .await
        .unwrap();
    let db = database.connect_single().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    // The driver prepares statements of its own to look the type up.
    acme.raw_query("SELECT 'calm'::mood", &[]).await.unwrap();
    acme.select::<Customer>().all().await.unwrap();
    acme.raw_execute(
        "DO $$ DECLARE s record; BEGIN \
         FOR s IN SELECT name FROM pg_prepared_statements \
                  WHERE statement LIKE '%FROM ' || '\"customers\"%' LOOP \
             EXECUTE format('DEALLOCATE %I', s.name); \
         END LOOP; END $$",
        &[],
    )
    .await
    .unwrap();
    let next = db.tenant(TenantId::random()).await.unwrap();
    let rows = next.select::<Customer>().all().await;
    assert!(
        rows.is_ok(),
        "the next borrower hit the dropped statement: {rows:?}"
    );
}

#[tokio::test]
async fn statements_are_prepared_once_per_connection_and_never_per_tenant() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let prepared = |tenant: tenantry::Tenant| async move {
        tenant
            .raw_query("SELECT statement FROM pg_prepared_statements", &[])
            .await
            .unwrap()
            .iter()
            .map(|row| row.get::<_, String>(0))
            .collect::<Vec<_>>()
    };
    let mut tenants = Vec::new();
    for _ in 0..3 {
        let tenant = db.tenant(TenantId::random()).await.unwrap();
        tenant.select::<Customer>().all().await.unwrap();
        tenant.select::<Customer>().all().await.unwrap();
        tenants.push(tenant);
    }
    let statements = prepared(tenants[0].clone()).await;
    let selects = statements
        .iter()
        .filter(|sql| sql.contains("FROM \"public\".\"customers\""))
        .count();
    assert_eq!(
        selects, 1,
        "one cached statement serves every tenant: {statements:?}"
    );
    for tenant in &tenants {
        let id = tenant.tenant().to_string();
        assert!(
            statements.iter().all(|sql| !sql.contains(&id)),
            "a tenant id entered the statement cache: {statements:?}"
        );
    }
}
