//! A Citus cluster for the Citus suite, named by `TENANTRY_TEST_CITUS_URL`
//! (the superuser's URL of the coordinator's `postgres` database), and
//! throwaway databases on every node of it.
//!
//! Citus keeps its metadata per database: a test database gets the
//! extension on every node, and the coordinator's copy learns the workers
//! from the `postgres` database's node list. Each node's database is made
//! and dropped on that node directly, so no distributed object of the
//! `postgres` database outlives a test; the application role is created
//! from the coordinator, which propagates it to the workers, and dropped
//! the same way.

use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config};

use crate::servers::connect;
use crate::throwaway::Throwaway;

/// Serialises adding the nodes to test databases.
const ADD_NODES_LOCK: i64 = 0x6369_7475_735f_7462; // "citus_tb"

/// The environment variable that names the cluster's coordinator.
pub const URL_VARIABLE: &str = "TENANTRY_TEST_CITUS_URL";

/// The coordinator's superuser URL, when the Citus suite is to run.
pub fn coordinator_url() -> Option<String> {
    std::env::var(URL_VARIABLE)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// One node of the cluster: its host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The node's host.
    pub host: String,
    /// The node's port.
    pub port: u16,
}

/// The cluster: the coordinator and its workers, as the coordinator's
/// `postgres` database lists them.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The coordinator's superuser URL (its `postgres` database).
    pub url: String,
    /// The coordinator.
    pub coordinator: Node,
    /// The workers, by port.
    pub workers: Vec<Node>,
}

impl Cluster {
    /// The cluster at `url`, its workers read from the coordinator.
    pub async fn at(url: &str) -> Self {
        let config: Config = url.parse().expect("Citus coordinator URL");
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(host)) => host.clone(),
            _ => "127.0.0.1".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let admin = connect(url).await;
        let rows = admin
            .query(
                "SELECT nodename, nodeport FROM pg_dist_node
                 WHERE noderole = 'primary' AND groupid <> 0 AND isactive ORDER BY nodeport",
                &[],
            )
            .await
            .expect("the coordinator lists its workers (is Citus set up?)");
        let workers: Vec<Node> = rows
            .iter()
            .map(|row| Node {
                host: row.get(0),
                port: row.get::<_, i32>(1) as u16,
            })
            .collect();
        assert!(
            !workers.is_empty(),
            "the Citus cluster at {url} has no worker"
        );
        Self {
            url: url.to_owned(),
            coordinator: Node { host, port },
            workers,
        }
    }

    /// The coordinator, then the workers.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        std::iter::once(&self.coordinator).chain(&self.workers)
    }

    /// The superuser's URL of `database` on `node`.
    pub fn superuser_url(&self, node: &Node, database: &str) -> String {
        self.url_as(node, database, self.superuser().as_str())
    }

    /// The URL of `database` on `node` as `user`.
    pub fn url_as(&self, node: &Node, database: &str, user: &str) -> String {
        format!("postgres://{user}@{}:{}/{database}", node.host, node.port)
    }

    fn superuser(&self) -> String {
        let config: Config = self.url.parse().expect("Citus coordinator URL");
        config.get_user().unwrap_or("postgres").to_owned()
    }

    /// Creates `names`' role (from the coordinator, which propagates it) and
    /// its database on every node at once, with the extension, the
    /// coordinator's copy knowing the workers, and four shards to a
    /// distributed table; leftovers of dead test
    /// processes are dropped first.
    pub async fn create(&self, names: &Throwaway) {
        let admin = connect(&self.url).await;
        for abandoned in names.family().abandoned(&admin).await {
            self.drop(&abandoned).await;
        }
        let role = names.app_role();
        run(
            &admin,
            &format!("CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"),
        )
        .await;
        let creating: Vec<_> = self
            .nodes()
            .map(|node| {
                let (admin, database) = (self.superuser_url(node, "postgres"), names.database());
                let url = self.superuser_url(node, &database);
                tokio::spawn(async move {
                    run(
                        &connect(&admin).await,
                        &format!("CREATE DATABASE {database}"),
                    )
                    .await;
                    run(
                        &connect(&url).await,
                        "SET client_min_messages = warning; CREATE EXTENSION citus",
                    )
                    .await;
                })
            })
            .collect();
        for created in creating {
            created.await.expect("create a node's database");
        }
        // One test process at a time: Citus fails to add a node to one
        // database while it adds it to another.
        run(
            &admin,
            &format!("SELECT pg_advisory_lock({ADD_NODES_LOCK})"),
        )
        .await;
        let coordinator = connect(&self.superuser_url(&self.coordinator, &names.database())).await;
        let Node { host, port } = &self.coordinator;
        // Four shards a table: both workers get some, quickly.
        let mut sql = format!(
            "ALTER DATABASE {} SET citus.shard_count = 4;
             SELECT citus_set_coordinator_host('{host}', {port});",
            names.database()
        );
        for Node { host, port } in &self.workers {
            sql.push_str(&format!("SELECT citus_add_node('{host}', {port});"));
        }
        let added = coordinator.batch_execute(&sql).await;
        run(
            &admin,
            &format!("SELECT pg_advisory_unlock({ADD_NODES_LOCK})"),
        )
        .await;
        added.unwrap_or_else(|error| panic!("{sql}: {error:?}"));
    }

    /// Drops `names`' database from every node (workers last, after the
    /// coordinator stopped using them) and its role, ignoring what does not
    /// exist.
    pub async fn drop(&self, names: &Throwaway) {
        for node in self.nodes() {
            let admin = connect(&self.superuser_url(node, "postgres")).await;
            let _ = admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    names.database()
                ))
                .await;
        }
        let admin = connect(&self.url).await;
        let _ = admin
            .batch_execute(&format!("DROP ROLE IF EXISTS {}", names.app_role()))
            .await;
    }
}

async fn run(client: &Client, sql: &str) {
    client
        .batch_execute(sql)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error:?}"));
}
