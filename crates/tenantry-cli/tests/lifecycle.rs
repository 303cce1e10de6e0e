//! `tenantry tenants provision | show | set-tier | set-limits | suspend | resume | abandon |
//! erase | erasure-report`: a tenant's life from the command line, as text and JSON,
//! with the exit codes of the other commands.

mod support;

use support::Scratch;

fn with_customers() -> Scratch {
    let scratch = Scratch::new();
    scratch.migration(
        "tenant",
        "0001_create_customers.sql",
        "CREATE TABLE customers (tenant_id uuid NOT NULL, id uuid NOT NULL);
         SELECT tenantry.tenant_key('customers', 'id');
         SELECT tenantry.isolate_table('customers');",
    );
    scratch.migrate(&[]).expect_code(0);
    scratch
}

#[test]
fn a_tenant_is_provisioned_suspended_resumed_and_erased_from_the_command_line() {
    let scratch = with_customers();
    let directory = scratch.migrations().to_str().unwrap().to_owned();
    let provisioned = scratch
        .run(&[
            "tenants",
            "provision",
            "acme",
            "--placement",
            "schema",
            "--plan",
            "gold",
            "--migrations",
            &directory,
            "--json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(provisioned["slug"], "acme");
    assert_eq!(provisioned["schema"], "tenant_acme");
    assert_eq!(provisioned["status"], "active");
    let id = provisioned["id"].as_str().unwrap().to_owned();
    assert_eq!(provisioned["plan"], "gold");
    let tiered = scratch
        .run(&["tenants", "set-tier", "acme", "enterprise", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(tiered["plan"], "enterprise");
    let blank = scratch.run(&["tenants", "set-tier", "acme", " "]);
    blank.expect_code(1);
    assert!(
        blank.stderr.contains("may not be blank"),
        "{}",
        blank.stderr
    );
    let limited = scratch
        .run(&[
            "tenants",
            "set-limits",
            "acme",
            "--timeout",
            "30s",
            "--rate",
            "50",
            "--share",
            "0.5",
            "--no-batch",
            "--json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(
        limited["limits"],
        serde_json::json!({
            "statement_timeout_ms": 30000,
            "rate_per_second": 50,
            "rate_burst": 50,
            "connection_share": 0.5,
            "batch": false,
        })
    );
    let shown = scratch.run(&["tenants", "show", "acme"]);
    shown.expect_code(0);
    assert!(
        shown.stdout.contains(r#""statement_timeout_ms":30000"#),
        "{}",
        shown.stdout
    );
    for bad in [
        &["--timeout", "30"][..],
        &["--share", "2"],
        &["--burst", "5"],
    ] {
        let refused = scratch.run(&[&["tenants", "set-limits", "acme"][..], bad].concat());
        refused.expect_code(2);
    }
    let cleared = scratch
        .run(&["tenants", "set-limits", "acme", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(cleared["limits"], serde_json::json!({}));
    scratch.query(&format!(
        "INSERT INTO tenant_acme.customers SELECT '{id}', gen_random_uuid() FROM generate_series(1, 5)"
    ));

    let suspended = scratch
        .run(&[
            "tenants",
            "suspend",
            "acme",
            "--actor",
            "billing",
            "--reason",
            "unpaid",
            "--reference",
            "BILL-1",
            "--json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(suspended["status"], "suspended");
    assert_eq!(suspended["last_change"]["actor"], "billing");
    assert_eq!(suspended["last_change"]["reference"], "BILL-1");
    let shown = scratch
        .run(&["tenants", "show", &id])
        .expect_code(0)
        .stdout
        .clone();
    assert!(shown.contains("status       suspended"), "{shown}");
    assert!(shown.contains("suspended by billing at "), "{shown}");
    let resumed = scratch
        .run(&[
            "tenants", "resume", &id, "--actor", "billing", "--reason", "paid", "--json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(resumed["status"], "active");

    // Erase asks for confirmation, and without it erases nothing.
    let unconfirmed = scratch.run(&[
        "tenants", "erase", "acme", "--actor", "dpo", "--reason", "request",
    ]);
    unconfirmed.expect_code(2);
    assert!(
        unconfirmed.stderr.contains("--yes"),
        "{}",
        unconfirmed.stderr
    );
    assert!(
        scratch.check("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'tenant_acme')")
    );

    let erased = scratch
        .run(&[
            "tenants",
            "erase",
            "acme",
            "--actor",
            "dpo",
            "--reason",
            "request",
            "--reference",
            "REQ-9",
            "--yes",
            "--json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(erased["tenant"], id.as_str());
    assert_eq!(erased["intact"], true);
    assert_eq!(erased["reference"], "REQ-9");
    let checks = erased["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .any(|check| check["object"] == "schema tenant_acme"),
        "{erased:#}"
    );
    assert!(
        checks
            .iter()
            .any(|check| check["object"] == "public.customers"),
        "{erased:#}"
    );
    assert!(
        checks.iter().all(|check| check["remaining"] == 0),
        "{erased:#}"
    );
    assert!(
        !scratch.check("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'tenant_acme')")
    );

    let report = scratch
        .run(&["tenants", "erasure-report", &id, "--json"])
        .expect_code(0)
        .json();
    assert_eq!(report, erased);
    let text = scratch
        .run(&["tenants", "erasure-report", "acme"])
        .expect_code(0)
        .stdout
        .clone();
    let digest = erased["digest"].as_str().unwrap();
    assert!(
        text.contains(&format!("digest      {digest} (intact)")),
        "{text}"
    );
    assert!(text.contains("public.customers"), "{text}");
    // The tombstone refuses what follows, with exit 1.
    let again = scratch.run(&[
        "tenants",
        "provision",
        "acme",
        "--placement",
        "schema",
        "--migrations",
        &directory,
    ]);
    again.expect_code(1);
    assert!(again.stderr.contains("erased"), "{}", again.stderr);
    scratch
        .run(&[
            "tenants", "resume", "acme", "--actor", "x", "--reason", "undo",
        ])
        .expect_code(1);
}

#[test]
fn abandon_removes_a_dead_provisioning_and_refuses_anything_else() {
    let scratch = with_customers();
    let directory = scratch.migrations().to_str().unwrap().to_owned();
    scratch
        .run(&["tenants", "provision", "alive", "--migrations", &directory])
        .expect_code(0);
    scratch.query(
        "INSERT INTO tenantry_control.tenants (id, slug, placement, server, schema_name, status)
         VALUES (gen_random_uuid(), 'dead', 'schema', 'main', 'tenant_dead', 'provisioning')",
    );
    scratch.query("CREATE SCHEMA tenant_dead");
    let abandoned = scratch
        .run(&["tenants", "abandon", "dead", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(abandoned["slug"], "dead");
    assert!(
        !scratch.check("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'tenant_dead')")
    );
    assert!(
        !scratch.check("SELECT EXISTS (SELECT FROM tenantry_control.tenants WHERE slug = 'dead')")
    );

    let refused = scratch.run(&["tenants", "abandon", "alive"]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("not provisioning"),
        "{}",
        refused.stderr
    );
    assert!(
        scratch.check("SELECT EXISTS (SELECT FROM tenantry_control.tenants WHERE slug = 'alive')")
    );
    let unknown = scratch.run(&["tenants", "show", "nobody"]);
    unknown.expect_code(1);
    assert!(unknown.stderr.contains("nobody"), "{}", unknown.stderr);
    scratch
        .run(&["tenants", "erasure-report", "alive"])
        .expect_code(1);
}

#[test]
fn provisioning_and_erasure_show_progress_on_a_terminal_unless_the_output_is_json() {
    let scratch = with_customers();
    let directory = scratch.migrations().to_str().unwrap().to_owned();
    let provision = |slug: &'static str, json: bool| {
        let mut args = vec![
            "tenants",
            "provision",
            slug,
            "--placement",
            "schema",
            "--migrations",
            &directory,
        ];
        if json {
            args.push("--json");
        }
        args
    };
    let drawn = scratch.run_on_terminal(&provision("drawn", false));
    let screen = &drawn.expect_code(0).stdout;
    assert!(
        screen.contains("/5 steps"),
        "no bar on a terminal: {screen:?}"
    );
    assert!(screen.contains("tenant_drawn"), "{screen:?}");

    let json = scratch.run_on_terminal(&provision("as_json", true));
    let screen = &json.expect_code(0).stdout;
    assert!(
        !screen.contains("steps"),
        "a bar in JSON output: {screen:?}"
    );
    assert!(screen.contains("\"slug\": \"as_json\""), "{screen:?}");

    let piped = scratch.run(&provision("piped", false));
    assert_eq!(piped.expect_code(0).stderr, "", "a bar into a pipe");
    assert!(piped.stdout.contains("tenant_piped"), "{}", piped.stdout);

    let erase = |slug: &'static str, json: bool| {
        let mut args = vec![
            "tenants", "erase", slug, "--actor", "dpo", "--reason", "request", "--yes",
        ];
        if json {
            args.push("--json");
        }
        scratch.run_on_terminal(&args)
    };
    let screen = &erase("drawn", false).expect_code(0).stdout.clone();
    assert!(
        screen.contains("rows deleted"),
        "no count on a terminal: {screen:?}"
    );
    let screen = &erase("as_json", true).expect_code(0).stdout.clone();
    assert!(
        !screen.contains("rows deleted"),
        "a count in JSON output: {screen:?}"
    );
}
