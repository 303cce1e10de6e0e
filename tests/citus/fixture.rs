//! A throwaway database on every node of the Citus cluster named by
//! `TENANTRY_TEST_CITUS_URL`, with an ordinary application role, dropped
//! (with every distributed object in it) when the test ends.

use std::io::Write;
use std::sync::Once;

use tenantry::Config;
use tenantry_test_support::citus::{self, Cluster, Node};
use tenantry_test_support::servers::connect;
use tenantry_test_support::throwaway::{Family, Throwaway};
use tokio_postgres::Client;

/// How the Citus suite names its databases and roles.
const FAMILY: Family = Family {
    prefix: "tenantry_citus_",
    tenant_databases: "tenant_citus_",
};

/// Written when a test of the suite ran against a cluster: continuous
/// integration checks that the suite did not silently skip.
const RAN_MARKER: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/citus-suite-ran");

/// A database on every node of the cluster and an application role (neither
/// superuser nor BYPASSRLS) that exist for one test.
pub struct CitusDatabase {
    pub cluster: Cluster,
    pub names: Throwaway,
}

impl CitusDatabase {
    /// A fresh database on the cluster, or `None` (said on the output) when
    /// no cluster is configured.
    pub async fn create() -> Option<Self> {
        let Some(url) = citus::coordinator_url() else {
            // Once, and past the test harness's capture, which would hide it.
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "the Citus suite was NOT RUN: set {} to a Citus coordinator's superuser URL",
                    citus::URL_VARIABLE
                );
            });
            return None;
        };
        let cluster = Cluster::at(&url).await;
        let names = FAMILY.fresh();
        cluster.create(&names).await;
        std::fs::write(RAN_MARKER, b"").expect("write the Citus suite's marker");
        Some(Self { cluster, names })
    }

    /// The superuser's URL of the test database on the coordinator.
    pub fn admin_url(&self) -> String {
        self.cluster
            .superuser_url(&self.cluster.coordinator, &self.names.database())
    }

    /// A superuser connection to the test database on the coordinator.
    pub async fn admin(&self) -> Client {
        connect(&self.admin_url()).await
    }

    /// A superuser connection to the test database on `worker`.
    pub async fn worker(&self, worker: &Node) -> Client {
        connect(&self.cluster.superuser_url(worker, &self.names.database())).await
    }

    /// The application role's URL (on the coordinator).
    pub fn app_url(&self) -> String {
        self.cluster.url_as(
            &self.cluster.coordinator,
            &self.names.database(),
            &self.names.app_role(),
        )
    }

    /// The application's settings on the coordinator, in Citus mode,
    /// plaintext (the cluster's nodes offer no TLS).
    pub fn app_config(&self) -> Config {
        Config::new(&format!("{}?sslmode=disable", self.app_url()))
            .expect("app config")
            .citus(true)
    }
}

impl Drop for CitusDatabase {
    fn drop(&mut self) {
        let (cluster, names) = (self.cluster.clone(), self.names.clone());
        // Dropping needs its own runtime: the test's may be shutting down.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cleanup runtime");
            runtime.block_on(cluster.drop(&names));
        })
        .join()
        .expect("cleanup thread");
    }
}
