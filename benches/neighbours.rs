//! Noisy neighbours: one tenant sending heavy queries at 20 times the rate
//! of 15 quiet tenants' point selects, on one pool of 16 connections, with
//! and without limits on the noisy tenant; the quiet tenants' latency is
//! compared with theirs running alone, in the same run.
//!
//! ```text
//! cargo bench --bench neighbours -- --warm-up-time 1 --measurement-time 5
//! ```
//!
//! Criterion reports the quiet tenants' mean latency in each setting
//! (`neighbours/quiet/{alone,noisy,noisy_limited}`); the bench then prints
//! their p99 in each, relative to alone. The noisy tenant's limits: one
//! statement at a time, 10 a second (burst 5), refused beyond that. Each
//! measurement runs at least `MIN_ROUNDS` rounds of the quiet tenants, so
//! that the noise builds up however few iterations criterion asks for.
//!
//! `neighbours/point_select/{unlimited,limited}` is the cost of the limits'
//! check on one point select: the same tenant, without limits and with a
//! rate, a concurrency cap and a statement timeout none of which it reaches.

#[path = "../tests/support/mod.rs"]
mod support;

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use support::database::TestDatabase;
use support::{Customer, NewCustomer};
use tenantry::{Config, Limits, Tenant, TenantId, Tenantry};
use tokio::runtime::Runtime;
use uuid::Uuid;

const QUIET_TENANTS: usize = 15;
const CUSTOMERS: usize = 100;
/// The noisy tenant's rows, which each of its heavy queries scans.
const NOISY_ROWS: usize = 100_000;
/// The quiet tenants' pace: one point select each per interval.
const QUIET_INTERVAL: Duration = Duration::from_millis(50);
/// The noisy tenant's pace: 20 times the quiet tenants'.
const NOISY_INTERVAL: Duration = Duration::from_micros(2_500);
/// The most heavy queries the noisy tenant has waiting at once (its own
/// client's queue).
const NOISY_IN_FLIGHT: usize = 16;
const POOL: usize = 16;
/// The fewest point selects each quiet tenant runs per measurement.
const MIN_ROUNDS: u64 = 5;
const HEAVY: &str = "SELECT count(*) FROM customers WHERE name LIKE '%77%'";

struct Fixture {
    _database: TestDatabase,
    quiet: Vec<(TenantId, Vec<Uuid>)>,
    noisy: TenantId,
    unlimited: Tenantry,
    limited: Tenantry,
}

fn noisy_limits() -> Limits {
    Limits::default()
        .concurrent_statements(1)
        .rate(NonZeroU32::new(10).unwrap(), NonZeroU32::new(5).unwrap())
        .statement_timeout(Duration::from_secs(2))
}

async fn fixture() -> Fixture {
    let database = TestDatabase::create().await;
    let config = || {
        // Plaintext, as in the execute bench.
        Config::new(&format!("{}?sslmode=disable", database.app_url()))
            .unwrap()
            .pool_only()
            .pool_size(POOL)
            .wait_timeout(Duration::from_secs(30))
    };
    let unlimited = Tenantry::connect(config()).await.unwrap();
    let noisy = TenantId::random();
    let limited = Tenantry::connect(config().tenant_limits(noisy, noisy_limits()))
        .await
        .unwrap();
    let mut quiet = Vec::new();
    for _ in 0..QUIET_TENANTS {
        let tenant = TenantId::random();
        let ids: Vec<Uuid> = (0..CUSTOMERS).map(|_| Uuid::new_v4()).collect();
        unlimited
            .tenant(tenant)
            .await
            .unwrap()
            .insert_many(ids.iter().map(|&id| NewCustomer {
                id,
                name: format!("customer {id}"),
                email: None,
            }))
            .exec()
            .await
            .unwrap();
        quiet.push((tenant, ids));
    }
    let admin = database.admin().await;
    admin
        .batch_execute(&format!(
            "INSERT INTO customers (tenant_id, id, name)
             SELECT '{noisy}', gen_random_uuid(), 'row ' || n FROM generate_series(1, {NOISY_ROWS}) n;
             ANALYZE customers;"
        ))
        .await
        .unwrap();
    Fixture {
        _database: database,
        quiet,
        noisy,
        unlimited,
        limited,
    }
}

/// Sends heavy queries as `noisy` at its pace until `stop`, at most
/// `NOISY_IN_FLIGHT` at once; refusals and timeouts are its own business.
async fn noisy_load(noisy: Tenant, stop: Arc<AtomicBool>) {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    let mut pace = tokio::time::interval(NOISY_INTERVAL);
    while !stop.load(Ordering::Acquire) {
        pace.tick().await;
        if in_flight.load(Ordering::Acquire) >= NOISY_IN_FLIGHT {
            continue;
        }
        in_flight.fetch_add(1, Ordering::AcqRel);
        let (noisy, in_flight) = (noisy.clone(), in_flight.clone());
        tasks.push(tokio::spawn(async move {
            let _ = noisy.raw_query(HEAVY, &[]).await;
            in_flight.fetch_sub(1, Ordering::AcqRel);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

/// Runs `statements` point selects across the quiet tenants, each at its
/// pace, beside the noisy tenant if given; returns their summed latency and
/// adds each latency to `latencies`.
async fn quiet_load(
    db: &Tenantry,
    fixture: &Fixture,
    noisy: Option<TenantId>,
    statements: u64,
    latencies: &Mutex<Vec<Duration>>,
) -> Duration {
    let stop = Arc::new(AtomicBool::new(false));
    let noise = match noisy {
        Some(id) => Some(tokio::spawn(noisy_load(
            db.tenant(id).await.unwrap(),
            stop.clone(),
        ))),
        None => None,
    };
    let per_tenant = statements.div_ceil(QUIET_TENANTS as u64).max(MIN_ROUNDS);
    let mut tasks = Vec::new();
    for (tenant, ids) in &fixture.quiet {
        let tenant = db.tenant(*tenant).await.unwrap();
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut pace = tokio::time::interval(QUIET_INTERVAL);
            let mut spent = Vec::with_capacity(per_tenant as usize);
            for n in 0..per_tenant {
                pace.tick().await;
                let id = ids[n as usize % ids.len()];
                let started = Instant::now();
                tenant
                    .select::<Customer>()
                    .filter(Customer::ID.eq(id))
                    .one()
                    .await
                    .unwrap();
                spent.push(started.elapsed());
            }
            spent
        }));
    }
    let mut total = Duration::ZERO;
    let mut counted = 0;
    for task in tasks {
        let spent = task.await.unwrap();
        total += spent.iter().sum::<Duration>();
        counted += spent.len();
        latencies.lock().unwrap().extend(spent);
    }
    stop.store(true, Ordering::Release);
    if let Some(noise) = noise {
        noise.await.unwrap();
    }
    total * statements as u32 / counted as u32
}

fn p99(latencies: &Mutex<Vec<Duration>>) -> Duration {
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    latencies
        .get(latencies.len() * 99 / 100)
        .copied()
        .unwrap_or_default()
}

fn quiet(c: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    let mut group = c.benchmark_group("neighbours/quiet");
    group.sample_size(10);
    let settings = [
        ("alone", &fixture.unlimited, None),
        ("noisy", &fixture.unlimited, Some(fixture.noisy)),
        ("noisy_limited", &fixture.limited, Some(fixture.noisy)),
    ];
    let mut p99s = Vec::new();
    for (name, db, noisy) in settings {
        let latencies = Mutex::new(Vec::new());
        group.bench_function(name, |b| {
            b.to_async(runtime)
                .iter_custom(|statements| quiet_load(db, fixture, noisy, statements, &latencies))
        });
        p99s.push((name, p99(&latencies)));
    }
    group.finish();
    let alone = p99s[0].1;
    for (name, p99) in p99s {
        println!(
            "neighbours/quiet/{name}: p99 {p99:?}, {:.2}x alone",
            p99.as_secs_f64() / alone.as_secs_f64()
        );
    }
}

fn point_select(c: &mut Criterion, runtime: &Runtime, fixture: &Fixture) {
    let mut group = c.benchmark_group("neighbours/point_select");
    // The first quiet tenant, with limits it never reaches, or none.
    let (quiet, ids) = (fixture.quiet[0].0, &fixture.quiet[0].1);
    let limits = noisy_limits()
        .concurrent_statements(64)
        .rate(NonZeroU32::new(1_000_000).unwrap(), NonZeroU32::MAX);
    let limited = runtime.block_on(async {
        Tenantry::connect(
            Config::new(&format!("{}?sslmode=disable", fixture._database.app_url()))
                .unwrap()
                .pool_only()
                .tenant_limits(quiet, limits),
        )
        .await
        .unwrap()
    });
    for (name, db) in [("unlimited", &fixture.unlimited), ("limited", &limited)] {
        let tenant = runtime.block_on(db.tenant(quiet)).unwrap();
        let mut next = 0;
        group.bench_function(name, |b| {
            b.to_async(runtime).iter(|| {
                next = (next + 1) % ids.len();
                let (tenant, id) = (&tenant, ids[next]);
                async move {
                    tenant
                        .select::<Customer>()
                        .filter(Customer::ID.eq(id))
                        .one()
                        .await
                        .unwrap()
                }
            })
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let fixture = runtime.block_on(fixture());
    point_select(c, &runtime, &fixture);
    quiet(c, &runtime, &fixture);
}

criterion_group!(neighbour_benches, benches);
criterion_main!(neighbour_benches);
