//! Turns at the examples: their databases and roles have fixed names, so
//! test processes that run them take turns under one advisory lock.

use tenantry_test_support::local_server::ensure_running;
use tenantry_test_support::servers::{admin_url, main_port};
use tokio_postgres::{Client, NoTls};

/// The key of the lock that makes test processes take turns with the
/// examples.
const EXAMPLES_LOCK: i64 = 0x6578_616d_706c_6573; // "examples"

/// The main server's administrator URL, the server started if it is down.
pub fn main_server() -> String {
    let url = admin_url();
    let config: tokio_postgres::Config = url.parse().expect("admin URL");
    if let Some(tokio_postgres::config::Host::Tcp(host)) = config.get_hosts().first() {
        ensure_running(&format!("{host}:{}", main_port()));
    }
    url
}

/// Waits for this process's turn to run an example; the turn lasts as long
/// as the returned connection.
pub async fn take_turn(admin_url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(admin_url, NoTls)
        .await
        .expect("connect to the main server");
    tokio::spawn(connection);
    client
        .execute("SELECT pg_advisory_lock($1)", &[&EXAMPLES_LOCK])
        .await
        .expect("take the examples' lock");
    client
}
