//! Makes sure the local PostgreSQL server is up before a test or the demo
//! connects to it: if nothing answers, start the installed clusters, and say
//! clearly what is missing when PostgreSQL is not installed at all.

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
