//! Where the test servers are: the main one (`TENANTRY_TEST_ADMIN_URL`, by
//! default the local cluster on 5432) and a second local cluster.

use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

use crate::local_server::ensure_running;

/// The port of the second local cluster.
pub const SECOND_PORT: u16 = 5433;

/// The superuser's URL of the main server's `postgres` database; override
/// with `TENANTRY_TEST_ADMIN_URL`.
pub fn admin_url() -> String {
    std::env::var("TENANTRY_TEST_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn admin_config() -> Config {
    admin_url().parse().expect("admin URL")
}

/// The port of the main test server.
pub fn main_port() -> u16 {
    admin_config().get_ports().first().copied().unwrap_or(5432)
}

/// The URL of `database` on the test host's server at `port`, as `user`.
pub fn url_for(port: u16, database: &str, user: &str) -> String {
    let host = match admin_config().get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    format!("postgres://{user}@{host}:{port}/{database}")
}

/// The superuser's URL of `database` on the server at `port`.
pub fn superuser_url(port: u16, database: &str) -> String {
    let config = admin_config();
    url_for(port, database, config.get_user().unwrap_or("postgres"))
}

/// A connection to `url`, its driver spawned on the current runtime, after
/// starting the local server behind it if it is down.
pub async fn connect(url: &str) -> Client {
    let config: Config = url.parse().expect("database URL");
    if let Some(Host::Tcp(host)) = config.get_hosts().first() {
        let port = config.get_ports().first().copied().unwrap_or(5432);
        ensure_running(&format!("{host}:{port}"));
    }
    let (client, connection) = config
        .connect(NoTls)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to {url}: {error}"));
    tokio::spawn(connection);
    client
}
