//! Every built-in column type, and a type of the application's own, through
//! a real PostgreSQL as the application role: inserted, read back, compared
//! in conditions and updated, with NULL as well as a value.

mod support;

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use cidr::{IpCidr, IpInet};
use postgres_types::{FromSql, ToSql};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use support::database::TestDatabase;
use tenantry::{DbEnum, Entity, Error, Json, QueryError, SqlValue, TenantId};

const SCHEMA: &str = "
    CREATE TYPE task_status AS ENUM ('todo', 'in_progress', 'done');
    CREATE TABLE tasks (
        id bigint NOT NULL,
        tenant_id uuid NOT NULL,
        status task_status NOT NULL,
        priority text NOT NULL,
        price numeric(12, 2) NOT NULL,
        discount numeric,
        due date,
        starts_at timestamp,
        done_at timestamptz,
        client_ip inet,
        network inet,
        subnet cidr,
        readings integer[] NOT NULL,
        tags text[] NOT NULL,
        scores bigint[],
        history task_status[] NOT NULL,
        meta jsonb,
        email text,
        PRIMARY KEY (tenant_id, id)
    );";

/// A PostgreSQL enum.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
#[db_enum(type = "task_status")]
enum TaskStatus {
    Todo,
    InProgress,
    Done,
}

/// An enum stored as text, one label renamed.
#[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
enum Priority {
    Low,
    High,
    #[db_enum(rename = "urgent!")]
    Urgent,
}

/// A type of the application's own: any `ToSql + FromSql` type, in one line.
#[derive(Debug, Clone, PartialEq, ToSql, FromSql)]
#[postgres(transparent)]
struct Email(String);

impl SqlValue for Email {}

/// What a `jsonb` column holds, typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Meta {
    estimate_hours: u32,
    labels: Vec<String>,
}

#[derive(Entity, Debug, Clone, PartialEq)]
#[entity(table = "tasks", tenant_scoped)]
struct Task {
    #[entity(primary_key)]
    id: i64,
    tenant_id: TenantId,
    status: TaskStatus,
    priority: Priority,
    price: Decimal,
    discount: Option<Decimal>,
    due: Option<NaiveDate>,
    starts_at: Option<NaiveDateTime>,
    done_at: Option<DateTime<Utc>>,
    client_ip: Option<IpAddr>,
    network: Option<IpInet>,
    subnet: Option<IpCidr>,
    readings: Vec<Option<i32>>,
    tags: Vec<String>,
    scores: Option<Vec<i64>>,
    history: Vec<TaskStatus>,
    meta: Option<Json<Meta>>,
    email: Option<Email>,
}

/// A task with every nullable column set.
fn full(id: i64) -> NewTask {
    NewTask {
        id,
        status: TaskStatus::InProgress,
        priority: Priority::Urgent,
        price: Decimal::new(1999, 2),
        discount: Some("0.125".parse().unwrap()),
        due: NaiveDate::from_ymd_opt(2026, 3, 31),
        starts_at: NaiveDate::from_ymd_opt(2026, 3, 1)
            .and_then(|d| d.and_hms_micro_opt(9, 30, 0, 250)),
        done_at: Some(Utc.with_ymd_and_hms(2026, 3, 2, 17, 0, 5).unwrap()),
        client_ip: Some("2001:db8::7".parse().unwrap()),
        network: Some("10.1.2.3/16".parse().unwrap()),
        subnet: Some("2001:db8::/32".parse().unwrap()),
        readings: vec![Some(1), None, Some(3)],
        tags: vec!["billing".into(), "eu".into()],
        scores: Some(vec![3, -1, i64::MAX]),
        history: vec![TaskStatus::Todo, TaskStatus::InProgress],
        meta: Some(Json(Meta {
            estimate_hours: 5,
            labels: vec!["q1".into()],
        })),
        email: Some(Email("ada@example.com".into())),
    }
}

/// A task with every nullable column NULL and empty arrays.
fn bare(id: i64) -> NewTask {
    NewTask {
        id,
        status: TaskStatus::Todo,
        priority: Priority::Low,
        price: Decimal::ZERO,
        discount: None,
        due: None,
        starts_at: None,
        done_at: None,
        client_ip: None,
        network: None,
        subnet: None,
        readings: vec![None],
        tags: Vec::new(),
        scores: None,
        history: Vec::new(),
        meta: None,
        email: None,
    }
}

async fn database() -> TestDatabase {
    TestDatabase::create_with(SCHEMA, &["tasks"]).await
}

#[tokio::test]
async fn every_type_round_trips_with_a_value_and_with_null() {
    let database = database().await;
    let db = database.connect().await;
    let tenant_id = TenantId::random();
    let acme = db.tenant(tenant_id).await.unwrap();

    let stored = acme.insert_many([full(1), bare(2)]).all().await.unwrap();
    let read = acme
        .select::<Task>()
        .order_by(Task::ID.asc())
        .all()
        .await
        .unwrap();
    assert_eq!(read, stored);
    let expected = |row: NewTask| Task {
        id: row.id,
        tenant_id,
        status: row.status,
        priority: row.priority,
        price: row.price,
        discount: row.discount,
        due: row.due,
        starts_at: row.starts_at,
        done_at: row.done_at,
        client_ip: row.client_ip,
        network: row.network,
        subnet: row.subnet,
        readings: row.readings,
        tags: row.tags,
        scores: row.scores,
        history: row.history,
        meta: row.meta,
        email: row.email,
    };
    assert_eq!(read, [expected(full(1)), expected(bare(2))]);

    // What the server holds is what each type means there, not only what
    // comes back.
    let admin = database.admin().await;
    let row = admin
        .query_one(
            "SELECT status::text, priority, price::text, discount::text, host(client_ip),
                    array_to_string(history, ','), meta->>'estimate_hours', email,
                    network::text, masklen(network)::text, subnet::text,
                    array_to_string(readings, ',', 'null')
             FROM tasks WHERE id = 1",
            &[],
        )
        .await
        .unwrap();
    let text = |i: usize| row.get::<_, Option<String>>(i);
    assert_eq!(text(0).as_deref(), Some("in_progress"));
    assert_eq!(text(1).as_deref(), Some("urgent!"));
    assert_eq!(text(2).as_deref(), Some("19.99"));
    assert_eq!(text(3).as_deref(), Some("0.125"));
    assert_eq!(text(4).as_deref(), Some("2001:db8::7"));
    assert_eq!(text(5).as_deref(), Some("todo,in_progress"));
    assert_eq!(text(6).as_deref(), Some("5"));
    assert_eq!(text(7).as_deref(), Some("ada@example.com"));
    assert_eq!(text(8).as_deref(), Some("10.1.2.3/16"));
    assert_eq!(text(9).as_deref(), Some("16"));
    assert_eq!(text(10).as_deref(), Some("2001:db8::/32"));
    assert_eq!(text(11).as_deref(), Some("1,null,3"));
}

/// The ids of `acme`'s tasks matching `filter`, in order.
macro_rules! ids {
    ($tenant:expr, $filter:expr) => {
        $tenant
            .select::<Task>()
            .filter($filter)
            .order_by(Task::ID.asc())
            .columns(Task::ID)
            .all()
            .await
            .unwrap()
    };
}

#[tokio::test]
async fn each_type_is_compared_in_conditions() {
    let database = database().await;
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    acme.insert_many([full(1), bare(2)]).exec().await.unwrap();
    let full = full(1);

    assert_eq!(ids!(acme, Task::STATUS.eq(TaskStatus::InProgress)), [1]);
    assert_eq!(
        ids!(
            acme,
            Task::STATUS.is_in([TaskStatus::Todo, TaskStatus::Done])
        ),
        [2]
    );
    assert_eq!(ids!(acme, Task::PRIORITY.eq(Priority::Urgent)), [1]);
    assert_eq!(ids!(acme, Task::PRICE.gt(Decimal::new(1998, 2))), [1]);
    assert_eq!(ids!(acme, Task::DISCOUNT.eq(full.discount)), [1]);
    assert_eq!(ids!(acme, Task::DISCOUNT.is_null()), [2]);
    assert_eq!(ids!(acme, Task::DUE.le(full.due)), [1]);
    assert_eq!(ids!(acme, Task::STARTS_AT.eq(full.starts_at)), [1]);
    assert_eq!(ids!(acme, Task::DONE_AT.lt(Some(Utc::now()))), [1]);
    assert_eq!(ids!(acme, Task::CLIENT_IP.eq(full.client_ip)), [1]);
    assert_eq!(ids!(acme, Task::NETWORK.eq(full.network)), [1]);
    assert_eq!(ids!(acme, Task::SUBNET.is_null()), [2]);
    // Whole arrays compare element by element, NULL elements included.
    assert_eq!(ids!(acme, Task::READINGS.eq(full.readings)), [1]);
    assert_eq!(ids!(acme, Task::META.eq(full.meta)), [1]);
    assert_eq!(ids!(acme, Task::EMAIL.eq(full.email)), [1]);
    assert_eq!(ids!(acme, Task::EMAIL.is_null()), [2]);
    // A NULL bound for a typed comparison matches nothing, as in SQL.
    assert!(ids!(acme, Task::EMAIL.eq(None::<Email>)).is_empty());
}

#[tokio::test]
async fn arrays_are_searched_by_contains_overlaps_and_any() {
    let database = database().await;
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    acme.insert_many([full(1), bare(2), full(3)])
        .exec()
        .await
        .unwrap();
    acme.update::<Task>()
        .set(Task::TAGS, vec!["eu".to_owned()])
        .set(Task::HISTORY, vec![TaskStatus::Done])
        .filter(Task::ID.eq(3))
        .exec()
        .await
        .unwrap();

    let tags = |tags: &[&str]| tags.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        ids!(acme, Task::TAGS.contains(tags(&["eu", "billing"]))),
        [1]
    );
    assert_eq!(ids!(acme, Task::TAGS.contains(tags(&["eu"]))), [1, 3]);
    assert_eq!(ids!(acme, Task::TAGS.contains(tags(&[]))), [1, 2, 3]);
    assert_eq!(
        ids!(acme, Task::TAGS.overlaps(tags(&["billing", "us"]))),
        [1]
    );
    assert!(ids!(acme, Task::TAGS.overlaps(tags(&[]))).is_empty());
    assert_eq!(ids!(acme, Task::TAGS.has("eu")), [1, 3]);
    assert_eq!(ids!(acme, Task::SCORES.has(-1)), [1, 3]);
    assert_eq!(ids!(acme, Task::HISTORY.has(TaskStatus::Done)), [3]);
    // Arrays holding NULLs: a NULL element matches no comparison.
    assert_eq!(ids!(acme, Task::READINGS.has(Some(3))), [1, 3]);
    assert!(ids!(acme, Task::READINGS.has(None)).is_empty());
    assert_eq!(
        ids!(acme, Task::READINGS.overlaps(vec![Some(1), Some(2)])),
        [1, 3]
    );
    assert_eq!(
        ids!(
            acme,
            Task::HISTORY.overlaps(vec![TaskStatus::Todo, TaskStatus::Done])
        ),
        [1, 3]
    );
    assert_eq!(ids!(acme, Task::ID.eq_any(vec![3, 2, 99])), [2, 3]);
    assert!(ids!(acme, Task::ID.eq_any(Vec::new())).is_empty());
    assert_eq!(ids!(acme, Task::STATUS.eq_any(vec![TaskStatus::Todo])), [2]);
}

#[tokio::test]
async fn updates_set_every_type_and_null() {
    let database = database().await;
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    acme.insert(bare(1)).exec().await.unwrap();
    let full = full(1);
    let updated = acme
        .update::<Task>()
        .set(Task::STATUS, TaskStatus::Done)
        .set(Task::PRIORITY, Priority::High)
        .set(Task::PRICE, Decimal::new(-5, 0))
        .set(Task::DISCOUNT, full.discount)
        .set(Task::DUE, full.due)
        .set(Task::DONE_AT, full.done_at)
        .set(Task::CLIENT_IP, "10.0.0.1".parse::<IpAddr>().ok())
        .set(Task::NETWORK, "192.168.7.9/24".parse::<IpInet>().ok())
        .set(Task::SUBNET, "192.168.7.0/24".parse::<IpCidr>().ok())
        .set(Task::READINGS, vec![None, Some(-4)])
        .set(Task::SCORES, Some(vec![7]))
        .set(Task::META, full.meta.clone())
        .set(Task::EMAIL, full.email.clone())
        .filter(Task::ID.eq(1))
        .one()
        .await
        .unwrap();
    assert_eq!(
        (updated.status, updated.priority, updated.price),
        (TaskStatus::Done, Priority::High, Decimal::new(-500, 2))
    );
    assert_eq!(updated.client_ip, "10.0.0.1".parse().ok());
    assert_eq!(
        (updated.network, updated.subnet, &updated.readings),
        (
            "192.168.7.9/24".parse().ok(),
            "192.168.7.0/24".parse().ok(),
            &vec![None, Some(-4)]
        )
    );
    assert_eq!(
        (&updated.meta, &updated.email, &updated.scores),
        (&full.meta, &full.email, &Some(vec![7]))
    );

    let cleared = acme
        .update::<Task>()
        .set(Task::DISCOUNT, None)
        .set(Task::CLIENT_IP, None)
        .set(Task::NETWORK, None)
        .set(Task::SUBNET, None)
        .set(Task::META, None)
        .set(Task::EMAIL, None)
        .set(Task::SCORES, None)
        .one()
        .await
        .unwrap();
    assert_eq!((cleared.network, cleared.subnet), (None, None));
    assert_eq!(
        (
            cleared.discount,
            cleared.client_ip,
            cleared.meta,
            cleared.email,
            cleared.scores
        ),
        (None, None, None, None, None)
    );
}

#[tokio::test]
async fn a_label_the_enum_does_not_know_is_a_decoding_error() {
    let database = database().await;
    let db = database.connect().await;
    let tenant_id = TenantId::random();
    let acme = db.tenant(tenant_id).await.unwrap();
    acme.insert(bare(1)).exec().await.unwrap();
    database
        .admin()
        .await
        .execute("UPDATE tasks SET priority = 'medium'", &[])
        .await
        .unwrap();
    match acme.select::<Task>().one().await {
        Err(Error::Query(QueryError::Decode {
            table: "tasks",
            column: 3,
            source,
        })) => {
            let cause = std::error::Error::source(&*source).map(ToString::to_string);
            assert_eq!(
                cause.as_deref(),
                Some("`medium` is not a label of Priority")
            );
        }
        other => panic!("expected a decoding error, got {other:?}"),
    }
}

#[tokio::test]
async fn open_values_reach_only_the_tenants_rows() {
    let database = database().await;
    let db = database.connect().await;
    let acme = db.tenant(TenantId::random()).await.unwrap();
    let globex = db.tenant(TenantId::random()).await.unwrap();
    acme.insert(full(1)).exec().await.unwrap();
    globex.insert(full(1)).exec().await.unwrap();
    globex.insert(full(2)).exec().await.unwrap();

    let full = full(1);
    assert_eq!(ids!(acme, Task::EMAIL.eq(full.email.clone())), [1]);
    assert_eq!(ids!(globex, Task::EMAIL.eq(full.email.clone())), [1, 2]);
    assert_eq!(ids!(acme, Task::TAGS.has("eu")), [1]);
    let moved = acme
        .update::<Task>()
        .set(Task::STATUS, TaskStatus::Done)
        .filter(Task::PRICE.eq(full.price))
        .exec()
        .await
        .unwrap();
    assert_eq!(moved, 1);
    assert_eq!(
        ids!(globex, Task::STATUS.eq(TaskStatus::Done)),
        Vec::<i64>::new()
    );
}
