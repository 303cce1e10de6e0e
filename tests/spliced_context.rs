//! The tenant context travels in its statement's own message group: one
//! Sync and one ReadyForQuery per statement, seen on the wire by a relay in
//! front of the real server; and every way such a group can end (a failed
//! statement, a failed `COMMIT` or a failed commit at the group's Sync,
//! messages the server sends unasked, rows larger than a read) leaves the
//! connection clean for its next borrower. Built statements, sent without a
//! transaction block, reach their own tables, and their triggers theirs,
//! whatever the role's default path or hand-written SQL says. A support
//! access's audit row goes in the same group, written by its transaction.

mod support;

use support::database::{TestDatabase, main_port, url_for};
use support::probes::{backend_pid, context_of, idle_in_transaction};
use support::wire_tap::WireTap;
use support::{Customer, DriftedInvoice, NewCustomer};
use tenantry::{Access, Config, ConstraintKind, Error, TenantId, Tenantry};
use uuid::Uuid;

/// Tenantry on one connection, through a relay that counts its messages.
async fn tapped(database: &TestDatabase) -> (Tenantry, WireTap) {
    let tap = WireTap::start(main_port()).await;
    // Plaintext: the tap reads the protocol's messages, and a TLS request
    // (`sslmode=prefer`, the default) would hide them from it.
    let url = format!(
        "{}?sslmode=disable",
        url_for(tap.port, &database.name, &database.app_role)
    );
    let db = Tenantry::connect(Config::new(&url).unwrap().pool_only().pool_size(1))
        .await
        .unwrap();
    (db, tap)
}

/// Backends of the application role inside a transaction.
async fn in_transaction(database: &TestDatabase) -> i64 {
    idle_in_transaction(&database.admin().await, &database.app_role).await
}

fn new_customer(id: Uuid) -> NewCustomer {
    NewCustomer {
        id,
        name: format!("customer {id}"),
        email: None,
    }
}

#[tokio::test]
async fn a_statement_and_its_context_are_one_group_answered_once() {
    let database = TestDatabase::create().await;
    let (db, tap) = tapped(&database).await;
    let tenant = db.tenant(TenantId::random()).await.unwrap();
    let id = Uuid::new_v4();
    // The first runs prepare the statements (one group each).
    tenant.insert(new_customer(id)).exec().await.unwrap();
    let select = || tenant.select::<Customer>().filter(Customer::ID.eq(id));
    select().one().await.unwrap();

    for _ in 0..3 {
        let before = tap.counts.now();
        let customer = select().one().await.unwrap();
        assert_eq!(customer.id, id);
        let after = tap.counts.now();
        assert_eq!(
            (after.0 - before.0, after.1 - before.1),
            (1, 1),
            "context, statement and COMMIT: one Sync, one ReadyForQuery"
        );
    }
    let before = tap.counts.now();
    tenant
        .insert(new_customer(Uuid::new_v4()))
        .exec()
        .await
        .unwrap();
    let after = tap.counts.now();
    assert_eq!((after.0 - before.0, after.1 - before.1), (1, 1));
    assert_eq!(in_transaction(&database).await, 0);
}

#[tokio::test]
async fn a_support_access_records_each_statement_in_the_statements_own_group() {
    let database = TestDatabase::create().await;
    let (db, tap) = tapped(&database).await;
    let tenant_id = TenantId::random();
    let id = Uuid::new_v4();
    let tenant = db.tenant(tenant_id).await.unwrap();
    tenant.insert(new_customer(id)).exec().await.unwrap();
    let access = Access {
        actor: "ada@support".to_owned(),
        reason: "one round trip".to_owned(),
        ticket: None,
        expires: time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
    };
    let support = db.support_access(tenant_id, access).await.unwrap();
    let select = || support.select::<Customer>().filter(Customer::ID.eq(id));
    // The first run prepares the statement (a group of its own).
    select().one().await.unwrap();
    for _ in 0..3 {
        let before = tap.counts.now();
        assert_eq!(select().one().await.unwrap().id, id);
        let after = tap.counts.now();
        assert_eq!(
            (after.0 - before.0, after.1 - before.1),
            (1, 1),
            "context, audit row, statement and COMMIT: one Sync, one ReadyForQuery"
        );
    }
    assert_eq!(in_transaction(&database).await, 0);
    let recorded: i64 = database
        .admin()
        .await
        .query_one(
            "SELECT count(*) FROM tenantry_control.support_access WHERE tenant_id = $1",
            &[&tenant_id.as_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 4);
}

#[tokio::test]
async fn a_failed_statement_is_rolled_back_and_its_connection_kept() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let tenant_id = TenantId::random();
    let tenant = db.tenant(tenant_id).await.unwrap();
    let id = Uuid::new_v4();
    tenant.insert(new_customer(id)).exec().await.unwrap();
    let pid = backend_pid(&tenant).await;

    // The error reaches the driver before the group's ReadyForQuery: the
    // connection is kept all the same, every time.
    for _ in 0..20 {
        match tenant.insert(new_customer(id)).exec().await {
            Err(Error::Constraint {
                kind: ConstraintKind::Unique,
                ..
            }) => {}
            other => panic!("expected a unique violation, got {other:?}"),
        }
        // Rolled back on the same connection, not closed and not left open.
        assert_eq!(backend_pid(&tenant).await, pid);
    }
    assert_eq!(in_transaction(&database).await, 0);
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 1);

    let other_id = TenantId::random();
    let other = db.tenant(other_id).await.unwrap();
    assert_eq!(context_of(&other).await, other_id.to_string());
    assert_eq!(other.select::<Customer>().count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_failed_commit_is_the_statements_error_and_nothing_is_written() {
    let database = TestDatabase::create().await;
    database
        .admin()
        .await
        .batch_execute(&format!(
            "CREATE TABLE deferred_links (
                 id int PRIMARY KEY,
                 parent int REFERENCES deferred_links (id) DEFERRABLE INITIALLY DEFERRED
             );
             GRANT SELECT, INSERT ON deferred_links TO {}",
            database.app_role
        ))
        .await
        .unwrap();
    let db = database.connect_single().await;
    let tenant = db.tenant(TenantId::random()).await.unwrap();
    let pid = backend_pid(&tenant).await;

    // The foreign key is checked at COMMIT, after the statement succeeded.
    match tenant
        .raw_execute("INSERT INTO deferred_links VALUES (1, 99)", &[])
        .await
    {
        Err(Error::Constraint {
            kind: ConstraintKind::ForeignKey,
            ..
        }) => {}
        other => panic!("expected the COMMIT's foreign-key violation, got {other:?}"),
    }
    assert_eq!(in_transaction(&database).await, 0);
    let rows = tenant
        .raw_query("SELECT count(*) FROM deferred_links", &[])
        .await
        .unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), 0);
    assert_eq!(backend_pid(&tenant).await, pid);
}

#[tokio::test]
async fn messages_the_server_sends_unasked_pass_through_the_group() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let tenant_id = TenantId::random();
    let tenant = db.tenant(tenant_id).await.unwrap();
    // A notice, and two parameter reports (set, then reset by the COMMIT).
    tenant
        .raw_execute("DO $$ BEGIN RAISE NOTICE 'inside the context'; END $$", &[])
        .await
        .unwrap();
    tenant
        .raw_execute("SET LOCAL application_name = 'spliced'", &[])
        .await
        .unwrap();
    assert_eq!(context_of(&tenant).await, tenant_id.to_string());
    assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 0);
    assert_eq!(in_transaction(&database).await, 0);
}

#[tokio::test]
async fn rows_larger_than_one_read_arrive_whole() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let tenant = db.tenant(TenantId::random()).await.unwrap();
    let rows = tenant
        .raw_query(
            "SELECT md5(n::text), repeat(md5(n::text), 40000) FROM generate_series(1, 3) AS n",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for row in &rows {
        let digest: String = row.get(0);
        let text: String = row.get(1);
        assert_eq!(text.len(), 32 * 40_000);
        assert!(text == digest.repeat(40_000));
    }
    assert_eq!(in_transaction(&database).await, 0);
}

#[tokio::test]
async fn a_statement_dropped_inside_a_transaction_never_carries_the_next_borrowers_context() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let first = db.tenant(TenantId::random()).await.unwrap();
    let next_id = TenantId::random();
    let next = db.tenant(next_id).await.unwrap();
    next.insert(new_customer(Uuid::new_v4()))
        .exec()
        .await
        .unwrap();
    for _ in 0..20 {
        let transaction = first.transaction().await.unwrap();
        // Polled once, so its request is queued, then given up on.
        let mut insert = Box::pin(transaction.insert(new_customer(Uuid::new_v4())).exec());
        assert!(futures_util::FutureExt::now_or_never(&mut insert).is_none());
        drop(insert);
        drop(transaction);

        assert_eq!(context_of(&next).await, next_id.to_string());
        assert_eq!(next.select::<Customer>().count().await.unwrap(), 1);
        assert_eq!(first.select::<Customer>().count().await.unwrap(), 0);
    }
    assert_eq!(in_transaction(&database).await, 0);
}

#[tokio::test]
async fn a_statement_queued_in_a_dropped_transaction_is_counted_whatever_ends_beside_it() {
    let database = TestDatabase::create().await;
    let db = database.connect_single().await;
    let first = db.tenant(TenantId::random()).await.unwrap();
    let next_id = TenantId::random();
    let next = db.tenant(next_id).await.unwrap();
    for _ in 0..3 {
        next.insert(new_customer(Uuid::new_v4()))
            .exec()
            .await
            .unwrap();
    }
    // Prepares the drifted statement, so that later it fails at once.
    let drifted = || {
        first
            .select::<DriftedInvoice>()
            .filter(DriftedInvoice::AMOUNT.gt(5))
    };
    assert!(matches!(
        drifted().count().await,
        Err(Error::ParameterType { .. })
    ));
    for _ in 0..5 {
        let transaction = first.transaction().await.unwrap();
        // Polled once: its request is queued, not yet written.
        let mut queued = Box::pin(transaction.insert(new_customer(Uuid::new_v4())).exec());
        assert!(futures_util::FutureExt::now_or_never(&mut queued).is_none());
        // A second statement of the transaction ends first, on the client.
        let failed = transaction
            .select::<DriftedInvoice>()
            .filter(DriftedInvoice::AMOUNT.gt(5))
            .count()
            .await;
        assert!(matches!(failed, Err(Error::ParameterType { .. })));
        drop(queued);
        drop(transaction);

        assert_eq!(context_of(&next).await, next_id.to_string());
        assert_eq!(next.select::<Customer>().count().await.unwrap(), 3);
        assert_eq!(first.select::<Customer>().count().await.unwrap(), 0);
    }
    assert_eq!(in_transaction(&database).await, 0);
}

#[tokio::test]
async fn a_built_statement_failing_at_its_groups_commit_is_its_error_and_nothing_is_written() {
    let database = TestDatabase::create().await;
    database
        .admin()
        .await
        .batch_execute(
            "ALTER TABLE customers ADD CONSTRAINT one_name_per_tenant
                 UNIQUE (tenant_id, name) DEFERRABLE INITIALLY DEFERRED",
        )
        .await
        .unwrap();
    let db = database.connect_single().await;
    let tenant = db.tenant(TenantId::random()).await.unwrap();
    let named = |name: &str| NewCustomer {
        id: Uuid::new_v4(),
        name: name.to_owned(),
        email: None,
    };
    tenant.insert(named("twin")).exec().await.unwrap();
    let pid = backend_pid(&tenant).await;

    // The insert itself succeeds; the deferred check fails as the group's
    // implicit transaction commits at its Sync.
    match tenant.insert(named("twin")).exec().await {
        Err(Error::Constraint {
            kind: ConstraintKind::Unique,
            ..
        }) => {}
        other => panic!("expected the deferred unique violation, got {other:?}"),
    }
    let many = tenant.insert_many([named("other"), named("twin")]).exec();
    assert!(matches!(many.await, Err(Error::Constraint { .. })));
    assert_eq!(in_transaction(&database).await, 0);
    assert_eq!(backend_pid(&tenant).await, pid);
    let names: Vec<String> = tenant
        .select::<Customer>()
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|customer| customer.name)
        .collect();
    assert_eq!(names, ["twin"]);
}

#[tokio::test]
async fn built_statements_reach_their_tables_whatever_the_sessions_search_path() {
    let database = TestDatabase::create().await;
    let tenant_id = TenantId::random();
    // A decoy `customers` and a decoy `audit_log`, first on the role's
    // default path; the decoy customers hold a forged row of the tenant.
    // A trigger on the real customers writes to `audit_log`, unqualified.
    database
        .admin()
        .await
        .batch_execute(&format!(
            "CREATE SCHEMA decoy;
             CREATE TABLE decoy.customers (LIKE public.customers INCLUDING ALL);
             INSERT INTO decoy.customers (tenant_id, id, name)
                 VALUES ('{tenant_id}', gen_random_uuid(), 'forged');
             CREATE TABLE public.audit_log (id uuid);
             CREATE TABLE decoy.audit_log (id uuid);
             CREATE FUNCTION public.audit_customer() RETURNS trigger LANGUAGE plpgsql
                 AS $$ BEGIN INSERT INTO audit_log VALUES (NEW.id); RETURN NEW; END $$;
             CREATE TRIGGER audit AFTER INSERT ON public.customers
                 FOR EACH ROW EXECUTE FUNCTION public.audit_customer();
             GRANT USAGE ON SCHEMA decoy TO {role};
             GRANT SELECT, INSERT ON decoy.customers, decoy.audit_log, public.audit_log TO {role};
             ALTER ROLE {role} IN DATABASE \"{database}\" SET search_path = decoy, public",
            role = database.app_role,
            database = database.name,
        ))
        .await
        .unwrap();
    let db = database.connect_single().await;
    let tenant = db.tenant(tenant_id).await.unwrap();
    let seen = || async {
        let mut ids: Vec<Uuid> = tenant
            .select::<Customer>()
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|customer| customer.id)
            .collect();
        ids.sort();
        ids
    };
    let counts = || async {
        let row = database
            .admin()
            .await
            .query_one(
                "SELECT (SELECT count(*) FROM decoy.customers),
                        (SELECT count(*) FROM decoy.audit_log),
                        (SELECT count(*) FROM public.audit_log)",
                &[],
            )
            .await
            .unwrap();
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2),
        )
    };
    let mut ids = vec![Uuid::new_v4()];
    tenant.insert(new_customer(ids[0])).exec().await.unwrap();
    assert_eq!(seen().await, ids);
    assert_eq!(
        counts().await,
        (1, 0, 1),
        "decoys untouched, trigger audited"
    );

    // Hand-written SQL points the session at the decoys, and the path still
    // holds, for the statement and for its trigger.
    tenant
        .raw_execute("SET search_path = decoy", &[])
        .await
        .unwrap();
    ids.push(Uuid::new_v4());
    tenant.insert(new_customer(ids[1])).exec().await.unwrap();
    ids.sort();
    assert_eq!(seen().await, ids);
    assert_eq!(
        counts().await,
        (1, 0, 2),
        "decoys untouched, trigger audited"
    );
}
