//! Servers added to the registry at run time: the operator records one
//! (address only, no secret), migrates it and provisions tenants there; two
//! application instances already running, configured with the main server
//! alone, route to it without a restart, with credentials of their own, and
//! follow a change of its address through the registry's notification; a
//! pool tenant moves to a database of its own there, and both instances,
//! warm with its old place, read and write it in the new one.

mod support;

use std::time::Duration;

use futures_util::future::BoxFuture;
use support::database::{TestDatabase, main_port};
use support::eventually::eventually;
use support::local_server::ensure_cluster;
use support::placements::{MIGRATIONS, SECOND_PORT, TENANT};
use support::{Customer, NewCustomer};
use tenantry::ops::migrate::MigrateOptions;
use tenantry::ops::{
    Destination, Error as OpsError, NewTenant, Operator, PlacementKind, RelocationStep,
};
use tenantry::{Config, Credentials, Error, Placement, ServerCredentials, Tenantry};
use tenantry_test_support::servers::url_for;

/// The name the server is added under.
const ADDED: &str = "eu-2";

/// The main test database, an empty one on the second cluster (not in any
/// configuration), and an operator that knows only the main one.
struct Deployment {
    main: TestDatabase,
    second: TestDatabase,
    operator: Operator,
}

impl Deployment {
    async fn create() -> Self {
        let main = TestDatabase::empty_on(main_port(), None).await;
        ensure_cluster("second", SECOND_PORT);
        let second = TestDatabase::empty_on(SECOND_PORT, Some(&main.suffix)).await;
        let operator = Operator::new(Config::new(&main.admin_url()).expect("operator config"))
            .grant_to(&main.app_role)
            .and_then(|operator| operator.template_database(&format!("{}_template", main.name)))
            .expect("operator");
        let report = operator
            .migrate(&MIGRATIONS, MigrateOptions::default())
            .await
            .expect("migrate");
        assert!(report.is_success(), "{report:#?}");
        Self {
            main,
            second,
            operator,
        }
    }

    /// The second database's address, with no role: each side connects as
    /// its own (the operator as the superuser, the application as its role).
    fn second_address(&self) -> String {
        url_for(SECOND_PORT, &self.second.name, "").replacen("postgres://@", "postgres://", 1)
    }

    /// An application instance that knows only the main server.
    async fn instance(&self) -> Tenantry {
        self.instance_with(|config| config).await
    }

    async fn instance_with(&self, adjust: impl FnOnce(Config) -> Config) -> Tenantry {
        let config = Config::new(&self.main.app_url())
            .expect("app config")
            .registry();
        Tenantry::connect(adjust(config))
            .await
            .expect("connect through the registry")
    }

    fn slug(&self, name: &str) -> String {
        format!("t{}_{name}", self.main.suffix)
    }
}

#[tokio::test]
async fn running_instances_reach_tenants_on_a_server_added_after_they_started() {
    let deployment = Deployment::create().await;
    let first = deployment.instance().await;
    let second = deployment.instance().await;
    // Both instances warm: a tenant on the main server, resolved and cached.
    let home = deployment
        .operator
        .provision(
            &NewTenant::new(&deployment.slug("home"), PlacementKind::Schema),
            &TENANT,
        )
        .await
        .expect("provision on main");
    for instance in [&first, &second] {
        instance.tenant(home.id).await.expect("home tenant");
    }

    let report = deployment
        .operator
        .add_server(
            ADDED,
            &deployment.second_address(),
            "test suite",
            &MIGRATIONS,
        )
        .await
        .expect("add the server");
    assert!(report.is_success(), "{report:#?}");
    assert!(
        report
            .targets
            .iter()
            .all(|line| line.target.server == ADDED),
        "only the added server is migrated: {report:#?}"
    );
    assert_eq!(
        deployment.operator.servers().await.unwrap(),
        ["main", ADDED],
        "the operator lists it after its own"
    );

    let mut tenants = Vec::new();
    for (name, placement) in [
        ("pooled", PlacementKind::Pool),
        ("schema", PlacementKind::Schema),
        ("database", PlacementKind::Database),
    ] {
        let tenant = NewTenant::new(&deployment.slug(name), placement).on_server(ADDED);
        let record = deployment
            .operator
            .provision(&tenant, &TENANT)
            .await
            .unwrap_or_else(|error| panic!("provision {name} on {ADDED}: {error}"));
        tenants.push((name, record.id));
    }

    for (round, instance) in [&first, &second].into_iter().enumerate() {
        for (name, id) in &tenants {
            let tenant = instance
                .tenant(*id)
                .await
                .expect("a tenant of the added server");
            assert_eq!(tenant.server(), ADDED);
            let customer = format!("{name} {round}");
            tenant
                .insert(NewCustomer::named(&customer))
                .exec()
                .await
                .unwrap_or_else(|error| panic!("{name} through instance {round}: {error}"));
            let names: Vec<String> = tenant
                .select::<Customer>()
                .all()
                .await
                .unwrap()
                .into_iter()
                .map(|customer| customer.name)
                .collect();
            let expected: Vec<String> = (0..=round).map(|seen| format!("{name} {seen}")).collect();
            assert_eq!(names, expected, "{name} sees only its own rows");
        }
        assert!(instance.open_connections(ADDED).unwrap() > 0);
    }

    // The rows are on the added server, as the application role wrote them.
    let on_second = deployment.second.admin().await;
    let pooled: i64 = on_second
        .query_one(
            "SELECT count(*) FROM public.customers WHERE tenant_id = $1",
            &[&tenants[0].1.as_uuid()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(pooled, 2);
}

#[tokio::test]
async fn a_pool_tenant_moves_to_its_own_database_on_a_server_added_after_the_instances_started() {
    let deployment = Deployment::create().await;
    let first = deployment.instance().await;
    let second = deployment.instance().await;
    let record = deployment
        .operator
        .provision(
            &NewTenant::new(&deployment.slug("rising"), PlacementKind::Pool),
            &TENANT,
        )
        .await
        .expect("provision in the main pool");
    let id = record.id;
    // Both instances warm: each has resolved the tenant in the main pool.
    let writer = first.tenant(id).await.unwrap();
    for n in 0..3 {
        writer
            .insert(NewCustomer::named(&format!("before {n}")))
            .exec()
            .await
            .unwrap();
    }
    let warm = second.tenant(id).await.unwrap();
    assert_eq!(warm.select::<Customer>().count().await.unwrap(), 3);

    deployment
        .operator
        .add_server(
            ADDED,
            &deployment.second_address(),
            "test suite",
            &MIGRATIONS,
        )
        .await
        .expect("add the server");
    let destination = Destination::new(PlacementKind::Database).on_server(ADDED);
    let report = deployment
        .operator
        .relocate(id, &destination, &TENANT)
        .await
        .expect("relocate to the added server");
    assert_eq!(report.relocation.step, RelocationStep::Flipped);
    assert_eq!(report.relocation.to.server, ADDED);
    let Placement::Database(database) = &report.relocation.to.placement else {
        panic!("moved to {}", report.relocation.to);
    };

    for (round, instance) in [&first, &second].into_iter().enumerate() {
        let tenant = eventually(
            Duration::from_secs(10),
            || async { instance.tenant(id).await.unwrap() },
            |tenant| tenant.server() == ADDED,
        )
        .await;
        assert_eq!(
            tenant.server(),
            ADDED,
            "instance {round} never routed there"
        );
        assert_eq!(tenant.placement(), &report.relocation.to.placement);
        tenant
            .insert(NewCustomer::named(&format!("after {round}")))
            .exec()
            .await
            .unwrap_or_else(|error| panic!("write through instance {round}: {error}"));
        let mut names: Vec<String> = tenant
            .select::<Customer>()
            .all()
            .await
            .unwrap()
            .into_iter()
            .map(|customer| customer.name)
            .collect();
        names.sort();
        let mut expected: Vec<String> = (0..3).map(|n| format!("before {n}")).collect();
        expected.extend((0..=round).map(|seen| format!("after {seen}")));
        expected.sort();
        assert_eq!(names, expected, "instance {round}");
    }

    // The writes after the move are in the tenant's database on the added
    // server; the main pool's copy (kept until the move finishes) has none.
    let count = |client: tokio_postgres::Client| async move {
        client
            .query_one(
                "SELECT count(*) FROM public.customers
                 WHERE tenant_id = $1 AND name LIKE 'after %'",
                &[&id.as_uuid()],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    let there = count(deployment.second.admin_of(database.as_str()).await).await;
    let left = count(deployment.main.admin().await).await;
    assert_eq!((there, left), (2, 0));
}

#[tokio::test]
async fn a_change_of_address_reaches_running_instances_through_the_notification() {
    let deployment = Deployment::create().await;
    deployment
        .operator
        .add_server(
            ADDED,
            &deployment.second_address(),
            "test suite",
            &MIGRATIONS,
        )
        .await
        .expect("add the server");
    let record = deployment
        .operator
        .provision(
            &NewTenant::new(&deployment.slug("moved"), PlacementKind::Schema).on_server(ADDED),
            &TENANT,
        )
        .await
        .expect("provision");
    let db = deployment.instance().await;
    let tenant = db.tenant(record.id).await.unwrap();
    tenant.select::<Customer>().all().await.expect("reachable");

    // Nothing answers on port 1: the instance must stop using the pool it has.
    let control = deployment.main.admin().await;
    let unreachable =
        url_for(1, &deployment.second.name, "").replacen("postgres://@", "postgres://", 1);
    control
        .execute(
            "UPDATE tenantry_control.servers SET url = $1 WHERE name = $2",
            &[&unreachable, &ADDED],
        )
        .await
        .unwrap();
    let refused = eventually(
        Duration::from_secs(10),
        || async { db.tenant(record.id).await?.select::<Customer>().all().await },
        Result::is_err,
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(Error::Connect { .. } | Error::PoolTimeout { .. })
        ),
        "{refused:?}"
    );

    control
        .execute(
            "UPDATE tenantry_control.servers SET url = $1 WHERE name = $2",
            &[&deployment.second_address(), &ADDED],
        )
        .await
        .unwrap();
    let back = eventually(
        Duration::from_secs(10),
        || async { db.tenant(record.id).await?.select::<Customer>().all().await },
        Result::is_ok,
    )
    .await;
    assert!(back.is_ok(), "{back:?}");
}

/// Gives every server a role that does not exist.
struct WrongRole;

impl ServerCredentials for WrongRole {
    fn credentials<'a>(&'a self, _server: &'a str) -> BoxFuture<'a, Result<Credentials, Error>> {
        Box::pin(async {
            Ok(Credentials {
                user: Some("no_such_role_anywhere".to_owned()),
                password: None,
            })
        })
    }
}

#[tokio::test]
async fn the_credentials_come_from_the_instances_own_provider() {
    let deployment = Deployment::create().await;
    deployment
        .operator
        .add_server(
            ADDED,
            &deployment.second_address(),
            "test suite",
            &MIGRATIONS,
        )
        .await
        .expect("add the server");
    let record = deployment
        .operator
        .provision(
            &NewTenant::new(&deployment.slug("vaulted"), PlacementKind::Pool).on_server(ADDED),
            &TENANT,
        )
        .await
        .expect("provision");
    let misconfigured = deployment
        .instance_with(|config| config.server_credentials(WrongRole))
        .await;
    let refused = match misconfigured.tenant(record.id).await {
        Ok(tenant) => tenant.select::<Customer>().all().await.map(|_| ()),
        Err(error) => Err(error),
    };
    let refused = refused.expect_err("a role the server does not know");
    assert!(
        refused.to_string().contains("no_such_role_anywhere"),
        "refused for the provider's role: {refused}"
    );
    // The registry holds no secret, and the application may not read it.
    let app = deployment.main.app_client().await;
    let denied = app
        .query("SELECT * FROM tenantry_control.servers", &[])
        .await
        .unwrap_err();
    assert_eq!(
        denied.code(),
        Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
    );
}

#[tokio::test]
async fn adding_a_server_refuses_bad_input_and_writes_nothing() {
    let deployment = Deployment::create().await;
    let operator = &deployment.operator;
    let address = deployment.second_address();
    let add = |name: &'static str, url: String| async move {
        operator
            .add_server(name, &url, "test suite", &MIGRATIONS)
            .await
    };

    for name in ["main", "EU", "1eu", "eu.2"] {
        let refused = add(name, address.clone()).await;
        assert!(
            matches!(refused, Err(OpsError::InvalidServerName { .. })),
            "{name}: {refused:?}"
        );
    }
    let with_password = address.replacen("postgres://", "postgres://postgres:secret@", 1);
    let refused = add(ADDED, with_password).await;
    assert!(
        matches!(&refused, Err(OpsError::Runtime(Error::Config(message))) if message.contains("password")),
        "{refused:?}"
    );
    let nowhere = url_for(1, "postgres", "");
    let refused = add(ADDED, nowhere).await;
    assert!(
        matches!(refused, Err(OpsError::Runtime(Error::Connect { .. }))),
        "{refused:?}"
    );
    assert!(operator.registered_servers().await.unwrap().is_empty());

    add(ADDED, address.clone()).await.expect("added");
    add(ADDED, address.clone())
        .await
        .expect("the same again only migrates");
    let elsewhere = url_for(main_port(), &deployment.main.name, "");
    let refused = add(ADDED, elsewhere).await;
    assert!(
        matches!(&refused, Err(OpsError::ServerExists { existing, .. }) if *existing == address),
        "{refused:?}"
    );
    let recorded = operator.registered_servers().await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].url, address);
    assert_eq!(recorded[0].added_by, "test suite");

    // A tenant on it keeps it in the registry.
    operator
        .provision(
            &NewTenant::new(&deployment.slug("resident"), PlacementKind::Schema).on_server(ADDED),
            &TENANT,
        )
        .await
        .expect("provision");
    let refused = operator.remove_server(ADDED).await;
    assert!(
        matches!(refused, Err(OpsError::ServerInUse { tenants: 1, .. })),
        "{refused:?}"
    );
    let unknown = operator.remove_server("nowhere").await;
    assert!(
        matches!(unknown, Err(OpsError::Runtime(Error::UnknownServer { .. }))),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn an_unused_server_is_removed_and_then_unknown() {
    let deployment = Deployment::create().await;
    let operator = &deployment.operator;
    operator
        .add_server(
            ADDED,
            &deployment.second_address(),
            "test suite",
            &MIGRATIONS,
        )
        .await
        .expect("added");
    operator.remove_server(ADDED).await.expect("removed");
    assert!(operator.registered_servers().await.unwrap().is_empty());
    let refused = operator
        .provision(
            &NewTenant::new(&deployment.slug("late"), PlacementKind::Pool).on_server(ADDED),
            &TENANT,
        )
        .await;
    assert!(
        matches!(refused, Err(OpsError::Runtime(Error::UnknownServer { .. }))),
        "{refused:?}"
    );
}
