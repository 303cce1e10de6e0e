//! A PostgreSQL server of the test's own: a fresh data directory, started
//! on a free port, with TLS on (certificates the test makes) or off, and
//! authentication rules the tests need. It is stopped and removed when the
//! test process ends, however it ends.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::certificates::Certificates;

/// Roles every such server has, besides the superuser `postgres`.
pub mod roles {
    /// An ordinary role that may connect without TLS (plaintext controls).
    pub const PLAINTEXT: &str = "plain_ok";
    /// An ordinary role authenticated by its client certificate.
    pub const CERTIFICATE: &str = "cert_user";
    /// An ordinary role authenticated by password (`PASSWORD`).
    pub const PASSWORD_ROLE: &str = "password_user";
    /// The password of `PASSWORD_ROLE`.
    pub const PASSWORD: &str = "correct horse";
    /// An ordinary role, trusted over TLS, for the application.
    pub const APP: &str = "app";
}

/// A running server of the test's own.
#[derive(Debug)]
pub struct Cluster {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    /// Its TLS files, when TLS is on.
    pub certificates: Option<Certificates>,
    directory: PathBuf,
    bin: PathBuf,
}

/// Whether TLS is on, and so which connections are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// TLS on: every TCP connection must use it, but `roles::PLAINTEXT`'s.
    On,
    /// TLS off: the server answers a TLS request with a refusal.
    Off,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// The installed server's programs (the newest version's).
fn bin_directory() -> PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL is installed");
    let newest = versions
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .max()
        .expect("a PostgreSQL version");
    PathBuf::from(format!("/usr/lib/postgresql/{newest}/bin"))
}

/// Runs a server program as the `postgres` system user when the tests run
/// as root (the server refuses to run as root), else as the current user.
fn as_server_user(program: &Path) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0");
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: {error}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Cluster {
    /// Makes and starts a server.
    pub fn start(tls: Tls) -> Self {
        let bin = bin_directory();
        let directory = std::env::temp_dir().join(format!(
            "tenantry-cluster-{}-{}",
            std::process::id(),
            free_port()
        ));
        let data = directory.join("data");
        std::fs::create_dir_all(&directory).expect("the cluster's directory");
        let certificates =
            (tls == Tls::On).then(|| Certificates::make(&directory, roles::CERTIFICATE));
        give_to_server_user(&directory);
        run(
            as_server_user(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]),
            "initdb",
        );
        let port = free_port();
        let mut settings = format!(
            "port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n\
             fsync = off\nshared_buffers = 16MB\nmax_connections = 40\n",
            directory.display()
        );
        let mut rules = String::from("local all all trust\n");
        match &certificates {
            Some(files) => {
                settings.push_str(&format!(
                    "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\nssl_ca_file = '{}'\n",
                    files.server_cert.display(),
                    files.server_key.display(),
                    files.ca.display()
                ));
                rules.push_str(&format!(
                    "hostnossl all {plain} 127.0.0.1/32 trust\n\
                     hostnossl all all 127.0.0.1/32 reject\n\
                     hostssl all {cert} 127.0.0.1/32 cert\n\
                     hostssl all {password} 127.0.0.1/32 scram-sha-256\n\
                     hostssl all all 127.0.0.1/32 trust\n",
                    plain = roles::PLAINTEXT,
                    cert = roles::CERTIFICATE,
                    password = roles::PASSWORD_ROLE,
                ));
            }
            None => {
                settings.push_str("ssl = off\n");
                rules.push_str(&format!(
                    "host all {password} 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n",
                    password = roles::PASSWORD_ROLE
                ));
            }
        }
        append(&data.join("postgresql.conf"), &settings);
        std::fs::write(data.join("pg_hba.conf"), rules).expect("pg_hba.conf");
        give_to_server_user(&directory);
        run(
            as_server_user(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(directory.join("server.log"))
                .args(["-w", "start"]),
            "starting the cluster",
        );
        stop_when_this_process_ends(&bin, &directory);
        let cluster = Cluster {
            port,
            certificates,
            directory,
            bin,
        };
        cluster.psql(&format!(
            "CREATE ROLE {app} LOGIN;\nCREATE ROLE {plain} LOGIN;\nCREATE ROLE {cert} LOGIN;\n\
             CREATE ROLE {password_role} LOGIN PASSWORD '{password}';\n\
             CREATE DATABASE {app} OWNER {app};\n",
            app = roles::APP,
            plain = roles::PLAINTEXT,
            cert = roles::CERTIFICATE,
            password_role = roles::PASSWORD_ROLE,
            password = roles::PASSWORD,
        ));
        cluster
    }

    /// The directory of its Unix-domain socket.
    pub fn socket_directory(&self) -> &Path {
        &self.directory
    }

    /// Runs `sql` (statements and psql's meta-commands, each statement on
    /// its own) as the superuser, over the server's Unix-domain socket.
    pub fn psql(&self, sql: &str) {
        use std::io::Write;
        let mut child = as_server_user(&self.bin.join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.directory)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("psql");
        child
            .stdin
            .take()
            .expect("psql's input")
            .write_all(sql.as_bytes())
            .expect("writing to psql");
        let output = child.wait_with_output().expect("psql's end");
        assert!(
            output.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Stops the server in smart mode without waiting: sessions already open
    /// go on, new ones are refused as "shutting down".
    pub fn begin_smart_shutdown(&self) {
        run(
            as_server_user(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.directory.join("data"))
                .args(["-m", "smart", "--no-wait", "stop"]),
            "stopping the cluster",
        );
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("a configuration file");
    file.write_all(text.as_bytes()).expect("appending settings");
}

/// Hands `directory` to the `postgres` system user when running as root
/// (the server reads its key only if it owns it, with no access for others).
fn give_to_server_user(directory: &Path) {
    let _ = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(directory)
        .status();
    for key in ["server.key", "client.key"] {
        let path = directory.join(key);
        if path.exists() {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .expect("a key's permissions");
        }
    }
}

/// Starts a watcher that stops the server and removes its directory once
/// this process has ended, whether the tests passed, failed or aborted.
fn stop_when_this_process_ends(bin: &Path, directory: &Path) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         runuser -u postgres -- {pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1 || \
         {pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {directory}",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        data = directory.join("data").display(),
        directory = directory.display(),
    );
    // `setsid --fork` returns at once, leaving the watcher on its own.
    let started = Command::new("setsid")
        .args(["--fork", "sh", "-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the cluster's watcher");
    assert!(started.success(), "the cluster's watcher did not start");
}
