//! Sockets to a server: every address of every configured host, in the
//! order libpq tries them, opened with the configured TCP options.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use rand::seq::SliceRandom;
use socket2::{SockRef, TcpKeepalive};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, UnixStream, lookup_host};
use tokio_postgres::Config;
use tokio_postgres::config::{Host, LoadBalanceHosts};

use super::probe::Probe;

/// A byte stream to a server: a socket, or TLS over one.
pub(crate) trait Socket: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Socket for T {}

/// A socket of any kind.
pub(crate) type BoxedSocket = Box<dyn Socket>;

/// Where a connection goes.
#[derive(Debug, Clone)]
pub(crate) enum Address {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Tcp(address) => address.fmt(f),
            Address::Unix(path) => path.display().fmt(f),
        }
    }
}

/// An address and the host name it was found by: the name a certificate is
/// checked against. Cancel requests go to the same endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) address: Address,
    pub(crate) host_name: Option<Arc<str>>,
}

impl Endpoint {
    pub(crate) fn is_unix(&self) -> bool {
        matches!(self.address, Address::Unix(_))
    }

    /// The IP address, for a TCP endpoint.
    pub(crate) fn ip(&self) -> Option<IpAddr> {
        match self.address {
            Address::Tcp(address) => Some(address.ip()),
            Address::Unix(_) => None,
        }
    }

    /// A socket to this endpoint and its probe, with TCP_NODELAY (requests
    /// are small and latency-bound), within the connect timeout, with the
    /// configured keepalive and TCP user timeout.
    pub(crate) async fn connect(&self, config: &Config) -> io::Result<(BoxedSocket, Probe)> {
        let connecting = async {
            Ok::<(BoxedSocket, Probe), io::Error>(match &self.address {
                Address::Tcp(address) => {
                    let stream = TcpStream::connect(address).await?;
                    stream.set_nodelay(true)?;
                    tune(&stream, config)?;
                    let probe = Probe::of(&stream)?;
                    (Box::new(stream), probe)
                }
                Address::Unix(path) => {
                    let stream = UnixStream::connect(path).await?;
                    let probe = Probe::of(&stream)?;
                    (Box::new(stream), probe)
                }
            })
        };
        match config.get_connect_timeout() {
            Some(limit) => tokio::time::timeout(*limit, connecting)
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connecting timed out"))?,
            None => connecting.await,
        }
    }
}

/// Sets the keepalive and TCP user timeout the configuration asks for.
fn tune(stream: &TcpStream, config: &Config) -> io::Result<()> {
    let socket = SockRef::from(stream);
    if let Some(keepalive) = keepalive(config) {
        socket.set_tcp_keepalive(&keepalive)?;
    }
    if let Some(timeout) = config.get_tcp_user_timeout() {
        socket.set_tcp_user_timeout(Some(*timeout))?;
    }
    Ok(())
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

/// The default port, as libpq's.
const DEFAULT_PORT: u16 = 5432;

/// Every address of every configured host, in order: a host's `hostaddr`
/// if given, else what its name resolves to. With
/// `load_balance_hosts=random`, hosts and each host's addresses are tried
/// in random order, as libpq does.
pub(crate) async fn endpoints(config: &Config) -> io::Result<Vec<Endpoint>> {
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
    let random = config.get_load_balance_hosts() == LoadBalanceHosts::Random;
    let mut order: Vec<usize> = (0..hosts.len()).collect();
    if random {
        order.shuffle(&mut rand::rng());
    }
    let mut endpoints = Vec::new();
    let mut unresolved = None;
    for index in order {
        let port = ports
            .get(index)
            .or(ports.first())
            .copied()
            .unwrap_or(DEFAULT_PORT);
        let host_name: Option<Arc<str>> = match hosts[index] {
            Some(Host::Tcp(name)) => Some(name.as_str().into()),
            _ => None,
        };
        let mut found = match (hosts[index], hostaddrs.get(index)) {
            (Some(Host::Unix(path)), _) => {
                vec![Address::Unix(path.join(format!(".s.PGSQL.{port}")))]
            }
            (_, Some(ip)) => vec![Address::Tcp(SocketAddr::new(*ip, port))],
            (Some(Host::Tcp(name)), None) => match lookup_host((name.as_str(), port)).await {
                Ok(resolved) => resolved.map(Address::Tcp).collect(),
                Err(error) => {
                    unresolved = Some(error);
                    Vec::new()
                }
            },
            (None, None) => unreachable!("a host without a name has an address"),
        };
        if random {
            found.shuffle(&mut rand::rng());
        }
        endpoints.extend(found.into_iter().map(|address| Endpoint {
            address,
            host_name: host_name.clone(),
        }));
    }
    match unresolved {
        Some(error) if endpoints.is_empty() => Err(error),
        _ => Ok(endpoints),
    }
}
