//! Running statements: tenantry (pool model, RLS on, tenant context pipelined
//! with each statement) side by side with raw tokio-postgres (a prepared
//! statement with a hand-written `tenant_id = $1` filter on a table without
//! RLS), on the same server in the same run.
//!
//! ```text
//! cargo bench --bench execute
//! ```
//!
//! `tokio_postgres_in_context` is the raw driver setting a tenant context by
//! hand on the table with RLS, the way a hand-written layer would: `BEGIN;
//! SET LOCAL …`, the statement and `COMMIT`, pipelined as three requests
//! (the driver ends each with a Sync). Tenantry sends a built statement and
//! its context (one shared prepared `set_config`) as one message group with
//! one Sync, whose implicit transaction the Sync commits.
//!
//! `execute/page/*` is a realistic page: invoices joined with their customer,
//! filtered, ordered and limited to 50, over 10,000 invoices for each of 10
//! tenants, decoded into `(Invoice, Customer)`; the raw side runs the very SQL
//! tenantry builds, on copies of the tables without RLS, and decodes the
//! same entities by hand.
//!
//! `execute/telemetry/*` is the same point select with telemetry off (no
//! `tracing` subscriber, no `metrics` recorder) and on, with a `fmt`
//! subscriber formatting every span at DEBUG into a sink and a recorder:
//! `on` has the subscriber's default ANSI styling and `metrics-util`'s
//! debugging recorder, a test tool that keeps every histogram sample and
//! tracks every key it is handed in a locked map; `on_registry` the same
//! subscriber and a recorder as a service installs one, `metrics-util`'s
//! registry of atomic storage (the storage behind `metrics`' Prometheus
//! exporter, without the exporter); `on_plain` that recorder and the
//! subscriber without ANSI styling, as a service writing its log to a file
//! or a collector sets it. They are installed for the bench's thread only:
//! the statement's future runs there, so they see every statement. Client
//! instructions per statement (README, Benchmarks): `off` 41,600–42,300,
//! `on` 71,200 (1.68×), `on_registry` 70,400 (1.66×), `on_plain` 58,700
//! (1.41×); wall-clock ratios of `on` to `off` of 0.89–1.25× across three
//! runs at load 2.5–6 on 2 cores, within the noise.
//!
//! `execute/citus/point_select/*` runs when `TENANTRY_TEST_CITUS_URL` names a
//! Citus coordinator (see the module).
//!
//! `execute/point_select/*` and `execute/insert/*` are single-task latency;
//! `execute/throughput_16/*` runs 16 concurrent tasks (16 connections each
//! side) and reports time per statement, so throughput is its inverse.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "execute/citus.rs"]
mod citus;

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::registry::{AtomicStorage, Registry};
use support::database::TestDatabase;
use support::{Customer, Invoice, NewCustomer};
use tenantry::query::Joined;
use tenantry::telemetry::metric;
use tenantry::{Config, TenantId, Tenantry};
use tokio::runtime::Runtime;
use tokio_postgres::{Client, NoTls, Statement};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, fmt};
use uuid::Uuid;

const CUSTOMERS: usize = 1_000;
/// The page query's data: tenants, and customers and invoices of each.
const PAGE_TENANTS: usize = 10;
const PAGE_CUSTOMERS: usize = 100;
const PAGE_INVOICES: usize = 10_000;
const TASKS: usize = 16;

/// The baseline's table: the same shape as `customers`, without RLS.
const PLAIN_TABLE: &str = "
CREATE TABLE customers_plain (LIKE customers INCLUDING ALL);
";
const PLAIN_SELECT: &str =
    "SELECT tenant_id, id, name, email FROM customers_plain WHERE tenant_id = $1 AND id = $2";
/// The same point select on the RLS table, for the raw in-context baseline.
const CONTEXT_SELECT: &str =
    "SELECT tenant_id, id, name, email FROM customers WHERE tenant_id = $1 AND id = $2";
const PLAIN_INSERT: &str =
    "INSERT INTO customers_plain (tenant_id, id, name, email) VALUES ($1, $2, $3, $4)";

struct Fixture {
    _database: TestDatabase,
    db: Tenantry,
    tenant: TenantId,
    ids: Vec<Uuid>,
    raw: Vec<(Client, Statement, Statement)>,
}

async fn raw_client(database: &TestDatabase) -> (Client, Statement, Statement) {
    let (client, connection) = tokio_postgres::connect(&database.app_url(), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let select = client.prepare(PLAIN_SELECT).await.unwrap();
    let insert = client.prepare(PLAIN_INSERT).await.unwrap();
    (client, select, insert)
}

async fn fixture() -> Fixture {
    let database = TestDatabase::create().await;
    let admin = database.admin().await;
    admin.batch_execute(PLAIN_TABLE).await.unwrap();
    admin
        .batch_execute(&format!(
            "GRANT SELECT, INSERT ON customers_plain TO {}",
            database.app_role
        ))
        .await
        .unwrap();
    // Plaintext like the raw driver's connections (`NoTls`), though the
    // server offers TLS, which tenantry's default `prefer` would take.
    let plaintext = format!("{}?sslmode=disable", database.app_url());
    let db = Tenantry::connect(
        Config::new(&plaintext)
            .unwrap()
            .pool_only()
            .pool_size(TASKS),
    )
    .await
    .unwrap();
    let tenant = TenantId::random();
    let ids: Vec<Uuid> = (0..CUSTOMERS).map(|_| Uuid::new_v4()).collect();
    for other in [tenant, TenantId::random()] {
        let handle = db.tenant(other).await.unwrap();
        handle
            .insert_many(ids.iter().map(|&id| NewCustomer {
                id,
                name: format!("customer {id}"),
                email: None,
            }))
            .exec()
            .await
            .unwrap();
        handle
            .raw_execute("INSERT INTO customers_plain SELECT * FROM customers", &[])
            .await
            .unwrap();
    }
    admin.batch_execute("ANALYZE").await.unwrap();
    let mut raw = Vec::new();
    for _ in 0..TASKS {
        raw.push(raw_client(&database).await);
    }
    Fixture {
        _database: database,
        db,
        tenant,
        ids,
        raw,
    }
}

/// The context that tenantry opens hand-written SQL with, written by hand.
fn context_begin(tenant: impl std::fmt::Display) -> String {
    format!(
        "BEGIN; SET LOCAL tenantry.tenant_id = '{tenant}'; SET LOCAL search_path = public, pg_temp"
    )
}

/// Benches tenantry's point select, as `name` of `group`; whether it ran
/// (a filter may leave it out).
fn tenantry_point_select(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    runtime: &Runtime,
    fixture: &Fixture,
) -> bool {
    let tenant = runtime.block_on(fixture.db.tenant(fixture.tenant)).unwrap();
    let mut next = 0;
    let mut ran = false;
    group.bench_function(name, |b| {
        ran = true;
        b.to_async(runtime).iter(|| {
            next = (next + 1) % fixture.ids.len();
            let id = fixture.ids[next];
            let tenant = &tenant;
            async move {
                let customer: Customer = tenant
                    .select::<Customer>()
                    .filter(Customer::ID.eq(id))
                    .one()
                    .await
                    .unwrap();
                customer
            }
        })
    });
    ran
}

fn point_select(c: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    let mut group = c.benchmark_group("execute/point_select");
    tenantry_point_select(&mut group, "tenantry", runtime, fixture);
    let mut next = 0;
    let (client, select, _) = &fixture.raw[0];
    let tenant_uuid = fixture.tenant.as_uuid();
    group.bench_function("tokio_postgres", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % fixture.ids.len();
            let id = fixture.ids[next];
            async move {
                let row = client
                    .query_one(select, &[&tenant_uuid, &id])
                    .await
                    .unwrap();
                let name: String = row.get(2);
                name
            }
        })
    });
    let (client, _, _) = &fixture.raw[1];
    let in_context = runtime.block_on(client.prepare(CONTEXT_SELECT)).unwrap();
    let begin = context_begin(fixture.tenant);
    group.bench_function("tokio_postgres_in_context", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % fixture.ids.len();
            let id = fixture.ids[next];
            let (begin, in_context) = (&begin, &in_context);
            async move {
                let (begun, row, committed) = futures_util::future::join3(
                    client.batch_execute(begin),
                    client.query_one(in_context, &[&tenant_uuid, &id]),
                    client.batch_execute("COMMIT"),
                )
                .await;
                begun.and(committed).unwrap();
                let name: String = row.unwrap().get(2);
                name
            }
        })
    });
    group.finish();
}

/// A recorder as a service installs one: the registry of atomic storage an
/// exporter reads, here read by no one.
struct RegistryRecorder(Registry<Key, AtomicStorage>);

impl Recorder for RegistryRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.0
            .get_or_create_counter(key, |counter| Counter::from_arc(counter.clone()))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.0
            .get_or_create_gauge(key, |gauge| Gauge::from_arc(gauge.clone()))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.0
            .get_or_create_histogram(key, |histogram| Histogram::from_arc(histogram.clone()))
    }
}

/// The point select without telemetry, then with a subscriber and each of
/// the two recorders installed, in the same run.
fn telemetry(c: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    let mut group = c.benchmark_group("execute/telemetry");
    tenantry_point_select(&mut group, "off", runtime, fixture);
    let subscriber = |ansi: bool| {
        tracing_subscriber::registry().with(
            fmt::layer()
                .with_ansi(ansi)
                .with_writer(std::io::sink)
                .with_filter(LevelFilter::DEBUG),
        )
    };
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let (debugging_ran, mut registry_ran);
    {
        let _subscriber = tracing::subscriber::set_default(subscriber(true));
        let _recorder = metrics::set_default_local_recorder(&recorder);
        debugging_ran = tenantry_point_select(&mut group, "on", runtime, fixture);
    }
    let registry = RegistryRecorder(Registry::atomic());
    {
        let _subscriber = tracing::subscriber::set_default(subscriber(true));
        let _recorder = metrics::set_default_local_recorder(&registry);
        registry_ran = tenantry_point_select(&mut group, "on_registry", runtime, fixture);
    }
    {
        let _subscriber = tracing::subscriber::set_default(subscriber(false));
        let _recorder = metrics::set_default_local_recorder(&registry);
        registry_ran |= tenantry_point_select(&mut group, "on_plain", runtime, fixture);
    }
    group.finish();
    // Like for like: the "on" sides that ran recorded their statements.
    let recorded = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .any(|(key, _, _, value)| {
            key.key().name() == metric::OPERATION_DURATION
                && matches!(value, DebugValue::Histogram(values) if !values.is_empty())
        });
    assert!(
        recorded || !debugging_ran,
        "the debugging recorder saw no statement"
    );
    let mut samples = 0;
    registry.0.visit_histograms(|key, bucket| {
        if key.name() == metric::OPERATION_DURATION {
            bucket.clear_with(|values| samples += values.len());
        }
    });
    assert!(
        samples > 0 || !registry_ran,
        "the registry saw no statement"
    );
}

fn insert(c: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    let mut group = c.benchmark_group("execute/insert");
    let tenant = runtime.block_on(fixture.db.tenant(fixture.tenant)).unwrap();
    group.bench_function("tenantry", |b| {
        b.to_async(runtime).iter(|| {
            let tenant = &tenant;
            async move {
                tenant
                    .insert(NewCustomer {
                        id: Uuid::new_v4(),
                        name: "new".to_owned(),
                        email: None,
                    })
                    .exec()
                    .await
                    .unwrap()
            }
        })
    });
    let (client, _, insert) = &fixture.raw[0];
    let tenant_uuid = fixture.tenant.as_uuid();
    group.bench_function("tokio_postgres", |b| {
        b.to_async(runtime).iter(|| async move {
            client
                .execute(
                    insert,
                    &[&tenant_uuid, &Uuid::new_v4(), &"new", &None::<String>],
                )
                .await
                .unwrap()
        })
    });
    group.finish();
}

/// Runs `per_task` statements on each of `TASKS` tasks; returns the wall time.
async fn concurrently<F, Fut>(iterations: u64, statement: F) -> Duration
where
    F: Fn(usize, u64) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let per_task = iterations.div_ceil(TASKS as u64);
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let work: Vec<Fut> = (0..per_task).map(|n| statement(task, n)).collect();
            tokio::spawn(async move {
                for step in work {
                    step.await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    start.elapsed() * iterations as u32 / (per_task * TASKS as u64) as u32
}

fn throughput(c: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    let mut group = c.benchmark_group("execute/throughput_16");
    let tenant = runtime.block_on(fixture.db.tenant(fixture.tenant)).unwrap();
    let ids = Arc::new(fixture.ids.clone());
    group.bench_function("tenantry", |b| {
        b.to_async(runtime).iter_custom(|iterations| {
            let tenant = tenant.clone();
            let ids = ids.clone();
            concurrently(iterations, move |task, n| {
                let tenant = tenant.clone();
                let id = ids[(task * 61 + n as usize) % ids.len()];
                async move {
                    tenant
                        .select::<Customer>()
                        .filter(Customer::ID.eq(id))
                        .one()
                        .await
                        .unwrap();
                }
            })
        })
    });
    let tenant_uuid = fixture.tenant.as_uuid();
    let raw: Arc<Vec<(Client, Statement, Statement)>> = Arc::new(runtime.block_on(async {
        let mut clients = Vec::new();
        for _ in 0..TASKS {
            clients.push(raw_client(&fixture._database).await);
        }
        clients
    }));
    group.bench_function("tokio_postgres", |b| {
        b.to_async(runtime).iter_custom(|iterations| {
            let raw = raw.clone();
            let ids = ids.clone();
            concurrently(iterations, move |task, n| {
                let raw = raw.clone();
                let id = ids[(task * 61 + n as usize) % ids.len()];
                async move {
                    let (client, select, _) = &raw[task];
                    client
                        .query_one(select, &[&tenant_uuid, &id])
                        .await
                        .unwrap();
                }
            })
        })
    });
    let in_context = Arc::new(runtime.block_on(async {
        let mut statements = Vec::new();
        for (client, _, _) in raw.iter() {
            statements.push(client.prepare(CONTEXT_SELECT).await.unwrap());
        }
        statements
    }));
    let begin = Arc::new(context_begin(fixture.tenant));
    group.bench_function("tokio_postgres_in_context", |b| {
        b.to_async(runtime).iter_custom(|iterations| {
            let (raw, in_context, begin) = (raw.clone(), in_context.clone(), begin.clone());
            let ids = ids.clone();
            concurrently(iterations, move |task, n| {
                let (raw, in_context, begin) = (raw.clone(), in_context.clone(), begin.clone());
                let id = ids[(task * 61 + n as usize) % ids.len()];
                async move {
                    let client = &raw[task].0;
                    let (begun, row, committed) = futures_util::future::join3(
                        client.batch_execute(&begin),
                        client.query_one(&in_context[task], &[&tenant_uuid, &id]),
                        client.batch_execute("COMMIT"),
                    )
                    .await;
                    begun.and(committed).and(row).unwrap();
                }
            })
        })
    });
    group.finish();
}

/// Seeds `PAGE_TENANTS` tenants (the fixture's first) with customers and
/// invoices, copies them into tables without RLS, and returns the tenants.
async fn seed_pages(fixture: &Fixture) -> Vec<TenantId> {
    let admin = fixture._database.admin().await;
    let mut tenants = vec![fixture.tenant];
    tenants.extend((1..PAGE_TENANTS).map(|_| TenantId::random()));
    for tenant in &tenants {
        admin
            .batch_execute(&format!(
                "INSERT INTO customers (tenant_id, id, name)
                     SELECT '{tenant}', gen_random_uuid(), 'page customer ' || n
                     FROM generate_series(1, {PAGE_CUSTOMERS}) n;
                 INSERT INTO invoices (tenant_id, id, customer_id, amount, paid, note, created_at)
                     SELECT '{tenant}', gen_random_uuid(), c.id, (n * 7919) % 100000, n % 3 = 0,
                            CASE WHEN n % 5 = 0 THEN 'rush' END,
                            timestamptz '2026-01-01' + n * interval '1 minute'
                     FROM generate_series(1, {PAGE_INVOICES}) n
                     JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
                           FROM customers WHERE tenant_id = '{tenant}' AND name LIKE 'page %') c
                       ON c.k = n % {PAGE_CUSTOMERS};"
            ))
            .await
            .unwrap();
    }
    admin
        .batch_execute(&format!(
            "CREATE INDEX ON invoices (tenant_id, created_at DESC, id DESC);
             CREATE TABLE invoices_plain (LIKE invoices INCLUDING ALL);
             INSERT INTO invoices_plain SELECT * FROM invoices;
             TRUNCATE customers_plain;
             INSERT INTO customers_plain SELECT * FROM customers;
             GRANT SELECT ON invoices_plain TO {role};
             ANALYZE;",
            role = fixture._database.app_role
        ))
        .await
        .unwrap();
    tenants
}

/// Invoices, each with its customer.
type Page<'a> =
    tenantry::TenantSelect<'a, Invoice, (Customer, (Invoice, ())), Joined<Invoice, Customer>>;

/// The page: a tenant's unpaid invoices of at least 100.00 with their
/// customer, newest first.
fn page(tenant: &tenantry::Tenant) -> Page<'_> {
    tenant
        .select::<Invoice>()
        .inner_join_entity::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID))
        .filter(Invoice::PAID.eq(false))
        .filter(Invoice::AMOUNT_CENTS.ge(10_000))
        .filter(Customer::NAME.like("page customer%"))
        .order_by(Invoice::CREATED_AT.desc())
        .order_by(Invoice::ID.desc())
        .limit(50)
}

/// A raw row of the page SQL, decoded by hand into the same entities.
fn decode_page_row(row: &tokio_postgres::Row) -> (Invoice, Customer) {
    let invoice = Invoice {
        id: row.get(0),
        tenant_id: TenantId::from_uuid(row.get(1)),
        customer_id: row.get(2),
        amount_cents: row.get(3),
        paid: row.get(4),
        note: row.get(5),
        created_at: row.get(6),
    };
    let customer = Customer {
        id: row.get(7),
        tenant_id: TenantId::from_uuid(row.get(8)),
        name: row.get(9),
        email: row.get(10),
    };
    (invoice, customer)
}

fn page_query(c: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    let tenants = runtime.block_on(seed_pages(fixture));
    let handles: Vec<tenantry::Tenant> = tenants
        .iter()
        .map(|tenant| runtime.block_on(fixture.db.tenant(*tenant)).unwrap())
        .collect();
    // The raw side runs tenantry's own SQL, on the tables without RLS.
    let sql = page(&handles[0]).build().unwrap().sql().replace(
        r#""public"."invoices""#,
        r#""public"."invoices_plain" AS "invoices""#,
    );
    let sql = sql.replace(
        r#""public"."customers""#,
        r#""public"."customers_plain" AS "customers""#,
    );
    let (client, _, _) = &fixture.raw[0];
    let statement = &runtime.block_on(client.prepare(&sql)).unwrap();
    let raw_page = |tenant: TenantId| {
        let tenant = tenant.as_uuid();
        async move {
            let rows = client
                .query(
                    statement,
                    &[
                        &tenant,
                        &tenant,
                        &false,
                        &10_000_i64,
                        &"page customer%",
                        &50_i64,
                    ],
                )
                .await
                .unwrap();
            rows.iter().map(decode_page_row).collect::<Vec<_>>()
        }
    };
    // Like for like: both sides return the same 50 rows.
    let built = runtime.block_on(page(&handles[3]).all()).unwrap();
    let raw = runtime.block_on(raw_page(tenants[3]));
    assert_eq!(built.len(), 50);
    assert_eq!(built, raw);

    let mut group = c.benchmark_group("execute/page");
    let mut next = 0;
    group.bench_function("tenantry", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % handles.len();
            let tenant = &handles[next];
            async move { page(tenant).all().await.unwrap() }
        })
    });
    group.bench_function("tokio_postgres", |b| {
        b.to_async(runtime).iter(|| {
            next = (next + 1) % tenants.len();
            raw_page(tenants[next])
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let fixture = runtime.block_on(fixture());
    point_select(c, &runtime, &fixture);
    telemetry(c, &runtime, &fixture);
    insert(c, &runtime, &fixture);
    throughput(c, &runtime, &fixture);
    page_query(c, &runtime, &fixture);
    drop(fixture);
    citus::point_select(c, &runtime);
}

criterion_group!(execute, benches);
criterion_main!(execute);
