//! Opens connections: socket, then TLS, then (for pooled connections) the
//! [`SplicingStream`] that puts a statement and its tenant context in one
//! message group, then the driver's start-up exchange over it.
//!
//! The socket is opened here (the driver's own connect would put TLS above
//! the splice), from the driver's configuration: its hosts and addresses,
//! ports, connect timeout, TCP keepalive and user timeout, load balancing;
//! `target_session_attrs` is checked here too, with every libpq value.

use std::sync::LazyLock;

use futures_util::future::poll_fn;
use tokio::task::JoinHandle;
use tokio_postgres::tls::NoTlsStream;
use tokio_postgres::{CancelToken, Client, Connection, NoTls, SimpleQueryMessage};

use super::failure::{ConnectFailure, Failed};
use super::probe::Probe;
use super::socket::{BoxedSocket, Endpoint, Socket, endpoints};
use super::tls;
use super::traffic::Traffic;
use crate::Error;
use crate::options::{ConnectOptions, TargetSessionAttrs};
use crate::transport::wire::{ContextMessages, Splicer, SplicingStream};

/// An open pooled connection: the driver's client, the task that runs its
/// I/O, the splicing state and the traffic of its stream, a probe of its
/// socket, and where it goes.
pub(crate) struct SplicedConnection {
    pub(crate) client: Client,
    pub(crate) task: JoinHandle<()>,
    pub(crate) splicer: Splicer,
    pub(crate) traffic: Traffic,
    pub(crate) probe: Probe,
    pub(crate) endpoint: Endpoint,
}

/// A connection without splicing, for the registry listener and tools: the
/// half to poll (or spawn) beside its client.
pub(crate) type PlainConnection = Connection<BoxedSocket, NoTlsStream>;

/// Opens a pooled connection: the first host of `options` that answers and
/// suits it, as libpq tries them. With `prepare_shared`, the context's
/// shared statements are prepared (see [`ContextMessages::preparation`]):
/// not behind a transaction-mode pooler that does not keep prepared
/// statements (`Config::transaction_pooler`).
pub(crate) async fn open(
    options: &ConnectOptions,
    prepare_shared: bool,
) -> Result<SplicedConnection, Error> {
    let (client, connection, (splicer, traffic), probe, endpoint) =
        first_suitable(options, |socket| {
            let (splicer, traffic) = (Splicer::default(), Traffic::default());
            let stream = SplicingStream::new(socket, splicer.clone(), traffic.clone());
            (stream, (splicer, traffic))
        })
        .await?;
    let task = tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "a pooled connection ended");
        }
    });
    if prepare_shared {
        prepare_shared_statements(&client, &splicer).await?;
    }
    Ok(SplicedConnection {
        client,
        task,
        splicer,
        traffic,
        probe,
        endpoint,
    })
}

/// Opens a connection without splicing (TLS as configured).
pub(crate) async fn plain(options: &ConnectOptions) -> Result<(Client, PlainConnection), Error> {
    let (client, connection, (), _, _) = first_suitable(options, |socket| (socket, ())).await?;
    Ok((client, connection))
}

/// Tries each endpoint in turn (with `prefer-standby`, standbys first, then
/// any server) until one starts a session of the kind asked for; `wrap`
/// makes the stream the driver runs on from the (secured) socket.
async fn first_suitable<S: Socket + 'static, T: StartupObserver>(
    options: &ConnectOptions,
    wrap: impl Fn(BoxedSocket) -> (S, T),
) -> Result<(Client, Connection<S, NoTlsStream>, T, Probe, Endpoint), Error> {
    let endpoints = endpoints(options.driver())
        .await
        .map_err(|error| connect_error(&"the configured hosts", Failed::io(error)))?;
    let passes: &[TargetSessionAttrs] = match options.session_attrs {
        TargetSessionAttrs::PreferStandby => {
            &[TargetSessionAttrs::Standby, TargetSessionAttrs::Any]
        }
        _ => std::slice::from_ref(&options.session_attrs),
    };
    let mut last_error = None;
    for attrs in passes {
        for endpoint in &endpoints {
            match start(options, endpoint, *attrs, &wrap).await {
                Ok((client, connection, extra, probe)) => {
                    return Ok((client, connection, extra, probe, endpoint.clone()));
                }
                Err(failed) => last_error = Some(connect_error(&endpoint.address, failed)),
            }
        }
    }
    Err(last_error.expect("there is at least one endpoint"))
}

/// Opens one endpoint: socket, TLS, start-up, and the kind of server.
async fn start<S: Socket + 'static, T: StartupObserver>(
    options: &ConnectOptions,
    endpoint: &Endpoint,
    attrs: TargetSessionAttrs,
    wrap: &impl Fn(BoxedSocket) -> (S, T),
) -> Result<(Client, Connection<S, NoTlsStream>, T, Probe), Failed> {
    let (socket, probe) = endpoint
        .connect(options.driver())
        .await
        .map_err(Failed::io)?;
    let socket = tls::secure(socket, &options.tls, endpoint).await?;
    let (stream, extra) = wrap(socket);
    let (client, mut connection) = options
        .driver()
        .connect_raw(stream, NoTls)
        .await
        .map_err(Failed::startup)?;
    extra.startup_done();
    if attrs != TargetSessionAttrs::Any {
        let kind = server_kind(&client);
        tokio::pin!(kind);
        // The connection is polled while the question is answered.
        let kind = loop {
            tokio::select! {
                kind = &mut kind => break kind.map_err(Failed::startup)?,
                message = poll_fn(|cx| connection.poll_message(cx)) => match message {
                    Some(Ok(_)) => {}
                    Some(Err(error)) => return Err(Failed::startup(error)),
                    None => return Err(Failed::new(ConnectFailure::Lost, "the server closed the connection")),
                },
            }
        };
        if !kind.suits(attrs) {
            return Err(Failed::new(
                ConnectFailure::WrongServerKind,
                format!("the server is {kind}, and target_session_attrs={attrs}"),
            ));
        }
    }
    Ok((client, connection, extra, probe))
}

/// What wraps the driver's stream, told when the start-up exchange is over.
trait StartupObserver {
    fn startup_done(&self);
}

impl StartupObserver for () {
    fn startup_done(&self) {}
}

impl StartupObserver for (Splicer, Traffic) {
    /// From now on the driver's bytes are read as frames.
    fn startup_done(&self) {
        self.0.start();
    }
}

/// What a server is, for `target_session_attrs`.
struct ServerKind {
    read_only: bool,
    in_recovery: bool,
}

impl ServerKind {
    fn suits(&self, attrs: TargetSessionAttrs) -> bool {
        match attrs {
            TargetSessionAttrs::ReadWrite => !self.read_only,
            TargetSessionAttrs::ReadOnly => self.read_only,
            TargetSessionAttrs::Primary => !self.in_recovery,
            TargetSessionAttrs::Standby => self.in_recovery,
            _ => true,
        }
    }
}

impl std::fmt::Display for ServerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let role = if self.in_recovery {
            "a standby"
        } else {
            "a primary"
        };
        let access = if self.read_only {
            "read-only"
        } else {
            "read-write"
        };
        write!(f, "{role}, {access} by default")
    }
}

/// Asks the server what it is, in one round trip.
async fn server_kind(client: &Client) -> Result<ServerKind, tokio_postgres::Error> {
    let messages = client
        .simple_query("SELECT current_setting('transaction_read_only'), pg_is_in_recovery()")
        .await?;
    let row = messages.iter().find_map(|message| match message {
        SimpleQueryMessage::Row(row) => Some(row),
        _ => None,
    });
    Ok(ServerKind {
        read_only: row.and_then(|row| row.get(0)) == Some("on"),
        in_recovery: row.and_then(|row| row.get(1)) == Some("t"),
    })
}

/// The typed error of a connection that could not be opened.
fn connect_error(address: &dyn std::fmt::Display, failed: Failed) -> Error {
    Error::Connect {
        address: address.to_string(),
        failure: failed.failure,
        source: failed.source,
    }
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

/// Asks the server to cancel the statement running on `token`'s connection,
/// over TLS as the connection's own settings say.
pub(crate) async fn cancel(
    token: &CancelToken,
    endpoint: &Endpoint,
    options: &ConnectOptions,
) -> Result<(), Error> {
    let secured = async {
        let (socket, _) = endpoint
            .connect(options.driver())
            .await
            .map_err(Failed::io)?;
        tls::secure(socket, &options.tls, endpoint).await
    };
    let socket = secured
        .await
        .map_err(|failed| connect_error(&endpoint.address, failed))?;
    token
        .cancel_query_raw(socket, NoTls)
        .await
        .map_err(Error::from)
}

impl ConnectOptions {
    /// Opens one connection, as the settings say, and runs it in a task of
    /// its own: a plain client, for tools and the operator. The application
    /// uses pools ([`crate::Tenantry::connect`]).
    pub async fn connect(&self) -> Result<Client, Error> {
        let (client, connection) = plain(self).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "a connection ended");
            }
        });
        Ok(client)
    }
}
