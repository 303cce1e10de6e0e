//! Makes sure the local PostgreSQL server is up before a test connects to
//! it: if nothing answers, start the installed clusters, and say clearly
//! what is missing when PostgreSQL is not installed at all.

use std::net::{TcpStream, ToSocketAddrs};
use std::process::Command;
use std::time::{Duration, Instant};

/// Whether something accepts connections at `host:port`.
fn answers(address: &str) -> bool {
    address
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next())
        .and_then(|address| TcpStream::connect_timeout(&address, Duration::from_secs(1)).ok())
        .is_some()
}

/// Starts the local PostgreSQL clusters if `address` does not answer, and
/// waits up to 30 s for it. Panics with an explanation if that fails.
pub fn ensure_running(address: &str) {
    if answers(address) {
        return;
    }
    let clusters = Command::new("pg_lsclusters").arg("--no-header").output();
    let Ok(clusters) = clusters else {
        panic!(
            "PostgreSQL does not answer at {address} and is not installed here \
             (no pg_lsclusters): install it (Debian: apt-get install postgresql) \
             or point the URL at a running server"
        );
    };
    for line in String::from_utf8_lossy(&clusters.stdout).lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let [version, name, _port, status, ..] = fields[..] {
            if status != "online" {
                let _ = Command::new("pg_ctlcluster")
                    .args(["--skip-systemctl-redirect", version, name, "start"])
                    .status();
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if answers(address) {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("PostgreSQL does not answer at {address}, even after starting its clusters");
}

/// Makes sure a local cluster named `name` answers on `port`: starts it if it
/// is down, creates it (trusting local connections, like the main one, with
/// `wal_level = logical` for relocation's online copy) if it does not
/// exist. Used for the tests that place tenants on a second server.
pub fn ensure_cluster(name: &str, port: u16) {
    static CREATE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = CREATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let address = format!("127.0.0.1:{port}");
    if answers(&address) {
        return;
    }
    let clusters = Command::new("pg_lsclusters")
        .arg("--no-header")
        .output()
        .unwrap_or_else(|_| {
            panic!("PostgreSQL is not installed: cannot create the cluster {name}")
        });
    let listing = String::from_utf8_lossy(&clusters.stdout).into_owned();
    let version = listing
        .split_whitespace()
        .next()
        .unwrap_or_else(|| panic!("no PostgreSQL cluster is installed to take the version of"))
        .to_owned();
    let exists = listing
        .lines()
        .any(|line| line.split_whitespace().nth(1) == Some(name));
    if !exists {
        let status = Command::new("pg_createcluster")
            .args([&version, name, "--port", &port.to_string()])
            .args(["-o", "wal_level=logical", "--"])
            .args(["--auth-host=trust", "--auth-local=trust"])
            .status()
            .expect("run pg_createcluster");
        assert!(status.success(), "pg_createcluster {version} {name} failed");
    }
    ensure_running(&address);
}
