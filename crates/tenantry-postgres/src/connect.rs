//! Opens pooled connections whose bytes go through a [`SplicingStream`], so
//! that a statement and its tenant context share one message group.
//!
//! The socket is opened here (the driver's own connect owns its socket) from
//! the driver's configuration: its hosts, ports, connect timeout and TCP
//! keepalive. The driver then runs its start-up exchange over the stream.

use std::io;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream};
use tokio::task::JoinHandle;
use tokio_postgres::config::Host;
use tokio_postgres::{CancelToken, Client, Config, NoTls};

use crate::wire::{ContextMessages, Splicer, SplicingStream};

/// A socket of either kind.
trait Socket: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Socket for T {}

/// Where a connection went: cancel requests go there too.
#[derive(Debug, Clone)]
pub(crate) enum Address {
    Tcp(String, u16),
    Unix(PathBuf),
}

/// An open connection: the driver's client, the task that runs its I/O,
/// the splicing state of its stream, and where it goes.
pub(crate) struct SplicedConnection {
    pub(crate) client: Client,
    pub(crate) task: JoinHandle<()>,
    pub(crate) splicer: Splicer,
    pub(crate) address: Address,
}

/// Why a connection could not be opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// No host could be reached.
    Socket(io::Error),
    /// The server refused the start-up exchange.
    Postgres(tokio_postgres::Error),
}

/// Connects to the first reachable host of `config`. With
/// `prepare_shared`, the context's shared statements are prepared (see
/// [`ContextMessages::preparation`]): not behind a transaction-mode pooler,
/// whose server connections change hands.
pub(crate) async fn open(
    config: &Config,
    prepare_shared: bool,
) -> Result<SplicedConnection, OpenError> {
    let (socket, address) = open_socket(config).await.map_err(OpenError::Socket)?;
    let splicer = Splicer::default();
    let stream = SplicingStream::new(socket, splicer.clone());
    let (client, connection) = config
        .connect_raw(stream, NoTls)
        .await
        .map_err(OpenError::Postgres)?;
    splicer.start();
    let task = tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "a pooled connection ended");
        }
    });
    if prepare_shared {
        prepare_shared_statements(&client, &splicer)
            .await
            .map_err(OpenError::Postgres)?;
    }
    Ok(SplicedConnection {
        client,
        task,
        splicer,
        address,
    })
}

/// Prepares the shared statements of tenant contexts. Their Parse messages
/// go in front of a probe statement's Bind, so that if one fails, the probe
/// fails with its error.
async fn prepare_shared_statements(
    client: &Client,
    splicer: &Splicer,
) -> Result<(), tokio_postgres::Error> {
    static PREPARATION: LazyLock<ContextMessages> = LazyLock::new(ContextMessages::preparation);
    let probe = client.prepare("SELECT 1").await?;
    splicer.splice(&PREPARATION, None);
    let probed = client.execute(&probe, &[]).await;
    splicer.finish();
    probed.map(drop)
}

/// Asks the server to cancel the statement running on `token`'s connection.
pub(crate) async fn cancel(token: &CancelToken, address: &Address) -> io::Result<()> {
    let socket = connect_address(address, None, None).await?;
    token
        .cancel_query_raw(socket, NoTls)
        .await
        .map_err(io::Error::other)
}

/// The default port, as libpq's.
const DEFAULT_PORT: u16 = 5432;

async fn open_socket(config: &Config) -> io::Result<(Box<dyn Socket>, Address)> {
    let hosts = config.get_hosts();
    if hosts.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the connection settings name no host",
        ));
    }
    let ports = config.get_ports();
    let mut last_error = None;
    for (index, host) in hosts.iter().enumerate() {
        let port = match ports {
            [] => DEFAULT_PORT,
            [port] => *port,
            ports => ports[index],
        };
        let address = match host {
            Host::Tcp(name) => {
                let name = config
                    .get_hostaddrs()
                    .get(index)
                    .map_or_else(|| name.clone(), ToString::to_string);
                Address::Tcp(name, port)
            }
            Host::Unix(path) => Address::Unix(path.join(format!(".s.PGSQL.{port}"))),
        };
        let timeout = config.get_connect_timeout().copied();
        match connect_address(&address, timeout, keepalive(config)).await {
            Ok(socket) => return Ok((socket, address)),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.expect("at least one host was tried"))
}

/// A socket to `address`, with TCP_NODELAY (requests are small and
/// latency-bound) and `keepalive` if any.
async fn connect_address(
    address: &Address,
    timeout: Option<Duration>,
    keepalive: Option<TcpKeepalive>,
) -> io::Result<Box<dyn Socket>> {
    let connecting = async {
        Ok::<Box<dyn Socket>, io::Error>(match address {
            Address::Tcp(host, port) => {
                let stream = TcpStream::connect((host.as_str(), *port)).await?;
                stream.set_nodelay(true)?;
                if let Some(keepalive) = &keepalive {
                    SockRef::from(&stream).set_tcp_keepalive(keepalive)?;
                }
                Box::new(stream)
            }
            Address::Unix(path) => Box::new(UnixStream::connect(path).await?),
        })
    };
    match timeout {
        Some(limit) => tokio::time::timeout(limit, connecting)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connecting timed out"))?,
        None => connecting.await,
    }
}

/// The TCP keepalive the configuration asks for (on by default, as in
/// the driver).
fn keepalive(config: &Config) -> Option<TcpKeepalive> {
    if !config.get_keepalives() {
        return None;
    }
    let mut keepalive = TcpKeepalive::new().with_time(config.get_keepalives_idle());
    if let Some(interval) = config.get_keepalives_interval() {
        keepalive = keepalive.with_interval(interval);
    }
    if let Some(retries) = config.get_keepalives_retries() {
        keepalive = keepalive.with_retries(retries);
    }
    Some(keepalive)
}
