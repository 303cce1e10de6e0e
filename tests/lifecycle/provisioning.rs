//! Provisioning that leaves no debris: a slug whose provisioning died is
//! completed under its first id, or abandoned with nothing of it left and
//! nothing of anyone else touched; an unreachable server fails the call
//! before anything is written.

use std::sync::Mutex;

use tenantry::ops::{Error as OpsError, NewTenant, PlacementKind, ProvisionStep, Seed};
use tenantry::{
    Config, Error, MAIN_SERVER, Placement, TenantRecord, TenantStatus, TenantTransaction,
};
use tokio_postgres::Client;

use crate::support::placements::{SECOND, TENANT, World};
use crate::support::{Customer, NewCustomer};

/// A seed that writes a customer, then fails if `fails`.
struct Customers {
    fails: bool,
}

impl Seed for Customers {
    async fn seed(&self, tenant: &TenantTransaction, _: &TenantRecord) -> Result<(), Error> {
        tenant.insert(NewCustomer::named("seeded")).exec().await?;
        if self.fails {
            tenant.raw_execute("SELECT 1 / 0", &[]).await?;
        }
        Ok(())
    }
}

/// The steps a provisioning reported.
#[derive(Default)]
struct Steps(Mutex<Vec<ProvisionStep>>);

impl Steps {
    fn done(&self, step: ProvisionStep) {
        self.0.lock().unwrap().push(step);
    }

    fn take(&self) -> Vec<ProvisionStep> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

/// The registry row of `slug`, if any: (id, status).
async fn registered(world: &World, slug: &str) -> Option<(uuid::Uuid, String)> {
    world
        .admin(MAIN_SERVER, None)
        .await
        .query_opt(
            "SELECT id, status FROM tenantry_control.tenants WHERE slug = $1",
            &[&slug],
        )
        .await
        .unwrap()
        .map(|row| (row.get(0), row.get(1)))
}

async fn one(client: &Client, sql: &str, tenant: uuid::Uuid) -> i64 {
    client.query_one(sql, &[&tenant]).await.unwrap().get(0)
}

/// What remains of `record` on its server: rows in the pool's customers,
/// residency rows, its own schema, its own database.
async fn remains(world: &World, record: &TenantRecord) -> [i64; 4] {
    let admin = world.admin(&record.server, None).await;
    let id = record.id.as_uuid();
    let own = |kind: &str| match (&record.placement, kind) {
        (Placement::Schema(name), "schema") | (Placement::Database(name), "database") => {
            name.as_str().to_owned()
        }
        _ => "none".to_owned(),
    };
    let schema = own("schema");
    let database = own("database");
    [
        one(
            &admin,
            "SELECT count(*) FROM public.customers WHERE tenant_id = $1",
            id,
        )
        .await,
        one(
            &admin,
            "SELECT count(*) FROM tenantry.residents WHERE tenant_id = $1",
            id,
        )
        .await,
        admin
            .query_one(
                "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
                &[&schema],
            )
            .await
            .unwrap()
            .get(0),
        admin
            .query_one(
                "SELECT count(*) FROM pg_database WHERE datname = $1",
                &[&database],
            )
            .await
            .unwrap()
            .get(0),
    ]
}

const SPOTS: [(&str, PlacementKind, &str); 3] = [
    ("pool", PlacementKind::Pool, SECOND),
    ("schema", PlacementKind::Schema, MAIN_SERVER),
    ("database", PlacementKind::Database, SECOND),
];

#[tokio::test]
async fn a_provisioning_that_died_is_completed_under_its_first_id_by_slug() {
    let world = World::create().await;
    for (name, kind, server) in SPOTS {
        let slug = world.slug(name);
        let first = NewTenant::new(&slug, kind).on_server(server);
        let steps = Steps::default();
        let died = world
            .operator
            .provision_with_progress(&first, &TENANT, &Customers { fails: true }, &|step| {
                steps.done(step)
            })
            .await;
        assert!(
            matches!(died, Err(OpsError::Runtime(_))),
            "{name}: {died:?}"
        );
        let mut every = vec![ProvisionStep::Registered];
        if kind == PlacementKind::Database {
            every.push(ProvisionStep::DatabaseCreated);
        }
        every.extend([
            ProvisionStep::Migrated,
            ProvisionStep::Fenced,
            ProvisionStep::Seeded,
            ProvisionStep::Active,
        ]);
        assert_eq!(every.len() as u64, ProvisionStep::count(kind), "{name}");
        assert_eq!(
            steps.take(),
            every[..every.len() - 2],
            "{name}: the steps before the seed failed"
        );
        assert_eq!(
            registered(&world, &slug).await,
            Some((first.id.as_uuid(), "provisioning".to_owned())),
            "{name}"
        );
        // Another call with the slug, and another random id, completes it.
        let again = NewTenant::new(&slug, kind).on_server(server);
        assert_ne!(again.id, first.id);
        let record = world
            .operator
            .provision_with_progress(&again, &TENANT, &Customers { fails: false }, &|step| {
                steps.done(step)
            })
            .await
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(steps.take(), every, "{name}: every step, done again");
        assert_eq!(
            (record.id, record.status),
            (first.id, TenantStatus::Active),
            "{name}"
        );
        let db = world.connect().await;
        let tenant = db.tenant(first.id).await.unwrap();
        assert_eq!(
            tenant.select::<Customer>().count().await.unwrap(),
            1,
            "{name}: seeded once"
        );
        // In another placement, the slug is someone else's.
        let elsewhere = NewTenant::new(&slug, PlacementKind::Schema).on_server(SECOND);
        assert!(matches!(
            world.operator.provision(&elsewhere, &TENANT).await,
            Err(OpsError::DuplicateSlug { .. })
        ));
    }
}

#[tokio::test]
async fn abandoning_a_provisioning_removes_what_it_made_and_nothing_else() {
    let world = World::create().await;
    // Neighbours in every placement, with rows, that must keep them.
    let mut neighbours = Vec::new();
    for (name, kind, server) in SPOTS {
        let record = world
            .operator
            .provision_with(
                &NewTenant::new(&world.slug(&format!("{name}_stays")), kind).on_server(server),
                &TENANT,
                &Customers { fails: false },
            )
            .await
            .unwrap();
        neighbours.push(record);
    }
    let admin = world.admin(MAIN_SERVER, None).await;
    for (name, kind, server) in SPOTS {
        let slug = world.slug(name);
        // Seeded, then died before it was made active.
        let record = world
            .operator
            .provision_with(
                &NewTenant::new(&slug, kind).on_server(server),
                &TENANT,
                &Customers { fails: false },
            )
            .await
            .unwrap();
        admin
            .execute(
                "UPDATE tenantry_control.tenants SET status = 'provisioning' WHERE id = $1",
                &[&record.id.as_uuid()],
            )
            .await
            .unwrap();
        let before = remains(&world, &record).await;
        assert_ne!(before, [0; 4], "{name}: something was made");

        // By slug for some, by id for others.
        let abandoned = if kind == PlacementKind::Schema {
            world.operator.abandon_provisioning(slug.as_str()).await
        } else {
            world.operator.abandon_provisioning(record.id).await
        };
        assert_eq!(abandoned.unwrap().id, record.id, "{name}");
        assert_eq!(
            remains(&world, &record).await,
            [0; 4],
            "{name}: debris left"
        );
        assert_eq!(registered(&world, &slug).await, None, "{name}");
        // The slug is free again, for a new tenant.
        let fresh = world.provision(name, kind, server).await;
        assert_ne!(fresh.id, record.id);
        // Made again from the start, not taken for migrated already.
        let db = world.connect().await;
        let tenant = db.tenant(fresh.id).await.unwrap();
        let count = tenant.select::<Customer>().count().await;
        assert!(
            matches!(count, Ok(0)),
            "{name}: the new tenant's tables: {count:?}"
        );
    }
    let db = world.connect().await;
    for neighbour in &neighbours {
        let tenant = db.tenant(neighbour.id).await.unwrap();
        assert_eq!(
            tenant.select::<Customer>().count().await.unwrap(),
            1,
            "{}",
            neighbour.slug
        );
        // An active tenant is not abandoned, and keeps everything.
        match world.operator.abandon_provisioning(neighbour.id).await {
            Err(OpsError::NotProvisioning { id, status }) => {
                assert_eq!((id, status), (neighbour.id, TenantStatus::Active));
            }
            other => panic!("abandoning an active tenant: {other:?}"),
        }
        assert_eq!(tenant.select::<Customer>().count().await.unwrap(), 1);
    }
    assert!(matches!(
        world.operator.abandon_provisioning("nobody").await,
        Err(OpsError::UnknownSlug { slug }) if slug == "nobody"
    ));
}

#[tokio::test]
async fn an_unreachable_server_fails_the_provisioning_before_anything_is_written() {
    let world = World::create().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = Config::new(&world.main.admin_url())
        .and_then(|config| {
            config.server(
                "down",
                &format!("postgres://postgres@127.0.0.1:{closed}/postgres"),
            )
        })
        .unwrap();
    let operator = tenantry::ops::Operator::new(config);
    for kind in [
        PlacementKind::Pool,
        PlacementKind::Schema,
        PlacementKind::Database,
    ] {
        let slug = world.slug(&format!("down_{kind:?}").to_lowercase());
        let tenant = NewTenant::new(&slug, kind).on_server("down");
        match operator.provision(&tenant, &TENANT).await {
            Err(OpsError::Runtime(Error::Connect { .. })) => {}
            other => panic!("{kind:?} on an unreachable server: {other:?}"),
        }
        assert_eq!(
            registered(&world, &slug).await,
            None,
            "{kind:?}: nothing written"
        );
    }
}
