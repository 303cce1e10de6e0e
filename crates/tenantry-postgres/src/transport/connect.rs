//! Opens pooled connections whose bytes go through a [`SplicingStream`], so
//! that a statement and its tenant context share one message group.
//!
//! The socket is opened here (the driver's own connect owns its socket) from
//! the driver's configuration: its hosts and addresses, ports, connect
//! timeout, TCP keepalive and user timeout, and `target_session_attrs`. The
//! driver then runs its start-up exchange over the stream.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::LazyLock;

use socket2::{SockRef, TcpKeepalive};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream, lookup_host};
use tokio::task::JoinHandle;
use tokio_postgres::config::{Host, TargetSessionAttrs};
use tokio_postgres::{CancelToken, Client, Config, NoTls, SimpleQueryMessage};

use crate::transport::probe::Probe;
use crate::transport::traffic::Traffic;
use crate::transport::wire::{ContextMessages, Splicer, SplicingStream};

/// A socket of either kind.
trait Socket: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Socket for T {}

/// Where a connection went: cancel requests go to the same address.
#[derive(Debug, Clone)]
pub(crate) enum Address {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

/// An open connection: the driver's client, the task that runs its I/O,
/// the splicing state and the traffic of its stream, a probe of its socket,
/// and where it goes.
pub(crate) struct SplicedConnection {
    pub(crate) client: Client,
    pub(crate) task: JoinHandle<()>,
    pub(crate) splicer: Splicer,
    pub(crate) traffic: Traffic,
    pub(crate) probe: Probe,
    pub(crate) address: Address,
}

/// Why a connection could not be opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// No host could be reached, or none was suitable.
    Socket(io::Error),
    /// The server refused the start-up exchange.
    Postgres(tokio_postgres::Error),
}

/// Connects to the first host of `config` that answers and suits it (as the
/// driver does: each address of each host in turn, and with
/// `target_session_attrs=read-write` only a server that accepts writes).
/// With `prepare_shared`, the context's shared statements are prepared (see
/// [`ContextMessages::preparation`]): not behind a transaction-mode pooler
/// that does not keep prepared statements (`Config::transaction_pooler`).
pub(crate) async fn open(
    config: &Config,
    prepare_shared: bool,
) -> Result<SplicedConnection, OpenError> {
    let mut last_error = None;
    for address in addresses(config).await.map_err(OpenError::Socket)? {
        match open_at(config, address, prepare_shared).await {
            Ok(connection) => return Ok(connection),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        OpenError::Socket(io::Error::new(
            io::ErrorKind::NotFound,
            "no address found for the configured hosts",
        ))
    }))
}

async fn open_at(
    config: &Config,
    address: Address,
    prepare_shared: bool,
) -> Result<SplicedConnection, OpenError> {
    let (socket, probe) = connect_address(&address, config)
        .await
        .map_err(OpenError::Socket)?;
    let splicer = Splicer::default();
    let traffic = Traffic::default();
    let stream = SplicingStream::new(socket, splicer.clone(), traffic.clone());
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
    if config.get_target_session_attrs() == TargetSessionAttrs::ReadWrite
        && accepts_no_writes(&client)
            .await
            .map_err(OpenError::Postgres)?
    {
        return Err(OpenError::Socket(io::Error::other(
            "the server is read-only, and read-write was asked for",
        )));
    }
    if prepare_shared {
        prepare_shared_statements(&client, &splicer)
            .await
            .map_err(OpenError::Postgres)?;
    }
    Ok(SplicedConnection {
        client,
        task,
        splicer,
        traffic,
        probe,
        address,
    })
}

/// Whether the session is read-only (a standby, or read-only by default).
async fn accepts_no_writes(client: &Client) -> Result<bool, tokio_postgres::Error> {
    let messages = client.simple_query("SHOW transaction_read_only").await?;
    Ok(messages
        .iter()
        .any(|message| matches!(message, SimpleQueryMessage::Row(row) if row.get(0) == Some("on"))))
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
    splicer.splice("SELECT 1", &PREPARATION, None);
    let probed = client.execute(&probe, &[]).await;
    splicer.finish().await;
    probed.map(drop)
}

/// Asks the server to cancel the statement running on `token`'s connection.
pub(crate) async fn cancel(token: &CancelToken, address: &Address) -> io::Result<()> {
    let (socket, _) = address.connect(|_| Ok(())).await?;
    token
        .cancel_query_raw(socket, NoTls)
        .await
        .map_err(io::Error::other)
}

/// The default port, as libpq's.
const DEFAULT_PORT: u16 = 5432;

/// Every address of every configured host, in order: a host's `hostaddr`
/// if given, else what its name resolves to.
async fn addresses(config: &Config) -> io::Result<Vec<Address>> {
    let hostaddrs = config.get_hostaddrs();
    let hosts: Vec<Option<&Host>> = if config.get_hosts().is_empty() {
        hostaddrs.iter().map(|_| None).collect()
    } else {
        config.get_hosts().iter().map(Some).collect()
    };
    if hosts.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the connection settings name no host",
        ));
    }
    let ports = config.get_ports();
    if ports.len() > 1 && ports.len() != hosts.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the connection settings give a number of ports that is neither 1 nor the number of hosts",
        ));
    }
    let mut addresses = Vec::new();
    let mut unresolved = None;
    for (index, host) in hosts.into_iter().enumerate() {
        let port = ports
            .get(index)
            .or(ports.first())
            .copied()
            .unwrap_or(DEFAULT_PORT);
        match (host, hostaddrs.get(index)) {
            (Some(Host::Unix(path)), _) => {
                addresses.push(Address::Unix(path.join(format!(".s.PGSQL.{port}"))));
            }
            (_, Some(ip)) => addresses.push(Address::Tcp(SocketAddr::new(*ip, port))),
            (Some(Host::Tcp(name)), None) => match lookup_host((name.as_str(), port)).await {
                Ok(resolved) => addresses.extend(resolved.map(Address::Tcp)),
                Err(error) => unresolved = Some(error),
            },
            (None, None) => unreachable!("a host without a name has an address"),
        }
    }
    match unresolved {
        Some(error) if addresses.is_empty() => Err(error),
        _ => Ok(addresses),
    }
}

impl Address {
    /// A socket to this address, with TCP_NODELAY (requests are small and
    /// latency-bound), and its probe; `tune` sets the rest of a TCP socket's
    /// options.
    async fn connect(
        &self,
        tune: impl FnOnce(&TcpStream) -> io::Result<()>,
    ) -> io::Result<(Box<dyn Socket>, Probe)> {
        Ok(match self {
            Address::Tcp(address) => {
                let stream = TcpStream::connect(address).await?;
                stream.set_nodelay(true)?;
                tune(&stream)?;
                let probe = Probe::of(&stream)?;
                (Box::new(stream), probe)
            }
            Address::Unix(path) => {
                let stream = UnixStream::connect(path).await?;
                let probe = Probe::of(&stream)?;
                (Box::new(stream), probe)
            }
        })
    }
}

/// A socket to `address` within the connect timeout, with the configured
/// keepalive and TCP user timeout, and its probe.
async fn connect_address(
    address: &Address,
    config: &Config,
) -> io::Result<(Box<dyn Socket>, Probe)> {
    let connecting = address.connect(|stream| {
        let socket = SockRef::from(stream);
        if let Some(keepalive) = keepalive(config) {
            socket.set_tcp_keepalive(&keepalive)?;
        }
        if let Some(timeout) = config.get_tcp_user_timeout() {
            socket.set_tcp_user_timeout(Some(*timeout))?;
        }
        Ok(())
    });
    match config.get_connect_timeout() {
        Some(limit) => tokio::time::timeout(*limit, connecting)
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
