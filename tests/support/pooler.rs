//! A PgBouncer in transaction mode in front of the main test server, for one
//! test: its own port, configuration and process, all removed when dropped.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::database::{TestDatabase, main_port};

/// A running PgBouncer.
pub struct Pooler {
    pub port: u16,
    process: Child,
    directory: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

impl Pooler {
    /// Starts PgBouncer in transaction mode with `server_connections` server
    /// connections per database and user, for `database`'s roles.
    pub fn start(database: &TestDatabase, server_connections: usize) -> Self {
        let port = free_port();
        let directory = std::env::temp_dir().join(format!("tenantry-pooler-{}", database.suffix));
        std::fs::create_dir_all(&directory).expect("pooler directory");
        std::fs::write(
            directory.join("users.txt"),
            format!("\"{}\" \"\"\n\"postgres\" \"\"\n", database.app_role),
        )
        .expect("pooler users");
        let config = directory.join("pgbouncer.ini");
        std::fs::write(
            &config,
            format!(
                "[databases]\n* = host=127.0.0.1 port={server}\n\n[pgbouncer]\n\
                 listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
                 auth_type = trust\nauth_file = {users}\npool_mode = transaction\n\
                 default_pool_size = {server_connections}\nmax_client_conn = 200\n\
                 logfile = {log}\n",
                server = main_port(),
                users = directory.join("users.txt").display(),
                log = directory.join("pgbouncer.log").display(),
            ),
        )
        .expect("pooler configuration");
        make_readable_by_all(&directory);
        let process = Command::new("pgbouncer")
            .args(["-u", "postgres"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("PgBouncer is not installed (Debian: apt-get install pgbouncer)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "PgBouncer did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            port,
            process,
            directory,
        }
    }

    /// The application role's URL through the pooler.
    pub fn app_url(&self, database: &TestDatabase) -> String {
        format!(
            "postgres://{}@127.0.0.1:{}/{}",
            database.app_role, self.port, database.name
        )
    }
}

fn make_readable_by_all(directory: &PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let all = std::fs::Permissions::from_mode(0o777);
    std::fs::set_permissions(directory, all.clone()).expect("pooler directory permissions");
    for entry in std::fs::read_dir(directory)
        .expect("pooler directory")
        .flatten()
    {
        std::fs::set_permissions(entry.path(), all.clone()).expect("pooler file permissions");
    }
}

impl Drop for Pooler {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}
