//! Tenants in several placements at once, on both servers, for the isolation
//! suites: provisioning, handles, and what an administrator or a plain
//! application-role connection sees where each tenant's rows physically live.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use tenantry::ops::PlacementKind;
use tenantry::{Config, MAIN_SERVER, Placement, Tenant, TenantRecord, Tenantry};
use tokio_postgres::Client;
use uuid::Uuid;

use super::database::{TestDatabase, url_for};
use super::placements::{SECOND, World};

/// A placement to provision a tenant in: its label, kind and server.
pub type Spot = (&'static str, PlacementKind, &'static str);

/// Every placement on both servers, with two tenants sharing each pool.
pub const EVERY_PLACEMENT: [Spot; 8] = [
    ("pool_main_a", PlacementKind::Pool, MAIN_SERVER),
    ("pool_main_b", PlacementKind::Pool, MAIN_SERVER),
    ("pool_second_a", PlacementKind::Pool, SECOND),
    ("pool_second_b", PlacementKind::Pool, SECOND),
    ("schema_main", PlacementKind::Schema, MAIN_SERVER),
    ("schema_second", PlacementKind::Schema, SECOND),
    ("db_main", PlacementKind::Database, MAIN_SERVER),
    ("db_second", PlacementKind::Database, SECOND),
];

/// A pool tenant and two schema tenants on the main server: the placements
/// one server's hand-written SQL can name each other's tables in.
pub const POOL_AND_TWO_SCHEMAS: [Spot; 3] = [
    ("pool", PlacementKind::Pool, MAIN_SERVER),
    ("schema_a", PlacementKind::Schema, MAIN_SERVER),
    ("schema_b", PlacementKind::Schema, MAIN_SERVER),
];

/// The tenant-scoped tables the isolation suites write.
pub const TABLES: [&str; 2] = ["customers", "invoices"];

/// One provisioned tenant.
#[derive(Clone)]
pub struct Placed {
    pub label: &'static str,
    pub record: TenantRecord,
}

/// Where rows live: a server, a database (`None`: the test database) and a schema.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub server: String,
    pub database: Option<String>,
    pub schema: String,
}

impl Location {
    /// Where the rows of a tenant placed at `placement` on `server` live.
    pub fn of(server: &str, placement: &Placement) -> Self {
        let server = server.to_owned();
        match placement {
            Placement::Pool => Location {
                server,
                database: None,
                schema: "public".to_owned(),
            },
            Placement::Schema(schema) => Location {
                server,
                database: None,
                schema: schema.as_str().to_owned(),
            },
            Placement::Database(database) => Location {
                server,
                database: Some(database.as_str().to_owned()),
                schema: "public".to_owned(),
            },
        }
    }
}

impl Placed {
    /// Where this tenant's rows live.
    pub fn location(&self) -> Location {
        Location::of(&self.record.server, &self.record.placement)
    }

    /// The tenant id as a plain UUID.
    pub fn uuid(&self) -> Uuid {
        self.record.id.as_uuid()
    }
}

/// Every row of one table at one location, by owner: each row as JSON text.
pub type Dump = BTreeMap<(Location, &'static str, Uuid), Vec<String>>;

/// A world of two servers and tenants provisioned in it.
pub struct Tenants {
    pub world: World,
    pub placed: Vec<Placed>,
}

impl Tenants {
    /// Creates the two servers' test databases and provisions one tenant per spot.
    pub async fn provision(spots: &[Spot]) -> Self {
        Self::provision_in(World::create().await, spots).await
    }

    /// Provisions one tenant per spot in `world`.
    pub async fn provision_in(world: World, spots: &[Spot]) -> Self {
        let mut placed = Vec::new();
        for &(label, kind, server) in spots {
            let record = world.provision(label, kind, server).await;
            placed.push(Placed { label, record });
        }
        Self { world, placed }
    }

    /// A pool tenant and a schema tenant on the main server, and a
    /// pool-only process started while the registry recorded no tenant: it
    /// never hears of the tenants, nor of a suspension.
    pub async fn pool_and_schema_beside_a_blind_process() -> (Tenantry, Self) {
        let world = World::create().await;
        let blind = world.main.connect().await;
        let tenants = Self::provision_in(
            world,
            &[
                ("pool", PlacementKind::Pool, MAIN_SERVER),
                ("schema", PlacementKind::Schema, MAIN_SERVER),
            ],
        )
        .await;
        (blind, tenants)
    }

    /// The application, connected with the default settings.
    pub async fn connect(&self) -> Tenantry {
        self.world.connect().await
    }

    /// The application with one connection per pool, so that consecutive
    /// statements on a server share a connection.
    pub async fn connect_single(&self) -> Tenantry {
        self.connect_with(|config| config.pool_size(1).database_pool_size(1))
            .await
    }

    /// The application with settings changed by `adjust`.
    pub async fn connect_with(&self, adjust: impl FnOnce(Config) -> Config) -> Tenantry {
        Tenantry::connect(adjust(self.world.app_config()))
            .await
            .expect("connect as the application role")
    }

    /// The handle of every tenant, in provisioning order.
    pub async fn handles(&self, db: &Tenantry) -> Vec<Tenant> {
        let mut handles = Vec::new();
        for placed in &self.placed {
            handles.push(db.tenant(placed.record.id).await.expect("tenant handle"));
        }
        handles
    }

    /// The tenant labelled `label`.
    pub fn get(&self, label: &str) -> &Placed {
        self.placed
            .iter()
            .find(|placed| placed.label == label)
            .unwrap_or_else(|| panic!("no tenant labelled {label}"))
    }

    /// The test database of `server`.
    fn host(&self, server: &str) -> &TestDatabase {
        if server == SECOND {
            &self.world.second
        } else {
            &self.world.main
        }
    }

    /// A superuser connection to the database of `location`.
    pub async fn admin(&self, location: &Location) -> Client {
        self.world
            .admin(&location.server, location.database.as_deref())
            .await
    }

    /// A plain connection as the application role to the database of
    /// `location`, with no tenant context at all.
    pub async fn app_client(&self, location: &Location) -> Client {
        let host = self.host(&location.server);
        let database = location.database.as_deref().unwrap_or(&host.name);
        let url = url_for(host.port, database, &host.app_role);
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|error| panic!("cannot connect as the application role: {error}"));
        tokio::spawn(connection);
        client
    }

    /// Every location that holds tenant rows, once.
    pub fn locations(&self) -> BTreeSet<Location> {
        self.placed.iter().map(Placed::location).collect()
    }

    /// Every row of the isolation tables everywhere, read by a superuser
    /// (row-level security does not apply to it).
    pub async fn dump(&self) -> Dump {
        let mut dump = Dump::new();
        for location in self.locations() {
            let admin = self.admin(&location).await;
            for table in TABLES {
                let sql = format!(
                    "SELECT tenant_id, to_jsonb(t)::text FROM \"{}\".{table} t ORDER BY 2",
                    location.schema
                );
                for row in admin.query(&sql, &[]).await.expect("dump a table") {
                    dump.entry((location.clone(), table, row.get(0)))
                        .or_default()
                        .push(row.get(1));
                }
            }
        }
        dump
    }

    /// Asserts that between `before` and `after` only `actor`'s rows changed
    /// (`None`: nobody's), and that every tenant's rows are where it lives.
    pub fn assert_only_changed(&self, before: &Dump, after: &Dump, actor: Option<&Placed>) {
        let acting = actor.map(Placed::uuid);
        let others = |dump: &Dump| -> Dump {
            dump.iter()
                .filter(|((_, _, owner), _)| Some(*owner) != acting)
                .map(|(key, rows)| (key.clone(), rows.clone()))
                .collect()
        };
        assert_eq!(
            others(before),
            others(after),
            "rows of other tenants changed while {} worked",
            actor.map_or("nobody", |placed| placed.label)
        );
        for (location, table, owner) in after.keys() {
            let placed = self
                .placed
                .iter()
                .find(|placed| placed.uuid() == *owner)
                .unwrap_or_else(|| {
                    panic!("a row of unknown tenant {owner} in {location:?}.{table}")
                });
            assert_eq!(
                &placed.location(),
                location,
                "a row of {} is in {table} of another placement",
                placed.label
            );
        }
    }
}
