//! Migrations fanned out across tenants in every placement on two servers:
//! many schema tenants and several database tenants at once, a migration
//! that fails on some tenants only (recorded in the registry), re-running to
//! heal, two runners at once,
//! dry runs, a migration merged below the applied ones, data migrations on
//! tables under row-level security, migrating the template while a tenant
//! database is copied from it, applied migrations edited or removed
//! afterwards; a migration marked to run outside a transaction (`CREATE
//! INDEX CONCURRENTLY`); functions the application may execute (not
//! SECURITY DEFINER ones) in every target; and provisioning that is
//! idempotent, resumable, and waits for a runner creating its tenant's
//! schema.

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use support::NewCustomer;
use support::database::{TestDatabase, main_port, url_for};
use support::placements::{MIGRATIONS, SECOND, TENANT, World};
use tenantry::ops::Error;
use tenantry::ops::migrate::{
    AppliedMigration, MigrateOptions, Migration, MigrationSet, Outcome, SetKind,
};
use tenantry::ops::{Migrations, NewTenant, Operator, PlacementKind, Seed};
use tenantry::{Config, MAIN_SERVER, Placement, TenantRecord, TenantStatus, TenantTransaction};
use tokio_postgres::Client;
use uuid::Uuid;

/// The test tenant set plus `extra` as its next migration.
fn with_extra(sql: &'static str) -> Migrations {
    extended(&[Migration::new(TENANT.latest() + 1, "extra", sql)])
}

/// The test tenant set plus `extra`.
fn extended(extra: &[Migration]) -> Migrations {
    let mut migrations = TENANT.migrations().to_vec();
    migrations.extend_from_slice(extra);
    with_tenant_set(migrations)
}

/// The test sets with `tenant` as the tenant set.
fn with_tenant_set(tenant: Vec<Migration>) -> Migrations {
    Migrations {
        tenant: MigrationSet::new(Vec::leak(tenant)),
        ..MIGRATIONS
    }
}

const ADD_COLUMN: &str = "ALTER TABLE customers ADD COLUMN vip boolean NOT NULL DEFAULT false;";
const REFUSE_POISON: &str =
    "ALTER TABLE customers ADD CONSTRAINT customers_not_poison CHECK (name <> 'poison');";

fn tenant_lines(
    report: &tenantry::ops::migrate::MigrationReport,
) -> Vec<&tenantry::ops::migrate::TargetReport> {
    report
        .targets
        .iter()
        .filter(|line| line.target.set == SetKind::Tenant)
        .collect()
}

#[tokio::test]
async fn many_schema_tenants_and_database_tenants_migrate_together() {
    let world = World::create().await;
    let mut tenants = Vec::new();
    for n in 0..52 {
        let server = if n % 2 == 0 { MAIN_SERVER } else { SECOND };
        tenants.push(
            world
                .provision(&format!("s{n}"), PlacementKind::Schema, server)
                .await,
        );
    }
    for n in 0..4 {
        let server = if n % 2 == 0 { MAIN_SERVER } else { SECOND };
        tenants.push(
            world
                .provision(&format!("d{n}"), PlacementKind::Database, server)
                .await,
        );
    }
    let migrations = with_extra(ADD_COLUMN);
    let options = MigrateOptions {
        concurrency: 8,
        dry_run: false,
    };
    let report = world.operator.migrate(&migrations, options).await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    let lines = tenant_lines(&report);
    // Every tenant, the pool tables and the template of both servers.
    assert_eq!(lines.len(), tenants.len() + 4);
    let extra = migrations.tenant.latest();
    assert!(
        lines
            .iter()
            .all(|line| line.outcome == Outcome::Applied(vec![extra])),
        "{lines:#?}"
    );
    let migrated: HashSet<_> = lines.iter().filter_map(|line| line.target.tenant).collect();
    assert_eq!(migrated, tenants.iter().map(|t| t.id).collect());

    let again = world.operator.migrate(&migrations, options).await.unwrap();
    assert!(
        again
            .targets
            .iter()
            .all(|line| line.outcome == Outcome::Current)
    );

    // The column is really there, in a schema tenant and a database tenant.
    let db = world.connect().await;
    for tenant in [&tenants[0], &tenants[55]] {
        let handle = db.tenant(tenant.id).await.unwrap();
        let rows = handle
            .raw_query("SELECT count(*) FROM customers WHERE NOT vip", &[])
            .await
            .unwrap();
        assert_eq!(rows[0].get::<_, i64>(0), 0);
    }
}

#[tokio::test]
async fn a_migration_failing_on_some_tenants_is_reported_and_a_rerun_heals() {
    let world = World::create().await;
    let db = world.connect().await;
    let mut tenants = Vec::new();
    for (n, kind) in [
        PlacementKind::Schema,
        PlacementKind::Database,
        PlacementKind::Schema,
    ]
    .into_iter()
    .cycle()
    .take(6)
    .enumerate()
    {
        let record = world.provision(&format!("t{n}"), kind, MAIN_SERVER).await;
        let tenant = db.tenant(record.id).await.unwrap();
        let name = if n == 1 || n == 4 { "poison" } else { "fine" };
        tenant
            .insert(NewCustomer {
                id: Uuid::new_v4(),
                name: name.to_owned(),
                email: None,
            })
            .exec()
            .await
            .unwrap();
        tenants.push((record, tenant));
    }
    let migrations = with_extra(REFUSE_POISON);
    let report = world
        .operator
        .migrate(&migrations, MigrateOptions::default())
        .await
        .unwrap();
    let failed: HashSet<_> = report
        .failures()
        .filter_map(|line| line.target.tenant)
        .collect();
    assert_eq!(
        failed,
        HashSet::from([tenants[1].0.id, tenants[4].0.id]),
        "{report:#?}"
    );
    for line in report.failures() {
        let Outcome::Failed { version, error, .. } = &line.outcome else {
            unreachable!()
        };
        assert_eq!(*version, migrations.tenant.latest());
        assert!(error.contains("customers_not_poison"), "{error}");
    }
    let applied = tenant_lines(&report)
        .iter()
        .filter(|line| matches!(line.outcome, Outcome::Applied(_)))
        .count();
    assert_eq!(
        applied,
        4 + 2 + 1,
        "four tenants, the pool tables of both servers, the template"
    );
    // The registry records where each tenant stands, failed ones included,
    // while they stay active.
    let latest = migrations.tenant.latest();
    let recorded = |registered: Vec<TenantRecord>| -> Vec<(Option<i64>, Option<i64>)> {
        tenants
            .iter()
            .map(|(record, _)| {
                let now = registered.iter().find(|r| r.id == record.id).unwrap();
                assert_eq!(now.status, TenantStatus::Active);
                (
                    now.schema_version,
                    now.migration_failure
                        .as_ref()
                        .map(|failure| failure.version),
                )
            })
            .collect()
    };
    let registered = world.operator.tenants().await.unwrap();
    let expected: Vec<_> = (0..6)
        .map(|n| {
            if n == 1 || n == 4 {
                (Some(latest - 1), Some(latest))
            } else {
                (Some(latest), None)
            }
        })
        .collect();
    assert_eq!(recorded(registered.clone()), expected);
    let failure = registered
        .iter()
        .find(|r| r.id == tenants[1].0.id)
        .and_then(|r| r.migration_failure.clone())
        .unwrap();
    assert!(
        failure.error.contains("customers_not_poison"),
        "{failure:?}"
    );

    for index in [1, 4] {
        tenants[index]
            .1
            .raw_execute(
                "UPDATE customers SET name = 'cured' WHERE name = 'poison'",
                &[],
            )
            .await
            .unwrap();
    }
    let healed = world
        .operator
        .migrate(&migrations, MigrateOptions::default())
        .await
        .unwrap();
    assert!(healed.is_success(), "{healed:#?}");
    let applied_now: HashSet<_> = healed
        .targets
        .iter()
        .filter(|line| matches!(line.outcome, Outcome::Applied(_)))
        .filter_map(|line| line.target.tenant)
        .collect();
    assert_eq!(
        applied_now,
        HashSet::from([tenants[1].0.id, tenants[4].0.id])
    );
    // Success clears the failures.
    let registered = world.operator.tenants().await.unwrap();
    assert_eq!(recorded(registered), vec![(Some(latest), None); 6]);
}

#[tokio::test]
async fn two_runners_at_once_apply_each_migration_once() {
    let world = World::create().await;
    for n in 0..6 {
        let kind = if n < 4 {
            PlacementKind::Schema
        } else {
            PlacementKind::Database
        };
        world.provision(&format!("r{n}"), kind, MAIN_SERVER).await;
    }
    let migrations = with_extra(ADD_COLUMN);
    let (first, second) = (world.operator(), world.operator());
    let (a, b) = tokio::join!(
        first.migrate(&migrations, MigrateOptions::default()),
        second.migrate(&migrations, MigrateOptions::default()),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.is_success() && b.is_success(), "{a:#?} {b:#?}");
    let extra = migrations.tenant.latest();
    let applied_by = |report: &tenantry::ops::migrate::MigrationReport| -> Vec<String> {
        report
            .targets
            .iter()
            .filter(|line| line.outcome == Outcome::Applied(vec![extra]))
            .map(|line| line.target.to_string())
            .collect()
    };
    let (by_a, by_b) = (applied_by(&a), applied_by(&b));
    let all: HashSet<_> = by_a.iter().chain(&by_b).collect();
    assert_eq!(
        all.len(),
        by_a.len() + by_b.len(),
        "a target was migrated twice"
    );
    assert_eq!(all.len(), tenant_lines(&a).len());
    let admin = world.admin(MAIN_SERVER, None).await;
    let recorded: i64 = admin
        .query_one(
            "SELECT count(*) FROM tenantry.migrations WHERE set_name = 'tenant' AND version = $1",
            &[&extra],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        recorded,
        4 + 1,
        "four schema tenants and the pool tables, once each"
    );
}

#[tokio::test]
async fn a_dry_run_applies_nothing() {
    let world = World::create().await;
    world
        .provision("dry", PlacementKind::Schema, MAIN_SERVER)
        .await;
    let migrations = with_extra(ADD_COLUMN);
    let options = MigrateOptions {
        dry_run: true,
        ..MigrateOptions::default()
    };
    let report = world.operator.migrate(&migrations, options).await.unwrap();
    let extra = migrations.tenant.latest();
    assert!(
        tenant_lines(&report)
            .iter()
            .all(|line| line.outcome == Outcome::Pending(vec![extra]))
    );
    let admin = world.admin(MAIN_SERVER, None).await;
    let columns: i64 = admin
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE column_name = 'vip'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(columns, 0);
}

/// A notes table under row-level security, and a migration that backfills
/// a column of it.
static BACKFILL: MigrationSet = tenantry::embed_migrations!("tests/migrations/backfill");

/// The same directory, the operator named by another path.
static BACKFILL_BY_PATH: MigrationSet =
    tenantry::embed_migrations!("tests/migrations/backfill", crate = tenantry::ops);

#[test]
fn embedded_migrations_name_the_operator_by_any_path() {
    let versions = |set: &MigrationSet| -> Vec<(i64, String)> {
        set.migrations()
            .iter()
            .map(|migration| (migration.version(), migration.checksum()))
            .collect()
    };
    assert_eq!(versions(&BACKFILL_BY_PATH), versions(&BACKFILL));
    assert_eq!(BACKFILL.migrations().len(), 2);
}

#[tokio::test]
async fn a_data_migration_on_an_isolated_table_backfills_every_tenant_or_fails_loudly() {
    // The database's own role, made its owner, is the operator: not a
    // superuser, so the forced row-level security applies to it unless it
    // has BYPASSRLS.
    let database = TestDatabase::empty_on(main_port(), None).await;
    let admin = database.admin().await;
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {} OWNER TO {}",
            database.name, database.app_role
        ))
        .await
        .unwrap();
    let owner = url_for(database.port, &database.name, &database.app_role);
    let operator = Operator::new(Config::new(&owner).unwrap());
    let notes = |tenant| Migrations {
        shared: MigrationSet::new(&[]),
        tenant,
    };
    let created = operator
        .migrate(
            &notes(MigrationSet::new(&BACKFILL.migrations()[..1])),
            MigrateOptions::default(),
        )
        .await
        .unwrap();
    assert!(created.is_success(), "{created:#?}");

    // Rows of three tenants in the pool's table.
    let tenants = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
    for tenant in &tenants {
        for (id, body) in [(1, "a"), (2, "bcd")] {
            admin
                .execute(
                    "INSERT INTO notes (tenant_id, id, body) VALUES ($1, $2, $3)",
                    &[tenant, &id, &body],
                )
                .await
                .unwrap();
        }
    }
    let backfill = BACKFILL.latest();

    // Without BYPASSRLS the backfill would see no row: it fails instead.
    let refused = operator
        .migrate(&notes(BACKFILL.clone()), MigrateOptions::default())
        .await
        .unwrap();
    let [line] = tenant_lines(&refused)[..] else {
        panic!("one tenant target, the pool's tables: {refused:#?}")
    };
    let Outcome::Failed { version, error, .. } = &line.outcome else {
        panic!("the backfill must fail loudly: {refused:#?}")
    };
    assert_eq!(*version, backfill);
    assert!(error.contains("row-level security"), "{error}");
    let column = admin
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'notes' AND column_name = 'body_length'",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(column, 0, "the failed migration was rolled back");

    admin
        .batch_execute(&format!("ALTER ROLE {} BYPASSRLS", database.app_role))
        .await
        .unwrap();
    let report = operator
        .migrate(&notes(BACKFILL.clone()), MigrateOptions::default())
        .await
        .unwrap();
    assert!(
        tenant_lines(&report)
            .iter()
            .all(|line| line.outcome == Outcome::Applied(vec![backfill])),
        "{report:#?}"
    );
    let rows = admin
        .query(
            "SELECT tenant_id, count(*) FILTER (WHERE body_length = char_length(body)) FROM notes GROUP BY tenant_id",
            &[],
        )
        .await
        .unwrap();
    let backfilled: HashSet<(Uuid, i64)> =
        rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    assert_eq!(
        backfilled,
        tenants.iter().map(|tenant| (*tenant, 2)).collect(),
        "every row of every tenant is backfilled"
    );
}

const ADD_NOTE: &str = "ALTER TABLE customers ADD COLUMN note text;";

#[tokio::test]
async fn a_migration_merged_below_the_applied_ones_is_still_applied() {
    let world = World::create().await;
    let (note, vip) = (
        Migration::new(TENANT.latest() + 1, "add_note", ADD_NOTE),
        Migration::new(TENANT.latest() + 2, "add_vip", ADD_COLUMN),
    );
    // The branch that adds `note` is merged after `vip` was applied.
    let (before, merged) = (
        extended(std::slice::from_ref(&vip)),
        extended(&[note.clone(), vip]),
    );
    let provision = async |name: &str, kind, server: &str, migrations: &Migrations| {
        let tenant = NewTenant::new(&world.slug(name), kind).on_server(server);
        world
            .operator
            .provision(&tenant, &migrations.tenant)
            .await
            .unwrap()
    };
    let migrate = async |migrations: &Migrations, dry_run| {
        let options = MigrateOptions {
            dry_run,
            ..MigrateOptions::default()
        };
        world.operator.migrate(migrations, options).await.unwrap()
    };
    let migrated = migrate(&before, false).await;
    assert!(migrated.is_success(), "{migrated:#?}");
    let schema = provision("s", PlacementKind::Schema, SECOND, &before).await;
    let database = provision("d", PlacementKind::Database, SECOND, &before).await;

    let all_tenant_lines = |report: &tenantry::ops::migrate::MigrationReport, outcome: &Outcome| {
        let lines = tenant_lines(report);
        // The pool tables of both servers, the second's template, both tenants.
        assert_eq!(lines.len(), 5, "{report:#?}");
        assert!(
            lines.iter().all(|line| line.outcome == *outcome),
            "{report:#?}"
        );
    };
    let planned = migrate(&merged, true).await;
    all_tenant_lines(&planned, &Outcome::Pending(vec![note.version()]));
    let report = migrate(&merged, false).await;
    all_tenant_lines(&report, &Outcome::Applied(vec![note.version()]));
    let again = migrate(&merged, false).await;
    all_tenant_lines(&again, &Outcome::Current);

    // Provisioning brings the template up to date the same way: on the main
    // server, whose template starts with the old set, a tenant copied from
    // it with the merged set has the column too.
    provision("d_old", PlacementKind::Database, MAIN_SERVER, &before).await;
    let copied = provision("d_new", PlacementKind::Database, MAIN_SERVER, &merged).await;

    let db = world.connect().await;
    for tenant in [&schema, &database, &copied] {
        let handle = db.tenant(tenant.id).await.unwrap();
        let rows = handle
            .raw_query("SELECT count(*) FROM customers WHERE note IS NOT NULL", &[])
            .await
            .unwrap();
        assert_eq!(rows[0].get::<_, i64>(0), 0, "{}", tenant.slug);
    }
}

/// The test tenant set with migration `index` replaced by `sql` (same
/// version and name), and `extra` after it.
fn edited(index: usize, sql: &'static str, extra: &[Migration]) -> Migrations {
    let mut migrations = TENANT.migrations().to_vec();
    let original = &TENANT.migrations()[index];
    migrations[index] = Migration::new(original.version(), original.name(), sql);
    migrations.extend_from_slice(extra);
    with_tenant_set(migrations)
}

#[tokio::test]
async fn an_applied_migration_edited_afterwards_is_an_error_on_every_target() {
    let world = World::create().await;
    world
        .provision("s", PlacementKind::Schema, MAIN_SERVER)
        .await;
    world.provision("d", PlacementKind::Database, SECOND).await;
    let extra = Migration::new(TENANT.latest() + 1, "extra", ADD_COLUMN);
    let migrations = edited(
        1,
        "CREATE TABLE invoices (id uuid);",
        std::slice::from_ref(&extra),
    );
    let changed = Outcome::Changed(AppliedMigration {
        version: TENANT.migrations()[1].version(),
        name: TENANT.migrations()[1].name().to_owned(),
    });
    for dry_run in [true, false] {
        let options = MigrateOptions {
            dry_run,
            ..MigrateOptions::default()
        };
        let report = world.operator.migrate(&migrations, options).await.unwrap();
        assert!(!report.is_success(), "{report:#?}");
        let lines = tenant_lines(&report);
        // Both servers' pool tables, the second's template, both tenants.
        assert_eq!(lines.len(), 5, "{report:#?}");
        assert!(
            lines.iter().all(|line| line.outcome == changed),
            "{report:#?}"
        );
        assert_eq!(report.failures().count(), 5);
        assert_eq!(
            report.counts(),
            (2, 0, 5),
            "the registry and shared set are current"
        );
    }
    // Nothing was applied to a target with a changed migration.
    for server in [MAIN_SERVER, SECOND] {
        let admin = world.admin(server, None).await;
        let columns: i64 = admin
            .query_one(
                "SELECT count(*) FROM information_schema.columns WHERE column_name = 'vip'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(columns, 0, "on {server}");
    }
    // Restoring the file heals the run.
    let restored = extended(&[extra]);
    let report = world
        .operator
        .migrate(&restored, MigrateOptions::default())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    // A database tenant copied from a template whose applied migration
    // differs from the set is refused too.
    let copied = NewTenant::new(&world.slug("d2"), PlacementKind::Database).on_server(SECOND);
    let refused = world.operator.provision(&copied, &migrations.tenant).await;
    assert!(
        matches!(&refused, Err(Error::MigrationChanged { version: 2, name }) if name == "create_invoices"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_applied_migration_missing_from_the_set_is_a_warning() {
    let world = World::create().await;
    world
        .provision("s", PlacementKind::Schema, MAIN_SERVER)
        .await;
    let last = TENANT.migrations().last().unwrap();
    let extra = Migration::new(TENANT.latest() + 1, "extra", ADD_COLUMN);
    // The last file removed, and a new one added.
    let mut kept = TENANT.migrations()[..TENANT.migrations().len() - 1].to_vec();
    kept.push(extra.clone());
    let migrations = with_tenant_set(kept);
    let report = world
        .operator
        .migrate(&migrations, MigrateOptions::default())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    let lines = tenant_lines(&report);
    // Both servers' pool tables and the schema tenant.
    assert_eq!(lines.len(), 3, "{report:#?}");
    let unknown = vec![AppliedMigration {
        version: last.version(),
        name: last.name().to_owned(),
    }];
    for line in &lines {
        assert_eq!(line.outcome, Outcome::Applied(vec![extra.version()]));
        assert_eq!(line.unknown, unknown);
    }
    assert_eq!(report.warnings().count(), 3);
    let again = world
        .operator
        .migrate(&migrations, MigrateOptions::default())
        .await
        .unwrap();
    assert!(
        tenant_lines(&again)
            .iter()
            .all(|line| line.outcome == Outcome::Current && line.unknown == unknown),
        "{again:#?}"
    );
}

/// Polls `query` (a boolean) until it is true; panics after 30 s saying
/// what never happened.
async fn wait_until(client: &Client, what: &str, query: &str, name: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let row = client.query_one(query, &[&name]).await.unwrap();
        if row.get::<_, bool>(0) {
            return;
        }
        assert!(Instant::now() < deadline, "{what} never happened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Provisions `tenant` past `blocker`'s open transaction: waits until
/// `waiting` (a boolean query of `$1`, the main test database) sees the
/// provisioning wait, panicking if it finishes first, then commits
/// `blocker` and lets the provisioning finish.
async fn provision_past(
    world: &World,
    tenant: &NewTenant,
    blocker: &Client,
    what: &str,
    waiting: &str,
) -> Result<TenantRecord, Error> {
    let watcher = world.admin(MAIN_SERVER, None).await;
    let provisioned = world.operator.provision(tenant, &TENANT);
    tokio::pin!(provisioned);
    tokio::select! {
        () = wait_until(&watcher, what, waiting, &world.main.name) => {}
        early = &mut provisioned => {
            panic!("{what} never happened: provisioning finished first with {early:?}")
        }
    }
    blocker.batch_execute("COMMIT").await.unwrap();
    provisioned.await
}

#[tokio::test]
async fn provisioning_a_schema_tenant_waits_for_a_runner_creating_its_schema() {
    let world = World::create().await;
    let tenant = NewTenant::new(&world.slug("busy"), PlacementKind::Schema);
    let schema = format!("tenant_{}", tenant.slug);
    // The test plays a runner applying the tenant's first migration: under
    // the target's lock, it has created the schema and not yet committed.
    let runner = world.admin(MAIN_SERVER, None).await;
    runner
        .batch_execute(&format!(
            "BEGIN;
             SELECT pg_advisory_xact_lock(hashtextextended('tenantry:tenant:{schema}', 0));
             CREATE SCHEMA {schema};"
        ))
        .await
        .unwrap();
    let record = provision_past(
        &world,
        &tenant,
        &runner,
        "provisioning waiting for the runner",
        // A runner tries for a target's lock until it is free, rather than
        // wait for it in a statement (see `migrate::apply`).
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND query LIKE '%pg_try_advisory_lock%')",
    )
    .await
    .unwrap();
    assert_eq!(record.status, TenantStatus::Active);
}

#[tokio::test]
async fn a_tenant_database_is_copied_from_the_template_only_between_its_migrations() {
    let world = World::create().await;
    world
        .provision("d0", PlacementKind::Database, MAIN_SERVER)
        .await;
    let template = format!("{}_template", world.main.name);
    // The next migration waits for a lock on the application role, which
    // the test holds until provisioning is under way.
    let role = &world.main.app_role;
    let waits = String::leak(format!("COMMENT ON ROLE {role} IS 'migrated';"));
    let migrations = with_extra(waits);
    let blocker = world.admin(MAIN_SERVER, None).await;
    blocker
        .batch_execute(&format!("BEGIN; COMMENT ON ROLE {role} IS 'held'"))
        .await
        .unwrap();

    let tenant = NewTenant::new(&world.slug("d1"), PlacementKind::Database);
    let provisioning = async {
        let watcher = world.admin(MAIN_SERVER, None).await;
        wait_until(
            &watcher,
            "the template's migration waiting for the role",
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock')",
            &template,
        )
        .await;
        provision_past(
            &world,
            &tenant,
            &blocker,
            "provisioning waiting for the template lock",
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = $1 \
             AND wait_event = 'advisory' AND query LIKE '%pg_advisory_lock(%')",
        )
        .await
    };
    let (report, provisioned) = tokio::join!(
        world
            .operator
            .migrate(&migrations, MigrateOptions::default()),
        provisioning
    );
    let report = report.unwrap();
    assert!(report.is_success(), "{report:#?}");
    let record = provisioned.unwrap();

    // The copy was taken after the template's migration, not during it.
    let Placement::Database(database) = &record.placement else {
        panic!("a database tenant: {record:#?}")
    };
    let copy = world.admin(MAIN_SERVER, Some(database.as_str())).await;
    let versions: Vec<i64> = copy
        .query_one(
            "SELECT array_agg(version ORDER BY version) FROM tenantry.migrations WHERE set_name = 'tenant'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(versions.last(), Some(&migrations.tenant.latest()));
}

/// Fails the first time, succeeds after; counts its runs.
struct FlakySeed {
    fail: std::sync::atomic::AtomicBool,
    runs: std::sync::atomic::AtomicUsize,
}

impl Seed for FlakySeed {
    async fn seed(
        &self,
        tenant: &TenantTransaction,
        _: &TenantRecord,
    ) -> Result<(), tenantry::Error> {
        self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tenant.insert(NewCustomer::named("seeded")).exec().await?;
        if self.fail.swap(false, std::sync::atomic::Ordering::SeqCst) {
            return Err(tenantry::Error::Config("the seed crashed".to_owned()));
        }
        Ok(())
    }
}

#[tokio::test]
async fn provisioning_resumes_after_a_crash_and_is_idempotent() {
    let world = World::create().await;
    let db = world.connect().await;
    let seed = FlakySeed {
        fail: true.into(),
        runs: 0.into(),
    };
    for (name, kind) in [
        ("sch", PlacementKind::Schema),
        ("dbt", PlacementKind::Database),
        ("poo", PlacementKind::Pool),
    ] {
        let tenant = NewTenant::new(&world.slug(name), kind).on_server(SECOND);
        seed.fail.store(true, std::sync::atomic::Ordering::SeqCst);
        let crashed = world.operator.provision_with(&tenant, &TENANT, &seed).await;
        assert!(crashed.is_err());
        // A half-made tenant is never served.
        assert!(matches!(
            db.tenant(tenant.id).await.map(drop),
            Err(tenantry::Error::TenantNotActive {
                status: TenantStatus::Provisioning,
                ..
            })
        ));
        let record = world
            .operator
            .provision_with(&tenant, &TENANT, &seed)
            .await
            .unwrap();
        assert_eq!(record.status, TenantStatus::Active);
        assert_eq!(record.schema_version, Some(TENANT.latest()), "{name}");
        let again = world
            .operator
            .provision_with(&tenant, &TENANT, &seed)
            .await
            .unwrap();
        assert_eq!(again.id, record.id);
        let handle = db.tenant(record.id).await.unwrap();
        let seeded = handle.select::<support::Customer>().count().await.unwrap();
        assert_eq!(seeded, 1, "{name}: the seed's rows were written once");
    }
    assert_eq!(seed.runs.load(std::sync::atomic::Ordering::SeqCst), 6);

    let taken = NewTenant::new(&world.slug("sch"), PlacementKind::Schema);
    assert!(matches!(
        world.operator.provision(&taken, &TENANT).await,
        Err(Error::DuplicateSlug { .. })
    ));
    let malformed = NewTenant::new("Robert'); DROP TABLE customers; --", PlacementKind::Schema);
    assert!(matches!(
        world.operator.provision(&malformed, &TENANT).await,
        Err(Error::Runtime(tenantry::Error::Query(
            tenantry::QueryError::InvalidIdentifier { .. }
        )))
    ));
    let nowhere = NewTenant::new(&world.slug("nowhere"), PlacementKind::Schema).on_server("mars");
    assert!(matches!(
        world.operator.provision(&nowhere, &TENANT).await,
        Err(Error::Runtime(tenantry::Error::UnknownServer { .. }))
    ));
}

/// A function the application may call, and one that runs with its
/// owner's rights (the operator, here a superuser).
const FUNCTIONS: &str = "
CREATE FUNCTION customer_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM customers';
CREATE FUNCTION every_customer_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
    SET search_path FROM CURRENT AS 'SELECT count(*) FROM customers';";

#[tokio::test]
async fn the_application_may_execute_migrated_functions_only_when_they_run_with_its_rights() {
    let world = World::create().await;
    let schema_tenant = world
        .provision("functions", PlacementKind::Schema, SECOND)
        .await;
    let migrated_tenant = world
        .provision("functions_a", PlacementKind::Database, MAIN_SERVER)
        .await;
    let migrations = with_extra(FUNCTIONS);
    let report = world
        .operator
        .migrate(&migrations, MigrateOptions::default())
        .await
        .unwrap();
    assert!(report.is_success(), "{report:#?}");
    let copied_tenant = world
        .operator
        .provision(
            &NewTenant::new(&world.slug("functions_b"), PlacementKind::Database),
            &migrations.tenant,
        )
        .await
        .unwrap();
    let database_of = |tenant: &TenantRecord| match &tenant.placement {
        Placement::Database(database) => database.as_str().to_owned(),
        other => panic!("not a database tenant: {other:?}"),
    };
    let (migrated, copied) = (database_of(&migrated_tenant), database_of(&copied_tenant));
    let Placement::Schema(schema) = &schema_tenant.placement else {
        panic!("not a schema tenant");
    };
    let template = format!("{}_template", world.main.name);
    let role = &world.main.app_role;
    // The pool's tables on both servers, the template, a schema tenant, a
    // database tenant migrated and one copied from the template afterwards.
    for (server, database, schema) in [
        (MAIN_SERVER, None, "public"),
        (SECOND, None, "public"),
        (MAIN_SERVER, Some(template.as_str()), "public"),
        (SECOND, None, schema.as_str()),
        (MAIN_SERVER, Some(migrated.as_str()), "public"),
        (MAIN_SERVER, Some(copied.as_str()), "public"),
    ] {
        let admin = world.admin(server, database).await;
        let row = admin
            .query_one(
                &format!(
                    "SELECT has_function_privilege('{role}', '{schema}.customer_count()', 'EXECUTE'),
                            has_function_privilege('{role}', '{schema}.every_customer_count()', 'EXECUTE')"
                ),
                &[],
            )
            .await
            .unwrap_or_else(|error| panic!("{server} {database:?} {schema}: {error:?}"));
        assert_eq!(
            (row.get::<_, bool>(0), row.get::<_, bool>(1)),
            (true, false),
            "{server} {database:?} {schema}"
        );
    }
}

/// An index PostgreSQL builds only outside a transaction block.
const CONCURRENT_INDEX: &str =
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_by_name ON customers (name);";

/// The same, marked to run outside a transaction.
const MARKED_CONCURRENT_INDEX: &str = "-- tenantry: no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_by_name ON customers (name);";

/// Marked too, and fails where two customers share a name, leaving an
/// invalid index behind.
const MARKED_UNIQUE_NAMES: &str = "-- tenantry: no-transaction
CREATE UNIQUE INDEX CONCURRENTLY customers_unique_name ON customers (tenant_id, name);";

/// The indexes named `name` in `client`'s database: each one's schema and
/// whether it is valid, by schema.
async fn indexes(client: &Client, name: &str) -> Vec<(String, bool)> {
    client
        .query(
            "SELECT n.nspname::text, i.indisvalid
             FROM pg_catalog.pg_index i
             JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relname = $1
             ORDER BY 1",
            &[&name],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}

/// The targets `client`'s database has recorded `version` of the tenant set for.
async fn recorded_targets(client: &Client, version: i64) -> Vec<String> {
    client
        .query(
            "SELECT target FROM tenantry.migrations WHERE set_name = 'tenant' AND version = $1 ORDER BY 1",
            &[&version],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn a_migration_marked_no_transaction_runs_outside_one_under_the_target_lock() {
    let world = World::create().await;
    let s0 = world
        .provision("s0", PlacementKind::Schema, MAIN_SERVER)
        .await;
    let s1 = world.provision("s1", PlacementKind::Schema, SECOND).await;
    let d = world.provision("d", PlacementKind::Database, SECOND).await;
    let schema = |record: &TenantRecord| record.placement.schema().unwrap().as_str().to_owned();
    let (main, second) = (
        world.admin(MAIN_SERVER, None).await,
        world.admin(SECOND, None).await,
    );
    let own = world
        .admin(SECOND, Some(d.placement.database().unwrap().as_str()))
        .await;
    let unmarked = with_extra(CONCURRENT_INDEX);
    let marked = with_extra(MARKED_CONCURRENT_INDEX);
    let index = marked.tenant.latest();
    assert!(
        !marked
            .tenant
            .migrations()
            .last()
            .unwrap()
            .runs_in_transaction()
    );

    // Unmarked, it runs in a transaction, which PostgreSQL refuses: what
    // follows goes the other way.
    let refused = world
        .operator
        .migrate(&unmarked, MigrateOptions::default())
        .await
        .unwrap();
    let lines = tenant_lines(&refused);
    // Both servers' pool tables, two schema tenants, the database tenant
    // and the second server's template.
    assert_eq!(lines.len(), 6, "{refused:#?}");
    for line in &lines {
        assert!(
            matches!(&line.outcome, Outcome::Failed { version, applied, error }
                if *version == index && applied.is_empty()
                    && error.contains("cannot run inside a transaction block")),
            "{line:#?}"
        );
    }
    assert!(recorded_targets(&main, index).await.is_empty());

    // Marked, by two runners at once: each target applies it once, under
    // its lock, and records it.
    let (first, other) = (world.operator(), world.operator());
    let (a, b) = tokio::join!(
        first.migrate(&marked, MigrateOptions::default()),
        other.migrate(&marked, MigrateOptions::default()),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.is_success() && b.is_success(), "{a:#?} {b:#?}");
    for (mine, theirs) in tenant_lines(&a).iter().zip(tenant_lines(&b)) {
        assert_eq!(mine.target, theirs.target);
        let mut outcomes = [mine.outcome.clone(), theirs.outcome.clone()];
        outcomes.sort_by_key(|outcome| outcome.to_string());
        assert_eq!(
            outcomes,
            [Outcome::Applied(vec![index]), Outcome::Current],
            "{}",
            mine.target
        );
    }
    let valid = |schemas: &[&str]| -> Vec<(String, bool)> {
        schemas
            .iter()
            .map(|schema| (schema.to_string(), true))
            .collect()
    };
    assert_eq!(
        indexes(&main, "customers_by_name").await,
        valid(&["public", &schema(&s0)])
    );
    assert_eq!(
        indexes(&second, "customers_by_name").await,
        valid(&["public", &schema(&s1)])
    );
    assert_eq!(indexes(&own, "customers_by_name").await, valid(&["public"]));
    assert_eq!(
        recorded_targets(&main, index).await,
        ["public".to_owned(), schema(&s0)]
    );
    assert_eq!(recorded_targets(&own, index).await, ["public"]);

    // A re-run applies nothing; provisioning applies it too.
    let again = world
        .operator
        .migrate(&marked, MigrateOptions::default())
        .await
        .unwrap();
    assert!(
        again
            .targets
            .iter()
            .all(|line| line.outcome == Outcome::Current),
        "{again:#?}"
    );
    let late = world
        .operator
        .provision(
            &NewTenant::new(&world.slug("late"), PlacementKind::Schema),
            &marked.tenant,
        )
        .await
        .unwrap();
    assert!(
        indexes(&main, "customers_by_name")
            .await
            .contains(&(schema(&late), true))
    );

    // The marker is part of the checksum: removing it is an edit.
    let edited = world
        .operator
        .migrate(&unmarked, MigrateOptions::default())
        .await
        .unwrap();
    let changed = Outcome::Changed(AppliedMigration {
        version: index,
        name: "extra".to_owned(),
    });
    assert!(
        tenant_lines(&edited)
            .iter()
            .all(|line| line.outcome == changed),
        "{edited:#?}"
    );

    // One that fails (two customers of s0 share a name) records nothing,
    // and its report says it ran outside a transaction; what it did stays.
    let db = world.connect().await;
    let tenant = db.tenant(s0.id).await.unwrap();
    for _ in 0..2 {
        tenant
            .insert(NewCustomer::named("twin"))
            .exec()
            .await
            .unwrap();
    }
    let unique = Migration::new(index + 1, "unique_names", MARKED_UNIQUE_NAMES);
    let failing = extended(&[marked.tenant.migrations().last().unwrap().clone(), unique]);
    let report = world
        .operator
        .migrate(&failing, MigrateOptions::default())
        .await
        .unwrap();
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1, "{report:#?}");
    assert_eq!(failed[0].target.tenant, Some(s0.id));
    let Outcome::Failed {
        version,
        applied,
        error,
    } = &failed[0].outcome
    else {
        panic!("{report:#?}");
    };
    assert_eq!((*version, applied.as_slice()), (index + 1, &[][..]));
    assert!(
        error.contains("failed outside a transaction") && error.contains("customers_unique_name"),
        "{error}"
    );
    assert!(
        !recorded_targets(&main, index + 1)
            .await
            .contains(&schema(&s0))
    );
    assert!(
        indexes(&main, "customers_unique_name")
            .await
            .contains(&(schema(&s0), false)),
        "the invalid index a failed CREATE INDEX CONCURRENTLY leaves"
    );
    let registered = world.operator.tenants().await.unwrap();
    let failure = registered
        .iter()
        .find(|record| record.id == s0.id)
        .and_then(|record| record.migration_failure.clone())
        .unwrap();
    assert_eq!(failure.version, index + 1);
}
