//! Every builder operation executed on a real PostgreSQL as the application
//! role: rows map back into the entities, returning forms, counting,
//! streaming, transactions and the typed errors.

mod support;

use futures_util::TryStreamExt;
use support::database::TestDatabase;
use support::{Customer, Event, Invoice, NewCustomer, NewEvent, NewInvoice, Plan};
use tenantry::{ConstraintKind, Entity, Error, Executor, QueryError, TenantId, TenantScoped};
use time::OffsetDateTime;
use time::macros::{date, datetime, time};
use uuid::Uuid;

fn new_customer(name: &str) -> NewCustomer {
    NewCustomer {
        id: Uuid::new_v4(),
        name: name.to_owned(),
        email: None,
    }
}

fn new_invoice(customer_id: Uuid, amount_cents: i64) -> NewInvoice {
    NewInvoice {
        id: Uuid::new_v4(),
        customer_id,
        amount_cents,
        paid: false,
        note: None,
        created_at: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap(),
    }
}

#[tokio::test]
async fn rows_round_trip_through_every_operation() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let tenant_id = TenantId::random();
    let acme = db.tenant(tenant_id).await.unwrap();

    let customer: Customer = acme.insert(new_customer("Ada")).one().await.unwrap();
    assert_eq!(customer.tenant_id, tenant_id);
    assert_eq!(customer.name, "Ada");

    let invoices: Vec<Invoice> = acme
        .insert_many((1..=5).map(|n| new_invoice(customer.id, n * 1_000)))
        .all()
        .await
        .unwrap();
    assert_eq!(invoices.len(), 5);
    assert!(
        invoices
            .iter()
            .all(|invoice| invoice.tenant_id == tenant_id)
    );

    let big = acme
        .select::<Invoice>()
        .filter(Invoice::AMOUNT_CENTS.gt(2_500))
        .order_by(Invoice::AMOUNT_CENTS.desc())
        .limit(2)
        .all()
        .await
        .unwrap();
    assert_eq!(
        big.iter().map(|i| i.amount_cents).collect::<Vec<_>>(),
        [5_000, 4_000]
    );
    let page = acme
        .select::<Invoice>()
        .order_by(Invoice::AMOUNT_CENTS.asc())
        .limit(2)
        .offset(1)
        .all()
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|i| i.amount_cents).collect::<Vec<_>>(),
        [2_000, 3_000]
    );

    let first = &invoices[0];
    let fetched = acme
        .select::<Invoice>()
        .filter(Invoice::ID.eq(first.id))
        .one()
        .await
        .unwrap();
    assert_eq!(&fetched, first);
    assert_eq!(
        acme.select::<Invoice>()
            .filter(Invoice::ID.eq(Uuid::new_v4()))
            .optional()
            .await
            .unwrap(),
        None
    );
    assert_eq!(acme.select::<Invoice>().count().await.unwrap(), 5);
    assert!(
        acme.select::<Invoice>()
            .filter(Invoice::AMOUNT_CENTS.eq(3_000))
            .exists()
            .await
            .unwrap()
    );
    assert!(
        !acme
            .select::<Invoice>()
            .filter(Invoice::AMOUNT_CENTS.eq(3_001))
            .exists()
            .await
            .unwrap()
    );

    let amounts: Vec<(Uuid, i64)> = acme
        .select::<Invoice>()
        .columns((Invoice::ID, Invoice::AMOUNT_CENTS))
        .filter(Invoice::AMOUNT_CENTS.le(2_000))
        .order_by(Invoice::AMOUNT_CENTS.asc())
        .all()
        .await
        .unwrap();
    assert_eq!(amounts, [(invoices[0].id, 1_000), (invoices[1].id, 2_000)]);

    let paid = acme
        .update::<Invoice>()
        .set(Invoice::PAID, true)
        .set(Invoice::NOTE, Some("settled".to_owned()))
        .filter(Invoice::AMOUNT_CENTS.ge(4_000))
        .all()
        .await
        .unwrap();
    assert_eq!(paid.len(), 2);
    assert!(
        paid.iter()
            .all(|i| i.paid && i.note.as_deref() == Some("settled"))
    );
    assert_eq!(
        acme.update::<Invoice>()
            .set(Invoice::NOTE, None::<String>)
            .filter(Invoice::NOTE.is_not_null())
            .exec()
            .await
            .unwrap(),
        2
    );

    let deleted = acme
        .delete::<Invoice>()
        .filter(Invoice::PAID.eq(true))
        .all()
        .await
        .unwrap();
    assert_eq!(deleted.len(), 2);
    assert_eq!(
        acme.delete::<Invoice>()
            .filter(Invoice::AMOUNT_CENTS.lt(2_000))
            .exec()
            .await
            .unwrap(),
        1
    );
    assert_eq!(acme.select::<Invoice>().count().await.unwrap(), 2);
}

#[tokio::test]
async fn every_column_type_maps_both_ways() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let event = NewEvent {
        id: 7,
        small: -3,
        medium: 70_000,
        ratio: 0.5,
        score: None,
        payload: vec![0, 1, 2, 255],
        details: serde_json::json!({"kind": "login", "tags": ["a", "b"]}),
        day: date!(2026 - 11 - 23),
        at_time: time!(12:34:56),
        local_at: datetime!(2026-11-23 12:34:56),
    };
    let stored: Event = acme.insert(event.clone()).one().await.unwrap();
    let read = acme
        .select::<Event>()
        .filter(Event::ID.eq(7))
        .filter(Event::DETAILS.eq(event.details.clone()))
        .filter(Event::SCORE.is_null())
        .filter(Event::DAY.eq(event.day))
        .one()
        .await
        .unwrap();
    assert_eq!(stored, read);
    assert_eq!(
        (read.small, read.medium, read.ratio, read.score),
        (-3, 70_000, 0.5, None)
    );
    assert_eq!(read.payload, event.payload);
    assert_eq!(read.local_at, event.local_at);
    assert_eq!(read.at_time, event.at_time);
}

#[tokio::test]
async fn upserts_update_or_skip_the_tenants_own_row() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let row = new_customer("Ada");
    let id = row.id;
    acme.insert(row.clone()).exec().await.unwrap();
    let renamed = acme
        .insert(NewCustomer {
            name: "Ada Lovelace".to_owned(),
            ..row.clone()
        })
        .on_conflict_update(Customer::NAME)
        .one()
        .await
        .unwrap();
    assert_eq!((renamed.id, renamed.name.as_str()), (id, "Ada Lovelace"));
    let skipped = acme
        .insert(NewCustomer {
            name: "ignored".to_owned(),
            ..row
        })
        .on_conflict_do_nothing()
        .exec()
        .await
        .unwrap();
    assert_eq!(skipped, 0);
    assert_eq!(acme.select::<Customer>().count().await.unwrap(), 1);
}

#[tokio::test]
async fn joins_and_subqueries_execute() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let ada = acme.insert(new_customer("Ada")).one().await.unwrap();
    let bob = acme.insert(new_customer("Bob")).one().await.unwrap();
    acme.insert_many([new_invoice(ada.id, 100), new_invoice(bob.id, 200)])
        .exec()
        .await
        .unwrap();

    let names: Vec<(i64, String)> = acme
        .select::<Invoice>()
        .inner_join::<Customer>(Invoice::CUSTOMER_ID.eq_column(Customer::ID))
        .columns((Invoice::AMOUNT_CENTS, Customer::NAME))
        .order_by(Invoice::AMOUNT_CENTS.asc())
        .all()
        .await
        .unwrap();
    assert_eq!(names, [(100, "Ada".to_owned()), (200, "Bob".to_owned())]);

    let large_invoices: Vec<(String, Option<i64>)> = acme
        .select::<Customer>()
        .left_join::<Invoice>(
            Invoice::CUSTOMER_ID
                .eq_column(Customer::ID)
                .and(Invoice::AMOUNT_CENTS.gt(150)),
        )
        .columns((Customer::NAME, Invoice::AMOUNT_CENTS.nullable()))
        .order_by(Customer::NAME.asc())
        .all()
        .await
        .unwrap();
    assert_eq!(
        large_invoices,
        [("Ada".to_owned(), None), ("Bob".to_owned(), Some(200))]
    );

    let ada_invoices = acme
        .select::<Invoice>()
        .filter(
            Invoice::CUSTOMER_ID.in_query(
                acme.select::<Customer>()
                    .columns(Customer::ID)
                    .filter(Customer::NAME.like("A%")),
            ),
        )
        .all()
        .await
        .unwrap();
    assert_eq!(ada_invoices.len(), 1);
    assert_eq!(ada_invoices[0].customer_id, ada.id);

    let mut streamed: Vec<i64> = acme
        .select::<Invoice>()
        .stream()
        .await
        .unwrap()
        .map_ok(|invoice| invoice.amount_cents)
        .try_collect()
        .await
        .unwrap();
    streamed.sort();
    assert_eq!(streamed, [100, 200]);
}

/// The plans table, as an entity that names no schema: it is in the shared
/// schema, where the operator applies the shared migrations by default.
#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "plans", global)]
struct DefaultSchemaPlan {
    #[entity(primary_key)]
    id: String,
    max_seats: i32,
    price: f64,
}

#[tokio::test]
async fn a_global_entity_without_a_schema_is_where_the_operator_migrated_it() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let plan = Plan {
        id: "team".to_owned(),
        max_seats: 5,
        price: 9.0,
    };
    db.global().insert(plan).exec().await.unwrap();
    let plans = db
        .global()
        .select::<DefaultSchemaPlan>()
        .all()
        .await
        .unwrap();
    assert_eq!(
        plans,
        [DefaultSchemaPlan {
            id: "team".to_owned(),
            max_seats: 5,
            price: 9.0,
        }]
    );
}

#[tokio::test]
async fn global_entities_run_through_the_global_handle() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let global = db.global();
    let plan = Plan {
        id: "pro".to_owned(),
        max_seats: 25,
        price: 49.0,
    };
    assert_eq!(global.insert(plan.clone()).one().await.unwrap(), plan);
    assert_eq!(
        global
            .update::<Plan>()
            .set(Plan::MAX_SEATS, 30)
            .filter(Plan::ID.eq("pro"))
            .exec()
            .await
            .unwrap(),
        1
    );
    let plans = global.select::<Plan>().all().await.unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].max_seats, 30);
    assert_eq!(
        global
            .delete::<Plan>()
            .filter(Plan::ID.eq("pro"))
            .exec()
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn transactions_commit_roll_back_and_roll_back_on_drop() {
    let database = TestDatabase::create().await;
    let db = tenantry::Tenantry::connect(database.app_config().pool_size(1))
        .await
        .unwrap();
    let acme = db.tenant(TenantId::random()).await.unwrap();

    let transaction = acme.transaction().await.unwrap();
    transaction
        .insert(new_customer("kept"))
        .exec()
        .await
        .unwrap();
    assert_eq!(transaction.select::<Customer>().count().await.unwrap(), 1);
    transaction.commit().await.unwrap();

    let transaction = acme.transaction().await.unwrap();
    transaction
        .insert(new_customer("rolled back"))
        .exec()
        .await
        .unwrap();
    transaction.rollback().await.unwrap();

    let transaction = acme.transaction().await.unwrap();
    transaction
        .insert(new_customer("dropped"))
        .exec()
        .await
        .unwrap();
    drop(transaction);

    // A statement that fails aborts the transaction: commit says so.
    let transaction = acme.transaction().await.unwrap();
    let ada = new_customer("failed");
    transaction.insert(ada.clone()).exec().await.unwrap();
    let duplicate = transaction.insert(ada).exec().await;
    assert!(
        matches!(duplicate, Err(Error::Constraint { .. })),
        "{duplicate:?}"
    );
    let committed = transaction.commit().await;
    assert!(
        matches!(committed, Err(Error::TransactionAborted)),
        "{committed:?}"
    );

    let names: Vec<String> = acme
        .select::<Customer>()
        .columns(Customer::NAME)
        .all()
        .await
        .unwrap();
    assert_eq!(names, ["kept"]);
    // The one pooled connection came back out of its transaction.
    let state = acme
        .raw_query("SELECT now() = statement_timestamp()", &[])
        .await
        .unwrap();
    assert!(!state.is_empty());
}

#[tokio::test]
async fn failures_are_typed_errors() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let row = new_customer("Ada");
    acme.insert(row.clone()).exec().await.unwrap();

    match acme.insert(row).exec().await {
        Err(Error::Constraint {
            kind: ConstraintKind::Unique,
            constraint,
            ..
        }) => assert_eq!(constraint.as_deref(), Some("customers_pkey")),
        other => panic!("expected a unique violation, got {other:?}"),
    }
    match acme.insert(new_invoice(Uuid::new_v4(), 1)).exec().await {
        Err(Error::Constraint {
            kind: ConstraintKind::ForeignKey,
            ..
        }) => {}
        other => panic!("expected a foreign key violation, got {other:?}"),
    }
    match acme
        .select::<Customer>()
        .filter(Customer::ID.eq(Uuid::new_v4()))
        .one()
        .await
    {
        Err(Error::NotFound { table: "customers" }) => {}
        other => panic!("expected no rows, got {other:?}"),
    }
    acme.insert(new_customer("Ada")).exec().await.unwrap();
    match acme
        .select::<Customer>()
        .filter(Customer::NAME.eq("Ada"))
        .optional()
        .await
    {
        Err(Error::Query(QueryError::TooManyRows { count: 2, .. })) => {}
        other => panic!("expected too many rows, got {other:?}"),
    }
    // The server's own words reach the message.
    let error = acme
        .raw_query("SELECT no_such_column FROM customers", &[])
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Database { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("column \"no_such_column\" does not exist"),
        "{error}"
    );
}

#[tokio::test]
async fn an_executor_runs_only_statements_built_for_its_own_scope() {
    let database = TestDatabase::create().await;
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let globex = db.tenant(TenantId::random()).await.unwrap();
    acme.insert(new_customer("Ada")).exec().await.unwrap();
    let refused = |outcome: Result<Vec<tenantry::PgRow>, Error>| {
        matches!(
            outcome,
            Err(Error::Query(QueryError::ForeignStatement { .. }))
        )
    };
    let built = || acme.select::<Customer>().build().unwrap();
    assert!(refused(globex.executor().fetch(built()).await));
    assert!(refused(db.global().executor().fetch(built()).await));
    let transaction = globex.transaction().await.unwrap();
    assert!(refused(transaction.executor().fetch(built()).await));
    transaction.rollback().await.unwrap();
    let plans = db.global().select::<Plan>().build().unwrap();
    assert!(refused(acme.executor().fetch(plans).await));
    // The same tenant in a hand-made scope with another schema is another scope.
    let elsewhere = TenantScoped::in_schema(acme.tenant(), "tenant_globex").unwrap();
    let misplaced = elsewhere.select::<Customer>().build().unwrap();
    assert!(refused(acme.executor().fetch(misplaced).await));
    assert_eq!(acme.executor().fetch(built()).await.unwrap().len(), 1);
}
