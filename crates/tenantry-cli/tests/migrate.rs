//! `tenantry migrate` against a throwaway database: every set applied, then
//! nothing to do; dry runs that change nothing; a failing migration named
//! with its target and exit code 1, and so is an applied migration edited
//! afterwards, while a removed one is a warning; usage and connection errors
//! exit 2.

mod support;

use serde_json::{Value, json};
use support::{SECOND, Scratch};
use tenantry_postgres::MAIN_SERVER;

const PLANS: &str = "CREATE TABLE plans (id text PRIMARY KEY, seats integer NOT NULL);";
const CUSTOMERS: &str =
    "CREATE TABLE customers (tenant_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL);
SELECT tenantry.tenant_key('customers', 'id');
SELECT tenantry.isolate_table('customers');";
const INVOICES: &str =
    "CREATE TABLE invoices (tenant_id uuid NOT NULL, id uuid NOT NULL, amount bigint NOT NULL);
SELECT tenantry.tenant_key('invoices', 'id');
SELECT tenantry.isolate_table('invoices');";

/// A deployment with one shared and two tenant migrations written.
fn scratch() -> Scratch {
    let scratch = Scratch::new();
    write_migrations(&scratch);
    scratch
}

fn write_migrations(scratch: &Scratch) {
    scratch.migration("shared", "0001_create_plans.sql", PLANS);
    scratch.migration("tenant", "0001_create_customers.sql", CUSTOMERS);
    scratch.migration("tenant", "0002_create_invoices.sql", INVOICES);
}

fn counts(document: &Value) -> (u64, u64, u64, u64, u64) {
    let counts = &document["counts"];
    let get = |name: &str| {
        counts[name]
            .as_u64()
            .unwrap_or_else(|| panic!("counts.{name}: {document}"))
    };
    (
        get("targets"),
        get("current"),
        get("pending"),
        get("applied"),
        get("failed"),
    )
}

/// The target of `set` in `schema` on `server`.
fn target<'a>(document: &'a Value, set: &str, server: &str, schema: &str) -> &'a Value {
    document["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .find(|line| line["set"] == set && line["server"] == server && line["schema"] == schema)
        .unwrap_or_else(|| panic!("no {set} target {server}/{schema} in {document:#}"))
}

#[test]
fn migrate_applies_every_set_and_a_second_run_finds_everything_current() {
    let scratch = scratch();
    let first = scratch.migrate(&["--json"]);
    let document = first.expect_code(0).json();
    assert_eq!(counts(&document), (3, 0, 0, 3, 0), "{document:#}");
    assert_eq!(document["success"], true);
    assert_eq!(document["dry_run"], false);
    assert_eq!(
        target(&document, "control", MAIN_SERVER, "tenantry_control"),
        &json!({
            "set": "control", "server": "main", "database": null, "schema": "tenantry_control",
            "tenant": null, "outcome": "applied", "versions": [1, 2, 3, 4, 5, 6, 7],
            "failed_version": null, "error": null, "unknown": [], "schema_version": 7,
        })
    );
    assert_eq!(
        target(&document, "shared", MAIN_SERVER, "shared")["versions"],
        json!([1])
    );
    assert_eq!(
        target(&document, "tenant", MAIN_SERVER, "public")["versions"],
        json!([1, 2])
    );

    assert!(scratch.check("SELECT to_regclass('shared.plans') IS NOT NULL"));
    assert!(scratch.check("SELECT to_regclass('tenantry_control.tenants') IS NOT NULL"));
    assert!(scratch.check(
        "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'public.invoices'::regclass"
    ));
    let granted = format!(
        "SELECT has_table_privilege('{}', 'public.customers', 'INSERT')",
        scratch.app_role
    );
    assert!(
        scratch.check(&granted),
        "the application role was not granted"
    );

    let again = scratch.migrate(&["--json"]);
    let document = again.expect_code(0).json();
    assert_eq!(counts(&document), (3, 3, 0, 0, 0), "{document:#}");
    assert!(
        document["targets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|line| line["outcome"] == "current" && line["versions"] == json!([])),
        "{document:#}"
    );

    let text = scratch.migrate(&[]);
    text.expect_code(0);
    assert!(
        text.stdout
            .contains("3 targets: 0 applied, 0 pending, 3 current, 0 failed"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("tenantry_control"), "{}", text.stdout);
}

#[test]
fn a_dry_run_reports_what_is_pending_and_applies_nothing() {
    let scratch = scratch();
    let planned = scratch.migrate(&["--dry-run", "--json"]);
    let document = planned.expect_code(0).json();
    assert_eq!(document["dry_run"], true);
    assert_eq!(counts(&document), (3, 0, 3, 0, 0), "{document:#}");
    let tenant = target(&document, "tenant", MAIN_SERVER, "public");
    assert_eq!(tenant["outcome"], "pending");
    assert_eq!(tenant["versions"], json!([1, 2]));
    assert!(
        scratch.check(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_namespace
                 WHERE nspname IN ('tenantry', 'tenantry_control', 'shared'))
             AND to_regclass('public.customers') IS NULL"
        ),
        "a dry run changed the catalog"
    );

    scratch.migrate(&[]).expect_code(0);
    scratch.migration(
        "tenant",
        "0003_create_notes.sql",
        "CREATE TABLE notes (tenant_id uuid NOT NULL, body text);",
    );
    let planned = scratch.migrate(&["--dry-run", "--json"]);
    let document = planned.expect_code(0).json();
    assert_eq!(counts(&document), (3, 2, 1, 0, 0), "{document:#}");
    assert_eq!(
        target(&document, "tenant", MAIN_SERVER, "public")["versions"],
        json!([3])
    );
    assert!(scratch.check("SELECT to_regclass('public.notes') IS NULL"));
    assert!(
        scratch.check("SELECT max(version) = 2 FROM tenantry.migrations WHERE set_name = 'tenant'")
    );

    let text = scratch.migrate(&["--dry-run"]);
    text.expect_code(0);
    assert!(text.stdout.contains("pending 3"), "{}", text.stdout);
    assert!(text.stdout.contains("(dry run)"), "{}", text.stdout);
}

#[test]
fn a_failing_migration_exits_1_and_names_its_target() {
    let scratch = scratch();
    scratch.migrate(&[]).expect_code(0);
    let acme = scratch.provision_schema("acme", MAIN_SERVER);
    scratch.migration("tenant", "0003_broken.sql", "CREATE TABLE broken (;");

    let failed = scratch.migrate(&["--json"]);
    let document = failed.expect_code(1).json();
    assert_eq!(document["success"], false);
    // The pool's tables and acme's schema fail; the registry and shared schema are current.
    assert_eq!(counts(&document), (4, 2, 0, 0, 2), "{document:#}");
    let line = target(&document, "tenant", MAIN_SERVER, "tenant_acme");
    assert_eq!(line["outcome"], "failed");
    assert_eq!(line["failed_version"], 3);
    assert_eq!(line["tenant"], acme.id.to_string());
    assert!(
        line["error"]
            .as_str()
            .is_some_and(|error| !error.is_empty())
    );

    let text = scratch.migrate(&[]);
    text.expect_code(1);
    let failure = text
        .stdout
        .lines()
        .find(|line| line.contains("tenant_acme"))
        .unwrap_or_else(|| panic!("acme is not listed:\n{}", text.stdout));
    assert!(failure.contains("failed at 3"), "{failure}");
    assert!(failure.contains(&acme.id.to_string()), "{failure}");
    assert!(
        text.stderr.contains("schema tenant_acme on main"),
        "{}",
        text.stderr
    );
    assert!(text.stdout.contains("2 failed"), "{}", text.stdout);
    // Nothing of the failed migration stayed behind.
    assert!(scratch.check("SELECT to_regclass('tenant_acme.broken') IS NULL"));
}

#[test]
fn an_applied_migration_edited_afterwards_exits_1_and_a_removed_one_warns() {
    let scratch = scratch();
    scratch.migrate(&[]).expect_code(0);
    let acme = scratch.provision_schema("acme", MAIN_SERVER);
    scratch.migration(
        "tenant",
        "0002_create_invoices.sql",
        &format!("{INVOICES}\nCREATE INDEX ON invoices (amount);"),
    );
    scratch.migration(
        "tenant",
        "0003_add_note.sql",
        "ALTER TABLE customers ADD note text;",
    );

    let document = scratch.migrate(&["--json"]).expect_code(1).json();
    assert_eq!(document["success"], false);
    assert_eq!(document["counts"]["changed"], 2, "{document:#}");
    let line = target(&document, "tenant", MAIN_SERVER, "tenant_acme");
    assert_eq!(line["outcome"], "changed");
    assert_eq!(line["failed_version"], 2);
    assert_eq!(line["tenant"], acme.id.to_string());
    assert_eq!(
        line["error"],
        "migration 2 (create_invoices) changed after it was applied"
    );
    let text = scratch.migrate(&[]);
    text.expect_code(1);
    assert!(
        text.stderr.contains(
            "error: tenant set in schema tenant_acme on main: migration 2 (create_invoices) changed after it was applied"
        ),
        "{}",
        text.stderr
    );
    assert!(text.stdout.contains("2 changed"), "{}", text.stdout);
    // Nothing was applied where a migration changed.
    assert!(scratch.check(
        "SELECT NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE column_name = 'note')"
    ));

    // The file restored and another removed: a warning, and exit 0.
    scratch.migration("tenant", "0002_create_invoices.sql", INVOICES);
    scratch.migrate(&[]).expect_code(0);
    std::fs::remove_file(scratch.migrations().join("tenant/0003_add_note.sql")).unwrap();
    let document = scratch.migrate(&["--json"]).expect_code(0).json();
    assert_eq!(document["counts"]["unknown"], 2, "{document:#}");
    assert_eq!(
        target(&document, "tenant", MAIN_SERVER, "tenant_acme")["unknown"],
        json!([{"version": 3, "name": "add_note"}])
    );
    let text = scratch.migrate(&[]);
    text.expect_code(0);
    assert!(
        text.stderr.contains(
            "warning: tenant set in schema tenant_acme on main: applied migrations not in this set: 3 (add_note)"
        ),
        "{}",
        text.stderr
    );
}

#[test]
fn a_large_run_counts_its_current_targets() {
    let scratch = scratch();
    scratch.migrate(&[]).expect_code(0);
    for n in 0..20 {
        scratch.provision_schema(&format!("tenant{n}"), MAIN_SERVER);
    }
    let run = scratch.migrate(&[]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("23 current targets not listed."),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("tenant_tenant7"), "{}", run.stdout);

    scratch.migration(
        "tenant",
        "0003_add_note.sql",
        "ALTER TABLE customers ADD note text;",
    );
    let run = scratch.migrate(&[]);
    run.expect_code(0);
    assert!(run.stdout.contains("tenant_tenant7"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("23 targets: 21 applied, 0 pending, 2 current, 0 failed"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_second_server_gets_its_pool_tables_and_tenants_migrated() {
    let scratch = scratch().with_second_server();
    let document = scratch.migrate(&["--json"]).expect_code(0).json();
    assert_eq!(counts(&document), (4, 0, 0, 4, 0), "{document:#}");
    assert_eq!(
        target(&document, "tenant", SECOND, "public")["versions"],
        json!([1, 2])
    );
    let remote: bool =
        scratch.query_second("SELECT to_regclass('public.invoices') IS NOT NULL")[0].get(0);
    assert!(remote);

    let globex = scratch.provision_schema("globex", SECOND);
    scratch.migration(
        "tenant",
        "0003_add_note.sql",
        "ALTER TABLE customers ADD note text;",
    );
    let document = scratch
        .migrate(&["--json", "--concurrency", "1"])
        .expect_code(0)
        .json();
    assert_eq!(counts(&document), (5, 2, 0, 3, 0), "{document:#}");
    let line = target(&document, "tenant", SECOND, "tenant_globex");
    assert_eq!(line["versions"], json!([3]));
    assert_eq!(line["tenant"], globex.id.to_string());
    let column: bool = scratch.query_second(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_schema = 'tenant_globex' AND table_name = 'customers' AND column_name = 'note')",
    )[0]
        .get(0);
    assert!(column);
}

#[test]
fn usage_and_connection_errors_exit_2() {
    let missing_url = Scratch::run_bare(&["migrate"]);
    missing_url.expect_code(2);
    assert!(
        missing_url.stderr.contains("DATABASE_URL"),
        "{}",
        missing_url.stderr
    );

    let bad_flag = Scratch::run_bare(&["migrate", "--server", "eu-1"]);
    bad_flag.expect_code(2);
    assert!(bad_flag.stderr.contains("NAME=URL"), "{}", bad_flag.stderr);

    let scratch = scratch();
    let missing_directory = scratch.run(&["migrate", "--migrations", "no/such/directory"]);
    missing_directory.expect_code(2);
    assert!(
        missing_directory
            .stderr
            .contains("no/such/directory/shared"),
        "{}",
        missing_directory.stderr
    );

    scratch.migration("tenant", "create_things.sql", "SELECT 1");
    let malformed = scratch.migrate(&[]);
    malformed.expect_code(2);
    assert!(
        malformed.stderr.contains("create_things.sql"),
        "{}",
        malformed.stderr
    );
    std::fs::remove_file(scratch.migrations().join("tenant/create_things.sql")).unwrap();

    let directory = scratch.migrations().to_str().unwrap().to_owned();
    let unreachable = Scratch::run_bare(&[
        "--database-url",
        "postgres://postgres@127.0.0.1:1/nothing",
        "migrate",
        "--migrations",
        &directory,
    ]);
    unreachable.expect_code(2);
    assert!(
        unreachable.stderr.contains("cannot connect to server main"),
        "{}",
        unreachable.stderr
    );
    // Nothing ran against the real database meanwhile.
    assert!(scratch.check("SELECT to_regclass('tenantry.migrations') IS NULL"));
}
