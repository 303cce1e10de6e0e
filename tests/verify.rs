//! The catalog audit on a real PostgreSQL: the schema the test migrations
//! make passes, each isolation defect, on a table of its own, is reported
//! exactly once, by name; and the operator audits every database of a
//! deployment on two servers (schema tenants, the template, tenant databases).

mod support;

use support::database::TestDatabase;
use support::placements::{SECOND, World};
use tenantry::ops::PlacementKind;
use tenantry::ops::verify::{
    DatabaseKind, Finding, PolicyCommand, TablePrivilege, VerifyOptions, verify,
};
use tenantry::{MAIN_SERVER, Placement, TenantId, Tenantry};

fn options_for(role: &str) -> VerifyOptions {
    VerifyOptions {
        app_roles: vec![role.to_owned()],
        ..VerifyOptions::default()
    }
}

/// What the audit finds in `database`, for its application role.
async fn findings_in(database: &TestDatabase) -> Vec<Finding> {
    verify(&database.admin().await, &options_for(&database.app_role))
        .await
        .unwrap()
}

#[tokio::test]
async fn the_migrated_test_schema_has_no_findings() {
    let database = TestDatabase::create().await;
    let options = options_for(&database.app_role);

    let admin = database.admin().await;
    let findings = verify(&admin, &options).await.unwrap();
    assert_eq!(findings, [], "{findings:#?}");

    // Any role can read what the audit reads, the application's included.
    let app = database.app_client().await;
    let findings = verify(&app, &options).await.unwrap();
    assert_eq!(findings, [], "{findings:#?}");
}

/// One defect per table or view; `customers`, `per_command` and
/// `invoker_rights_view` are sound, and `plans` (so `plans_view`) is not
/// tenant-scoped.
const DEFECTS: &str = "
CREATE TABLE customers (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    parent_id uuid,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES customers (tenant_id, id)
);
CREATE TABLE plans (id text PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE rls_disabled (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE rls_not_forced (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE TABLE no_with_check (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));
ALTER TABLE no_with_check ENABLE ROW LEVEL SECURITY;
ALTER TABLE no_with_check FORCE ROW LEVEL SECURITY;
CREATE POLICY read_own ON no_with_check
    USING (tenant_id = NULLIF(current_setting('tenantry.tenant_id', true), '')::uuid);
CREATE TABLE policy_for_other_role (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));
ALTER TABLE policy_for_other_role ENABLE ROW LEVEL SECURITY;
ALTER TABLE policy_for_other_role FORCE ROW LEVEL SECURITY;
CREATE POLICY monitor_only ON policy_for_other_role TO pg_monitor
    USING (tenant_id = NULLIF(current_setting('tenantry.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('tenantry.tenant_id', true), '')::uuid);
CREATE TABLE per_command (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));
ALTER TABLE per_command ENABLE ROW LEVEL SECURITY;
ALTER TABLE per_command FORCE ROW LEVEL SECURITY;
CREATE POLICY reads ON per_command FOR SELECT
    USING (tenant_id = NULLIF(current_setting('tenantry.tenant_id', true), '')::uuid);
CREATE POLICY inserts ON per_command FOR INSERT
    WITH CHECK (tenant_id = NULLIF(current_setting('tenantry.tenant_id', true), '')::uuid);
CREATE POLICY updates ON per_command FOR UPDATE
    USING (tenant_id = NULLIF(current_setting('tenantry.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('tenantry.tenant_id', true), '')::uuid);
CREATE POLICY deletes ON per_command FOR DELETE
    USING (tenant_id = NULLIF(current_setting('tenantry.tenant_id', true), '')::uuid);
CREATE TABLE no_tenant_index (tenant_id uuid NOT NULL, body text NOT NULL);
CREATE INDEX no_tenant_index_body ON no_tenant_index (body, tenant_id);
CREATE INDEX no_tenant_index_partial ON no_tenant_index (tenant_id) WHERE body <> '';
CREATE TABLE fk_without_tenant (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    customer_tenant uuid NOT NULL,
    customer_id uuid NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_customer FOREIGN KEY (customer_tenant, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE TABLE unique_email (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    email text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT unique_email_email_key UNIQUE (email)
);
CREATE TABLE unique_index (tenant_id uuid NOT NULL, id uuid NOT NULL, code text NOT NULL, PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX unique_index_code ON unique_index (code) INCLUDE (tenant_id);
CREATE TABLE pk_without_tenant (id uuid PRIMARY KEY, tenant_id uuid NOT NULL);
CREATE INDEX pk_without_tenant_tenant ON pk_without_tenant (tenant_id);
CREATE VIEW owner_rights_view AS SELECT id FROM customers;
CREATE VIEW invoker_rights_view WITH (security_invoker = true) AS SELECT id FROM customers;
CREATE MATERIALIZED VIEW stored_view AS SELECT id FROM customers;
CREATE VIEW plans_view AS SELECT name FROM plans;
";

fn table(name: &str) -> (String, String) {
    ("public".to_owned(), name.to_owned())
}

/// Puts the write fence on `tables`, whose policies the test writes by hand:
/// the one defect each of them stands for is then the only one.
async fn fence(database: &TestDatabase, tables: &[&str]) {
    let sql: String = tables
        .iter()
        .map(|table| {
            format!(
                "CREATE TRIGGER tenantry_fence BEFORE INSERT OR UPDATE OR DELETE ON public.{table}
                     FOR EACH STATEMENT EXECUTE FUNCTION tenantry.fence();"
            )
        })
        .collect();
    database.admin().await.batch_execute(&sql).await.unwrap();
}

/// The findings of `schema.table` under row-level security with no
/// permissive policy that applies.
fn no_policy(schema: &str, table: &str) -> [Finding; 2] {
    [
        Finding::MissingUsing {
            schema: schema.to_owned(),
            table: table.to_owned(),
            commands: vec![
                PolicyCommand::Select,
                PolicyCommand::Update,
                PolicyCommand::Delete,
            ],
        },
        Finding::MissingWithCheck {
            schema: schema.to_owned(),
            table: table.to_owned(),
            commands: vec![PolicyCommand::Insert, PolicyCommand::Update],
        },
    ]
}

#[tokio::test]
async fn each_defect_is_reported_by_name() {
    let database = TestDatabase::create_with(
        DEFECTS,
        &[
            "customers",
            "rls_disabled",
            "rls_not_forced",
            "no_tenant_index",
            "fk_without_tenant",
            "unique_email",
            "unique_index",
            "pk_without_tenant",
        ],
    )
    .await;
    fence(
        &database,
        &["no_with_check", "policy_for_other_role", "per_command"],
    )
    .await;
    let admin = database.admin().await;
    admin
        .batch_execute(
            "ALTER TABLE rls_disabled DISABLE ROW LEVEL SECURITY;
             ALTER TABLE rls_not_forced NO FORCE ROW LEVEL SECURITY;",
        )
        .await
        .unwrap();

    let superuser = format!("tenantry_test_super_{}", database.suffix);
    let bypass = format!("tenantry_test_bypass_{}", database.suffix);
    let missing = format!("tenantry_test_missing_{}", database.suffix);
    admin
        .batch_execute(&format!(
            "CREATE ROLE {superuser} SUPERUSER; CREATE ROLE {bypass} BYPASSRLS;"
        ))
        .await
        .unwrap();
    let options = VerifyOptions {
        app_roles: vec![
            database.app_role.clone(),
            superuser.clone(),
            bypass.clone(),
            missing.clone(),
        ],
        ..VerifyOptions::default()
    };
    let findings = verify(&admin, &options).await;
    admin
        .batch_execute(&format!("DROP ROLE {superuser}; DROP ROLE {bypass};"))
        .await
        .unwrap();
    let findings = findings.unwrap();

    let tenant_column = || "tenant_id".to_owned();
    let unique = |name: &str, constraint: &str| {
        let (schema, table) = table(name);
        Finding::UniqueWithoutTenant {
            schema,
            table,
            constraint: constraint.to_owned(),
            tenant_column: tenant_column(),
        }
    };
    let expected = vec![
        {
            let (schema, table) = table("fk_without_tenant");
            Finding::ForeignKeyWithoutTenant {
                schema,
                table,
                constraint: "fk_customer".to_owned(),
                referenced_schema: "public".to_owned(),
                referenced_table: "customers".to_owned(),
                tenant_column: tenant_column(),
            }
        },
        {
            let (schema, table) = table("no_tenant_index");
            Finding::NoTenantIndex {
                schema,
                table,
                tenant_column: tenant_column(),
            }
        },
        {
            let (schema, table) = table("no_with_check");
            Finding::MissingWithCheck {
                schema,
                table,
                commands: vec![PolicyCommand::Insert, PolicyCommand::Update],
            }
        },
        Finding::ViewBypassesRowSecurity {
            schema: "public".to_owned(),
            view: "owner_rights_view".to_owned(),
            materialized: false,
        },
        unique("pk_without_tenant", "pk_without_tenant_pkey"),
        {
            let (schema, table) = table("policy_for_other_role");
            Finding::MissingUsing {
                schema,
                table,
                commands: vec![
                    PolicyCommand::Select,
                    PolicyCommand::Update,
                    PolicyCommand::Delete,
                ],
            }
        },
        {
            let (schema, table) = table("policy_for_other_role");
            Finding::MissingWithCheck {
                schema,
                table,
                commands: vec![PolicyCommand::Insert, PolicyCommand::Update],
            }
        },
        {
            let (schema, table) = table("rls_disabled");
            Finding::RowSecurityDisabled { schema, table }
        },
        {
            let (schema, table) = table("rls_not_forced");
            Finding::RowSecurityNotForced { schema, table }
        },
        Finding::ViewBypassesRowSecurity {
            schema: "public".to_owned(),
            view: "stored_view".to_owned(),
            materialized: true,
        },
        unique("unique_email", "unique_email_email_key"),
        unique("unique_index", "unique_index_code"),
        Finding::BypassRlsRole { role: bypass },
        Finding::RoleMissing { role: missing },
        Finding::SuperuserRole { role: superuser },
    ];
    assert_eq!(findings, expected, "{findings:#?}");
    for finding in &findings {
        let message = finding.to_string();
        assert!(!message.contains('\n'), "{message}");
    }
    assert_eq!(
        findings[7].to_string(),
        "public.rls_disabled is tenant-scoped but row-level security is not enabled, so every tenant sees every row: run `ALTER TABLE public.rls_disabled ENABLE ROW LEVEL SECURITY` (tenantry's isolate_table enables, forces and adds the policy)"
    );

    // Fixing a defect clears its finding, and only its finding.
    admin
        .batch_execute("ALTER TABLE unique_email DROP CONSTRAINT unique_email_email_key")
        .await
        .unwrap();
    let options = options_for(&database.app_role);
    let remaining = verify(&admin, &options).await.unwrap();
    let expected_now: Vec<Finding> = expected
        .into_iter()
        .filter(|finding| {
            !matches!(
                finding,
                Finding::UniqueWithoutTenant { table, .. } if table == "unique_email"
            ) && !matches!(
                finding,
                Finding::RoleMissing { .. }
                    | Finding::SuperuserRole { .. }
                    | Finding::BypassRlsRole { .. }
            )
        })
        .collect();
    assert_eq!(remaining, expected_now, "{remaining:#?}");
}

#[tokio::test]
async fn only_the_given_schemas_and_tenant_column_are_audited() {
    let database = TestDatabase::create_with(
        "CREATE SCHEMA app;
         CREATE TABLE app.accounts (org_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (org_id, id));
         CREATE TABLE app.scoped_by_tenant_id (tenant_id uuid NOT NULL, id uuid PRIMARY KEY);
         CREATE TABLE public.notes (org_id uuid NOT NULL, body text UNIQUE);",
        &[],
    )
    .await;
    let admin = database.admin().await;
    let options = VerifyOptions {
        schemas: vec!["app".to_owned()],
        tenant_column: "org_id".to_owned(),
        app_roles: vec![database.app_role.clone()],
    };
    let (schema, table) = ("app".to_owned(), "accounts".to_owned());
    assert_eq!(
        verify(&admin, &options).await.unwrap(),
        [
            [
                Finding::RowSecurityDisabled {
                    schema: schema.clone(),
                    table: table.clone(),
                },
                Finding::RowSecurityNotForced {
                    schema: schema.clone(),
                    table: table.clone(),
                },
            ],
            no_policy(&schema, &table),
        ]
        .concat()
    );

    tenantry::ops::rls::isolate_table_on(&admin, Some("app"), "accounts", "org_id")
        .await
        .unwrap();
    assert_eq!(verify(&admin, &options).await.unwrap(), []);
}

#[tokio::test]
async fn an_exclusion_constraint_without_tenant_equality_is_reported() {
    // `rooms_per_tenant` compares the tenant column with `=` and is sound;
    // `rooms_any_tenant` leaves it out and `rooms_other_tenant` compares it
    // with `<>`: each spans tenants.
    let database = TestDatabase::create_with(
        "CREATE EXTENSION btree_gist;
         CREATE TABLE bookings (
             tenant_id uuid NOT NULL, id uuid NOT NULL, during tstzrange NOT NULL,
             PRIMARY KEY (tenant_id, id),
             CONSTRAINT rooms_per_tenant EXCLUDE USING gist (tenant_id WITH =, during WITH &&),
             CONSTRAINT rooms_any_tenant EXCLUDE USING gist (during WITH &&)
         );
         CREATE TABLE shifts (
             tenant_id uuid NOT NULL, id uuid NOT NULL, during tstzrange NOT NULL,
             PRIMARY KEY (tenant_id, id),
             CONSTRAINT rooms_other_tenant EXCLUDE USING gist (tenant_id WITH <>, during WITH &&)
         );",
        &["bookings", "shifts"],
    )
    .await;
    let exclusion = |table: &str, constraint: &str| Finding::ExclusionWithoutTenant {
        schema: "public".to_owned(),
        table: table.to_owned(),
        constraint: constraint.to_owned(),
        tenant_column: "tenant_id".to_owned(),
    };
    let findings = findings_in(&database).await;
    assert_eq!(
        findings,
        [
            exclusion("bookings", "rooms_any_tenant"),
            exclusion("shifts", "rooms_other_tenant"),
        ],
        "{findings:#?}"
    );
    assert_eq!(
        findings[0].to_string(),
        "exclusion constraint rooms_any_tenant of public.bookings does not compare tenant_id with =, so a write that conflicts with another tenant's row reveals that row: add `tenant_id WITH =` to it (a GiST index needs the btree_gist extension for it)"
    );
}

#[tokio::test]
async fn privileges_that_row_level_security_does_not_restrict_are_reported() {
    let table = |name: &str| {
        format!(
            "CREATE TABLE {name} (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));"
        )
    };
    let database = TestDatabase::create_with(
        &[
            "granted_all",
            "truncate_to_public",
            "trigger_to_group",
            "references_on_a_column",
            "sound",
        ]
        .map(table)
        .concat(),
        &[
            "granted_all",
            "truncate_to_public",
            "trigger_to_group",
            "references_on_a_column",
            "sound",
        ],
    )
    .await;
    let admin = database.admin().await;
    let app = &database.app_role;
    let group = format!("tenantry_test_group_{}", database.suffix);
    admin
        .batch_execute(&format!(
            "GRANT ALL ON granted_all TO {app};
             GRANT TRUNCATE ON truncate_to_public TO PUBLIC;
             CREATE ROLE {group} NOLOGIN;
             GRANT TRIGGER ON trigger_to_group TO {group};
             GRANT {group} TO {app};
             GRANT REFERENCES (id) ON references_on_a_column TO {app};"
        ))
        .await
        .unwrap();

    // What the finding is about: one tenant's TRUNCATE empties every tenant's rows.
    admin
        .batch_execute(
            "INSERT INTO granted_all VALUES (gen_random_uuid(), gen_random_uuid()), (gen_random_uuid(), gen_random_uuid())",
        )
        .await
        .unwrap();
    let client = database.app_client().await;
    client
        .batch_execute(
            "BEGIN;
             SET LOCAL tenantry.tenant_id = '00000000-0000-0000-0000-000000000001';
             TRUNCATE granted_all;
             COMMIT;",
        )
        .await
        .unwrap();
    let left: i64 = admin
        .query_one("SELECT count(*) FROM granted_all", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);

    let findings = verify(&admin, &options_for(app)).await;
    admin
        .batch_execute(&format!("DROP OWNED BY {group}; DROP ROLE {group};"))
        .await
        .unwrap();
    let privilege = |name: &str, privileges: &[TablePrivilege]| Finding::BypassingPrivilege {
        schema: "public".to_owned(),
        table: name.to_owned(),
        role: app.clone(),
        privileges: privileges.to_vec(),
    };
    use TablePrivilege::{References, Trigger, Truncate};
    let findings = findings.unwrap();
    assert_eq!(
        findings,
        [
            privilege("granted_all", &[Truncate, References, Trigger]),
            privilege("references_on_a_column", &[References]),
            privilege("trigger_to_group", &[Trigger]),
            privilege("truncate_to_public", &[Truncate]),
        ],
        "{findings:#?}"
    );
    assert!(
        findings[0].to_string().starts_with(&format!(
            "application role {app} holds TRUNCATE, REFERENCES and TRIGGER on tenant-scoped public.granted_all"
        )),
        "{}",
        findings[0]
    );

    // With no application role named, what PUBLIC holds is reported.
    let findings = verify(&admin, &VerifyOptions::default()).await.unwrap();
    let public: Vec<_> = findings
        .iter()
        .filter(|finding| matches!(finding, Finding::BypassingPrivilege { .. }))
        .collect();
    assert_eq!(
        public,
        [&Finding::BypassingPrivilege {
            schema: "public".to_owned(),
            table: "truncate_to_public".to_owned(),
            role: "public".to_owned(),
            privileges: vec![Truncate],
        }]
    );
    assert!(
        public[0]
            .to_string()
            .starts_with("application role PUBLIC holds TRUNCATE")
    );
}

#[tokio::test]
async fn security_definer_functions_the_application_can_call_are_reported() {
    let database = TestDatabase::create_with(
        "CREATE TABLE customers (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));",
        &["customers"],
    )
    .await;
    let admin = database.admin().await;
    let app = &database.app_role;
    let [bypass, owner, plain] = ["bypass", "owner", "plain"]
        .map(|role| format!("tenantry_test_{role}_{}", database.suffix));
    // Flagged: owned by the superuser and executable through PUBLIC
    // (`every_customer`) or granted (`granted_to_app`); owned by a BYPASSRLS
    // role (`bypass_owned`); owned by the owner of a scoped table
    // (`table_owner_owned`). Not flagged: revoked from PUBLIC, in a schema
    // the application cannot use (like tenantry's own helpers), owned by a
    // role that does not bypass row-level security, or SECURITY INVOKER.
    let definer = |name: &str| {
        format!(
            "CREATE FUNCTION {name}() RETURNS bigint LANGUAGE sql SECURITY DEFINER
                 SET search_path = pg_catalog, pg_temp
                 AS 'SELECT count(*) FROM public.customers';"
        )
    };
    admin
        .batch_execute(&format!(
            "CREATE ROLE {bypass} NOLOGIN BYPASSRLS;
             CREATE ROLE {owner} NOLOGIN;
             CREATE ROLE {plain} NOLOGIN;
             GRANT SELECT ON customers TO {bypass}, {plain};
             {every_customer}
             {granted_to_app}
             REVOKE EXECUTE ON FUNCTION granted_to_app() FROM PUBLIC;
             GRANT EXECUTE ON FUNCTION granted_to_app() TO {app};
             {bypass_owned}
             ALTER FUNCTION bypass_owned() OWNER TO {bypass};
             CREATE TABLE owned_by_role (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));
             ALTER TABLE owned_by_role OWNER TO {owner};
             {table_owner_owned}
             ALTER FUNCTION table_owner_owned() OWNER TO {owner};
             {revoked}
             REVOKE EXECUTE ON FUNCTION revoked() FROM PUBLIC;
             CREATE SCHEMA hidden;
             {hidden}
             {plain_owned}
             ALTER FUNCTION plain_owned() OWNER TO {plain};
             CREATE FUNCTION invoker() RETURNS bigint LANGUAGE sql
                 AS 'SELECT count(*) FROM public.customers';
             INSERT INTO customers VALUES (gen_random_uuid(), gen_random_uuid()), (gen_random_uuid(), gen_random_uuid());
             -- As in a database whose functions PUBLIC may execute by default.
             GRANT EXECUTE ON FUNCTION every_customer(), bypass_owned(), table_owner_owned(),
                 hidden.helper(), plain_owned(), invoker() TO PUBLIC;",
            every_customer = definer("every_customer"),
            granted_to_app = definer("granted_to_app"),
            bypass_owned = definer("bypass_owned"),
            table_owner_owned = definer("table_owner_owned"),
            revoked = definer("revoked"),
            hidden = definer("hidden.helper"),
            plain_owned = definer("plain_owned"),
        ))
        .await
        .unwrap();
    tenantry::ops::rls::isolate_table(&admin, None, "owned_by_role")
        .await
        .unwrap();

    // What the finding is about: in one tenant's context, every tenant's rows.
    let client = database.app_client().await;
    let rows = client
        .query_one(
            "SELECT set_config('tenantry.tenant_id', gen_random_uuid()::text, false), every_customer()",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.get::<_, i64>(1), 2);

    let findings = verify(&admin, &options_for(app)).await;
    admin
        .batch_execute(&format!(
            "DROP OWNED BY {bypass}, {owner}, {plain}; DROP ROLE {bypass}, {owner}, {plain};"
        ))
        .await
        .unwrap();
    let function = |name: &str, owner: &str| Finding::DefinerFunction {
        schema: "public".to_owned(),
        function: name.to_owned(),
        arguments: String::new(),
        owner: owner.to_owned(),
        roles: vec![app.clone()],
    };
    let findings = findings.unwrap();
    assert_eq!(
        findings,
        [
            function("bypass_owned", &bypass),
            function("every_customer", "postgres"),
            function("granted_to_app", "postgres"),
            function("table_owner_owned", &owner),
        ],
        "{findings:#?}"
    );
    assert_eq!(
        findings[1].to_string(),
        format!(
            "function public.every_customer() is SECURITY DEFINER, owned by postgres, who bypasses row-level security (a superuser, BYPASSRLS or the owner of tenant-scoped tables), and {app} may execute it, so it reads and writes every tenant's rows: run `REVOKE EXECUTE ON FUNCTION public.every_customer() FROM PUBLIC, {app}` or `ALTER FUNCTION public.every_customer() SECURITY INVOKER`"
        )
    );
}

#[tokio::test]
async fn a_trigger_function_naming_tables_without_a_schema_or_search_path_is_reported() {
    let table = |name: &str| {
        format!(
            "CREATE TABLE {name} (tenant_id uuid NOT NULL, id uuid NOT NULL, touched_at timestamptz,
                 PRIMARY KEY (tenant_id, id));"
        )
    };
    let trigger = |table: &str, function: &str| {
        format!(
            "CREATE TRIGGER {function} BEFORE INSERT ON {table}
                 FOR EACH ROW EXECUTE FUNCTION {function}();"
        )
    };
    let scoped = ["unqualified", "pinned", "qualified", "touched"];
    // Only `audit_unqualified` names a table (`audit_log`) without a schema
    // and leaves search_path to its caller.
    let database = TestDatabase::create_with(
        &format!(
            "{tables}
             CREATE TABLE audit_log (id uuid);
             CREATE FUNCTION audit_unqualified() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN INSERT INTO audit_log VALUES (NEW.id); RETURN NEW; END $$;
             CREATE FUNCTION audit_pinned() RETURNS trigger LANGUAGE plpgsql
                 SET search_path FROM CURRENT AS $$
                 BEGIN INSERT INTO audit_log VALUES (NEW.id); RETURN NEW; END $$;
             CREATE FUNCTION audit_qualified() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN INSERT INTO public.audit_log VALUES (NEW.id); RETURN NEW; END $$;
             CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN NEW.touched_at := now(); RETURN NEW; END $$;
             {triggers}",
            tables = scoped.map(table).concat(),
            triggers = [
                trigger("unqualified", "audit_unqualified"),
                trigger("pinned", "audit_pinned"),
                trigger("qualified", "audit_qualified"),
                trigger("touched", "touch"),
            ]
            .concat(),
        ),
        &scoped,
    )
    .await;
    let findings = findings_in(&database).await;
    assert_eq!(
        findings,
        [Finding::UnpinnedTriggerFunction {
            schema: "public".to_owned(),
            table: "unqualified".to_owned(),
            trigger: "audit_unqualified".to_owned(),
            function_schema: "public".to_owned(),
            function: "audit_unqualified".to_owned(),
            relation: "audit_log".to_owned(),
        }],
        "{findings:#?}"
    );
    assert!(
        findings[0].to_string().starts_with(
            "trigger audit_unqualified of public.unqualified runs public.audit_unqualified, which names audit_log without a schema and sets no search_path of its own"
        ),
        "{}",
        findings[0]
    );
}

#[tokio::test]
async fn the_application_resolves_one_tenant_and_a_readable_registry_is_reported() {
    let database = TestDatabase::create().await;
    let admin = database.admin().await;
    let (acme, globex) = (TenantId::random(), TenantId::random());
    for (id, slug) in [(acme, "acme"), (globex, "globex")] {
        admin
            .execute(
                "INSERT INTO tenantry_control.tenants (id, slug, placement, server, status)
                 VALUES ($1, $2, 'pool', 'main', 'active')",
                &[&id.as_uuid(), &slug],
            )
            .await
            .unwrap();
    }

    // The application cannot list the tenants; it can look one up by id,
    // and so can the library's routing.
    let app = database.app_client().await;
    let listed = app
        .query("SELECT slug FROM tenantry_control.tenants", &[])
        .await
        .expect_err("the registry's table is not readable");
    assert_eq!(
        listed.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
    let found = app
        .query(
            "SELECT slug FROM tenantry_control.tenant_by_id($1)",
            &[&acme.as_uuid()],
        )
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|row| row.get(0)).collect::<Vec<String>>(),
        ["acme"]
    );
    let db = Tenantry::connect(database.app_config().registry())
        .await
        .unwrap();
    db.tenant(globex).await.unwrap();

    let options = options_for(&database.app_role);
    assert_eq!(verify(&admin, &options).await.unwrap(), []);
    admin
        .batch_execute(&format!(
            "GRANT SELECT ON tenantry_control.tenants TO {}",
            database.app_role
        ))
        .await
        .unwrap();
    let findings = verify(&admin, &options).await.unwrap();
    assert_eq!(
        findings,
        [Finding::RegistryAccessible {
            schema: "tenantry_control".to_owned(),
            table: "tenants".to_owned(),
            role: database.app_role.clone(),
            privileges: vec![TablePrivilege::Select],
        }],
        "{findings:#?}"
    );
    assert!(
        findings[0].to_string().starts_with(&format!(
            "application role {} holds SELECT on the tenant registry's tenantry_control.tenants",
            database.app_role
        )),
        "{}",
        findings[0]
    );
}

/// A tenant-scoped table without row-level security: one finding, by name.
fn unprotected(table: &str) -> String {
    format!(
        "CREATE TABLE {table} (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id))"
    )
}

#[tokio::test]
async fn the_operator_verifies_every_database_of_every_server() {
    let world = World::create().await;
    let schema_tenant = world
        .provision("verified_schema", PlacementKind::Schema, MAIN_SERVER)
        .await;
    let database_tenant = world
        .provision("verified_db", PlacementKind::Database, SECOND)
        .await;
    let Placement::Schema(schema) = &schema_tenant.placement else {
        panic!("not a schema tenant")
    };
    let Placement::Database(tenant_database) = &database_tenant.placement else {
        panic!("not a database tenant")
    };
    let template = format!("{}_template", world.main.name);
    let options = VerifyOptions::default();

    let report = world.operator.verify(&options).await.unwrap();
    let audited: Vec<(&str, &str, DatabaseKind)> = report
        .databases
        .iter()
        .map(|database| {
            (
                database.server.as_str(),
                database.database.as_str(),
                database.kind,
            )
        })
        .collect();
    assert_eq!(
        audited,
        [
            (MAIN_SERVER, world.main.name.as_str(), DatabaseKind::Server),
            (SECOND, world.second.name.as_str(), DatabaseKind::Server),
            (SECOND, template.as_str(), DatabaseKind::Template),
            (
                SECOND,
                tenant_database.as_str(),
                DatabaseKind::Tenant(database_tenant.id)
            ),
        ]
    );
    assert!(report.is_clean(), "{report:#?}");

    // One defect in each: the schema tenant's, only in the template (so in
    // every tenant database copied from it later), only in the tenant's
    // database. The template is written to under no lock: nothing copies
    // it meanwhile.
    world
        .admin(MAIN_SERVER, None)
        .await
        .batch_execute(&unprotected(&format!("{schema}.in_schema")))
        .await
        .unwrap();
    for (database, table) in [
        (template.as_str(), "in_template"),
        (tenant_database.as_str(), "in_tenant_database"),
    ] {
        let admin = world.admin(SECOND, Some(database)).await;
        admin.batch_execute(&unprotected(table)).await.unwrap();
    }
    let report = world.operator.verify(&options).await.unwrap();
    let found: Vec<(&str, &str, Option<&str>, &str)> = report
        .databases
        .iter()
        .flat_map(|database| {
            database.findings.iter().map(|finding| {
                (
                    database.server.as_str(),
                    database.database.as_str(),
                    finding.schema(),
                    finding.object(),
                )
            })
        })
        .collect();
    let expected = |server, database, schema, table| [(server, database, Some(schema), table); 5];
    assert_eq!(
        found,
        [
            expected(
                MAIN_SERVER,
                world.main.name.as_str(),
                schema.as_str(),
                "in_schema"
            ),
            expected(SECOND, template.as_str(), "public", "in_template"),
            expected(
                SECOND,
                tenant_database.as_str(),
                "public",
                "in_tenant_database"
            ),
        ]
        .concat(),
        "{report:#?}"
    );
    assert_eq!(report.count(), 15);
    assert!(matches!(
        report.databases[2].findings[0],
        Finding::RowSecurityDisabled { .. }
    ));

    // A role belongs to its server: reported once, with the server's own database.
    world
        .admin(SECOND, None)
        .await
        .batch_execute(&format!("ALTER ROLE {} BYPASSRLS", world.main.app_role))
        .await
        .unwrap();
    let report = world.operator.verify(&options).await.unwrap();
    let role_findings: Vec<(&str, &str)> = report
        .databases
        .iter()
        .flat_map(|database| {
            database
                .findings
                .iter()
                .filter(|finding| matches!(finding, Finding::BypassRlsRole { .. }))
                .map(|_| (database.server.as_str(), database.database.as_str()))
        })
        .collect();
    assert_eq!(role_findings, [(SECOND, world.second.name.as_str())]);
}

#[tokio::test]
async fn a_restrictive_policy_adds_to_the_permissive_one_and_never_stands_for_it() {
    let owner_only = "CREATE POLICY tenantry_owner ON {table} AS RESTRICTIVE
         USING (tenant_id = '00000000-0000-0000-0000-000000000001')
         WITH CHECK (tenant_id = '00000000-0000-0000-0000-000000000001');";
    let database = TestDatabase::create_with(
        &format!(
            "CREATE TABLE owned (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));
             CREATE TABLE restrictive_only (tenant_id uuid NOT NULL, id uuid NOT NULL, PRIMARY KEY (tenant_id, id));
             ALTER TABLE restrictive_only ENABLE ROW LEVEL SECURITY;
             ALTER TABLE restrictive_only FORCE ROW LEVEL SECURITY;
             {}
             {}",
            owner_only.replace("{table}", "owned"),
            owner_only.replace("{table}", "restrictive_only"),
        ),
        &["owned"],
    )
    .await;
    fence(&database, &["restrictive_only"]).await;
    let findings = findings_in(&database).await;
    assert_eq!(
        findings,
        no_policy("public", "restrictive_only"),
        "{findings:#?}"
    );
}

#[tokio::test]
async fn a_table_the_write_fence_does_not_guard_is_reported() {
    let world = World::create().await;
    let admin = world.admin(MAIN_SERVER, None).await;
    admin
        .batch_execute(&format!(
            "{}; SELECT tenantry.isolate_table('public.guarded');
             GRANT SELECT, INSERT, UPDATE, DELETE ON public.guarded TO {role}",
            unprotected("public.guarded"),
            role = world.main.app_role,
        ))
        .await
        .unwrap();
    let options = VerifyOptions {
        app_roles: vec![world.main.app_role.clone()],
        ..VerifyOptions::default()
    };
    let unfenced = || async {
        verify(&world.admin(MAIN_SERVER, None).await, &options)
            .await
            .unwrap()
    };
    assert_eq!(unfenced().await, []);
    for sql in [
        "ALTER TABLE public.guarded DISABLE TRIGGER tenantry_fence",
        "ALTER TABLE public.guarded ENABLE REPLICA TRIGGER tenantry_fence",
        "DROP TRIGGER tenantry_fence ON public.guarded",
    ] {
        admin.batch_execute(sql).await.unwrap();
        assert_eq!(
            unfenced().await,
            [Finding::WritesNotFenced {
                schema: "public".to_owned(),
                table: "guarded".to_owned(),
            }],
            "after {sql}"
        );
    }
}
