//! Operations at scale, timed on the local servers (a bench binary, not
//! criterion: some steps take seconds and run once).
//!
//! ```text
//! cargo bench --bench operations
//! ```
//!
//! - `migrate/noop/10000_schemas`: deciding that 10,000 schema tenants are
//!   all current (target < 5 s);
//! - `migrate/alter/1000_schemas`: one `ALTER TABLE … ADD COLUMN` across
//!   1,000 schema tenants (target < 60 s);
//! - `route/warm/10000_tenants`: `db.tenant(id)` from a warm cache with
//!   10,000 tenants registered;
//! - `provision/schema` and `provision/database`: one new tenant, median
//!   (targets < 100 ms and < 1 s);
//! - `statements/10000_schema_tenants`: the server memory of one connection
//!   that serves every schema tenant in turn, with the bounded statement
//!   cache and with one that never evicts;
//! - `erase/pool/1000000_rows`: erasing a pool tenant with 1,000,000 rows
//!   across 3 tables (customers, invoices referring to them, events) while 9
//!   other pool tenants keep inserting and reading: the erasure's time
//!   (target < 30 s) and the others' p99 statement latency before and
//!   during it.
//!
//! - `relocate/pool_to_database/1000000_rows`: relocating a pool tenant
//!   with 1,000,000 rows across the same 3 tables to a database of its own
//!   on the second server while another pool tenant keeps working: the
//!   whole move (target < 20 s), the window its writes were refused
//!   (target < 1 s), and rows copied per second;
//! - `relocate/{fenced,online}/...`: the same move with the moved tenant
//!   writing too, side by side: from the main server (`wal_level =
//!   replica`: the fenced copy) to the second, and from the second
//!   (`logical`: the online copy) to the main one.
//!
//! `cargo bench --bench operations -- erase` runs only the erasure,
//! `-- relocate` only the relocation.
//!
//! `TENANTRY_BENCH_SCALE` (default 1.0) scales the tenant counts down for a
//! quick run. Tenants are created in bulk with the same migrations the
//! library applies, then registered and recorded as migrated.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::placements::because;
use support::placements::{MIGRATIONS, SECOND, TENANT, World, bulk_schema_tenants};
use support::tenants::Tenants;
use support::{Customer, NewCustomer};
use tenantry::ops::migrate::{MigrateOptions, Migration, MigrationSet, Outcome};
use tenantry::ops::{CopyMethod, Destination, Migrations, NewTenant, PlacementKind};
use tenantry::{MAIN_SERVER, TenantId, Tenantry};

fn scaled(count: usize) -> usize {
    let scale: f64 = std::env::var("TENANTRY_BENCH_SCALE")
        .ok()
        .and_then(|scale| scale.parse().ok())
        .unwrap_or(1.0);
    ((count as f64 * scale) as usize).max(1)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn print_result(id: &str, value: Duration, target: Option<Duration>) {
    let verdict = match target {
        Some(target) if value <= target => format!("(target < {target:?}: met)"),
        Some(target) => format!("(target < {target:?}: MISSED)"),
        None => String::new(),
    };
    println!("{id:<32} {value:>12.3?} {verdict}");
}

async fn migrate_noop(world: &World, schemas: usize) {
    let mut samples = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let report = world
            .operator
            .migrate(&MIGRATIONS, MigrateOptions::default())
            .await
            .unwrap();
        samples.push(started.elapsed());
        assert!(
            report
                .targets
                .iter()
                .all(|line| line.outcome == Outcome::Current)
        );
        assert!(report.targets.len() >= schemas);
    }
    print_result(
        &format!("migrate/noop/{schemas}_schemas"),
        median(samples),
        Some(Duration::from_secs(5)),
    );
}

async fn migrate_alter(schemas: usize) {
    let world = World::create().await;
    let admin = world.admin(MAIN_SERVER, None).await;
    bulk_schema_tenants(&admin, "alter", schemas, &world.main.app_role).await;
    let mut tenant = TENANT.migrations().to_vec();
    tenant.push(Migration::new(
        TENANT.latest() + 1,
        "add_vip",
        "ALTER TABLE customers ADD COLUMN vip boolean NOT NULL DEFAULT false;",
    ));
    let migrations = Migrations {
        tenant: MigrationSet::new(Vec::leak(tenant)),
        ..MIGRATIONS
    };
    let started = Instant::now();
    let report = world
        .operator
        .migrate(
            &migrations,
            MigrateOptions {
                concurrency: 8,
                dry_run: false,
            },
        )
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert!(report.is_success());
    report_applied(&report, schemas);
    print_result(
        &format!("migrate/alter/{schemas}_schemas"),
        elapsed,
        Some(Duration::from_secs(60)),
    );
}

fn report_applied(report: &tenantry::ops::migrate::MigrationReport, schemas: usize) {
    let applied = report
        .targets
        .iter()
        .filter(|line| matches!(line.outcome, Outcome::Applied(_)))
        .count();
    assert!(applied >= schemas, "only {applied} targets were migrated");
}

async fn route_warm(world: &World, ids: &[TenantId]) {
    let tenants = ids.len();
    let db = world.connect().await;
    for id in ids {
        db.tenant(*id).await.unwrap();
    }
    assert_eq!(db.cached_tenants(), ids.len());
    let lookups = 200_000;
    let started = Instant::now();
    for n in 0..lookups {
        let tenant = db.tenant(ids[(n * 7919) % ids.len()]).await.unwrap();
        std::hint::black_box(tenant);
    }
    print_result(
        &format!("route/warm/{tenants}_tenants"),
        started.elapsed() / lookups as u32,
        None,
    );
}

/// One connection serves a point select of each schema tenant in turn, with
/// the statement cache of `cache` statements: the server memory of that
/// connection's session after every tenth of them, in MiB.
async fn statement_memory(world: &World, ids: &[TenantId], cache: usize) -> Vec<f64> {
    let config = world.app_config().pool_size(1).statement_cache_size(cache);
    let db = Tenantry::connect(config).await.unwrap();
    let mut memory = Vec::new();
    let every = (ids.len() / 10).max(1);
    for (n, id) in ids.iter().enumerate() {
        let tenant = db.tenant(*id).await.unwrap();
        tenant.select::<Customer>().count().await.unwrap();
        if n % every == every - 1 {
            let rows = tenant
                .raw_query(
                    "SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts",
                    &[],
                )
                .await
                .unwrap();
            memory.push(rows[0].get::<_, i64>(0) as f64 / (1024.0 * 1024.0));
        }
    }
    memory
}

/// `statements/<n>_schema_tenants`: the session memory of one connection
/// serving every schema tenant, with the default cache and with one large
/// enough never to evict (what an unbounded cache does).
async fn statements(world: &World, ids: &[TenantId]) {
    let admin = world.admin(MAIN_SERVER, None).await;
    admin
        .batch_execute(&format!(
            "GRANT SELECT ON pg_backend_memory_contexts TO {role};
             GRANT EXECUTE ON FUNCTION pg_get_backend_memory_contexts() TO {role};",
            role = world.main.app_role
        ))
        .await
        .unwrap();
    for (label, cache) in [("bounded_256", 256), ("unbounded", usize::MAX)] {
        let memory = statement_memory(world, ids, cache).await;
        let shown: Vec<String> = memory.iter().map(|mib| format!("{mib:.1}")).collect();
        println!(
            "statements/{}_schema_tenants/{label}: session MiB after each tenth: {}",
            ids.len(),
            shown.join(" ")
        );
    }
}

async fn provision(
    world: &World,
    kind: PlacementKind,
    label: &str,
    count: usize,
    target: Duration,
) {
    let mut samples = Vec::new();
    for n in 0..count {
        let tenant = NewTenant::new(&world.slug(&format!("{label}{n}")), kind);
        let started = Instant::now();
        world.operator.provision(&tenant, &TENANT).await.unwrap();
        samples.push(started.elapsed());
    }
    print_result(&format!("provision/{label}"), median(samples), Some(target));
}

/// The 99th percentile of `samples`.
fn p99(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 99 / 100).min(samples.len() - 1)]
}

/// Each of `tenants` inserting a customer and counting its customers, in a
/// loop, until `stop`: every statement's latency.
async fn keep_working(db: &Tenantry, tenants: &[TenantId], stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut workers = Vec::new();
    for &id in tenants {
        let tenant = db.tenant(id).await.unwrap();
        let stop = stop.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                tenant
                    .insert(NewCustomer::named("busy"))
                    .exec()
                    .await
                    .unwrap();
                latencies.push(started.elapsed());
                let started = Instant::now();
                tenant.select::<Customer>().count().await.unwrap();
                latencies.push(started.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    all
}

/// Writes `rows` rows of pool tenant `tenant` through `admin`, across 3
/// tables: a quarter customers, half invoices (two per customer), a quarter
/// events; then vacuums and analyzes.
async fn fill_rows(admin: &tokio_postgres::Client, tenant: TenantId, rows: usize) {
    let customers = (rows / 4).max(1) as i64;
    admin
        .execute(
            "INSERT INTO customers (tenant_id, id, name)
             SELECT $1, md5(n::text)::uuid, 'c' || n FROM generate_series(1, $2::bigint) AS n",
            &[&tenant.as_uuid(), &customers],
        )
        .await
        .unwrap();
    admin
        .execute(
            "INSERT INTO invoices (tenant_id, id, customer_id, amount, paid, created_at)
             SELECT $1, gen_random_uuid(), md5((n % $2::bigint + 1)::text)::uuid, n, false, now()
             FROM generate_series(1, 2 * $2::bigint) AS n",
            &[&tenant.as_uuid(), &customers],
        )
        .await
        .unwrap();
    let events = rows as i64 - 3 * customers;
    admin
        .execute(
            "INSERT INTO events SELECT $1, n, 1, 2, 0.5, NULL, '\\x00', '{}', current_date,
                 current_time, localtimestamp
             FROM generate_series(1, $2::bigint) AS n",
            &[&tenant.as_uuid(), &events.max(0)],
        )
        .await
        .unwrap();
    admin.batch_execute("VACUUM ANALYZE").await.unwrap();
}

async fn erase_under_load(rows: usize) {
    let spots: Vec<(&'static str, PlacementKind, &'static str)> = [
        "erased", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9",
    ]
    .into_iter()
    .map(|label| (label, PlacementKind::Pool, MAIN_SERVER))
    .collect();
    let tenants = Tenants::provision(&spots).await;
    let admin = tenants.world.admin(MAIN_SERVER, None).await;
    let victim = tenants.placed[0].record.id;
    let started = Instant::now();
    fill_rows(&admin, victim, rows).await;
    eprintln!(
        "wrote {rows} rows of the erased tenant in {:?}",
        started.elapsed()
    );

    let db = tenants.connect().await;
    let others: Vec<TenantId> = tenants.placed[1..]
        .iter()
        .map(|placed| placed.record.id)
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let before = tokio::spawn({
        let (db, others, stop) = (db.clone(), others.clone(), stop.clone());
        async move { keep_working(&db, &others, stop).await }
    });
    tokio::time::sleep(Duration::from_secs(5)).await;
    stop.store(true, Ordering::Relaxed);
    let before = before.await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn({
        let (db, others, stop) = (db.clone(), others.clone(), stop.clone());
        async move { keep_working(&db, &others, stop).await }
    });
    let started = Instant::now();
    let record = tenants
        .world
        .operator
        .erase(victim, &because("erased by the bench"))
        .await
        .unwrap();
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let during = during.await.unwrap();
    assert!(record.checks.iter().all(|check| check.remaining == 0));
    print_result(
        &format!("erase/pool/{rows}_rows"),
        took,
        Some(Duration::from_secs(30)),
    );
    println!(
        "erase/pool/others_p99: before {:.3?} ({} statements), during {:.3?} ({} statements)",
        p99(before.clone()),
        before.len(),
        p99(during.clone()),
        during.len()
    );
}

/// Inserts customers of `id` one at a time until the first refusal
/// (`TenantMoving` or `TenantMoved`); how many were acknowledged.
async fn write_until_refused(db: Tenantry, id: TenantId) -> usize {
    let tenant = db.tenant(id).await.unwrap();
    let mut written = 0;
    loop {
        match tenant.insert(NewCustomer::named("moving")).exec().await {
            Ok(_) => written += 1,
            Err(tenantry::Error::TenantMoving { .. } | tenantry::Error::TenantMoved { .. }) => {
                return written;
            }
            Err(error) => panic!("the moved tenant's writer: {error}"),
        }
    }
}

/// Relocates a pool tenant with `rows` rows in 3 tables on `from` to a
/// database of its own on the other server, a writer of another tenant
/// keeping the pool busy (and, if `writing`, one of the moved tenant until
/// its writes are refused): the whole move, the write-blocked window, and
/// rows per second, named for the copy used when `writing`.
async fn relocate_to_database(rows: usize, from: &'static str, writing: bool) {
    let to = if from == MAIN_SERVER {
        SECOND
    } else {
        MAIN_SERVER
    };
    let tenants = Tenants::provision(&[
        ("moved", PlacementKind::Pool, from),
        ("neighbour", PlacementKind::Pool, from),
    ])
    .await;
    let admin = tenants.world.admin(from, None).await;
    let moved = tenants.placed[0].record.id;
    let started = Instant::now();
    fill_rows(&admin, moved, rows).await;
    eprintln!(
        "wrote {rows} rows of the moved tenant in {:?}",
        started.elapsed()
    );
    let db = tenants.connect().await;
    let stop = Arc::new(AtomicBool::new(false));
    let neighbour = tokio::spawn({
        let (db, others, stop) = (db.clone(), vec![tenants.placed[1].record.id], stop.clone());
        async move { keep_working(&db, &others, stop).await }
    });
    let writer = writing.then(|| tokio::spawn(write_until_refused(db.clone(), moved)));
    let destination = Destination::new(PlacementKind::Database).on_server(to);
    let report = tenants
        .world
        .operator
        .relocate(moved, &destination, &TENANT)
        .await
        .unwrap();
    stop.store(true, Ordering::Relaxed);
    let neighbour = neighbour.await.unwrap();
    let written = match writer {
        Some(writer) => writer.await.unwrap(),
        None => 0,
    };
    let blocked = report.blocked.expect("flipped");
    let name = match (writing, report.copy) {
        (false, _) => "relocate".to_owned(),
        (true, Some(CopyMethod::Online)) => "relocate/online".to_owned(),
        (true, _) => "relocate/fenced".to_owned(),
    };
    print_result(
        &format!("{name}/pool_to_database/{rows}_rows"),
        report.total,
        Some(Duration::from_secs(20)),
    );
    print_result(
        &format!("{name}/write_blocked"),
        blocked,
        Some(Duration::from_secs(1)),
    );
    println!(
        "{name}/rows_per_second {:>12.0} ({} rows copied; the moved tenant wrote {written}; neighbour p99 {:.3?} over {} statements)",
        report.rows_per_second(),
        report.rows_copied,
        p99(neighbour.clone()),
        neighbour.len()
    );
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|arg| arg == "--list") {
        return;
    }
    let only = std::env::args()
        .skip(1)
        .find(|arg| arg == "erase" || arg == "relocate");
    if only.as_deref() != Some("relocate") {
        erase_under_load(scaled(1_000_000)).await;
    }
    if only.as_deref() != Some("erase") {
        relocate_to_database(scaled(1_000_000), MAIN_SERVER, false).await;
        relocate_to_database(scaled(1_000_000), MAIN_SERVER, true).await;
        relocate_to_database(scaled(1_000_000), SECOND, true).await;
    }
    if only.is_some() {
        return;
    }
    let world = World::create().await;
    provision(
        &world,
        PlacementKind::Schema,
        "schema",
        20,
        Duration::from_millis(100),
    )
    .await;
    provision(
        &world,
        PlacementKind::Database,
        "database",
        10,
        Duration::from_secs(1),
    )
    .await;
    let schemas = scaled(10_000);
    let admin = world.admin(MAIN_SERVER, None).await;
    let started = Instant::now();
    let ids = bulk_schema_tenants(&admin, "many", schemas, &world.main.app_role).await;
    eprintln!(
        "created {schemas} schema tenants in {:?}",
        started.elapsed()
    );
    route_warm(&world, &ids).await;
    statements(&world, &ids).await;
    migrate_noop(&world, schemas).await;
    drop(world);
    migrate_alter(scaled(1_000)).await;
}
